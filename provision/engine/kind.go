package engine

import "context"

// Meta is what every resource has besides its behaviour: its address, the
// addresses it depends on, and its name in plain words. Kinds embed it,
// so this code is written once.
type Meta struct {
	// Address is the resource's address in plans.
	Address Address
	// After lists the addresses whose changes must finish first (and, in
	// teardown, which go after it).
	After []Address
	// What names the object in messages (`S3 bucket "x"`); the address
	// when empty.
	What string
}

// Addr implements Resource.
func (m Meta) Addr() Address { return m.Address }

// DependsOn implements Resource.
func (m Meta) DependsOn() []Address { return m.After }

// Describe implements Describer.
func (m Meta) Describe() string {
	if m.What == "" {
		return string(m.Address)
	}
	return m.What
}

// Kind is a resource kind whose observed state has the type S: what Read
// returns beside the generic Observation is handed back, typed, to Diff,
// Create, Update and Delete. Kinds implement Kind and the engine wraps
// them with Typed, so no kind ever asserts a type on its own state.
type Kind[S any] interface {
	Addr() Address
	DependsOn() []Address
	Describe() string
	// Read observes the object and never writes.
	Read(ctx context.Context) (*Observation, S, error)
	// Diff is pure: the fields to change, nil when up to date.
	Diff(o *Observation, s S) ([]FieldDiff, error)
	Create(ctx context.Context, o *Observation, s S) error
	Update(ctx context.Context, o *Observation, s S, diffs []FieldDiff) error
	// Delete treats "not found" as success.
	Delete(ctx context.Context, o *Observation, s S) error
}

// KindDestroyDescriber is the typed form of DestroyDescriber.
type KindDestroyDescriber[S any] interface {
	DestroyDescription(o *Observation, s S) string
}

// Typed makes a Resource of a Kind. The state travels inside the
// Observation; an observation Typed did not make (or one of an absent
// object) hands the kind S's zero value.
func Typed[S any](k Kind[S]) Resource {
	t := &typed[S]{k: k}
	if d, ok := k.(KindDestroyDescriber[S]); ok {
		return &typedDescribed[S]{typed: t, d: d}
	}
	return t
}

type typed[S any] struct{ k Kind[S] }

func stateOf[S any](o *Observation) S {
	s, _ := o.state.(S)
	return s
}

func (t *typed[S]) Addr() Address        { return t.k.Addr() }
func (t *typed[S]) DependsOn() []Address { return t.k.DependsOn() }
func (t *typed[S]) Describe() string     { return t.k.Describe() }

func (t *typed[S]) Read(ctx context.Context) (*Observation, error) {
	o, s, err := t.k.Read(ctx)
	if err != nil {
		return nil, err
	}
	if o == nil {
		o = &Observation{}
	}
	o.state = s
	return o, nil
}

func (t *typed[S]) Diff(o *Observation) ([]FieldDiff, error) { return t.k.Diff(o, stateOf[S](o)) }

func (t *typed[S]) Create(ctx context.Context, o *Observation) error {
	return t.k.Create(ctx, o, stateOf[S](o))
}

func (t *typed[S]) Update(ctx context.Context, o *Observation, d []FieldDiff) error {
	return t.k.Update(ctx, o, stateOf[S](o), d)
}

func (t *typed[S]) Delete(ctx context.Context, o *Observation) error {
	return t.k.Delete(ctx, o, stateOf[S](o))
}

type typedDescribed[S any] struct {
	*typed[S]
	d KindDestroyDescriber[S]
}

func (t *typedDescribed[S]) DestroyDescription(o *Observation) string {
	return t.d.DestroyDescription(o, stateOf[S](o))
}
