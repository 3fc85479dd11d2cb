// Command awsboot-demo is the program behind `make demo`: it runs awsboot
// end to end against a local AWS emulator, so a newcomer can watch a
// bootstrap, and what sets awsboot apart, without an AWS account.
//
// It starts moto on a free loopback port, makes a throwaway HOME holding
// examples/semaphore-cache.yaml and an existing Semaphore agent config,
// runs `awsboot bootstrap` (its plan is printed once), shows the files
// awsboot wrote, runs `awsboot verify`, proves the written profile works
// and is refused what it was not granted (S3 and STS calls with nothing
// but that profile, with moto's IAM checks on for the moment), asks
// `explain`, `show` and `output`, makes a drift by hand that `plan` shows
// and `bootstrap` repairs, prints `graph --format mermaid`, then
// `plan --destroy` and `teardown`, and shows what is left. Long outputs
// are trimmed. Moto and the temporary HOME are always cleaned up, also on
// failure and on Ctrl-C.
//
// Usage:
//
//	go run ./cmd/awsboot-demo -awsboot bin/awsboot [-spec FILE] [-keep]
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/awsboot/awsboot/provision/mototest"
)

// Where things live inside the temporary HOME.
const (
	defaultSpec = "semaphore-cache.yaml"
	agentConfig = "agent/config.yaml"
	awsConfig   = ".aws/config"
	awsCreds    = ".aws/credentials"
	demoKey     = "demo/hello.txt"
	masked      = "******** (masked by the demo)"
)

// existingAgentConfig is the Semaphore agent config the demo puts in place
// before bootstrap, so the reader sees awsboot merge into it and, at
// teardown, take out only its own entries.
const existingAgentConfig = `endpoint: "acme.semaphoreci.com"
token: "sem-agent-token-0000-fake-for-the-demo"
name-prefix: "acme-ci"
env-vars:
  - TZ=UTC
files: []
fail-on-missing-files: false
`

func main() { os.Exit(demoMain()) }

// demoMain parses the flags, runs the demo, always cleans up, and returns
// the exit status: 0, 1 on failure, 130 when interrupted.
func demoMain() int {
	awsbootFlag := flag.String("awsboot", "bin/awsboot", "path to the awsboot binary to demonstrate")
	specFlag := flag.String("spec", "", "spec to bootstrap, shaped like the default: it writes an AWS profile\nand ./agent/config.yaml (default: examples/"+defaultSpec+" of this repository)")
	keep := flag.Bool("keep", false, "keep the temporary HOME (and moto's log) and print its path")
	flag.Parse()

	// SIGPIPE too: `make demo | head` must stop the demo through the same
	// clean-up path, not kill it with moto still running.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGPIPE)
	defer stop()

	d := &demo{out: os.Stdout, keep: *keep}
	err := d.run(ctx, *awsbootFlag, *specFlag)
	d.cleanup()
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "\ndemo interrupted; the emulator is stopped and the temporary HOME removed.")
		return 130
	}
	where := ""
	if d.step > 0 {
		where = fmt.Sprintf(" at step %d", d.step)
	}
	fmt.Fprintf(os.Stderr, "\ndemo failed%s: %v\n", where, err)
	switch {
	case d.keep && d.root != "":
		fmt.Fprintf(os.Stderr, "Kept the temporary HOME (%s) and moto's log (in %s).\n", d.home, d.root)
	case d.root != "":
		fmt.Fprintln(os.Stderr, "Run it again with -keep to keep the temporary HOME and moto's log for a look.")
	}
	return 1
}

// demo is the state shared by the steps.
type demo struct {
	out      io.Writer
	keep     bool
	step     int
	spec     string            // the spec's file name, in the temporary HOME
	specData []byte            // and its content
	specFrom string            // where it was copied from, for display
	awsboot  string            // absolute path of the binary
	root     string            // temporary directory: home/ and moto's log
	home     string            // the temporary HOME awsboot runs in
	moto     *mototest.Server  // nil once stopped
	env      []string          // environment of every awsboot run
	before   map[string]string // agent config entries before bootstrap
	profile  string            // the profile awsboot wrote, found in step 5
}

// run performs every step in order and returns the first failure.
func (d *demo) run(ctx context.Context, awsbootPath, specPath string) error {
	ignored := clearAWSEnv()
	var err error
	if d.awsboot, err = filepath.Abs(awsbootPath); err != nil {
		return err
	}
	if _, err := os.Stat(d.awsboot); err != nil {
		return fmt.Errorf("awsboot binary: %w (build it with `make build`)", err)
	}
	if specPath == "" {
		if specPath, err = findExample(); err != nil {
			return err
		}
	}
	if d.specData, err = os.ReadFile(specPath); err != nil {
		return err
	}
	d.spec, d.specFrom = filepath.Base(specPath), relToWD(specPath)
	fmt.Fprintf(d.out, "awsboot demo: bootstrap %s, verify it, ask about it, drift it by hand\n", d.specFrom)
	fmt.Fprintln(d.out, "and repair it, then tear it down.")
	fmt.Fprintln(d.out, "moto, a local AWS emulator, stands in for AWS: nothing here touches a real AWS")
	fmt.Fprintln(d.out, "account or your own ~/.aws. awsboot reaches moto through a custom endpoint, so it")
	fmt.Fprintln(d.out, "treats it as an S3-compatible service: the \"S3-compatible endpoint ... skipped\" note")
	fmt.Fprintln(d.out, "in the plan says a bucket setting such a service lacks would be skipped and named")
	fmt.Fprintln(d.out, "by the next plan. moto has every setting this spec uses, so nothing is skipped.")
	if len(ignored) > 0 {
		fmt.Fprintf(d.out, "(Ignoring %s from your environment.)\n", strings.Join(ignored, ", "))
	}

	for _, s := range []func(context.Context) error{
		d.startMoto,
		d.makeHome,
		d.bootstrap,
		d.showFiles,
		d.verify,
		d.useProfile,
		d.ask,
		d.drift,
		d.graph,
		d.teardown,
	} {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s(ctx); err != nil {
			return err
		}
	}
	d.heading("Cleaning up")
	d.cleanup()
	fmt.Fprintln(d.out, "Stopped moto.")
	if d.keep {
		fmt.Fprintf(d.out, "Kept the temporary HOME: %s\n", d.home)
	} else {
		fmt.Fprintln(d.out, "Removed the temporary HOME.")
	}
	fmt.Fprintln(d.out, "\nDone. Next: read docs/spec.md, then run `awsboot plan -f examples/"+defaultSpec+"`")
	fmt.Fprintln(d.out, "against your own account; plan only reads, bootstrap asks before it changes anything.")
	return nil
}

// heading prints the next numbered step heading.
func (d *demo) heading(format string, args ...any) {
	d.step++
	fmt.Fprintf(d.out, "\n==> %d. %s\n", d.step, fmt.Sprintf(format, args...))
}

// ok prints one "what ... ok" result line.
func (d *demo) ok(format string, args ...any) {
	fmt.Fprintf(d.out, "%s ... ok\n", fmt.Sprintf(format, args...))
}

// clearAWSEnv removes every AWS_* variable from the demo's own
// environment, so neither the awsboot runs nor the SDK calls below can
// pick up the reader's real credentials, and returns the names removed.
func clearAWSEnv() []string {
	var names []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_") {
			os.Unsetenv(name)
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// findExample looks for examples/semaphore-cache.yaml in the working
// directory and its parents, so the demo runs from anywhere in the repo.
func findExample() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, "examples", defaultSpec)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("examples/%s not found from the working directory; run the demo from the repository or pass -spec", defaultSpec)
		}
		dir = parent
	}
}

// startMoto is step 1.
func (d *demo) startMoto(context.Context) error {
	var err error
	if d.root, err = os.MkdirTemp("", "awsboot-demo-"); err != nil {
		return err
	}
	d.home = filepath.Join(d.root, "home")
	if err := os.Mkdir(d.home, 0o700); err != nil {
		return err
	}
	d.moto, err = mototest.Start(mototest.Options{LogDir: d.root})
	if err != nil {
		d.heading("Starting a local AWS emulator (moto)")
		return err
	}
	d.heading("Starting a local AWS emulator (moto) on %s", d.moto.URL)
	fmt.Fprintf(d.out, "moto is running (pid %d). It plays S3, IAM and STS for the rest of the demo.\n", d.moto.PID())
	return nil
}

// makeHome is step 2: the temporary HOME with the spec and an existing
// agent config.
func (d *demo) makeHome(context.Context) error {
	d.heading("Preparing a temporary HOME")
	if err := os.WriteFile(filepath.Join(d.home, d.spec), d.specData, 0o644); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(d.home, "agent"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d.home, agentConfig), []byte(existingAgentConfig), 0o600); err != nil {
		return err
	}
	var err error
	if d.before, err = agentEnv(filepath.Join(d.home, agentConfig)); err != nil {
		return err
	}
	fmt.Fprintf(d.out, "HOME=%s\n", d.home)
	fmt.Fprintf(d.out, "Copied %s to ~/%s.\n", d.specFrom, d.spec)
	fmt.Fprintln(d.out, "Wrote the agent config a Semaphore agent host would already have; awsboot merges into it:")
	return d.showFile(agentConfig, false)
}

// bootstrap is step 3: bootstrap, which prints its plan (once) and
// applies it.
func (d *demo) bootstrap(ctx context.Context) error {
	d.heading("Bootstrapping the stack")
	fmt.Fprintln(d.out, "awsboot itself runs as the emulator's admin: AWS_ACCESS_KEY_ID=testing and")
	fmt.Fprintf(d.out, "AWS_ENDPOINT_URL=%s are in its environment. The profile it writes\n", d.moto.URL)
	fmt.Fprintln(d.out, "is a new, separate identity. bootstrap prints its plan, then applies it; without")
	fmt.Fprintln(d.out, "--auto-approve it asks first, and `awsboot plan` prints the same plan, changing nothing.")
	d.env = awsbootEnv(d.home, d.moto.URL)
	_, err := d.awsbootFiltered(ctx, statsTotal, "bootstrap", "-f", d.spec, "--auto-approve", "--stats")
	return err
}

// awsbootEnv is the environment of the awsboot runs: the demo's own (which
// has no AWS_* left) with HOME replaced and the emulator's admin identity.
func awsbootEnv(home, endpoint string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	return append(env,
		"HOME="+home,
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL="+endpoint,
		"AWS_EC2_METADATA_DISABLED=true",
	)
}

// awsbootRun shows and runs one awsboot command in the temporary HOME,
// passing its output (stdout and stderr, in order) straight through. It
// returns the exit code; a non-zero code is an error.
func (d *demo) awsbootRun(ctx context.Context, args ...string) (int, error) {
	fmt.Fprintf(d.out, "\n$ awsboot %s\n", strings.Join(args, " "))
	return d.exec(ctx, d.out, d.out, args)
}

// awsbootFiltered is awsbootRun with the output collected and passed
// through trim before it is printed, to keep the demo short.
func (d *demo) awsbootFiltered(ctx context.Context, trim func([]string) []string, args ...string) (int, error) {
	fmt.Fprintf(d.out, "\n$ awsboot %s\n", strings.Join(args, " "))
	var buf bytes.Buffer
	code, err := d.exec(ctx, &buf, &buf, args)
	if err != nil && code != 2 { // on failure, all of it
		d.out.Write(buf.Bytes())
		return code, err
	}
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	for _, l := range trim(lines) {
		fmt.Fprintln(d.out, l)
	}
	return code, err
}

// awsbootValue runs one awsboot command and returns its standard output,
// trimmed; its standard error goes to the demo's output.
func (d *demo) awsbootValue(ctx context.Context, args ...string) (string, error) {
	var buf bytes.Buffer
	_, err := d.exec(ctx, &buf, d.out, args)
	return strings.TrimSpace(buf.String()), err
}

// exec runs awsboot with args in the temporary HOME. It returns the exit
// code; a non-zero code is an error.
func (d *demo) exec(ctx context.Context, stdout, stderr io.Writer, args []string) (int, error) {
	cmd := exec.CommandContext(ctx, d.awsboot, args...)
	cmd.Dir, cmd.Env = d.home, d.env
	cmd.Stdout, cmd.Stderr = stdout, stderr // one writer: exec keeps the two streams in order
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, nil
	case errors.As(err, &exit) && exit.Exited():
		return exit.ExitCode(), fmt.Errorf("`awsboot %s` exited with status %d", strings.Join(args, " "), exit.ExitCode())
	default: // not started, or killed by a signal
		return -1, fmt.Errorf("`awsboot %s`: %w", strings.Join(args, " "), err)
	}
}

// progress matches the per-resource progress lines of bootstrap and
// teardown ("addr: Creating...", "addr: Destruction complete after 0.0s").
var progress = regexp.MustCompile(`^\S+: (Creating|Creation complete|Modifying|Modifications complete|Destroying|Destruction complete|Still )`)

// statsTotal keeps the total line of --stats ("AWS API calls: 23 (12
// mutating)") and drops the per-operation table under it.
func statsTotal(lines []string) []string {
	var out []string
	in := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "AWS API calls:"):
			in = true
			out = append(out, l+"  (the table per operation is trimmed by the demo)")
		case in && strings.HasPrefix(l, "  "):
		default:
			in = false
			out = append(out, l)
		}
	}
	return out
}

// afterPlan drops the plan an applying command repeats (the demo has just
// shown it) and its progress lines, keeping the summary.
func afterPlan(lines []string) []string {
	out := []string{"(the plan shown above, and the progress lines, trimmed by the demo)"}
	i := 0
	for j, l := range lines {
		if strings.HasPrefix(l, "Plan: ") {
			i = j + 1
			break
		}
	}
	for _, l := range lines[i:] {
		if l != "" && !progress.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// showTrimmed keeps show's blocks for the bucket and the access key and
// only the heading of the others.
func showTrimmed(lines []string) []string {
	var out []string
	keep, trimmed := true, false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "# "):
			keep = strings.HasPrefix(l, "# s3_bucket.") || strings.HasPrefix(l, "# iam_access_key.")
			trimmed = trimmed || !keep
			out = append(out, l)
		case strings.HasPrefix(l, " "):
			if keep {
				out = append(out, l)
			}
		case l == "":
			if keep {
				out = append(out, l)
			}
		default: // the summary line
			if len(out) > 0 && out[len(out)-1] != "" {
				out = append(out, "")
			}
			out = append(out, l)
		}
	}
	if trimmed {
		out = append(out, "(show prints every resource's details; the demo keeps two)")
	}
	return out
}

// showFiles is step 4: everything now in the temporary HOME, with
// permission bits, and the three files awsboot wrote.
func (d *demo) showFiles(context.Context) error {
	d.heading("Looking at the files awsboot wrote")
	if err := d.listHome(); err != nil {
		return err
	}
	for _, f := range []string{awsConfig, awsCreds, agentConfig} {
		fmt.Fprintln(d.out)
		if err := d.showFile(f, f == awsCreds); err != nil {
			return err
		}
	}
	return nil
}

// listHome prints the mode and path of every file and directory in the
// temporary HOME, like `ls -l` would show the permissions.
func (d *demo) listHome() error {
	backups := false
	err := filepath.WalkDir(d.home, func(p string, e fs.DirEntry, err error) error {
		if err != nil || p == d.home {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(d.home, p)
		if e.IsDir() && rel == filepath.Join(".cache", "awsboot") {
			fmt.Fprintf(d.out, "%s %s/... (awsboot's locks and its journal of creates in flight)\n", info.Mode(), rel)
			return fs.SkipDir
		}
		backups = backups || strings.HasSuffix(rel, ".awsboot.bak")
		fmt.Fprintf(d.out, "%s %s\n", info.Mode(), rel)
		return nil
	})
	if backups {
		fmt.Fprintln(d.out, "(*.awsboot.bak: awsboot keeps the previous content of each file it edits)")
	}
	return err
}

// showFile prints a file of the temporary HOME, indented, under a line
// with its permission bits; mask hides the secret access key.
func (d *demo) showFile(rel string, mask bool) error {
	p := filepath.Join(d.home, rel)
	info, err := os.Stat(p)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "%s ~/%s:\n", info.Mode(), rel)
	if len(bytes.TrimSpace(data)) == 0 {
		fmt.Fprintln(d.out, "    (empty)")
		return nil
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if k, _, found := strings.Cut(line, "="); mask && found && strings.TrimSpace(k) == "aws_secret_access_key" {
			line = k + "= " + masked
		}
		fmt.Fprintf(d.out, "    %s\n", line)
	}
	return sc.Err()
}

// verify is step 5: awsboot proves the grant with the written key only.
func (d *demo) verify(ctx context.Context) error {
	d.heading("Verifying the grant with nothing but the written key")
	if _, err := d.awsbootRun(ctx, "verify", "-f", d.spec); err != nil {
		return err
	}
	fmt.Fprintln(d.out, "moto here does not enforce IAM, so verify cannot show refusals: its \"skip\" line.")
	fmt.Fprintln(d.out, "On AWS that line is checked too. The next step turns on moto's IAM checks for a")
	fmt.Fprintln(d.out, "moment to show the refusals. (verify itself stays off them: with them on, moto")
	fmt.Fprintln(d.out, "answers every presigned URL with an error 500, which would fail the presigned GET.)")
	return nil
}

// useProfile is step 5: S3 and STS calls made with nothing but the
// profile awsboot wrote, on the bucket the agent config names.
func (d *demo) useProfile(ctx context.Context) (err error) {
	env, err := agentEnv(filepath.Join(d.home, agentConfig))
	if err != nil {
		return err
	}
	bucket := env["SEMAPHORE_CACHE_S3_BUCKET"]
	if bucket == "" {
		return fmt.Errorf("~/%s has no SEMAPHORE_CACHE_S3_BUCKET entry after bootstrap", agentConfig)
	}
	// The profile Semaphore's cache CLI loads (SEMAPHORE_CACHE_AWS_PROFILE).
	profile := env["SEMAPHORE_CACHE_AWS_PROFILE"]
	if profile == "" {
		return fmt.Errorf("~/%s has no SEMAPHORE_CACHE_AWS_PROFILE entry after bootstrap", agentConfig)
	}
	d.profile = profile
	d.heading("Using the new credentials, as the Semaphore agent would")
	fmt.Fprintf(d.out, "Nothing but profile %q from ~/%s and ~/%s (no AWS_* variables),\n", profile, awsConfig, awsCreds)
	fmt.Fprintf(d.out, "on the bucket that SEMAPHORE_CACHE_S3_BUCKET in ~/%s names, as the cache CLI does,\n", agentConfig)
	fmt.Fprintln(d.out, "with moto checking every call against IAM as AWS does (turned off again at the end).")
	if err := d.moto.EnforceIAM(); err != nil {
		return err
	}
	defer func() {
		if e := d.stopEnforcingIAM(); e != nil && err == nil {
			err = e
		}
	}()
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithSharedConfigProfile(profile),
		config.WithSharedConfigFiles([]string{filepath.Join(d.home, awsConfig)}),
		config.WithSharedCredentialsFiles([]string{filepath.Join(d.home, awsCreds)}),
	)
	if err != nil {
		return fmt.Errorf("loading profile %q: %w", profile, err)
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("profile %q has no usable credentials: %w", profile, err)
	}
	fmt.Fprintf(d.out, "access key %s, region %s, endpoint %s\n", creds.AccessKeyID, cfg.Region, aws.ToString(cfg.BaseEndpoint))
	if aws.ToString(cfg.BaseEndpoint) != d.moto.URL {
		return fmt.Errorf("profile %q points at %q, not the emulator %s", profile, aws.ToString(cfg.BaseEndpoint), d.moto.URL)
	}

	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("sts GetCallerIdentity: %w", err)
	}
	arn := aws.ToString(id.Arn)
	if !strings.HasPrefix(arn, "arn:aws:iam::") || !strings.Contains(arn, ":user/") {
		return fmt.Errorf("sts GetCallerIdentity: %s is not the IAM user awsboot created", arn)
	}
	d.ok("sts get-caller-identity: %s", arn)

	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = true
		// moto sends no response checksum; without this the SDK logs a
		// DEBUG line about it on every GetObject.
		o.DisableLogOutputChecksumValidationSkipped = true
	})
	where := fmt.Sprintf("s3://%s/%s", bucket, demoKey)
	body := fmt.Sprintf("hello from the awsboot demo, %s\n", time.Now().UTC().Format(time.RFC3339))
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: &bucket, Key: aws.String(demoKey), Body: strings.NewReader(body)}); err != nil {
		return fmt.Errorf("put %s: %w", where, err)
	}
	d.ok("put %s (%d bytes)", where, len(body))

	got, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: aws.String(demoKey)})
	if err != nil {
		return fmt.Errorf("get %s: %w", where, err)
	}
	back, err := io.ReadAll(got.Body)
	got.Body.Close()
	if err != nil {
		return fmt.Errorf("get %s: %w", where, err)
	}
	if string(back) != body {
		return fmt.Errorf("get %s: read back %q, wrote %q", where, back, body)
	}
	d.ok("get %s, same content", where)

	list, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: &bucket})
	if err != nil {
		return fmt.Errorf("list s3://%s: %w", bucket, err)
	}
	var keys []string
	for _, o := range list.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	if len(keys) != 1 || keys[0] != demoKey {
		return fmt.Errorf("list s3://%s: got %v, want only %s", bucket, keys, demoKey)
	}
	d.ok("list s3://%s/: %s", bucket, strings.Join(keys, ", "))

	// Outside the grant. The bucket still holds the object, so even an
	// allowed DeleteBucket could not delete it.
	refused := []struct {
		what string
		call func() error
	}{
		{"s3 delete-bucket s3://" + bucket, func() error {
			_, err := client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket})
			return err
		}},
		{"s3 list-buckets", func() error {
			_, err := client.ListBuckets(ctx, &s3.ListBucketsInput{})
			return err
		}},
		{"iam create-user", func() error {
			_, err := iam.NewFromConfig(cfg).CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("demo-intruder")})
			return err
		}},
	}
	for _, r := range refused {
		err := r.call()
		why, ok := denied(err)
		if !ok {
			return fmt.Errorf("%s with the written key: got %v, want access denied", r.what, err)
		}
		d.ok("%s refused: %s", r.what, why)
	}

	if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &bucket, Key: aws.String(demoKey)}); err != nil {
		return fmt.Errorf("delete %s: %w", where, err)
	}
	d.ok("delete %s", where)
	return nil
}

// denied says whether err is an access-denied answer, and how it reads:
// the error code, else the HTTP status (moto's IAM answers a refusal with
// a 403 whose body the SDK does not decode).
func denied(err error) (string, bool) {
	var api smithy.APIError
	if errors.As(err, &api) && strings.HasPrefix(api.ErrorCode(), "AccessDenied") {
		return api.ErrorCode(), true
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() == http.StatusForbidden {
		return "HTTP 403 Forbidden", true
	}
	return "", false
}

// stopEnforcingIAM lets every request through again, as moto does by
// default (an unlimited count of unauthenticated actions).
func (d *demo) stopEnforcingIAM() error {
	if d.moto == nil {
		return nil
	}
	resp, err := http.Post(d.moto.URL+"/moto-api/reset-auth", "text/plain", strings.NewReader("inf"))
	if err != nil {
		return fmt.Errorf("turning moto's IAM checks off: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("turning moto's IAM checks off: %s", resp.Status)
	}
	return nil
}

// ask is step 7: explain, show and output, which answer questions about
// the stack without changing it.
func (d *demo) ask(ctx context.Context) error {
	d.heading("Asking awsboot about the stack (explain, show, output)")
	if _, err := d.awsbootRun(ctx, "explain", "-f", d.spec); err != nil {
		return err
	}
	if _, err := d.awsbootFiltered(ctx, showTrimmed, "show", "-f", d.spec); err != nil {
		return err
	}
	fmt.Fprintln(d.out, "\n$ echo \"the cache lives in s3://$(awsboot output -f "+d.spec+" bucket)\"")
	bucket, err := d.awsbootValue(ctx, "output", "-f", d.spec, "bucket")
	if err != nil {
		return err
	}
	fmt.Fprintf(d.out, "the cache lives in s3://%s\n", bucket)
	fmt.Fprintln(d.out, "(`awsboot output` lists every value; `--json` for scripts)")
	return nil
}

// drift is step 8: bootstrap is idempotent, and a change made by hand
// shows in plan and is repaired by bootstrap.
func (d *demo) drift(ctx context.Context) error {
	d.heading("Drift: a change made by hand, found by plan, repaired by bootstrap")
	code, err := d.awsbootRun(ctx, "plan", "-f", d.spec, "--detailed-exitcode")
	if code == 2 {
		return fmt.Errorf("plan shows changes right after bootstrap (exit status 2)")
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(d.out, "(exit status 0: no changes; 2 would mean changes, 1 an error)")

	bucket, err := d.awsbootValue(ctx, "output", "-f", d.spec, "bucket")
	if err != nil {
		return err
	}
	cfg, err := config.LoadDefaultConfig(ctx,
		config.WithRegion("us-east-1"),
		config.WithBaseEndpoint(d.moto.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		config.WithSharedConfigFiles([]string{}), config.WithSharedCredentialsFiles([]string{}),
	)
	if err != nil {
		return err
	}
	admin := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	fmt.Fprintf(d.out, "\nSomeone turns off the public access block of s3://%s by hand, as the admin\n", bucket)
	fmt.Fprintln(d.out, "(the demo makes this call with the AWS SDK):")
	fmt.Fprintf(d.out, "$ aws s3api delete-public-access-block --bucket %s\n", bucket)
	if _, err := admin.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: &bucket}); err != nil {
		return fmt.Errorf("delete-public-access-block: %w", err)
	}

	code, err = d.awsbootRun(ctx, "plan", "-f", d.spec, "--detailed-exitcode")
	if code == 0 {
		return fmt.Errorf("plan does not show the drift (exit status 0)")
	}
	if code != 2 {
		return err
	}
	fmt.Fprintln(d.out, "(exit status 2: changes)")
	if _, err := d.awsbootFiltered(ctx, afterPlan, "bootstrap", "-f", d.spec, "--auto-approve"); err != nil {
		return err
	}
	code, err = d.awsbootRun(ctx, "plan", "-f", d.spec, "--detailed-exitcode")
	if code == 2 {
		return fmt.Errorf("plan still shows changes after the repair (exit status 2)")
	}
	return err
}

// graph is step 9: the resource graph, as Mermaid for a Markdown page.
func (d *demo) graph(ctx context.Context) error {
	d.heading("The resource graph, as Mermaid (paste it into Markdown)")
	_, err := d.awsbootRun(ctx, "graph", "-f", d.spec, "--format", "mermaid")
	return err
}

// teardown is step 10: plan --destroy, teardown, then what is left of
// the local files.
func (d *demo) teardown(ctx context.Context) error {
	d.heading("Tearing the stack down")
	if _, err := d.awsbootRun(ctx, "plan", "-f", d.spec, "--destroy"); err != nil {
		return err
	}
	if _, err := d.awsbootFiltered(ctx, afterPlan, "teardown", "-f", d.spec, "--auto-approve"); err != nil {
		return err
	}
	fmt.Fprintln(d.out)
	if err := d.showFile(agentConfig, false); err != nil {
		return err
	}
	after, err := agentEnv(filepath.Join(d.home, agentConfig))
	if err != nil {
		return err
	}
	for name := range after {
		if strings.HasPrefix(name, "SEMAPHORE_") {
			return fmt.Errorf("~/%s still has %s after teardown", agentConfig, name)
		}
	}
	for name, v := range d.before {
		if after[name] != v {
			return fmt.Errorf("~/%s lost its own entry %s=%s", agentConfig, name, v)
		}
	}
	data, err := os.ReadFile(filepath.Join(d.home, agentConfig))
	if err != nil {
		return err
	}
	if string(data) == existingAgentConfig {
		d.ok("~/%s is exactly what it was before bootstrap", agentConfig)
	} else {
		d.ok("~/%s keeps TZ=UTC and its other keys, the SEMAPHORE_* entries are gone", agentConfig)
	}

	fmt.Fprintln(d.out)
	if err := d.showFile(awsCreds, true); err != nil {
		return err
	}
	configSection := "[profile " + d.profile + "]"
	if d.profile == "default" {
		configSection = "[default]"
	}
	for f, section := range map[string]string{awsCreds: "[" + d.profile + "]", awsConfig: configSection} {
		data, err := os.ReadFile(filepath.Join(d.home, f))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if bytes.Contains(data, []byte(section)) {
			return fmt.Errorf("~/%s still has %s after teardown", f, section)
		}
	}
	d.ok("profile %q is gone from ~/%s and ~/%s", d.profile, awsCreds, awsConfig)
	return nil
}

// agentEnv reads the env-vars entries ("- NAME=value") of a Semaphore
// agent config into a map. It is a line scan, enough for the flat
// config.yaml the agent uses and awsboot writes.
func agentEnv(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	in := false
	for _, line := range strings.Split(string(data), "\n") {
		t := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "env-vars:"):
			in = true
		case in && strings.HasPrefix(t, "- "):
			item := strings.Trim(strings.TrimSpace(t[2:]), `"'`)
			if name, v, ok := strings.Cut(item, "="); ok {
				env[name] = v
			}
		case in && t != "" && !strings.HasPrefix(t, "#"):
			in = false
		}
	}
	return env, nil
}

// cleanup stops moto and removes the temporary directory (unless -keep);
// it is safe to call more than once.
func (d *demo) cleanup() {
	if d.moto != nil {
		d.moto.Stop()
		d.moto = nil
	}
	if d.root != "" && !d.keep {
		os.RemoveAll(d.root)
		d.root = ""
	}
}

// relToWD shortens a path to be relative to the working directory when
// it lies below it.
func relToWD(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return p
}
