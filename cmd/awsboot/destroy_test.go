package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
)

// TestDestroyPlanTakesNoLock: plan --destroy and teardown --dry-run run
// while another run holds the stack's lock, even with --lock-timeout 0:
// they get as far as connecting, where teardown stops at once with the
// lock error. A plan never takes the lock.
func TestDestroyPlanTakesNoLock(t *testing.T) {
	spec := lockedStack(t)
	dir := filepath.Dir(spec)
	errConnected := errors.New("connect reached")
	for _, args := range [][]string{
		{"plan", "--destroy"},
		{"teardown", "--dry-run", "--lock-timeout", "0"},
		{"teardown", "--dry-run", "--auto-approve", "--lock-timeout", "0"},
		{"destroy", "--dry-run", "--json"},
	} {
		var stdout, stderr bytes.Buffer
		e := env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, isTerminal: func() bool { return false },
			connect: func(context.Context, awsapi.ConnectOptions) (*awsapi.Clients, error) { return nil, errConnected },
			files: func() (consumers.AWSFiles, error) {
				return consumers.AWSFiles{Config: filepath.Join(dir, "c"), Credentials: filepath.Join(dir, "k")}, nil
			},
		}
		code := run(append(append([]string{"awsboot"}, args...), "-f", spec), e)
		if code != exitError || !strings.Contains(stderr.String(), errConnected.Error()) || strings.Contains(stderr.String(), "lock") {
			t.Errorf("%s: exit %d, want 1 from connecting, not from the lock; stderr:\n%s", strings.Join(args, " "), code, stderr.String())
		}
	}
	var stderr bytes.Buffer
	e := env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr, isTerminal: func() bool { return false },
		connect: func(context.Context, awsapi.ConnectOptions) (*awsapi.Clients, error) { return nil, errConnected },
		files:   func() (consumers.AWSFiles, error) { return consumers.AWSFiles{}, nil },
	}
	if code := run([]string{"awsboot", "teardown", "--auto-approve", "--lock-timeout", "0", "-f", spec}, e); code != exitError || !strings.Contains(stderr.String(), "another awsboot run is changing stack") {
		t.Errorf("teardown without --dry-run did not stop at the lock: exit %d, stderr:\n%s", code, stderr.String())
	}
}

// specRunner writes spec into home/spec.yaml and returns a function that
// runs awsboot in process with args and -f that spec, against the real
// connect and the AWS files of the environment (motoHome's), giving its
// stdout and stderr together and its exit status.
func specRunner(t *testing.T, home, spec string) func(args ...string) (string, int) {
	t.Helper()
	path := filepath.Join(home, "spec.yaml")
	if err := os.WriteFile(path, []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	return func(args ...string) (string, int) {
		var out, errOut bytes.Buffer
		e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, isTerminal: func() bool { return false },
			connect: awsapi.Connect, files: consumers.DefaultAWSFiles}
		code := run(append([]string{"awsboot"}, append(args, "-f", path)...), e)
		return out.String() + errOut.String(), code
	}
}

// TestDestroyPlanDeleteData: with an object in the bucket, plan --destroy
// keeps the bucket and says why, and with --delete-data plans its
// deletion, as teardown --dry-run with the same flags does.
func TestDestroyPlanDeleteData(t *testing.T) {
	srv, home := motoHome(t, nil)
	awsboot := specRunner(t, home, "version: 1\nstack: data\nbucket: {name: data-bucket}\naccess:\n  - {name: ci, grant: cache, user: data, write: {aws_profile: data}}\n")
	if out, code := awsboot("bootstrap", "--auto-approve"); code != 0 {
		t.Fatalf("bootstrap: exit %d\n%s", code, out)
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithBaseEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("data-bucket"), Key: aws.String("cache/a"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}

	keep, code := awsboot("plan", "--destroy", "--detailed-exitcode")
	if code != exitChanges || !strings.Contains(keep, "# s3_bucket.data-bucket is left as it is: the bucket holds objects") ||
		!strings.Contains(keep, "Plan: 0 to add, 0 to change, 5 to destroy.") {
		t.Errorf("plan --destroy: exit %d\n%s", code, keep)
	}
	del, code := awsboot("plan", "--destroy", "--delete-data", "--detailed-exitcode")
	if code != exitChanges || !strings.Contains(del, "# s3_bucket.data-bucket will be destroyed") ||
		!strings.Contains(del, "Plan: 0 to add, 0 to change, 6 to destroy.") {
		t.Errorf("plan --destroy --delete-data: exit %d\n%s", code, del)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"teardown", "--dry-run", "--detailed-exitcode"}, keep},
		{[]string{"teardown", "--dry-run", "--delete-data", "--detailed-exitcode"}, del},
	} {
		if got, code := awsboot(tc.args...); code != exitChanges || got != tc.want {
			t.Errorf("%s: exit %d, not the plan --destroy output:\n%s", strings.Join(tc.args, " "), code, got)
		}
	}
	if _, err := client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("data-bucket"), Key: aws.String("cache/a")}); err != nil {
		t.Errorf("the object is gone after the dry runs: %v", err)
	}
}
