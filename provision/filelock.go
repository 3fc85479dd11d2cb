package provision

import "sync"

// fileLocks serialises the read-modify-write of each local file: several
// resources edit the same ~/.aws/credentials or config (one profile per
// access entry), and the executor runs them concurrently.
var fileLocks sync.Map // path -> *sync.Mutex

// withFileLock runs fn while holding path's lock.
func withFileLock(path string, fn func() error) error {
	m, _ := fileLocks.LoadOrStore(path, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	defer mu.Unlock()
	return fn()
}
