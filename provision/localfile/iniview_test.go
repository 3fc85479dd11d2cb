package localfile

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadINISharedByClosedGate: behind a closed gate, every reader of a
// file gets one parse of it (a plan reads it once, however many profiles
// it holds), taken when the first reader asked; closing or opening the
// gate again drops it. Other Systems and an open gate read afresh.
func TestReadINISharedByClosedGate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	writeExisting(t, path, "[default]\nregion = a\n", 0o600)
	gate := NewGate(OS{})

	// Concurrent readers, as a plan's, share the one parse.
	views := make([]*INI, 8)
	var wg sync.WaitGroup
	for i := range views {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, err := ReadINI(gate, path)
			if err != nil {
				t.Error(err)
			}
			views[i] = f
		}()
	}
	wg.Wait()
	for _, f := range views[1:] {
		if f != views[0] {
			t.Fatal("readers behind a closed gate got different parses of one file")
		}
	}
	region := func(f *INI) string { v, _ := f.Get("default", "region"); return v }

	// The plan's view stays what the file held when it was first read.
	writeExisting(t, path, "[default]\nregion = b\n", 0o600)
	f, err := ReadINI(gate, path)
	if err != nil || f != views[0] || region(f) != "a" {
		t.Fatalf("second read in one plan = %p (region %q), %v; want the shared parse (region a)", f, region(f), err)
	}
	// The next plan (Close) reads it again.
	gate.Close()
	if f, err = ReadINI(gate, path); err != nil || region(f) != "b" {
		t.Fatalf("after Close region = %q, %v; want b", region(f), err)
	}
	// An open gate and other Systems read afresh each time.
	gate.Open()
	for name, sys := range map[string]System{"open gate": gate, "OS": OS{}, "read-only": ReadOnly(OS{})} {
		f1, err1 := ReadINI(sys, path)
		f2, err2 := ReadINI(sys, path)
		if err := errors.Join(err1, err2); err != nil || f1 == f2 {
			t.Errorf("%s: two reads gave one parse (%v); want fresh ones", name, err)
		}
	}
	// A missing file is empty.
	gate.Close()
	if f, err := ReadINI(gate, filepath.Join(dir, "missing")); err != nil || len(f.Bytes()) != 0 {
		t.Errorf("missing file: %q, %v; want empty", f.Bytes(), err)
	}
}

// TestEditINI: edits through a gate reuse the parse the previous edit
// left, and still see a change made in between by someone else; a failed
// edit leaves nothing of its changes for the next; a closed gate writes
// nothing.
func TestEditINI(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	writeExisting(t, path, "# mine\n[other]\nk = v\n", 0o600)
	gate := openGate()
	set := func(section, key, value string) func(f *INI) (bool, error) {
		return func(f *INI) (bool, error) { f.Set(section, key, value); return true, nil }
	}
	content := func() string {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if err := EditINI(gate, path, set("a", "k", "1")); err != nil {
		t.Fatal(err)
	}
	kept := gate.ini.docs[path].f
	if err := EditINI(gate, path, set("b", "k", "2")); err != nil {
		t.Fatal(err)
	}
	if gate.ini.docs[path].f != kept {
		t.Error("the second edit parsed the file again although it held what the first wrote")
	}
	want := "# mine\n[other]\nk = v\n\n[a]\nk = 1\n\n[b]\nk = 2\n"
	if diff := cmp.Diff(want, content()); diff != "" {
		t.Fatalf("after two edits (-want +got):\n%s", diff)
	}

	// Someone else edits the file: the next edit works on their content.
	writeExisting(t, path, content()+"\n[theirs]\nk = 3\n", 0o600)
	if err := EditINI(gate, path, set("c", "k", "4")); err != nil {
		t.Fatal(err)
	}
	want += "\n[theirs]\nk = 3\n\n[c]\nk = 4\n"
	if diff := cmp.Diff(want, content()); diff != "" {
		t.Fatalf("after an edit by another (-want +got):\n%s", diff)
	}

	// A failed edit's changes are not carried into the next edit.
	boom := errors.New("boom")
	err := EditINI(gate, path, func(f *INI) (bool, error) { f.RemoveSection("other"); return false, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("failed edit = %v, want boom", err)
	}
	if err := EditINI(gate, path, set("c", "k", "5")); err != nil {
		t.Fatal(err)
	}
	want = want[:len(want)-len("k = 4\n")] + "k = 5\n"
	if diff := cmp.Diff(want, content()); diff != "" {
		t.Fatalf("after a failed edit (-want +got):\n%s", diff)
	}

	// Behind a closed gate nothing is written, and the next edit once
	// the gate is open starts from the file.
	gate.Close()
	if err := EditINI(gate, path, set("d", "k", "6")); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("edit behind a closed gate = %v, want ErrReadOnly", err)
	}
	gate.Open()
	if err := EditINI(gate, path, set("e", "k", "7")); err != nil {
		t.Fatal(err)
	}
	want += "\n[e]\nk = 7\n"
	if diff := cmp.Diff(want, content()); diff != "" {
		t.Fatalf("after a refused edit (-want +got):\n%s", diff)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	if _, err := os.Stat(path + BackupSuffix); err != nil {
		t.Errorf("no backup: %v", err)
	}
}
