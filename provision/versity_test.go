package provision

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/versitytest"
)

const versitySpec = `version: 1
stack: gateway
region: us-east-1
endpoint: %S3%
iam_endpoint: %IAM%
bucket:
  name: gateway-bucket
  lifecycle:
    - {prefix: results/, expire_days: 7}
access:
  - name: orchestrator
    grant: publisher
    prefix: results
    user: orchestrator
    presign_expiry: 1h
    write: {aws_profile: orchestrator}
  - name: cache
    grant: cache
    prefix: cache
    user: cache-agent
    write: {aws_profile: cache}
`

// TestVersityGateway is the Bacalhau issue's point 5: against a real
// S3-compatible server that checks SigV4 and enforces IAM but has no
// managed policies and no public-access-block API, the publisher and cache
// scenarios bootstrap with inline policies (the automatic fallback, named
// in the plan), the plan names every bucket setting it skips, verify
// passes with the refusals checked, and teardown leaves nothing.
func TestVersityGateway(t *testing.T) {
	if _, err := versitytest.Binary(); err != nil {
		t.Skipf("skipping the Versity S3 Gateway test: %v", err)
	}
	g, err := versitytest.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.Stop)
	t.Setenv("AWS_ACCESS_KEY_ID", versitytest.RootAccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", versitytest.RootSecretKey)
	ctx := context.Background()
	c, err := awsapi.Connect(ctx, awsapi.ConnectOptions{Endpoint: g.S3URL, IAMEndpoint: g.IAMURL, Region: "us-east-1", ProbeManagedPolicies: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	e := &testEnv{t: t, ctx: ctx, c: c, dir: dir, endpoint: g.S3URL,
		files: consumers.AWSFiles{Config: filepath.Join(dir, ".aws", "config"), Credentials: filepath.Join(dir, ".aws", "credentials")}}
	spec := strings.NewReplacer("%S3%", g.S3URL, "%IAM%", g.IAMURL).Replace(versitySpec)
	writeFile(t, filepath.Join(dir, "gateway.yaml"), spec)
	s, err := LoadSpec(filepath.Join(dir, "gateway.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	p := e.apply(s, engine.ModeApply, runOpts{})
	var out bytes.Buffer
	out.WriteString(planText(p))
	if !strings.Contains(out.String(), "so the grant is an inline policy") {
		t.Errorf("the plan does not state the inline fallback:\n%s", out.String())
	}

	p, err = e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Fatalf("second plan has changes: %v", allDiffs(p))
	}
	out.Reset()
	out.WriteString(planText(p))
	for _, setting := range []string{"public_access_block", "encryption", "lifecycle"} {
		if !strings.Contains(out.String(), "skipped: "+setting+" (this S3-compatible service does not implement it)") {
			t.Errorf("the plan does not name the skipped %s:\n%s", setting, out.String())
		}
	}

	checks, err := Verify(ctx, c, s, e.files, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 14 {
		t.Errorf("%d checks, want 7 per access entry", len(checks))
	}
	for _, ch := range checks {
		if ch.Result != "ok" {
			t.Errorf("verify %s %s: %s %s", ch.Access, ch.Check, ch.Result, ch.Detail)
		}
	}

	e.apply(s, engine.ModeDestroy, runOpts{})
	buckets, err := c.S3.(*s3.Client).ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(buckets.Buckets) != 0 {
		t.Errorf("buckets left: %v %v", buckets, err)
	}
	users, err := c.IAM.(*iam.Client).ListUsers(ctx, &iam.ListUsersInput{})
	if err != nil || len(users.Users) != 0 {
		t.Errorf("users left: %v %v", users, err)
	}
	if p, err := e.plan(s, engine.ModeDestroy, runOpts{}); err != nil || p.HasChanges() {
		t.Errorf("second teardown: %v %v", err, allDiffs(p))
	}
}
