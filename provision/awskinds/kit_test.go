package awskinds

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/engine"
)

// assertRepairCalls diffs an existing object's state st, applies Update
// with exactly those diffs, and compares the calls the kind's fake
// recorded (calls, read after Update) with want: the repair of each drift
// is the calls it needs and no others, in batches the kind may send at
// once.
func assertRepairCalls[S any](t *testing.T, k engine.Kind[S], st S, calls *[]string, want inOrder) {
	t.Helper()
	o := &engine.Observation{Exists: true}
	diffs, err := k.Diff(o, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Update(context.Background(), o, st, diffs); err != nil {
		t.Fatal(err)
	}
	assertCallBatches(t, want, *calls)
}

// fakeClock is a Clock whose time moves only when something sleeps on it:
// a wait of minutes runs in no wall time, and exactly.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

// inOrder is a sequence of call batches: the calls of one batch may come
// in any order (a kind sends them at once), a batch only after the whole
// batch before it.
type inOrder [][]string

// seq is calls that must come one after another.
func seq(calls ...string) inOrder {
	out := make(inOrder, len(calls))
	for i, c := range calls {
		out[i] = []string{c}
	}
	return out
}

// then appends batches.
func (b inOrder) then(more ...[]string) inOrder { return append(slices.Clone(b), more...) }

// assertCallBatches fails unless got is want's calls with each batch's
// calls in any order: each batch's calls are sorted in both before they
// are compared, so the diff shows the batch that differs.
func assertCallBatches(t *testing.T, want inOrder, got []string) {
	t.Helper()
	var norm []string
	rest := slices.Clone(got)
	for _, batch := range want {
		n := min(len(batch), len(rest))
		part := slices.Clone(rest[:n])
		slices.Sort(part)
		norm = append(norm, part...)
		rest = rest[n:]
	}
	norm = append(norm, rest...)
	var wantNorm []string
	for _, batch := range want {
		part := slices.Clone(batch)
		slices.Sort(part)
		wantNorm = append(wantNorm, part...)
	}
	if d := cmp.Diff(wantNorm, norm); d != "" {
		t.Errorf("calls (-want +got, each batch sorted):\n%s", d)
	}
}
