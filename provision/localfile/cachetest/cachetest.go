// Package cachetest keeps a test binary's awsboot cache (the lock files
// in localfile.LockDir, the intent journal) out of the developer's cache
// directory.
package cachetest

import (
	"os"
	"testing"
)

// Main runs the tests with XDG_CACHE_HOME set to a new temporary
// directory, removed afterwards, and exits with their code; it is the
// whole body of a package's TestMain. A child process a test starts
// inherits the directory (AWSBOOT_TEST_CACHE), so both find the same
// locks. It panics when the directory cannot be made.
func Main(m *testing.M) {
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
