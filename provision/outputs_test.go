package provision

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
)

const outputsSpec = `version: 1
stack: web
region: eu-west-1
bucket:
  name: web-cache
  replication: {destination: "arn:aws:s3:::other-bucket", destination_policy_file: dest.json}
access:
  - name: cache-agent
    grant: cache
    user: semaphore
    write: {aws_profile: ci, semaphore_agent: agent/config.yaml}
  - name: workflows
    grant: cache
    role: gh-role
    oidc: {github: {repo: acme/web, branch: main}}
    write: {github_workflow: step.yml, aws_profile: gh, web_identity_token_file: /run/token}
`

// TestOutputs: every value's name, value and whether it needs AWS, for
// a user entry, a role entry and replication.
func TestOutputs(t *testing.T) {
	s, err := ParseSpec("/specs/web.yaml", []byte(outputsSpec))
	if err != nil {
		t.Fatal(err)
	}
	acct := awsapi.Account{ID: "123456789012", Partition: "aws", Region: "eu-west-1"}
	files := consumers.AWSFiles{Config: "/home/ci/.aws/config", Credentials: "/home/ci/.aws/credentials"}
	got, err := Outputs(s, acct, files)
	if err != nil {
		t.Fatal(err)
	}
	want := []Output{
		{"account_id", "123456789012", true},
		{"bucket", "web-cache", false},
		{"bucket_arn", "arn:aws:s3:::web-cache", false},
		{"cache_agent_aws_config_file", "/home/ci/.aws/config", false},
		{"cache_agent_aws_credentials_file", "/home/ci/.aws/credentials", false},
		{"cache_agent_aws_profile", "ci", false},
		{"cache_agent_semaphore_agent_file", "/specs/agent/config.yaml", false},
		{"cache_agent_user", "semaphore", false},
		{"cache_agent_user_arn", "arn:aws:iam::123456789012:user/semaphore", true},
		{"endpoint", "", true},
		{"region", "eu-west-1", false},
		{"replication_destination_policy_file", "/specs/dest.json", false},
		{"replication_role", "web-cache-replication", false},
		{"replication_role_arn", "arn:aws:iam::123456789012:role/web-cache-replication", true},
		{"stack", "web", false},
		{"workflows_aws_config_file", "/home/ci/.aws/config", false},
		{"workflows_aws_profile", "gh", false},
		{"workflows_github_workflow_file", "/specs/step.yml", false},
		{"workflows_oidc_provider_arn", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com", true},
		{"workflows_role", "gh-role", false},
		{"workflows_role_arn", "arn:aws:iam::123456789012:role/gh-role", true},
		{"workflows_web_identity_token_file", "/run/token", false},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Outputs (-want +got):\n%s", d)
	}
}

// TestOutputNamesClash: an access entry whose names meet the replication
// role's is an error naming both, not a silent choice.
func TestOutputNamesClash(t *testing.T) {
	y := strings.Replace(outputsSpec, "name: workflows", "name: replication", 1)
	s, err := ParseSpec("/specs/web.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Outputs(s, awsapi.Account{ID: "123456789012", Partition: "aws"}, consumers.AWSFiles{})
	if err == nil || !strings.Contains(err.Error(), `"replication_role" is both the replication role and access entry "replication"`) {
		t.Errorf("err = %v", err)
	}
}
