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
			err := applyOne(cctx, c)
			if err != nil {
				// Stop new work before anyone hears of the failure.
				mu.Lock()
				failed[c.Addr] = true
				stop = true
				errs = append(errs, fmt.Errorf("%s: %w", c.Addr, err))
				mu.Unlock()
			}
			hook.PostApply(c, err)
		}()
	}
	wg.Wait()
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
