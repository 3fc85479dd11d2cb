package engine

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// counterKind is a kind whose state is an int, to show the state Read
// returns reaches Diff, Update and DestroyDescription typed.
type counterKind struct {
	Meta
	read    int
	updated int
}

func (k *counterKind) Read(context.Context) (*Observation, int, error) {
	return &Observation{Exists: true, Owner: "s"}, k.read, nil
}

func (k *counterKind) Diff(_ *Observation, n int) ([]FieldDiff, error) {
	return DiffField(nil, "n", "", string(rune('0'+n))), nil
}
func (k *counterKind) Create(context.Context, *Observation, int) error { return nil }
func (k *counterKind) Update(_ context.Context, _ *Observation, n int, _ []FieldDiff) error {
	k.updated = n
	return nil
}
func (k *counterKind) Delete(context.Context, *Observation, int) error { return nil }
func (k *counterKind) DestroyDescription(_ *Observation, n int) string {
	return string(rune('0' + n))
}

func TestTypedCarriesState(t *testing.T) {
	k := &counterKind{Meta: Meta{Address: "counter.a", What: "the counter"}, read: 7}
	r := Typed(k)
	o, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d, err := r.Diff(o)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]FieldDiff{{Path: "n", After: "7"}}, d); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
	if err := r.Update(context.Background(), o, d); err != nil || k.updated != 7 {
		t.Errorf("Update got state %d, %v", k.updated, err)
	}
	if got := r.(DestroyDescriber).DestroyDescription(o); got != "7" {
		t.Errorf("DestroyDescription = %q", got)
	}
	if got := describe(r); got != "the counter" {
		t.Errorf("describe = %q", got)
	}
	// An observation Typed did not make hands the zero state.
	if d, _ := r.Diff(&Observation{}); d[0].After != "0" {
		t.Errorf("zero state: %v", d)
	}
}

func TestChanged(t *testing.T) {
	d := []FieldDiff{{Path: "tags.team"}, {Path: "lifecycle[0]"}, {Path: "tagsets"}}
	for path, want := range map[Path]bool{"tags": true, "lifecycle": true, "tagsets": true, "tag": false, "encryption": false, "tags.team": true} {
		if got := Changed(d, path); got != want {
			t.Errorf("Changed(%q) = %v, want %v", path, got, want)
		}
	}
	if Changed([]FieldDiff{{Path: "tagsets"}}, "tags") {
		t.Error(`"tags" matched "tagsets"`)
	}
}
