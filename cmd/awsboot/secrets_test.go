package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/localfile"
)

var secretLine = regexp.MustCompile(`(?m)^\s*aws_secret_access_key\s*=\s*(\S+)`)

// TestNoSecretInAnyOutput runs every command of awsboot, in every output
// form (plain, --json, --stats, errors; output for every name, show with
// the spec and by the stack's tags), over every example, against
// moto, and fails if any secret awsboot created appears anywhere in
// stdout or stderr. The secrets are collected from the credentials file
// after each run that may make one.
func TestNoSecretInAnyOutput(t *testing.T) {
	_, home := motoHome(t, nil)
	var out bytes.Buffer
	secrets := map[string]bool{}
	collect := func() {
		data, _, _ := localfile.ReadFileIfExists(os.Getenv("AWS_SHARED_CREDENTIALS_FILE"))
		for _, m := range secretLine.FindAllSubmatch(data, -1) {
			secrets[string(m[1])] = true
		}
	}
	live := false // stdout a terminal: the live status and Reading... lines
	awsboot := func(args ...string) {
		e := env{stdin: strings.NewReader("no\n"), stdout: &out, stderr: &out, isTerminal: func() bool { return false },
			stdoutTerminal: func() bool { return live }, connect: awsapi.Connect, files: consumers.DefaultAWSFiles}
		run(append([]string{"awsboot"}, args...), e)
		collect()
	}
	examples, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil || len(examples) == 0 {
		t.Fatal("no examples")
	}
	for _, path := range examples {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		spec := filepath.Join(home, filepath.Base(path))
		if err := os.WriteFile(spec, data, 0o644); err != nil {
			t.Fatal(err)
		}
		awsboot("validate", "-f", spec)
		awsboot("explain", "-f", spec)
		awsboot("plan", "-f", spec, "--json", "--stats")
		awsboot("bootstrap", "-f", spec) // refused: no terminal
		awsboot("bootstrap", "-f", spec, "--auto-approve", "--stats", "--json")
		live = true
		awsboot("plan", "-f", spec)
		live = false
		awsboot("plan", "-f", spec, "--json", "--detailed-exitcode")
		awsboot("verify", "-f", spec)
		awsboot("verify", "-f", spec, "--json")
		awsboot("output", "-f", spec)
		awsboot("output", "-f", spec, "--json")
		loaded, err := provision.LoadSpec(spec)
		if err != nil {
			t.Fatal(err)
		}
		outs, err := provision.Outputs(loaded, awsapi.Offline(loaded.Region, loaded.Endpoint, loaded.IAMEndpoint, loaded.PathStyle), consumers.AWSFiles{})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range outs {
			awsboot("output", "-f", spec, o.Name)
		}
		awsboot("output", "-f", spec, "no_such_name")
		awsboot("show", "-f", spec)
		awsboot("status", "-f", spec, "--json", "--stats")
		awsboot("show", "--stack", loaded.Stack)
		awsboot("show", "--stack", loaded.Stack, "--json")
		// Errors: another stack's spec over the same names, a conflicting
		// region flag, a profile written by hand over awsboot's.
		other := filepath.Join(home, "other-"+filepath.Base(path))
		if err := os.WriteFile(other, bytes.Replace(data, []byte("stack: "), []byte("stack: other-"), 1), 0o644); err != nil {
			t.Fatal(err)
		}
		awsboot("plan", "-f", other)
		awsboot("bootstrap", "-f", other, "--auto-approve", "--adopt")
		awsboot("plan", "-f", spec, "--region", "eu-west-1")
		live = true
		awsboot("teardown", "-f", spec, "--auto-approve", "--stats")
		live = false
		awsboot("teardown", "-f", other, "--auto-approve")
	}
	if len(secrets) == 0 {
		t.Fatal("no secret was ever written: the test proves nothing")
	}
	for s := range secrets {
		if s != "testing" && strings.Contains(out.String(), s) {
			t.Errorf("a secret awsboot created appears in its output")
		}
	}
	t.Logf("%d secrets checked against %d bytes of output", len(secrets), out.Len())
}
