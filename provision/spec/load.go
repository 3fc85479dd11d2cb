package spec

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// SpecError is a problem in a spec file, located by line and column.
type SpecError struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string
}

// Error is "file:line:column: field: message".
func (e *SpecError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc += ":" + strconv.Itoa(e.Line)
		if e.Column > 0 {
			loc += ":" + strconv.Itoa(e.Column)
		}
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, e.Msg)
	}
	return fmt.Sprintf("%s: %s", loc, e.Msg)
}

// ErrInvalidSpec wraps every spec problem so callers can tell bad input
// from failures talking to AWS.
var ErrInvalidSpec = errors.New("invalid spec")

// SpecErrors is the list of problems in a spec; all are reported at once.
type SpecErrors []*SpecError

// Error lists the problems, one a line.
func (es SpecErrors) Error() string {
	var b strings.Builder
	for i, e := range es {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidSpec) true.
func (es SpecErrors) Is(target error) bool { return target == ErrInvalidSpec }

// Rules is what the spec loader learns from outside this package: the
// keys an access entry's write block may hold and the check of each entry
// (both the consumer registry's, provision/consumers). The zero Rules
// checks no write key and runs no extra check.
type Rules struct {
	// WriteKeys are the known write keys; any other is an unknown field,
	// reported with the decoding errors. Nil accepts every key.
	WriteKeys []string
	// Check runs on every access entry after its own fields are checked.
	Check AccessCheck
}

// Load reads, strictly decodes, defaults and validates a spec file with
// the given rules. Every problem is reported at once, as SpecErrors
// matching ErrInvalidSpec; a file that cannot be read is another error.
func Load(path string, r Rules) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	return Parse(path, data, r)
}

// Parse is Load on bytes already read; path is used in messages and to
// resolve relative paths.
func Parse(path string, data []byte, r Rules) (*Spec, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, SpecErrors{yamlError(path, err)}
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return nil, SpecErrors{{File: path, Line: 1, Msg: "the spec is empty"}}
	}
	if root.Content[0].Kind != yaml.MappingNode {
		n := root.Content[0]
		return nil, SpecErrors{{File: path, Line: n.Line, Column: n.Column, Msg: "the spec must be a mapping of fields (version, stack, bucket, access)"}}
	}
	var s Spec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	// Unknown write keys are unknown fields like any other: reported with
	// the decoding errors, in document order, and before validation.
	unknown := unknownWriteKeys(path, root.Content[0], r.WriteKeys)
	if err := dec.Decode(&s); err != nil {
		errs := decodeErrors(path, &root, err)
		var list SpecErrors
		if !errors.As(errs, &list) {
			return nil, errs
		}
		list = append(list, unknown...)
		sort.SliceStable(list, func(i, j int) bool { return list[i].Line < list[j].Line })
		return nil, list
	}
	if len(unknown) > 0 {
		return nil, unknown
	}
	s.File = path
	v := Validator{file: path, root: root.Content[0], seen: map[string]map[string]int{}}
	s.applyDefaults()
	var checks []AccessCheck
	if r.Check != nil {
		checks = append(checks, r.Check)
	}
	v.validate(&s, checks)
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	return &s, nil
}

var (
	lineRe      = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRe   = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	cannotRe    = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
	containerRe = regexp.MustCompile(`^cannot unmarshal !!(seq|map) into (\S+)$`)
	yamlPrefixR = regexp.MustCompile(`^yaml: (line (\d+): )?`)
)

func yamlError(path string, err error) *SpecError {
	msg := err.Error()
	line := 0
	if m := yamlPrefixR.FindStringSubmatch(msg); m != nil {
		if m[2] != "" {
			line, _ = strconv.Atoi(m[2])
		}
		msg = msg[len(m[0]):]
	}
	return &SpecError{File: path, Line: line, Msg: "not valid YAML: " + msg}
}

// decodeErrors turns yaml.v3's type errors into SpecErrors that name the
// field by its path in the spec (bucket.name, access[0].grant).
func decodeErrors(path string, root *yaml.Node, err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return SpecErrors{yamlError(path, err)}
	}
	var out SpecErrors
	for _, e := range te.Errors {
		m := lineRe.FindStringSubmatch(e)
		if m == nil {
			out = append(out, &SpecError{File: path, Msg: e})
			continue
		}
		line, _ := strconv.Atoi(m[1])
		field, col := fieldAtLine(root.Content[0], "", line)
		se := &SpecError{File: path, Line: line, Column: col, Field: field}
		switch {
		case unknownRe.MatchString(m[2]):
			um := unknownRe.FindStringSubmatch(m[2])
			se.Msg = fmt.Sprintf("unknown field %q", um[1])
		case cannotRe.MatchString(m[2]):
			cm := cannotRe.FindStringSubmatch(m[2])
			if v := valueAt(root.Content[0], field); v != nil && v.Line == line {
				se.Column = v.Column
			}
			se.Msg = fmt.Sprintf("expected %s, got %s %q", goTypeWords(cm[3]), yamlTagWords(cm[1]), cm[2])
		case containerRe.MatchString(m[2]):
			// A list or mapping where something else belongs: yaml.v3
			// names no value, so the field is the container on that line.
			cm := containerRe.FindStringSubmatch(m[2])
			kind := yaml.SequenceNode
			if cm[1] == "map" {
				kind = yaml.MappingNode
			}
			if f, c := containerAt(root.Content[0], "", line, kind); f != "" {
				se.Field, se.Column = f, c
			}
			se.Msg = fmt.Sprintf("expected %s, got %s", goTypeWords(cm[2]), yamlTagWords(cm[1]))
		default:
			se.Msg = m[2]
		}
		out = append(out, se)
	}
	return out
}

func goTypeWords(t string) string {
	switch {
	case t == "int":
		return "a whole number"
	case t == "bool" || t == "*bool":
		return "true or false"
	case t == "string":
		return "a string"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "spec."):
		return "a mapping"
	}
	return t
}

func yamlTagWords(tag string) string {
	switch tag {
	case "str":
		return "the string"
	case "int":
		return "the number"
	case "bool":
		return "the boolean"
	case "seq":
		return "a list"
	case "map":
		return "a mapping"
	}
	return tag
}

// fieldAtLine finds the deepest mapping key or sequence item on line and
// returns its path and column.
func fieldAtLine(n *yaml.Node, prefix string, line int) (string, int) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(prefix, k.Value)
			if f, c := fieldAtLine(v, p, line); f != "" {
				return f, c
			}
			if k.Line == line {
				return p, k.Column
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			p := fmt.Sprintf("%s[%d]", prefix, i)
			if f, col := fieldAtLine(c, p, line); f != "" {
				return f, col
			}
			if c.Line == line && c.Kind == yaml.ScalarNode {
				return p, c.Column
			}
		}
	}
	return "", 0
}

// valueAt returns the value node of a mapping key path such as
// "bucket.name" (sequence indexes are not needed for type errors on
// scalars, which are found by line first).
func valueAt(n *yaml.Node, path string) *yaml.Node {
	for _, key := range strings.Split(path, ".") {
		if i := strings.IndexByte(key, '['); i >= 0 {
			idx, err := strconv.Atoi(strings.TrimSuffix(key[i+1:], "]"))
			n = valueAt(n, key[:i])
			if n == nil || n.Kind != yaml.SequenceNode || err != nil || idx >= len(n.Content) {
				return nil
			}
			n = n.Content[idx]
			continue
		}
		if n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return n
}

func joinPath(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// containerAt finds the deepest list or mapping of the given kind that
// starts on line and is the value of a key or list item, and returns
// that key's path and the container's column.
func containerAt(n *yaml.Node, prefix string, line int, kind yaml.Kind) (string, int) {
	var children []struct {
		path string
		node *yaml.Node
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			children = append(children, struct {
				path string
				node *yaml.Node
			}{joinPath(prefix, n.Content[i].Value), n.Content[i+1]})
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			children = append(children, struct {
				path string
				node *yaml.Node
			}{fmt.Sprintf("%s[%d]", prefix, i), c})
		}
	}
	for _, c := range children {
		if f, col := containerAt(c.node, c.path, line, kind); f != "" {
			return f, col
		}
		if c.node.Kind == kind && c.node.Line == line {
			return c.path, c.node.Column
		}
	}
	return "", 0
}

// unknownWriteKeys reports, at the key, every write key of every access
// entry that is not in known (nothing when known is nil).
func unknownWriteKeys(path string, root *yaml.Node, known []string) SpecErrors {
	if known == nil {
		return nil
	}
	var out SpecErrors
	access := valueAt(root, "access")
	if access == nil || access.Kind != yaml.SequenceNode {
		return nil
	}
	for i, entry := range access.Content {
		write := valueAt(entry, "write")
		if write == nil || write.Kind != yaml.MappingNode {
			continue
		}
		for j := 0; j+1 < len(write.Content); j += 2 {
			k := write.Content[j]
			if !slices.Contains(known, k.Value) {
				out = append(out, &SpecError{File: path, Line: k.Line, Column: k.Column,
					Field: fmt.Sprintf("access[%d].write.%s", i, k.Value), Msg: fmt.Sprintf("unknown field %q", k.Value)})
			}
		}
	}
	return out
}
