package provision

import (
	"fmt"
	"strings"

	"github.com/awsboot/awsboot/templates"
)

// BuildOptions are the run's choices that shape resources.
type BuildOptions struct {
	// Files are the shared AWS files profiles are written to.
	Files AWSFiles
	// Adopt lets resources take over local profiles awsboot did not write.
	Adopt bool
	// DeleteData lets teardown empty and delete a bucket that holds data.
	DeleteData bool
}

// BuildGraph turns a validated spec into the resource graph:
//
//	s3_bucket ─────────────────────────────────────┐
//	iam_policy ─┐                                  ├─ semaphore_agent_config
//	iam_user ───┴─ iam_user_policy_attachment ─ iam_access_key ─ aws_profile
//
// The key waits for the attachment so that a key that works (the proof
// awsboot waits for) also has its permissions; the profile and the agent
// config come last so a file never points at something that does not
// exist yet.
func BuildGraph(c *Clients, s *Spec, o BuildOptions) (*Graph, error) {
	bucket := NewS3Bucket(c, s, o.DeleteData)
	resources := []Resource{bucket}
	providers := map[string]*OIDCProvider{}
	for _, a := range s.Access {
		if a.OIDC == nil {
			continue
		}
		// One provider per issuer, shared by every role that trusts it.
		issuer := strings.TrimSuffix(a.OIDC.Issuer, "/")
		if p, ok := providers[issuer]; ok {
			p.audiences = sortedUnique(append(p.audiences, a.OIDC.Audience))
			p.thumbprints = normThumbprints(append(p.thumbprints, a.OIDC.Thumbprints...))
			continue
		}
		providers[issuer] = NewOIDCProvider(c, s.Stack, issuer, []string{a.OIDC.Audience}, a.OIDC.Thumbprints)
		resources = append(resources, providers[issuer])
	}
	for _, a := range s.Access {
		policy, err := NewIAMPolicy(c, s, a)
		if err != nil {
			return nil, fmt.Errorf("access %q: %w", a.Name, err)
		}
		if a.Role != "" {
			resources = append(resources, roleResources(c, s, a, o, bucket, policy, providers[strings.TrimSuffix(a.OIDC.Issuer, "/")])...)
			continue
		}
		user := NewIAMUser(c, s, a, policy.ARN())
		attach := NewIAMUserPolicyAttachment(c, user, policy)
		key := NewIAMAccessKey(c, s, a, o.Files, o.Adopt, user.Addr(), attach.Addr())
		profile := NewAWSProfile(c, s, a, o.Files, key.Addr())
		resources = append(resources, policy, user, attach, key, profile)
		if a.Write.SemaphoreAgent != "" {
			resources = append(resources, NewSemaphoreAgentConfig(s, a, bucket.Addr(), key.Addr()))
		}
		if a.Write.BacalhauConfig != "" {
			resources = append(resources, NewBacalhauConfig(c, s, a, bucket.Addr(), key.Addr()))
		}
		if a.Write.BacalhauFlags != "" {
			resources = append(resources, NewLocalFile(a.Name+"/bacalhau_flags", s.Path(a.Write.BacalhauFlags), s.Stack, bacalhauFlags(bacalhauSettings(c, s, a)), bucket.Addr(), key.Addr()))
		}
	}
	return NewGraph(resources...)
}

// roleResources are an OIDC access entry's: the policy, the role that
// trusts the provider, the attachment, and the files that let pipelines
// assume the role.
//
//	iam_oidc_provider ─ iam_role ─┬─ iam_role_policy_attachment ─┬─ local_file (pipeline snippets)
//	iam_policy ───────────────────┘                              └─ aws_profile (role_arn + token file)
func roleResources(c *Clients, s *Spec, a Access, o BuildOptions, bucket *S3Bucket, policy *IAMPolicy, provider *OIDCProvider) []Resource {
	role := NewIAMRole(c, s, a, provider, policy.ARN())
	attach := NewIAMRolePolicyAttachment(c, role, policy)
	out := []Resource{policy, role, attach}
	data := templates.OIDCData{RoleARN: role.ARN(), Region: c.Region, Audience: a.OIDC.Audience, SessionSeconds: a.MaxSessionSeconds()}
	if a.Write.SemaphorePipeline != "" {
		out = append(out, NewLocalFile(a.Name+"/semaphore_pipeline", s.Path(a.Write.SemaphorePipeline), s.Stack, oidcSnippet("semaphore-oidc.yml", data), attach.Addr(), bucket.Addr()))
	}
	if a.Write.GitHubWorkflow != "" {
		out = append(out, NewLocalFile(a.Name+"/github_workflow", s.Path(a.Write.GitHubWorkflow), s.Stack, oidcSnippet("github-oidc-step.yml", data), attach.Addr(), bucket.Addr()))
	}
	if a.Write.AWSProfile != "" {
		out = append(out, NewAWSRoleProfile(c, s, a, o.Files, role.ARN(), attach.Addr()))
	}
	return out
}
