package localfile

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// The TOML editor changes a few keys of one table of a user's TOML file
// (GitLab Runner's config.toml) and leaves every other byte as it was:
// comments, other tables, tokens, key order, indentation, CRLF line
// endings and a missing final newline. go-toml's position-aware parser
// (github.com/pelletier/go-toml/v2/unstable) is used only to locate
// headers and key/value lines; the edit is done on the text lines, and
// the result is decoded again and compared with the input (every value
// but the edited keys must decode the same) before it is returned.

// TOMLValue is one value of a TOML file: a string, a boolean, or (only
// as read) any other value, kept as its TOML text.
type TOMLValue struct {
	kind tomlKind
	text string
}

type tomlKind uint8

const (
	tomlOther tomlKind = iota
	tomlString
	tomlBool
)

// TOMLString is a string value.
func TOMLString(s string) TOMLValue { return TOMLValue{kind: tomlString, text: s} }

// TOMLBool is a boolean value.
func TOMLBool(b bool) TOMLValue { return TOMLValue{kind: tomlBool, text: strconv.FormatBool(b)} }

// IsString reports whether v is a string.
func (v TOMLValue) IsString() bool { return v.kind == tomlString }

// IsBool reports whether v is a boolean.
func (v TOMLValue) IsBool() bool { return v.kind == tomlBool }

// String is a string value itself, and any other value's TOML text
// (true, 42, [1, 2]).
func (v TOMLValue) String() string { return v.text }

// TOML is the value as TOML text: a string quoted and escaped.
func (v TOMLValue) TOML() string {
	if v.kind == tomlString {
		return tomlQuote(v.text)
	}
	return v.text
}

// TOMLElement selects one table of an array of tables by the string value
// of one of its keys: GitLab Runner's [[runners]] entry whose name =
// "docker" is TOMLElement{Array: "runners", Key: "name", Value: "docker"}.
type TOMLElement struct {
	Array, Key, Value string
}

// String names the element in messages: [[runners]] with name = "docker".
func (e TOMLElement) String() string {
	return fmt.Sprintf("[[%s]] with %s = %s", tomlKey(e.Array), tomlKey(e.Key), tomlQuote(e.Value))
}

// TOMLTable is what ReadTOMLTable found of one table of an element.
type TOMLTable struct {
	// Found is false when no element of the array has the key's value.
	Found bool
	// Defined is true when the table has a [header] of its own.
	Defined bool
	// Values are the table's keys (the one-part keys written under its
	// header).
	Values map[string]TOMLValue
}

// TOMLKeyValue is one key and its value.
type TOMLKeyValue struct {
	Key   string
	Value TOMLValue
}

// TOMLEdit changes one table of an element, named by its path below the
// element ({"cache", "s3"} is [runners.cache.s3]): Set are written in
// order, Unset are taken out.
type TOMLEdit struct {
	Table []string
	Set   []TOMLKeyValue
	Unset []string
}

// ErrTOMLElementNotFound is returned by EditTOML when no element of the
// array has the key's value.
var ErrTOMLElementNotFound = errors.New("no such table in the array of tables")

// ReadTOMLTable returns the keys of table (a path below the element, as in
// TOMLEdit) of the element el of data. A file with no such element is not
// an error (Found is false); a table written with dotted keys or as an
// inline table is, since EditTOML would not edit it.
func ReadTOMLTable(data []byte, el TOMLElement, table []string) (TOMLTable, error) {
	d, elem, err := parseTOMLElement(data, el)
	if err != nil || elem < 0 {
		return TOMLTable{}, err
	}
	if err := d.checkTable(elem, table); err != nil {
		return TOMLTable{}, err
	}
	res := TOMLTable{Found: true, Values: map[string]TOMLValue{}}
	if t := d.table(elem, table); t != nil {
		res.Defined = true
		for _, kv := range t.kvs {
			if len(kv.key) == 1 {
				res.Values[kv.key[0]] = kv.value
			}
		}
	}
	return res, nil
}

// EditTOML applies edits to the element el of data and returns the new
// content; every other byte stays as it was.
//
//   - A key set in a table is rewritten in place when it is there (its
//     indentation, spelling and line comment kept) and added after the
//     table's last key otherwise, indented like the table's keys.
//   - A table that a Set needs and that has no header is created right
//     after its parent's keys ([runners.cache] after the [[runners]]
//     entry's own keys, [runners.cache.s3] after [runners.cache]'s),
//     its header followed by the comment marker (when not "").
//   - An Unset key's lines are deleted.
//   - A table whose header carries the marker comment and that holds no
//     key any more is deleted: EditTOML with Unset undoes an EditTOML
//     with Set that created the keys and tables, byte for byte.
//
// A key already holding its value is left untouched, so data comes back
// unchanged when nothing is to change. Tables written with dotted keys or
// as inline tables, a selector value shared by two elements and a file
// that is not valid TOML are errors; an element that is missing is
// ErrTOMLElementNotFound.
func EditTOML(data []byte, el TOMLElement, edits []TOMLEdit, marker string) ([]byte, error) {
	for _, e := range edits {
		if len(e.Table) == 0 {
			return nil, errors.New("a TOML edit needs a table below the element")
		}
		for _, kv := range e.Set {
			if kv.Key == "" || kv.Value.kind == tomlOther || !utf8.ValidString(kv.Value.text) {
				// The value is not named: it may be a secret.
				return nil, fmt.Errorf("cannot write %q: awsboot writes UTF-8 strings and booleans only", kv.Key)
			}
		}
	}
	if strings.ContainsAny(marker, "\r\n") || marker != "" && !strings.HasPrefix(marker, "#") {
		return nil, fmt.Errorf("the marker %q is not a one-line TOML comment", marker)
	}
	d, elem, err := parseTOMLElement(data, el)
	if err != nil {
		return nil, err
	}
	if elem < 0 {
		return nil, fmt.Errorf("%s: %w", el, ErrTOMLElementNotFound)
	}
	for _, e := range edits {
		if err := d.checkTable(elem, e.Table); err != nil {
			return nil, err
		}
	}
	out := data
	for _, e := range edits {
		for _, kv := range e.Set {
			if out, err = setTOMLKey(out, el, e.Table, kv, marker); err != nil {
				return nil, err
			}
		}
		for _, k := range e.Unset {
			if out, err = unsetTOMLKey(out, el, e.Table, k); err != nil {
				return nil, err
			}
		}
	}
	if out, err = pruneTOMLTables(out, el, edits, marker); err != nil {
		return nil, err
	}
	return verifyTOMLEdit(data, out, el, edits)
}

// setTOMLKey sets one key of a table of the element, creating the table
// (and its missing parents) first.
func setTOMLKey(data []byte, el TOMLElement, table []string, kv TOMLKeyValue, marker string) ([]byte, error) {
	d, elem, err := parseTOMLElement(data, el)
	if err != nil {
		return nil, err
	}
	for i := 1; i <= len(table); i++ {
		if d.table(elem, table[:i]) != nil {
			continue
		}
		name := d.dotted(table[:i])
		d.insertTable(elem, table[:i], marker)
		if d, elem, err = parseTOMLElement(d.bytes(), el); err != nil {
			return nil, fmt.Errorf("after adding [%s] (a bug in awsboot): %w", name, err)
		}
	}
	t := d.table(elem, table)
	old := t.kv(kv.Key)
	switch {
	case old != nil && old.value == kv.Value:
		return d.bytes(), nil
	case old != nil:
		d.replace(old, kv.Value)
	default:
		at := t.line + 1
		if len(t.kvs) > 0 {
			at = t.kvs[len(t.kvs)-1].last + 1
		}
		d.insert(at, d.keyIndent(t)+tomlKey(kv.Key)+" = "+kv.Value.TOML()+d.eol)
	}
	return d.bytes(), nil
}

// unsetTOMLKey deletes the lines of one key of a table of the element.
func unsetTOMLKey(data []byte, el TOMLElement, table []string, key string) ([]byte, error) {
	d, elem, err := parseTOMLElement(data, el)
	if err != nil {
		return nil, err
	}
	t := d.table(elem, table)
	if t == nil {
		return data, nil
	}
	kv := t.kv(key)
	if kv == nil {
		return data, nil
	}
	d.remove(kv.first, kv.last)
	return d.bytes(), nil
}

// pruneTOMLTables deletes the edited tables whose header carries the
// marker and that hold no key, the deepest first.
func pruneTOMLTables(data []byte, el TOMLElement, edits []TOMLEdit, marker string) ([]byte, error) {
	if marker == "" {
		return data, nil
	}
	for _, table := range editedTables(edits) {
		d, elem, err := parseTOMLElement(data, el)
		if err != nil {
			return nil, err
		}
		if t := d.table(elem, table); t != nil && len(t.kvs) == 0 && strings.TrimSpace(t.comment) == strings.TrimSpace(marker) {
			d.remove(t.line, t.line)
			data = d.bytes()
		}
	}
	return data, nil
}

// editedTables lists the tables of edits and their parents below the
// element once each, the deepest first.
func editedTables(edits []TOMLEdit) [][]string {
	var out [][]string
	for _, e := range edits {
		for i := len(e.Table); i >= 1; i-- {
			if !slices.ContainsFunc(out, func(t []string) bool { return slices.Equal(t, e.Table[:i]) }) {
				out = append(out, e.Table[:i])
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// verifyTOMLEdit checks that after, the edited before, holds the values
// edits set, none they unset, and decodes like before once the edited
// keys (and the edited tables they leave empty) are taken out of both.
// It guards the user's file against a mistake in the line editing.
func verifyTOMLEdit(before, after []byte, el TOMLElement, edits []TOMLEdit) ([]byte, error) {
	if bytes.Equal(before, after) {
		return after, nil
	}
	var b, a map[string]any
	if err := toml.Unmarshal(before, &b); err != nil {
		return nil, err
	}
	if err := toml.Unmarshal(after, &a); err != nil {
		return nil, fmt.Errorf("the edited file is not valid TOML (a bug in awsboot): %w", err)
	}
	ea, eb := decodedElement(a, el), decodedElement(b, el)
	if ea == nil || eb == nil {
		return nil, fmt.Errorf("the edited file lost %s (a bug in awsboot)", el)
	}
	for _, e := range edits {
		t, _ := decodedTable(ea, e.Table)
		for _, kv := range e.Set {
			var want any = kv.Value.text
			if kv.Value.kind == tomlBool {
				want = kv.Value.text == "true"
			}
			if got := t[kv.Key]; got != want {
				// Values are not named: one may be a secret.
				return nil, fmt.Errorf("the edited file does not hold the value written for %s (a bug in awsboot)", kv.Key)
			}
		}
		for _, k := range e.Unset {
			if _, ok := t[k]; ok {
				return nil, fmt.Errorf("the edited file still has %s (a bug in awsboot)", k)
			}
		}
	}
	for _, m := range []map[string]any{ea, eb} {
		for _, table := range editedTables(edits) {
			t, ok := decodedTable(m, table)
			if !ok {
				continue
			}
			for _, e := range edits {
				if slices.Equal(e.Table, table) {
					for _, kv := range e.Set {
						delete(t, kv.Key)
					}
					for _, k := range e.Unset {
						delete(t, k)
					}
				}
			}
			if len(t) == 0 {
				parent, _ := decodedTable(m, table[:len(table)-1])
				delete(parent, table[len(table)-1])
			}
		}
	}
	mb, errB := toml.Marshal(b)
	ma, errA := toml.Marshal(a)
	same := errA == nil && errB == nil && bytes.Equal(ma, mb)
	if errA != nil || errB != nil {
		same = reflect.DeepEqual(a, b)
	}
	if !same {
		return nil, fmt.Errorf("editing %s would change other settings of the file (a bug in awsboot)", el)
	}
	return after, nil
}

// decodedElement finds the element in a decoded document.
func decodedElement(doc map[string]any, el TOMLElement) map[string]any {
	arr, _ := doc[el.Array].([]any)
	for _, item := range arr {
		if m, ok := item.(map[string]any); ok && m[el.Key] == el.Value {
			return m
		}
	}
	return nil
}

// decodedTable walks path below m in a decoded document.
func decodedTable(m map[string]any, path []string) (map[string]any, bool) {
	for _, k := range path {
		next, ok := m[k].(map[string]any)
		if !ok {
			return nil, false
		}
		m = next
	}
	return m, true
}

// tomlDoc is a parsed TOML file: its lines and where the parser found
// each header and key/value.
type tomlDoc struct {
	data   []byte
	lines  []string // each with its line break; only the last may lack one
	starts []int    // byte offset of each line
	eol    string   // the line break of new lines: the first line's, or "\n"
	array  string   // the array of tables whose elements are tracked
	tables []*tomlTable
}

// tomlTable is one table: the root (line -1) or one with a header.
type tomlTable struct {
	path    []string
	array   bool   // [[header]]
	line    int    // the header's line, -1 for the root
	comment string // the header line's comment
	elem    int    // the element of the array it belongs to, -1 for none
	kvs     []*tomlKV
}

// tomlKV is one key/value expression, on lines first to last.
type tomlKV struct {
	key         []string
	first, last int
	// valueStart and end are byte offsets of the value and of its end.
	valueStart, end int
	value           TOMLValue
}

func (t *tomlTable) kv(key string) *tomlKV {
	for _, kv := range t.kvs {
		if len(kv.key) == 1 && kv.key[0] == key {
			return kv
		}
	}
	return nil
}

// parseTOMLElement parses data and finds el's element (-1 when none).
func parseTOMLElement(data []byte, el TOMLElement) (*tomlDoc, int, error) {
	d, err := parseTOMLDoc(data, el.Array)
	if err != nil {
		return nil, -1, err
	}
	elem, err := d.element(el)
	return d, elem, err
}

// parseTOMLDoc checks that data is valid TOML (syntax and meaning: no key
// or table defined twice) and locates its headers and key/values.
func parseTOMLDoc(data []byte, array string) (*tomlDoc, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("not UTF-8 text, as TOML must be")
	}
	var check map[string]any
	if err := toml.Unmarshal(data, &check); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return nil, fmt.Errorf("line %d, column %d: not valid TOML: %s", row, col, de.Error())
		}
		return nil, fmt.Errorf("not valid TOML: %w", err)
	}
	d := &tomlDoc{data: data, eol: "\n", array: array}
	for rest, off := string(data), 0; rest != ""; {
		n := strings.IndexByte(rest, '\n') + 1
		if n == 0 {
			n = len(rest)
		}
		d.lines = append(d.lines, rest[:n])
		d.starts = append(d.starts, off)
		rest, off = rest[n:], off+n
	}
	if len(d.lines) > 0 && strings.HasSuffix(d.lines[0], "\r\n") {
		d.eol = "\r\n"
	}
	cur := &tomlTable{line: -1, elem: -1}
	d.tables = []*tomlTable{cur}
	elem := -1
	p := unstable.Parser{KeepComments: true}
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			path, first, _ := keyParts(e.Key())
			cur = &tomlTable{path: path, array: e.Kind == unstable.ArrayTable, line: d.lineOf(first), elem: -1}
			if c := e.Next(); c != nil && c.Kind == unstable.Comment {
				cur.comment = string(c.Data)
			}
			switch {
			case cur.array && len(path) == 1 && path[0] == array:
				elem++
				cur.elem = elem
			case len(path) > 1 && path[0] == array:
				cur.elem = elem
			}
			d.tables = append(d.tables, cur)
		case unstable.KeyValue:
			key, _, keyEnd := keyParts(e.Key())
			start, end := int(e.Raw.Offset), int(e.Raw.Offset+e.Raw.Length)
			valueStart := keyEnd
			for valueStart < end && (data[valueStart] == ' ' || data[valueStart] == '\t' || data[valueStart] == '=') {
				valueStart++
			}
			kv := &tomlKV{key: key, first: d.lineOf(start), last: d.lineOf(end - 1), valueStart: valueStart, end: end}
			switch v := e.Value(); v.Kind {
			case unstable.String:
				kv.value = TOMLString(string(v.Data))
			case unstable.Bool:
				kv.value = TOMLBool(string(v.Data) == "true")
			default:
				kv.value = TOMLValue{kind: tomlOther, text: string(data[valueStart:end])}
			}
			cur.kvs = append(cur.kvs, kv)
		}
	}
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("not valid TOML: %w", err)
	}
	return d, nil
}

// keyParts returns a key's decoded parts, the offset of its first byte
// and the offset just after its last.
func keyParts(it unstable.Iterator) (parts []string, first, end int) {
	first = -1
	for it.Next() {
		k := it.Node()
		parts = append(parts, string(k.Data))
		if first < 0 {
			first = int(k.Raw.Offset)
		}
		end = int(k.Raw.Offset + k.Raw.Length)
	}
	return parts, first, end
}

// lineOf is the index of the line holding byte offset off.
func (d *tomlDoc) lineOf(off int) int {
	return sort.Search(len(d.starts), func(i int) bool { return d.starts[i] > off }) - 1
}

// element returns the index of el's element, -1 when there is none.
func (d *tomlDoc) element(el TOMLElement) (int, error) {
	for _, kv := range d.tables[0].kvs {
		if kv.key[0] == el.Array {
			return -1, fmt.Errorf("line %d: %s is written as a key, not as [[%s]] tables; awsboot edits only [[%s]] tables: please write each entry as a [[%s]] table",
				kv.first+1, tomlKey(el.Array), tomlKey(el.Array), tomlKey(el.Array), tomlKey(el.Array))
		}
	}
	found := -1
	var lines []string
	for _, t := range d.tables {
		if t.array && t.elem >= 0 && len(t.path) == 1 {
			if kv := t.kv(el.Key); kv != nil && kv.value == TOMLString(el.Value) {
				found = t.elem
				lines = append(lines, strconv.Itoa(t.line+1))
			}
		}
	}
	if len(lines) > 1 {
		return -1, fmt.Errorf("line %s: %d [[%s]] tables have %s = %s (lines %s), so awsboot cannot tell which one to edit: give each a name of its own",
			lines[1], len(lines), tomlKey(el.Array), tomlKey(el.Key), tomlQuote(el.Value), strings.Join(lines, ", "))
	}
	return found, nil
}

// table returns the header of the element's table at path below it (the
// element's own [[header]] for an empty path), nil when it has none.
func (d *tomlDoc) table(elem int, path []string) *tomlTable {
	full := append([]string{d.array}, path...)
	for _, t := range d.tables {
		if t.elem == elem && slices.Equal(t.path, full) && t.array == (len(path) == 0) {
			return t
		}
	}
	return nil
}

// checkTable reports a table at path (or a parent of it) that the
// element defines in a way awsboot does not edit: with dotted keys
// (cache.Type = "s3"), as an inline table (cache = {...}) or as an
// array of tables.
func (d *tomlDoc) checkTable(elem int, path []string) error {
	full := append([]string{d.array}, path...)
	for _, t := range d.tables {
		if t.elem != elem {
			continue
		}
		n := len(t.path)
		if t.array && n > 1 && slices.Equal(t.path, full[:min(n, len(full))]) {
			return fmt.Errorf("line %d: [[%s]] is an array of tables; awsboot expects [%s]", t.line+1, d.dotted(t.path[1:]), d.dotted(path))
		}
		if n >= len(full) || !slices.Equal(t.path, full[:n]) {
			continue
		}
		for _, kv := range t.kvs {
			if kv.key[0] == full[n] {
				return fmt.Errorf("line %d: [%s] is set with a dotted key or an inline table (%s); awsboot edits it only when written as a table of its own: please write it as a [%s] header with its keys below",
					kv.first+1, d.dotted(full[1:n+1]), strings.Join(kv.key, ".")+" = …", d.dotted(full[1:n+1]))
			}
		}
	}
	return nil
}

// dotted is the header name of a table below the array: runners.cache.s3.
func (d *tomlDoc) dotted(path []string) string {
	parts := []string{tomlKey(d.array)}
	for _, p := range path {
		parts = append(parts, tomlKey(p))
	}
	return strings.Join(parts, ".")
}

// keyIndent is the indentation of t's keys: its first key's, else its
// header's followed by the step the element indents its keys by.
func (d *tomlDoc) keyIndent(t *tomlTable) string {
	if len(t.kvs) > 0 {
		return indentOf(d.lines[t.kvs[0].first])
	}
	return indentOf(d.lines[t.line]) + d.step(t.elem)
}

// step is how much deeper than its [[header]] the element indents its
// own keys ("" for a flat file, "  " as GitLab Runner writes it).
func (d *tomlDoc) step(elem int) string {
	for _, t := range d.tables {
		if t.array && t.elem == elem && len(t.path) == 1 && len(t.kvs) > 0 {
			header, key := indentOf(d.lines[t.line]), indentOf(d.lines[t.kvs[0].first])
			if rest, ok := strings.CutPrefix(key, header); ok {
				return rest
			}
		}
	}
	return "  "
}

// insertTable adds the header of the element's table at path right after
// its parent's keys, indented like them.
func (d *tomlDoc) insertTable(elem int, path []string, marker string) {
	parent := d.table(elem, path[:len(path)-1])
	at := parent.line + 1
	if len(parent.kvs) > 0 {
		at = parent.kvs[len(parent.kvs)-1].last + 1
	}
	header := d.keyIndent(parent) + "[" + d.dotted(path) + "]"
	if marker != "" {
		header += " " + marker
	}
	d.insert(at, header+d.eol)
}

// replace writes v as kv's value, keeping the key as written and what
// follows the value on its last line (a comment, the line break).
func (d *tomlDoc) replace(kv *tomlKV, v TOMLValue) {
	start := d.starts[kv.first]
	end := d.starts[kv.last] + len(d.lines[kv.last])
	line := string(d.data[start:kv.valueStart]) + v.TOML() + string(d.data[kv.end:end])
	d.lines = slices.Replace(d.lines, kv.first, kv.last+1, line)
}

// insert inserts lines (each ending with a line break) before index at.
// At the end of a file without a final newline, the last line gets one
// and the last inserted line goes without, so remove undoes it exactly.
func (d *tomlDoc) insert(at int, lines ...string) {
	if at == len(d.lines) && at > 0 && !strings.HasSuffix(d.lines[at-1], "\n") {
		d.lines[at-1] += d.eol
		lines[len(lines)-1] = strings.TrimSuffix(lines[len(lines)-1], d.eol)
	}
	d.lines = slices.Insert(d.lines, at, lines...)
}

// remove deletes lines first to last. When they end a file without a
// final newline, the line before them loses its line break.
func (d *tomlDoc) remove(first, last int) {
	endsFile := last == len(d.lines)-1 && !strings.HasSuffix(d.lines[last], "\n")
	d.lines = slices.Delete(d.lines, first, last+1)
	if endsFile && first > 0 {
		prev := d.lines[first-1]
		prev = strings.TrimSuffix(prev, "\n")
		d.lines[first-1] = strings.TrimSuffix(prev, "\r")
	}
}

func (d *tomlDoc) bytes() []byte { return []byte(strings.Join(d.lines, "")) }

// indentOf is the spaces and tabs a line starts with.
func indentOf(line string) string {
	return line[:len(line)-len(strings.TrimLeft(line, " \t"))]
}

// tomlKey writes a key bare when TOML allows it, quoted otherwise.
func tomlKey(k string) string {
	if k == "" {
		return `""`
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return tomlQuote(k)
		}
	}
	return k
}

// tomlQuote writes s as a TOML basic string.
func tomlQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\f':
			b.WriteString(`\f`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < 0x20 || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
