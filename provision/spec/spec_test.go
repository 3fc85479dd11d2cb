package spec

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSpecDefaults(t *testing.T) {
	s, err := Parse("/specs/s.yaml", []byte(`
version: 1
stack: s
bucket: {name: my-bucket}
access:
  - {name: cache, grant: cache, user: ci, write: {aws_profile: ci, semaphore_agent: agent.yaml}}
`), Rules{})
	if err != nil {
		t.Fatal(err)
	}
	if !*s.Bucket.BlockPublicAccess || s.Bucket.Encryption != "sse-s3" {
		t.Errorf("bucket defaults: %+v", s.Bucket)
	}
	if s.Access[0].Policy != "ci-cache-policy" {
		t.Errorf("default policy name = %q", s.Access[0].Policy)
	}
	if got := s.Path(s.Access[0].Write["semaphore_agent"]); got != "/specs/agent.yaml" {
		t.Errorf("relative path resolved to %q", got)
	}
}

func TestBucketNameRules(t *testing.T) {
	for name, want := range map[string]string{
		"semaphore-cache":       "",
		"a.b-c":                 "",
		"ab":                    "it must be 3 to 63 characters long",
		strings.Repeat("a", 64): "it must be 3 to 63 characters long",
		"-abc":                  "it must begin and end with a letter or digit",
		"abc.":                  "it must begin and end with a letter or digit",
		"a..b":                  "it must not contain two adjacent periods",
		"10.0.0.1":              "it must not be formatted as an IP address",
		"xn--abc":               "it must not start with xn--",
		"sthree-abc":            "it must not start with sthree-",
		"abc-s3alias":           "it must not end with -s3alias",
		"abc--ol-s3":            "it must not end with --ol-s3",
		"Upper":                 "only lowercase letters, digits, '.' and '-' are allowed",
		"under_score":           "only lowercase letters, digits, '.' and '-' are allowed",
	} {
		if got := BucketNameProblem(name); got != want {
			t.Errorf("%q: got %q, want %q", name, got, want)
		}
	}
}

// TestSpecErrorsAreAllReported checks that problems come as one list,
// each with file, line and field, and match ErrInvalidSpec.
func TestSpecErrorsAreAllReported(t *testing.T) {
	_, err := Parse("s.yaml", []byte("version: 1\nstack: bad stack\nbucket: {name: ok-bucket}\naccess:\n  - {name: Cache, grant: nope, user: ci, write: {aws_profile: ci}}\n"), Rules{})
	if !errors.Is(err, ErrInvalidSpec) {
		t.Fatalf("err = %v, want ErrInvalidSpec", err)
	}
	want := []string{
		`s.yaml:2:8: stack: "bad stack": use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit`,
		`s.yaml:5:12: access[0].name: "Cache": use lowercase letters, digits and '-'`,
		`s.yaml:5:26: access[0].grant: unknown grant "nope" (known: cache, publisher)`,
	}
	if diff := cmp.Diff(want, strings.Split(err.Error(), "\n")); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
