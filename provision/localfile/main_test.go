package localfile

import (
	"os"
	"testing"
)

// TestMain keeps awsboot's lock files (localfile.LockDir) out of the
// developer's cache directory.
// A child process a test starts inherits the parent's directory, so both
// find the same locks.
func TestMain(m *testing.M) {
	if os.Getenv("AWSBOOT_TEST_CACHE") != "" {
		os.Exit(m.Run())
	}
	dir, err := os.MkdirTemp("", "awsboot-test-cache-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CACHE_HOME", dir)
	os.Setenv("AWSBOOT_TEST_CACHE", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
