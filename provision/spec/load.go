package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/awsboot/awsboot/provision/localfile"
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
	// Values are cut where messages are made; this only keeps a
	// message that slipped through to a readable length.
	msg := clip(e.Msg, maxMessage)
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", loc, e.Field, msg)
	}
	return fmt.Sprintf("%s: %s", loc, msg)
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

// MaxFileSize is the largest spec file awsboot reads: a spec is a few
// dozen lines, so anything near this size is a mistake (the wrong file,
// or generated input), and it is refused before it is read.
const MaxFileSize = 1 << 20

// Load reads, strictly decodes, defaults and validates a spec file with
// the given rules. Every problem is reported at once, as SpecErrors
// matching ErrInvalidSpec; a file that cannot be read (missing, a
// directory, a named pipe or a device) is another error. A file over
// MaxFileSize is refused from its size, without reading it.
func Load(path string, r Rules) (*Spec, error) {
	data, err := readSpec(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, r)
}

// readSpec reads a regular file of at most MaxFileSize bytes. The file
// is opened without blocking (opening a named pipe would otherwise wait
// for a writer) and checked through the open descriptor, so what is
// read is what was checked.
func readSpec(path string) ([]byte, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	switch m := fi.Mode(); {
	case m.IsDir():
		return nil, fmt.Errorf("reading spec: %s is a directory, not a spec file", path)
	case m&os.ModeNamedPipe != 0:
		return nil, fmt.Errorf("reading spec: %s is a named pipe, not a regular file: awsboot reads a spec only from a file", path)
	case !m.IsRegular():
		return nil, fmt.Errorf("reading spec: %s is not a regular file (%s): awsboot reads a spec only from a file", path, localfile.FileKind(m))
	}
	if fi.Size() > MaxFileSize {
		return nil, SpecErrors{tooLarge(path, fi.Size())}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	return data, nil
}

func tooLarge(path string, size int64) *SpecError {
	return &SpecError{File: path, Msg: fmt.Sprintf("the file is %s bytes; a spec is at most 1 MiB (%s bytes): is this the right file?",
		thousands(int(size)), thousands(MaxFileSize))}
}

// Parse is Load on bytes already read; path is used in messages and to
// resolve relative paths.
func Parse(path string, data []byte, r Rules) (*Spec, error) {
	if len(data) > MaxFileSize {
		return nil, SpecErrors{tooLarge(path, int64(len(data)))}
	}
	if e := encodingProblem(path, data); e != nil {
		return nil, SpecErrors{e}
	}
	root, errs := document(path, data)
	if len(errs) > 0 {
		return nil, errs
	}
	var s Spec
	d := decoder{p: newProblems(path), writeKeys: r.WriteKeys, budget: maxNodes}
	d.decode(root, reflect.ValueOf(&s).Elem(), nil, false)
	if len(d.p.list) > 0 {
		// In document order, which aliases and merge keys can change.
		sort.SliceStable(d.p.list, func(i, j int) bool {
			a, b := d.p.list[i], d.p.list[j]
			return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
		})
		return nil, d.p.result()
	}
	s.File = path
	v := Validator{file: path, root: root, seen: map[string]map[string]int{}, p: newProblems(path)}
	s.applyDefaults()
	var checks []AccessCheck
	if r.Check != nil {
		checks = append(checks, r.Check)
	}
	v.validate(&s, checks)
	if list := v.p.result(); len(list) > 0 {
		return nil, list
	}
	return &s, nil
}

// document parses the one YAML document of a spec and returns its
// top-level mapping. A second document, an empty one, or anything but a
// mapping at the top is an error.
func document(path string, data []byte) (*yaml.Node, SpecErrors) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, SpecErrors{{File: path, Line: 1, Msg: "the spec is empty"}}
		}
		return nil, SpecErrors{yamlError(path, err)}
	}
	var errs SpecErrors
	var top *yaml.Node
	switch n := doc.Content[0]; {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null":
		errs = append(errs, &SpecError{File: path, Line: doc.Line, Msg: "the spec is empty"})
	case n.Kind != yaml.MappingNode:
		errs = append(errs, &SpecError{File: path, Line: n.Line, Column: n.Column, Msg: "the spec must be a mapping of fields (version, stack, bucket, access)"})
	default:
		top = n
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case errors.Is(err, io.EOF):
	case err != nil:
		errs = append(errs, yamlError(path, err))
	default:
		errs = append(errs, &SpecError{File: path, Line: next.Line, Column: next.Column,
			Msg: "a second YAML document starts here: a spec file holds one document (remove this --- and what follows it)"})
	}
	return top, errs
}

var yamlPrefixR = regexp.MustCompile(`^yaml: (line (\d+): )?`)

func yamlError(path string, err error) *SpecError {
	msg := err.Error()
	line := 0
	if m := yamlPrefixR.FindStringSubmatch(msg); m != nil {
		if m[2] != "" {
			line, _ = strconv.Atoi(m[2])
		}
		msg = msg[len(m[0]):]
	}
	return &SpecError{File: path, Line: line, Msg: "not valid YAML: " + clip(msg, maxMessage)}
}

// encodingProblem finds the first byte that is not UTF-8 and the first
// character YAML does not allow (yaml.v3 reports both without a line),
// and locates it by line and column as yaml.v3 counts them.
func encodingProblem(path string, data []byte) *SpecError {
	line, col := 1, 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return &SpecError{File: path, Line: line, Column: col,
				Msg: fmt.Sprintf("not UTF-8 text (byte 0x%02x): save the spec as UTF-8", data[i])}
		case !yamlPrintable(r) && !(i == 0 && r == '\uFEFF'):
			return &SpecError{File: path, Line: line, Column: col,
				Msg: fmt.Sprintf("not valid YAML: the control character %U is not allowed in a YAML file", r)}
		}
		i += size
		switch {
		case r == '\r' && i < len(data) && data[i] == '\n':
			col++
		case r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			line, col = line+1, 1
		default:
			col++
		}
	}
	return nil
}

// yamlPrintable is YAML's set of characters allowed in a stream
// (yaml.v3's reader refuses every other).
func yamlPrintable(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || r >= 0x20 && r <= 0x7E || r == 0x85 ||
		r >= 0xA0 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF
}
