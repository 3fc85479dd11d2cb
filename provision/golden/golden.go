// Package golden compares test output with a golden file (kops'
// pkg/testutils/golden): UPDATE_GOLDEN=1 rewrites the file from the output
// first, so `make update-golden` refreshes every golden file of the tree.
// It is the one golden helper of awsboot's tests.
package golden

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Assert fails t when got differs from the content of the file at path,
// showing the difference; with UPDATE_GOLDEN set it first writes got to
// path (creating its directory).
func Assert(t testing.TB, path, got string) {
	t.Helper()
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (UPDATE_GOLDEN=1 creates it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
