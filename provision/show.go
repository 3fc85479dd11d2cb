package provision

import (
	"context"
	"slices"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// ShowStatus is what `awsboot show` found of one object.
type ShowStatus string

// The statuses, from the object's observation and the stack's name.
const (
	// Owned: the object exists and carries this stack's mark (tag,
	// marker or Sid), or its parent does.
	Owned ShowStatus = "owned"
	// Absent: the spec describes it and it does not exist (yet).
	Absent ShowStatus = "absent"
	// NotOwned: it exists without any awsboot mark; bootstrap would
	// refuse it without --adopt.
	NotOwned ShowStatus = "not_owned"
	// OtherStack: it exists and is another stack's (Shown.Owner).
	OtherStack ShowStatus = "other_stack"
)

// Shown is what `awsboot show` prints: a stack's objects as they are now.
type Shown struct {
	Stack     string
	AccountID string
	Region    string
	// Objects are, with a spec, every object of the stack's graph in the
	// graph's order; without one, what carries the stack's tags.
	Objects []ShownObject
	// Notes say what could not be looked at (a bucket in another
	// region).
	Notes []string
	// ByTags is true when the objects were found by the stack's tags
	// (Discover), without a spec.
	ByTags bool
}

// ShownObject is one object of Shown.
type ShownObject struct {
	Addr engine.Address
	// What names the object in plain words.
	What   string
	Status ShowStatus
	// Owner is the stack whose mark it carries (OtherStack).
	Owner string
	// Settings are the kind's Summary: never a secret. An object a
	// CloudFormation stack manages has "managed_by" last
	// (`CloudFormation stack "x"`).
	Settings []engine.KV
}

// Owned are the objects the stack owns, in order.
func (s *Shown) Owned() []ShownObject {
	var out []ShownObject
	for _, o := range s.Objects {
		if o.Status == Owned {
			out = append(out, o)
		}
	}
	return out
}

// Show reads every object of the stack, from AWS and the user's files,
// without judging it (engine.Observe: an object of another stack is
// reported, not refused) and with the files read-only. It is a plan's
// reads without the plan: no Diff, and no mutating call.
func (st *Stack) Show(ctx context.Context, o engine.PlanOptions) (*Shown, error) {
	st.gate.Close()
	obs, err := engine.Observe(ctx, st.Graph, o)
	if err != nil {
		return nil, err
	}
	return shown(st.Spec.Stack, st.Account, obs, false), nil
}

// shown turns observations into a Shown; onlyOwned drops the objects
// the stack does not own (discovery builds resources for what may be
// there: a bucket's policy, a user's keys).
func shown(stack string, acct awsapi.Account, obs []engine.Observed, onlyOwned bool) *Shown {
	s := &Shown{Stack: stack, AccountID: acct.ID, Region: acct.Region}
	for _, o := range obs {
		if o.Unwanted {
			// Nothing there and nothing asked for: not the stack's,
			// not missing either.
			continue
		}
		so := ShownObject{Addr: o.Addr, What: o.What, Settings: o.Summary}
		if o.Obs.ManagedBy != "" {
			// Teardown leaves it to that manager: say so beside its
			// settings (engine.Observation.ManagedBy).
			so.Settings = append(slices.Clip(so.Settings), engine.KV{Key: "managed_by", Value: o.Obs.ManagedBy})
		}
		switch {
		case !o.Obs.Exists:
			so.Status = Absent
		case o.Obs.Owner == stack:
			so.Status = Owned
		case o.Obs.Owner == "":
			so.Status = NotOwned
		default:
			so.Status, so.Owner = OtherStack, o.Obs.Owner
		}
		if onlyOwned && so.Status != Owned {
			continue
		}
		s.Objects = append(s.Objects, so)
	}
	return s
}
