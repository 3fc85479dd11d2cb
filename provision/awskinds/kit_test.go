package awskinds

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/engine"
)

// assertRepairCalls diffs an existing object's state st, applies Update
// with exactly those diffs, and compares the calls the kind's fake
// recorded (calls, read after Update) with want: the repair of each drift
// is the calls it needs and no others.
func assertRepairCalls[S any](t *testing.T, k engine.Kind[S], st S, calls *[]string, want []string) {
	t.Helper()
	o := &engine.Observation{Exists: true}
	diffs, err := k.Diff(o, st)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Update(context.Background(), o, st, diffs); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, *calls); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
}
