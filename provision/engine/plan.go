package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// Mode is what a plan is for. It changes how the graph is read into
// changes and in which direction the executor walks it.
type Mode int

// The modes.
const (
	ModeApply Mode = iota
	ModeDestroy
)

// String is the mode's name in JSON output ("apply", "destroy").
func (m Mode) String() string {
	if m == ModeDestroy {
		return "destroy"
	}
	return "apply"
}

// Change is what the plan will do to one resource.
type Change struct {
	Addr   Address     `json:"address"`
	Action Action      `json:"-"`
	Diffs  []FieldDiff `json:"diffs,omitempty"`
	// Reason explains a change that is not obvious (a kept bucket, an
	// adopted object).
	Reason string   `json:"reason,omitempty"`
	Notes  []string `json:"notes,omitempty"`
	// ManagedBy is the observation's ManagedBy: what manages the object
	// besides awsboot (a CloudFormation stack), "" for none. In teardown
	// it is set only on the no-ops it causes: what is left in place for
	// that manager to delete.
	ManagedBy string `json:"managed_by,omitempty"`

	res Resource
	obs *Observation
}

// Plan is the ordered list of changes for one run. Changes are in the
// order the executor may start them: dependency order for apply, reverse
// for destroy.
type Plan struct {
	Mode    Mode
	Stack   string
	Changes []Change

	// waitFor maps each address to the addresses whose changes must finish
	// first.
	waitFor map[Address][]Address
}

// Counts returns how many resources will be added, changed and destroyed.
func (p *Plan) Counts() (add, change, destroy int) {
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			add++
		case Update:
			change++
		case Delete:
			destroy++
		}
	}
	return
}

// HasChanges reports whether applying the plan would change anything.
func (p *Plan) HasChanges() bool {
	a, c, d := p.Counts()
	return a+c+d > 0
}

// PlanOptions steer planning.
type PlanOptions struct {
	// Adopt lets an apply take over objects without the stack tag.
	Adopt bool
	// Parallelism bounds concurrent reads; <1 means 1.
	Parallelism int
	// Read, when set, is called after each resource's read with how many
	// of the total have been read; it may be called from several
	// goroutines at once.
	Read func(read, total int)
}

// MakePlan reads every resource (concurrently, never writing) and turns
// what it found into changes. It reports every problem it finds, not just
// the first, so a user fixes them in one go.
func MakePlan(ctx context.Context, g *Graph, mode Mode, stack string, opts PlanOptions) (*Plan, error) {
	resources := g.Resources()
	obs, err := readAll(ctx, resources, mode, opts)
	if err != nil {
		return nil, err
	}

	p := &Plan{Mode: mode, Stack: stack, waitFor: map[Address][]Address{}}
	var problems []error
	for i, r := range resources {
		c, err := changeFor(r, obs[i], mode, stack, opts.Adopt)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		p.Changes = append(p.Changes, c)
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	if mode == ModeApply {
		follow(p.Changes)
	}
	if mode == ModeDestroy {
		keepManagersNeeds(p.Changes)
		for i, j := 0, len(p.Changes)-1; i < j; i, j = i+1, j-1 {
			p.Changes[i], p.Changes[j] = p.Changes[j], p.Changes[i]
		}
		for a, deps := range g.dependents() {
			p.waitFor[a] = deps
		}
	} else {
		for _, r := range resources {
			p.waitFor[r.Addr()] = r.DependsOn()
		}
	}
	return p, nil
}

// readAll reads every resource, at most opts.Parallelism at once, with
// one read cache and mode visible to the reads (PlanMode), and reports
// every failed read.
func readAll(ctx context.Context, resources []Resource, mode Mode, opts PlanOptions) ([]*Observation, error) {
	ctx = context.WithValue(WithReadCache(ctx), modeKey{}, mode)
	obs := make([]*Observation, len(resources))
	errs := make([]error, len(resources))
	var read atomic.Int64
	forEachBounded(len(resources), opts.Parallelism, func(i int, s *slot) {
		o, err := resources[i].Read(context.WithValue(ctx, slotKey{}, s))
		if opts.Read != nil {
			opts.Read(int(read.Add(1)), len(resources))
		}
		if err != nil {
			errs[i] = fmt.Errorf("%s: reading: %w", resources[i].Addr(), err)
			return
		}
		obs[i] = o
	})
	return obs, errors.Join(errs...)
}

func changeFor(r Resource, o *Observation, mode Mode, stack string, adopt bool) (Change, error) {
	c := Change{Addr: r.Addr(), res: r, obs: o}
	if mode == ModeDestroy {
		switch {
		case !o.Exists:
			c.Action = NoOp
		case o.ManagedBy != "":
			// Its manager deletes it, whichever stack's it is: a
			// delete here would leave that manager's stack broken.
			c.Action, c.ManagedBy = NoOp, o.ManagedBy
			c.Reason = ManagedReason(o.ManagedBy)
			if o.KeepReason != "" {
				c.Reason += "; " + o.KeepReason
			}
		case o.Owner != stack:
			c.Action = NoOp
			switch {
			case o.DerivedOwnership:
				// The parent (user, role) already says it is left alone.
			case o.Owner == "":
				c.Reason = "exists but was not created by awsboot: left in place"
			default:
				c.Reason = fmt.Sprintf("belongs to stack %q: left in place", o.Owner)
			}
		case o.KeepReason != "":
			c.Action = NoOp
			c.Reason = o.KeepReason
		default:
			c.Action = Delete
			if d, ok := r.(DestroyDescriber); ok {
				c.Reason = d.DestroyDescription(o)
			}
		}
		return c, nil
	}

	if o.Exists && o.Owner != stack && !o.DerivedOwnership {
		if o.Owner != "" || !adopt {
			return c, &NotOwnedError{Addr: r.Addr(), What: describe(r), Owner: o.Owner, Stack: stack}
		}
		c.Reason = "adopted: awsboot takes over this existing object (--adopt)"
	}
	diffs, err := r.Diff(o)
	if err != nil {
		return c, fmt.Errorf("%s: %w", r.Addr(), err)
	}
	c.Diffs = diffs
	c.Notes = o.Notes
	if o.ManagedBy != "" {
		c.ManagedBy = o.ManagedBy
		c.Notes = append(slices.Clone(o.Notes), ManagedNote(o.ManagedBy))
	}
	switch {
	case !o.Exists && len(diffs) == 0:
		c.Action = NoOp // nothing wanted, nothing there
	case !o.Exists:
		c.Action = Create
	case len(diffs) > 0:
		c.Action = Update
	default:
		c.Action = NoOp
	}
	return c, nil
}

// keepManagersNeeds keeps, in a teardown plan, what an object left in
// place for its manager depends on (transitively): a role a CloudFormation
// stack manages still trusts the OIDC provider awsboot made, so deleting
// the provider would break the stack's role (IAM keeps it while a role
// names it, and teardown would report it deleted on every run).
func keepManagersNeeds(changes []Change) {
	byAddr := make(map[Address]*Change, len(changes))
	for i := range changes {
		byAddr[changes[i].Addr] = &changes[i]
	}
	var keep func(c *Change, by string, why Address)
	keep = func(c *Change, by string, why Address) {
		for _, d := range c.res.DependsOn() {
			dc := byAddr[d]
			if dc == nil || dc.Action != Delete {
				continue
			}
			dc.Action, dc.ManagedBy = NoOp, by
			dc.Reason = fmt.Sprintf("%s, left in place for %s, depends on it: left in place too", why, by)
			keep(dc, by, why)
		}
	}
	for i := range changes {
		if c := &changes[i]; c.ManagedBy != "" && c.Action == NoOp && c.res != nil {
			keep(c, c.ManagedBy, c.Addr)
		}
	}
}

// ManagedReason is why teardown leaves an object that by manages
// (Observation.ManagedBy) in place.
func ManagedReason(by string) string {
	return fmt.Sprintf("managed by %s: left in place; delete it with CloudFormation (the stack, or its StackSet instance)", by)
}

// ManagedNote is the note a bootstrap plan gives an object that by
// manages (Observation.ManagedBy): awsboot still repairs it, and the
// repair is drift to its manager.
func ManagedNote(by string) string {
	return fmt.Sprintf("managed by %s: a change awsboot makes here is drift from the stack's template", by)
}

func describe(r Resource) string {
	if d, ok := r.(Describer); ok {
		return d.Describe()
	}
	return string(r.Addr())
}

// forEachBounded runs fn(0..n-1) with at most limit running at once;
// fn gets its slot, which a Cached wait gives up while it waits.
func forEachBounded(n, limit int, fn func(i int, s *slot)) {
	if limit < 1 {
		limit = 1
	}
	s := &slot{sem: make(chan struct{}, limit)}
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		s.acquire()
		go func(i int) {
			defer func() { s.release(); wg.Done() }()
			fn(i, s)
		}(i)
	}
	wg.Wait()
}

type modeKey struct{}

// PlanMode is the mode of the plan a Read is part of; ok is false outside
// MakePlan. A read whose answer matters to one mode only (whether a
// bucket holds data matters to teardown) can skip its request in the
// other.
func PlanMode(ctx context.Context) (m Mode, ok bool) {
	m, ok = ctx.Value(modeKey{}).(Mode)
	return m, ok
}
