package provision

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/spec"
)

// planText flattens a plan's notes, reasons and diffs into lines
// ("address path: before -> after"), for tests that look for one of them;
// the rendered plan itself is pinned by cmd/awsboot's golden files.
func planText(p *engine.Plan) string {
	var b strings.Builder
	for _, c := range p.Changes {
		for _, n := range append([]string{c.Reason}, c.Notes...) {
			if n != "" {
				fmt.Fprintf(&b, "%s # %s\n", c.Addr, n)
			}
		}
		for _, d := range c.Diffs {
			fmt.Fprintf(&b, "%s %s %s: \"%s\" -> \"%s\"\n", c.Action.Symbol(), c.Addr, d.Path, d.Before, d.After)
		}
	}
	add, change, destroy := p.Counts()
	fmt.Fprintf(&b, "Plan: %d to add, %d to change, %d to destroy.\n", add, change, destroy)
	return b.String()
}

// allDiffs flattens a plan into "address path" lines.
func allDiffs(p *engine.Plan) []string {
	var out []string
	for _, c := range p.Changes {
		for _, d := range c.Diffs {
			out = append(out, string(c.Addr)+" "+string(d.Path))
		}
	}
	return out
}

// TestDriftIsShownAndRepaired is point 5: two settings changed by hand show
// as exactly two field-level changes; bootstrap repairs them.
func TestDriftIsShownAndRepaired(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})

	_, err := e.c.S3.PutPublicAccessBlock(e.ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String("semaphore-cache"),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
			BlockPublicPolicy: aws.Bool(false), RestrictPublicBuckets: aws.Bool(true),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	wider := policies.Cache(policies.Scope{Bucket: "semaphore-cache"})
	wider.Statement[0].Action = append(wider.Statement[0].Action, "s3:PutObjectAcl")
	_, err = e.c.IAM.CreatePolicyVersion(e.ctx, &iam.CreatePolicyVersionInput{
		PolicyArn:      aws.String("arn:aws:iam::" + e.c.Account.ID + ":policy/semaphore-cache-policy"),
		PolicyDocument: aws.String(wider.JSON()), SetAsDefault: true,
	})
	if err != nil {
		t.Fatal(err)
	}

	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"s3_bucket.semaphore-cache public_access_block.block_public_policy",
		"iam_policy.semaphore-cache-policy document",
	}
	if diff := cmp.Diff(want, allDiffs(p)); diff != "" {
		t.Fatalf("drift diffs (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	out.WriteString(planText(p))
	for _, line := range []string{
		`~ s3_bucket.semaphore-cache public_access_block.block_public_policy: "false" -> "true"`,
		`"s3:PutObjectAcl"`,
		"Plan: 0 to add, 2 to change, 0 to destroy.",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("plan output lacks %q:\n%s", line, out.String())
		}
	}

	e.apply(s, engine.ModeApply, runOpts{})
	p, err = e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Errorf("plan after repair still has changes: %v", allDiffs(p))
	}
}

// TestExtraPermissionsOnUserAreDrift: a policy attached to the stack's user
// by hand widens its access, so it is drift that bootstrap removes.
func TestExtraPermissionsOnUserAreDrift(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	_, err := e.iam().PutUserPolicy(e.ctx, &iam.PutUserPolicyInput{
		UserName: aws.String("semaphore"), PolicyName: aws.String("debug"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"iam_user.semaphore inline_policies"}, allDiffs(p)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	e.apply(s, engine.ModeApply, runOpts{})
	out, err := e.iam().ListUserPolicies(e.ctx, &iam.ListUserPoliciesInput{UserName: aws.String("semaphore")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.PolicyNames) != 0 {
		t.Errorf("inline policies left: %v", out.PolicyNames)
	}
}

const otherCredentials = `# keys for the build server
[other]
aws_access_key_id = AKIAOTHEROTHEROTHER1
aws_secret_access_key = other-secret
`

const otherConfig = `[profile other]
region = eu-west-1
output = text
`

const agentConfig = `endpoint: "acme.semaphoreci.com"
token: "not-a-real-token"
name-prefix: build
# pass through to jobs
env-vars:
  - TZ=UTC
files: []
fail-on-missing-files: false
`

// TestTeardownLeavesOnlyOthers is point 6: teardown removes everything the
// stack owns; unrelated profiles and agent settings stay byte for byte; a
// second teardown changes nothing.
func TestTeardownLeavesOnlyOthers(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	agentPath := filepath.Join(e.dir, "agent", "config.yaml")
	writeFile(t, e.files.Credentials, otherCredentials)
	writeFile(t, e.files.Config, otherConfig)
	writeFile(t, agentPath, agentConfig)

	e.apply(s, engine.ModeApply, runOpts{})
	if got := readFile(t, agentPath); !strings.Contains(got, "SEMAPHORE_CACHE_S3_BUCKET=semaphore-cache") || !strings.HasPrefix(got, "endpoint:") {
		t.Fatalf("agent config after bootstrap:\n%s", got)
	}
	p := e.apply(s, engine.ModeDestroy, runOpts{})
	if _, _, del := p.Counts(); del != 7 {
		t.Errorf("teardown destroyed %d resources, want 7", del)
	}

	for path, want := range map[string]string{e.files.Credentials: otherCredentials, e.files.Config: otherConfig, agentPath: agentConfig} {
		if diff := cmp.Diff(want, readFile(t, path)); diff != "" {
			t.Errorf("%s not restored byte for byte (-want +got):\n%s", path, diff)
		}
	}
	e.assertNothingOwned()

	p, err := e.plan(s, engine.ModeDestroy, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Errorf("second teardown plans changes: %+v", p.Changes)
	}
	if err := e.applyPlan(p); err != nil {
		t.Errorf("second teardown: %v", err)
	}
}

func (e *testEnv) assertNothingOwned() {
	e.t.Helper()
	out, err := e.s3().ListBuckets(e.ctx, &s3.ListBucketsInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(out.Buckets) != 0 {
		e.t.Errorf("buckets left: %d", len(out.Buckets))
	}
	users, err := e.iam().ListUsers(e.ctx, &iam.ListUsersInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(users.Users) != 0 {
		e.t.Errorf("users left: %v", aws.ToString(users.Users[0].UserName))
	}
	pols, err := e.iam().ListPolicies(e.ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(pols.Policies) != 0 {
		e.t.Errorf("policies left: %v", aws.ToString(pols.Policies[0].PolicyName))
	}
}

// TestTeardownKeepsData: a bucket holding objects survives teardown unless
// --delete-data is given; then every version goes with it.
func TestTeardownKeepsData(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	if _, err := e.s3().PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("semaphore-cache"), Key: aws.String("k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	p := e.apply(s, engine.ModeDestroy, runOpts{})
	var kept *engine.Change
	for i := range p.Changes {
		if p.Changes[i].Addr == "s3_bucket.semaphore-cache" {
			kept = &p.Changes[i]
		}
	}
	if kept == nil || kept.Action != engine.NoOp || !strings.Contains(kept.Reason, "--delete-data") {
		t.Fatalf("bucket change = %+v, want kept with a reason naming --delete-data", kept)
	}
	if _, err := e.c.S3.HeadBucket(e.ctx, &s3.HeadBucketInput{Bucket: aws.String("semaphore-cache")}); err != nil {
		t.Fatalf("bucket with data was deleted: %v", err)
	}
	e.apply(s, engine.ModeDestroy, runOpts{deleteData: true})
	e.assertNothingOwned()
}

// TestUntaggedBucketIsNotTakenOver is point 7.
func TestUntaggedBucketIsNotTakenOver(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	if _, err := e.s3().CreateBucket(e.ctx, &s3.CreateBucketInput{Bucket: aws.String("semaphore-cache")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.plan(s, engine.ModeApply, runOpts{})
	var no *engine.NotOwnedError
	if !errors.As(err, &no) || no.Addr != "s3_bucket.semaphore-cache" {
		t.Fatalf("plan error = %v, want engine.NotOwnedError for the bucket", err)
	}
	if !strings.Contains(err.Error(), "--adopt") {
		t.Errorf("error does not explain the way out: %v", err)
	}
	p := e.apply(s, engine.ModeDestroy, runOpts{})
	if p.HasChanges() {
		t.Errorf("teardown of a stack that owns nothing plans changes: %+v", p.Changes)
	}
	if _, err := e.c.S3.HeadBucket(e.ctx, &s3.HeadBucketInput{Bucket: aws.String("semaphore-cache")}); err != nil {
		t.Fatalf("teardown deleted the untagged bucket: %v", err)
	}

	// --adopt takes it over explicitly: the plan says so and tags it.
	p = e.apply(s, engine.ModeApply, runOpts{adopt: true})
	if p.Changes[0].Addr != "s3_bucket.semaphore-cache" || !strings.Contains(p.Changes[0].Reason, "adopt") {
		t.Errorf("first change = %+v, want the adopted bucket", p.Changes[0])
	}
	p, err = e.plan(s, engine.ModeApply, runOpts{})
	if err != nil || p.HasChanges() {
		t.Errorf("after adopting: err=%v changes=%v", err, allDiffs(p))
	}
}

// TestInterruptedKeyCreationConverges: a run killed between CreateAccessKey
// and writing the secret leaves a key nobody can use; the next run deletes
// that orphan and ends with exactly one key, the one in the file.
func TestInterruptedKeyCreationConverges(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	// Rewind to "the run died right after CreateAccessKey": no profile in
	// the credentials file, the user marked as creating a key, one key.
	e.deleteAllKeys("semaphore")
	if err := os.Remove(e.files.Credentials); err != nil {
		t.Fatal(err)
	}
	_, err := e.c.IAM.TagUser(e.ctx, &iam.TagUserInput{UserName: aws.String("semaphore"), Tags: []iamtypes.Tag{{
		Key: aws.String(awskinds.PendingKeyTag), Value: aws.String(time.Now().UTC().Format(time.RFC3339)),
	}}})
	if err != nil {
		t.Fatal(err)
	}
	orphan, err := e.c.IAM.CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{UserName: aws.String("semaphore")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{
		"iam_access_key.semaphore orphaned_key",
		"iam_access_key.semaphore access_key_id",
		"iam_access_key.semaphore secret_access_key",
		"iam_access_key.semaphore credentials_file",
		"iam_access_key.semaphore profile",
	}, allDiffs(p)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if err := e.applyPlan(p); err != nil {
		t.Fatal(err)
	}
	keys := e.keyIDs("semaphore")
	if len(keys) != 1 || keys[0] == *orphan.AccessKey.AccessKeyId {
		t.Fatalf("keys after recovery = %v (orphan %s)", keys, *orphan.AccessKey.AccessKeyId)
	}
	if !strings.Contains(readFile(t, e.files.Credentials), keys[0]) {
		t.Error("the remaining key is not the one in the credentials file")
	}
	user, err := e.c.IAM.GetUser(e.ctx, &iam.GetUserInput{UserName: aws.String("semaphore")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range user.User.Tags {
		if aws.ToString(tg.Key) == awskinds.PendingKeyTag {
			t.Error("pending tag left on the user")
		}
	}
}

// TestUnknownKeys: with one key whose secret is elsewhere a second one
// is made (and the first deleted once it works: the plan's note says so,
// TestLostProfileConvergesInOneRun follows it); with two such keys
// awsboot stops and explains.
func TestUnknownKeys(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	first := e.keyIDs("semaphore")
	if err := os.Remove(e.files.Credentials); err != nil {
		t.Fatal(err)
	}
	p := e.apply(s, engine.ModeApply, runOpts{})
	noted := false
	for _, c := range p.Changes {
		if c.Addr == "iam_access_key.semaphore" {
			noted = len(c.Notes) == 1 && strings.Contains(c.Notes[0], first[0])
		}
	}
	if !noted {
		t.Errorf("the key's change has no note about the existing key %s", first[0])
	}
	if got := e.keyIDs("semaphore"); len(got) != 1 || got[0] == first[0] {
		t.Fatalf("keys = %v, want one, not %s", got, first[0])
	}
	// A second key made by hand, then the profile lost: two keys whose
	// secrets awsboot cannot see.
	if _, err := e.iam().CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{UserName: aws.String("semaphore")}); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(e.files.Credentials); err != nil {
		t.Fatal(err)
	}
	_, err := e.plan(s, engine.ModeApply, runOpts{})
	if err == nil || !strings.Contains(err.Error(), "already has two access keys") || !strings.Contains(err.Error(), "aws iam delete-access-key --user-name semaphore") {
		t.Fatalf("plan error = %v", err)
	}
}

func (e *testEnv) keyIDs(user string) []string {
	e.t.Helper()
	out, err := e.c.IAM.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, k := range out.AccessKeyMetadata {
		ids = append(ids, aws.ToString(k.AccessKeyId))
	}
	return ids
}

func (e *testEnv) deleteAllKeys(user string) {
	e.t.Helper()
	for _, id := range e.keyIDs(user) {
		if _, err := e.c.IAM.DeleteAccessKey(e.ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id)}); err != nil {
			e.t.Fatal(err)
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestLifecycleAndVersioningDrift: every created bucket gets the
// abort-multipart rule; the Bacalhau example's expiry rule and versioning
// setting are enforced, and changes by hand show as drift and are repaired.
func TestLifecycleAndVersioningDrift(t *testing.T) {
	e := newTestEnv(t)
	for _, ex := range []string{"semaphore-cache.yaml", "bacalhau-publisher.yaml"} {
		e.apply(e.spec(ex), engine.ModeApply, runOpts{})
	}
	rules := func(bucket string) map[string]string {
		out, err := e.s3().GetBucketLifecycleConfiguration(e.ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(bucket)})
		if err != nil {
			t.Fatalf("%s: %v", bucket, err)
		}
		m := map[string]string{}
		for _, r := range out.Rules {
			m[aws.ToString(r.ID)] = awskinds.ObservedRule(r).String()
		}
		return m
	}
	abort := `prefix="", abort incomplete multipart uploads after 1 day`
	if diff := cmp.Diff(map[string]string{spec.AbortRuleID: abort}, rules("semaphore-cache")); diff != "" {
		t.Errorf("cache bucket rules (-want +got):\n%s", diff)
	}
	want := map[string]string{spec.AbortRuleID: abort, "expire-bacalhau-managed-publisher": `prefix="bacalhau-managed-publisher/", expire after 7 days`}
	if diff := cmp.Diff(want, rules("my-result-bucket")); diff != "" {
		t.Errorf("results bucket rules (-want +got):\n%s", diff)
	}

	s := e.spec("bacalhau-publisher.yaml")
	if _, err := e.s3().PutBucketVersioning(e.ctx, &s3.PutBucketVersioningInput{Bucket: aws.String("my-result-bucket"),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatusEnabled}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3().PutBucketLifecycleConfiguration(e.ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String("my-result-bucket"),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{
			ID: aws.String("expire-bacalhau-managed-publisher"), Status: s3types.ExpirationStatusEnabled,
			Filter:     &s3types.LifecycleRuleFilter{Prefix: aws.String("bacalhau-managed-publisher/")},
			Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(365)},
		}}}}); err != nil {
		t.Fatal(err)
	}
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{
		"s3_bucket.my-result-bucket versioning",
		"s3_bucket.my-result-bucket lifecycle.awsboot-abort-incomplete-multipart",
		"s3_bucket.my-result-bucket lifecycle.expire-bacalhau-managed-publisher",
	}, allDiffs(p)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	e.apply(s, engine.ModeApply, runOpts{})
	if diff := cmp.Diff(want, rules("my-result-bucket")); diff != "" {
		t.Errorf("after repair (-want +got):\n%s", diff)
	}
	if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Errorf("after repair: %v %v", err, allDiffs(p))
	}
}

// TestTwoUsersShareTheFiles: two access entries write their profiles to
// the same credentials and config files concurrently; neither edit may be
// lost (each file's read-modify-write is serialised).
func TestTwoUsersShareTheFiles(t *testing.T) {
	e := newTestEnv(t)
	writeFile(t, filepath.Join(e.dir, "two.yaml"), `version: 1
stack: two
region: us-east-1
bucket: {name: shared-bucket}
access:
  - {name: one, grant: cache, prefix: one, user: one, write: {aws_profile: one}}
  - {name: two, grant: cache, prefix: two, user: two, write: {aws_profile: two}}
  - {name: three, grant: publisher, prefix: three, user: three, write: {aws_profile: three}}
`)
	s, err := LoadSpec(filepath.Join(e.dir, "two.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e.apply(s, engine.ModeApply, runOpts{})
	creds, config := readFile(t, e.files.Credentials), readFile(t, e.files.Config)
	for _, p := range []string{"one", "two", "three"} {
		if !strings.Contains(creds, "["+p+"]") || !strings.Contains(config, "[profile "+p+"]") {
			t.Errorf("profile %s lost:\n%s\n%s", p, redact(creds), config)
		}
	}
	if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Errorf("second plan: %v %v", err, allDiffs(p))
	}
}
