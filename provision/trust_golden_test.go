package provision

import (
	"fmt"
	"strings"
	"testing"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/golden"
	"github.com/awsboot/awsboot/provision/spec"
)

// TestPresetTrustPolicies pins the trust policy each preset produces
// (testdata/trust/*.golden; UPDATE_GOLDEN=1 rewrites them), so a change to
// what a preset lets in is always a reviewed diff.
func TestPresetTrustPolicies(t *testing.T) {
	presets := map[string]string{
		"semaphore-branch": `{semaphore: {org: acme, project: 936a5312-a3b8-4921-8b3f-2cec8baac574, repo: web, branch: main}}`,
		"semaphore-tag":    `{semaphore: {org: acme, project: 936a5312-a3b8-4921-8b3f-2cec8baac574, repo: web, tag: "v*"}}`,
		"semaphore-pr":     `{semaphore: {org: acme, project: 936a5312-a3b8-4921-8b3f-2cec8baac574, repo: web, pull_request: true}}`,
		"github-branch":    `{github: {repo: acme/web, branch: main}}`,
		"github-env":       `{github: {repo: acme/web, environment: production}}`,
		"github-pr":        `{github: {repo: acme/web, pull_request: true}}`,
		// GitLab: no environment preset, GitLab's sub never names one
		// (see the gitlab preset in provision/spec/oidc.go).
		"gitlab-branch":       `{gitlab: {project: acme/platform/web, branch: main}}`,
		"gitlab-tag":          `{gitlab: {project: acme/platform/web, tag: "v*"}}`,
		"gitlab-protected":    `{gitlab: {project: acme/platform/web, branch: "release/*", protected: true}}`,
		"gitlab-self-managed": `{issuer: "https://gitlab.example.com/", gitlab: {project: acme/web, tag: v1.2.0, protected: true}}`,
		// GitLab's closest thing to GitHub's environment subject: the
		// environment's tier, which the project can put in sub.
		"gitlab-environment-tier":           `{gitlab: {project: acme/platform/web, branch: main, deployment_tier: production}}`,
		"gitlab-environment-tier-protected": `{gitlab: {project: acme/platform/web, branch: main, protected: true, deployment_tier: production}}`,
	}
	for name, oidc := range presets {
		t.Run(name, func(t *testing.T) {
			yml := fmt.Sprintf("version: 1\nstack: s\nbucket: {name: b-bucket}\naccess:\n  - {name: p, grant: cache, role: r, oidc: %s}\n", oidc)
			s, err := ParseSpec("preset.yaml", []byte(yml))
			if err != nil {
				t.Fatal(err)
			}
			o := s.Access[0].OIDC
			host := spec.IssuerHost(o.Issuer)
			doc := policies.Trust(policies.WebIdentity{
				ProviderARN: "arn:aws:iam::123456789012:oidc-provider/" + host, Host: host, Audience: o.Audience,
				Subjects: o.Subjects, SubjectPatterns: o.SubjectPatterns,
			})
			golden.Assert(t, "testdata/trust/"+name+".golden", doc.JSON()+"\n")
			if strings.Contains(doc.JSON(), `"*"`) {
				t.Error("a preset produced a bare wildcard")
			}
		})
	}
}
