package provision

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"gopkg.in/yaml.v3"

	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
)

const gitlabProvider = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"

// TestGitLabExample bootstraps examples/gitlab-oidc.yaml: a provider for
// https://gitlab.com whose audience is the instance's address, the
// preset's trust policy (the main branch of one project), the
// .gitlab-ci.yml fragment with the same aud, a role session that reaches
// the bucket, a second run without calls that change anything, and a
// teardown that leaves nothing.
func TestGitLabExample(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("gitlab-oidc.yaml")
	e.apply(s, engine.ModeApply, runOpts{})

	role := e.assertProviderAndTrust(gitlabProvider, "https://gitlab.com", "gitlab-oidc-cache-role", `{"Version":"2012-10-17","Statement":[{"Sid":"ExactSubjects","Effect":"Allow",
		"Principal":{"Federated":"`+gitlabProvider+`"},
		"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"gitlab.com:aud":"https://gitlab.com",
			"gitlab.com:sub":"project_path:acme/platform/web:ref_type:branch:ref:main"}}}]}`)

	path := filepath.Join(e.dir, ".gitlab", "aws-oidc.yml")
	snippet := readFile(t, path)
	if !strings.HasPrefix(snippet, consumers.Marker("gitlab-oidc")+"\n") {
		t.Errorf("the ownership marker is not the first line:\n%s", snippet)
	}
	var doc struct {
		Job struct {
			IDTokens map[string]struct {
				Aud string `yaml:"aud"`
			} `yaml:"id_tokens"`
			BeforeScript []string `yaml:"before_script"`
		} `yaml:".awsboot-aws-oidc"`
	}
	if err := yaml.Unmarshal([]byte(snippet), &doc); err != nil {
		t.Fatalf("the fragment is not YAML: %v\n%s", err, snippet)
	}
	if aud := doc.Job.IDTokens["AWSBOOT_ID_TOKEN"].Aud; aud != "https://gitlab.com" {
		t.Errorf("id_tokens aud = %q, want the role's audience https://gitlab.com", aud)
	}
	script := strings.Join(doc.Job.BeforeScript, "\n")
	for _, w := range []string{`export ROLE_ARN="arn:aws:iam::123456789012:role/gitlab-oidc-cache-role"`, `--web-identity-token "$AWSBOOT_ID_TOKEN" --duration-seconds 3600`, `export AWS_REGION="us-east-1"`} {
		if !strings.Contains(script, w) {
			t.Errorf("before_script lacks %q:\n%s", w, script)
		}
	}
	if _, err := os.Stat(e.files.Credentials); !os.IsNotExist(err) {
		t.Errorf("OIDC access wrote a credentials file: %v", err)
	}

	// What the fragment's commands do, with the SDK: moto checks neither
	// the token's signature nor the trust policy's conditions, so any
	// well-formed string stands in for the job's ID token.
	out, err := sts.NewFromConfig(rawConfig(t, e.endpoint, "testing", "testing")).AssumeRoleWithWebIdentity(e.ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn: role.Arn, RoleSessionName: aws.String("gitlab-job-1"),
		WebIdentityToken: aws.String("eyJhbGciOiJSUzI1NiJ9.unsigned-test-token.sig"), DurationSeconds: aws.Int32(3600),
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rawConfig(t, e.endpoint, "", "")
	c := out.Credentials
	cfg.Credentials = staticSession{id: aws.ToString(c.AccessKeyId), secret: aws.ToString(c.SecretAccessKey), token: aws.ToString(c.SessionToken)}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("gitlab-oidc-cache"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Errorf("put with the role session: %v", err)
	}

	e.assertRerunIsNoOp(s)

	e.apply(s, engine.ModeDestroy, runOpts{deleteData: true})
	e.assertNothingOwned()
	providers, err := e.iam().ListOpenIDConnectProviders(e.ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(providers.OpenIDConnectProviderList) != 0 {
		t.Errorf("providers left: %v %v", providers, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the .gitlab-ci.yml fragment is still there: %v", err)
	}
}

// TestGitLabSelfManaged: a self-managed instance through the preset's
// issuer override gets its own provider, named by its host, with its
// address as the audience, and protected: true ends the subject in
// :ref_protected:true.
func TestGitLabSelfManaged(t *testing.T) {
	e := newTestEnv(t)
	writeFile(t, filepath.Join(e.dir, "self.yaml"), `version: 1
stack: gitlab-self
region: us-east-1
bucket: {name: gitlab-self-cache}
access:
  - name: deploys
    grant: cache
    role: gitlab-self-role
    oidc:
      issuer: https://gitlab.example.com/
      gitlab: {project: acme/web, branch: main, protected: true}
    write: {gitlab_ci: ci/aws.yml}
`)
	s, err := LoadSpec(filepath.Join(e.dir, "self.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e.apply(s, engine.ModeApply, runOpts{})
	const provider = "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com"
	e.assertProviderAndTrust(provider, "https://gitlab.example.com", "gitlab-self-role", `{"Version":"2012-10-17","Statement":[{"Sid":"ExactSubjects","Effect":"Allow",
		"Principal":{"Federated":"`+provider+`"},
		"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"gitlab.example.com:aud":"https://gitlab.example.com",
			"gitlab.example.com:sub":"project_path:acme/web:ref_type:branch:ref:main:ref_protected:true"}}}]}`)
	if snippet := readFile(t, filepath.Join(e.dir, "ci", "aws.yml")); !strings.Contains(snippet, `aud: "https://gitlab.example.com"`) {
		t.Errorf("fragment:\n%s", snippet)
	}
	e.apply(s, engine.ModeDestroy, runOpts{})
	e.assertNothingOwned()
	if n := e.providerCount(); n != 0 {
		t.Errorf("%d providers left", n)
	}
}

// TestGitLabDeploymentTier: deployment_tier, GitLab's nearest thing to
// an environment subject, ends the role's sub in :deployment_tier:<tier>
// on moto, and the fragment says how a job meets it.
func TestGitLabDeploymentTier(t *testing.T) {
	e := newTestEnv(t)
	writeFile(t, filepath.Join(e.dir, "tier.yaml"), `version: 1
stack: gitlab-tier
region: us-east-1
bucket: {name: gitlab-tier-cache}
access:
  - name: deploys
    grant: cache
    role: gitlab-tier-role
    oidc:
      gitlab: {project: acme/web, branch: main, deployment_tier: production}
    write: {gitlab_ci: ci/aws.yml}
`)
	s, err := LoadSpec(filepath.Join(e.dir, "tier.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e.apply(s, engine.ModeApply, runOpts{})
	const provider = "arn:aws:iam::123456789012:oidc-provider/gitlab.com"
	e.assertProviderAndTrust(provider, "https://gitlab.com", "gitlab-tier-role", `{"Version":"2012-10-17","Statement":[{"Sid":"ExactSubjects","Effect":"Allow",
		"Principal":{"Federated":"`+provider+`"},
		"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"gitlab.com:aud":"https://gitlab.com",
			"gitlab.com:sub":"project_path:acme/web:ref_type:branch:ref:main:deployment_tier:production"}}}]}`)
	fragment := filepath.Join(e.dir, "ci", "aws.yml")
	if snippet := readFile(t, fragment); !strings.Contains(snippet, "deployment_tier: production}") {
		t.Errorf("fragment:\n%s", snippet)
	}
	e.assertRerunIsNoOp(s, fragment)
	e.apply(s, engine.ModeDestroy, runOpts{})
	e.assertNothingOwned()
}
