package provision

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/spec"
)

// TestExamplesLoad loads and validates every spec in examples/ (eksctl's
// configfile_test pattern): an example that rots fails here.
func TestExamplesLoad(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "examples", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := LoadSpec(f); err != nil {
				t.Errorf("%v", err)
			}
		})
	}
}

// FuzzParseSpec: the loader never panics, and whatever it accepts is a
// spec the engine can build on.
func FuzzParseSpec(f *testing.F) {
	for _, p := range []string{"../examples/semaphore-cache.yaml"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("version: 1\nstack: s\nbucket: {name: abc}\naccess: [{name: a, grant: cache, user: u, write: {aws_profile: p}}]\n"))
	f.Add([]byte("version: 1\nbucket: [1, 2]\n"))
	f.Add([]byte("- a\n- b\n"))
	f.Add([]byte("version: !!binary abc\n"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec("fuzz.yaml", data)
		if err != nil {
			if !errors.Is(err, spec.ErrInvalidSpec) {
				t.Fatalf("error is not ErrInvalidSpec: %v", err)
			}
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if spec.BucketNameProblem(s.Bucket.Name) != "" || len(s.Access) == 0 || s.Stack == "" {
			t.Fatalf("accepted an invalid spec: %+v", s)
		}
		for _, a := range s.Access {
			if a.User != "" && a.Write[consumers.KeyAWSProfile] == "" {
				t.Fatalf("accepted a user without a profile: %+v", a)
			}
		}
		// Whatever is accepted builds into a graph, offline.
		if _, err := Offline(s, BuildOptions{}); err != nil {
			t.Fatalf("accepted a spec that does not build: %v", err)
		}
	})
}
