package localfile

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// System implementations.
var (
	_ System = OS{}
	_ System = ReadOnly(OS{})
	_ System = (*Gate)(nil)
)

// writeExisting writes content at path with exactly the permission bits
// perm, whatever the umask.
func writeExisting(t *testing.T, path, content string, perm fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
}

// readOnlySystems are the Systems that must refuse every write.
func readOnlySystems() map[string]System {
	reclosed := NewGate(OS{})
	reclosed.Open()
	reclosed.Close()
	return map[string]System{
		"ReadOnly(OS)":         ReadOnly(OS{}),
		"ReadOnly(Gate)":       ReadOnly(openGate()),
		"new Gate":             NewGate(OS{}),
		"Gate opened, closed":  reclosed,
		"ReadOnly(ReadOnly)":   ReadOnly(ReadOnly(OS{})),
		"Gate of ReadOnly, on": openGateOf(ReadOnly(OS{})),
	}
}

func openGate() *Gate { return openGateOf(OS{}) }

func openGateOf(sys System) *Gate {
	g := NewGate(sys)
	g.Open()
	return g
}

// TestReadOnlySystems checks that read-only Systems fail every write and
// remove with ErrReadOnly, change nothing, and read, stat and lock as the
// system behind them does.
func TestReadOnlySystems(t *testing.T) {
	for name, sys := range readOnlySystems() {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config")
			missing := filepath.Join(dir, "missing")
			writeExisting(t, path, "data\n", 0o640)
			before := stateOf(t, path)

			for _, p := range []string{path, missing, filepath.Join(dir, "sub", "new")} {
				err := sys.WriteFile(p, []byte("new\n"), 0o600)
				if !errors.Is(err, ErrReadOnly) {
					t.Errorf("WriteFile(%s) = %v, want ErrReadOnly", p, err)
				}
				err = sys.Remove(p)
				if !errors.Is(err, ErrReadOnly) {
					t.Errorf("Remove(%s) = %v, want ErrReadOnly", p, err)
				}
			}
			if err := sys.WriteFile(path, nil, 0o600); err == nil || err.Error() != "writing "+path+": "+ErrReadOnly.Error() {
				t.Errorf("WriteFile error = %v, want it to name the file", err)
			}
			if err := sys.Remove(path); err == nil || err.Error() != "deleting "+path+": "+ErrReadOnly.Error() {
				t.Errorf("Remove error = %v, want it to name the file", err)
			}
			if diff := cmp.Diff(before, stateOf(t, path)); diff != "" {
				t.Errorf("the file changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff([]string{"config"}, dirEntries(t, dir)); diff != "" {
				t.Errorf("the directory changed (-want +got):\n%s", diff)
			}

			data, ok, err := sys.ReadFile(path)
			if err != nil || !ok || string(data) != "data\n" {
				t.Errorf("ReadFile = %q, %v, %v; want the content", data, ok, err)
			}
			data, ok, err = sys.ReadFile(missing)
			if err != nil || ok || data != nil {
				t.Errorf("ReadFile(missing) = %q, %v, %v; want nothing", data, ok, err)
			}
			perm, ok, err := sys.Perm(path)
			if err != nil || !ok || perm != 0o640 {
				t.Errorf("Perm = %v, %v, %v; want 0640", perm, ok, err)
			}
			if _, ok, err := sys.Perm(missing); err != nil || ok {
				t.Errorf("Perm(missing) = %v, %v; want not ok", ok, err)
			}
			mustLock(t, sys, path)()
		})
	}
}

// TestGate checks that a gate is closed until opened, lets writes through
// while open, and closes again.
func TestGate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "config")
	g := NewGate(OS{})

	if err := g.WriteFile(path, []byte("a\n"), 0o600); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("WriteFile on a new gate = %v, want ErrReadOnly", err)
	}
	if got := dirEntries(t, dir); len(got) != 0 {
		t.Fatalf("a closed gate created %v", got)
	}

	g.Open()
	g.Open() // opening twice is fine
	if err := g.WriteFile(path, []byte("a\n"), 0o640); err != nil {
		t.Fatalf("WriteFile on an open gate: %v", err)
	}
	if diff := cmp.Diff(fileState{Exists: true, Content: "a\n", Mode: 0o640}, stateOf(t, path)); diff != "" {
		t.Errorf("written file (-want +got):\n%s", diff)
	}
	if perm, ok, err := g.Perm(path); err != nil || !ok || perm != 0o640 {
		t.Errorf("Perm = %v, %v, %v; want 0640", perm, ok, err)
	}

	g.Close()
	if err := g.WriteFile(path, []byte("b\n"), 0o600); !errors.Is(err, ErrReadOnly) {
		t.Errorf("WriteFile after Close = %v, want ErrReadOnly", err)
	}
	if err := g.Remove(path); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Remove after Close = %v, want ErrReadOnly", err)
	}
	if data, ok, err := g.ReadFile(path); err != nil || !ok || string(data) != "a\n" {
		t.Errorf("ReadFile after Close = %q, %v, %v; want the content", data, ok, err)
	}

	g.Open()
	if err := g.Remove(path); err != nil {
		t.Errorf("Remove on an open gate: %v", err)
	}
	if stateOf(t, path).Exists {
		t.Error("the file is still there")
	}
}

func TestOSPerm(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]struct {
		perm   fs.FileMode // 0: the file is missing
		mode   fs.FileMode // the file's mode when not perm
		path   string
		wantOK bool
	}{
		"missing file":       {path: filepath.Join(dir, "missing")},
		"missing directory":  {path: filepath.Join(dir, "none", "missing")},
		"0600":               {perm: 0o600, path: filepath.Join(dir, "a"), wantOK: true},
		"0640":               {perm: 0o640, path: filepath.Join(dir, "b"), wantOK: true},
		"0755":               {perm: 0o755, path: filepath.Join(dir, "c"), wantOK: true},
		"0400 is still read": {perm: 0o400, path: filepath.Join(dir, "d"), wantOK: true},
		// Only the permission bits: setgid (or, not being root, nothing)
		// is dropped.
		"setgid": {perm: 0o750, mode: 0o750 | fs.ModeSetgid, path: filepath.Join(dir, "e"), wantOK: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if tc.perm != 0 {
				writeExisting(t, tc.path, "x", tc.perm)
			}
			if tc.mode != 0 {
				if err := os.Chmod(tc.path, tc.mode); err != nil {
					t.Fatal(err)
				}
			}
			perm, ok, err := OS{}.Perm(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tc.wantOK || perm != tc.perm {
				t.Errorf("Perm = %v, %v; want %v, %v", perm, ok, tc.perm, tc.wantOK)
			}
		})
	}
}

func TestOSRemove(t *testing.T) {
	dir := t.TempDir()
	for name, path := range map[string]string{
		"missing file":      filepath.Join(dir, "missing"),
		"missing directory": filepath.Join(dir, "none", "missing"),
	} {
		if err := (OS{}).Remove(path); err != nil {
			t.Errorf("%s: Remove = %v, want nil", name, err)
		}
	}

	path := filepath.Join(dir, "config")
	writeExisting(t, path, "x", 0o600)
	if err := (OS{}).Remove(path); err != nil {
		t.Fatal(err)
	}
	if stateOf(t, path).Exists {
		t.Error("Remove left the file")
	}
	if err := (OS{}).Remove(path); err != nil {
		t.Errorf("Remove of a removed file = %v, want nil", err)
	}

	full := filepath.Join(dir, "full")
	if err := os.MkdirAll(filepath.Join(full, "child"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := (OS{}).Remove(full); err == nil {
		t.Error("Remove of a directory that is not empty succeeded")
	} else if want := "deleting " + full + ": "; len(err.Error()) < len(want) || err.Error()[:len(want)] != want {
		t.Errorf("Remove error = %q, want it to start with %q", err, want)
	}
}

func TestOSReadWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new", "config")
	sys := OS{}
	if data, ok, err := sys.ReadFile(path); err != nil || ok || data != nil {
		t.Fatalf("ReadFile(missing) = %q, %v, %v", data, ok, err)
	}
	if err := sys.WriteFile(path, []byte("one\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := sys.WriteFile(path, []byte("two\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if data, ok, err := sys.ReadFile(path); err != nil || !ok || string(data) != "two\n" {
		t.Errorf("ReadFile = %q, %v, %v; want two", data, ok, err)
	}
	if diff := cmp.Diff(fileState{Exists: true, Content: "one\n", Mode: 0o600}, stateOf(t, path+BackupSuffix)); diff != "" {
		t.Errorf("backup (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("new directory mode = %v, want 0700", fi.Mode().Perm())
	}
	if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	err = sys.WriteFile(filepath.Join(dir, "file", "below"), []byte("x"), 0o600)
	if err == nil {
		t.Error("WriteFile below a file succeeded")
	}
}

// TestOSLockSerialises runs two goroutines that each increment a counter
// many times under the lock of one path, yielding between the read and
// the write: the count comes out exact only if the lock excludes the
// other goroutine. The two use different System values (OS and a Gate in
// front of OS), which must share the lock of a path.
func TestOSLockSerialises(t *testing.T) {
	const n = 2000
	path := filepath.Join(t.TempDir(), "credentials")
	counter := 0
	var wg sync.WaitGroup
	for _, sys := range []System{OS{}, NewGate(OS{})} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range n {
				unlock, err := sys.Lock(path)
				if err != nil {
					t.Error(err)
					return
				}
				v := counter
				runtime.Gosched()
				counter = v + 1
				unlock()
			}
		}()
	}
	wg.Wait()
	if counter != 2*n {
		t.Errorf("counter = %d, want %d: the lock did not serialise", counter, 2*n)
	}
}

// TestOSLockPerPath checks that locks of different paths are independent
// and that unlock releases: both would deadlock otherwise.
func TestOSLockPerPath(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	unlockA := mustLock(t, OS{}, a)
	unlockB := mustLock(t, OS{}, b)
	unlockB()
	unlockA()
	mustLock(t, OS{}, a)()
	mustLock(t, ReadOnly(OS{}), a)()
	g := NewGate(OS{})
	g.Open()
	mustLock(t, g, a)()
}

func mustLock(t *testing.T, sys System, path string) func() {
	t.Helper()
	unlock, err := sys.Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	return unlock
}

// TestLockAcrossProcesses holds a path's lock in a child process (this
// test binary, re-run) and checks that Lock here waits its bounded time
// and fails with ErrLocked, then succeeds once the child is gone; and
// that a read-only system takes no lock and writes no lock file.
func TestLockAcrossProcesses(t *testing.T) {
	if path := os.Getenv("AWSBOOT_HOLD_LOCK"); path != "" {
		unlock, err := OS{}.Lock(path)
		if err != nil {
			os.Exit(3)
		}
		defer unlock()
		fmt.Println("locked")
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockAcrossProcesses$")
	cmd.Env = append(os.Environ(), "AWSBOOT_HOLD_LOCK="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		t.Fatalf("child said %q", line)
	}
	if _, err := (OS{LockTimeout: 200 * time.Millisecond}).Lock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("Lock while another process holds it: %v, want ErrLocked", err)
	}
	stdin.Close()
	_ = cmd.Wait()
	mustLock(t, OS{}, path)()
	if _, err := os.Stat(LockPath(path)); err != nil {
		t.Errorf("no lock file: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("locking added files beside the user's: %v", entries)
	}
	other := filepath.Join(dir, "sub", "config")
	mustLock(t, ReadOnly(OS{}), other)()
	mustLock(t, NewGate(OS{}), other)()
	if _, err := os.Stat(filepath.Dir(other)); !os.IsNotExist(err) {
		t.Errorf("a read-only lock created %s", filepath.Dir(other))
	}
}

// TestWriteFileRemovesStaleTemps: the temporary files a killed write
// left beside a file (and its backup), which may hold a secret, are gone
// after the next write; other files, and another file's temporaries,
// stay.
func TestWriteFileRemovesStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	stale := []string{".credentials.tmp-123", ".credentials.awsboot.bak.tmp-456"}
	keep := []string{".config.tmp-789", "credentials.tmp-not-ours", ".credentialsX.tmp-1"}
	for _, f := range append(append([]string{}, stale...), keep...) {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("aws_secret_access_key = old"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := (OS{}).WriteFile(path, []byte("[x]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range stale {
		if _, err := os.Stat(filepath.Join(dir, f)); !os.IsNotExist(err) {
			t.Errorf("%s survived the next write", f)
		}
	}
	for _, f := range keep {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s was removed: %v", f, err)
		}
	}
}

// TestGateTidy: Tidy removes the temporary files a killed write left
// beside a file read through the gate, even while the gate is closed,
// and touches nothing else.
func TestGateTidy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	if err := os.WriteFile(path, []byte("[a]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	debris := []string{filepath.Join(dir, ".credentials.tmp-123"), filepath.Join(dir, ".credentials"+BackupSuffix+".tmp-456")}
	keep := filepath.Join(dir, ".other.tmp-789")
	for _, f := range append(debris, keep) {
		if err := os.WriteFile(f, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	g := NewGate(OS{})
	if _, _, err := g.ReadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := g.Tidy(); err != nil {
		t.Fatal(err)
	}
	for _, f := range debris {
		if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s is still there (%v)", f, err)
		}
	}
	for _, f := range []string{path, keep} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("%s was removed: %v", f, err)
		}
	}
}

// TestGateTidyAfterSharedINIRead: a file read through the gate's shared
// INI parse (ReadINI on a closed gate, as a plan reads ~/.aws) counts as
// read, so Tidy cleans beside it too.
func TestGateTidyAfterSharedINIRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	if err := os.WriteFile(path, []byte("[a]\nk = v\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	debris := filepath.Join(dir, ".credentials"+BackupSuffix+".tmp-1")
	if err := os.WriteFile(debris, []byte("secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := NewGate(OS{})
	if _, err := ReadINI(g, path); err != nil {
		t.Fatal(err)
	}
	if err := g.Tidy(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(debris); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s is still there (%v)", debris, err)
	}
}
