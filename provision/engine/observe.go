package engine

import "context"

// KV is one setting of an existing object as `awsboot show` prints it:
// a snake_case key (dotted below a member, as plan paths are:
// "access_key.AKIA….status") and its value.
type KV struct {
	Key   string
	Value string
}

// KindSummarizer is implemented by kinds that can list an existing
// object's key settings (its ARN, region, attached policy, a key's age)
// from the state their Read returned. Summary is called only for an
// object that exists, must make no request, and must never return a
// secret: its values are printed as they are.
type KindSummarizer[S any] interface {
	Summary(o *Observation, s S) []KV
}

// Summarizer is the untyped form of KindSummarizer. Every resource Typed
// makes implements it, answering nil for a kind without the hook.
type Summarizer interface {
	Summary(o *Observation) []KV
}

// Summary implements Summarizer.
func (t *typed[S]) Summary(o *Observation) []KV {
	if k, ok := t.k.(KindSummarizer[S]); ok && o != nil && o.Exists {
		return k.Summary(o, stateOf[S](o))
	}
	return nil
}

// Observed is one resource as Observe found it.
type Observed struct {
	Addr Address
	// What names the object in plain words (Describer), or is the
	// address.
	What string
	Obs  *Observation
	// Summary is the object's key settings (Summarizer), nil when it
	// does not exist or its kind has no summary.
	Summary []KV
	// Unwanted marks an absent object that nothing asks for: its Diff is
	// empty, as for a bucket policy when the spec grants nothing
	// through one. A plan makes it a no-op; it is not "to be created".
	Unwanted bool
}

// Observe reads every resource of g, as MakePlan does for an apply
// (concurrently, at most opts.Parallelism at once, never writing; reads
// see PlanMode ModeApply), and returns what each found, in the graph's
// order. Unlike MakePlan it judges nothing: an object without the stack's
// tag, or another stack's, is reported as found rather than refused, and
// no Diff runs. `awsboot show` is built on it.
func Observe(ctx context.Context, g *Graph, opts PlanOptions) ([]Observed, error) {
	resources := g.Resources()
	obs, err := readAll(ctx, resources, ModeApply, opts)
	if err != nil {
		return nil, err
	}
	out := make([]Observed, len(resources))
	for i, r := range resources {
		out[i] = Observed{Addr: r.Addr(), What: describe(r), Obs: obs[i]}
		if s, ok := r.(Summarizer); ok {
			out[i].Summary = s.Summary(obs[i])
		}
		if !obs[i].Exists {
			// Diff is pure: asking it costs no request.
			d, err := r.Diff(obs[i])
			out[i].Unwanted = err == nil && len(d) == 0
		}
	}
	return out, nil
}
