package main

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/engine"
)

// TestRenderShown pins show's text layout: owned objects with aligned
// settings, then what the spec names that is not the stack's, in words,
// then the count and the notes.
func TestRenderShown(t *testing.T) {
	s := &provision.Shown{
		Stack: "demo", AccountID: "123456789012", Region: "eu-west-1",
		Objects: []provision.ShownObject{
			{Addr: "s3_bucket.b", Status: provision.Owned, Settings: []engine.KV{{Key: "arn", Value: "arn:aws:s3:::b"}, {Key: "public_access_block", Value: "on"}}},
			{Addr: "iam_user.u", Status: provision.OtherStack, Owner: "prod"},
			{Addr: "aws_profile.p", Status: provision.NotOwned},
			{Addr: "iam_access_key.u", Status: provision.Absent},
		},
		Notes: []string{"1 bucket(s) in eu-central-1 were not looked at: run again with --region to look there"},
	}
	var out bytes.Buffer
	renderShown(&out, s)
	want := `# s3_bucket.b
    arn                 = arn:aws:s3:::b
    public_access_block = on

Named by the spec, not this stack's:
  iam_user.u        belongs to stack "prod"
  aws_profile.p     exists, but awsboot did not create it (bootstrap needs --adopt to take it over)
  iam_access_key.u  not created yet

Stack "demo" owns 1 object here (account 123456789012, region eu-west-1).
Note: 1 bucket(s) in eu-central-1 were not looked at: run again with --region to look there
`
	if d := cmp.Diff(want, out.String()); d != "" {
		t.Errorf("renderShown (-want +got):\n%s", d)
	}

	// Nothing owned and nothing there: the one line, not the spec's list.
	out.Reset()
	renderShown(&out, &provision.Shown{Stack: "demo", AccountID: "123456789012", Region: "eu-west-1", Objects: s.Objects[3:]})
	if d := cmp.Diff("Stack \"demo\" owns nothing here (account 123456789012, region eu-west-1).\n", out.String()); d != "" {
		t.Errorf("nothing owned (-want +got):\n%s", d)
	}
}
