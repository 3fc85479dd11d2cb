package engine

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// scripted is a resource whose Create runs a test's function; like
// fakeResource it tests the executor, not AWS.
type scripted struct {
	fakeResource
	create func(ctx context.Context) error
}

func (s *scripted) Create(ctx context.Context, _ *Observation) error { return s.create(ctx) }

// events records when changes start and end, in one global order.
type events struct {
	mu      sync.Mutex
	seq     int
	start   map[Address]int
	end     map[Address]int
	running int
	peak    int
}

func (e *events) begin(a Address) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	e.start[a] = e.seq
	e.running++
	e.peak = max(e.peak, e.running)
}

func (e *events) finish(a Address) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seq++
	e.end[a] = e.seq
	e.running--
}

// TestOrderUnderParallelism: in a random graph of 300 resources applied
// 10 at a time, every change starts after each change it depends on has
// ended, and no more than 10 run at once. Seeded, so a failure repeats.
func TestOrderUnderParallelism(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewSource(seed))
			ev := &events{start: map[Address]int{}, end: map[Address]int{}}
			var res []Resource
			for i := 0; i < 300; i++ {
				a := Address(fmt.Sprintf("kind.r%03d", i))
				var deps []Address
				for j := 0; j < i && len(deps) < 3; j++ {
					if rng.Intn(40) == 0 {
						deps = append(deps, Address(fmt.Sprintf("kind.r%03d", rng.Intn(i))))
					}
				}
				yields := rng.Intn(5)
				res = append(res, &scripted{fakeResource: fakeResource{addr: a, deps: dedupe(deps), log: &opLog{}}, create: func(context.Context) error {
					ev.begin(a)
					for k := 0; k < yields; k++ {
						runtime.Gosched()
					}
					ev.finish(a)
					return nil
				}})
			}
			g, err := NewGraph(res...)
			if err != nil {
				t.Fatal(err)
			}
			p, err := MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{Parallelism: 10})
			if err != nil {
				t.Fatal(err)
			}
			if err := (Executor{Parallelism: 10}).Apply(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			for _, r := range res {
				if _, ok := ev.end[r.Addr()]; !ok {
					t.Fatalf("%s never ran", r.Addr())
				}
				for _, d := range r.DependsOn() {
					if ev.start[r.Addr()] < ev.end[d] {
						t.Errorf("%s started before %s, which it depends on, ended", r.Addr(), d)
					}
				}
			}
			if ev.peak > 10 {
				t.Errorf("%d changes ran at once, parallelism is 10", ev.peak)
			}
		})
	}
}

func dedupe(a []Address) []Address {
	seen := map[Address]bool{}
	var out []Address
	for _, x := range a {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// failHook closes a channel once it has heard of both failures.
type failHook struct {
	NopHook
	mu     sync.Mutex
	failed int
	both   chan struct{}
}

func (h *failHook) PostApply(_ Change, err error) {
	if err == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failed++; h.failed == 2 {
		close(h.both)
	}
}

// TestFailureStopsNewWorkAndReportsEvery: two changes fail while running
// at once; both errors are returned, a change that becomes ready after the
// failures does not start, and neither do the failures' dependents.
func TestFailureStopsNewWorkAndReportsEvery(t *testing.T) {
	errA, errB := errors.New("quota exceeded"), errors.New("access denied")
	hook := &failHook{both: make(chan struct{})}
	var (
		mu      sync.Mutex
		started []string
	)
	ran := func(a string) { mu.Lock(); started = append(started, a); mu.Unlock() }
	barrier := make(chan struct{}, 2)
	failing := func(name string, err error) *scripted {
		return &scripted{fakeResource: fakeResource{addr: Address(name), log: &opLog{}}, create: func(context.Context) error {
			ran(name)
			// Both run at once: each waits for the other to start.
			barrier <- struct{}{}
			for len(barrier) < 2 {
				runtime.Gosched()
			}
			return err
		}}
	}
	ok := func(name string, deps []Address, wait <-chan struct{}) *scripted {
		return &scripted{fakeResource: fakeResource{addr: Address(name), deps: deps, log: &opLog{}}, create: func(context.Context) error {
			ran(name)
			if wait != nil {
				<-wait
			}
			return nil
		}}
	}
	g, err := NewGraph(
		failing("a", errA),
		failing("b", errB),
		ok("a-dependent", []Address{"a"}, nil),
		// slow ends only once both failures were reported; what waits for
		// it becomes ready after them and must not start.
		ok("slow", nil, hook.both),
		ok("after-slow", []Address{"slow"}, nil),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = (Executor{Parallelism: 3, Hook: hook}).Apply(context.Background(), p)
	if !errors.Is(err, errA) || !errors.Is(err, errB) {
		t.Fatalf("err = %v, want both failures", err)
	}
	if !strings.Contains(err.Error(), "a: quota exceeded") || !strings.Contains(err.Error(), "b: access denied") {
		t.Errorf("err = %v: each failure should name its resource", err)
	}
	for _, s := range started {
		if s == "a-dependent" || s == "after-slow" {
			t.Errorf("%s started after a failure", s)
		}
	}
}

// TestDeferredCheckOffTheCriticalPath: a change's deferred check runs
// while its dependent goes on; Apply waits for the check and returns its
// error under the change's address.
func TestDeferredCheckOffTheCriticalPath(t *testing.T) {
	release := make(chan struct{})
	dependentRan := make(chan struct{})
	boom := errors.New("key refused")
	key := &scripted{fakeResource: fakeResource{addr: "key", log: &opLog{}}, create: func(ctx context.Context) error {
		if !Defer(ctx, func(context.Context) error {
			<-release // ends only once the dependent has run
			return boom
		}) {
			t.Error("Defer refused inside an executor")
		}
		return nil
	}}
	file := &scripted{fakeResource: fakeResource{addr: "file", deps: []Address{"key"}, log: &opLog{}}, create: func(context.Context) error {
		close(dependentRan)
		close(release)
		return nil
	}}
	g, err := NewGraph(key, file)
	if err != nil {
		t.Fatal(err)
	}
	p, err := MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = (Executor{Parallelism: 1}).Apply(context.Background(), p)
	if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "key: ") {
		t.Errorf("err = %v, want the deferred check's error under key", err)
	}
	select {
	case <-dependentRan:
	default:
		t.Error("the dependent did not run")
	}
	if Defer(context.Background(), func(context.Context) error { return nil }) {
		t.Error("Defer accepted a check outside an executor")
	}
}

// modeReader records the plan mode its Read sees.
type modeReader struct {
	fakeResource
	seen *[]string
}

func (m *modeReader) Read(ctx context.Context) (*Observation, error) {
	mode, ok := PlanMode(ctx)
	*m.seen = append(*m.seen, fmt.Sprint(mode, ok))
	return &Observation{}, nil
}

// TestPlanModeReachesReads: a Read learns which plan it is part of.
func TestPlanModeReachesReads(t *testing.T) {
	var seen []string
	g, err := NewGraph(&modeReader{fakeResource: fakeResource{addr: "a", log: &opLog{}}, seen: &seen})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []Mode{ModeApply, ModeDestroy} {
		if _, err := MakePlan(context.Background(), g, m, "s", PlanOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := PlanMode(context.Background()); ok {
		t.Error("a mode outside a plan")
	}
	if want := []string{"apply true", "destroy true"}; !slices.Equal(seen, want) {
		t.Errorf("reads saw %v, want %v", seen, want)
	}
}

// cachedReader reads one shared key through Cached, running before first.
type cachedReader struct {
	fakeResource
	key    string
	before func()
}

func (c *cachedReader) Read(ctx context.Context) (*Observation, error) {
	_, err := Cached(ctx, c.key, func() (int, error) {
		c.before()
		return 1, nil
	})
	return &Observation{}, err
}

// TestCacheWaitGivesUpItsSlot: two resources read one key while a third
// needs a slot. The second reader waits for the first without holding
// its slot, so the third runs; holding it, the plan would deadlock (the
// first read here waits for the third).
func TestCacheWaitGivesUpItsSlot(t *testing.T) {
	thirdRan := make(chan struct{})
	wait := func() {
		select {
		case <-thirdRan:
		case <-time.After(time.Minute):
			t.Error("the third read never got a slot")
		}
	}
	g, err := NewGraph(
		&cachedReader{fakeResource: fakeResource{addr: "a", log: &opLog{}}, key: "user", before: wait},
		&cachedReader{fakeResource: fakeResource{addr: "b", log: &opLog{}}, key: "user", before: wait},
		&cachedReader{fakeResource: fakeResource{addr: "c", log: &opLog{}}, key: "other", before: func() { close(thirdRan) }},
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{Parallelism: 2}); err != nil {
		t.Fatal(err)
	}
}
