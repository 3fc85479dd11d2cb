package consumers

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// testStack is the stack of every test resource; testMarker its marker.
const (
	testStack  = "s"
	testMarker = "# managed by awsboot: stack=s"
	testRegion = "us-east-1"
	testRole   = "arn:aws:iam::123456789012:role/deploy"
)

// testSpec is the minimal spec the targets point at, loaded from file.
func testSpec(file string) *spec.Spec {
	return &spec.Spec{Stack: testStack, Bucket: spec.Bucket{Name: "b"}, File: file}
}

// agentAccess is a user entry writing a Semaphore agent's config at
// agentPath, with profile as its aws_profile.
func agentAccess(profile, agentPath string) spec.Access {
	return spec.Access{Name: "cache", Grant: "cache", User: "ci", Write: spec.Write{KeyAWSProfile: profile, KeySemaphoreAgent: agentPath}}
}

// publisherAccess is a user entry writing a Bacalhau orchestrator's config
// at configPath and its flags at flagsPath.
func publisherAccess(configPath, flagsPath string) spec.Access {
	return spec.Access{
		Name: "results", Grant: "publisher", Prefix: "results/", User: "bac", PresignExpiry: "1h",
		Write: spec.Write{KeyAWSProfile: "bac", KeyBacalhauConfig: configPath, KeyBacalhauFlags: flagsPath},
	}
}

// roleAccess is a role entry writing a profile, the pipeline snippets
// and the token file option, relative to the spec's directory.
func roleAccess() spec.Access {
	return spec.Access{
		Name: "deploy", Grant: "cache", Role: "deploy", MaxSession: "1h",
		OIDC: &spec.OIDC{Issuer: "https://token.actions.githubusercontent.com", Audience: "sts.amazonaws.com"},
		Write: spec.Write{
			KeyAWSProfile: "deploy", KeyWebIdentityTokenFile: "/tmp/token",
			KeySemaphorePipeline: "semaphore.yml", KeyGitHubWorkflow: "github.yml",
		},
	}
}

// present is the observation of an object that exists.
var present = engine.Observation{Exists: true}

// fileContent returns the content of the file at path and whether it
// exists.
func fileContent(t *testing.T, path string) (string, bool) {
	t.Helper()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(data), true
}

// writeTestFile writes content at path with permission bits perm (exactly,
// whatever the umask).
func writeTestFile(t *testing.T, path, content string, perm fs.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// permOf returns the permission bits of the file at path.
func permOf(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// snapshot is every entry below dir, by relative path: its mode and, for
// a file, its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			out[rel] = info.Mode().String()
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = info.Mode().String() + " " + string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tripResult is what a round trip left in the resource's file.
type tripResult struct {
	// Action is what the first plan did: create or update.
	Action string
	// Applied is the file after the create or update.
	Applied string
	// Deleted is the file after the delete; DeletedExists says whether
	// the file is still there.
	Deleted       string
	DeletedExists bool
}

// roundTrip drives r as the executor does: Read, Diff (which must show a
// change), Create or Update, Read again (this stack's, no diff), Delete
// and Read again (absent). It returns what path held along the way.
func roundTrip(t *testing.T, r engine.Resource, path string) tripResult {
	t.Helper()
	res, _ := roundTripPerm(t, r, path)
	return res
}

// roundTripPerm is roundTrip that also returns the file's mode after the
// create or update.
func roundTripPerm(t *testing.T, r engine.Resource, path string) (tripResult, fs.FileMode) {
	t.Helper()
	ctx := context.Background()
	o, err := r.Read(ctx)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	d, err := r.Diff(o)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if len(d) == 0 {
		t.Fatal("Diff before apply: no change")
	}
	var res tripResult
	if o.Exists {
		res.Action = engine.Update.String()
		err = r.Update(ctx, o, d)
	} else {
		res.Action = engine.Create.String()
		err = r.Create(ctx, o)
	}
	if err != nil {
		t.Fatalf("%s: %v", res.Action, err)
	}
	res.Applied, _ = fileContent(t, path)
	perm := permOf(t, path)

	o, err = r.Read(ctx)
	if err != nil {
		t.Fatalf("Read after %s: %v", res.Action, err)
	}
	if !o.Exists || o.Owner != testStack {
		t.Errorf("Read after %s: exists %v, owner %q; want this stack's", res.Action, o.Exists, o.Owner)
	}
	if d, err := r.Diff(o); err != nil || d != nil {
		t.Errorf("Diff after %s = %v, %v; want no change", res.Action, d, err)
	}

	if err := r.Delete(ctx, o); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	res.Deleted, res.DeletedExists = fileContent(t, path)
	if _, err := os.Lstat(path + priorSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the saved original %s is still there after Delete (%v)", path+priorSuffix, err)
	}
	o, err = r.Read(ctx)
	if err != nil {
		t.Fatalf("Read after Delete: %v", err)
	}
	if o.Exists && o.Owner == testStack {
		t.Errorf("Read after Delete: this stack's object still exists")
	}
	return res, perm
}

func TestAWSProfileDiff(t *testing.T) {
	const path = "/home/u/.aws/config"
	user := AWSProfileConfig{Stack: testStack, Profile: "ci", Path: path, Region: testRegion}
	custom := user
	custom.Endpoint, custom.PathStyle = "http://localhost:9000", true
	role := user
	role.Profile, role.RoleARN, role.TokenFile = "deploy", testRole, "/tmp/token"
	def := user
	def.Profile = "default"

	tests := map[string]struct {
		cfg  AWSProfileConfig
		obs  engine.Observation
		file string
		want []engine.FieldDiff
		// wantErr is the whole error, an ErrAmbiguousProfile.
		wantErr string
	}{
		"absent": {
			cfg: user,
			want: []engine.FieldDiff{
				{Path: "file", After: path},
				{Path: "region", After: testRegion},
				{Path: "output", After: "json"},
			},
		},
		"absent with endpoint and path style": {
			cfg: custom,
			want: []engine.FieldDiff{
				{Path: "file", After: path},
				{Path: "region", After: testRegion},
				{Path: "output", After: "json"},
				{Path: "endpoint_url", After: "http://localhost:9000"},
				{Path: "s3.addressing_style", After: "path"},
			},
		},
		"equal": {
			cfg:  user,
			obs:  present,
			file: "[profile ci]\n" + testMarker + "\nregion = us-east-1\noutput = json\n",
		},
		"equal with other keys and sections": {
			cfg:  user,
			obs:  present,
			file: "[default]\nregion = eu-west-1\n\n[profile ci]\n" + testMarker + "\nregion = us-east-1\ncli_pager =\noutput = json\n",
		},
		"equal with endpoint and path style": {
			cfg:  custom,
			obs:  present,
			file: "[profile ci]\n" + testMarker + "\nregion = us-east-1\noutput = json\nendpoint_url = http://localhost:9000\ns3 =\n    addressing_style = path\n",
		},
		"region drift": {
			cfg:  user,
			obs:  present,
			file: "[profile ci]\n" + testMarker + "\nregion = eu-west-1\noutput = json\n",
			want: []engine.FieldDiff{{Path: "region", Before: "eu-west-1", After: testRegion}},
		},
		"endpoint_url drift": {
			cfg:  custom,
			obs:  present,
			file: "[profile ci]\n" + testMarker + "\nregion = us-east-1\noutput = json\nendpoint_url = http://old:9000\ns3 =\n    addressing_style = path\n",
			want: []engine.FieldDiff{{Path: "endpoint_url", Before: "http://old:9000", After: "http://localhost:9000"}},
		},
		"s3.addressing_style missing with PathStyle": {
			cfg:  custom,
			obs:  present,
			file: "[profile ci]\n" + testMarker + "\nregion = us-east-1\noutput = json\nendpoint_url = http://localhost:9000\n",
			want: []engine.FieldDiff{{Path: "s3.addressing_style", After: "path"}},
		},
		"s3.addressing_style virtual with PathStyle": {
			cfg:  custom,
			obs:  present,
			file: "[profile ci]\n" + testMarker + "\nregion = us-east-1\noutput = json\nendpoint_url = http://localhost:9000\ns3 =\n  addressing_style = virtual\n",
			want: []engine.FieldDiff{{Path: "s3.addressing_style", Before: "virtual", After: "path"}},
		},
		"s3.addressing_style not diffed without PathStyle": {
			cfg:  user,
			obs:  present,
			file: "[profile ci]\n" + testMarker + "\nregion = us-east-1\noutput = json\ns3 =\n  addressing_style = virtual\n",
		},
		"marker missing": {
			cfg:  user,
			obs:  present,
			file: "[profile ci]\nregion = us-east-1\noutput = json\n",
			want: []engine.FieldDiff{{Path: "marker", After: testStack}},
		},
		"marker of another stack": {
			cfg:  user,
			obs:  present,
			file: "[profile ci]\n# managed by awsboot: stack=other\nregion = us-east-1\noutput = json\n",
			want: []engine.FieldDiff{{Path: "marker", Before: "other", After: testStack}},
		},
		"keys of the credentials-style section do not count": {
			cfg:  user,
			obs:  present,
			file: "[ci]\nregion = us-east-1\noutput = json\n\n[profile ci]\n" + testMarker + "\n",
			want: []engine.FieldDiff{
				{Path: "region", After: testRegion},
				{Path: "output", After: "json"},
			},
		},
		"default profile is [default]": {
			cfg:  def,
			obs:  present,
			file: "[default]\n" + testMarker + "\nregion = us-east-1\noutput = json\n",
		},
		"default profile as [profile default], which the Go SDK reads": {
			cfg:  def,
			obs:  present,
			file: "[profile default]\n" + testMarker + "\nregion = eu-west-1\noutput = json\n",
			want: []engine.FieldDiff{{Path: "region", Before: "eu-west-1", After: testRegion}},
		},
		"both [default] and [profile default]: refused": {
			cfg:     def,
			obs:     present,
			file:    "[default]\n" + testMarker + "\nregion = us-east-1\noutput = json\n\n[profile default]\nregion = eu-west-1\n",
			wantErr: "/home/u/.aws/config:6: both [default] (line 1) and [profile default] define the default profile, and the AWS SDK for Go uses only [profile default]: ambiguous profile; keep one of them and run again",
		},
		"a section twice: refused": {
			cfg:     user,
			obs:     present,
			file:    "[profile ci]\n" + testMarker + "\nregion = us-east-1\n\n[other]\n\n[profile ci]\nregion = eu-west-1\n",
			wantErr: "/home/u/.aws/config:7: section [profile ci] appears 2 times (lines 1, 7), and the AWS SDKs merge them with the later keys winning: ambiguous profile; merge them into one section and run again",
		},
		"role profile absent": {
			cfg: role,
			want: []engine.FieldDiff{
				{Path: "file", After: path},
				{Path: "region", After: testRegion},
				{Path: "output", After: "json"},
				{Path: "role_arn", After: testRole},
				{Path: "web_identity_token_file", After: "/tmp/token"},
				{Path: "role_session_name", After: "awsboot-s"},
			},
		},
		"role profile equal": {
			cfg:  role,
			obs:  present,
			file: "[profile deploy]\n" + testMarker + "\nregion = us-east-1\noutput = json\nrole_arn = " + testRole + "\nweb_identity_token_file = /tmp/token\nrole_session_name = awsboot-s\n",
		},
		"role profile drift": {
			cfg:  role,
			obs:  present,
			file: "[profile deploy]\n" + testMarker + "\nregion = us-east-1\noutput = json\nrole_arn = arn:aws:iam::123456789012:role/old\nrole_session_name = mine\n",
			want: []engine.FieldDiff{
				{Path: "role_arn", Before: "arn:aws:iam::123456789012:role/old", After: testRole},
				{Path: "web_identity_token_file", After: "/tmp/token"},
				{Path: "role_session_name", Before: "mine", After: "awsboot-s"},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := NewAWSProfile(tc.cfg)
			got, err := p.Diff(&tc.obs, localfile.ParseINI([]byte(tc.file)))
			if tc.wantErr != "" || err != nil {
				if err == nil || err.Error() != tc.wantErr || !errors.Is(err, ErrAmbiguousProfile) {
					t.Fatalf("err = %v, want %s", err, tc.wantErr)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSemaphoreAgentConfigDiff(t *testing.T) {
	const path = "/x/agent.yaml"
	const (
		backend = "env-vars.SEMAPHORE_CACHE_BACKEND"
		bucket  = "env-vars.SEMAPHORE_CACHE_S3_BUCKET"
		profile = "env-vars.SEMAPHORE_CACHE_AWS_PROFILE"
		old     = "env-vars.AWS_PROFILE"
	)
	ours := map[string][]string{envBackend: {"s3"}, envBucket: {"b"}, envCacheProfile: {"ci"}}
	with := func(m map[string][]string, k string, v ...string) map[string][]string {
		out := map[string][]string{}
		for k, v := range m {
			out[k] = v
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	tests := map[string]struct {
		profile string
		obs     engine.Observation
		values  map[string][]string
		want    []engine.FieldDiff
	}{
		"absent": {
			profile: "ci",
			want: []engine.FieldDiff{
				{Path: "file", After: path},
				{Path: backend, After: "s3"},
				{Path: bucket, After: "b"},
				{Path: profile, After: "ci"},
			},
		},
		"absent with the default profile: named too, so the cache CLI never follows the jobs' AWS_PROFILE": {
			profile: "default",
			want: []engine.FieldDiff{
				{Path: "file", After: path},
				{Path: backend, After: "s3"},
				{Path: bucket, After: "b"},
				{Path: profile, After: "default"},
			},
		},
		"equal": {
			profile: "ci",
			obs:     present,
			values:  ours,
		},
		"equal with other entries": {
			profile: "ci",
			obs:     present,
			values:  with(ours, "FOO", "bar"),
		},
		"bucket changed": {
			profile: "ci",
			obs:     present,
			values:  with(ours, envBucket, "old"),
			want:    []engine.FieldDiff{{Path: bucket, Before: "old", After: "b"}},
		},
		"backend changed": {
			profile: "ci",
			obs:     present,
			values:  with(ours, envBackend, "local"),
			want:    []engine.FieldDiff{{Path: backend, Before: "local", After: "s3"}},
		},
		"a duplicated entry": {
			profile: "ci",
			obs:     present,
			values:  with(ours, envBackend, "s3", "s3"),
			want:    []engine.FieldDiff{{Path: backend, Before: "s3", After: "s3"}},
		},
		"a duplicated entry with another value": {
			profile: "ci",
			obs:     present,
			values:  with(ours, envBucket, "b", "other"),
			want:    []engine.FieldDiff{{Path: bucket, Before: "b", After: "b"}},
		},
		"the cache profile missing": {
			profile: "ci",
			obs:     present,
			values:  with(ours, envCacheProfile),
			want:    []engine.FieldDiff{{Path: profile, After: "ci"}},
		},
		"the cache profile changed": {
			profile: "ci",
			obs:     present,
			values:  with(ours, envCacheProfile, "other"),
			want:    []engine.FieldDiff{{Path: profile, Before: "other", After: "ci"}},
		},
		"AWS_PROFILE an earlier awsboot wrote: migrated away": {
			profile: "ci",
			obs:     present,
			values:  with(with(ours, envCacheProfile), envOldProfile, "ci"),
			want:    []engine.FieldDiff{{Path: profile, After: "ci"}, {Path: old, Before: "ci"}},
		},
		"AWS_PROFILE set by hand to another profile is left alone": {
			profile: "ci",
			obs:     present,
			values:  with(ours, envOldProfile, "deploy"),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := NewSemaphoreAgentConfig(Target{Spec: testSpec("/specs/s.yaml"), Access: agentAccess(tc.profile, path)})
			got, err := b.Diff(&tc.obs, blockState{values: tc.values})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBacalhauConfigDiff(t *testing.T) {
	const path = "/x/bacalhau.yaml"
	const p = "Publishers.Types.S3Managed."
	ours := map[string][]string{"Bucket": {"b"}, "Key": {"results"}, "Region": {testRegion}, "PreSignedURLExpiration": {"1h"}}
	with := func(kv ...string) map[string][]string {
		out := map[string][]string{}
		for k, v := range ours {
			out[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			out[kv[i]] = []string{kv[i+1]}
		}
		return out
	}
	tests := map[string]struct {
		endpoint string
		obs      engine.Observation
		values   map[string][]string
		want     []engine.FieldDiff
	}{
		"absent": {
			want: []engine.FieldDiff{
				{Path: "file", After: path},
				{Path: p + "Bucket", After: "b"},
				{Path: p + "Key", After: "results"},
				{Path: p + "Region", After: testRegion},
				{Path: p + "PreSignedURLExpiration", After: "1h"},
			},
		},
		"absent with an endpoint": {
			endpoint: "http://localhost:9000",
			want: []engine.FieldDiff{
				{Path: "file", After: path},
				{Path: p + "Bucket", After: "b"},
				{Path: p + "Key", After: "results"},
				{Path: p + "Region", After: testRegion},
				{Path: p + "Endpoint", After: "http://localhost:9000"},
				{Path: p + "PreSignedURLExpiration", After: "1h"},
			},
		},
		"equal": {
			obs:    present,
			values: ours,
		},
		"equal with other keys": {
			obs:    present,
			values: with("Other", "x"),
		},
		"a key drifted": {
			obs:    present,
			values: with("Key", "old"),
			want:   []engine.FieldDiff{{Path: p + "Key", Before: "old", After: "results"}},
		},
		"region and expiry drifted": {
			obs:    present,
			values: with("Region", "eu-west-1", "PreSignedURLExpiration", "2h"),
			want: []engine.FieldDiff{
				{Path: p + "Region", Before: "eu-west-1", After: testRegion},
				{Path: p + "PreSignedURLExpiration", Before: "2h", After: "1h"},
			},
		},
		"endpoint set and missing": {
			endpoint: "http://localhost:9000",
			obs:      present,
			values:   ours,
			want:     []engine.FieldDiff{{Path: p + "Endpoint", After: "http://localhost:9000"}},
		},
		"endpoint set and equal": {
			endpoint: "http://localhost:9000",
			obs:      present,
			values:   with("Endpoint", "http://localhost:9000"),
		},
		// Pins current behaviour: an Endpoint awsboot wrote before the spec
		// dropped its endpoint is not diffed and stays in the file.
		"no endpoint: an Endpoint set by hand is left alone": {
			obs:    present,
			values: with("Endpoint", "http://elsewhere:9000"),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			b := NewBacalhauConfig(Target{
				Spec: testSpec("/specs/s.yaml"), Access: publisherAccess(path, "/x/flags.txt"),
				Region: testRegion, Endpoint: tc.endpoint,
			})
			got, err := b.Diff(&tc.obs, blockState{values: tc.values})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLocalFileDiff(t *testing.T) {
	const path = "/x/flags.txt"
	render := func(marker string) (string, error) { return marker + "\n-c A=1\n", nil }
	want := testMarker + "\n-c A=1"
	tests := map[string]struct {
		render  func(string) (string, error)
		obs     engine.Observation
		got     string
		want    []engine.FieldDiff
		wantErr string
	}{
		"absent": {
			want: []engine.FieldDiff{{Path: "path", After: path}, {Path: "content", After: want}},
		},
		"equal": {
			obs: engine.Observation{Exists: true, Owner: testStack},
			got: want + "\n",
		},
		"content drift": {
			obs:  engine.Observation{Exists: true, Owner: testStack},
			got:  testMarker + "\n-c A=0\n",
			want: []engine.FieldDiff{{Path: "content", Before: testMarker + "\n-c A=0", After: want}},
		},
		"someone else's file": {
			obs:  present,
			got:  "mine\n",
			want: []engine.FieldDiff{{Path: "content", Before: "mine", After: want}},
		},
		// The final newline is compared but not shown: Before and After
		// read the same.
		"missing final newline": {
			obs:  engine.Observation{Exists: true, Owner: testStack},
			got:  want,
			want: []engine.FieldDiff{{Path: "content", Before: want, After: want}},
		},
		"render fails": {
			render:  func(string) (string, error) { return "", errors.New("no template") },
			obs:     present,
			got:     want + "\n",
			wantErr: "no template",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := render
			if tc.render != nil {
				r = tc.render
			}
			f := NewLocalFile(LocalFileConfig{Name: "results/flags", Path: path, Stack: testStack, Render: r})
			got, err := f.Diff(&tc.obs, tc.got)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("Diff error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Diff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAWSProfileRoundTrip(t *testing.T) {
	const others = "[default]\nregion = eu-west-1\n\n[profile other]\n# not ours\noutput = text\n"
	tests := map[string]struct {
		cfg      AWSProfileConfig
		existing *string // the file before, nil when missing
		perm     fs.FileMode
		want     tripResult
		wantPerm fs.FileMode
	}{
		"missing file": {
			cfg: AWSProfileConfig{Profile: "ci", Region: testRegion},
			want: tripResult{
				Action:        "create",
				Applied:       "[profile ci]\n" + testMarker + "\nregion = us-east-1\noutput = json\n",
				Deleted:       "",
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
		"new profile after others": {
			cfg:      AWSProfileConfig{Profile: "ci", Region: testRegion},
			existing: ptr(others),
			perm:     0o644,
			want: tripResult{
				Action:        "create",
				Applied:       others + "\n[profile ci]\n" + testMarker + "\nregion = us-east-1\noutput = json\n",
				Deleted:       others,
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
		"drifted profile between others, with endpoint and path style": {
			cfg: AWSProfileConfig{Profile: "ci", Region: testRegion, Endpoint: "http://localhost:9000", PathStyle: true},
			existing: ptr("[default]\nregion = eu-west-1\n\n" +
				"[profile ci]\n" + testMarker + "\nregion = eu-west-1\ncli_history = enabled\noutput = json\nendpoint_url = http://old:9000\n" +
				"\n[profile other]\noutput = text\n"),
			perm: 0o600,
			want: tripResult{
				Action: "update",
				Applied: "[default]\nregion = eu-west-1\n\n" +
					"[profile ci]\n" + testMarker + "\nregion = us-east-1\ncli_history = enabled\noutput = json\nendpoint_url = http://localhost:9000\ns3 =\n    addressing_style = path\n" +
					"\n[profile other]\noutput = text\n",
				Deleted:       "[default]\nregion = eu-west-1\n\n\n[profile other]\noutput = text\n",
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
		"unmarked profile is marked": {
			cfg:      AWSProfileConfig{Profile: "ci", Region: testRegion},
			existing: ptr("[profile ci]\nregion = us-east-1\noutput = json\n"),
			perm:     0o600,
			want: tripResult{
				Action:        "update",
				Applied:       "[profile ci]\n" + testMarker + "\nregion = us-east-1\noutput = json\n",
				Deleted:       "",
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
		"role profile in a CRLF file": {
			cfg:      AWSProfileConfig{Profile: "deploy", Region: testRegion, RoleARN: testRole, TokenFile: "/tmp/token"},
			existing: ptr("[default]\r\nregion = eu-west-1\r\n"),
			perm:     0o600,
			want: tripResult{
				Action: "create",
				Applied: "[default]\r\nregion = eu-west-1\r\n\r\n[profile deploy]\r\n" + testMarker + "\r\nregion = us-east-1\r\noutput = json\r\n" +
					"role_arn = " + testRole + "\r\nweb_identity_token_file = /tmp/token\r\nrole_session_name = awsboot-s\r\n",
				Deleted:       "[default]\r\nregion = eu-west-1\r\n",
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ".aws", "config")
			if tc.existing != nil {
				writeTestFile(t, path, *tc.existing, tc.perm)
			}
			cfg := tc.cfg
			cfg.Stack, cfg.Path, cfg.FS = testStack, path, localfile.OS{}
			got := roundTrip(t, engine.Typed(NewAWSProfile(cfg)), path)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if p := permOf(t, path); p != tc.wantPerm {
				t.Errorf("mode = %v, want %v", p, tc.wantPerm)
			}
		})
	}
}

// TestAWSProfileDeleteLeavesOthers checks that Delete takes out only a
// section carrying this stack's marker, and writes nothing otherwise.
func TestAWSProfileDeleteLeavesOthers(t *testing.T) {
	tests := map[string]*string{
		"missing file":              nil,
		"missing section":           ptr("[default]\nregion = eu-west-1\n"),
		"section without marker":    ptr("[profile ci]\nregion = us-east-1\n"),
		"section of another stack":  ptr("[profile ci]\n# managed by awsboot: stack=other\nregion = us-east-1\n"),
		"marker in another section": ptr("[default]\n" + testMarker + "\n\n[profile ci]\nregion = us-east-1\n"),
	}
	for name, existing := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config")
			if existing != nil {
				writeTestFile(t, path, *existing, 0o600)
			}
			before := snapshot(t, dir)
			r := engine.Typed(NewAWSProfile(AWSProfileConfig{Stack: testStack, Profile: "ci", Path: path, Region: testRegion, FS: localfile.OS{}}))
			o, err := r.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Delete(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("directory changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestSemaphoreAgentConfigRoundTrip(t *testing.T) {
	const typical = `endpoint: "acme.semaphoreci.com"
token: "secret-token"
# comment
env-vars:
  - FOO=bar
files: []
fail-on-missing-files: true
`
	tests := map[string]struct {
		profile  string
		existing *string
		perm     fs.FileMode
		want     tripResult
		wantPerm fs.FileMode
	}{
		"missing file": {
			profile: "ci",
			want: tripResult{
				Action:        "create",
				Applied:       "env-vars:\n  - SEMAPHORE_CACHE_BACKEND=s3\n  - SEMAPHORE_CACHE_S3_BUCKET=b\n  - SEMAPHORE_CACHE_AWS_PROFILE=ci\n",
				Deleted:       "",
				DeletedExists: false, // awsboot created it: teardown removes it
			},
			wantPerm: 0o600,
		},
		"typical config": {
			profile:  "ci",
			existing: ptr(typical),
			perm:     0o640,
			want: tripResult{
				Action: "create",
				Applied: strings.Replace(typical, "  - FOO=bar\n",
					"  - FOO=bar\n  - SEMAPHORE_CACHE_BACKEND=s3\n  - SEMAPHORE_CACHE_S3_BUCKET=b\n  - SEMAPHORE_CACHE_AWS_PROFILE=ci\n", 1),
				Deleted:       typical,
				DeletedExists: true,
			},
			wantPerm: 0o640,
		},
		"default profile is named too, and no AWS_PROFILE is written": {
			profile:  "default",
			existing: ptr(typical),
			perm:     0o600,
			want: tripResult{
				Action: "create",
				Applied: strings.Replace(typical, "  - FOO=bar\n",
					"  - FOO=bar\n  - SEMAPHORE_CACHE_BACKEND=s3\n  - SEMAPHORE_CACHE_S3_BUCKET=b\n  - SEMAPHORE_CACHE_AWS_PROFILE=default\n", 1),
				Deleted:       typical,
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
		"an AWS_PROFILE an earlier awsboot wrote is migrated, byte for byte elsewhere": {
			profile:  "ci",
			existing: ptr("env-vars:\n  - FOO=bar\n  - SEMAPHORE_CACHE_BACKEND=s3\n  - SEMAPHORE_CACHE_S3_BUCKET=b\n  - AWS_PROFILE=ci\nfiles: []\n"),
			perm:     0o600,
			want: tripResult{
				Action:        "update",
				Applied:       "env-vars:\n  - FOO=bar\n  - SEMAPHORE_CACHE_BACKEND=s3\n  - SEMAPHORE_CACHE_S3_BUCKET=b\n  - SEMAPHORE_CACHE_AWS_PROFILE=ci\nfiles: []\n",
				Deleted:       "env-vars:\n  - FOO=bar\nfiles: []\n",
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
		"a user's SEMAPHORE_CACHE_BACKEND=local comes back byte for byte": {
			profile:  "ci",
			existing: ptr("token: t\nenv-vars:\n  - FOO=bar\n  - SEMAPHORE_CACHE_BACKEND=local   # fast disk\nfiles: []\n"),
			perm:     0o600,
			want: tripResult{
				Action:        "update",
				Applied:       "token: t\nenv-vars:\n  - FOO=bar\n  - SEMAPHORE_CACHE_BACKEND=s3 # fast disk\n  - SEMAPHORE_CACHE_S3_BUCKET=b\n  - SEMAPHORE_CACHE_AWS_PROFILE=ci\nfiles: []\n",
				Deleted:       "token: t\nenv-vars:\n  - FOO=bar\n  - SEMAPHORE_CACHE_BACKEND=local   # fast disk\nfiles: []\n",
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
		"a user's sftp backend comes back byte for byte": {
			profile:  "ci",
			existing: ptr("env-vars: [SEMAPHORE_CACHE_BACKEND=sftp, SEMAPHORE_CACHE_URL=cache:22]\n"),
			perm:     0o600,
			want: tripResult{
				Action:        "update",
				Applied:       "env-vars:\n  - SEMAPHORE_CACHE_BACKEND=s3\n  - SEMAPHORE_CACHE_URL=cache:22\n  - SEMAPHORE_CACHE_S3_BUCKET=b\n  - SEMAPHORE_CACHE_AWS_PROFILE=ci\n",
				Deleted:       "env-vars: [SEMAPHORE_CACHE_BACKEND=sftp, SEMAPHORE_CACHE_URL=cache:22]\n",
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
		"a pre-existing env-vars: [] comes back": {
			profile:  "ci",
			existing: ptr("endpoint: e\nenv-vars: []\nfiles: []\n"),
			perm:     0o640,
			want: tripResult{
				Action:        "create",
				Applied:       "endpoint: e\nenv-vars:\n  - SEMAPHORE_CACHE_BACKEND=s3\n  - SEMAPHORE_CACHE_S3_BUCKET=b\n  - SEMAPHORE_CACHE_AWS_PROFILE=ci\nfiles: []\n",
				Deleted:       "endpoint: e\nenv-vars: []\nfiles: []\n",
				DeletedExists: true,
			},
			wantPerm: 0o640,
		},
		"bucket changed and a duplicated entry": {
			profile: "default",
			existing: ptr("endpoint: acme.semaphoreci.com\nenv-vars:\n  - FOO=bar\n  - SEMAPHORE_CACHE_BACKEND=s3 # cache\n" +
				"  - SEMAPHORE_CACHE_S3_BUCKET=old\n  - SEMAPHORE_CACHE_BACKEND=s3\nfiles: []\n"),
			perm: 0o600,
			want: tripResult{
				Action: "update",
				Applied: "endpoint: acme.semaphoreci.com\nenv-vars:\n  - FOO=bar\n  - SEMAPHORE_CACHE_BACKEND=s3 # cache\n" +
					"  - SEMAPHORE_CACHE_S3_BUCKET=b\n  - SEMAPHORE_CACHE_AWS_PROFILE=default\nfiles: []\n",
				// The user's own cache settings (bucket "old") come back.
				Deleted: "endpoint: acme.semaphoreci.com\nenv-vars:\n  - FOO=bar\n  - SEMAPHORE_CACHE_BACKEND=s3 # cache\n" +
					"  - SEMAPHORE_CACHE_S3_BUCKET=old\n  - SEMAPHORE_CACHE_BACKEND=s3\nfiles: []\n",
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "agent", "config.yaml")
			if tc.existing != nil {
				writeTestFile(t, path, *tc.existing, tc.perm)
			}
			target := Target{Spec: testSpec(filepath.Join(dir, "s.yaml")), Access: agentAccess(tc.profile, "agent/config.yaml"), FS: localfile.OS{}}
			got, perm := roundTripPerm(t, engine.Typed(NewSemaphoreAgentConfig(target)), path)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if p := perm; p != tc.wantPerm {
				t.Errorf("mode = %v, want %v", p, tc.wantPerm)
			}
		})
	}
}

func TestBacalhauConfigRoundTrip(t *testing.T) {
	const orchestrator = "NameProvider: puuid\nAPI:\n  Port: 1234\n"
	const block = "Publishers:\n  Types:\n    S3Managed:\n      Bucket: \"b\"\n      Key: \"results\"\n      Region: \"us-east-1\"\n"
	tests := map[string]struct {
		endpoint string
		existing *string
		perm     fs.FileMode
		want     tripResult
		wantPerm fs.FileMode
	}{
		"missing file": {
			want: tripResult{
				Action:        "create",
				Applied:       block + "      PreSignedURLExpiration: \"1h\"\n",
				Deleted:       "",
				DeletedExists: false, // awsboot created it: teardown removes it
			},
			wantPerm: 0o600,
		},
		"orchestrator config": {
			existing: ptr(orchestrator),
			perm:     0o640,
			want: tripResult{
				Action:        "create",
				Applied:       orchestrator + block + "      PreSignedURLExpiration: \"1h\"\n",
				Deleted:       orchestrator,
				DeletedExists: true,
			},
			wantPerm: 0o640,
		},
		"another bucket's publisher, adopted, comes back byte for byte": {
			existing: ptr(orchestrator + "Publishers:\n  Types:\n    S3Managed:\n      Bucket: theirs # keep\n      Key: out\n"),
			perm:     0o600,
			want: tripResult{
				Action:        "update",
				Applied:       orchestrator + "Publishers:\n  Types:\n    S3Managed:\n      Bucket: \"b\" # keep\n      Key: \"results\"\n      Region: \"us-east-1\"\n      PreSignedURLExpiration: \"1h\"\n",
				Deleted:       orchestrator + "Publishers:\n  Types:\n    S3Managed:\n      Bucket: theirs # keep\n      Key: out\n",
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
		"a key drifted, with an endpoint and another publisher": {
			endpoint: "http://localhost:9000",
			existing: ptr(orchestrator + "Publishers:\n  Types:\n    Local:\n      Port: 6001\n    S3Managed:\n" +
				"      Bucket: b\n      Key: old\n      Region: us-east-1\n      PreSignedURLExpiration: 1h\n"),
			perm: 0o600,
			want: tripResult{
				Action: "update",
				Applied: orchestrator + "Publishers:\n  Types:\n    Local:\n      Port: 6001\n    S3Managed:\n" +
					"      Bucket: \"b\"\n      Key: \"results\"\n      Region: \"us-east-1\"\n      PreSignedURLExpiration: \"1h\"\n" +
					"      Endpoint: \"http://localhost:9000\"\n",
				Deleted:       orchestrator + "Publishers:\n  Types:\n    Local:\n      Port: 6001\n",
				DeletedExists: true,
			},
			wantPerm: 0o600,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "bacalhau.yaml")
			if tc.existing != nil {
				writeTestFile(t, path, *tc.existing, tc.perm)
			}
			target := Target{
				Spec: testSpec(filepath.Join(dir, "s.yaml")), Access: publisherAccess("bacalhau.yaml", "flags.txt"),
				Region: testRegion, Endpoint: tc.endpoint, FS: localfile.OS{},
			}
			got, perm := roundTripPerm(t, engine.Typed(NewBacalhauConfig(target)), path)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if p := perm; p != tc.wantPerm {
				t.Errorf("mode = %v, want %v", p, tc.wantPerm)
			}
		})
	}
}

func TestLocalFileRoundTrip(t *testing.T) {
	const sibling = "keep me\n"
	render := func(marker string) (string, error) { return marker + "\n-c A=1\n", nil }
	tests := map[string]struct {
		existing *string
		want     tripResult
	}{
		"missing file": {
			want: tripResult{Action: "create", Applied: testMarker + "\n-c A=1\n"},
		},
		"content drift": {
			existing: ptr(testMarker + "\n-c A=0\n"),
			want:     tripResult{Action: "update", Applied: testMarker + "\n-c A=1\n"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "out", "flags.txt")
			writeTestFile(t, filepath.Join(dir, "out", "keep.txt"), sibling, 0o600)
			if tc.existing != nil {
				writeTestFile(t, path, *tc.existing, 0o600)
			}
			f := NewLocalFile(LocalFileConfig{Name: "results/flags", Path: path, Stack: testStack, Render: render, FS: localfile.OS{}})
			got := roundTrip(t, engine.Typed(f), path)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
			if got, _ := fileContent(t, filepath.Join(dir, "out", "keep.txt")); got != sibling {
				t.Errorf("the other file holds %q, want %q", got, sibling)
			}
		})
	}
}

// TestLocalFileDeleteLeavesForeignFile checks that a file without this
// stack's marker is not deleted.
func TestLocalFileDeleteLeavesForeignFile(t *testing.T) {
	for name, content := range map[string]string{
		"no marker":     "-c A=1\n",
		"another stack": "# managed by awsboot: stack=other\n-c A=1\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "flags.txt")
			writeTestFile(t, path, content, 0o644)
			before := snapshot(t, dir)
			r := engine.Typed(NewLocalFile(LocalFileConfig{
				Name: "f", Path: path, Stack: testStack, FS: localfile.OS{},
				Render: func(m string) (string, error) { return m + "\n", nil },
			}))
			o, err := r.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Delete(context.Background(), o); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("directory changed (-before +after):\n%s", diff)
			}
		})
	}
}

// secretComparer compares secrets by value, which cmp cannot see.
var secretComparer = cmp.Comparer(func(a, b engine.Secret) bool { return a.Reveal() == b.Reveal() })

func TestCredentialsProfileSaveLoad(t *testing.T) {
	const (
		others = "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\n"
		id     = "AKIAIOSFODNN7EXAMPLE"
		secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	)
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	writeTestFile(t, path, others, 0o600)
	c := NewCredentialsProfile(localfile.OS{}, testStack, path, "ci")
	if c.Path() != path || c.Profile() != "ci" {
		t.Errorf("Path, Profile = %q, %q; want %q, ci", c.Path(), c.Profile(), path)
	}

	k, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(awskinds.StoredKey{}, k, secretComparer); diff != "" {
		t.Errorf("Load before Save (-want +got):\n%s", diff)
	}

	if err := c.Save(id, engine.NewSecret(secret)); err != nil {
		t.Fatal(err)
	}
	k, err = c.Load()
	if err != nil {
		t.Fatal(err)
	}
	want := awskinds.StoredKey{Section: true, Owner: testStack, ID: id, Secret: engine.NewSecret(secret)}
	if diff := cmp.Diff(want, k, secretComparer); diff != "" {
		t.Errorf("Load after Save (-want +got):\n%s", diff)
	}
	if k.Secret.Reveal() != secret {
		t.Errorf("Reveal() = %q, want the secret", k.Secret.Reveal())
	}
	got, _ := fileContent(t, path)
	wantFile := others + "\n[ci]\n" + testMarker + "\naws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
	if diff := cmp.Diff(wantFile, got); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	if p := permOf(t, path); p != 0o600 {
		t.Errorf("mode = %v, want 0600", p)
	}

	// A second Save with a new key rewrites the lines in place.
	if err := c.Save("AKIANEW", engine.NewSecret("new-secret")); err != nil {
		t.Fatal(err)
	}
	got, _ = fileContent(t, path)
	wantFile = others + "\n[ci]\n" + testMarker + "\naws_access_key_id = AKIANEW\naws_secret_access_key = new-secret\n"
	if diff := cmp.Diff(wantFile, got); diff != "" {
		t.Errorf("file after a second Save (-want +got):\n%s", diff)
	}
}

func TestCredentialsProfileLoadMissing(t *testing.T) {
	dir := t.TempDir()
	for name, c := range map[string]*CredentialsProfile{
		"missing file":    NewCredentialsProfile(localfile.OS{}, testStack, filepath.Join(dir, "none"), "ci"),
		"missing section": NewCredentialsProfile(localfile.OS{}, testStack, filepath.Join(dir, "credentials"), "ci"),
	} {
		writeTestFile(t, filepath.Join(dir, "credentials"), "[default]\naws_access_key_id = AKIA\n", 0o600)
		k, err := c.Load()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if diff := cmp.Diff(awskinds.StoredKey{}, k, secretComparer); diff != "" {
			t.Errorf("%s (-want +got):\n%s", name, diff)
		}
	}
}

// TestStoredKeyHidesSecret checks that no way of printing or encoding a
// loaded key shows its secret.
func TestStoredKeyHidesSecret(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	path := filepath.Join(t.TempDir(), "credentials")
	c := NewCredentialsProfile(localfile.OS{}, testStack, path, "ci")
	if err := c.Save("AKIAIOSFODNN7EXAMPLE", engine.NewSecret(secret)); err != nil {
		t.Fatal(err)
	}
	k, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	if k.Secret.Reveal() != secret {
		t.Fatalf("the loaded key does not hold the secret")
	}
	js, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{"json": string(js), "Sprint": fmt.Sprint(k), "Sprintln": fmt.Sprintln(k, &k)}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T"} {
		outputs[verb] = fmt.Sprintf(verb, k)
		outputs[verb+" pointer"] = fmt.Sprintf(verb, &k)
		outputs[verb+" secret"] = fmt.Sprintf(verb, k.Secret)
	}
	forms := []string{secret, hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret)))}
	for name, out := range outputs {
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("%s shows the secret: %s", name, out)
			}
		}
	}
	if !strings.Contains(outputs["%v"], "(sensitive value)") {
		t.Errorf("%%v = %s, want the redaction", outputs["%v"])
	}
}

func TestCredentialsProfileRemove(t *testing.T) {
	const (
		others = "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = default-secret\n"
		ours   = "[ci]\n" + testMarker + "\naws_access_key_id = AKIA\naws_secret_access_key = secret\n"
		after  = "\n[other]\naws_access_key_id = AKIAOTHER\n"
	)
	tests := map[string]struct {
		existing *string
		want     *string // the file after Remove; nil: unchanged, no write
	}{
		"own section at the end":         {existing: ptr(others + "\n" + ours), want: ptr(others)},
		"own section between others":     {existing: ptr(others + "\n" + ours + after), want: ptr(others + "\n" + after)},
		"own section alone":              {existing: ptr(ours), want: ptr("")},
		"section without marker":         {existing: ptr(others + "\n[ci]\naws_access_key_id = AKIA\n")},
		"section of another stack":       {existing: ptr(others + "\n[ci]\n# managed by awsboot: stack=other\naws_access_key_id = AKIA\n")},
		"marker only in another section": {existing: ptr("[default]\n" + testMarker + "\n\n[ci]\naws_access_key_id = AKIA\n")},
		"missing section":                {existing: ptr(others)},
		"missing file":                   {},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "credentials")
			if tc.existing != nil {
				writeTestFile(t, path, *tc.existing, 0o600)
			}
			before := snapshot(t, dir)
			c := NewCredentialsProfile(localfile.OS{}, testStack, path, "ci")
			if err := c.Remove(); err != nil {
				t.Fatal(err)
			}
			if tc.want == nil {
				if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
					t.Errorf("directory changed (-before +after):\n%s", diff)
				}
				return
			}
			got, ok := fileContent(t, path)
			if !ok {
				t.Fatal("the file is gone")
			}
			if diff := cmp.Diff(*tc.want, got); diff != "" {
				t.Errorf("file after Remove (-want +got):\n%s", diff)
			}
			if k, err := c.Load(); err != nil || k.Section {
				t.Errorf("Load after Remove = %+v, %v; want no section", k, err)
			}
		})
	}
}

// seamCase builds one consumer's resources for the target t.
type seamCase struct {
	key    string
	access spec.Access
	// file is the file the resource edits, relative to the directory.
	file string
}

func seamCases() map[string]seamCase {
	agent := agentAccess("ci", "agent.yaml")
	publisher := publisherAccess("bacalhau.yaml", "flags.txt")
	return map[string]seamCase{
		"aws_profile (user)": {key: KeyAWSProfile, access: agent, file: "config"},
		"aws_profile (role)": {key: KeyAWSProfile, access: roleAccess(), file: "config"},
		"semaphore_agent":    {key: KeySemaphoreAgent, access: agent, file: "agent.yaml"},
		"bacalhau_config":    {key: KeyBacalhauConfig, access: publisher, file: "bacalhau.yaml"},
		"bacalhau_flags":     {key: KeyBacalhauFlags, access: publisher, file: "flags.txt"},
		"semaphore_pipeline": {key: KeySemaphorePipeline, access: roleAccess(), file: "semaphore.yml"},
		"github_workflow":    {key: KeyGitHubWorkflow, access: roleAccess(), file: "github.yml"},
	}
}

// build makes the one resource of the case's consumer for dir, through sys.
func (c seamCase) build(t *testing.T, dir string, sys localfile.System) engine.Resource {
	t.Helper()
	con, ok := Lookup(c.key)
	if !ok || con.Build == nil {
		t.Fatalf("no consumer builds %s", c.key)
	}
	rs, err := con.Build(Target{
		Spec: testSpec(filepath.Join(dir, "s.yaml")), Access: c.access,
		Region: testRegion, Endpoint: "http://127.0.0.1:9000", PathStyle: true, RoleARN: testRole,
		BucketAddr: "s3_bucket.b", KeyAddr: "iam_access_key.ci", GrantAddr: "iam_policy_attachment.ci",
		Files: AWSFiles{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")},
		FS:    sys,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("%s built %d resources, want 1", c.key, len(rs))
	}
	return rs[0]
}

// TestGateSeam checks that every consumer's resource writes only through
// its System: behind a closed gate, Read works and Create, Update and
// Delete fail with ErrReadOnly leaving the directory as it was; once the
// gate is open they succeed.
func TestGateSeam(t *testing.T) {
	ctx := context.Background()
	for name, tc := range seamCases() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			gate := localfile.NewGate(localfile.OS{})
			r := tc.build(t, dir, gate)
			path := filepath.Join(dir, tc.file)

			// A missing file cannot be created.
			empty := snapshot(t, dir)
			o, err := r.Read(ctx)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if o.Exists {
				t.Fatal("Read: exists in an empty directory")
			}
			if err := r.Create(ctx, o); !errors.Is(err, localfile.ErrReadOnly) {
				t.Errorf("Create of a missing file = %v, want ErrReadOnly", err)
			}
			if diff := cmp.Diff(empty, snapshot(t, dir)); diff != "" {
				t.Errorf("Create wrote (-want +got):\n%s", diff)
			}

			// Neither can an existing one be changed or deleted.
			seed := tc.build(t, dir, localfile.OS{})
			so, err := seed.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := seed.Create(ctx, so); err != nil {
				t.Fatalf("seeding through OS: %v", err)
			}
			// Drift the file so that Update has a change to make.
			data, _ := fileContent(t, path)
			drifted := strings.ReplaceAll(data, testRegion, "eu-west-1")
			writeTestFile(t, path, strings.ReplaceAll(drifted, "=s3", "=local"), 0o600)
			before := snapshot(t, dir)

			// A plan starts by closing the gate, which drops the files it
			// read before (a closed gate shares one parse of each).
			gate.Close()
			o, err = r.Read(ctx)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if !o.Exists || o.Owner != testStack {
				t.Fatalf("Read: exists %v, owner %q; want this stack's", o.Exists, o.Owner)
			}
			d, err := r.Diff(o)
			if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			for op, f := range map[string]func() error{
				"Create": func() error { return r.Create(ctx, o) },
				"Update": func() error { return r.Update(ctx, o, d) },
				"Delete": func() error { return r.Delete(ctx, o) },
			} {
				if err := f(); !errors.Is(err, localfile.ErrReadOnly) {
					t.Errorf("%s = %v, want ErrReadOnly", op, err)
				}
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("the closed gate let a change through (-before +after):\n%s", diff)
			}

			// The open gate lets every change through.
			gate.Open()
			if err := r.Update(ctx, o, d); err != nil {
				t.Fatalf("Update: %v", err)
			}
			if o, err = r.Read(ctx); err != nil {
				t.Fatal(err)
			}
			if d, err := r.Diff(o); err != nil || d != nil {
				t.Errorf("Diff after Update = %v, %v; want no change", d, err)
			}
			if err := r.Delete(ctx, o); err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if o, err = r.Read(ctx); err != nil || o.Exists {
				t.Fatalf("Read after Delete: %+v, %v; want absent", o, err)
			}
			if err := r.Create(ctx, o); err != nil {
				t.Fatalf("Create: %v", err)
			}
			if o, err = r.Read(ctx); err != nil {
				t.Fatal(err)
			}
			if d, err := r.Diff(o); err != nil || d != nil {
				t.Errorf("Diff after Create = %v, %v; want no change", d, err)
			}

			// Closed again, it refuses again.
			gate.Close()
			before = snapshot(t, dir)
			if err := r.Delete(ctx, o); !errors.Is(err, localfile.ErrReadOnly) {
				t.Errorf("Delete after Close = %v, want ErrReadOnly", err)
			}
			if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
				t.Errorf("Delete after Close changed the directory (-before +after):\n%s", diff)
			}
		})
	}
}

// TestGateSeamCredentials checks the key store behind a gate the same way.
func TestGateSeamCredentials(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	gate := localfile.NewGate(localfile.OS{})
	c := NewCredentialsProfile(gate, testStack, path, "ci")

	if err := c.Save("AKIA", engine.NewSecret("secret")); !errors.Is(err, localfile.ErrReadOnly) {
		t.Errorf("Save of a missing file = %v, want ErrReadOnly", err)
	}
	if _, ok := fileContent(t, path); ok {
		t.Error("Save created the file")
	}
	if err := NewCredentialsProfile(localfile.OS{}, testStack, path, "ci").Save("AKIA", engine.NewSecret("secret")); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	if k, err := c.Load(); err != nil || k.ID != "AKIA" || k.Secret.Reveal() != "secret" {
		t.Errorf("Load = %+v, %v; want the saved key", k, err)
	}
	if err := c.Save("AKIANEW", engine.NewSecret("new")); !errors.Is(err, localfile.ErrReadOnly) {
		t.Errorf("Save = %v, want ErrReadOnly", err)
	}
	if err := c.Remove(); !errors.Is(err, localfile.ErrReadOnly) {
		t.Errorf("Remove = %v, want ErrReadOnly", err)
	}
	if diff := cmp.Diff(before, snapshot(t, dir)); diff != "" {
		t.Errorf("the closed gate let a change through (-before +after):\n%s", diff)
	}

	gate.Open()
	if err := c.Save("AKIANEW", engine.NewSecret("new")); err != nil {
		t.Fatal(err)
	}
	if k, err := c.Load(); err != nil || k.ID != "AKIANEW" {
		t.Errorf("Load after Save = %+v, %v", k, err)
	}
	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	if k, err := c.Load(); err != nil || k.Section {
		t.Errorf("Load after Remove = %+v, %v; want no section", k, err)
	}
}

func TestCheck(t *testing.T) {
	const head = "version: 1\nstack: s\nbucket:\n  name: my-bucket\naccess:\n"
	const oidc = "    oidc:\n      github: {repo: acme/app, branch: main}\n"
	tests := map[string]struct {
		access string // the access list, from line 6
		want   []string
	}{
		"valid entries": {
			access: `  - name: cache
    grant: cache
    user: ci
    write:
      aws_profile: ci
      semaphore_agent: agent.yaml
  - name: results
    grant: publisher
    prefix: results/
    user: bac
    write:
      aws_profile: bac
      bacalhau_config: bacalhau.yaml
      bacalhau_flags: flags.txt
  - name: deploy
    grant: cache
    role: deploy
` + oidc + `    write:
      aws_profile: deploy
      web_identity_token_file: /tmp/token
      semaphore_pipeline: semaphore.yml
      github_workflow: github.yml
`,
		},
		"unknown write key": {
			access: `  - name: cache
    grant: cache
    user: ci
    write:
      aws_profile: ci
      x: agent.yaml
`,
			want: []string{`/specs/s.yaml:11:7: access[0].write.x: unknown field "x"`},
		},
		"unknown write key in a flow mapping": {
			access: "  - {name: cache, grant: cache, user: ci, write: {aws_profile: ci, x: y}}\n",
			want:   []string{`/specs/s.yaml:6:68: access[0].write.x: unknown field "x"`},
		},
		"semaphore_agent with role access": {
			access: `  - name: deploy
    grant: cache
    role: deploy
` + oidc + `    write:
      semaphore_agent: agent.yaml
`,
			want: []string{`/specs/s.yaml:12:24: access[0].write.semaphore_agent: is for user access (an agent with a stored key); with role, use write.semaphore_pipeline`},
		},
		"bacalhau_config with a non-publisher grant": {
			access: `  - name: cache
    grant: cache
    user: ci
    write:
      aws_profile: ci
      bacalhau_config: bacalhau.yaml
`,
			want: []string{`/specs/s.yaml:7:12: access[0].grant: write.bacalhau_config and write.bacalhau_flags configure Bacalhau's S3 managed publisher: use grant: publisher`},
		},
		"bacalhau_config and bacalhau_flags with a non-publisher grant": {
			access: `  - name: cache
    grant: cache
    user: ci
    write:
      aws_profile: ci
      bacalhau_config: bacalhau.yaml
      bacalhau_flags: flags.txt
`,
			want: []string{`/specs/s.yaml:7:12: access[0].grant: write.bacalhau_config and write.bacalhau_flags configure Bacalhau's S3 managed publisher: use grant: publisher`},
		},
		"bacalhau_flags with role access": {
			access: `  - name: deploy
    grant: publisher
    prefix: results/
    role: deploy
` + oidc + `    write:
      bacalhau_flags: flags.txt
`,
			want: []string{`/specs/s.yaml:13:23: access[0].write.bacalhau_flags: is for user access: Bacalhau's orchestrator reads a key from the default credential chain, not an OIDC token`},
		},
		"semaphore_pipeline with user access": {
			access: `  - name: cache
    grant: cache
    user: ci
    write:
      aws_profile: ci
      semaphore_pipeline: semaphore.yml
`,
			want: []string{`/specs/s.yaml:11:27: access[0].write.semaphore_pipeline: is for role (OIDC) access; a user's key goes to write.aws_profile`},
		},
		"web_identity_token_file without aws_profile": {
			access: `  - name: deploy
    grant: cache
    role: deploy
` + oidc + `    write:
      web_identity_token_file: /tmp/token
`,
			want: []string{`/specs/s.yaml:12:32: access[0].write.web_identity_token_file: needs write.aws_profile: the profile that reads the token`},
		},
		"aws_profile with role but no web_identity_token_file": {
			access: `  - name: deploy
    grant: cache
    role: deploy
` + oidc + `    write:
      aws_profile: deploy
`,
			want: []string{`/specs/s.yaml:12:20: access[0].write.aws_profile: with role, a profile needs write.web_identity_token_file (the file the runner keeps the OIDC token in); no secret is ever written for OIDC access`},
		},
		"web_identity_token_file with user access": {
			access: `  - name: cache
    grant: cache
    user: ci
    write:
      aws_profile: ci
      web_identity_token_file: /tmp/token
`,
			want: []string{`/specs/s.yaml:11:32: access[0].write.web_identity_token_file: is for role (OIDC) access; a user's key goes to write.aws_profile`},
		},
		"user without aws_profile": {
			access: `  - name: cache
    grant: cache
    user: ci
    write:
      semaphore_agent: agent.yaml
`,
			want: []string{`/specs/s.yaml:10:7: access[0].write.aws_profile: is required with user: the new access key's secret is shown only once and awsboot must store it in a profile`},
		},
		"user without write": {
			access: "  - name: cache\n    grant: cache\n    user: ci\n",
			want:   []string{`/specs/s.yaml:6:5: access[0].write.aws_profile: is required with user: the new access key's secret is shown only once and awsboot must store it in a profile`},
		},
		"invalid profile name": {
			access: `  - name: cache
    grant: cache
    user: ci
    write:
      aws_profile: "a b"
`,
			want: []string{`/specs/s.yaml:10:20: access[0].write.aws_profile: "a b" is not a valid profile name`},
		},
		"two entries with one profile": {
			access: `  - name: cache
    grant: cache
    user: ci
    write:
      aws_profile: ci
  - name: other
    grant: cache
    user: other
    write:
      aws_profile: ci
`,
			want: []string{`/specs/s.yaml:15:20: access[1].write.aws_profile: "ci" is already used by access[0]`},
		},
		"two entries writing one file": {
			access: `  - name: cache
    grant: cache
    user: ci
    write:
      aws_profile: ci
      semaphore_agent: agent.yaml
  - name: results
    grant: publisher
    prefix: results/
    user: bac
    write:
      aws_profile: bac
      bacalhau_flags: ./out/../agent.yaml
`,
			want: []string{`/specs/s.yaml:18:23: access[1].write.bacalhau_flags: "/specs/agent.yaml" is already used by access[0]`},
		},
		"one entry writing one file twice": {
			access: `  - name: results
    grant: publisher
    prefix: results/
    user: bac
    write:
      aws_profile: bac
      bacalhau_config: out.yaml
      bacalhau_flags: out.yaml
`,
			want: []string{`/specs/s.yaml:13:23: access[0].write.bacalhau_flags: "/specs/out.yaml" is already used by another field of this entry`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := spec.Parse("/specs/s.yaml", []byte(head+tc.access), SpecRules())
			var got []string
			if err != nil {
				if !errors.Is(err, spec.ErrInvalidSpec) {
					t.Errorf("err = %v, want ErrInvalidSpec", err)
				}
				got = strings.Split(err.Error(), "\n")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCheckOrder checks the order of Check's problems: file uniqueness,
// then access kind and grant, each in registry order, then the
// consumers' own checks. The expected order is derived from Registry, so
// reordering it keeps the test meaningful. (An unknown key stops the
// spec before these checks, with the other decoding errors:
// TestUnknownWriteKeyIsADecodingError.)
func TestCheckOrder(t *testing.T) {
	const yaml = `version: 1
stack: s
bucket:
  name: my-bucket
access:
  - name: cache
    grant: cache
    user: ci
    write:
      semaphore_pipeline: agent.yaml
      semaphore_agent: agent.yaml
      bacalhau_flags: flags.txt
`
	// Where each key's value is, and the problems each consumer reports.
	at := map[string]string{
		KeySemaphorePipeline: "/specs/s.yaml:10:27: access[0].write.semaphore_pipeline: ",
		KeySemaphoreAgent:    "/specs/s.yaml:11:24: access[0].write.semaphore_agent: ",
	}
	kind := map[string]string{
		KeySemaphorePipeline: at[KeySemaphorePipeline] + "is for role (OIDC) access; a user's key goes to write.aws_profile",
		KeyBacalhauFlags:     "/specs/s.yaml:7:12: access[0].grant: write.bacalhau_config and write.bacalhau_flags configure Bacalhau's S3 managed publisher: use grant: publisher",
	}
	var want []string
	first := ""
	for _, c := range Registry {
		if _, ok := at[c.Key]; ok {
			if first != "" {
				want = append(want, at[c.Key]+`"/specs/agent.yaml" is already used by another field of this entry`)
			}
			first = c.Key
		}
	}
	for _, c := range Registry {
		if m, ok := kind[c.Key]; ok {
			want = append(want, m)
		}
	}
	want = append(want, "/specs/s.yaml:10:7: access[0].write.aws_profile: is required with user: the new access key's secret is shown only once and awsboot must store it in a profile")

	_, err := spec.Parse("/specs/s.yaml", []byte(yaml), SpecRules())
	if err == nil {
		t.Fatal("no error")
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func ptr[T any](v T) *T { return &v }

// TestUnknownWriteKeyIsADecodingError: a write key no consumer knows is
// an unknown field like any other, reported with the other decoding
// errors in document order and without the validation errors it would
// cause (the old strict decoding's behaviour).
func TestUnknownWriteKeyIsADecodingError(t *testing.T) {
	for name, tc := range map[string]struct {
		yaml string
		want []string
	}{
		"alone": {
			yaml: "version: 1\nstack: s\nbucket: {name: my-bucket}\naccess:\n  - {name: cache, grant: cache, user: ci, write: {aws_profil: ci}}\n",
			want: []string{`/specs/s.yaml:5:51: access[0].write.aws_profil: unknown field "aws_profil"`},
		},
		"with another decoding error": {
			yaml: "version: x\nstack: s\nbucket: {name: my-bucket}\naccess:\n  - name: cache\n    write: {aws_profil: ci}\n",
			want: []string{
				`/specs/s.yaml:1:10: version: expected a whole number, got the string "x"`,
				`/specs/s.yaml:6:13: access[0].write.aws_profil: unknown field "aws_profil"`,
			},
		},
		"a list where the write mapping belongs": {
			yaml: "version: 1\nstack: s\nbucket: {name: my-bucket}\naccess:\n  - name: cache\n    write:\n      - aws_profile: ci\n",
			want: []string{`/specs/s.yaml:7:7: access[0].write: expected a mapping, got a list`},
		},
		"a mapping where a path belongs": {
			yaml: "version: 1\nstack: s\nbucket: {name: my-bucket}\naccess:\n  - name: cache\n    write: {aws_profile: {x: y}}\n",
			want: []string{`/specs/s.yaml:6:26: access[0].write.aws_profile: expected a string, got a mapping`},
		},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := spec.Parse("/specs/s.yaml", []byte(tc.yaml), SpecRules())
			if err == nil {
				t.Fatal("no error")
			}
			if diff := cmp.Diff(tc.want, strings.Split(err.Error(), "\n")); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAgentTeardownAfterUserEdit: when the user has edited the agent
// config since bootstrap, the saved original cannot be put back as is
// (that would undo the edit), so only awsboot's entries go and the backend
// value they replaced is set again.
func TestAgentTeardownAfterUserEdit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	writeTestFile(t, path, "token: t\nenv-vars:\n  - SEMAPHORE_CACHE_BACKEND=local\n", 0o600)
	target := Target{Spec: testSpec(filepath.Join(dir, "s.yaml")), Access: agentAccess("ci", "config.yaml"), FS: localfile.OS{}}
	r := engine.Typed(NewSemaphoreAgentConfig(target))
	ctx := context.Background()
	o, err := r.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.Diff(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Update(ctx, o, d); err != nil {
		t.Fatal(err)
	}
	applied, _ := fileContent(t, path)
	writeTestFile(t, path, strings.Replace(applied, "token: t\n", "token: t2\n", 1)+"files: []\n", 0o600)
	if o, err = r.Read(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.Delete(ctx, o); err != nil {
		t.Fatal(err)
	}
	got, _ := fileContent(t, path)
	// The emptied list goes and the value comes back as a new list at the
	// end: every key the user has keeps its value.
	if want := "token: t2\nfiles: []\nenv-vars:\n  - SEMAPHORE_CACHE_BACKEND=local\n"; got != want {
		t.Errorf("after teardown:\n%s\nwant:\n%s", got, want)
	}
	if _, err := os.Lstat(path + priorSuffix); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("saved original still there: %v", err)
	}
}

// TestAgentSavedOriginalSurvivesAStopBeforeTheWrite: a run that stops
// after saving the original but before writing the config leaves the
// config as it was; the next run saves the same original again, so
// teardown still puts back the user's value.
func TestAgentSavedOriginalSurvivesAStopBeforeTheWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	const original = "env-vars: [SEMAPHORE_CACHE_BACKEND=local]\n"
	writeTestFile(t, path, original, 0o600)
	target := Target{Spec: testSpec(filepath.Join(dir, "s.yaml")), Access: agentAccess("ci", "config.yaml"), FS: localfile.OS{}}
	b := NewSemaphoreAgentConfig(target)
	if err := b.savePrior([]byte(original), true); err != nil { // the stopped run
		t.Fatal(err)
	}
	got := roundTrip(t, engine.Typed(b), path)
	if got.Deleted != original {
		t.Errorf("after teardown: %q, want %q", got.Deleted, original)
	}
}

// TestBrokenSavedOriginalStopsThePlan: a <file>.awsboot-prior that is not
// awsboot's stops Read, so the plan fails before any change, instead of
// teardown stopping half-way with the other resources already gone.
func TestBrokenSavedOriginalStopsThePlan(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	writeTestFile(t, path, "env-vars: [SEMAPHORE_CACHE_BACKEND=local]\n", 0o600)
	writeTestFile(t, path+priorSuffix, "garbage", 0o600)
	target := Target{Spec: testSpec(filepath.Join(dir, "s.yaml")), Access: agentAccess("ci", "config.yaml"), FS: localfile.OS{}}
	_, err := engine.Typed(NewSemaphoreAgentConfig(target)).Read(context.Background())
	if err == nil || !strings.Contains(err.Error(), path+priorSuffix+": not awsboot's saved original") || !strings.Contains(err.Error(), "move it away") {
		t.Errorf("Read = %v, want the saved original refused with what to do", err)
	}
}

// TestTeardownStoppedBeforeDeletingTheCopyConverges: a teardown stopped
// after putting the file back but before deleting <file>.awsboot-prior
// leaves the copy; the next teardown still sees the stack's block
// (its copy) and deletes the copy, leaving the file as it is; a
// bootstrap instead saves the file again and writes the block.
func TestTeardownStoppedBeforeDeletingTheCopyConverges(t *testing.T) {
	for _, existed := range []bool{true, false} {
		t.Run(fmt.Sprintf("existed=%v", existed), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config.yaml")
			const original = "env-vars: [SEMAPHORE_CACHE_BACKEND=local]\n"
			if existed {
				writeTestFile(t, path, original, 0o600)
			}
			target := Target{Spec: testSpec(filepath.Join(dir, "s.yaml")), Access: agentAccess("ci", "config.yaml"), FS: localfile.OS{}}
			b := NewSemaphoreAgentConfig(target)
			var content []byte
			if existed {
				content = []byte(original)
			}
			if err := writePrior(localfile.OS{}, path, testStack, content, existed); err != nil {
				t.Fatal(err)
			}
			r := engine.Typed(b)
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
			got, ok := fileContent(t, path)
			if ok != existed || (existed && got != original) {
				t.Errorf("after teardown: %q (exists %v), want %q (exists %v)", got, ok, original, existed)
			}
			if _, err := os.Lstat(path + priorSuffix); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the saved copy is still there: %v", err)
			}
			if o, err = r.Read(ctx); err != nil || o.Owner == testStack {
				t.Errorf("Read after: owner %q, %v; want nothing of the stack's", o.Owner, err)
			}
		})
	}
}

// TestCredentialsProfileMarkProven: the proof comment holds for exactly
// the key and secret that were proven; a new key or an edited secret is
// not proven; marking twice writes the file once.
func TestCredentialsProfileMarkProven(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	c := NewCredentialsProfile(localfile.OS{}, testStack, path, "ci")
	if err := c.Save("AKIAONE", engine.NewSecret("secret-one")); err != nil {
		t.Fatal(err)
	}
	if k, _ := c.Load(); k.Proven {
		t.Fatal("a key is proven before MarkProven")
	}
	if err := c.MarkProven("AKIAONE", engine.NewSecret("secret-one")); err != nil {
		t.Fatal(err)
	}
	if k, _ := c.Load(); !k.Proven {
		t.Fatal("not proven after MarkProven")
	}
	before, _ := fileContent(t, path)
	if strings.Contains(before, "secret-one\n#") || strings.Count(before, "secret-one") != 1 {
		t.Errorf("the mark holds the secret:\n%s", before)
	}
	info, _ := os.Stat(path)
	if err := c.MarkProven("AKIAONE", engine.NewSecret("secret-one")); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.Stat(path); !again.ModTime().Equal(info.ModTime()) {
		t.Error("marking the same key again rewrote the file")
	}
	// A secret edited by hand is not the proven one.
	edited := strings.Replace(before, "secret-one", "secret-typo", 1)
	writeTestFile(t, path, edited, 0o600)
	if k, _ := c.Load(); k.Proven {
		t.Error("an edited secret counts as proven")
	}
	// A new key: the old mark no longer holds; marking it replaces the
	// line.
	if err := c.Save("AKIATWO", engine.NewSecret("secret-two")); err != nil {
		t.Fatal(err)
	}
	if k, _ := c.Load(); k.Proven {
		t.Error("a new key counts as proven by the old mark")
	}
	if err := c.MarkProven("AKIATWO", engine.NewSecret("secret-two")); err != nil {
		t.Fatal(err)
	}
	got, _ := fileContent(t, path)
	if k, _ := c.Load(); !k.Proven || strings.Count(got, provenPrefix) != 1 {
		t.Errorf("after marking the new key (proven %v):\n%s", k.Proven, got)
	}
	// Marking a key the profile no longer holds changes nothing.
	if err := c.MarkProven("AKIAONE", engine.NewSecret("secret-one")); err != nil {
		t.Fatal(err)
	}
	if after, _ := fileContent(t, path); after != got {
		t.Errorf("marking a replaced key changed the file:\n%s", after)
	}
}
