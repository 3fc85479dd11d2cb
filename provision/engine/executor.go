package engine

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Executor applies a plan.
type Executor struct {
	// Parallelism bounds how many changes run at once; <1 means 1.
	Parallelism int
	Hook        Hook
}

// Apply walks the plan: each change starts once the changes it waits for
// are done, at most Parallelism at a time. After a failure no new change
// starts, running ones finish, and every error is returned together.
// Checks a change deferred (Defer) run while the rest goes on; Apply
// returns once they have ended, and a failed check counts as a failure.
func (e Executor) Apply(ctx context.Context, p *Plan) error {
	hook := e.Hook
	if hook == nil {
		hook = NopHook{}
	}
	limit := e.Parallelism
	if limit < 1 {
		limit = 1
	}
	done := map[Address]chan struct{}{}
	for _, c := range p.Changes {
		done[c.Addr] = make(chan struct{})
	}
	var (
		mu     sync.Mutex
		failed = map[Address]bool{}
		errs   []error
		stop   bool
		wg     sync.WaitGroup
		checks sync.WaitGroup
		sem    = make(chan struct{}, limit)
	)
	for i := range p.Changes {
		c := p.Changes[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[c.Addr])
			blocked := false
			for _, d := range p.waitFor[c.Addr] {
				if ch, ok := done[d]; ok {
					<-ch
				}
				mu.Lock()
				blocked = blocked || failed[d]
				mu.Unlock()
			}
			if c.Action == NoOp {
				if blocked {
					mu.Lock()
					failed[c.Addr] = true
					mu.Unlock()
				}
				return
			}
			sem <- struct{}{}
			defer func() { <-sem }()
			mu.Lock()
			skip := blocked || stop
			mu.Unlock()
			if skip || ctx.Err() != nil {
				mu.Lock()
				failed[c.Addr] = true
				mu.Unlock()
				return
			}
			hook.PreApply(c)
			cctx := ctx
			if ph, ok := hook.(ProgressHook); ok {
				cctx = withProgress(ctx, c.Addr, ph)
			}
			later := &deferred{}
			err := applyOne(context.WithValue(cctx, deferKey{}, later), c)
			if err != nil {
				// Stop new work before anyone hears of the failure.
				mu.Lock()
				failed[c.Addr] = true
				stop = true
				errs = append(errs, fmt.Errorf("%s: %w", c.Addr, err))
				mu.Unlock()
			}
			hook.PostApply(c, err)
			if err != nil {
				return
			}
			// The change's dependents go on while its deferred checks
			// run, outside the parallelism bound: they mostly wait.
			for _, check := range later.take() {
				checks.Add(1)
				go func() {
					defer checks.Done()
					if err := check(cctx); err != nil {
						mu.Lock()
						stop = true
						errs = append(errs, fmt.Errorf("%s: %w", c.Addr, err))
						mu.Unlock()
					}
				}()
			}
		}()
	}
	wg.Wait()
	checks.Wait()
	if err := ctx.Err(); err != nil && len(errs) == 0 {
		return err
	}
	return errors.Join(errs...)
}

func applyOne(ctx context.Context, c Change) error {
	switch c.Action {
	case Create:
		return c.res.Create(ctx, c.obs)
	case Update:
		return c.res.Update(ctx, c.obs, c.Diffs)
	case Delete:
		return c.res.Delete(ctx, c.obs)
	}
	return nil
}

type deferKey struct{}

// deferred holds the checks one change deferred.
type deferred struct {
	mu     sync.Mutex
	checks []func(context.Context) error
}

func (d *deferred) take() []func(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := d.checks
	d.checks = nil
	return c
}

// Defer asks the executor to run check after the running change has
// succeeded, while the changes that wait for it go on: a proof that
// nothing depends on (a new access key's wait until STS accepts it; IAM
// is eventually consistent) leaves the critical path. check gets the
// change's context (Report works in it). Apply returns once every check
// has ended, and a check's error is the change's. Defer returns false,
// and keeps nothing, outside an executor's change: the caller then runs
// check itself.
func Defer(ctx context.Context, check func(context.Context) error) bool {
	d, ok := ctx.Value(deferKey{}).(*deferred)
	if !ok {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.checks = append(d.checks, check)
	return true
}
