package provision

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/faultproxy"
	"github.com/awsboot/awsboot/provision/localfile"
)

// newFaultEnv is a test world whose every AWS call goes through a fault
// proxy in front of the (reset) emulator.
func newFaultEnv(t *testing.T, o faultproxy.Options) (*testEnv, *faultproxy.Proxy) {
	t.Helper()
	if moto == nil {
		t.Skip("AWSBOOT_SKIP_MOTO is set: skipping a test against the emulator")
	}
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	px, err := faultproxy.Start(moto.URL, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Stop)
	e := newTestEnvAt(t, px.URL)
	// Retries wait milliseconds, not the SDK's seconds: the faults are
	// many and the test is bounded.
	c, err := awsapi.Connect(e.ctx, awsapi.ConnectOptions{Endpoint: px.URL, Region: "us-east-1", ProbeManagedPolicies: true, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e, px
}

// TestLostCreateAccessKeyReplyMakesNoSecondKey: IAM creates the key and
// the answer is lost (a 500 after the fact). The SDK must not retry the
// create blindly (a second key): awsboot deletes the key whose secret was
// lost and creates one more, so the same run ends with one key, the one
// in the file. Lost answers every time end the run, and the next run
// deletes the orphan.
func TestLostCreateAccessKeyReplyMakesNoSecondKey(t *testing.T) {
	e, px := newFaultEnv(t, faultproxy.Options{})
	s := e.spec("semaphore-cache.yaml")
	px.Add(faultproxy.Rule{Op: "iam:CreateAccessKey", Fault: faultproxy.InternalError, After: true, Times: 1})
	e.apply(s, engine.ModeApply, runOpts{})
	e.assertOneKeyInFile("semaphore")
	if got := px.Injected(); len(got) != 1 {
		t.Fatalf("faults injected: %v", got)
	}

	// Every attempt's answer lost: the run fails with one orphan at most,
	// and the next run converges.
	e.deleteAllKeys("semaphore")
	if err := os.Remove(e.files.Credentials); err != nil {
		t.Fatal(err)
	}
	px.Add(faultproxy.Rule{Op: "iam:CreateAccessKey", Fault: faultproxy.InternalError, After: true, Times: 3})
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.applyPlan(p); err == nil || !strings.Contains(err.Error(), "creating access key") {
		t.Fatalf("apply when every CreateAccessKey answer is lost: %v", err)
	}
	if got := e.keyIDs("semaphore"); len(got) > 1 {
		t.Fatalf("keys after lost answers = %v, want at most the last attempt's", got)
	}
	e.apply(s, engine.ModeApply, runOpts{})
	e.assertOneKeyInFile("semaphore")
	if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Fatalf("plan after: %v, %v", allDiffs(p), err)
	}
}

// TestLostCreatePolicyVersionReplyMakesNoDuplicate: the same for a policy
// repaired with a new version.
func TestLostCreatePolicyVersionReplyMakesNoDuplicate(t *testing.T) {
	e, px := newFaultEnv(t, faultproxy.Options{})
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	arn := aws.String("arn:aws:iam::" + e.c.Account.ID + ":policy/semaphore-cache-policy")
	_, err := e.iam().CreatePolicyVersion(e.ctx, &iam.CreatePolicyVersionInput{PolicyArn: arn, SetAsDefault: true,
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	px.Add(faultproxy.Rule{Op: "iam:CreatePolicyVersion", Fault: faultproxy.InternalError, After: true, Times: 1})
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.applyPlan(p); err == nil {
		t.Fatal("apply after a lost CreatePolicyVersion reply succeeded: it was retried")
	}
	e.apply(s, engine.ModeApply, runOpts{})
	versions, err := e.iam().ListPolicyVersions(e.ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	// awsboot's first, the one made by hand, the repair: no duplicate.
	if n := len(versions.Versions); n != 3 {
		t.Errorf("policy versions = %d, want 3", n)
	}
	if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Fatalf("plan after repair: %v, %v", allDiffs(p), err)
	}
}

// TestUnknownKeyOfOwnedUserIsDrift: a second key of the stack's user that
// is not in the profile shows in plan and bootstrap deletes it.
func TestUnknownKeyOfOwnedUserIsDrift(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	extra, err := e.iam().CreateAccessKey(e.ctx, &iam.CreateAccessKeyInput{UserName: aws.String("semaphore")})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := allDiffs(p), []string{"iam_access_key.semaphore unknown_key"}; !slicesEqual(got, want) {
		t.Fatalf("diffs = %v, want %v", got, want)
	}
	if !strings.Contains(planText(p), aws.ToString(extra.AccessKey.AccessKeyId)) {
		t.Errorf("the plan does not name the extra key:\n%s", planText(p))
	}
	if err := e.applyPlan(p); err != nil {
		t.Fatal(err)
	}
	e.assertOneKeyInFile("semaphore")
}

// TestLostProfileConvergesInOneRun: the credentials file is lost after
// bootstrap, so the user's key has no secret anywhere awsboot can see.
// The next bootstrap makes a second key, proves it, then deletes the lost
// one, and the plan after it has no change (it used to take a second
// bootstrap to delete the lost key).
func TestLostProfileConvergesInOneRun(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	keys, err := e.iam().ListAccessKeys(e.ctx, &iam.ListAccessKeysInput{UserName: aws.String("semaphore")})
	if err != nil || len(keys.AccessKeyMetadata) != 1 {
		t.Fatalf("keys after bootstrap: %v %v", keys, err)
	}
	lost := aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId)
	if err := os.Remove(e.files.Credentials); err != nil {
		t.Fatal(err)
	}
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if got := allDiffs(p); !slices.Contains(got, "iam_access_key.semaphore unknown_key") {
		t.Errorf("the plan does not show the lost key going: %v", got)
	}
	if !strings.Contains(planText(p), lost) {
		t.Errorf("the plan does not name the lost key %s:\n%s", lost, planText(p))
	}
	if err := e.applyPlan(p); err != nil {
		t.Fatal(err)
	}
	e.assertOneKeyInFile("semaphore")
	e.assertRerunIsNoOp(s)
}

func slicesEqual(a, b []string) bool { return strings.Join(a, "\n") == strings.Join(b, "\n") }

// assertOneKeyInFile checks that the user has exactly one access key and
// that it is the one in the written credentials profile.
func (e *testEnv) assertOneKeyInFile(user string) {
	e.t.Helper()
	keys := e.keyIDs(user)
	if len(keys) != 1 {
		e.t.Fatalf("user %s has keys %v, want exactly one", user, keys)
	}
	if creds := readFile(e.t.(*testing.T), e.files.Credentials); !strings.Contains(creds, "aws_access_key_id = "+keys[0]) {
		e.t.Errorf("the credentials file does not hold the user's key %s", keys[0])
	}
}

// providerCount is how many OIDC providers the account has.
func (e *testEnv) providerCount() int {
	e.t.Helper()
	out, err := e.iam().ListOpenIDConnectProviders(e.ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(out.OpenIDConnectProviderList)
}

// TestInterruptedProviderTeardownConverges: a teardown whose provider
// deletion fails (the connection keeps resetting) leaves a provider the
// next teardown still deletes; and a provider an older awsboot left
// untagged but not deleted (stopped between the two calls) is recognised
// as the stack's and deleted.
func TestInterruptedProviderTeardownConverges(t *testing.T) {
	e, px := newFaultEnv(t, faultproxy.Options{})
	s := e.spec("semaphore-oidc.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	px.Add(faultproxy.Rule{Op: "iam:DeleteOpenIDConnectProvider", Fault: faultproxy.Reset, Times: 10})
	p, err := e.plan(s, engine.ModeDestroy, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.applyPlan(p); err == nil {
		t.Fatal("teardown succeeded although every DeleteOpenIDConnectProvider was reset")
	}
	// One call decides: the failed delete left the stack's use in place.
	arn := aws.String("arn:aws:iam::" + e.c.Account.ID + ":oidc-provider/acme.semaphoreci.com")
	tags, err := e.iam().ListOpenIDConnectProviderTags(e.ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: arn})
	if err != nil || !hasTag(tags.Tags, "awsboot:uses:"+s.Stack, "true") {
		t.Fatalf("after the failed teardown the provider's tags are %v (%v): the uses tag went before the provider", tags, err)
	}
	px.Clear()
	e.apply(s, engine.ModeDestroy, runOpts{})
	if n := e.providerCount(); n != 0 {
		t.Fatalf("providers after the second teardown = %d, want 0", n)
	}

	// The state an older awsboot left: the uses tag gone, the provider not.
	e.apply(s, engine.ModeApply, runOpts{})
	out, err := e.iam().ListOpenIDConnectProviders(e.ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(out.OpenIDConnectProviderList) != 1 {
		t.Fatalf("providers = %v, %v", out, err)
	}
	if _, err := e.iam().UntagOpenIDConnectProvider(e.ctx, &iam.UntagOpenIDConnectProviderInput{
		OpenIDConnectProviderArn: out.OpenIDConnectProviderList[0].Arn, TagKeys: []string{"awsboot:uses:" + s.Stack},
	}); err != nil {
		t.Fatal(err)
	}
	e.apply(s, engine.ModeDestroy, runOpts{})
	if n := e.providerCount(); n != 0 {
		t.Errorf("an orphaned provider of this stack survived teardown: %d left", n)
	}
	e.assertNothingOwned()
}

// TestKilledWriteLeavesNoTempFile: a write killed between creating its
// temporary file and renaming it leaves ".credentials.tmp-*" (0600, with
// a secret) beside the file; the next run's write of the file removes it.
func TestKilledWriteLeavesNoTempFile(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	stale := filepath.Join(filepath.Dir(e.files.Credentials), ".credentials.tmp-4242")
	writeFile(t, stale, "[default]\naws_secret_access_key = from-a-killed-run\n")
	e.apply(s, engine.ModeApply, runOpts{})
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the killed write's temporary file is still there: %v", err)
	}
}

// TestBucketCreatedButNotTaggedIsFinished: against an S3-compatible
// endpoint the ownership tag is a second call. When every
// PutBucketTagging fails after CreateBucket, the next run finishes the
// bucket (the local journal says this stack made it) instead of refusing
// it as someone else's, and a teardown at that point deletes it.
func TestBucketCreatedButNotTaggedIsFinished(t *testing.T) {
	for _, next := range []engine.Mode{engine.ModeApply, engine.ModeDestroy} {
		t.Run(next.String(), func(t *testing.T) {
			e, px := newFaultEnv(t, faultproxy.Options{})
			s := e.spec("semaphore-cache.yaml")
			px.Add(faultproxy.Rule{Op: "s3:PUT ?tagging", Fault: faultproxy.Reset, Times: 10})
			p, err := e.plan(s, engine.ModeApply, runOpts{})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.applyPlan(p); err == nil {
				t.Fatal("bootstrap succeeded although every PutBucketTagging was reset")
			}
			px.Clear()
			if _, err := e.s3().HeadBucket(e.ctx, &s3.HeadBucketInput{Bucket: aws.String("semaphore-cache")}); err != nil {
				t.Fatalf("the bucket was not created: %v", err)
			}
			e.apply(s, next, runOpts{})
			if next == engine.ModeDestroy {
				e.assertNothingOwned()
				if _, err := e.s3().HeadBucket(e.ctx, &s3.HeadBucketInput{Bucket: aws.String("semaphore-cache")}); err == nil {
					t.Error("teardown left the half-made bucket")
				}
				return
			}
			if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
				t.Fatalf("plan after the finishing run: %v, %v", allDiffs(p), err)
			}
			if has, err := localfile.NewIntents(s.Stack).Has("s3_bucket.semaphore-cache"); err != nil || has {
				t.Errorf("the journal still holds the bucket's intent: %v, %v", has, err)
			}
		})
	}
}

// TestNoChangesOnlyWhenTheSDKAgrees: the credentials file's [default]
// gains a region (the AWS SDK for Go reads region from both files, the
// credentials file last), so the tools would talk to another region than
// the profile awsboot wrote: plan must not say "No changes", and says
// why; a section defined twice is refused with its lines.
func TestNoChangesOnlyWhenTheSDKAgrees(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	creds := readFile(t, e.files.Credentials)
	writeFile(t, e.files.Credentials, strings.Replace(creds, "[default]\n", "[default]\nregion = eu-west-1\n", 1))
	_, err := e.plan(s, engine.ModeApply, runOpts{})
	if !errors.Is(err, ErrProfileMismatch) || !strings.Contains(err.Error(), `profile "default": the AWS SDK resolves region "eu-west-1", awsboot wrote "us-east-1"`) {
		t.Fatalf("plan over a profile the SDK reads differently: %v", err)
	}
	writeFile(t, e.files.Credentials, creds+"\n[default]\naws_access_key_id = AKIAOTHER\n")
	_, err = e.plan(s, engine.ModeApply, runOpts{})
	if !errors.Is(err, consumers.ErrAmbiguousProfile) || !strings.Contains(err.Error(), "section [default] appears 2 times") {
		t.Fatalf("plan over a section defined twice: %v", err)
	}
}

// faultSeed is the seed of TestRandomFaultsConverge: fixed, so a failure
// repeats; AWSBOOT_FAULT_SEED tries another.
func faultSeed(t *testing.T) int64 {
	if v := os.Getenv("AWSBOOT_FAULT_SEED"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			t.Fatalf("AWSBOOT_FAULT_SEED: %v", err)
		}
		return n
	}
	return 20261129
}

// TestRandomFaultsConverge bootstraps and tears down every example
// through the fault proxy at a 20% fault rate (500s, SlowDown,
// Throttling, resets; before and after the emulator acted). Each
// converges within three runs to exactly the desired state: no change
// left, one key per user and it is the one in the file, one version per
// policy, and after teardown nothing owned.
func TestRandomFaultsConverge(t *testing.T) {
	seed := faultSeed(t)
	examples, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil || len(examples) == 0 {
		t.Fatal("no examples")
	}
	for i, path := range examples {
		ex := filepath.Base(path)
		t.Run(ex, func(t *testing.T) {
			e, px := newFaultEnv(t, faultproxy.Options{Seed: seed + int64(i)})
			s := e.spec(ex)
			converge := func(mode engine.Mode) {
				t.Helper()
				for run := 1; run <= 3; run++ {
					px.SetRate(0.2)
					p, err := e.plan(s, mode, runOpts{})
					if err == nil {
						err = e.applyPlan(p)
					}
					px.SetRate(0)
					if err == nil {
						t.Logf("%s converged in run %d", mode, run)
						return
					}
					t.Logf("%s run %d: %v", mode, run, err)
				}
				t.Fatalf("%s did not converge within three runs (seed %d); faults injected: %v", mode, seed+int64(i), px.Injected())
			}
			converge(engine.ModeApply)
			if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
				t.Fatalf("after bootstrap: %v, %v", allDiffs(p), err)
			}
			for _, a := range s.Access {
				if a.User != "" {
					e.assertOneKeyInFile(a.User)
				}
				if a.User == "" && a.Role == "" {
					continue
				}
				arn := aws.String("arn:aws:iam::" + e.c.Account.ID + ":policy/" + a.Policy)
				if v, err := e.iam().ListPolicyVersions(e.ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn}); err != nil || len(v.Versions) != 1 {
					t.Errorf("policy %s: versions %v, %v; want exactly one", a.Policy, v, err)
				}
			}
			converge(engine.ModeDestroy)
			e.assertNothingOwned()
			if n := e.providerCount(); n != 0 {
				t.Errorf("%d OIDC providers left after teardown", n)
			}
		})
	}
}
