package engine

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeResource is an in-memory resource for testing the engine's ordering
// and error handling; it is not a stand-in for AWS (those tests use moto).
type fakeResource struct {
	addr   Address
	deps   []Address
	exists bool
	owner  string
	diffs  []FieldDiff
	fail   error
	log    *opLog
}

type opLog struct {
	mu  sync.Mutex
	ops []string
}

func (l *opLog) add(s string) { l.mu.Lock(); l.ops = append(l.ops, s); l.mu.Unlock() }

func (f *fakeResource) Addr() Address        { return f.addr }
func (f *fakeResource) DependsOn() []Address { return f.deps }
func (f *fakeResource) Read(context.Context) (*Observation, error) {
	return &Observation{Exists: f.exists, Owner: f.owner}, nil
}
func (f *fakeResource) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists && len(f.diffs) == 0 {
		return []FieldDiff{Added("name", string(f.addr))}, nil
	}
	return f.diffs, nil
}
func (f *fakeResource) Create(context.Context, *Observation) error {
	f.log.add("create " + string(f.addr))
	return f.fail
}
func (f *fakeResource) Update(context.Context, *Observation, []FieldDiff) error {
	f.log.add("update " + string(f.addr))
	return f.fail
}
func (f *fakeResource) Delete(context.Context, *Observation) error {
	f.log.add("delete " + string(f.addr))
	return f.fail
}

func TestGraphOrderAndValidation(t *testing.T) {
	log := &opLog{}
	r := func(a string, deps ...string) Resource {
		f := &fakeResource{addr: Address(a), log: log}
		for _, d := range deps {
			f.deps = append(f.deps, Address(d))
		}
		return f
	}
	tests := map[string]struct {
		res     []Resource
		want    []Address
		wantErr string
	}{
		"listing order breaks ties": {
			res:  []Resource{r("b"), r("a"), r("c", "a")},
			want: []Address{"b", "a", "c"},
		},
		"dependencies first": {
			res:  []Resource{r("key", "user", "attach"), r("attach", "user", "policy"), r("user"), r("policy")},
			want: []Address{"user", "policy", "attach", "key"},
		},
		"cycle":          {res: []Resource{r("a", "b"), r("b", "a"), r("c")}, wantErr: "dependency cycle among a, b"},
		"unknown dep":    {res: []Resource{r("a", "zz")}, wantErr: "a depends on unknown zz"},
		"duplicate addr": {res: []Resource{r("a"), r("a")}, wantErr: "duplicate resource a"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			g, err := NewGraph(tc.res...)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []Address
			for _, res := range g.Resources() {
				got = append(got, res.Addr())
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanAndApplyOrder(t *testing.T) {
	log := &opLog{}
	user := &fakeResource{addr: "user", log: log}
	policy := &fakeResource{addr: "policy", log: log, exists: true, owner: "s", diffs: []FieldDiff{{Path: "document", Before: "a", After: "b"}}}
	attach := &fakeResource{addr: "attach", deps: []Address{"user", "policy"}, log: log}
	same := &fakeResource{addr: "same", exists: true, owner: "s", log: log}
	g, err := NewGraph(user, policy, attach, same)
	if err != nil {
		t.Fatal(err)
	}
	p, err := MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if a, c, d := p.Counts(); a != 2 || c != 1 || d != 0 {
		t.Fatalf("counts %d/%d/%d", a, c, d)
	}
	if err := (Executor{Parallelism: 1}).Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"create user", "update policy", "create attach"}, log.ops); diff != "" {
		t.Errorf("apply order (-want +got):\n%s", diff)
	}

	// Teardown walks the same graph backwards and skips what is not owned.
	log.ops = nil
	user.exists, user.owner = true, "s"
	attach.exists, attach.owner = true, "s"
	same.owner = "someone-else"
	p, err = MakePlan(context.Background(), g, ModeDestroy, "s", PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := (Executor{Parallelism: 1}).Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"delete attach", "delete policy", "delete user"}, log.ops); diff != "" && !cmp.Equal([]string{"delete attach", "delete user", "delete policy"}, log.ops) {
		t.Errorf("destroy order (-want +got):\n%s", diff)
	}
	if log.ops[0] != "delete attach" {
		t.Errorf("the attachment must go first, got %v", log.ops)
	}
}

func TestNotOwnedStopsThePlan(t *testing.T) {
	log := &opLog{}
	g, _ := NewGraph(
		&fakeResource{addr: "bucket", exists: true, log: log},
		&fakeResource{addr: "user", exists: true, owner: "other", log: log},
	)
	_, err := MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{})
	var no *NotOwnedError
	if !errors.As(err, &no) || !errors.Is(err, ErrNotOwned) {
		t.Fatalf("err = %v", err)
	}
	// Both problems are reported at once.
	if !strings.Contains(err.Error(), "bucket: bucket already exists") || !strings.Contains(err.Error(), `belongs to awsboot stack "other"`) {
		t.Errorf("err = %v", err)
	}
	// --adopt takes over the untagged one, never the other stack's.
	_, err = MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{Adopt: true})
	if err == nil || strings.Contains(err.Error(), "bucket:") || !strings.Contains(err.Error(), `"other"`) {
		t.Errorf("with adopt: err = %v", err)
	}
}

func TestApplyStopsAfterFailure(t *testing.T) {
	log := &opLog{}
	boom := errors.New("boom")
	g, _ := NewGraph(
		&fakeResource{addr: "a", log: log, fail: boom},
		&fakeResource{addr: "b", deps: []Address{"a"}, log: log},
		&fakeResource{addr: "c", log: log},
	)
	p, err := MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = (Executor{Parallelism: 4}).Apply(context.Background(), p)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	for _, op := range log.ops {
		if op == "create b" {
			t.Error("b ran although a, which it depends on, failed")
		}
	}
}

type reportingHook struct {
	NopHook
	mu    sync.Mutex
	lines []string
}

func (h *reportingHook) Progress(a Address, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, string(a)+": "+msg)
}

// reportingResource reports one line while it is created.
type reportingResource struct{ fakeResource }

func (r *reportingResource) Create(ctx context.Context, _ *Observation) error {
	Report(ctx, "waiting for %s", "the key")
	return nil
}

// TestReportReachesTheHook: a change's Report reaches a ProgressHook with
// the change's address; outside an executor it does nothing.
func TestReportReachesTheHook(t *testing.T) {
	Report(context.Background(), "nobody hears %d", 1)
	h := &reportingHook{}
	g, err := NewGraph(&reportingResource{fakeResource{addr: "kind.a", log: &opLog{}}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := (Executor{Hook: h}).Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if len(h.lines) != 1 || h.lines[0] != "kind.a: waiting for the key" {
		t.Errorf("lines = %q", h.lines)
	}
}
