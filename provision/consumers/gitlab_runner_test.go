package consumers

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pelletier/go-toml/v2"

	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// The key in the tests' credentials file.
const (
	glKeyID  = "AKIAGITLABRUNNER0001"
	glSecret = "gitlab-runner-secret-value"
)

// gitlabAccess is a user entry configuring runner docker-runner of
// config.toml, with prefix (may be "").
func gitlabAccess(prefix string) spec.Access {
	return spec.Access{Name: "cache", Grant: "cache", Prefix: prefix, User: "ci", Write: spec.Write{
		KeyAWSProfile: "ci", KeyGitLabRunner: "config.toml", KeyGitLabRunnerName: "docker-runner",
	}}
}

// gitlabTarget is the target of an entry in dir, against endpoint ("" for
// AWS).
func gitlabTarget(dir string, a spec.Access, endpoint string, fsys localfile.System) Target {
	return Target{
		Spec: testSpec(filepath.Join(dir, "s.yaml")), Access: a, Region: testRegion, Endpoint: endpoint,
		BucketAddr: "s3_bucket.b", KeyAddr: "iam_access_key.ci",
		Files: AWSFiles{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}, FS: fsys,
	}
}

// saveKey stores the test key in profile ci as the stack's.
func saveKey(t *testing.T, dir string) {
	t.Helper()
	if err := NewCredentialsProfile(localfile.OS{}, testStack, filepath.Join(dir, "credentials"), "ci").Save(glKeyID, engine.NewSecret(glSecret)); err != nil {
		t.Fatal(err)
	}
}

// glRunner is a config.toml with the runner, and cache lines when given.
func glRunner(cache string) string {
	return "[[runners]]\n  name = \"docker-runner\"\n  token = \"glrt-x\"\n" + cache
}

// glWritten is the cache awsboot writes for the test key on AWS, with
// the prefix "ci-cache".
const glWritten = "  [runners.cache]\n    Type = \"s3\"\n    Shared = true\n    Path = \"ci-cache\"\n" +
	"    [runners.cache.s3]\n      ServerAddress = \"s3.amazonaws.com\"\n      BucketName = \"b\"\n      BucketLocation = \"us-east-1\"\n" +
	"      AuthenticationType = \"access-key\"\n      AccessKey = \"" + glKeyID + "\"\n      SecretKey = \"" + glSecret + "\"\n"

func TestGitLabRunnerCacheDiff(t *testing.T) {
	s3 := func(k string) engine.Path { return pathGitLabS3.Key(k) }
	c := func(k string) engine.Path { return pathGitLabCache.Key(k) }
	tests := map[string]struct {
		file     string // "" for none
		perm     fs.FileMode
		key      bool
		prefix   string
		endpoint string
		exists   bool
		owner    string
		notes    []string
		want     []engine.FieldDiff
	}{
		"no config.toml": {
			notes: []string{"DIR/config.toml does not exist, so awsboot writes no cache settings for it: register the runner (gitlab-runner register --name \"docker-runner\") or fix write.gitlab_runner and write.gitlab_runner_name, then run bootstrap again"},
		},
		"the runner is not registered": {
			file:  "[[runners]]\n  name = \"shell-runner\"\n",
			notes: []string{"DIR/config.toml has no [[runners]] entry with name = \"docker-runner\", so awsboot writes no cache settings for it: register the runner (gitlab-runner register --name \"docker-runner\") or fix write.gitlab_runner and write.gitlab_runner_name, then run bootstrap again"},
		},
		"first bootstrap: the key is made in the same run": {
			file: glRunner(""), perm: 0o644, prefix: "ci-cache/",
			want: []engine.FieldDiff{
				engine.Added(pathFile, "DIR/config.toml"), engine.Added(pathGitLabRunner, "docker-runner"),
				engine.Added(c("Type"), "s3"), engine.Added(c("Shared"), "true"), engine.Added(c("Path"), "ci-cache"),
				engine.Added(s3("ServerAddress"), "s3.amazonaws.com"), engine.Added(s3("BucketName"), "b"),
				engine.Added(s3("BucketLocation"), testRegion), engine.Added(s3("AuthenticationType"), "access-key"),
				{Path: s3("AccessKey"), Unknown: true}, {Path: s3("SecretKey"), Sensitive: true},
				{Path: pathGitLabMode, Before: "0644", After: "0600"},
			},
		},
		"an S3-compatible service over http, no prefix, key stored": {
			file: glRunner("  [runners.cache]\n    MaxUploadedArchiveSize = 0\n    [runners.cache.s3]\n"), perm: 0o600, key: true, endpoint: "http://127.0.0.1:9000",
			want: []engine.FieldDiff{
				engine.Added(pathFile, "DIR/config.toml"), engine.Added(pathGitLabRunner, "docker-runner"),
				engine.Added(c("Type"), "s3"), engine.Added(c("Shared"), "true"),
				engine.Added(s3("ServerAddress"), "127.0.0.1:9000"), engine.Added(s3("BucketName"), "b"),
				engine.Added(s3("BucketLocation"), testRegion), engine.Added(s3("AuthenticationType"), "access-key"),
				engine.Added(s3("Insecure"), "true"), engine.Added(s3("AccessKey"), glKeyID), {Path: s3("SecretKey"), Sensitive: true},
			},
		},
		"up to date": {
			file: glRunner(glWritten), perm: 0o600, key: true, prefix: "ci-cache/",
			exists: true, owner: testStack,
		},
		"up to date but readable by others": {
			file: glRunner(glWritten), perm: 0o644, key: true, prefix: "ci-cache/",
			exists: true, owner: testStack,
			notes: []string{"DIR/config.toml is mode 0644 and holds the cache's secret key: run chmod 600 DIR/config.toml (awsboot makes it 0600 only when it writes it)"},
		},
		"drift, the bucket's name too: the stack's key says it is awsboot's": {
			file: glRunner(strings.NewReplacer(
				`BucketName = "b"`, `BucketName = "other"`, `AuthenticationType = "access-key"`, `AuthenticationType = "iam"`,
				"Shared = true", `Shared = "true"`, `Path = "ci-cache"`, `Path = "elsewhere"`,
				glSecret, "changed-by-hand", "SecretKey", "Insecure = true\n      SecretKey").Replace(glWritten)),
			perm: 0o600, key: true, exists: true, owner: testStack,
			want: []engine.FieldDiff{
				{Path: c("Shared"), Before: `"true"`, After: "true"}, engine.Removed(c("Path"), "elsewhere"),
				{Path: s3("BucketName"), Before: "other", After: "b"}, {Path: s3("AuthenticationType"), Before: "iam", After: "access-key"},
				engine.Removed(s3("Insecure"), "true"), {Path: s3("SecretKey"), Sensitive: true},
			},
		},
		"false and empty values count as unset": {
			file: glRunner(strings.Replace(glWritten, "Path = \"ci-cache\"", "Path = \"\"", 1) + "      Insecure = false\n"),
			perm: 0o600, key: true, exists: true, owner: testStack,
		},
		"another setup's cache": {
			file: glRunner("  [runners.cache]\n    Type = \"s3\"\n    [runners.cache.s3]\n      BucketName = \"theirs\"\n      AccessKey = \"AKIATHEIRS\"\n      SecretKey = \"theirs\"\n"),
			perm: 0o600, key: true, prefix: "ci-cache/", exists: true,
			want: []engine.FieldDiff{
				engine.Added(c("Shared"), "true"), engine.Added(c("Path"), "ci-cache"),
				engine.Added(s3("ServerAddress"), "s3.amazonaws.com"), {Path: s3("BucketName"), Before: "theirs", After: "b"},
				engine.Added(s3("BucketLocation"), testRegion), engine.Added(s3("AuthenticationType"), "access-key"),
				{Path: s3("AccessKey"), Before: "AKIATHEIRS", After: glKeyID}, {Path: s3("SecretKey"), Sensitive: true},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.file != "" {
				writeTestFile(t, filepath.Join(dir, "config.toml"), tc.file, tc.perm)
			}
			if tc.key {
				saveKey(t, dir)
			}
			r, err := NewGitLabRunnerCache(gitlabTarget(dir, gitlabAccess(tc.prefix), tc.endpoint, localfile.OS{}))
			if err != nil {
				t.Fatal(err)
			}
			o, st, err := r.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			d, err := r.Diff(o, st)
			if err != nil {
				t.Fatal(err)
			}
			fix := func(s string) string { return strings.ReplaceAll(s, dir, "DIR") }
			for i := range d {
				d[i].Before, d[i].After = fix(d[i].Before), fix(d[i].After)
			}
			var notes []string
			for _, n := range o.Notes {
				notes = append(notes, fix(n))
			}
			if o.Exists != tc.exists || o.Owner != tc.owner || o.DerivedOwnership {
				t.Errorf("observation: exists %v, owner %q, derived %v; want %v, %q, false", o.Exists, o.Owner, o.DerivedOwnership, tc.exists, tc.owner)
			}
			if diff := cmp.Diff(tc.notes, notes); diff != "" {
				t.Errorf("notes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, d); diff != "" {
				t.Errorf("diffs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGitLabRunnerCacheRoundTrip: over the realistic config.toml, the
// settings are written into the named runner only (the file, 0644, is
// made 0600), read back as this stack's with no diff, and Delete gives
// the file back byte for byte, for a runner without cache tables and for
// one with the empty tables register writes.
func TestGitLabRunnerCacheRoundTrip(t *testing.T) {
	original, err := os.ReadFile(filepath.Join("testdata", "gitlab", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, runner := range []string{"docker-runner", "shell-runner"} {
		t.Run(runner, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.toml")
			writeTestFile(t, path, string(original), 0o644)
			saveKey(t, dir)
			a := gitlabAccess("ci-cache/")
			a.Write[KeyGitLabRunnerName] = runner
			r, err := NewGitLabRunnerCache(gitlabTarget(dir, a, "", localfile.OS{}))
			if err != nil {
				t.Fatal(err)
			}
			res, perm := roundTripPerm(t, engine.Typed(r), path)
			if res.Action != "create" || perm != 0o600 {
				t.Errorf("action %s, mode %04o; want create, 0600", res.Action, perm)
			}
			if res.Deleted != string(original) {
				t.Errorf("Delete did not restore the file (-want +got):\n%s", cmp.Diff(string(original), res.Deleted))
			}
			var before, after map[string]any
			if err := toml.Unmarshal(original, &before); err != nil {
				t.Fatal(err)
			}
			if err := toml.Unmarshal([]byte(res.Applied), &after); err != nil {
				t.Fatal(err)
			}
			for i, rr := range before["runners"].([]any) {
				m := rr.(map[string]any)
				got := after["runners"].([]any)[i].(map[string]any)
				if m["name"] != runner {
					if diff := cmp.Diff(m, got); diff != "" {
						t.Errorf("the other runner changed (-want +got):\n%s", diff)
					}
					continue
				}
				cache := got["cache"].(map[string]any)
				s3 := cache["s3"].(map[string]any)
				if cache["Type"] != "s3" || cache["Shared"] != true || cache["Path"] != "ci-cache" || s3["SecretKey"] != glSecret || s3["AccessKey"] != glKeyID {
					t.Errorf("%s's cache: %v", runner, cache)
				}
			}
		})
	}
}

// TestGitLabRunnerCacheNeedsTheKey: writing before the key is in the
// credentials file fails and names the profile; nothing is written.
func TestGitLabRunnerCacheNeedsTheKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	writeTestFile(t, path, glRunner(""), 0o600)
	r, err := NewGitLabRunnerCache(gitlabTarget(dir, gitlabAccess(""), "", localfile.OS{}))
	if err != nil {
		t.Fatal(err)
	}
	o, st, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = r.Create(context.Background(), o, st)
	if err == nil || !strings.Contains(err.Error(), `profile "ci" of `+filepath.Join(dir, "credentials")+" holds no access key") {
		t.Errorf("Create without a key: %v", err)
	}
	if got, _ := fileContent(t, path); got != glRunner("") {
		t.Errorf("the file was written:\n%s", got)
	}
}

// TestGitLabRunnerCacheGate: behind a closed gate nothing is written; an
// open one lets the write through.
func TestGitLabRunnerCacheGate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	writeTestFile(t, path, glRunner(""), 0o600)
	saveKey(t, dir)
	gate := localfile.NewGate(localfile.OS{})
	r, err := NewGitLabRunnerCache(gitlabTarget(dir, gitlabAccess(""), "", gate))
	if err != nil {
		t.Fatal(err)
	}
	res := engine.Typed(r)
	ctx := context.Background()
	o, err := res.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Create(ctx, o); !errors.Is(err, localfile.ErrReadOnly) {
		t.Errorf("Create behind a closed gate = %v, want ErrReadOnly", err)
	}
	if got, _ := fileContent(t, path); got != glRunner("") {
		t.Error("the closed gate let a write through")
	}
	gate.Open()
	if err := res.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	if got, _ := fileContent(t, path); !strings.Contains(got, glSecret) {
		t.Error("the open gate did not let the write through")
	}
}

// TestGitLabRunnerCacheSecretNeverFormatted: the secret read at plan time
// shows in no format of the observation, its state or the diffs.
func TestGitLabRunnerCacheSecretNeverFormatted(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "config.toml"), glRunner(strings.Replace(glWritten, glSecret, "in-the-file", 1)), 0o600)
	saveKey(t, dir)
	r, err := NewGitLabRunnerCache(gitlabTarget(dir, gitlabAccess("ci-cache/"), "", localfile.OS{}))
	if err != nil {
		t.Fatal(err)
	}
	res := engine.Typed(r)
	o, err := res.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d, err := res.Diff(o)
	if err != nil || len(d) != 1 || !d[0].Sensitive {
		t.Fatalf("diff = %v, %v; want one sensitive diff", d, err)
	}
	_, st, _ := r.Read(context.Background())
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(verb+verb+verb+verb, o, *o, st, d)
		for _, secret := range []string{glSecret, "in-the-file"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s shows a secret", verb)
			}
		}
	}
}

// TestGitLabRunnerChecks are the spec's rules for the two keys, with
// their full messages.
func TestGitLabRunnerChecks(t *testing.T) {
	const head = "version: 1\nstack: s\nbucket:\n  name: my-bucket\naccess:\n"
	tests := map[string]struct {
		endpoint string // a line after stack:, moving the access list one line down
		access   string // from line 6 (7 with endpoint)
		want     []string
	}{
		"valid": {
			access: "  - name: cache\n    grant: cache\n    prefix: gitlab/\n    user: ci\n    write:\n      aws_profile: ci\n      gitlab_runner: /etc/gitlab-runner/config.toml\n      gitlab_runner_name: docker\n",
		},
		"valid against an S3-compatible service": {
			endpoint: "endpoint: https://minio.example.com:9000/\n",
			access:   "  - name: cache\n    grant: cache\n    user: ci\n    write:\n      aws_profile: ci\n      gitlab_runner: config.toml\n      gitlab_runner_name: docker\n",
		},
		"gitlab_runner_name missing": {
			access: "  - name: cache\n    grant: cache\n    user: ci\n    write:\n      aws_profile: ci\n      gitlab_runner: config.toml\n",
			want:   []string{`/specs/s.yaml:10:7: access[0].write.gitlab_runner_name: is required with write.gitlab_runner: the name of the [[runners]] entry of that config.toml whose cache awsboot configures (its name = "..." line)`},
		},
		"gitlab_runner_name alone": {
			access: "  - name: cache\n    grant: cache\n    user: ci\n    write:\n      aws_profile: ci\n      gitlab_runner_name: docker\n",
			want:   []string{`/specs/s.yaml:11:27: access[0].write.gitlab_runner_name: needs write.gitlab_runner: the GitLab Runner config.toml that holds the runner`},
		},
		"role access": {
			access: "  - name: cache\n    grant: cache\n    role: ci\n    oidc:\n      github: {repo: acme/app, branch: main}\n    write:\n      gitlab_runner: config.toml\n      gitlab_runner_name: docker\n",
			want:   []string{`/specs/s.yaml:12:22: access[0].write.gitlab_runner: is for user access: GitLab Runner signs its cache URLs with an access key (or the runner host's own AWS credentials), not with a job's OIDC token; use user: with write.aws_profile`},
		},
		"a grant other than cache": {
			access: "  - name: cache\n    grant: publisher\n    prefix: gitlab/\n    user: ci\n    write:\n      aws_profile: ci\n      gitlab_runner: config.toml\n      gitlab_runner_name: docker\n",
			want:   []string{`/specs/s.yaml:7:12: access[0].grant: write.gitlab_runner configures GitLab Runner's distributed cache, which reads, writes, lists and deletes cache archives: use grant: cache`},
		},
		"an endpoint with a path": {
			endpoint: "endpoint: https://storage.example.com/s3\n",
			access:   "  - name: cache\n    grant: cache\n    user: ci\n    write:\n      aws_profile: ci\n      gitlab_runner: config.toml\n      gitlab_runner_name: docker\n",
			want:     []string{`/specs/s.yaml:12:22: access[0].write.gitlab_runner: endpoint "https://storage.example.com/s3" has more than a scheme, host and port, and GitLab Runner's ServerAddress is host[:port] only`},
		},
		"two entries cannot write one config.toml": {
			access: "  - name: a\n    grant: cache\n    user: a\n    write:\n      aws_profile: a\n      gitlab_runner: config.toml\n      gitlab_runner_name: one\n" +
				"  - name: b\n    grant: cache\n    user: b\n    write:\n      aws_profile: b\n      gitlab_runner: config.toml\n      gitlab_runner_name: two\n",
			want: []string{`/specs/s.yaml:18:22: access[1].write.gitlab_runner: "/specs/config.toml" is already used by access[0]`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			yaml := head
			if tc.endpoint != "" {
				yaml = strings.Replace(head, "stack: s\n", "stack: s\n"+tc.endpoint, 1)
			}
			_, err := spec.Parse("/specs/s.yaml", []byte(yaml+tc.access), SpecRules())
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGitLabRunnerStoppedTeardownConverges: config.toml put back by a
// teardown that stopped before deleting config.toml.awsboot-prior reads as
// the stack's, and the next teardown deletes the copy and leaves the file.
func TestGitLabRunnerStoppedTeardownConverges(t *testing.T) {
	original, err := os.ReadFile(filepath.Join("testdata", "gitlab", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	writeTestFile(t, path, string(original), 0o600)
	saveKey(t, dir)
	if err := writePrior(localfile.OS{}, path, testStack, original, true); err != nil {
		t.Fatal(err)
	}
	a := gitlabAccess("ci-cache/")
	a.Write[KeyGitLabRunnerName] = "docker-runner"
	rc, err := NewGitLabRunnerCache(gitlabTarget(dir, a, "", localfile.OS{}))
	if err != nil {
		t.Fatal(err)
	}
	r := engine.Typed(rc)
	ctx := context.Background()
	o, err := r.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Exists || o.Owner != testStack {
		t.Fatalf("Read: exists %v owner %q, want the stack's (its saved copy)", o.Exists, o.Owner)
	}
	if err := r.Delete(ctx, o); err != nil {
		t.Fatal(err)
	}
	if got, _ := fileContent(t, path); got != string(original) {
		t.Errorf("teardown changed the file:\n%s", cmp.Diff(string(original), got))
	}
	if _, err := os.Lstat(path + priorSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the saved copy is still there: %v", err)
	}
	if o, err = r.Read(ctx); err != nil || o.Owner == testStack {
		t.Errorf("Read after: owner %q, %v; want nothing of the stack's", o.Owner, err)
	}
}
