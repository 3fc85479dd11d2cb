package localfile

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofrs/flock"
)

// System is the one seam through which awsboot reads, writes, locks and
// removes the user's files (chezmoi's System): every consumer resource
// holds one, so planning can be given a System that cannot write.
type System interface {
	// ReadFile returns a file's content and whether it exists; a missing
	// file is not an error.
	ReadFile(path string) (data []byte, exists bool, err error)
	// Perm returns an existing file's permission bits; ok is false for a
	// missing file.
	Perm(path string) (perm fs.FileMode, ok bool, err error)
	// WriteFile replaces a file atomically with permission bits perm,
	// creating missing directories 0700 and keeping a backup of the old
	// content (WriteFileAtomic); identical content is not rewritten.
	WriteFile(path string, data []byte, perm fs.FileMode) error
	// Remove deletes a file; a missing file counts as removed.
	Remove(path string) error
	// Lock serialises the read-modify-write of one path, within this
	// process and across processes: several resources edit the same
	// ~/.aws/credentials or config (one profile per access entry), the
	// executor runs them concurrently, and another awsboot run (another
	// stack) may edit the same file. It returns the function that
	// unlocks, or an error when the lock is not had in bounded time.
	Lock(path string) (unlock func(), err error)
}

// ErrReadOnly is returned by a read-only System's writes: planning never
// writes a file.
var ErrReadOnly = errors.New("read-only: planning writes no file")

// OS is the System of the real file system.
type OS struct {
	// LockTimeout bounds how long Lock waits for another process
	// (default DefaultLockTimeout).
	LockTimeout time.Duration
}

// DefaultLockTimeout is how long OS.Lock waits for another process that
// edits the same file: edits take milliseconds, so a longer wait means a
// stuck process.
const DefaultLockTimeout = 30 * time.Second

// pathLocks holds one mutex per path, shared by every OS value.
var pathLocks sync.Map // path -> *sync.Mutex

// ReadFile implements System.
func (OS) ReadFile(path string) ([]byte, bool, error) { return ReadFileIfExists(path) }

// Perm implements System.
func (OS) Perm(path string) (fs.FileMode, bool, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	return fi.Mode().Perm(), true, nil
}

// WriteFile implements System. The caller holds Lock(path), so no other
// awsboot write of the file is under way: temporary files that a killed
// write left beside it (they may hold a secret) are removed first.
func (OS) WriteFile(path string, data []byte, perm fs.FileMode) error {
	if err := RemoveStaleTemps(path); err != nil {
		return err
	}
	if _, err := WriteFileAtomic(path, data, perm, true); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// RemoveStaleTemps removes the temporary files WriteFileAtomic makes for
// path and for its backup (".<name>.tmp-*", ".<name>.awsboot.bak.tmp-*"):
// a write killed between creating one and renaming it leaves it behind,
// 0600 and possibly holding a secret. Only call it while holding the
// path's lock, when no write of it is under way.
func RemoveStaleTemps(path string) error {
	dir, base := filepath.Dir(path), filepath.Base(path)
	for _, pattern := range []string{"." + base + ".tmp-*", "." + base + BackupSuffix + ".tmp-*"} {
		stale, err := filepath.Glob(filepath.Join(dir, globEscape(pattern)))
		if err != nil {
			return err
		}
		for _, f := range stale {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing the temporary file %s a killed write left: %w", f, err)
			}
		}
	}
	return nil
}

// globEscape escapes the pattern characters of a file name, keeping the
// final "*".
func globEscape(pattern string) string {
	name := strings.TrimSuffix(pattern, "*")
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`)
	return r.Replace(name) + "*"
}

// Remove implements System.
func (OS) Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting %s: %w", path, err)
	}
	return nil
}

// Lock implements System: an in-process mutex per path (goroutines of
// one run) and an advisory file lock (flock(2), through gofrs/flock) on
// LockPath(path) for other processes. Symbolic links are resolved first,
// so two links to one file share its lock.
func (o OS) Lock(path string) (func(), error) {
	path = resolve(path)
	unlockMem := memLock(path)
	timeout := o.LockTimeout
	if timeout <= 0 {
		timeout = DefaultLockTimeout
	}
	unlock, err := LockFile(LockPath(path), timeout, nil)
	if err != nil {
		unlockMem()
		return nil, fmt.Errorf("editing %s: %w", path, err)
	}
	return func() { unlock(); unlockMem() }, nil
}

// resolve follows symbolic links, so two links to one file share its
// lock; a missing file stays as named.
func resolve(path string) string {
	if resolved, err := filepath.EvalSymlinks(path); err == nil {
		return resolved
	}
	return path
}

// memLock takes the in-process mutex of a path and returns its unlock.
func memLock(path string) func() {
	m, _ := pathLocks.LoadOrStore(path, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// LockPath is the lock file of a user's file, in LockDir and named by a
// hash of the file's absolute path, so that every awsboot process of the
// user finds the same lock for the same file and nothing is added beside
// the user's files. It holds nothing.
func LockPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(LockDir(), fmt.Sprintf("%x-%s.lock", sum[:8], filepath.Base(path)))
}

// LockDir is where awsboot keeps its lock files: awsboot/locks in the
// user's cache directory ($XDG_CACHE_HOME or ~/.cache on Linux,
// os.UserCacheDir), or in the temporary directory, per user, when there
// is no home.
func LockDir() string {
	if dir, err := os.UserCacheDir(); err == nil {
		return filepath.Join(dir, "awsboot", "locks")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("awsboot-%d", os.Getuid()), "locks")
}

// ErrLocked is returned when a lock is still held by another process
// after the wait.
var ErrLocked = errors.New("held by another awsboot run")

// LockFile takes an exclusive advisory lock on the file at path (created
// 0600, its directory 0700), waiting up to timeout; waiting, when set, is
// called once if the lock is busy at first, so the caller can say why it
// waits. The lock goes with the process, so a killed run never leaves it
// held. It returns the unlock function, or an error matching ErrLocked.
func LockFile(path string, timeout time.Duration, waiting func()) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the directory of lock %s: %w", path, err)
	}
	lk := flock.New(path, flock.SetPermissions(0o600))
	ok, err := lk.TryLock()
	if err == nil && !ok && timeout > 0 {
		if waiting != nil {
			waiting()
		}
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		ok, err = lk.TryLockContext(ctx, 50*time.Millisecond)
		if errors.Is(err, context.DeadlineExceeded) {
			err = nil
		}
	}
	switch {
	case err != nil:
		return nil, fmt.Errorf("locking %s: %w", path, err)
	case !ok:
		return nil, fmt.Errorf("lock %s is %w (waited %s)", path, ErrLocked, timeout)
	}
	return func() { _ = lk.Unlock() }, nil
}

// ReadOnly returns a System that reads and locks through sys and fails
// every write and remove with ErrReadOnly.
func ReadOnly(sys System) System { return readOnly{sys} }

type readOnly struct{ System }

func (r readOnly) WriteFile(path string, _ []byte, _ fs.FileMode) error {
	return fmt.Errorf("writing %s: %w", path, ErrReadOnly)
}

func (r readOnly) Remove(path string) error {
	return fmt.Errorf("deleting %s: %w", path, ErrReadOnly)
}

// Lock of a read-only System takes only the in-process lock of the path:
// nothing is edited under it, and a lock file would be a write.
func (r readOnly) Lock(path string) (func(), error) { return memLock(resolve(path)), nil }

// Gate is a System that is read-only until opened: a stack's consumers
// share one, closed while the stack plans and open while it applies a
// plan, so no plan can write a file whatever a resource's Read does.
//
// A Gate also holds the stack's parsed INI files (ReadINI, EditINI): while
// closed, each file is parsed once and shared by every reader; opening or
// closing it starts afresh, so each plan reads the files as they are when
// it starts.
type Gate struct {
	sys  System
	open atomic.Bool
	ini  iniCache
	// read holds every path read through the gate, for Tidy.
	read sync.Map
}

// NewGate returns a closed Gate in front of sys.
func NewGate(sys System) *Gate { return &Gate{sys: sys} }

// Open lets writes through; Close makes the gate read-only again. Both
// drop the parsed INI files the gate holds.
func (g *Gate) Open() {
	g.open.Store(true)
	g.ini.reset()
}

// Close makes the gate read-only, and drops the parsed INI files it
// holds: the next reader of a file reads it again.
func (g *Gate) Close() {
	g.open.Store(false)
	g.ini.reset()
}

func (g *Gate) current() System {
	if g.open.Load() {
		return g.sys
	}
	return ReadOnly(g.sys)
}

// ReadFile implements System.
func (g *Gate) ReadFile(path string) ([]byte, bool, error) {
	g.read.Store(path, true)
	return g.sys.ReadFile(path)
}

// Tidy removes the temporary files a killed write left beside every file
// read through the gate (RemoveStaleTemps), each under the file's lock,
// open or closed: they are debris of awsboot's own writes, 0600 and
// possibly holding a secret, not the user's content. A run that finds
// nothing to change writes no file, so without Tidy such debris would
// stay until the file changes again. It does nothing when the gate's
// System does not write to the disk (not OS).
func (g *Gate) Tidy() error {
	if _, ok := g.sys.(OS); !ok {
		return nil
	}
	var errs []error
	g.read.Range(func(k, _ any) bool {
		path := k.(string)
		unlock, err := g.sys.Lock(path)
		if err != nil {
			errs = append(errs, err)
			return true
		}
		defer unlock()
		if err := RemoveStaleTemps(path); err != nil {
			errs = append(errs, err)
		}
		return true
	})
	return errors.Join(errs...)
}

// Perm implements System.
func (g *Gate) Perm(path string) (fs.FileMode, bool, error) { return g.sys.Perm(path) }

// WriteFile implements System; it fails with ErrReadOnly while closed.
func (g *Gate) WriteFile(path string, data []byte, perm fs.FileMode) error {
	return g.current().WriteFile(path, data, perm)
}

// Remove implements System; it fails with ErrReadOnly while closed.
func (g *Gate) Remove(path string) error { return g.current().Remove(path) }

// Lock implements System; a closed gate takes only the in-process lock
// (nothing is edited under it, and a lock file would be a write).
func (g *Gate) Lock(path string) (func(), error) { return g.current().Lock(path) }

// FileKind names, in words, the type of a file that is not a regular file
// or a directory ("a named pipe", "a character device", ...), for
// messages that refuse it.
func FileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "a named pipe"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a device"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeSymlink != 0:
		return "a symbolic link"
	}
	return "a special file"
}
