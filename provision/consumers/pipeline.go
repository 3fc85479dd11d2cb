package consumers

import (
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/templates"
)

// The write keys of the OIDC pipeline snippets.
const (
	KeySemaphorePipeline = "semaphore_pipeline"
	KeyGitHubWorkflow    = "github_workflow"
	KeyGitLabCI          = "gitlab_ci"
)

const pipelineWrongAccess = "is for role (OIDC) access; a user's key goes to write.aws_profile"

// semaphorePipelineConsumer writes the commands a Semaphore job runs to
// assume the role with its OIDC token.
var semaphorePipelineConsumer = Consumer{
	Key:         KeySemaphorePipeline,
	Summary:     "the commands a Semaphore job runs to assume the role",
	For:         RoleAccess,
	WrongAccess: pipelineWrongAccess,
	IsFile:      true,
	Build: func(t Target) ([]engine.Resource, error) {
		return snippet(t, KeySemaphorePipeline, "semaphore-oidc.yml"), nil
	},
}

// githubWorkflowConsumer writes the equivalent GitHub Actions step.
var githubWorkflowConsumer = Consumer{
	Key:         KeyGitHubWorkflow,
	Summary:     "the GitHub Actions step that assumes the role",
	For:         RoleAccess,
	WrongAccess: pipelineWrongAccess,
	IsFile:      true,
	Build: func(t Target) ([]engine.Resource, error) {
		return snippet(t, KeyGitHubWorkflow, "github-oidc-step.yml"), nil
	},
}

// gitlabCIConsumer writes the .gitlab-ci.yml fragment: a hidden job with
// the id_tokens block (aud: the role's audience) and the commands that
// exchange the token for a session.
var gitlabCIConsumer = Consumer{
	Key:         KeyGitLabCI,
	Summary:     "the GitLab CI/CD hidden job that assumes the role",
	For:         RoleAccess,
	WrongAccess: pipelineWrongAccess,
	IsFile:      true,
	Build: func(t Target) ([]engine.Resource, error) {
		return snippet(t, KeyGitLabCI, "gitlab-oidc.yml"), nil
	},
}

// snippet renders an OIDC pipeline template into the file at write.<key>.
func snippet(t Target, key, template string) []engine.Resource {
	data := templates.OIDCData{RoleARN: t.RoleARN, Region: t.Region, Audience: t.Access.OIDC.Audience, SessionSeconds: t.Access.MaxSessionSeconds()}
	if g := t.Access.OIDC.GitLab; g != nil {
		data.DeploymentTier = g.DeploymentTier
	}
	return []engine.Resource{engine.Typed(NewLocalFile(LocalFileConfig{
		Name: t.Access.Name + "/" + key, Path: t.Path(key), Stack: t.Spec.Stack,
		Render: func(marker string) (string, error) {
			data.Marker = marker
			return templates.Render(template, data)
		},
		After: []engine.Address{t.GrantAddr, t.BucketAddr}, FS: t.FS,
	}))}
}
