package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Address names one resource in a plan, as "<kind>.<name>", for example
// "s3_bucket.semaphore-cache" or "iam_user.semaphore".
type Address string

// Addr builds an address from a kind and a name. Kinds hold no dot;
// names may ("token.actions.githubusercontent.com").
func Addr(kind, name string) Address { return Address(kind + "." + name) }

// Kind is the address's kind: what comes before its first dot
// ("iam_user" of "iam_user.semaphore").
func (a Address) Kind() string {
	k, _, _ := strings.Cut(string(a), ".")
	return k
}

// Name is the address's name: what comes after its first dot
// ("semaphore" of "iam_user.semaphore").
func (a Address) Name() string {
	_, n, _ := strings.Cut(string(a), ".")
	return n
}

// Action is what a plan does to one resource (Terraform's plans.Action).
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

// Observation is what Read found. The engine looks only at these generic
// fields; a kind's own view of the object (its state) travels beside
// them, typed, through the kit in kind.go.
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
	// (a bucket that still holds data). For an object with ManagedBy it
	// is added to the reason ManagedBy gives.
	KeepReason string
	// ManagedBy, when set, names in plain words what manages the object
	// besides awsboot: today always a CloudFormation stack made from
	// `awsboot export --format cloudformation`, as
	// `CloudFormation stack "StackSet-x-123"` (a kind sets it when it sees
	// CloudFormationStackTag or AWSCloudFormationStackNameTag, or its
	// parent does). Teardown leaves such an object in place, whoever
	// owns it, and says why; a bootstrap plan only notes it, since what
	// awsboot changes there the stack sees as drift.
	ManagedBy string
	// Notes are shown under the resource in the plan.
	Notes []string

	// state is the kind's typed state, set and read only by Typed.
	state any
}

// Resource is one thing awsboot manages. Read never mutates; Diff is pure.
// Create, Update and Delete receive the observation the plan was made
// from. Delete treats "not found" as success. Kinds implement Kind[S] and
// become Resources through Typed; the engine sees only this interface.
type Resource interface {
	Addr() Address
	DependsOn() []Address
	Read(ctx context.Context) (*Observation, error)
	Diff(obs *Observation) ([]FieldDiff, error)
	Create(ctx context.Context, obs *Observation) error
	Update(ctx context.Context, obs *Observation, diffs []FieldDiff) error
	Delete(ctx context.Context, obs *Observation) error
}

// Describer is implemented by resources that can name themselves in
// plain words for error messages (`S3 bucket "x"`).
type Describer interface{ Describe() string }

// DestroyDescriber is implemented by resources whose deletion is narrower
// or wider than the address suggests (a profile section, not the file; a
// user's keys with the user), so the teardown plan says exactly what goes.
type DestroyDescriber interface {
	DestroyDescription(o *Observation) string
}

// StackTag is the tag key that marks what awsboot created; its value is
// the stack name.
const StackTag = "awsboot:stack"

// CloudFormationStackTag marks an object that a CloudFormation stack
// manages, made from the template `awsboot export --format
// cloudformation` writes: the template puts it, with the value
// ${AWS::StackName}, on every object it creates that takes tags (the
// bucket, the IAM users and roles, the OIDC providers), beside StackTag.
// awsboot then shares the object with the CloudFormation stack: a plan
// shows it converged, and teardown leaves it for CloudFormation to
// delete (Observation.ManagedBy).
const CloudFormationStackTag = "awsboot:cloudformation-stack"

// AWSCloudFormationStackNameTag is the tag CloudFormation itself adds,
// with the stack's name, to the resources of a stack that take tags (an
// S3 bucket among them), beside the stack's own tags ("Resource tag",
// AWS CloudFormation User Guide:
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html).
// awsboot reads it as CloudFormationStackTag. Keys starting with aws:
// are AWS's: nobody else can set or remove them.
const AWSCloudFormationStackNameTag = "aws:cloudformation:stack-name"

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

// Error says what is not owned and how to go on (rename or --adopt).
func (e *NotOwnedError) Error() string {
	if e.Owner != "" {
		return fmt.Sprintf("%s: %s belongs to awsboot stack %q, not %q; awsboot will not take it over", e.Addr, e.What, e.Owner, e.Stack)
	}
	return fmt.Sprintf("%s: %s already exists and was not created by awsboot; "+
		"rename it in the spec, or run again with --adopt to take it over (awsboot then manages and may later delete it)", e.Addr, e.What)
}

// Unwrap lets errors.Is(err, ErrNotOwned) match.
func (e *NotOwnedError) Unwrap() error { return ErrNotOwned }
