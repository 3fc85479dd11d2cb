package localfile

// This file keeps the INI editor as it was before it was split into
// sections (one slice of lines, every method re-classifying the whole
// file): FuzzINIMatchesFlatEditor holds the sectioned editor to exactly
// its results.

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type refINI struct {
	lines []string // each with its "\n" or "\r\n"; only the last may lack one
	eol   string   // line ending for new lines: the one of the first line
}

// parseRefINI is the flat ParseINI. It never fails: lines it
// does not understand are kept as they are.
func parseRefINI(data []byte) *refINI {
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	eol := "\n"
	if len(lines) > 0 && strings.HasSuffix(lines[0], "\r\n") {
		eol = "\r\n"
	}
	return &refINI{lines: lines, eol: eol}
}

// Bytes returns the current content.
func (f *refINI) Bytes() []byte {
	return []byte(strings.Join(f.lines, ""))
}

// HeaderLines returns the line numbers (from 1) of every header of the
// section called name, in file order: more than one means the file
// defines the section twice, which the AWS SDKs merge (later keys win).
func (f *refINI) HeaderLines(name string) []int {
	name = normalizeSection(name)
	var out []int
	for i, l := range f.classify() {
		if l.kind == kindHeader && l.name == name {
			out = append(out, i+1)
		}
	}
	return out
}

// HasSection reports whether the file holds a section called name.
func (f *refINI) HasSection(name string) bool {
	_, _, _, ok := f.section(f.classify(), name)
	return ok
}

// Get returns the value of the top-level key in section as the AWS SDK
// for Go reads it (aws-sdk-go-v2/config/internal/ini): an inline comment
// after " #", " ;", "\t#" or "\t;" is cut off, and one pair of wrapping
// single or double quotes is removed. Nested sub-section keys are not
// top-level keys; a key that opens a nested sub-section has the empty
// value. With the key more than once, the first is returned (KeyLines
// finds the others).
func (f *refINI) Get(section, key string) (string, bool) {
	info := f.classify()
	hdr, end, _, ok := f.section(info, section)
	if !ok {
		return "", false
	}
	i := findKey(info, hdr+1, end, key)
	if i < 0 {
		return "", false
	}
	return sdkValue(info[i].value, true), true
}

// KeyLines returns the line numbers (from 1) of every top-level line of
// key in section: more than one means the SDK reads the last.
func (f *refINI) KeyLines(section, key string) []int {
	info := f.classify()
	hdr, end, _, ok := f.section(info, section)
	if !ok {
		return nil
	}
	var out []int
	for i := hdr + 1; i < end; i++ {
		if info[i].kind == kindKey && strings.EqualFold(info[i].key, key) {
			out = append(out, i+1)
		}
	}
	return out
}

// GetNested returns the value of subkey in the nested sub-section key of
// section, such as addressing_style in "s3 =\n  addressing_style = path".
func (f *refINI) GetNested(section, key, subkey string) (string, bool) {
	info := f.classify()
	hdr, end, _, ok := f.section(info, section)
	if !ok {
		return "", false
	}
	parent := findKey(info, hdr+1, end, key)
	if parent < 0 || info[parent].value != "" {
		return "", false
	}
	for _, i := range subLines(info, parent) {
		if strings.EqualFold(info[i].key, subkey) {
			return sdkValue(info[i].value, false), true
		}
	}
	return "", false
}

// Keys returns the top-level keys of section in file order, spelled as in
// the file.
func (f *refINI) Keys(section string) []string {
	info := f.classify()
	hdr, end, _, ok := f.section(info, section)
	if !ok {
		return nil
	}
	var keys []string
	for i := hdr + 1; i < end; i++ {
		if info[i].kind == kindKey {
			keys = append(keys, info[i].key)
		}
	}
	return keys
}

// Comments returns the comment lines of section, trimmed and including
// their leading "#" or ";". Comment lines directly before the next header
// belong to the next section.
func (f *refINI) Comments(section string) []string {
	info := f.classify()
	hdr, end, _, ok := f.section(info, section)
	if !ok {
		return nil
	}
	var comments []string
	for i := hdr + 1; i < end; i++ {
		if info[i].kind == kindComment {
			comments = append(comments, strings.TrimSpace(f.lines[i]))
		}
	}
	return comments
}

// Set sets the top-level key of section to value. An existing key line is
// rewritten in place as "key = value", keeping the key's spelling and
// indentation (and dropping the nested or continuation lines it had); it is
// left untouched when it already has the value. A missing key is inserted
// as "key = value" after the last non-blank line of the section, and a
// missing section is appended first (see AppendSection).
func (f *refINI) Set(section, key, value string) {
	section, key, value = oneLine(section), oneLine(key), oneLine(value)
	if section == "" {
		return
	}
	f.AppendSection(section)
	info := f.classify()
	hdr, end, _, _ := f.section(info, section)
	if i := findKey(info, hdr+1, end, key); i >= 0 {
		if info[i].value != value || len(subLines(info, i)) > 0 {
			f.replaceKeyLine(info, i, value)
		}
		return
	}
	f.insert(refLastNonBlank(info, hdr, end)+1, key+" = "+value+f.eol)
}

// SetNested sets subkey in the nested sub-section key of section, written
// as
//
//	key =
//	    subkey = value
//
// The parent key line is created (or its value emptied) when needed, an
// existing subkey line is rewritten in place keeping its indentation and
// spelling, and a new subkey line is added after the last line of the
// sub-section with the indentation of its other lines (4 spaces deeper than
// the parent when it has none).
func (f *refINI) SetNested(section, key, subkey, value string) {
	section, key, subkey, value = oneLine(section), oneLine(key), oneLine(subkey), oneLine(value)
	if section == "" {
		return
	}
	f.AppendSection(section)
	info := f.classify()
	hdr, end, _, _ := f.section(info, section)
	parent := findKey(info, hdr+1, end, key)
	if parent < 0 {
		f.insert(refLastNonBlank(info, hdr, end)+1,
			key+" ="+f.eol,
			"    "+subkey+" = "+value+f.eol)
		return
	}
	if info[parent].value != "" {
		f.replaceKeyLine(info, parent, "")
		info = f.classify()
	}
	subs := subLines(info, parent)
	for _, i := range subs {
		if strings.EqualFold(info[i].key, subkey) {
			if info[i].value != value {
				f.lines[i] = info[i].indent + info[i].key + " = " + value + lineEnding(f.lines[i])
			}
			return
		}
	}
	indent := info[parent].indent + "    "
	at := parent + 1
	if len(subs) > 0 {
		indent = info[subs[0]].indent
		at = subs[len(subs)-1] + 1
	}
	f.insert(at, indent+subkey+" = "+value+f.eol)
}

// AddComment inserts the comment line directly after the header of section,
// appending the section first when it is missing. A comment that does not
// start with "#" or ";" gets a "# " prefix. Nothing is added when the
// section already holds the same comment line, so an ownership marker such
// as "# managed by awsboot: stack=semaphore-cache" is written only once.
func (f *refINI) AddComment(section, comment string) {
	section, comment = oneLine(section), strings.TrimSpace(oneLine(comment))
	if section == "" {
		return
	}
	if !strings.HasPrefix(comment, "#") && !strings.HasPrefix(comment, ";") {
		comment = "# " + comment
	}
	if slices.Contains(f.Comments(section), comment) {
		return
	}
	f.AppendSection(section)
	hdr, _, _, _ := f.section(f.classify(), section)
	f.insert(hdr+1, comment+f.eol)
}

// AppendSection appends an empty section called name at the end of the file
// and reports whether it did; it does nothing when the section exists. When
// the content is not empty, a missing final newline is added first and the
// new header is separated from the content by one blank line.
func (f *refINI) AppendSection(name string) bool {
	name = oneLine(name)
	if name == "" || f.HasSection(name) {
		return false
	}
	if n := len(f.lines); n > 0 {
		if !strings.HasSuffix(f.lines[n-1], "\n") {
			f.lines[n-1] += f.eol
		}
		f.lines = append(f.lines, f.eol)
	}
	f.lines = append(f.lines, "["+name+"]"+f.eol)
	return true
}

// RemoveSection removes the section called name and reports whether it
// existed. It removes the header and every line up to the next header,
// except the blank and comment lines directly before the next header, which
// belong to that section. When the removed section is the last one, the
// blank line directly before its header (if any) is removed too. So removing
// a section that AppendSection (or Set) appended gives back the previous
// content byte for byte, provided it was empty or ended with a newline.
func (f *refINI) RemoveSection(name string) bool {
	info := f.classify()
	hdr, end, next, ok := f.section(info, name)
	if !ok {
		return false
	}
	start := hdr
	if next == len(f.lines) && hdr > 0 && info[hdr-1].kind == kindBlank {
		start = hdr - 1
	}
	f.lines = slices.Delete(f.lines, start, end)
	return true
}

// classify works out the meaning of every line, with the line
// classification the sectioned editor uses (the split into sections is
// what the two differ in). It is cheap enough to be redone after every
// edit: config files are small.
func (f *refINI) classify() []iniLine { return classifyLines(f.lines) }

// section finds the first section called name. It returns the index of its
// header, the end of its body and the index of the next header (len(lines)
// when it is the last section). The body ends at the next header, less the
// blank and comment lines directly before that header.
func (f *refINI) section(info []iniLine, name string) (hdr, end, next int, ok bool) {
	name = normalizeSection(name)
	if name == "" {
		return 0, 0, 0, false
	}
	hdr = slices.IndexFunc(info, func(l iniLine) bool {
		return l.kind == kindHeader && l.name == name
	})
	if hdr < 0 {
		return 0, 0, 0, false
	}
	next = hdr + 1
	for next < len(info) && info[next].kind != kindHeader {
		next++
	}
	end = next
	if next < len(info) {
		for end > hdr+1 && (info[end-1].kind == kindBlank || info[end-1].kind == kindComment) {
			end--
		}
	}
	return hdr, end, next, true
}

// lastNonBlank returns the index of the last non-blank line in the body of
// the section whose header is at hdr, or hdr when the body is blank.
func refLastNonBlank(info []iniLine, hdr, end int) int {
	for i := end - 1; i > hdr; i-- {
		if info[i].kind != kindBlank {
			return i
		}
	}
	return hdr
}

// replaceKeyLine rewrites key line i as "key = value" (or "key =" for the
// empty value) and removes the lines that belonged to its old value.
func (f *refINI) replaceKeyLine(info []iniLine, i int, value string) {
	for _, s := range slices.Backward(subLines(info, i)) {
		f.lines = slices.Delete(f.lines, s, s+1)
	}
	line := info[i].indent + info[i].key + " ="
	if value != "" {
		line += " " + value
	}
	f.lines[i] = line + lineEnding(f.lines[i])
}

// insert inserts lines (each ending with a line break) before index at,
// giving the line before them a line break if it has none.
func (f *refINI) insert(at int, lines ...string) {
	if at > 0 && !strings.HasSuffix(f.lines[at-1], "\n") {
		f.lines[at-1] += f.eol
	}
	f.lines = slices.Insert(f.lines, at, lines...)
}

// FuzzINIMatchesFlatEditor applies one sequence of edits to the sectioned
// editor and to the flat one it replaced, and checks after each that the
// content, every read and every result are the same. ops is read a byte
// at a time: the operation, then the section, key and value it uses.
func FuzzINIMatchesFlatEditor(f *testing.F) {
	for _, data := range iniSamples {
		f.Add(data, []byte{0, 0, 0, 1, 1, 2, 2, 3, 4, 5, 1, 6, 7, 8, 0})
	}
	f.Add("[a]\nk =\n\t\n  x = 1\n# c\n[b]\r\n;c\n[a]\nk = 2\n", []byte{5, 0, 0, 0, 1, 2, 3, 6, 1, 0})
	f.Add("x = 1\n\n[default]\n\n# next\n\n[profile ci]\nregion = a", []byte{5, 2, 0, 4, 1, 1, 1, 5, 3, 0, 1, 3})
	f.Fuzz(func(t *testing.T, data string, ops []byte) {
		got, want := ParseINI([]byte(data)), parseRefINI([]byte(data))
		// The sections in the file, and names that are not.
		names := []string{"profile awsboot-fuzz", "default", "ci"}
		for _, l := range want.classify() {
			if l.kind == kindHeader && l.name != "" {
				names = append(names, l.name)
			}
		}
		keys := []string{"region", "s3", "Region", "aws_access_key_id", "k", "x"}
		values := []string{"eu-west-1", "", "path", "v # c", "'q'"}
		next := func() int {
			if len(ops) == 0 {
				return 0
			}
			b := int(ops[0])
			ops = ops[1:]
			return b
		}
		compare := func(step string) {
			t.Helper()
			if g, w := string(got.Bytes()), string(want.Bytes()); g != w {
				t.Fatalf("%s: content\n%q\nwant\n%q", step, g, w)
			}
			for _, n := range names {
				type view struct {
					Has            bool
					Headers        []int
					Keys, Comments []string
					Values         []string
					KeyLines       [][]int
				}
				read := func(has bool, headers []int, keys, comments []string, get func(string) (string, bool), nested func(string) (string, bool), keyLines func(string) []int) view {
					v := view{Has: has, Headers: headers, Keys: keys, Comments: comments}
					for _, k := range []string{"region", "s3", "k"} {
						val, ok := get(k)
						sub, subOK := nested(k)
						v.Values = append(v.Values, fmt.Sprintf("%q %v %q %v", val, ok, sub, subOK))
						v.KeyLines = append(v.KeyLines, keyLines(k))
					}
					return v
				}
				g := read(got.HasSection(n), got.HeaderLines(n), got.Keys(n), got.Comments(n),
					func(k string) (string, bool) { return got.Get(n, k) },
					func(k string) (string, bool) { return got.GetNested(n, k, "addressing_style") },
					func(k string) []int { return got.KeyLines(n, k) })
				w := read(want.HasSection(n), want.HeaderLines(n), want.Keys(n), want.Comments(n),
					func(k string) (string, bool) { return want.Get(n, k) },
					func(k string) (string, bool) { return want.GetNested(n, k, "addressing_style") },
					func(k string) []int { return want.KeyLines(n, k) })
				if diff := cmp.Diff(w, g); diff != "" {
					t.Fatalf("%s: section %q reads differently (-flat +sectioned):\n%s\ncontent:\n%q", step, n, diff, got.Bytes())
				}
				if d := got.Defined(n); d != len(w.Headers) {
					t.Fatalf("%s: Defined(%q) = %d, the flat editor has %d headers", step, n, d, len(w.Headers))
				}
			}
		}
		compare("parse")
		for step := 0; len(ops) > 0 && step < 32; step++ {
			op, n := next()%7, names[next()%len(names)]
			k, v := keys[next()%len(keys)], values[next()%len(values)]
			desc := fmt.Sprintf("step %d: op %d on [%s] %s=%q", step, op, n, k, v)
			switch op {
			case 0:
				got.Set(n, k, v)
				want.Set(n, k, v)
			case 1:
				got.SetNested(n, k, "addressing_style", v)
				want.SetNested(n, k, "addressing_style", v)
			case 2:
				got.AddComment(n, "# managed by awsboot: stack="+v)
				want.AddComment(n, "# managed by awsboot: stack="+v)
			case 3, 4:
				if g, w := got.RemoveSection(n), want.RemoveSection(n); g != w {
					t.Fatalf("%s: RemoveSection = %v, flat %v", desc, g, w)
				}
			case 5:
				if g, w := got.AppendSection(n), want.AppendSection(n); g != w {
					t.Fatalf("%s: AppendSection = %v, flat %v", desc, g, w)
				}
			case 6:
				// Fresh parses of the edited content read the same (both
				// take their line ending for new lines from it again).
				got, want = ParseINI(got.Bytes()), parseRefINI(want.Bytes())
			}
			compare(desc)
		}
	})
}
