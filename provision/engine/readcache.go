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
	once sync.Once
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
		e = &cacheEntry{}
		rc.entries[key] = e
	}
	rc.mu.Unlock()
	e.once.Do(func() { e.val, e.err = read() })
	v, _ := e.val.(T)
	return v, e.err
}
