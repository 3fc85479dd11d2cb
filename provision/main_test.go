package provision

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/mototest"
	"github.com/awsboot/awsboot/provision/spec"
	"github.com/awsboot/awsboot/provision/versitytest"
)

// moto is the emulator shared by this package's integration tests; each
// test resets it first. Tests that use it must not call t.Parallel.
var moto *mototest.Server

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	// The gateway binary is cached under the real home, which is about to
	// be replaced.
	if os.Getenv("AWSBOOT_VERSITYGW") == "" {
		os.Setenv("AWSBOOT_VERSITYGW", versitytest.CachePath())
	}
	// Point every SDK default at the emulator and away from the
	// developer's own AWS configuration.
	home, err := os.MkdirTemp("", "awsboot-test-home-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(home)
	for k, v := range map[string]string{
		"HOME":                        home,
		"AWS_CONFIG_FILE":             filepath.Join(home, "admin-config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "admin-credentials"),
		"AWS_PROFILE":                 "",
		"AWS_ACCESS_KEY_ID":           "testing",
		"AWS_SECRET_ACCESS_KEY":       "testing",
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		os.Setenv(k, v)
	}
	os.Unsetenv("AWS_PROFILE")
	os.Unsetenv("AWS_SESSION_TOKEN")
	os.Unsetenv("AWS_ENDPOINT_URL")
	// awsboot's locks and journal go under the test's home.
	os.Unsetenv("XDG_CACHE_HOME")
	if os.Getenv("AWSBOOT_SKIP_MOTO") == "" {
		moto, err = mototest.Start(mototest.Options{})
		if err != nil {
			fmt.Fprintf(os.Stderr, "integration tests need moto: %v\n(set AWSBOOT_SKIP_MOTO=1 to run only the unit tests)\n", err)
			return 1
		}
		defer moto.Stop()
	}
	return m.Run()
}

// testEnv is one integration test's world: a reset emulator, clients for
// it, and private AWS files and agent config.
type testEnv struct {
	t        testing.TB
	ctx      context.Context
	c        *awsapi.Clients
	files    consumers.AWSFiles
	dir      string
	endpoint string
	stack    *Stack
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	if moto == nil {
		t.Skip("AWSBOOT_SKIP_MOTO is set: skipping a test against the emulator")
	}
	if err := moto.Reset(); err != nil {
		t.Fatal(err)
	}
	return newTestEnvAt(t, moto.URL)
}

func newTestEnvAt(t testing.TB, url string) *testEnv {
	t.Helper()
	ctx := context.Background()
	c, err := awsapi.Connect(ctx, awsapi.ConnectOptions{Endpoint: url, Region: "us-east-1", ProbeManagedPolicies: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	return &testEnv{
		t: t, ctx: ctx, c: c, dir: dir, endpoint: url,
		files: consumers.AWSFiles{Config: filepath.Join(dir, ".aws", "config"), Credentials: filepath.Join(dir, ".aws", "credentials")},
	}
}

// reconnect builds new clients, with a fresh call counter.
func (e *testEnv) reconnect() {
	e.t.Helper()
	c, err := awsapi.Connect(e.ctx, awsapi.ConnectOptions{Endpoint: e.endpoint, Region: "us-east-1", ProbeManagedPolicies: true})
	if err != nil {
		e.t.Fatal(err)
	}
	e.c = c
}

// iam and s3 return the SDK clients behind the narrow interfaces, for
// tests that change things by hand.
func (e *testEnv) iam() *iam.Client { return e.c.IAM.(*iam.Client) }

func (e *testEnv) s3() *s3.Client { return e.c.S3.(*s3.Client) }

func hasTag(tags []iamtypes.Tag, k, v string) bool {
	for _, t := range tags {
		if aws.ToString(t.Key) == k && aws.ToString(t.Value) == v {
			return true
		}
	}
	return false
}

// spec loads an example into the test's directory so relative paths
// (the agent config) land there.
func (e *testEnv) spec(example string) *spec.Spec {
	e.t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "examples", example))
	if err != nil {
		e.t.Fatal(err)
	}
	path := filepath.Join(e.dir, example)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		e.t.Fatal(err)
	}
	s, err := LoadSpec(path)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

type runOpts struct {
	adopt, deleteData bool
	// rotate names the access entries to rotate; clock is the keys'.
	rotate []string
	clock  awskinds.Clock
}

// plan builds the spec's stack for the emulator's account, connects it
// and plans; the stack is kept for applyPlan.
func (e *testEnv) plan(s *spec.Spec, mode engine.Mode, o runOpts) (*engine.Plan, error) {
	e.t.Helper()
	bo := BuildOptions{Files: e.files, Adopt: o.adopt, DeleteData: o.deleteData, Clock: o.clock}
	if o.rotate != nil {
		bo.Rotate = func(name string) bool { return slices.Contains(o.rotate, name) }
	}
	st, err := Build(s, e.c.Account, bo)
	if err != nil {
		e.t.Fatal(err)
	}
	st.Connect(e.c)
	e.stack = st
	return st.Plan(e.ctx, mode, engine.PlanOptions{Adopt: o.adopt, Parallelism: 4})
}

// applyPlan applies a plan of the last planned stack.
func (e *testEnv) applyPlan(p *engine.Plan) error {
	return e.stack.Apply(e.ctx, p, engine.Executor{Parallelism: 4})
}

// apply plans and applies, failing the test on any error.
func (e *testEnv) apply(s *spec.Spec, mode engine.Mode, o runOpts) *engine.Plan {
	e.t.Helper()
	p, err := e.plan(s, mode, o)
	if err != nil {
		e.t.Fatalf("plan: %v", err)
	}
	if err := e.applyPlan(p); err != nil {
		e.t.Fatalf("apply: %v", err)
	}
	return p
}

// assertRerunIsNoOp applies s again, as a second bootstrap, with a fresh
// call counter: the plan has no change, no mutating AWS call is made
// (and the counter saw calls, so it is installed), and none of files is
// rewritten (their modification times stay).
func (e *testEnv) assertRerunIsNoOp(s *spec.Spec, files ...string) {
	e.t.Helper()
	before := mtimes(e.t, files)
	if len(files) > 0 {
		time.Sleep(20 * time.Millisecond) // a rewrite gets a later mtime
	}
	e.reconnect()
	calls := e.c.Calls
	p := e.apply(s, engine.ModeApply, runOpts{})
	if p.HasChanges() {
		e.t.Fatalf("second plan has changes: %v", allDiffs(p))
	}
	if m := calls.Mutating(); len(m) != 0 {
		e.t.Errorf("second bootstrap made mutating calls: %v", m)
	}
	if len(calls.Counts()) == 0 {
		e.t.Fatal("the call counter saw no calls at all: it is not installed")
	}
	if diff := cmp.Diff(before, mtimes(e.t, files)); diff != "" {
		e.t.Errorf("files were rewritten (-before +after):\n%s", diff)
	}
}
