package engine

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// observedResource is a fakeResource whose Read answers a given
// observation (a copy, so a plan cannot change the test's).
type observedResource struct {
	fakeResource
	obs Observation
}

func (r *observedResource) Read(context.Context) (*Observation, error) {
	o := r.obs
	return &o, nil
}

const cfnManaged = `CloudFormation stack "StackSet-ci-123"`

// TestManagedByInTeardown: an object another tool manages is a no-op in
// teardown with the reason, whoever owns it and whatever its parent
// says; a kept object's own reason is added.
func TestManagedByInTeardown(t *testing.T) {
	reason := `managed by CloudFormation stack "StackSet-ci-123": left in place; delete it with CloudFormation (the stack, or its StackSet instance)`
	tests := map[string]struct {
		obs        Observation
		wantAction Action
		wantReason string
	}{
		"owned":               {obs: Observation{Exists: true, Owner: "s", ManagedBy: cfnManaged}, wantAction: NoOp, wantReason: reason},
		"owned, derived":      {obs: Observation{Exists: true, Owner: "s", DerivedOwnership: true, ManagedBy: cfnManaged}, wantAction: NoOp, wantReason: reason},
		"another stack's":     {obs: Observation{Exists: true, Owner: "other", ManagedBy: cfnManaged}, wantAction: NoOp, wantReason: reason},
		"without a stack tag": {obs: Observation{Exists: true, ManagedBy: cfnManaged}, wantAction: NoOp, wantReason: reason},
		"with a keep reason": {
			obs:        Observation{Exists: true, Owner: "s", ManagedBy: cfnManaged, KeepReason: "--delete-data does not empty it"},
			wantAction: NoOp, wantReason: reason + "; --delete-data does not empty it",
		},
		"absent":         {obs: Observation{ManagedBy: cfnManaged}, wantAction: NoOp},
		"not managed":    {obs: Observation{Exists: true, Owner: "s"}, wantAction: Delete},
		"derived, owned": {obs: Observation{Exists: true, Owner: "s", DerivedOwnership: true}, wantAction: Delete},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := &observedResource{fakeResource: fakeResource{addr: "r", log: &opLog{}}, obs: tc.obs}
			g, err := NewGraph(r)
			if err != nil {
				t.Fatal(err)
			}
			p, err := MakePlan(context.Background(), g, ModeDestroy, "s", PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c := p.Changes[0]
			if c.Action != tc.wantAction || c.Reason != tc.wantReason {
				t.Errorf("change = %v %q, want %v %q", c.Action, c.Reason, tc.wantAction, tc.wantReason)
			}
			if want := map[bool]string{true: cfnManaged}[tc.wantReason != ""]; c.ManagedBy != want {
				t.Errorf("ManagedBy = %q, want %q (set only on what is left for CloudFormation)", c.ManagedBy, want)
			}
			if err := (Executor{}).Apply(context.Background(), p); err != nil {
				t.Fatal(err)
			}
			if tc.wantAction == NoOp && len(r.log.ops) != 0 {
				t.Errorf("applying the teardown ran %v", r.log.ops)
			}
		})
	}
}

// TestManagedByInApply: a bootstrap plan changes nothing about the action
// of a managed object, and only adds a note, without touching the
// observation's notes.
func TestManagedByInApply(t *testing.T) {
	note := `managed by CloudFormation stack "StackSet-ci-123": a change awsboot makes here is drift from the stack's template`
	// Room behind the note: an append to the observation's notes would
	// write there.
	own := make([]string, 1, 4)
	own[0] = "its own note"
	tests := map[string]struct {
		res        *observedResource
		wantAction Action
		wantNotes  []string
	}{
		"converged": {
			res:        &observedResource{obs: Observation{Exists: true, Owner: "s", ManagedBy: cfnManaged, Notes: own}},
			wantAction: NoOp, wantNotes: []string{"its own note", note},
		},
		"drifted": {
			res:        &observedResource{fakeResource: fakeResource{diffs: []FieldDiff{{Path: "x", Before: "a", After: "b"}}}, obs: Observation{Exists: true, Owner: "s", ManagedBy: cfnManaged}},
			wantAction: Update, wantNotes: []string{note},
		},
		"not managed": {res: &observedResource{obs: Observation{Exists: true, Owner: "s"}}, wantAction: NoOp},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.res.addr, tc.res.log = "r", &opLog{}
			g, err := NewGraph(tc.res)
			if err != nil {
				t.Fatal(err)
			}
			p, err := MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			c := p.Changes[0]
			if c.Action != tc.wantAction || c.Reason != "" {
				t.Errorf("change = %v %q, want %v and no reason", c.Action, c.Reason, tc.wantAction)
			}
			if c.ManagedBy != tc.res.obs.ManagedBy {
				t.Errorf("ManagedBy = %q, want %q", c.ManagedBy, tc.res.obs.ManagedBy)
			}
			if d := cmp.Diff(tc.wantNotes, c.Notes); d != "" {
				t.Errorf("notes (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]string{"its own note", ""}, own[:2]); d != "" {
				t.Errorf("the observation's notes were appended to (-want +got):\n%s", d)
			}
		})
	}
}

// TestManagedKeepsWhatItNeeds: in teardown, what an object left for its
// manager depends on, transitively, is left too (a role the stack
// manages keeps the provider awsboot made), and says why; what depends
// on the kept object, and what nothing kept needs, is deleted.
func TestManagedKeepsWhatItNeeds(t *testing.T) {
	log := &opLog{}
	provider := &observedResource{fakeResource: fakeResource{addr: "iam_oidc_provider.p", log: log}, obs: Observation{Exists: true, Owner: "s"}}
	cert := &observedResource{fakeResource: fakeResource{addr: "x.under_provider", log: log}, obs: Observation{Exists: true, Owner: "s"}}
	provider.deps = []Address{"x.under_provider"}
	role := &observedResource{fakeResource: fakeResource{addr: "iam_role.r", log: log, deps: []Address{"iam_oidc_provider.p"}},
		obs: Observation{Exists: true, Owner: "s", ManagedBy: cfnManaged}}
	key := &observedResource{fakeResource: fakeResource{addr: "iam_access_key.k", log: log, deps: []Address{"iam_role.r"}}, obs: Observation{Exists: true, Owner: "s"}}
	other := &observedResource{fakeResource: fakeResource{addr: "s3_bucket.b", log: log}, obs: Observation{Exists: true, Owner: "s"}}
	g, err := NewGraph(cert, provider, role, key, other)
	if err != nil {
		t.Fatal(err)
	}
	p, err := MakePlan(context.Background(), g, ModeDestroy, "s", PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[Address]Action{"iam_oidc_provider.p": NoOp, "x.under_provider": NoOp, "iam_role.r": NoOp, "iam_access_key.k": Delete, "s3_bucket.b": Delete}
	for _, c := range p.Changes {
		if c.Action != want[c.Addr] {
			t.Errorf("%s: %v, want %v (%s)", c.Addr, c.Action, want[c.Addr], c.Reason)
		}
	}
	for _, c := range p.Changes {
		if c.Addr == "iam_oidc_provider.p" && (c.ManagedBy != cfnManaged || c.Reason != `iam_role.r, left in place for CloudFormation stack "StackSet-ci-123", depends on it: left in place too`) {
			t.Errorf("provider: managed by %q, reason %q", c.ManagedBy, c.Reason)
		}
	}
}
