package localfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
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
	// Lock serialises the read-modify-write of one path: several
	// resources edit the same ~/.aws/credentials or config (one profile
	// per access entry), and the executor runs them concurrently. It
	// returns the function that unlocks.
	Lock(path string) (unlock func())
}

// ErrReadOnly is returned by a read-only System's writes: planning never
// writes a file.
var ErrReadOnly = errors.New("read-only: planning writes no file")

// OS is the System of the real file system.
type OS struct{}

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

// WriteFile implements System.
func (OS) WriteFile(path string, data []byte, perm fs.FileMode) error {
	if _, err := WriteFileAtomic(path, data, perm, true); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// Remove implements System.
func (OS) Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("deleting %s: %w", path, err)
	}
	return nil
}

// Lock implements System with an in-process mutex per path.
func (OS) Lock(path string) func() {
	m, _ := pathLocks.LoadOrStore(path, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
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

// Gate is a System that is read-only until opened: a stack's consumers
// share one, closed while the stack plans and open while it applies a
// plan, so no plan can write a file whatever a resource's Read does.
type Gate struct {
	sys  System
	open atomic.Bool
}

// NewGate returns a closed Gate in front of sys.
func NewGate(sys System) *Gate { return &Gate{sys: sys} }

// Open lets writes through; Close makes the gate read-only again.
func (g *Gate) Open() { g.open.Store(true) }

// Close makes the gate read-only.
func (g *Gate) Close() { g.open.Store(false) }

func (g *Gate) current() System {
	if g.open.Load() {
		return g.sys
	}
	return ReadOnly(g.sys)
}

// ReadFile implements System.
func (g *Gate) ReadFile(path string) ([]byte, bool, error) { return g.sys.ReadFile(path) }

// Perm implements System.
func (g *Gate) Perm(path string) (fs.FileMode, bool, error) { return g.sys.Perm(path) }

// WriteFile implements System; it fails with ErrReadOnly while closed.
func (g *Gate) WriteFile(path string, data []byte, perm fs.FileMode) error {
	return g.current().WriteFile(path, data, perm)
}

// Remove implements System; it fails with ErrReadOnly while closed.
func (g *Gate) Remove(path string) error { return g.current().Remove(path) }

// Lock implements System.
func (g *Gate) Lock(path string) func() { return g.sys.Lock(path) }
