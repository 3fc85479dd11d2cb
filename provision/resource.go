package provision

import (
	"context"
	"errors"
	"fmt"
)

// Address names one resource in a plan, as "<kind>.<name>", for example
// "s3_bucket.semaphore-cache" or "iam_user.semaphore".
type Address string

// Addr builds an address from a kind and a name.
func Addr(kind, name string) Address { return Address(kind + "." + name) }

// Action is what a plan does to one resource.
type Action int

// The actions, in the order a plan summary counts them.
const (
	NoOp Action = iota
	Create
	Update
	Delete
)

// Symbol is the one-character marker Terraform users know.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Update:
		return "~"
	case Delete:
		return "-"
	}
	return " "
}

// String is the action's name as used in JSON output.
func (a Action) String() string {
	switch a {
	case Create:
		return "create"
	case Update:
		return "update"
	case Delete:
		return "delete"
	}
	return "no-op"
}

// FieldDiff is one changed field of a resource. Before is empty for a
// field being added, After for one being removed.
type FieldDiff struct {
	Path   string `json:"path"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Sensitive values are never printed: they render as (sensitive value)
	// and Before/After are blanked before a plan leaves the engine.
	Sensitive bool `json:"sensitive,omitempty"`
	// Unknown values are only known once the change is applied.
	Unknown bool `json:"unknown,omitempty"`
}

// Observation is what Read found. Data is the resource's own view of the
// remote (or local) object; the engine looks only at the generic fields.
type Observation struct {
	// Exists is false when the object is absent.
	Exists bool
	// Owner is the value of the awsboot:stack tag (or local ownership
	// marker) on the object, "" when it has none.
	Owner string
	// DerivedOwnership marks objects that carry no tag of their own (an
	// attachment, an access key): Owner is their parent's, and the parent
	// reports a missing tag, so the plan does not report it twice.
	DerivedOwnership bool
	// KeepReason, when set in teardown, is why the object must stay
	// (a bucket that still holds data).
	KeepReason string
	// Notes are shown under the resource in the plan.
	Notes []string
	// Data is resource specific.
	Data any
}

// Resource is one thing awsboot manages. Read never mutates; Diff is pure.
// Create, Update and Delete receive the observation the plan was made
// from. Delete treats "not found" as success.
type Resource interface {
	Addr() Address
	DependsOn() []Address
	Read(ctx context.Context) (*Observation, error)
	Diff(obs *Observation) ([]FieldDiff, error)
	Create(ctx context.Context, obs *Observation) error
	Update(ctx context.Context, obs *Observation, diffs []FieldDiff) error
	Delete(ctx context.Context, obs *Observation) error
}

// StackTag is the tag key that marks what awsboot created; its value is
// the stack name.
const StackTag = "awsboot:stack"

// ErrNotOwned is returned when an object exists but does not carry this
// stack's ownership tag.
var ErrNotOwned = errors.New("not owned by this stack")

// NotOwnedError says which object is not owned and by whom it is.
type NotOwnedError struct {
	Addr  Address
	What  string // human description, e.g. `S3 bucket "semaphore-cache"`
	Owner string // other stack's name, "" when untagged
	Stack string
}

func (e *NotOwnedError) Error() string {
	if e.Owner != "" {
		return fmt.Sprintf("%s: %s belongs to awsboot stack %q, not %q; awsboot will not take it over", e.Addr, e.What, e.Owner, e.Stack)
	}
	return fmt.Sprintf("%s: %s already exists and was not created by awsboot; "+
		"rename it in the spec, or run again with --adopt to take it over (awsboot then manages and may later delete it)", e.Addr, e.What)
}

// Unwrap lets errors.Is(err, ErrNotOwned) match.
func (e *NotOwnedError) Unwrap() error { return ErrNotOwned }

// diffField appends a diff when before and after differ.
func diffField(diffs []FieldDiff, path, before, after string) []FieldDiff {
	if before == after {
		return diffs
	}
	return append(diffs, FieldDiff{Path: path, Before: before, After: after})
}

// createFields lists fields of an object being created as additions.
func createFields(kv ...string) []FieldDiff {
	var out []FieldDiff
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, FieldDiff{Path: kv[i], After: kv[i+1]})
	}
	return out
}

// hasPath reports whether any diff is at path or below it.
func hasPath(diffs []FieldDiff, prefix string) bool {
	for _, d := range diffs {
		if d.Path == prefix || len(d.Path) > len(prefix) && d.Path[:len(prefix)] == prefix && (d.Path[len(prefix)] == '.' || d.Path[len(prefix)] == '[') {
			return true
		}
	}
	return false
}
