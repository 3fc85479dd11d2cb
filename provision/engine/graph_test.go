package engine

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEdgesPointToDependencies: an edge goes from a resource to what it
// depends on, once, sorted; listing order does not change them.
func TestEdgesPointToDependencies(t *testing.T) {
	r := func(a string, deps ...Address) Resource { return &fakeResource{addr: Address(a), deps: deps} }
	g, err := NewGraph(
		r("iam_access_key.ci", "iam_user.ci", "iam_user.ci"),
		r("iam_user_policy_attachment.ci/p", "iam_user.ci", "iam_policy.p"),
		r("iam_user.ci"), r("iam_policy.p"), r("s3_bucket.b"),
	)
	if err != nil {
		t.Fatal(err)
	}
	want := []Edge{
		{From: "iam_access_key.ci", To: "iam_user.ci"},
		{From: "iam_user_policy_attachment.ci/p", To: "iam_policy.p"},
		{From: "iam_user_policy_attachment.ci/p", To: "iam_user.ci"},
	}
	if diff := cmp.Diff(want, g.Edges()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAddressKindAndName(t *testing.T) {
	tests := map[string]struct {
		addr       Address
		kind, name string
	}{
		"plain":            {Addr("iam_user", "semaphore"), "iam_user", "semaphore"},
		"dots in the name": {Addr("iam_oidc_provider", "token.actions.githubusercontent.com"), "iam_oidc_provider", "token.actions.githubusercontent.com"},
		"slash":            {Addr("iam_user_policy_attachment", "u/p"), "iam_user_policy_attachment", "u/p"},
		"no dot":           {Address("odd"), "odd", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if k, n := tc.addr.Kind(), tc.addr.Name(); k != tc.kind || n != tc.name {
				t.Errorf("%s: kind %q name %q, want %q %q", tc.addr, k, n, tc.kind, tc.name)
			}
		})
	}
}
