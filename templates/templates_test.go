package templates

import (
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
	} {
		t.Run(name, func(t *testing.T) {
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
