package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/pelletier/go-toml/v2"

	"github.com/awsboot/awsboot/provision/localfile"
)

// rotatedEverywhere fails unless the user has exactly one access key, the
// profile and the runner's config.toml hold it with the same secret, and
// STS accepts it as the user's.
func (w *crashWorld) rotatedEverywhere(what, user, profile, runner string) string {
	w.t.Helper()
	ctx := context.Background()
	keys, err := w.iam.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		w.t.Fatal(err)
	}
	data, _, err := localfile.ReadFileIfExists(filepath.Join(w.home, ".aws", "credentials"))
	if err != nil {
		w.t.Fatal(err)
	}
	ini := localfile.ParseINI(data)
	id, _ := ini.Get(profile, "aws_access_key_id")
	secret, _ := ini.Get(profile, "aws_secret_access_key")
	if len(keys.AccessKeyMetadata) != 1 || aws.ToString(keys.AccessKeyMetadata[0].AccessKeyId) != id {
		var ids []string
		for _, k := range keys.AccessKeyMetadata {
			ids = append(ids, aws.ToString(k.AccessKeyId)+" "+string(k.Status))
		}
		w.t.Errorf("%s: user %s has keys %v, want exactly the profile's %s", what, user, ids, id)
	}
	toml1, err := os.ReadFile(filepath.Join(w.home, "gitlab-runner", "config.toml"))
	if err != nil {
		w.t.Fatal(err)
	}
	var doc struct {
		Runners []struct {
			Name  string
			Cache struct {
				S3 struct{ AccessKey, SecretKey string }
			}
		}
	}
	if err := toml.Unmarshal(toml1, &doc); err != nil {
		w.t.Fatal(err)
	}
	for _, r := range doc.Runners {
		if r.Name == runner && (r.Cache.S3.AccessKey != id || r.Cache.S3.SecretKey != secret) {
			w.t.Errorf("%s: config.toml holds key %q, the profile %q (or their secrets differ)", what, r.Cache.S3.AccessKey, id)
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion("us-east-1"), config.WithBaseEndpoint(w.srv.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, "")))
	if err != nil {
		w.t.Fatal(err)
	}
	who, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(who.Arn), ":user/"+user) {
		w.t.Errorf("%s: STS with the profile's key: %v %v", what, who, err)
	}
	return id
}

// TestCrashDuringRotateConverges kills awsboot (SIGKILL) at every AWS call
// of a rotation of the GitLab runner example, before the call reaches the
// emulator and after it acted, then runs rotate again (bootstrap after
// the kills that follow a call): the user is left with exactly one key,
// which the profile and config.toml hold and STS accepts, and the next
// plan has no change.
func TestCrashDuringRotateConverges(t *testing.T) {
	if os.Getenv("AWSBOOT_SKIP_MOTO") != "" {
		t.Skip("AWSBOOT_SKIP_MOTO is set: skipping a test against the emulator")
	}
	w := startCrashWorld(t)
	path := filepath.Join("..", "..", "examples", "gitlab-runner-cache.yaml")
	var err error
	if w.data, err = os.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	runnerConfig, err := os.ReadFile(filepath.Join("..", "..", "provision", "consumers", "testdata", "gitlab", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	w.spec = filepath.Base(path)
	const user, profile, runner = "gitlab-runner", "gitlab-runner", "docker-runner"
	setup := func() string {
		w.fresh()
		if err := os.MkdirAll(filepath.Join(w.home, "gitlab-runner"), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(w.home, "gitlab-runner", "config.toml"), runnerConfig, 0o600); err != nil {
			t.Fatal(err)
		}
		if code, out := w.awsboot(false, "bootstrap", "-f", w.spec, "--auto-approve"); code != 0 {
			t.Fatalf("bootstrap: exit %d\n%s", code, out)
		}
		return w.rotatedEverywhere("bootstrap", user, profile, runner)
	}
	old := setup()
	if code, out := w.awsboot(false, "rotate", "-f", w.spec, "--auto-approve"); code != 0 {
		t.Fatalf("rotate without interruption: exit %d\n%s", code, out)
	}
	calls := w.px.Count()
	if id := w.rotatedEverywhere("rotate", user, profile, runner); id == old {
		t.Fatalf("rotate kept key %s", old)
	}
	unkilled := 0
	defer func() {
		// A few runs may end before their call; most must be killed, or
		// the test proves nothing.
		if unkilled > 4 {
			t.Errorf("%d of %d runs ended before the call they were to be killed at", unkilled, 2*calls)
		}
	}()
	for at := 1; at <= calls; at++ {
		for _, after := range []bool{false, true} {
			what := fmt.Sprintf("rotate killed at call %d of %d (after it acted: %v)", at, calls, after)
			setup()
			w.victim.Lock()
			w.victim.at, w.victim.after, w.victim.signal = at, after, syscall.SIGKILL
			w.victim.Unlock()
			switch code, out := w.awsboot(true, "rotate", "-f", w.spec, "--auto-approve"); code {
			case -1: // killed
			case 0:
				// Concurrent requests make a run's count vary by a call or
				// two: this one ended before call at. It converged anyway;
				// the checks below still hold.
				unkilled++
				t.Logf("%s: the run ended before that call (its calls vary with concurrency)", what)
			default:
				t.Fatalf("%s: the run was not killed (exit %d)\n%s", what, code, out)
			}
			w.victim.Lock()
			w.victim.at = 0
			w.victim.Unlock()
			again := "rotate"
			if after {
				again = "bootstrap"
			}
			if code, out := w.awsboot(false, again, "-f", w.spec, "--auto-approve"); code != 0 {
				t.Errorf("%s: the next %s exits %d:\n%s", what, again, code, out)
				continue
			}
			w.rotatedEverywhere(what+", then "+again, user, profile, runner)
			if code, out := w.awsboot(false, "plan", "-f", w.spec, "--detailed-exitcode"); code != 0 {
				t.Errorf("%s: the plan after the next run exits %d:\n%s", what, code, out)
			}
		}
	}
	t.Logf("rotate: %d calls, %d kills", calls, 2*calls)
}
