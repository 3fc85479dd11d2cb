package provision

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/spec"
)

// trickyProfileFiles are config and credentials files on which loading a
// profile from the sections that can make it could go wrong: every kind
// of header the SDK reads differently from the eye, lines that join or
// leave a section, references to other sections, values the SDK's parser
// panics on, duplicates, case.
var trickyProfileFiles = []struct{ name, config, credentials string }{
	{"awsboot's own", "[default]\nregion = us-east-1\n\n[profile ci]\n# managed by awsboot: stack=s\nregion = us-east-1\noutput = json\nendpoint_url = http://127.0.0.1:5000\ns3 =\n    addressing_style = path\n",
		"[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = def\n\n[ci]\n# managed by awsboot: stack=s\naws_access_key_id = AKIACI\naws_secret_access_key = ci-secret\n"},
	{"role", "[profile ci]\nregion = us-east-1\noutput = json\nrole_arn = arn:aws:iam::123456789012:role/ci\nweb_identity_token_file = /tmp/token\nrole_session_name = awsboot-s\n", ""},
	{"duplicates", "[profile ci]\nregion = a\n[profile other]\nregion = b\n[profile ci]\nregion = c\noutput = json\n",
		"[ci]\naws_access_key_id = AKIA1\naws_secret_access_key = one\n[x]\n[ci]\naws_secret_access_key = two\n"},
	{"default twice", "[default]\nregion = a\n[profile default]\nregion = b\n[DEFAULT]\nregion = c\n[Default]\nregion = d\n[profile Default]\noutput = text\n",
		"[default]\nregion = e\n[DEFAULT]\naws_access_key_id = AKIA\naws_secret_access_key = s\n"},
	{"case", "[PROFILE ci]\nregion = a\n[profile CI]\nregion = b\n[profile ci]\nregion = c\n[ci]\nregion = d\n", "[CI]\naws_access_key_id = AKIA\naws_secret_access_key = s\n[profile ci]\nregion = x\n"},
	{"lone quote elsewhere", "[profile other]\nregion = \"\n[profile ci]\nregion = a\n", ""},
	{"lone quote in the credentials", "[profile ci]\nregion = a\n", "[other]\naws_session_token = \"\n"},
	{"comment cuts a header", "[profile ci]\nregion = a\n[profile a#b]\nregion = b\n", ""},
	{"semicolon cuts a header", "[profile ci]\nregion = a\n[profile a;b]\nregion = b\n", ""},
	{"header with a comment", "[profile ci] # the CI profile\nregion = a\n[profile other] ; x\nregion = b\n", ""},
	{"spaced headers", "[ profile  ci ]\nregion = a\n[profile\tci]\noutput = json\n  [ci]  \nregion = d\n", "  [  ci  ]  \naws_access_key_id = AKIA\naws_secret_access_key = s\n"},
	{"odd white space before a header", "[profile other]\nregion = a\n\v[profile ci]\nregion = b\n", ""},
	{"unicode space before a header", "[profile other]\nregion = a\n\u00a0[profile ci]\nregion = b\n", ""},
	{"byte order mark", "\ufeff[profile ci]\nregion = a\n", "\ufeff[ci]\naws_access_key_id = AKIA\naws_secret_access_key = s\n"},
	{"three words", "[profile ci]\nregion = a\n[profile profile ci]\nregion = b\n[profile ci x]\nregion = c\n", ""},
	{"profile profile", "[profile profile]\nregion = a\n[profile]\nregion = b\n", ""},
	{"empty headers", "[profile ci]\nregion = a\n[]\nregion = b\n[ ]\nregion = c\n", ""},
	{"not quite a header", "[profile ci]\nregion = a\n[profile other]x\nregion = b\n[ci] = 1\n", ""},
	{"bracket inside", "[profile ci]\nregion = a\n[profile c]i]\nregion = b\n", ""},
	{"quoted header", "[profile \"ci\"]\nregion = a\n[profile ci]\nregion = b\n", ""},
	{"source profile", "[profile ci]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\nregion = a\n[profile base]\nregion = b\n",
		"[base]\naws_access_key_id = AKIA\naws_secret_access_key = s\n"},
	{"missing source profile", "[profile ci]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = base\n", ""},
	{"self source profile", "[profile ci]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = ci\n", "[ci]\naws_access_key_id = AKIA\naws_secret_access_key = s\n"},
	{"credential source", "[profile ci]\nrole_arn = arn:aws:iam::1:role/r\ncredential_source = Environment\n", ""},
	{"sso session", "[sso-session corp]\nsso_start_url = https://corp/start\nsso_region = us-east-1\n[profile ci]\nsso_session = corp\nsso_account_id = 1\nsso_role_name = r\nregion = a\n", ""},
	{"missing sso session", "[profile ci]\nsso_session = corp\n", ""},
	{"services", "[profile ci]\nservices = s\nregion = a\n[services s]\ns3 =\n  endpoint_url = http://x\n", ""},
	{"continuations", "[profile other]\nregion = a\n[profile ci]\n  region = b\nfoo =\n  bar = 1\n\tcontinued\nregion = c\n  d\n", ""},
	{"preamble", "region = x\n  y = 1\n[profile ci]\noutput = json\n", "aws_access_key_id = AKIA\n[ci]\naws_secret_access_key = s\n"},
	{"crlf", "[profile ci]\r\nregion = a\r\n[profile other]\r\nregion = b\r\n", "[ci]\r\naws_access_key_id = AKIA\r\naws_secret_access_key = s\r\n"},
	{"carriage return in a header", "[profile ci\r]\nregion = a\n", ""},
	{"partial credentials", "[profile ci]\nregion = a\n", "[ci]\naws_access_key_id = AKIA\n"},
	{"partial credentials in the config", "[profile ci]\naws_secret_access_key = s\n", "[ci]\naws_access_key_id = AKIA\naws_secret_access_key = s\n"},
	{"credentials file keys", "[profile ci]\nregion = a\n", "[ci]\nregion = b\nendpoint_url = http://creds\naws_access_key_id = AKIA\naws_secret_access_key = s\n"},
	{"only in the credentials file", "", "[ci]\nregion = b\nendpoint_url = http://creds\naws_access_key_id = AKIA\naws_secret_access_key = s\n"},
	{"sections in the wrong file", "[ci]\nregion = a\n", "[profile ci]\naws_access_key_id = AKIA\naws_secret_access_key = s\n"},
	{"no final newline", "[profile other]\nregion = a\n[profile ci]\nregion = b", "[ci]\naws_access_key_id = AKIA\naws_secret_access_key = s"},
	{"the probe's name", "[profile awsboot-unused-0]\nregion = a\n[profile ci]\nregion = b\n", "[awsboot-unused-1]\n"},
	{"invalid UTF-8", "[profile other]\nregion = \xff\xfe\n[profile ci]\nregion = \xc3\n", ""},
	{"quotes", "[profile ci]\nregion = 'a'\noutput = \"json\"\nendpoint_url = \"\"\n", ""},
	{"bad values", "[profile ci]\nmax_attempts = x\nretry_mode = sometimes\n", ""},
	{"empty", "", ""},
}

// headerWords finds the name of a profile a header line could define.
var headerWords = regexp.MustCompile(`\[[ \t]*(?:profile[ \t]+)?([^\s\[\]#;]+)[ \t]*\]`)

// profileNamesIn returns the profiles to load from the files: a few fixed
// names, and those their headers could define (16 in all at most).
func profileNamesIn(files ...[]byte) []string {
	names := []string{"ci", "default", "Default", "DEFAULT", "other", "base", "profile"}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	for _, f := range files {
		for _, m := range headerWords.FindAllSubmatch(f, -1) {
			if n := string(m[1]); !seen[n] && len(names) < 16 {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	return names
}

// compareProfileLoads loads each profile from the files at paths with
// profileLoader and with the SDK's load of the whole files, and fails on
// the first difference: in the SharedConfig (but for the credentials'
// Source, which names the file read), in the error, or in whether
// CheckProfiles would skip the profile as not written.
func compareProfileLoads(t *testing.T, files consumers.AWSFiles, profiles []string) *profileLoader {
	t.Helper()
	ctx := context.Background()
	l := newProfileLoader(ctx, files)
	for _, p := range profiles {
		got, gotErr := l.load(ctx, p)
		want, wantErr := loadSharedConfigProfile(ctx, p, files)
		var m1, m2 config.SharedConfigProfileNotExistError
		if errors.As(gotErr, &m1) != errors.As(wantErr, &m2) || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("profile %q: error %v, the whole files' %v", p, gotErr, wantErr)
		}
		got.Credentials.Source, want.Credentials.Source = "", ""
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("profile %q: loaded\n%+v\nthe whole files give\n%+v", p, got, want)
		}
	}
	return l
}

// writeProfileFiles writes the two files into a new directory; missing
// leaves a file out.
func writeProfileFiles(t *testing.T, cfg, creds []byte, missing uint8) consumers.AWSFiles {
	t.Helper()
	dir := t.TempDir()
	files := consumers.AWSFiles{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	if missing&1 == 0 {
		if err := os.WriteFile(files.Config, cfg, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if missing&2 == 0 {
		if err := os.WriteFile(files.Credentials, creds, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// fuzzCorpusEntries reads the []byte arguments of every entry of a Go fuzz
// corpus directory.
func fuzzCorpusEntries(t testing.TB, dir string) [][][]byte {
	paths, _ := filepath.Glob(filepath.Join(dir, "*"))
	var entries [][][]byte
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var args [][]byte
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := sc.Text()
			if lit, ok := strings.CutPrefix(line, "[]byte("); ok {
				s, err := strconv.Unquote(strings.TrimSuffix(lit, ")"))
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				args = append(args, []byte(s))
			}
		}
		entries = append(entries, args)
	}
	return entries
}

// FuzzProfileLoadMatchesWholeFiles is the differential test of
// CheckProfiles' loader: for any config and credentials content (either
// file possibly missing), every profile loads exactly as the AWS SDK
// loads it from the whole files. Its seeds are trickyProfileFiles, the
// real-world files and the corpus of FuzzProfileViewMatchesSDK
// (provision/consumers), and it runs over them as a plain test.
func FuzzProfileLoadMatchesWholeFiles(f *testing.F) {
	for _, c := range trickyProfileFiles {
		f.Add([]byte(c.config), []byte(c.credentials), uint8(0))
	}
	f.Add([]byte(trickyProfileFiles[0].config), []byte(trickyProfileFiles[0].credentials), uint8(1))
	f.Add([]byte(trickyProfileFiles[0].config), []byte(trickyProfileFiles[0].credentials), uint8(2))
	f.Add([]byte(nil), []byte(nil), uint8(3))
	shared, _ := filepath.Glob(filepath.Join("consumers", "testdata", "sharedfiles", "*.ini"))
	if len(shared) == 0 {
		f.Fatal("no real-world files in consumers/testdata/sharedfiles")
	}
	for _, path := range shared {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, data, uint8(0))
		f.Add(data, []byte(nil), uint8(0))
	}
	// FuzzProfileViewMatchesSDK takes (credentials, config).
	for _, e := range fuzzCorpusEntries(f, filepath.Join("consumers", "testdata", "fuzz", "FuzzProfileViewMatchesSDK")) {
		if len(e) == 2 {
			f.Add(e[1], e[0], uint8(0))
		}
	}
	f.Fuzz(func(t *testing.T, cfg, creds []byte, missing uint8) {
		files := writeProfileFiles(t, cfg, creds, missing)
		compareProfileLoads(t, files, profileNamesIn(cfg, creds))
	})
}

// TestProfileLoaderTakesSubsets: on files as awsboot writes them, every
// profile is loaded from its own sections, and the SDK is handed each
// section once in all, so the loads cost the size of the files; a
// profile that names another section, and files with a header the SDK
// might read differently, that it cannot parse or that cannot be read,
// are loaded from the whole files. No descriptor is left open.
func TestProfileLoaderTakesSubsets(t *testing.T) {
	const n = 50
	var cfg, creds strings.Builder
	cfg.WriteString("[default]\nregion = us-east-1\n\n")
	var profiles []string
	for i := range n {
		p := fmt.Sprintf("bench-%03d", i)
		profiles = append(profiles, p)
		fmt.Fprintf(&cfg, "[profile %s]\n# managed by awsboot: stack=bench\nregion = us-east-1\noutput = json\nendpoint_url = http://127.0.0.1:5000\n\n", p)
		fmt.Fprintf(&creds, "[%s]\n# managed by awsboot: stack=bench\naws_access_key_id = AKIA%016d\naws_secret_access_key = secret-%d\n\n", p, i, i)
	}
	files := writeProfileFiles(t, []byte(cfg.String()), []byte(creds.String()), 0)
	l := compareProfileLoads(t, files, append(profiles, "absent"))
	if l.fullLoads != 0 || l.subsetLoads != n+1 {
		t.Errorf("%d loads from subsets and %d from the whole files, want %d and 0", l.subsetLoads, l.fullLoads, n+1)
	}
	// Every profile's sections, once: all but [default] and its blank line.
	if want := cfg.Len() - len("[default]\nregion = us-east-1\n\n") + creds.Len(); l.fed != want {
		t.Errorf("the SDK was handed %d bytes for the profiles, want %d", l.fed, want)
	}
	// Counted once the runtime has its poller.
	fds := openDescriptors(t)

	for _, c := range []struct {
		name, cfg, creds string
		full             int
	}{
		{"source profile", cfg.String() + "[profile linked]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = bench-000\n", creds.String(), 1},
		{"sso session", cfg.String() + "[profile linked]\nsso_session = corp\n[sso-session corp]\nsso_region = us-east-1\nsso_start_url = https://x\n", creds.String(), 1},
		{"services", cfg.String() + "[profile linked]\nservices = s\n[services s]\n", creds.String(), 1},
		{"a header cut by a comment", cfg.String() + "[profile a#b]\n", creds.String(), n + 2},
		{"a lone double quote", cfg.String(), creds.String() + "[x]\naws_session_token = \"\n", n + 2},
		// More than a pipe holds: the SDK reads while it is written, and
		// with a lone double quote in the config file it never opens the
		// credentials' pipe.
		{"a large section", cfg.String(), creds.String() + "[linked]\n" + strings.Repeat("# padding\n", 20000) + "aws_access_key_id = AKIA\naws_secret_access_key = s\n", 0},
		{"a lone double quote and a large section", cfg.String() + "[x]\nregion = \"\n", creds.String() + "[linked]\n" + strings.Repeat("# padding\n", 20000), n + 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			files := writeProfileFiles(t, []byte(c.cfg), []byte(c.creds), 0)
			l := compareProfileLoads(t, files, append(profiles, "linked", "absent"))
			if l.fullLoads != c.full {
				t.Errorf("%d loads from the whole files, want %d", l.fullLoads, c.full)
			}
		})
	}
	t.Run("a directory for a file", func(t *testing.T) {
		files := writeProfileFiles(t, nil, []byte(creds.String()), 1)
		if err := os.Mkdir(files.Config, 0o700); err != nil {
			t.Fatal(err)
		}
		if l := compareProfileLoads(t, files, profiles); l.fullLoads != n {
			t.Errorf("%d loads from the whole files, want %d", l.fullLoads, n)
		}
	})
	if after := openDescriptors(t); after != fds {
		t.Errorf("%d descriptors open before, %d after", fds, after)
	}
}

// openDescriptors counts this process's open descriptors where /dev/fd
// lists them, and returns -1 elsewhere.
func openDescriptors(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/dev/fd")
	if err != nil {
		return -1
	}
	return len(entries)
}

// TestPlainHeader pins which header lines take the subsets' path, and the
// section name the AWS SDK reads from each (checked against the SDK by
// FuzzProfileLoadMatchesWholeFiles' seeds).
func TestPlainHeader(t *testing.T) {
	for line, want := range map[string]string{
		"[default]":             "default",
		"[profile ci]":          "profile ci",
		"  [ profile \t ci ]  ": "profile ci",
		"[ci]\r":                "ci",
		"[ci] # x":              "ci",
		"[ci];x":                "ci",
		"\v[ci]":                "ci",
		"[sso-session corp]":    "sso-session corp",
		`["ci"]`:                `"ci"`,
		"[a=b,c@d+e]":           "a=b,c@d+e",
	} {
		if got, ok := plainHeader([]byte(line)); got != want || !ok {
			t.Errorf("plainHeader(%q) = %q, %v; want %q", line, got, ok, want)
		}
	}
	for _, line := range []string{"[]", "[ ]", "[a b c]", "[a#b]", "[a;b]", "[a]x", "[a]]", "[a\rb]", "\u00a0[a]", "[a\u00a0b]", "[a", "x[a]", "[a\vb]"} {
		if got, ok := plainHeader([]byte(line)); ok {
			t.Errorf("plainHeader(%q) = %q, want it not plain", line, got)
		}
	}
}

// TestSubsetRuleReviewedForSDK: profileLoader's rule for which sections
// can make a profile, and which profiles name another section, was read
// off aws-sdk-go-v2/config v1.33.15's parser. Another version may parse,
// rename or link sections differently: read its internal/ini and
// shared_config.go against the comment on profileLoader, run
// FuzzProfileLoadMatchesWholeFiles for a while, then update the version
// here.
func TestSubsetRuleReviewedForSDK(t *testing.T) {
	const reviewed = "github.com/aws/aws-sdk-go-v2/config v1.33.15"
	mod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(reviewed) + `\s*$`).Match(mod) {
		t.Errorf("go.mod no longer requires %s, the SDK that profileLoader's subset rule was checked against: review the rule (see the test's comment)", reviewed)
	}
}

// TestAwsbootsFilesTakeSubsets: the files a bootstrap writes, for every
// example that writes a profile and for a stack of several profiles,
// take the subsets' path for every profile: CheckProfiles never falls
// back to the whole files for them.
func TestAwsbootsFilesTakeSubsets(t *testing.T) {
	e := newTestEnv(t)
	specs := []*spec.Spec{e.entriesSpec(3)}
	for _, ex := range []string{"semaphore-cache.yaml", "gitlab-runner-cache.yaml", "bacalhau-publisher.yaml", "cross-account-artifacts.yaml"} {
		specs = append(specs, e.spec(ex))
	}
	var profiles []string
	for _, s := range specs {
		e.apply(s, engine.ModeApply, runOpts{})
		for _, a := range s.Access {
			if p := a.Write[consumers.KeyAWSProfile]; p != "" {
				profiles = append(profiles, p)
			}
		}
	}
	for _, p := range profiles {
		if _, err := loadSharedConfigProfile(e.ctx, p, e.files); err != nil {
			t.Fatalf("profile %q: %v", p, err)
		}
	}
	l := compareProfileLoads(t, e.files, profiles)
	if l.fullLoads != 0 || l.subsetLoads != len(profiles) {
		t.Errorf("%d profiles loaded from subsets, %d from the whole files; want all %d from subsets", l.subsetLoads, l.fullLoads, len(profiles))
	}
}
