package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const (
	head    = "version: 1\nstack: demo\n"
	bucket  = "bucket: {name: demo-bucket}\n"
	access  = "access:\n  - {name: cache, grant: cache, user: ci, write: {aws_profile: ci}}\n"
	minimal = head + bucket + access
)

// testRules stand for the consumer registry: aws_profile and one file
// key, checked for uniqueness as consumers.Check does.
var testRules = Rules{
	WriteKeys: []string{"aws_profile", "semaphore_agent"},
	Check: func(v *Validator, s *Spec, i int) {
		v.Unique("file", s.Path(s.Access[i].Write["semaphore_agent"]), i, []any{"access", i, "write", "semaphore_agent"})
	},
}

func problemLines(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse("s.yaml", []byte(src), testRules)
	if err == nil {
		return nil
	}
	if !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("err = %v, want ErrInvalidSpec", err)
	}
	return strings.Split(err.Error(), "\n")
}

func repeat(format string, n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, format, i)
	}
	return b.String()
}

// TestSpecValuesThatPassedBefore: every value below used to load; each
// is refused with its line, column, field and a message in plain words.
func TestSpecValuesThatPassedBefore(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		// Numbers.
		{"version 1.5", "version: 1.5\nstack: demo\n" + bucket + access,
			[]string{`s.yaml:1:10: version: expected a whole number, got the decimal number "1.5"`}},
		{"version beyond 32 bits", "version: 4294967297\nstack: demo\n" + bucket + access,
			[]string{`s.yaml:1:10: version: unsupported version 4294967297 (this awsboot reads version 1)`}},
		{"expire_days beyond 32 bits", head + "bucket:\n  name: demo-bucket\n  lifecycle:\n    - {prefix: logs/, expire_days: 4294967297}\n" + access,
			[]string{`s.yaml:6:36: bucket.lifecycle[0].expire_days: 4294967297: use 0 (none) to 36500 days (100 years)`}},
		{"noncurrent_expire_days beyond 64 bits", head + "bucket:\n  name: demo-bucket\n  lifecycle:\n    - {prefix: logs/, noncurrent_expire_days: 99999999999999999999}\n" + access,
			[]string{`s.yaml:6:47: bucket.lifecycle[0].noncurrent_expire_days: "99999999999999999999" is too large a number`}},
		{"negative noncurrent_expire_days", head + "bucket:\n  name: demo-bucket\n  lifecycle:\n    - {prefix: logs/, noncurrent_expire_days: -3}\n" + access,
			[]string{`s.yaml:6:47: bucket.lifecycle[0].noncurrent_expire_days: -3: use 0 (none) to 36500 days (100 years)`}},
		{"decimal days", head + "bucket:\n  name: demo-bucket\n  lifecycle:\n    - {prefix: logs/, expire_days: 7.9}\n" + access,
			[]string{`s.yaml:6:36: bucket.lifecycle[0].expire_days: expected a whole number, got the decimal number "7.9"`}},
		{"abort days beyond 32 bits", head + "bucket: {name: demo-bucket, abort_incomplete_multipart_days: 4294967297}\n" + access,
			[]string{`s.yaml:3:62: bucket.abort_incomplete_multipart_days: 4294967297: use 0 (off) to 3650 days`}},
		{"too many lifecycle rules", head + "bucket:\n  name: demo-bucket\n  lifecycle:\n" + repeat("    - {prefix: p%d/, expire_days: 1}\n", 1000) + access,
			[]string{`s.yaml:6:5: bucket.lifecycle: has 1,000 rules: S3 allows 1,000 in a bucket's lifecycle configuration, and awsboot adds awsboot-abort-incomplete-multipart unless abort_incomplete_multipart_days is 0, so list at most 999`}},
		{"default lifecycle id too long", head + "bucket:\n  name: demo-bucket\n  lifecycle:\n    - {prefix: " + strings.Repeat("l", 250) + ", expire_days: 1}\n" + access,
			[]string{`s.yaml:6:16: bucket.lifecycle[0].prefix: makes a default id of 257 characters (expire-<prefix>), and S3 allows 255 in a rule ID: set a shorter id`}},
		{"lifecycle id too long", head + "bucket:\n  name: demo-bucket\n  lifecycle:\n    - {prefix: logs/, id: " + strings.Repeat("i", 256) + ", expire_days: 1}\n" + access,
			[]string{`s.yaml:6:27: bucket.lifecycle[0].id: is 256 characters long: S3 allows 255 in a rule ID`}},

		// Key prefixes.
		{"line break in access prefix", head + bucket + "access:\n  - {name: cache, grant: cache, user: ci, prefix: \"results/\\nEvil=1\", write: {aws_profile: ci}}\n",
			[]string{`s.yaml:5:51: access[0].prefix: "results/\nEvil=1" has a line break: only one line of printable text is allowed here`}},
		{"control character in access prefix", head + bucket + "access:\n  - {name: cache, grant: cache, user: ci, prefix: \"results\\e/\", write: {aws_profile: ci}}\n",
			[]string{`s.yaml:5:51: access[0].prefix: "results\x1b/" has the control character U+001B: only printable text is allowed here`}},
		{"invisible character in access prefix", head + bucket + "access:\n  - {name: cache, grant: cache, user: ci, prefix: \"results\\u202e/\", write: {aws_profile: ci}}\n",
			[]string{`s.yaml:5:51: access[0].prefix: "results\u202e/": a key prefix must not hold control or invisible characters (here U+202E)`}},
		{"dot-dot segment", head + bucket + "access:\n  - {name: cache, grant: cache, user: ci, prefix: results/../admin/, write: {aws_profile: ci}}\n",
			[]string{`s.yaml:5:51: access[0].prefix: "results/../admin/": a key prefix must not have a ".." segment: tools that treat keys as paths would read it as another place`}},
		{"dot segment", head + bucket + "access:\n  - {name: cache, grant: cache, user: ci, prefix: ./results, write: {aws_profile: ci}}\n",
			[]string{`s.yaml:5:51: access[0].prefix: "./results": a key prefix must not have a "." segment: tools that treat keys as paths would read it as another place`}},
		{"policy variable", head + bucket + "access:\n  - {name: cache, grant: cache, user: ci, prefix: \"home/${aws:username}/\", write: {aws_profile: ci}}\n",
			[]string{`s.yaml:5:51: access[0].prefix: "home/${aws:username}/": a key prefix must not hold $: IAM reads ${...} as a policy variable`}},
		{"space", head + bucket + "access:\n  - {name: cache, grant: cache, user: ci, prefix: my results/, write: {aws_profile: ci}}\n",
			[]string{`s.yaml:5:51: access[0].prefix: "my results/": ' ' is not allowed in a key prefix: use letters, digits and ! - _ . ' ( ) / = + @ , :`}},
		{"bracket", head + bucket + "access:\n  - {name: cache, grant: cache, user: ci, prefix: \"results/[0-9]\", write: {aws_profile: ci}}\n",
			[]string{`s.yaml:5:51: access[0].prefix: "results/[0-9]": '[' is not allowed in a key prefix: use letters, digits and ! - _ . ' ( ) / = + @ , :`}},
		{"prefix over S3's key length", head + bucket + "access:\n  - {name: cache, grant: cache, user: ci, prefix: " + strings.Repeat("k", 1025) + ", write: {aws_profile: ci}}\n",
			[]string{`s.yaml:5:51: access[0].prefix: "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk…": is 1,025 bytes long: S3 keys, and so key prefixes, are at most 1,024 bytes`}},
		{"writer prefix with a policy variable", head + "bucket:\n  name: demo-bucket\n  writers:\n    - {principal: \"arn:aws:iam::111122223333:root\", prefix: \"in/${aws:PrincipalAccount}/\"}\n" + access,
			[]string{`s.yaml:6:61: bucket.writers[0].prefix: "in/${aws:PrincipalAccount}/": a key prefix must not hold $: IAM reads ${...} as a policy variable`}},
		{"lifecycle prefix with a line break", head + "bucket:\n  name: demo-bucket\n  lifecycle:\n    - {prefix: \"logs/\\n\", expire_days: 1}\n" + access,
			[]string{`s.yaml:6:16: bucket.lifecycle[0].prefix: "logs/\n" has a line break: only one line of printable text is allowed here`}},
		{"lifecycle prefix with a wildcard", head + "bucket:\n  name: demo-bucket\n  lifecycle:\n    - {prefix: \"logs/*\", expire_days: 1}\n" + access,
			[]string{`s.yaml:6:16: bucket.lifecycle[0].prefix: "logs/*": write a key prefix like logs/ (no leading slash, no wildcards)`}},

		// Tags.
		{"too many tags", head + "bucket:\n  name: demo-bucket\n  tags: {" + repeat("t%d: v, ", 50) + "}\n" + access,
			[]string{`s.yaml:5:9: bucket.tags: has 50 tags: S3 allows 50 on a bucket, and awsboot adds awsboot:stack, so list at most 49`}},
		{"control character in a tag value", head + "bucket:\n  name: demo-bucket\n  tags: {team: \"ci\\u0000\"}\n" + access,
			[]string{`s.yaml:5:16: bucket.tags.team: "ci\x00" has the control character U+0000: only printable text is allowed here`}},
		{"line break in a tag key", head + "bucket:\n  name: demo-bucket\n  tags: {\"team\\nx\": ci}\n" + access,
			[]string{`s.yaml:5:10: bucket.tags["team\nx"]: the key "team\nx" has a line break: only one line of printable text is allowed here`}},
		{"character S3 refuses in a tag key", head + "bucket:\n  name: demo-bucket\n  tags: {\"cost#center\": \"42\"}\n" + access,
			[]string{`s.yaml:5:25: bucket.tags["cost#center"]: the key has '#': tag keys and values may hold only letters, digits, spaces and _ . : / = + - @`}},
		{"character S3 refuses in a tag value", head + "bucket:\n  name: demo-bucket\n  tags: {team: \"ci*\"}\n" + access,
			[]string{`s.yaml:5:16: bucket.tags.team: the value has '*': tag keys and values may hold only letters, digits, spaces and _ . : / = + - @`}},
		{"empty tag key", head + "bucket:\n  name: demo-bucket\n  tags: {\"\": ci}\n" + access,
			[]string{`s.yaml:5:14: bucket.tags[""]: a tag key must not be empty`}},
		{"tag value of 257 characters", head + "bucket:\n  name: demo-bucket\n  tags: {team: " + strings.Repeat("é", 257) + "}\n" + access,
			[]string{`s.yaml:5:16: bucket.tags.team: tag keys are at most 128 characters and values at most 256`}},

		// Documents IAM and S3 would refuse for their size.
		{"user inline policy too large", head + "policy_style: inline\n" + bucket + "access:\n  - {name: cache, grant: cache, user: ci, prefix: " + strings.Repeat("p", 700) + ", write: {aws_profile: ci}}\n",
			[]string{`s.yaml:6:51: access[0].prefix: the cache grant's policy would be 2,464 characters (without whitespace), over IAM's limit of 2,048 for a user's inline policies: shorten the prefix by at least 139 characters, or use policy_style: managed (6,144 characters)`}},
		{"trust policy too large", head + bucket + "access:\n  - name: ci\n    grant: cache\n    role: ci-role\n    oidc:\n      github: {repo: acme/web, branch: main}\n      subjects: [" + repeat("\"repo:acme/web:ref:refs/heads/release-%d\", ", 60) + "]\n",
			[]string{`s.yaml:10:17: access[0].oidc.subjects: the role's trust policy would be 2,920 characters (without whitespace), over IAM's default limit of 2,048: list fewer subjects, or cover several with one subject_patterns entry (AWS can raise an account's limit to 4,096)`}},
		{"bucket policy too large", head + "bucket:\n  name: demo-bucket\n  writers:\n" + repeat("    - {principal: \"arn:aws:iam::111122223333:role/writer-%[1]d\", prefix: incoming/%[1]d/}\n", 70) + access,
			[]string{`s.yaml:6:5: bucket.writers: the bucket policy would be 22,001 bytes, over S3's limit of 20 KB (20,480 bytes): list fewer writers (one per account, under a shared prefix) or shorter prefixes`}},
		{"too many thumbprints", head + bucket + "access:\n  - name: ci\n    grant: cache\n    role: ci-role\n    oidc:\n      github: {repo: acme/web, branch: main}\n      thumbprints: [" + repeat("\"%040d\", ", 6) + "]\n",
			[]string{`s.yaml:10:20: access[0].oidc.thumbprints: lists 6 thumbprints: IAM keeps at most 5 for an OIDC provider`}},

		// Documents.
		{"second document", minimal + "---\nversion: 2\n",
			[]string{`s.yaml:6:1: a second YAML document starts here: a spec file holds one document (remove this --- and what follows it)`}},
		{"empty second document", minimal + "---\n",
			[]string{`s.yaml:6:1: a second YAML document starts here: a spec file holds one document (remove this --- and what follows it)`}},
		{"empty document", "---\n", []string{`s.yaml:1: the spec is empty`}},
		{"null document", "~\n", []string{`s.yaml:1: the spec is empty`}},
		{"only comments", "# version: 1\n", []string{`s.yaml:1: the spec is empty`}},
		{"empty document, then the spec", "---\n---\n" + minimal, []string{
			`s.yaml:1: the spec is empty`,
			`s.yaml:2:1: a second YAML document starts here: a spec file holds one document (remove this --- and what follows it)`,
		}},
		{"invalid UTF-8", head + "bucket: {name: demo-\xffbucket}\n" + access,
			[]string{`s.yaml:3:21: not UTF-8 text (byte 0xff): save the spec as UTF-8`}},
		{"UTF-16", "\xff\xfev\x00", []string{`s.yaml:1:1: not UTF-8 text (byte 0xff): save the spec as UTF-8`}},
		{"raw control character", head + "bucket: {name: demo\x01bucket}\n" + access,
			[]string{`s.yaml:3:20: not valid YAML: the control character U+0001 is not allowed in a YAML file`}},

		// Types, paths and messages.
		{"mapping for a list", head + bucket + "access: {name: cache, grant: cache}\n",
			[]string{`s.yaml:4:9: access: expected a list, got a mapping`}},
		{"block mapping for a list", head + bucket + "access:\n  name: cache\n  grant: cache\n",
			[]string{`s.yaml:5:3: access: expected a list, got a mapping`}},
		{"list for a string", "version: 1\nstack: [demo]\n" + bucket + access,
			[]string{`s.yaml:2:8: stack: expected a string, got a list`}},
		{"block list for a string", "version: 1\nstack:\n  - demo\n" + bucket + access,
			[]string{`s.yaml:3:3: stack: expected a string, got a list`}},
		{"list for a write value", head + bucket + "access:\n  - {name: cache, grant: cache, user: ci, write: {aws_profile: [ci]}}\n",
			[]string{`s.yaml:5:64: access[0].write.aws_profile: expected a string, got a list`}},
		{"string for a mapping", head + "bucket: demo-bucket\n" + access,
			[]string{`s.yaml:3:9: bucket: expected a mapping, got the string "demo-bucket"`}},
		{"boolean for a list", head + bucket + "access: true\n",
			[]string{`s.yaml:4:9: access: expected a list, got the boolean "true"`}},
		{"binary for a string", "version: 1\nstack: !!binary ZGVtbw==\n" + bucket + access,
			[]string{`s.yaml:2:8: stack: expected a string, got binary data (!!binary)`}},
		{"key set twice", head + bucket + "access:\n  - name: cache\n    grant: cache\n    user: ci\n    name: other\n    write: {aws_profile: ci}\n",
			[]string{`s.yaml:8:5: access[0].name: is set twice in this mapping (first on line 5)`}},
		{"long value of the wrong type", head + "bucket: {name: demo-bucket, versioning: " + strings.Repeat("y", 10000) + "}\n" + access,
			[]string{`s.yaml:3:41: bucket.versioning: expected true or false, got the string "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy…"`}},
		{"long unknown field", head + bucket + access + strings.Repeat("z", 1000) + ": 1\n",
			[]string{`s.yaml:6:1: ["zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz…"]: unknown field "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz…"`}},
		{"long invalid value", "version: 1\nstack: " + strings.Repeat("s ", 300000) + "\n" + bucket + access,
			[]string{`s.yaml:2:8: stack: "s s s s s s s s s s s s s s s s s s s s s s s s s s s s s s …": use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit`}},
		{"alias of the wrong kind", "x-list: &l [1]\n" + head + bucket + access,
			[]string{`s.yaml:1:1: x-list: unknown field "x-list"`}},
		{"merged mapping", head + bucket + "base: &b {grant: cache, user: ci}\naccess:\n  - {<<: *b, name: cache, write: {aws_profile: ci}}\n",
			[]string{`s.yaml:4:1: base: unknown field "base"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problemLines(t, tc.src)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestAnchorsStillWork: aliases and merge keys read as yaml.v3 reads
// them, and a problem inside an anchor is found where it is written.
func TestAnchorsStillWork(t *testing.T) {
	src := head + bucket + "access:\n" +
		"  - &e {name: cache, grant: cache, user: ci, write: {aws_profile: ci}}\n" +
		"  - {<<: *e, name: cache2, user: ci2, write: {aws_profile: ci2}}\n"
	s, err := Parse("s.yaml", []byte(src), testRules)
	if err != nil {
		t.Fatal(err)
	}
	if a := s.Access[1]; a.Grant != "cache" || a.User != "ci2" || a.Write["aws_profile"] != "ci2" {
		t.Errorf("merged entry = %+v", a)
	}
	bad := head + bucket + "x-prefix: &p \"a b/\"\n"
	got := problemLines(t, bad+access)
	if want := `s.yaml:4:1: x-prefix: unknown field "x-prefix"`; len(got) != 1 || got[0] != want {
		t.Errorf("got %q", got)
	}
}

// TestAWSSharedFilesAreNotWriteTargets: a write path or the replication
// destination file may not be one of the AWS SDK's shared files.
func TestAWSSharedFilesAreNotWriteTargets(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(home, "admin-config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "")
	src := head + "bucket:\n  name: demo-bucket\n  replication: {destination: \"arn:aws:s3:::other-bucket\", destination_policy_file: ~/.aws/credentials}\n" +
		"access:\n" +
		"  - {name: one, grant: cache, user: ci, write: {aws_profile: ci, semaphore_agent: ~/admin-config}}\n" +
		"  - {name: two, grant: cache, user: ci2, write: {aws_profile: ci2, semaphore_agent: ~/.aws/config}}\n"
	want := []string{
		fmt.Sprintf(`s.yaml:5:84: bucket.replication.destination_policy_file: %q is the AWS shared credentials file (~/.aws/credentials): awsboot writes its own profiles there, and another file written over it would break the profiles and keys it holds; choose another path`, filepath.Join(home, ".aws", "credentials")),
		fmt.Sprintf(`s.yaml:7:83: access[0].write.semaphore_agent: %q is the AWS shared config file (AWS_CONFIG_FILE): awsboot writes its own profiles there, and another file written over it would break the profiles and keys it holds; choose another path`, filepath.Join(home, "admin-config")),
		fmt.Sprintf(`s.yaml:8:85: access[1].write.semaphore_agent: %q is the AWS shared config file (~/.aws/config): awsboot writes its own profiles there, and another file written over it would break the profiles and keys it holds; choose another path`, filepath.Join(home, ".aws", "config")),
	}
	if diff := cmp.Diff(want, problemLines(t, src)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// A link to the file is the same file.
	if runtime.GOOS != "windows" {
		if err := os.WriteFile(filepath.Join(home, "admin-config"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join(home, "admin-config"), filepath.Join(home, "link")); err != nil {
			t.Fatal(err)
		}
		got := problemLines(t, head+bucket+"access:\n  - {name: one, grant: cache, user: ci, write: {aws_profile: ci, semaphore_agent: ~/link}}\n")
		if len(got) != 1 || !strings.Contains(got[0], "is the AWS shared config file (AWS_CONFIG_FILE)") {
			t.Errorf("link: got %q", got)
		}
	}
}

// TestSpecFileIsRefusedBeforeReading: a directory, a named pipe and a
// file over MaxFileSize are refused at once, without reading them.
func TestSpecFileIsRefusedBeforeReading(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: the size is there, the bytes need not be.
	if err := f.Truncate(8 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cases := map[string]string{
		dir: fmt.Sprintf("reading spec: %s is a directory, not a spec file", dir),
		big: big + ": the file is 8,589,934,592 bytes; a spec is at most 1 MiB (1,048,576 bytes): is this the right file?",
	}
	if fifo := filepath.Join(dir, "fifo.yaml"); mkfifo(fifo) == nil {
		cases[fifo] = "reading spec: " + fifo + " is a named pipe, not a regular file: awsboot reads a spec only from a file"
	} else if runtime.GOOS != "windows" {
		t.Errorf("no named pipe: %v", mkfifo(fifo))
	}
	// A pipe read like a file would block for ever: go test's timeout
	// would end the run, with no timing assertion here.
	for path, want := range cases {
		if _, err := Load(path, Rules{}); err == nil || err.Error() != want {
			t.Errorf("Load(%s) = %v, want %s", path, err, want)
		}
	}
	if _, err := Load(big, Rules{}); !errors.Is(err, ErrInvalidSpec) {
		t.Errorf("a file too large is an invalid spec: %v", err)
	}
}

// TestLargeInputsStayBounded: inputs built to be slow or large (a 10 MB
// value, tens of thousands of keys or entries, aliases used over and
// over) are answered with a bounded list of short problems. How fast is
// BenchmarkParseLargeInputs's business, not a timed test's.
func TestLargeInputsStayBounded(t *testing.T) {
	var subjects strings.Builder
	subjects.WriteString(head + bucket + "access:\n  - {name: ci, grant: cache, role: r, oidc: {github: {repo: a/b, branch: main}, subjects: &s [")
	subjects.WriteString(repeat("s%d, ", 5000) + "]}}\n")
	for subjects.Len() < MaxFileSize-200 {
		subjects.WriteString("  - {name: ci, grant: cache, role: r, oidc: {github: {repo: a/b, branch: main}, subjects: *s}}\n")
	}
	for _, tc := range []struct {
		name, src, first, last string
	}{
		{"10 MB value", head + "bucket: {name: " + strings.Repeat("b", 10<<20) + "}\n", "s.yaml: the file is 10,485,8", ""},
		{"many tags", head + "bucket:\n  name: demo-bucket\n  tags:\n" + repeat("    k%d: v\n", 60000) + access, "s.yaml:6:5: bucket.tags: has 60,000 tags", ""},
		{"many bad entries", head + bucket + "access:\n" + repeat("  - {name: X%d, grant: nope}\n", 30000), "s.yaml:5:12: access[0].name", "more problems are not listed: fix these first"},
		{"aliases used over and over", subjects.String(), "", "through YAML aliases (*name): write the values out, or use fewer aliases"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problemLines(t, tc.src)
			if len(got) > maxErrors+1 {
				t.Errorf("%d lines", len(got))
			}
			if !strings.HasPrefix(got[0], tc.first) || !strings.HasSuffix(got[len(got)-1], tc.last) {
				t.Errorf("got %q ... %q", got[0], got[len(got)-1])
			}
			for _, l := range got {
				if len(l) > 600 {
					t.Errorf("line of %d bytes: %.100s", len(l), l)
				}
			}
		})
	}
}

// TestNoGoTypeNames: no message names a Go type, whatever the shape of
// the input.
func TestNoGoTypeNames(t *testing.T) {
	for _, src := range []string{
		"version: {a: 1}\nstack: [1]\nbucket: [1]\naccess: {a: 1}\n",
		head + "bucket: {name: x, tags: [1], lifecycle: {a: 1}, writers: 1, cdn: [], replication: x, block_public_access: []}\n" + access,
		head + bucket + "access:\n  - {name: [1], oidc: [1], write: [1]}\n  - 1\n  - [1]\n",
		head + bucket + "access:\n  - {name: a, oidc: {subjects: {a: 1}, github: [], thumbprints: 1, allow_any_subject: 3}}\n",
		head + bucket + "access:\n  - {name: a, write: {aws_profile: {a: 1}}}\n",
	} {
		for _, l := range problemLines(t, src) {
			for _, word := range []string{"spec.", "[]", "map[", "*bool", "*int", "int64", "unmarshal", " into ", "!!seq", "!!map", "!!int", "!!str"} {
				if strings.Contains(l, word) {
					t.Errorf("%q names a Go type or YAML tag (%s)", l, word)
				}
			}
		}
	}
}

func TestClipArgs(t *testing.T) {
	long := strings.Repeat("x", 100)
	got := fmt.Sprintf("%s %q %d %%q %q", clipArgs("%s %q %d %%q %q", []any{long, long, 3, "short"})...)
	want := long + ` "` + strings.Repeat("x", 60) + `…" 3 %q "short"`
	if got != want {
		t.Errorf("got %s", got)
	}
}

// BenchmarkParseLargeInputs measures the loader on inputs built to be
// slow: 60,000 tags, 30,000 bad entries. A regression to yaml.v3's
// Decode took 41 s on the first.
func BenchmarkParseLargeInputs(b *testing.B) {
	inputs := map[string]string{
		"tags":    head + "bucket:\n  name: demo-bucket\n  tags:\n" + repeat("    k%d: v\n", 60000) + access,
		"entries": head + bucket + "access:\n" + repeat("  - {name: X%d, grant: nope}\n", 30000),
	}
	for name, src := range inputs {
		b.Run(name, func(b *testing.B) {
			for range b.N {
				_, _ = Parse("s.yaml", []byte(src), testRules)
			}
		})
	}
}
