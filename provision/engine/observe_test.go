package engine

import (
	"context"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// summarizedKind is counterKind with the show hook; owner and exists say
// what its Read finds.
type summarizedKind struct {
	counterKind
	owner  string
	exists bool
}

func (k *summarizedKind) Read(context.Context) (*Observation, int, error) {
	return &Observation{Exists: k.exists, Owner: k.owner}, k.read, nil
}

func (k *summarizedKind) Summary(_ *Observation, n int) []KV {
	return []KV{{Key: "n", Value: strconv.Itoa(n)}}
}

// unwantedKind finds nothing and wants nothing (an empty Diff), as a
// bucket policy when the spec grants nothing through one.
type unwantedKind struct{ counterKind }

func (k *unwantedKind) Read(context.Context) (*Observation, int, error) {
	return &Observation{}, 0, nil
}

func (k *unwantedKind) Diff(*Observation, int) ([]FieldDiff, error) { return nil, nil }

// TestObserveJudgesNothing: Observe reports another stack's object and an
// untagged one instead of refusing them as MakePlan does, summarizes only
// what exists, answers nil for kinds without the hook, and tells an absent
// object nothing asks for (an empty Diff) from one to be created.
func TestObserveJudgesNothing(t *testing.T) {
	g, err := NewGraph(
		Typed[int](&summarizedKind{counterKind: counterKind{Meta: Meta{Address: "k.mine", What: "mine"}, read: 3}, owner: "s", exists: true}),
		Typed[int](&summarizedKind{counterKind: counterKind{Meta: Meta{Address: "k.other"}, read: 4}, owner: "other", exists: true}),
		Typed[int](&summarizedKind{counterKind: counterKind{Meta: Meta{Address: "k.absent"}, read: 5}}),
		Typed[int](&counterKind{Meta: Meta{Address: "c.plain"}, read: 6}),
		Typed[int](&unwantedKind{counterKind{Meta: Meta{Address: "u.unwanted"}}}),
	)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MakePlan(context.Background(), g, ModeApply, "s", PlanOptions{}); err == nil {
		t.Fatal("MakePlan accepted another stack's object: the test proves nothing")
	}
	got, err := Observe(context.Background(), g, PlanOptions{Parallelism: 2})
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Addr     Address
		What     string
		Exists   bool
		Owner    string
		Summary  []KV
		Unwanted bool
	}
	var rows []row
	for _, o := range got {
		rows = append(rows, row{o.Addr, o.What, o.Obs.Exists, o.Obs.Owner, o.Summary, o.Unwanted})
	}
	want := []row{
		{"k.mine", "mine", true, "s", []KV{{"n", "3"}}, false},
		{"k.other", "k.other", true, "other", []KV{{"n", "4"}}, false},
		{"k.absent", "k.absent", false, "", nil, false},
		{"c.plain", "c.plain", true, "s", nil, false},
		{"u.unwanted", "u.unwanted", false, "", nil, true},
	}
	if d := cmp.Diff(want, rows); d != "" {
		t.Errorf("Observe (-want +got):\n%s", d)
	}
}
