package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/mototest"
)

// TestMain lets testscript run the awsboot command in-process as the
// program "awsboot" (gofumpt's main_test.go pattern).
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"awsboot": func() { os.Exit(run(os.Args, defaultEnv())) },
	})
}

// TestScripts runs testdata/script/*.txtar. Scripts that need AWS start
// their own moto with `start-moto`, so scripts can run in parallel.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "script"),
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") != "",
		Setup: func(env *testscript.Env) error {
			home := env.WorkDir
			env.Setenv("HOME", home)
			env.Setenv("AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config"))
			env.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(home, ".aws", "credentials"))
			env.Setenv("AWS_ACCESS_KEY_ID", "testing")
			env.Setenv("AWS_SECRET_ACCESS_KEY", "testing")
			env.Setenv("AWS_REGION", "us-east-1")
			env.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			// Until a script starts moto, AWS calls go to a closed port,
			// so a script proves that bad input makes no AWS call.
			env.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"start-moto": startMoto,
			"exitcode":   exitCode,
			"nosecret":   noSecret,
		},
	})
}

// startMoto starts an emulator for this script and points AWS_ENDPOINT_URL
// at it; it is stopped when the script ends.
func startMoto(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: start-moto")
	}
	if os.Getenv("AWSBOOT_SKIP_MOTO") != "" {
		ts.Fatalf("this script needs moto and AWSBOOT_SKIP_MOTO is set")
	}
	srv, err := mototest.Start(mototest.Options{})
	if err != nil {
		ts.Fatalf("starting moto: %v", err)
	}
	ts.Defer(srv.Stop)
	ts.Setenv("AWS_ENDPOINT_URL", srv.URL)
}

// exitCode runs a program and checks its exact exit code:
// `exitcode 2 awsboot plan --detailed-exitcode`.
func exitCode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exitcode N program [args...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exitcode: %v", err)
	}
	err = ts.Exec(args[1], args[2:]...)
	got := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		got = ee.ExitCode()
	case err != nil:
		ts.Fatalf("running %s: %v", args[1], err)
	}
	if got != want {
		ts.Fatalf("%s exited %d, want %d", args[1], got, want)
	}
}

// noSecret fails if the aws_secret_access_key of a profile in a
// credentials file appears in the last command's stdout or stderr:
// `nosecret .aws/credentials default`.
func noSecret(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: nosecret credentials-file profile")
	}
	f := localfile.ParseINI([]byte(ts.ReadFile(args[0])))
	secret, ok := f.Get(args[1], "aws_secret_access_key")
	if !ok || len(secret) < 8 {
		ts.Fatalf("no secret for [%s] in %s: nothing to check", args[1], args[0])
	}
	for _, stream := range []string{"stdout", "stderr"} {
		if strings.Contains(ts.ReadFile(stream), secret) {
			ts.Fatalf("the secret of profile [%s] appears in %s", args[1], stream)
		}
	}
}
