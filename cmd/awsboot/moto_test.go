package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/awsboot/awsboot/provision/mototest"
)

// motoHome starts moto for one test (skipping it under AWSBOOT_SKIP_MOTO)
// and points the environment at it and at a fresh HOME: the AWS files,
// the cache directory, test credentials, the region. extra sets more
// variables (or clears them with "").
func motoHome(t *testing.T, extra map[string]string) (*mototest.Server, string) {
	t.Helper()
	if os.Getenv("AWSBOOT_SKIP_MOTO") != "" {
		t.Skip("AWSBOOT_SKIP_MOTO is set: skipping a test against the emulator")
	}
	srv, err := mototest.Start(mototest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	home := t.TempDir()
	env := map[string]string{
		"HOME": home, "XDG_CACHE_HOME": filepath.Join(home, ".cache"),
		"AWS_CONFIG_FILE": filepath.Join(home, ".aws", "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, ".aws", "credentials"),
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": srv.URL,
	}
	for k, v := range extra {
		env[k] = v
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	return srv, home
}

// buildAwsboot builds the binary into a temporary directory, for tests
// that run it as a child process (to kill or interrupt it).
func buildAwsboot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "awsboot")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building awsboot: %v\n%s", err, out)
	}
	return bin
}

// childEnv is the environment of a child awsboot: this process's, with
// a HOME of its own, test credentials and the endpoint; extra entries
// ("KEY=value") come last and win.
func childEnv(home, endpoint string, extra ...string) []string {
	env := append(os.Environ(),
		"HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"),
		"AWS_CONFIG_FILE="+filepath.Join(home, ".aws", "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, ".aws", "credentials"),
		"AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_PROFILE=", "AWS_SESSION_TOKEN=", "AWS_ENDPOINT_URL="+endpoint)
	return append(env, extra...)
}
