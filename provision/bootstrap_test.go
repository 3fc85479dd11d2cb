package provision

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/engine"
)

// TestBootstrapCreatesEverything is point 2 of the core issue: on an empty
// emulator one bootstrap creates the bucket (tagged, public access blocked,
// SSE-S3), the policy (the four actions on the two ARNs), the user, the
// attachment and exactly one key, and writes working profile files.
func TestBootstrapCreatesEverything(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	p := e.apply(s, engine.ModeApply, runOpts{})
	if add, ch, del := p.Counts(); add != 7 || ch != 0 || del != 0 {
		t.Fatalf("plan counts = %d/%d/%d, want 7 to add", add, ch, del)
	}

	tags, err := e.c.S3.GetBucketTagging(e.ctx, &s3.GetBucketTaggingInput{Bucket: aws.String("semaphore-cache")})
	if err != nil {
		t.Fatal(err)
	}
	gotTags := map[string]string{}
	for _, tg := range tags.TagSet {
		gotTags[*tg.Key] = *tg.Value
	}
	if diff := cmp.Diff(map[string]string{engine.StackTag: "semaphore-cache", "team": "ci"}, gotTags); diff != "" {
		t.Errorf("bucket tags (-want +got):\n%s", diff)
	}
	pab, err := e.c.S3.GetPublicAccessBlock(e.ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String("semaphore-cache")})
	if err != nil {
		t.Fatal(err)
	}
	c := pab.PublicAccessBlockConfiguration
	if !*c.BlockPublicAcls || !*c.IgnorePublicAcls || !*c.BlockPublicPolicy || !*c.RestrictPublicBuckets {
		t.Errorf("public access block not fully on: %+v", c)
	}
	enc, err := e.c.S3.GetBucketEncryption(e.ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String("semaphore-cache")})
	if err != nil {
		t.Fatal(err)
	}
	if got := enc.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm; got != s3types.ServerSideEncryptionAes256 {
		t.Errorf("encryption = %s, want AES256", got)
	}

	arn := "arn:aws:iam::" + e.c.Account.ID + ":policy/semaphore-cache-policy"
	pol, err := e.c.IAM.GetPolicy(e.ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	ver, err := e.c.IAM.GetPolicyVersion(e.ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: pol.Policy.DefaultVersionId})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := policies.Parse(*ver.PolicyVersion.Document)
	if err != nil {
		t.Fatal(err)
	}
	actions, resources := map[string]bool{}, map[string]bool{}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || st.Condition != nil || st.Principal != nil {
			t.Errorf("unexpected statement %+v", st)
		}
		for _, a := range st.Action {
			actions[a] = true
		}
		for _, r := range st.Resource {
			resources[r] = true
		}
	}
	if diff := cmp.Diff([]string{"s3:DeleteObject", "s3:GetObject", "s3:ListBucket", "s3:PutObject"}, sortedSet(actions)); diff != "" {
		t.Errorf("policy actions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"arn:aws:s3:::semaphore-cache", "arn:aws:s3:::semaphore-cache/*"}, sortedSet(resources)); diff != "" {
		t.Errorf("policy resources (-want +got):\n%s", diff)
	}

	user, err := e.c.IAM.GetUser(e.ctx, &iam.GetUserInput{UserName: aws.String("semaphore")})
	if err != nil {
		t.Fatal(err)
	}
	if !hasTag(user.User.Tags, engine.StackTag, "semaphore-cache") {
		t.Errorf("user tags = %v", user.User.Tags)
	}
	att, err := e.c.IAM.ListAttachedUserPolicies(e.ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("semaphore")})
	if err != nil {
		t.Fatal(err)
	}
	if len(att.AttachedPolicies) != 1 || *att.AttachedPolicies[0].PolicyArn != arn {
		t.Errorf("attached policies = %+v, want only %s", att.AttachedPolicies, arn)
	}
	keys, err := e.c.IAM.ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String("semaphore")})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.AccessKeyMetadata) != 1 {
		t.Fatalf("user has %d keys, want 1", len(keys.AccessKeyMetadata))
	}

	creds := readFile(t, e.files.Credentials)
	if !strings.Contains(creds, "aws_access_key_id = "+*keys.AccessKeyMetadata[0].AccessKeyId+"\n") {
		t.Errorf("credentials file does not hold the key id under aws_access_key_id:\n%s", redact(creds))
	}
	assertMode(t, e.files.Credentials, 0o600)
	assertMode(t, e.files.Config, 0o600)
	assertMode(t, filepath.Dir(e.files.Credentials), 0o700)
	agent := readFile(t, filepath.Join(e.dir, "agent", "config.yaml"))
	for _, want := range []string{"- SEMAPHORE_CACHE_BACKEND=s3\n", "- SEMAPHORE_CACHE_S3_BUCKET=semaphore-cache\n"} {
		if !strings.Contains(agent, want) {
			t.Errorf("agent config lacks %q:\n%s", want, agent)
		}
	}

	// The written profile works for the cache's four operations with the
	// aws CLI, as the Semaphore cache CLI would use it.
	awsCLI(t, e, "s3api", "put-object", "--bucket", "semaphore-cache", "--key", "cache/k1", "--body", writeTemp(t, "hello"))
	awsCLI(t, e, "s3api", "get-object", "--bucket", "semaphore-cache", "--key", "cache/k1", filepath.Join(e.dir, "out"))
	if got := readFile(t, filepath.Join(e.dir, "out")); got != "hello" {
		t.Errorf("got object %q", got)
	}
	if out := awsCLI(t, e, "s3api", "list-objects-v2", "--bucket", "semaphore-cache", "--query", "Contents[].Key", "--output", "text"); strings.TrimSpace(out) != "cache/k1" {
		t.Errorf("list = %q", out)
	}
	awsCLI(t, e, "s3api", "delete-object", "--bucket", "semaphore-cache", "--key", "cache/k1")
}

// TestSecondBootstrapIsNoOp is point 3: after a bootstrap, planning and
// applying again makes zero mutating calls and rewrites no file.
func TestSecondBootstrapIsNoOp(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	e.assertRerunIsNoOp(s, e.files.Config, e.files.Credentials, filepath.Join(e.dir, "agent", "config.yaml"))
}

func sortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "body")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode = %o, want %o", path, got, want)
	}
}

func mtimes(t testing.TB, paths []string) map[string]time.Time {
	t.Helper()
	out := map[string]time.Time{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		out[p] = fi.ModTime()
	}
	return out
}

// redact hides secrets if a failing test prints a credentials file.
func redact(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "aws_secret_access_key") {
			l = "aws_secret_access_key = (redacted)"
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// awsCLI runs the aws CLI (v1) with only the files awsboot wrote: no
// credentials or endpoint from the environment.
func awsCLI(t *testing.T, e *testEnv, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("aws"); err != nil {
		t.Skip("the aws CLI is not installed; it cross-checks the written profile")
	}
	cmd := exec.Command("aws", args...)
	cmd.Env = append(cleanEnv(), "AWS_CONFIG_FILE="+e.files.Config, "AWS_SHARED_CREDENTIALS_FILE="+e.files.Credentials, "AWS_PROFILE=default")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// cleanEnv is the process environment without any AWS_ setting.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			out = append(out, kv)
		}
	}
	return out
}
