package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
)

// TestLockedStackFailsClearly: while another run holds the stack's lock,
// bootstrap with --lock-timeout 0 fails at once with exit 1 and a message
// that says what to do, before connecting to AWS; with a timeout it says
// that it waits. (concurrent.txtar shows the lock at work between real
// processes.)
func TestLockedStackFailsClearly(t *testing.T) {
	spec := lockedStack(t)
	dir := filepath.Dir(spec)
	for _, tc := range []struct{ timeout, want string }{
		{"0", `Error: another awsboot run is changing stack "one" and did not finish within 0s`},
		{"100ms", `Waiting for another awsboot run that is changing stack "one" (up to 100ms, --lock-timeout)...`},
	} {
		var stdout, stderr bytes.Buffer
		e := env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, isTerminal: func() bool { return false },
			connect: func(context.Context, awsapi.ConnectOptions) (*awsapi.Clients, error) {
				return nil, errors.New("connected to AWS while the stack was locked")
			},
			files: func() (consumers.AWSFiles, error) {
				return consumers.AWSFiles{Config: filepath.Join(dir, "c"), Credentials: filepath.Join(dir, "k")}, nil
			},
		}
		code := run([]string{"awsboot", "bootstrap", "-f", spec, "--auto-approve", "--lock-timeout", tc.timeout}, e)
		if code != exitError || !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "--lock-timeout") {
			t.Errorf("--lock-timeout %s: exit %d, stderr:\n%s", tc.timeout, code, stderr.String())
		}
		if strings.Contains(stderr.String(), "connected to AWS") {
			t.Errorf("connected while locked:\n%s", stderr.String())
		}
	}
}

// lockedStack writes the spec of stack "one" into a fresh directory and
// holds the stack's lock, as another run would, until the test ends.
func lockedStack(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	spec := filepath.Join(dir, "one.yaml")
	if err := os.WriteFile(spec, []byte("version: 1\nstack: one\nbucket: {name: one-bucket}\naccess:\n  - {name: ci, grant: cache, user: one, write: {aws_profile: one}}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unlock, err := provision.LockStack("one", 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
	return spec
}
