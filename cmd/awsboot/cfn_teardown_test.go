package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/awsboot/awsboot/provision/engine"
)

// TestRenderLeftInPlace: a teardown plan shows each object left to
// CloudFormation with its reason and counts them; with nothing else to
// delete it says that, not "owns nothing".
func TestRenderLeftInPlace(t *testing.T) {
	by := `CloudFormation stack "ci"`
	left := engine.Change{Addr: "iam_user.ci", Action: engine.NoOp, Reason: engine.ManagedReason(by), ManagedBy: by}
	key := engine.Change{Addr: "iam_access_key.ci", Action: engine.Delete}
	gone := engine.Change{Addr: "iam_user_policy.ci/grant", Action: engine.NoOp}

	var b bytes.Buffer
	RenderText(&b, &engine.Plan{Mode: engine.ModeDestroy, Stack: "ci", Changes: []engine.Change{key, left, gone}})
	want := `awsboot will perform the following actions for stack "ci":

  # iam_access_key.ci will be destroyed
  - iam_access_key.ci

  # iam_user.ci is left as it is: managed by CloudFormation stack "ci": left in place; delete it with CloudFormation (the stack, or its StackSet instance)

Plan: 0 to add, 0 to change, 1 to destroy.
Left in place: 1 object managed by CloudFormation (delete with CloudFormation: the stack, or its StackSet instance).
`
	if b.String() != want {
		t.Errorf("with a delete:\n%s\nwant:\n%s", b.String(), want)
	}

	b.Reset()
	RenderText(&b, &engine.Plan{Mode: engine.ModeDestroy, Stack: "ci", Changes: []engine.Change{left, gone}})
	want = `Nothing to destroy: stack "ci" owns nothing that still exists besides what CloudFormation manages, which is left in place (1 object, below).

  # iam_user.ci is left as it is: managed by CloudFormation stack "ci": left in place; delete it with CloudFormation (the stack, or its StackSet instance)
`
	if b.String() != want {
		t.Errorf("nothing else:\n%s\nwant:\n%s", b.String(), want)
	}

	var j JSONPlan
	b.Reset()
	if err := RenderJSON(&b, &engine.Plan{Mode: engine.ModeDestroy, Stack: "ci", Changes: []engine.Change{left}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b.Bytes(), &j); err != nil || len(j.Changes) != 1 || j.Changes[0].ManagedBy != by {
		t.Errorf("JSON plan: %v\n%s", err, b.String())
	}
}

// TestTeardownLeavesCloudFormationObjects: through the CLI against moto,
// the objects a CloudFormation stack manages (here the bucket and the
// user, tagged by hand as the template tags them, and the user's inline
// grant, which follows it) are left in place by teardown, --delete-data
// does not empty the bucket, the key and the profile go; a second
// teardown has nothing to do, says why, and exits 0.
func TestTeardownLeavesCloudFormationObjects(t *testing.T) {
	srv, home := motoHome(t, nil)
	awsboot := specRunner(t, home, "version: 1\nstack: cfn\npolicy_style: inline\nbucket: {name: cfn-bucket}\naccess:\n  - {name: ci, grant: cache, user: cfn-user, write: {aws_profile: cfn}}\n")
	if out, code := awsboot("bootstrap", "--auto-approve"); code != 0 {
		t.Fatalf("bootstrap: exit %d\n%s", code, out)
	}
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithBaseEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	iamc := iam.NewFromConfig(cfg)
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("cfn-bucket"), Key: aws.String("cache/a"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	tags, err := s3c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("cfn-bucket")})
	if err != nil {
		t.Fatal(err)
	}
	set := append(tags.TagSet, s3types.Tag{Key: aws.String(engine.CloudFormationStackTag), Value: aws.String("StackSet-cfn-1")})
	if _, err := s3c.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String("cfn-bucket"), Tagging: &s3types.Tagging{TagSet: set}}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.TagUser(ctx, &iam.TagUserInput{UserName: aws.String("cfn-user"), Tags: []iamtypes.Tag{{Key: aws.String(engine.CloudFormationStackTag), Value: aws.String("StackSet-cfn-1")}}}); err != nil {
		t.Fatal(err)
	}

	out, code := awsboot("plan", "--detailed-exitcode")
	if code != 0 || !strings.Contains(out, `No changes. Stack "cfn" matches the spec.`) ||
		!strings.Contains(out, `# note: managed by CloudFormation stack "StackSet-cfn-1": a change awsboot makes here is drift from the stack's template`) {
		t.Errorf("plan: exit %d\n%s", code, out)
	}

	reason := `managed by CloudFormation stack "StackSet-cfn-1": left in place; delete it with CloudFormation (the stack, or its StackSet instance)`
	out, code = awsboot("teardown", "--delete-data", "--auto-approve")
	for _, want := range []string{
		"# s3_bucket.cfn-bucket is left as it is: " + reason + "; --delete-data does not apply: the bucket is not deleted, so it is not emptied either",
		"# iam_user.cfn-user is left as it is: " + reason,
		"# iam_user_policy.cfn-user/",
		"# iam_access_key.cfn-user will be destroyed",
		"Left in place: 3 objects managed by CloudFormation",
		"Teardown complete! Resources: 0 added, 0 changed, 2 destroyed.",
	} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("teardown: exit %d, want %q in\n%s", code, want, out)
		}
	}
	if _, err := s3c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("cfn-bucket"), Key: aws.String("cache/a")}); err != nil {
		t.Errorf("--delete-data emptied a bucket CloudFormation manages: %v", err)
	}
	keys, err := iamc.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String("cfn-user")})
	if err != nil || len(keys.AccessKeyMetadata) != 0 {
		t.Errorf("the user's keys after teardown: %+v, %v; want none", keys, err)
	}

	out, code = awsboot("teardown", "--auto-approve")
	if code != 0 || !strings.HasPrefix(out, `Nothing to destroy: stack "cfn" owns nothing that still exists besides what CloudFormation manages, which is left in place (3 objects, below).`) ||
		!strings.Contains(out, "# iam_user.cfn-user is left as it is: "+reason) {
		t.Errorf("second teardown: exit %d\n%s", code, out)
	}
}
