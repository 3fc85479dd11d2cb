package spec

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// decoder fills a Spec from the YAML tree, guided by the Go types of
// types.go and their yaml tags. It does what yaml.v3's strict Decode
// does (unknown fields, repeated keys and wrong types are errors) but
// reports each problem at its node, with its field path and in plain
// words, and it stays linear in the size of the file: yaml.v3 checks
// repeated keys in quadratic time and expands aliases without a bound
// on the values they make.
//
// Scalars are converted by yaml.v3 itself (Node.Decode), so true, yes,
// 0x10 and quoted strings mean what they mean in yaml.v3, with two
// exceptions: a decimal number is never cut to a whole number (1.5 is
// not 1), and !!binary is not text.
type decoder struct {
	p         *problems
	writeKeys []string
	// budget is how many more nodes may be visited, aliases counted
	// each time they are used; over is set when it runs out.
	budget int
	over   bool
	// inside holds the anchored nodes being decoded: an alias to one of
	// them (an anchor that contains itself) would never end.
	inside map[*yaml.Node]bool
}

// maxNodes bounds the values a spec may expand to. A file of MaxFileSize
// bytes holds fewer nodes (each takes at least two bytes), so only
// aliases used over and over reach it.
const maxNodes = 1_000_000

var writeType = reflect.TypeOf(Write{})

// spend counts one node visited; false once the budget is gone.
func (d *decoder) spend(n *yaml.Node) bool {
	if d.over {
		return false
	}
	d.budget--
	if d.budget < 0 {
		d.over = true
		d.p.add("", fmt.Sprintf("the spec expands to more than %s values through YAML aliases (*name): write the values out, or use fewer aliases", thousands(maxNodes)),
			func() (int, int) { return n.Line, n.Column })
		return false
	}
	return true
}

// resolve follows aliases to the node they name. An alias to a node
// that is being decoded is reported, and resolves to nil.
func (d *decoder) resolve(n *yaml.Node, path []any) *yaml.Node {
	alias := n
	for n.Kind == yaml.AliasNode && n.Alias != nil && d.spend(n) {
		n = n.Alias
	}
	if alias != n && d.inside[n] {
		d.errorf(alias, path, "the alias *%s is inside the value it names, which would never end", clip(alias.Value, quoteLimit))
		return nil
	}
	return n
}

// enter marks an anchored node as being decoded until leave is called.
func (d *decoder) enter(n *yaml.Node) (leave func()) {
	if n.Anchor == "" || d.inside[n] {
		return func() {}
	}
	if d.inside == nil {
		d.inside = map[*yaml.Node]bool{}
	}
	d.inside[n] = true
	return func() { delete(d.inside, n) }
}

func (d *decoder) errorf(n *yaml.Node, path []any, format string, args ...any) {
	d.p.add(pathString(path), fmt.Sprintf(format, args...), func() (int, int) { return n.Line, n.Column })
}

// sub is path with one more key or index, never sharing path's array.
func sub(path []any, p any) []any {
	return append(slices.Clip(path), p)
}

// decode fills v from n; multiline allows line breaks and tabs in text.
func (d *decoder) decode(n *yaml.Node, v reflect.Value, path []any, multiline bool) {
	if !d.spend(n) {
		return
	}
	if n = d.resolve(n, path); n == nil || d.over || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // null leaves the zero value, as in yaml.v3
	}
	defer d.enter(n)()
	t := v.Type()
	switch t.Kind() {
	case reflect.Pointer:
		e := reflect.New(t.Elem())
		d.decode(n, e.Elem(), path, multiline)
		v.Set(e)
	case reflect.Struct:
		d.structure(n, v, path)
	case reflect.Map:
		d.mapping(n, v, path)
	case reflect.Slice:
		d.sequence(n, v, path, multiline)
	default:
		d.scalar(n, v, path, multiline)
	}
}

type field struct {
	index     int
	multiline bool
}

var fieldCache sync.Map // reflect.Type -> map[string]field

// fieldsOf maps the yaml names of a struct's fields to the fields; the
// tag spec:"multiline" marks free text that may span lines.
func fieldsOf(t reflect.Type) map[string]field {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]field)
	}
	out := map[string]field{}
	for i := range t.NumField() {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if name == "-" || !sf.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(sf.Name)
		}
		out[name] = field{index: i, multiline: sf.Tag.Get("spec") == "multiline"}
	}
	fieldCache.Store(t, out)
	return out
}

func (d *decoder) structure(n *yaml.Node, v reflect.Value, path []any) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, path, "a mapping")
		return
	}
	fields := fieldsOf(v.Type())
	for _, kv := range d.pairs(n, path) {
		name := kv.key
		f, ok := fields[name]
		if !ok {
			d.errorf(kv.keyNode, sub(path, name), "unknown field %s", quote(name))
			continue
		}
		d.decode(kv.value, v.Field(f.index), sub(path, name), f.multiline)
	}
}

func (d *decoder) mapping(n *yaml.Node, v reflect.Value, path []any) {
	if n.Kind != yaml.MappingNode {
		d.wrongKind(n, path, "a mapping")
		return
	}
	t := v.Type()
	m := reflect.MakeMap(t)
	for _, kv := range d.pairs(n, path) {
		kp := sub(path, kv.key)
		if t == writeType && d.writeKeys != nil && !slices.Contains(d.writeKeys, kv.key) {
			d.errorf(kv.keyNode, kp, "unknown field %s", quote(kv.key))
			continue
		}
		if msg := controlProblem(kv.key, false); msg != "" {
			d.errorf(kv.keyNode, kp, "the key %s %s", quote(kv.key), msg)
			continue
		}
		e := reflect.New(t.Elem()).Elem()
		d.decode(kv.value, e, kp, false)
		m.SetMapIndex(reflect.ValueOf(kv.key).Convert(t.Key()), e)
	}
	v.Set(m)
}

func (d *decoder) sequence(n *yaml.Node, v reflect.Value, path []any, multiline bool) {
	if n.Kind != yaml.SequenceNode {
		d.wrongKind(n, path, "a list")
		return
	}
	t := v.Type()
	s := reflect.MakeSlice(t, 0, len(n.Content))
	for i, c := range n.Content {
		e := reflect.New(t.Elem()).Elem()
		d.decode(c, e, sub(path, i), multiline)
		if d.over {
			return
		}
		s = reflect.Append(s, e)
	}
	v.Set(s)
}

// wholeRe is a number yaml.v3 reads as a decimal only because it does
// not fit 64 bits.
var wholeRe = regexp.MustCompile(`^[-+]?[0-9][0-9_]*$`)

func (d *decoder) scalar(n *yaml.Node, v reflect.Value, path []any, multiline bool) {
	want := typeWords(v.Type())
	if n.Kind != yaml.ScalarNode {
		d.wrongKind(n, path, want)
		return
	}
	tag := n.ShortTag()
	switch v.Kind() {
	case reflect.String:
		var s string
		if tag == "!!binary" || n.Decode(&s) != nil {
			d.wrongKind(n, path, want)
			return
		}
		if msg := controlProblem(s, multiline); msg != "" {
			d.errorf(n, path, "%s %s", quote(s), msg)
			return
		}
		v.SetString(s)
	case reflect.Int:
		var i int64
		switch {
		case tag == "!!int" && n.Decode(&i) == nil && !v.OverflowInt(i):
			v.SetInt(i)
		case tag == "!!int" || tag == "!!float" && wholeRe.MatchString(n.Value):
			d.errorf(n, path, "%s is too large a number", quote(n.Value))
		case tag == "!!float":
			d.errorf(n, path, "expected a whole number, got the decimal number %s", quote(n.Value))
		default:
			d.wrongKind(n, path, want)
		}
	case reflect.Bool:
		var b bool
		if n.Decode(&b) != nil {
			d.wrongKind(n, path, want)
			return
		}
		v.SetBool(b)
	default:
		// types.go holds no other kind of field.
		d.errorf(n, path, "awsboot cannot read this field (a bug in awsboot)")
	}
}

func (d *decoder) wrongKind(n *yaml.Node, path []any, want string) {
	d.errorf(n, path, "expected %s, got %s", want, nodeWords(n))
}

// typeWords says in plain words what a Go type of the spec holds.
func typeWords(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping"
	}
	return "another kind of value"
}

// nodeWords says in plain words what a YAML node is, quoting a scalar's
// value (cut to a readable length).
func nodeWords(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	switch tag := n.ShortTag(); tag {
	case "!!str":
		return "the string " + quote(n.Value)
	case "!!int":
		return "the number " + quote(n.Value)
	case "!!float":
		return "the decimal number " + quote(n.Value)
	case "!!bool":
		return "the boolean " + quote(n.Value)
	case "!!null":
		return "nothing"
	case "!!timestamp":
		return "the date " + quote(n.Value)
	case "!!binary":
		return "binary data (!!binary)"
	default:
		return "the value tagged " + quote(tag)
	}
}

type pair struct {
	key     string
	keyNode *yaml.Node
	value   *yaml.Node
}

// pairs lists a mapping's keys and values, with the keys of merged
// mappings (<<: *base) that the mapping does not set itself. A key set
// twice, or a key that is not a scalar, is reported.
func (d *decoder) pairs(n *yaml.Node, path []any) []pair {
	var own, merged []pair
	var merges []*yaml.Node
	first := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content) && d.spend(n); i += 2 {
		k, val := d.resolve(n.Content[i], path), n.Content[i+1]
		switch {
		case k == nil:
			continue
		case k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge":
			merges = append(merges, val)
			continue
		case k.Kind != yaml.ScalarNode:
			d.errorf(k, path, "a key must be a name, got %s", nodeWords(k))
			continue
		}
		key := k.Value
		if k.ShortTag() == "!!null" {
			key = ""
		}
		if prev, dup := first[key]; dup {
			d.errorf(k, sub(path, key), "is set twice in this mapping (first on line %d)", prev.Line)
			continue
		}
		first[key] = k
		own = append(own, pair{key, k, val})
	}
	for _, m := range merges {
		if m = d.resolve(m, path); m == nil {
			continue
		}
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			if src = d.resolve(src, path); src == nil {
				continue
			}
			if src.Kind != yaml.MappingNode {
				d.errorf(src, path, "<< merges a mapping or a list of mappings, got %s", nodeWords(src))
				continue
			}
			leave := d.enter(src)
			for _, kv := range d.pairs(src, path) {
				if _, set := first[kv.key]; !set {
					first[kv.key] = kv.keyNode
					merged = append(merged, kv)
				}
			}
			leave()
		}
	}
	return append(merged, own...)
}
