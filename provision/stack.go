package provision

import (
	"context"
	"path/filepath"
	"slices"
	"time"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// LoadSpec reads, strictly decodes, defaults and validates a spec file,
// with the consumer registry's write keys and checks (spec.Load with
// consumers.SpecRules). Every problem comes at once, as spec.SpecErrors
// matching spec.ErrInvalidSpec, before any AWS call.
func LoadSpec(path string) (*spec.Spec, error) { return spec.Load(path, consumers.SpecRules()) }

// ParseSpec is LoadSpec on bytes already read.
func ParseSpec(path string, data []byte) (*spec.Spec, error) {
	return spec.Parse(path, data, consumers.SpecRules())
}

// Stack is a spec's resource graph for one account: Load → Build → Connect
// → Plan → Apply. It is made by Build without any network call.
type Stack struct {
	Spec    *spec.Spec
	Account awsapi.Account
	Graph   *engine.Graph
	// Grants are the access entries' policy documents by entry name, and
	// BucketPolicy the bucket policy (no statement when none is wanted):
	// what explain reads, exactly what the resources write.
	Grants       map[string]policies.Document
	BucketPolicy policies.Document

	kinds []awskinds.Connector
	gate  *localfile.Gate
	files consumers.AWSFiles
}

// Offline builds the stack of a spec for the account it implies (region,
// endpoint and partition from the spec; account ID unknown), to validate
// and explain it without AWS.
func Offline(s *spec.Spec, o BuildOptions) (*Stack, error) {
	return Build(s, awsapi.Offline(s.Region, s.Endpoint, s.IAMEndpoint, s.PathStyle), o)
}

// Kinds are the stack's AWS kinds in listing order (the graph's
// resources are their engine.Typed wrappers): what an exporter needs to
// write the same objects another way (awsboot export). The slice is a
// copy.
func (st *Stack) Kinds() []awskinds.Connector { return slices.Clone(st.kinds) }

// Connect hands every AWS kind its clients (crossplane's Connect, apart
// from Observe).
func (st *Stack) Connect(c *awsapi.Clients) {
	for _, k := range st.kinds {
		k.Connect(c)
	}
}

// Plan reads every resource and makes the plan. The user's files are
// read-only meanwhile: a Read that tried to write would fail with
// localfile.ErrReadOnly.
//
// A plan that would say "No changes" first proves it for the tools too:
// every written profile must resolve, through the AWS SDK, to what awsboot
// reads (CheckProfiles); otherwise the plan fails and says why.
func (st *Stack) Plan(ctx context.Context, mode engine.Mode, o engine.PlanOptions) (*engine.Plan, error) {
	st.gate.Close()
	p, err := engine.MakePlan(ctx, st.Graph, mode, st.Spec.Stack, o)
	if err != nil || mode != engine.ModeApply || p.HasChanges() {
		return p, err
	}
	if err := st.CheckProfiles(ctx, st.files); err != nil {
		return nil, err
	}
	return p, nil
}

// Apply executes a plan of this stack, with the user's files writable.
// After a bootstrap every written profile is loaded through the AWS SDK
// and must resolve to what awsboot meant (CheckProfiles).
func (st *Stack) Apply(ctx context.Context, p *engine.Plan, ex engine.Executor) error {
	st.gate.Open()
	err := ex.Apply(ctx, p)
	st.gate.Close()
	if err != nil || p.Mode != engine.ModeApply {
		return err
	}
	return st.CheckProfiles(ctx, st.files)
}

// Tidy removes the debris of killed writes (temporary files, which may
// hold a secret) beside every user file the plan read; bootstrap and
// teardown call it after planning, whether or not the plan has changes
// (localfile.Gate.Tidy).
func (st *Stack) Tidy() error { return st.gate.Tidy() }

// LockStack takes the stack's lock, shared by every awsboot process of
// the user (localfile.LockFile on LockDir/stack-<name>.lock), so that two
// bootstraps or teardowns of one stack never plan the same creates at
// once: the second waits up to timeout (calling waiting once when it has
// to) and then fails with an error matching localfile.ErrLocked. A killed
// run's lock goes with its process.
func LockStack(stack string, timeout time.Duration, waiting func()) (func(), error) {
	return localfile.LockFile(filepath.Join(localfile.LockDir(), "stack-"+stack+".lock"), timeout, waiting)
}
