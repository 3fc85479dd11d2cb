package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
	"github.com/pelletier/go-toml/v2"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/policies/policytest"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// The GitLab Runner example and the realistic config.toml it is tested
// over: two runners, comments and tokens; docker-runner has no cache
// tables (awsboot adds them), shell-runner has the empty ones `gitlab-runner
// register` writes.
const (
	gitlabExample  = "gitlab-runner-cache.yaml"
	gitlabConfig   = "consumers/testdata/gitlab/config.toml"
	gitlabProfile  = "gitlab-runner"
	gitlabBucket   = "gitlab-runner-cache"
	gitlabAddress  = "gitlab_runner_config.runner-cache"
	gitlabCacheKey = "gitlab-runner/project/42/default-protected/cache.zip"
)

// gitlabSetup puts the realistic config.toml at the example's path with
// mode perm and loads the example for runner, without its prefix when
// prefix is false. It returns the spec, the config's path and content.
func gitlabSetup(t *testing.T, e *testEnv, runner string, prefix bool, perm os.FileMode) (*spec.Spec, string, []byte) {
	t.Helper()
	original, err := os.ReadFile(gitlabConfig)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(e.dir, "gitlab-runner", "config.toml")
	writeFile(t, path, string(original))
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "examples", gitlabExample))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "gitlab_runner_name: docker-runner", "gitlab_runner_name: "+runner, 1)
	if !prefix {
		var kept []string
		for _, l := range strings.Split(text, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "prefix: gitlab-runner/  ") {
				kept = append(kept, l)
			}
		}
		text = strings.Join(kept, "\n")
	}
	specPath := filepath.Join(e.dir, gitlabExample)
	writeFile(t, specPath, text)
	s, err := LoadSpec(specPath)
	if err != nil {
		t.Fatal(err)
	}
	if (s.Access[0].Prefix != "") != prefix || s.Access[0].Write["gitlab_runner_name"] != runner {
		t.Fatalf("the example changed shape: prefix %q, runner %q", s.Access[0].Prefix, s.Access[0].Write["gitlab_runner_name"])
	}
	return s, path, original
}

// decodeTOML decodes a TOML file as a TOML parser reads it.
func decodeTOML(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("not valid TOML: %v", err)
	}
	return doc
}

// runnerIn returns the [[runners]] entry named name of a decoded config.
func runnerIn(t *testing.T, doc map[string]any, name string) map[string]any {
	t.Helper()
	runners, _ := doc["runners"].([]any)
	for _, r := range runners {
		if m, ok := r.(map[string]any); ok && m["name"] == name {
			return m
		}
	}
	t.Fatalf("no runner %q in %v", name, doc)
	return nil
}

// storedKey reads the entry's key from the credentials file awsboot wrote.
func (e *testEnv) storedKey(profile string) (id, secret string) {
	e.t.Helper()
	data, _, err := localfile.ReadFileIfExists(e.files.Credentials)
	if err != nil {
		e.t.Fatal(err)
	}
	f := localfile.ParseINI(data)
	id, _ = f.Get(profile, "aws_access_key_id")
	secret, _ = f.Get(profile, "aws_secret_access_key")
	if id == "" || secret == "" {
		e.t.Fatalf("no key in profile %q of %s", profile, e.files.Credentials)
	}
	return id, secret
}

// TestGitLabRunnerBootstrap: bootstrap writes exactly the documented
// cache settings into the named runner, whether awsboot creates its cache
// tables or fills the empty ones register wrote; the other runner and
// every other value decode as before, and the file, 0644 before, is 0600.
func TestGitLabRunnerBootstrap(t *testing.T) {
	for _, runner := range []string{"docker-runner", "shell-runner"} {
		t.Run(runner, func(t *testing.T) {
			e := newTestEnv(t)
			s, path, original := gitlabSetup(t, e, runner, true, 0o644)
			e.apply(s, engine.ModeApply, runOpts{})

			id, secret := e.storedKey(gitlabProfile)
			u, err := url.Parse(e.endpoint)
			if err != nil {
				t.Fatal(err)
			}
			want := decodeTOML(t, original)
			r := runnerIn(t, want, runner)
			cache, _ := r["cache"].(map[string]any)
			if cache == nil {
				cache = map[string]any{}
				r["cache"] = cache
			}
			cache["Type"], cache["Shared"], cache["Path"] = "s3", true, "gitlab-runner"
			s3cfg, _ := cache["s3"].(map[string]any)
			if s3cfg == nil {
				s3cfg = map[string]any{}
				cache["s3"] = s3cfg
			}
			for k, v := range map[string]any{
				"ServerAddress": u.Host, "Insecure": true, "BucketName": gitlabBucket, "BucketLocation": "us-east-1",
				"AuthenticationType": "access-key", "AccessKey": id, "SecretKey": secret,
			} {
				s3cfg[k] = v
			}
			got := readFile(t, path)
			if diff := cmp.Diff(want, decodeTOML(t, []byte(got))); diff != "" {
				t.Errorf("config.toml (-want +got):\n%s", strings.ReplaceAll(diff, secret, "<secret>"))
			}
			assertMode(t, path, 0o600)
			if _, err := os.Stat(path + localfile.BackupSuffix); err != nil {
				t.Errorf("no backup of the previous config: %v", err)
			}
			// Only lines were added: every line of the original is there,
			// in order.
			rest := got
			for _, line := range strings.SplitAfter(string(original), "\n") {
				i := strings.Index(rest, line)
				if i < 0 {
					t.Fatalf("line %q of the original is gone or moved", line)
				}
				rest = rest[i+len(line):]
			}
		})
	}
}

// TestGitLabRunnerSecondBootstrapIsNoOp: a rerun plans no change, makes no
// mutating AWS call and rewrites no file.
func TestGitLabRunnerSecondBootstrapIsNoOp(t *testing.T) {
	e := newTestEnv(t)
	s, path, _ := gitlabSetup(t, e, "docker-runner", true, 0o600)
	e.apply(s, engine.ModeApply, runOpts{})
	e.assertRerunIsNoOp(s, path, e.files.Config, e.files.Credentials)
}

// TestGitLabRunnerTeardownRestoresFile: teardown gives config.toml back
// byte for byte, when awsboot created the cache tables and when it filled
// tables that were there.
func TestGitLabRunnerTeardownRestoresFile(t *testing.T) {
	for _, runner := range []string{"docker-runner", "shell-runner"} {
		t.Run(runner, func(t *testing.T) {
			e := newTestEnv(t)
			s, path, original := gitlabSetup(t, e, runner, false, 0o600)
			e.apply(s, engine.ModeApply, runOpts{})
			if got := readFile(t, path); got == string(original) || strings.Contains(got, "Path = ") {
				t.Fatalf("bootstrap without a prefix wrote:\n%s", got)
			}
			p := e.apply(s, engine.ModeDestroy, runOpts{})
			found := false
			for _, c := range p.Changes {
				if c.Addr == gitlabAddress {
					found = c.Action == engine.Delete && strings.Contains(c.Reason, "every other line stays byte for byte")
				}
			}
			if !found {
				t.Errorf("teardown plan does not delete %s with its description: %+v", gitlabAddress, p.Changes)
			}
			if got := readFile(t, path); got != string(original) {
				t.Errorf("teardown did not restore the file (-want +got):\n%s", cmp.Diff(string(original), got))
			}
			if _, err := os.Stat(path + ".awsboot-prior"); !os.IsNotExist(err) {
				t.Errorf("the saved original is still there after teardown: %v", err)
			}
		})
	}
}

// TestGitLabRunnerDrift: BucketName and AuthenticationType changed by hand
// show as exactly those two field changes and bootstrap repairs them.
func TestGitLabRunnerDrift(t *testing.T) {
	e := newTestEnv(t)
	s, path, _ := gitlabSetup(t, e, "shell-runner", true, 0o600)
	e.apply(s, engine.ModeApply, runOpts{})
	written := readFile(t, path)
	drifted := strings.Replace(written, `BucketName = "`+gitlabBucket+`"`, `BucketName = "someone-elses-bucket"`, 1)
	drifted = strings.Replace(drifted, `AuthenticationType = "access-key"`, `AuthenticationType = "iam"`, 1)
	if drifted == written {
		t.Fatal("the drift was not applied")
	}
	writeFile(t, path, drifted)

	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	var got []engine.FieldDiff
	for _, c := range p.Changes {
		if c.Action != engine.NoOp && c.Addr != gitlabAddress {
			t.Errorf("%s changes too: %v", c.Addr, c.Diffs)
		}
		if c.Addr == gitlabAddress {
			if c.Action != engine.Update {
				t.Errorf("%s: %v, want update", c.Addr, c.Action)
			}
			got = c.Diffs
		}
	}
	want := []engine.FieldDiff{
		{Path: "runners.cache.s3.BucketName", Before: "someone-elses-bucket", After: gitlabBucket},
		{Path: "runners.cache.s3.AuthenticationType", Before: "iam", After: "access-key"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("drift diffs (-want +got):\n%s", diff)
	}
	if err := e.applyPlan(p); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != written {
		t.Errorf("bootstrap did not repair the drift (-want +got):\n%s", cmp.Diff(written, got))
	}
	if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Errorf("after the repair: %v, %v", allDiffs(p), err)
	}
}

// TestGitLabRunnerSecretNeverInPlan: the key's secret, read from the
// credentials file, appears in no plan: not when the settings are
// created, unchanged, drifted (a SecretKey changed by hand is a sensitive
// diff with no values) or torn down.
func TestGitLabRunnerSecretNeverInPlan(t *testing.T) {
	e := newTestEnv(t)
	s, path, _ := gitlabSetup(t, e, "docker-runner", true, 0o600)
	var plans []*engine.Plan
	plans = append(plans, e.apply(s, engine.ModeApply, runOpts{}))
	_, secret := e.storedKey(gitlabProfile)
	written := readFile(t, path)
	if !strings.Contains(written, secret) {
		t.Fatal("the secret is not in config.toml: the test proves nothing")
	}
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	plans = append(plans, p)
	const tampered = "tampered-secret-value"
	writeFile(t, path, strings.Replace(written, secret, tampered, 1))
	p = e.apply(s, engine.ModeApply, runOpts{})
	plans = append(plans, p)
	sensitive := false
	for _, c := range p.Changes {
		for _, d := range c.Diffs {
			if c.Addr == gitlabAddress && d.Path == "runners.cache.s3.SecretKey" {
				sensitive = d.Sensitive && d.Before == "" && d.After == ""
			}
		}
	}
	if !sensitive {
		t.Errorf("a SecretKey changed by hand is not a sensitive diff without values: %v", p.Changes)
	}
	if got := readFile(t, path); got != written {
		t.Error("bootstrap did not put the secret back")
	}
	p, err = e.plan(s, engine.ModeDestroy, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	plans = append(plans, p)
	for i, p := range plans {
		var text strings.Builder
		for _, c := range p.Changes {
			fmt.Fprintf(&text, "%s %v %s %s\n", c.Addr, c.Action, c.Reason, strings.Join(c.Notes, "; "))
			for _, d := range c.Diffs {
				fmt.Fprintf(&text, "  %s %q %q %v %v\n", d.Path, d.Before, d.After, d.Sensitive, d.Unknown)
			}
		}
		js, err := json.Marshal(p.Changes)
		if err != nil {
			t.Fatal(err)
		}
		text.Write(js)
		fmt.Fprintf(&text, "%+v %#v", p.Changes, p.Changes)
		for _, v := range []string{secret, tampered} {
			if strings.Contains(text.String(), v) {
				t.Errorf("plan %d shows a secret key", i)
			}
		}
	}
}

// TestForeignGitLabRunnerCacheNeedsAdopt: a runner whose cache another
// setup configured (another bucket, another key) is refused naming
// --adopt, left alone by teardown, and taken over with --adopt.
func TestForeignGitLabRunnerCacheNeedsAdopt(t *testing.T) {
	e := newTestEnv(t)
	s, path, original := gitlabSetup(t, e, "shell-runner", true, 0o600)
	foreign := strings.Replace(string(original), "    MaxUploadedArchiveSize = 0\n    [runners.cache.s3]\n",
		"    MaxUploadedArchiveSize = 0\n    Type = \"s3\"\n    [runners.cache.s3]\n      BucketName = \"their-cache\"\n      AccessKey = \"AKIATHEIRS\"\n      SecretKey = \"theirs\"\n", 1)
	if foreign == string(original) {
		t.Fatal("the foreign cache was not written")
	}
	writeFile(t, path, foreign)
	_, err := e.plan(s, engine.ModeApply, runOpts{})
	if !errors.Is(err, engine.ErrNotOwned) || !strings.Contains(err.Error(), gitlabAddress) || !strings.Contains(err.Error(), "--adopt") {
		t.Fatalf("plan over another cache: %v", err)
	}
	if _, err := e.plan(s, engine.ModeDestroy, runOpts{}); err != nil || readFile(t, path) != foreign {
		t.Fatalf("teardown plan: %v", err)
	}
	e.apply(s, engine.ModeApply, runOpts{adopt: true})
	got := runnerIn(t, decodeTOML(t, []byte(readFile(t, path))), "shell-runner")["cache"].(map[string]any)["s3"].(map[string]any)
	if got["BucketName"] != gitlabBucket || got["AccessKey"] == "AKIATHEIRS" {
		t.Errorf("--adopt did not take the cache over: %v", got["BucketName"])
	}

	// Teardown gives the adopted cache back: the file as it was, with
	// their bucket and key, and the saved original is gone.
	e.apply(s, engine.ModeDestroy, runOpts{})
	if got := readFile(t, path); got != foreign {
		t.Errorf("after teardown:\n%s\nwant the adopted cache back:\n%s", got, foreign)
	}
	if _, err := os.Stat(path + ".awsboot-prior"); !os.IsNotExist(err) {
		t.Errorf("the saved original is still there: %v", err)
	}
}

// TestGitLabRunnerNotRegistered: with no such runner in config.toml (or no
// config.toml), bootstrap creates the rest, writes nothing there and the
// plan says why in a note.
func TestGitLabRunnerNotRegistered(t *testing.T) {
	e := newTestEnv(t)
	s, path, original := gitlabSetup(t, e, "not-registered", true, 0o600)
	p := e.apply(s, engine.ModeApply, runOpts{})
	for _, c := range p.Changes {
		if c.Addr != gitlabAddress {
			continue
		}
		if c.Action != engine.NoOp || len(c.Notes) != 1 || !strings.Contains(c.Notes[0], `no [[runners]] entry with name = "not-registered"`) ||
			!strings.Contains(c.Notes[0], "gitlab-runner register") {
			t.Errorf("%s: %v %v", c.Addr, c.Action, c.Notes)
		}
	}
	if readFile(t, path) != string(original) {
		t.Error("config.toml changed")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Errorf("without config.toml: %v, %v", allDiffs(p), err)
	}
}

// TestGitLabRunnerKeyIsLeastPrivilege: with moto enforcing IAM, the key
// written into config.toml can put, get, list and delete cache archives
// under the entry's prefix and nothing else.
func TestGitLabRunnerKeyIsLeastPrivilege(t *testing.T) {
	srv, adminID, adminSecret := startEnforcingMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", adminID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", adminSecret)
	e := newTestEnvAt(t, srv.URL)
	s, path, _ := gitlabSetup(t, e, "docker-runner", true, 0o600)
	e.apply(s, engine.ModeApply, runOpts{})
	ctx := context.Background()

	admin := rawS3(t, srv.URL, adminID, adminSecret)
	if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("another-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(gitlabBucket), Key: aws.String("other/secret.txt"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}

	cfg := runnerIn(t, decodeTOML(t, []byte(readFile(t, path))), "docker-runner")["cache"].(map[string]any)["s3"].(map[string]any)
	id, _ := cfg["AccessKey"].(string)
	secret, _ := cfg["SecretKey"].(string)
	runner := rawS3(t, srv.URL, id, secret)
	userIAM := rawIAM(t, srv.URL, id, secret)
	bucket := aws.String(gitlabBucket)

	allowed := []struct {
		name string
		call func() error
	}{
		{"s3:PutObject under the prefix", func() error {
			_, err := runner.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String(gitlabCacheKey), Body: strings.NewReader("zip")})
			return err
		}},
		{"s3:GetObject under the prefix", func() error {
			_, err := runner.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String(gitlabCacheKey)})
			return err
		}},
		// moto's signature check refuses a query-string prefix holding
		// "/" (SignatureDoesNotMatch, whoever signs), so the listing
		// asks for "gitlab-runner", which the grant allows as well.
		{"s3:ListBucket of the prefix", func() error {
			_, err := runner.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket, Prefix: aws.String("gitlab-runner")})
			return err
		}},
		{"s3:DeleteObject under the prefix", func() error {
			_, err := runner.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String(gitlabCacheKey)})
			return err
		}},
	}
	for _, a := range allowed {
		if err := a.call(); err != nil {
			t.Errorf("%s was refused: %v", a.name, err)
		}
	}
	denied := map[string]func() error{
		"s3:PutObject outside the prefix": func() error {
			_, err := runner.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("other/x"), Body: strings.NewReader("v")})
			return err
		},
		"s3:GetObject outside the prefix": func() error {
			_, err := runner.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("other/secret.txt")})
			return err
		},
		"s3:DeleteObject outside the prefix": func() error {
			_, err := runner.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("other/secret.txt")})
			return err
		},
		"s3:DeleteBucket": func() error {
			_, err := runner.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket})
			return err
		},
		"s3:PutBucketPolicy": func() error {
			_, err := runner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: bucket,
				Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::gitlab-runner-cache/*"}]}`)})
			return err
		},
		"s3:PutObject on another bucket": func() error {
			_, err := runner.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("another-bucket"), Key: aws.String("gitlab-runner/x"), Body: strings.NewReader("v")})
			return err
		},
		"s3:ListBucket on another bucket": func() error {
			_, err := runner.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("another-bucket")})
			return err
		},
		"iam:ListUsers": func() error {
			_, err := userIAM.ListUsers(ctx, &iam.ListUsersInput{})
			return err
		},
		"iam:CreateAccessKey": func() error {
			_, err := userIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("gitlab-runner")})
			return err
		},
	}
	for name, call := range denied {
		err := call()
		if err == nil {
			t.Errorf("%s was allowed with the runner's key", name)
			continue
		}
		if code := awsapi.ErrorCode(err); code != "AccessDenied" && awsapi.HTTPStatus(err) != 403 {
			t.Errorf("%s failed with %q, want access denied: %v", name, code, err)
		}
	}

	// moto enforces actions and resources but not conditions, so the
	// listing's s3:prefix condition is checked on the document moto
	// stored, with policytest: the runner lists its prefix, not the
	// bucket.
	arn := aws.String("arn:aws:iam::" + e.c.Account.ID + ":policy/gitlab-runner-cache-policy")
	pol, err := e.iam().GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})
	if err != nil {
		t.Fatal(err)
	}
	ver, err := e.iam().GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: pol.Policy.DefaultVersionId})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := policies.Parse(aws.ToString(ver.PolicyVersion.Document))
	if err != nil {
		t.Fatal(err)
	}
	for prefix, want := range map[string]bool{"gitlab-runner/": true, "gitlab-runner/project/42/": true, "": false, "other/": false} {
		req := policytest.Request{Action: "s3:ListBucket", Resource: "arn:aws:s3:::" + gitlabBucket, Context: map[string]string{"s3:prefix": prefix}}
		if prefix == "" {
			req.Context = nil
		}
		if got := policytest.Allows(doc, req); got != want {
			t.Errorf("ListBucket with prefix %q allowed: %v, want %v", prefix, got, want)
		}
	}
}
