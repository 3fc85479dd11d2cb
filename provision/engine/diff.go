package engine

import "strings"

// Path names a field of a resource in a plan ("tags.team",
// "public_access_block.block_public_acls"). Each kind declares the paths
// it diffs as named constants, and its Update asks Changed with the same
// constants, so a misspelt path cannot silently skip a repair.
type Path string

// Key is the path of one entry below p: Path("tags").Key("team") is
// "tags.team".
func (p Path) Key(k string) Path { return p + "." + Path(k) }

// FieldDiff is one changed field of a resource. Before is empty for a
// field being added, After for one being removed.
type FieldDiff struct {
	Path   Path   `json:"path"`
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Sensitive values are never printed: they render as (sensitive value)
	// and Before/After are blanked before a plan leaves the engine.
	Sensitive bool `json:"sensitive,omitempty"`
	// Unknown values are only known once the change is applied.
	Unknown bool `json:"unknown,omitempty"`
}

// DiffField appends a diff at path when before and after differ.
func DiffField(diffs []FieldDiff, path Path, before, after string) []FieldDiff {
	if before == after {
		return diffs
	}
	return append(diffs, FieldDiff{Path: path, Before: before, After: after})
}

// Added is a field being set on an object that is created.
func Added(path Path, after string) FieldDiff { return FieldDiff{Path: path, After: after} }

// Removed is a field, or an object's part, being taken away.
func Removed(path Path, before string) FieldDiff { return FieldDiff{Path: path, Before: before} }

// Changed reports whether any diff is at path or below it ("tags" covers
// "tags.team" and "tags[0]", not "tagsets").
func Changed(diffs []FieldDiff, path Path) bool {
	for _, d := range diffs {
		if d.Path == path {
			return true
		}
		if rest, ok := strings.CutPrefix(string(d.Path), string(path)); ok && (rest[0] == '.' || rest[0] == '[') {
			return true
		}
	}
	return false
}
