package engine

import (
	"context"
	"sync"
)

// readCache memoises reads within one plan: a user (or role, or bucket's
// tags) is read by several resources, and one plan should ask once. Only
// MakePlan installs it; apply and delete always read afresh.
type readCache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	done chan struct{} // closed once val and err are set
	val  any
	err  error
}

type readCacheKey struct{}

// WithReadCache returns a context whose Cached reads happen once per key.
func WithReadCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, readCacheKey{}, &readCache{entries: map[string]*cacheEntry{}})
}

// Cached runs read once per key within a plan (a context from
// WithReadCache), or every time outside one. Concurrent callers of one key
// wait for the first read and share its result and error.
func Cached[T any](ctx context.Context, key string, read func() (T, error)) (T, error) {
	rc, _ := ctx.Value(readCacheKey{}).(*readCache)
	if rc == nil {
		return read()
	}
	rc.mu.Lock()
	e, ok := rc.entries[key]
	if !ok {
		e = &cacheEntry{done: make(chan struct{})}
		rc.entries[key] = e
	}
	rc.mu.Unlock()
	if !ok {
		e.val, e.err = read()
		close(e.done)
	} else {
		// Another resource is reading this key: wait without holding a
		// read slot, so the plan's parallelism goes to requests.
		s, _ := ctx.Value(slotKey{}).(*slot)
		s.release()
		<-e.done
		s.acquire()
	}
	v, _ := e.val.(T)
	return v, e.err
}

type slotKey struct{}

// slot is one of MakePlan's read slots, held by a resource's Read.
type slot struct{ sem chan struct{} }

func (s *slot) release() {
	if s != nil {
		<-s.sem
	}
}

func (s *slot) acquire() {
	if s != nil {
		s.sem <- struct{}{}
	}
}
