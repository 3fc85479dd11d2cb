package main

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/awsboot/awsboot/provision/faultproxy"
	"github.com/awsboot/awsboot/provision/mototest"
)

// crashWorld is one crash test's emulator, proxy, binary and home.
type crashWorld struct {
	t      *testing.T
	bin    string
	srv    *mototest.Server
	px     *faultproxy.Proxy
	home   string
	spec   string
	data   []byte
	iam    *iam.Client
	s3     *s3.Client
	victim struct {
		sync.Mutex
		cmd    *exec.Cmd
		at     int
		after  bool
		signal syscall.Signal
	}
}

// awsboot runs the binary with the world's environment; victim marks the
// run the proxy interrupts.
func (w *crashWorld) awsboot(victim bool, args ...string) (int, string) {
	w.t.Helper()
	cmd := exec.Command(w.bin, args...)
	cmd.Dir = w.home
	cmd.Env = childEnv(w.home, w.px.URL, "AWS_MAX_ATTEMPTS=2")
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	w.px.ResetCount()
	if victim {
		w.victim.Lock()
		w.victim.cmd = cmd
		w.victim.Unlock()
	}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	err := cmd.Wait()
	w.victim.Lock()
	w.victim.cmd = nil
	w.victim.Unlock()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return code, out.String()
}

// interrupt signals the victim at its n-th request, before or after it
// reaches the emulator, and waits for it to stop.
func (w *crashWorld) interrupt(n int, after bool) bool {
	w.victim.Lock()
	defer w.victim.Unlock()
	if w.victim.cmd == nil || n != w.victim.at || after != w.victim.after {
		return false
	}
	// A killed process runs no more of its code; an interrupted one
	// cancels its calls in flight and exits (130).
	_ = w.victim.cmd.Process.Signal(w.victim.signal)
	return true
}

// fresh resets the emulator and the home for one trial.
func (w *crashWorld) fresh() {
	w.t.Helper()
	if err := w.srv.Reset(); err != nil {
		w.t.Fatal(err)
	}
	_ = os.RemoveAll(w.home)
	if err := os.MkdirAll(w.home, 0o700); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(w.home, w.spec), w.data, 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// nothingLeft fails when teardown left a bucket, user, role, local policy
// or OIDC provider.
func (w *crashWorld) nothingLeft(what string) {
	w.t.Helper()
	ctx := context.Background()
	var left []string
	if b, err := w.s3.ListBuckets(ctx, &s3.ListBucketsInput{}); err == nil {
		for _, x := range b.Buckets {
			left = append(left, "bucket "+aws.ToString(x.Name))
		}
	}
	if u, err := w.iam.ListUsers(ctx, &iam.ListUsersInput{}); err == nil {
		for _, x := range u.Users {
			left = append(left, "user "+aws.ToString(x.UserName))
		}
	}
	if r, err := w.iam.ListRoles(ctx, &iam.ListRolesInput{}); err == nil {
		for _, x := range r.Roles {
			left = append(left, "role "+aws.ToString(x.RoleName))
		}
	}
	if p, err := w.iam.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: "Local"}); err == nil {
		for _, x := range p.Policies {
			left = append(left, "policy "+aws.ToString(x.PolicyName))
		}
	}
	if o, err := w.iam.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{}); err == nil {
		for _, x := range o.OpenIDConnectProviderList {
			left = append(left, "oidc provider "+aws.ToString(x.Arn))
		}
	}
	if len(left) > 0 {
		w.t.Errorf("%s: teardown left %v", what, left)
	}
}

// TestCrashAtEveryCallConverges interrupts awsboot at every AWS call
// boundary, before the call reaches the emulator and after it acted, with
// SIGKILL (and Ctrl-C, SIGINT, after every third call), for the bootstrap
// and the teardown of the Semaphore cache example, and at a seeded sample
// of about four boundaries of every other example (AWSBOOT_CRASH_FULL=1:
// every boundary of every example, Ctrl-C at each). One more run must
// converge every time: bootstrap exits 0 and the next plan has no change
// (a duplicate key would be drift), or teardown exits 0 and nothing is
// left.
func TestCrashAtEveryCallConverges(t *testing.T) {
	if os.Getenv("AWSBOOT_SKIP_MOTO") != "" {
		t.Skip("AWSBOOT_SKIP_MOTO is set: skipping a test against the emulator")
	}
	w := startCrashWorld(t)
	px := w.px
	var err error

	examples, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil || len(examples) == 0 {
		t.Fatal("no examples")
	}
	rng := rand.New(rand.NewSource(20261129))
	// Every boundary of every example takes minutes: make test runs the
	// Semaphore cache example in full and samples the others;
	// AWSBOOT_CRASH_FULL=1 runs them all, with Ctrl-C at every call.
	all := os.Getenv("AWSBOOT_CRASH_FULL") != ""
	for _, path := range examples {
		w.spec = filepath.Base(path)
		if w.data, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
		full := all || w.spec == "semaphore-cache.yaml"
		for _, mode := range []string{"bootstrap", "teardown"} {
			// How many calls the uninterrupted run makes.
			w.fresh()
			if mode == "teardown" {
				w.awsboot(false, "bootstrap", "-f", w.spec, "--auto-approve")
			}
			if code, out := w.awsboot(false, mode, "-f", w.spec, "--auto-approve"); code != 0 {
				t.Fatalf("%s %s without interruption: exit %d\n%s", mode, w.spec, code, out)
			}
			calls := px.Count()
			type trial struct {
				at     int
				after  bool
				signal syscall.Signal
			}
			var trials []trial
			for at := 1; at <= calls; at++ {
				if !full && rng.Intn(calls) >= 4 {
					continue // about four boundaries of each other example
				}
				trials = append(trials, trial{at, false, syscall.SIGKILL}, trial{at, true, syscall.SIGKILL})
				if all || full && at%3 == 0 {
					trials = append(trials, trial{at, true, syscall.SIGINT})
				}
			}
			unkilled := 0
			for _, tr := range trials {
				what := fmt.Sprintf("%s %s, %v at call %d of %d (after it acted: %v)", mode, w.spec, tr.signal, tr.at, calls, tr.after)
				w.fresh()
				if mode == "teardown" {
					w.awsboot(false, "bootstrap", "-f", w.spec, "--auto-approve")
				}
				w.victim.Lock()
				w.victim.at, w.victim.after, w.victim.signal = tr.at, tr.after, tr.signal
				w.victim.Unlock()
				if code, out := w.awsboot(true, mode, "-f", w.spec, "--auto-approve"); tr.signal == syscall.SIGKILL && code != -1 {
					if code != 0 {
						t.Fatalf("%s: the run was not killed (exit %d): the test would prove nothing\n%s", what, code, out)
					}
					// Concurrent requests make a run's count vary by a
					// call or two: this one ended before call at. The
					// checks below still hold; too many such runs fail.
					unkilled++
					t.Logf("%s: the run ended before that call (its calls vary with concurrency)", what)
				}
				w.victim.Lock()
				w.victim.at = 0
				w.victim.Unlock()
				if code, out := w.awsboot(false, mode, "-f", w.spec, "--auto-approve"); code != 0 {
					t.Errorf("%s: the next run exits %d:\n%s", what, code, out)
					continue
				}
				if mode == "bootstrap" {
					if code, out := w.awsboot(false, "plan", "-f", w.spec, "--detailed-exitcode"); code != 0 {
						t.Errorf("%s: the plan after the next run exits %d:\n%s", what, code, out)
					}
				} else {
					w.nothingLeft(what)
				}
				if tmp, _ := filepath.Glob(filepath.Join(w.home, ".aws", ".*.tmp-*")); len(tmp) > 0 {
					t.Errorf("%s: temporary files left: %v", what, tmp)
				}
			}
			if unkilled > 4 {
				t.Errorf("%s %s: %d of %d runs ended before the call they were to be killed at: the test proves too little", mode, w.spec, unkilled, len(trials))
			}
			t.Logf("%s %s: %d calls, %d interruptions", mode, w.spec, calls, len(trials))
		}
	}
}

// startCrashWorld builds awsboot and starts an emulator of its own behind
// a proxy that interrupts the victim run where the test says.
func startCrashWorld(t *testing.T) *crashWorld {
	t.Helper()
	bin := buildAwsboot(t)
	srv, err := mototest.Start(mototest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	w := &crashWorld{t: t, bin: bin, srv: srv, home: filepath.Join(t.TempDir(), "home")}
	px, err := faultproxy.Start(srv.URL, faultproxy.Options{
		Before: func(n int, _ string) bool { return !w.interrupt(n, false) },
		After:  func(n int, _ string) { w.interrupt(n, true) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(px.Stop)
	w.px = px
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithBaseEndpoint(srv.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	w.iam, w.s3 = iam.NewFromConfig(cfg), s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	return w

}
