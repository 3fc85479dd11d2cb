package templates

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsboot/awsboot/provision/golden"
	"gopkg.in/yaml.v3"
)

var data = OIDCData{
	Marker:         "# managed by awsboot: stack=demo",
	RoleARN:        "arn:aws:iam::123456789012:role/semaphore-cache-role",
	Region:         "us-east-1",
	Audience:       "https://acme.semaphoreci.com",
	SessionSeconds: 3600,
}

// gitlabData is GitLab.com's: the instance's address is the audience.
var gitlabData = OIDCData{
	Marker:         data.Marker,
	RoleARN:        "arn:aws:iam::123456789012:role/gitlab-ci-cache-role",
	Region:         "eu-west-1",
	Audience:       "https://gitlab.com",
	SessionSeconds: 5400,
}

// TestTemplatesRender renders every template, checks it is valid YAML of
// the shape its tool reads, and compares it with testdata/<name>.golden
// (UPDATE_GOLDEN=1 rewrites them).
func TestTemplatesRender(t *testing.T) {
	for name, check := range map[string]func(t *testing.T, doc map[string]any){
		"semaphore-oidc.yml": func(t *testing.T, doc map[string]any) {
			cmds, _ := doc["commands"].([]any)
			joined := ""
			for _, c := range cmds {
				joined += c.(string) + "\n"
			}
			for _, want := range []string{`export ROLE_ARN="` + data.RoleARN + `"`, "--web-identity-token \"$SEMAPHORE_OIDC_TOKEN\"", "export AWS_SESSION_TOKEN="} {
				if !strings.Contains(joined, want) {
					t.Errorf("commands lack %q", want)
				}
			}
		},
		"github-oidc-step.yml": func(t *testing.T, doc map[string]any) {
			steps, _ := doc["steps"].([]any)
			if len(steps) != 1 {
				t.Fatalf("steps = %v", doc["steps"])
			}
			with := steps[0].(map[string]any)["with"].(map[string]any)
			if with["role-to-assume"] != data.RoleARN || with["aws-region"] != data.Region {
				t.Errorf("with = %v", with)
			}
		},
		"gitlab-oidc.yml": func(t *testing.T, doc map[string]any) {
			// One hidden job, for include: local and extends.
			if len(doc) != 1 {
				t.Fatalf("top-level keys = %v, want only .awsboot-aws-oidc", doc)
			}
			job, _ := doc[".awsboot-aws-oidc"].(map[string]any)
			tokens, _ := job["id_tokens"].(map[string]any)
			token, _ := tokens["AWSBOOT_ID_TOKEN"].(map[string]any)
			if token["aud"] != gitlabData.Audience {
				t.Errorf("id_tokens = %v, want AWSBOOT_ID_TOKEN with aud %s", job["id_tokens"], gitlabData.Audience)
			}
			cmds, _ := job["before_script"].([]any)
			joined := ""
			for _, c := range cmds {
				joined += c.(string) + "\n"
			}
			for _, want := range []string{
				`export ROLE_ARN="` + gitlabData.RoleARN + `"`,
				`--web-identity-token "$AWSBOOT_ID_TOKEN" --duration-seconds 5400`,
				// A plain assignment, not export: a refused exchange fails the job.
				"\nCREDENTIALS=$(aws sts assume-role-with-web-identity ",
				"export AWS_SESSION_TOKEN=",
				`export AWS_REGION="eu-west-1"`,
			} {
				if !strings.Contains(joined, want) {
					t.Errorf("before_script lacks %q:\n%s", want, joined)
				}
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			data := data
			if strings.HasPrefix(name, "gitlab") {
				data = gitlabData
			}
			out, err := Render(name, data)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out, data.Marker+"\n") {
				t.Errorf("the ownership marker is not the first line")
			}
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("not valid YAML: %v\n%s", err, out)
			}
			check(t, doc)
			golden.Assert(t, filepath.Join("testdata", name+".golden"), out)
		})
	}
}

func TestRenderMissingField(t *testing.T) {
	if _, err := Render("semaphore-oidc.yml", map[string]string{}); err == nil {
		t.Error("a template rendered without its data")
	}
}

// TestRefusedExchangeFailsTheJob runs each snippet's commands as a CI
// shell runs them, one command at a time, stopping at the first that
// fails, with an aws that refuses the token (as STS does for a token the
// trust policy does not match). The job must stop at the exchange: with
// `export CREDENTIALS=$(...)` the exit status was export's, 0, and the job
// went on without credentials.
func TestRefusedExchangeFailsTheJob(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	bin := t.TempDir()
	fake := "#!/bin/sh\necho 'An error occurred (AccessDenied) when calling the AssumeRoleWithWebIdentity operation' >&2\nexit 254\n"
	if err := os.WriteFile(filepath.Join(bin, "aws"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, list := range map[string]func(map[string]any) []any{
		"semaphore-oidc.yml": func(doc map[string]any) []any { l, _ := doc["commands"].([]any); return l },
		"gitlab-oidc.yml": func(doc map[string]any) []any {
			job, _ := doc[".awsboot-aws-oidc"].(map[string]any)
			l, _ := job["before_script"].([]any)
			return l
		},
	} {
		t.Run(name, func(t *testing.T) {
			out, err := Render(name, data)
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := yaml.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			cmds := list(doc)
			// Each command in its own `sh -c` would lose the variables, so
			// the script checks each command's status as the runner does.
			var script strings.Builder
			for i, c := range cmds {
				fmt.Fprintf(&script, "%s || { echo \"failed at %d\"; exit 1; }\n", c, i)
			}
			cmd := exec.Command(sh, "-c", script.String())
			cmd.Env = []string{"PATH=" + bin + ":/usr/bin:/bin"}
			got, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the job went on after a refused exchange:\n%s", got)
			}
			for i, c := range cmds {
				if strings.Contains(c.(string), "assume-role-with-web-identity") && !strings.Contains(string(got), fmt.Sprintf("failed at %d", i)) {
					t.Errorf("the job did not stop at the exchange (command %d):\n%s", i, got)
				}
			}
		})
	}
}

// TestGitLabTierFragment: with deployment_tier the fragment tells how a
// job meets the role's tier, and is still the one hidden job.
func TestGitLabTierFragment(t *testing.T) {
	d := gitlabData
	d.DeploymentTier = "production"
	out, err := Render("gitlab-oidc.yml", d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "#   environment: {name: <its environment>, deployment_tier: production}\n") {
		t.Errorf("the fragment does not say how a job meets the tier:\n%s", out)
	}
	plain, err := Render("gitlab-oidc.yml", gitlabData)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain, "deployment_tier") {
		t.Errorf("the tier's note is in a fragment without a tier:\n%s", plain)
	}
	var doc map[string]any
	if err := yaml.Unmarshal([]byte(out), &doc); err != nil || len(doc) != 1 {
		t.Fatalf("not the one hidden job (%v): %v", err, doc)
	}
	golden.Assert(t, filepath.Join("testdata", "gitlab-oidc-tier.yml.golden"), out)
}
