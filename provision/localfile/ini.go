package localfile

import (
	"slices"
	"strings"
)

// INI is a line-preserving editor for the AWS shared config and credentials
// files. It keeps the file as a list of lines and changes only the lines that
// an edit touches, so Bytes returns the input byte for byte when nothing was
// changed.
//
// The syntax understood is the one of the AWS CLI (Python's configparser):
//
//   - A header line is "[name]", optionally surrounded by whitespace and
//     followed by a "#" or ";" comment. Whitespace inside the brackets is
//     normalised, so "[ profile  dev ]" is the section "profile dev".
//   - A key line is "key = value" (or "key: value"); key and value are
//     trimmed. Keys are matched case-insensitively, as the AWS tools do.
//   - A line whose first non-blank character is "#" or ";" is a comment.
//   - A line indented deeper than the key line above it (blank and comment
//     lines in between are skipped) belongs to that key: after "s3 =" such
//     lines form a nested sub-section ("  addressing_style = path"), after a
//     non-empty value they continue it. They are never top-level keys.
//
// Lines before the first header (section "") are never read or changed, and
// the empty section name never matches. When a file holds the same section
// twice, every method works on the first one, which is the one the AWS SDKs
// read first.
//
// Keys, values, section names and comments passed to INI must be single
// line: line breaks in them are replaced by spaces so that a value can never
// inject lines into the file.
//
// The file is held section by section, with an index of the sections by
// name, so that finding a section costs the same in a file of 400 profiles
// as in a file of one, and an edit reworks only the lines of its own
// section: awsboot reads and edits one profile per access entry, and a
// whole-file scan per read or edit made a run quadratic in the entries.
// Only Bytes, and the line numbers HeaderLines and KeyLines report, walk
// the whole file.
//
// The read methods may be called concurrently (a plan's resources share
// one parsed file); an edit must not run concurrently with anything else.
type INI struct {
	// head holds the lines before the first header; it is never indexed
	// and always the first element of the list of sections.
	head *iniSection
	tail *iniSection // the last section (head when there is none)
	// byName lists the sections of each (normalised) name in file order.
	byName map[string][]*iniSection
	eol    string // line ending for new lines: the one of the first line
}

// iniSection is a header line and every line up to the next header: its
// body, then the blank and comment lines directly before the next header,
// which belong to the next section (see end).
type iniSection struct {
	name  string    // normalised; "" for the lines before the first header
	lines []string  // each with its "\n" or "\r\n"; only the file's last may lack one
	info  []iniLine // the meaning of each line
	prev  *iniSection
	next  *iniSection
}

// ParseINI returns an editor for the content data. It never fails: lines it
// does not understand are kept as they are.
func ParseINI(data []byte) *INI {
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	eol := "\n"
	if len(lines) > 0 && strings.HasSuffix(lines[0], "\r\n") {
		eol = "\r\n"
	}
	f := &INI{head: &iniSection{}, byName: map[string][]*iniSection{}, eol: eol}
	f.tail = f.head
	cur, from := f.head, 0
	for i, raw := range lines {
		name, ok := headerLine(raw)
		if !ok {
			continue
		}
		cur.setLines(lines[from:i:i])
		cur = f.link(name)
		from = i
	}
	cur.setLines(lines[from:len(lines):len(lines)])
	return f
}

// link appends an empty section called name (normalised) to the list and
// the index, and returns it.
func (f *INI) link(name string) *iniSection {
	s := &iniSection{name: name, prev: f.tail}
	f.tail.next, f.tail = s, s
	f.byName[name] = append(f.byName[name], s)
	return s
}

// setLines replaces the section's lines and works out their meaning again.
func (s *iniSection) setLines(lines []string) {
	s.lines = lines
	s.classify()
}

// Bytes returns the current content.
func (f *INI) Bytes() []byte {
	n := 0
	for s := f.head; s != nil; s = s.next {
		for _, l := range s.lines {
			n += len(l)
		}
	}
	out := make([]byte, 0, n)
	for s := f.head; s != nil; s = s.next {
		for _, l := range s.lines {
			out = append(out, l...)
		}
	}
	return out
}

// HasBOM reports whether the content starts with a UTF-8 byte order mark,
// after which the AWS SDK for Go reads nothing of the file.
func (f *INI) HasBOM() bool {
	return len(f.head.lines) > 0 && strings.HasPrefix(f.head.lines[0], "\xef\xbb\xbf")
}

// ConfigSectionName returns the section name of profile in the AWS config
// file: "default" for the default profile, "profile NAME" for the others. The
// credentials file uses the bare profile name.
func ConfigSectionName(profile string) string {
	if profile == "default" {
		return "default"
	}
	return "profile " + profile
}

// find returns the first section called name, or nil.
func (f *INI) find(name string) *iniSection {
	name = normalizeSection(name)
	if name == "" {
		return nil
	}
	if all := f.byName[name]; len(all) > 0 {
		return all[0]
	}
	return nil
}

// end is the end of the section's body: the next header, less the blank
// and comment lines directly before it. The last section's body runs to
// the end of the file.
func (s *iniSection) end() int {
	end := len(s.lines)
	if s.next != nil {
		for end > 1 && (s.info[end-1].kind == kindBlank || s.info[end-1].kind == kindComment) {
			end--
		}
	}
	return end
}

// firstLine returns the line number (from 0) of the section's first line.
// It walks the file: only messages and tests need line numbers.
func (f *INI) firstLine(target *iniSection) int {
	n := 0
	for s := f.head; s != target; s = s.next {
		n += len(s.lines)
	}
	return n
}

// HeaderLines returns the line numbers (from 1) of every header of the
// section called name, in file order: more than one means the file
// defines the section twice, which the AWS SDKs merge (later keys win).
// Defined says how many there are without walking the file.
func (f *INI) HeaderLines(name string) []int {
	var out []int
	for _, s := range f.byName[normalizeSection(name)] {
		if s.name != "" {
			out = append(out, f.firstLine(s)+1)
		}
	}
	return out
}

// Defined returns how many headers define the section called name: more
// than one means the AWS SDKs merge them (later keys win).
func (f *INI) Defined(name string) int {
	name = normalizeSection(name)
	if name == "" {
		return 0
	}
	return len(f.byName[name])
}

// HasSection reports whether the file holds a section called name.
func (f *INI) HasSection(name string) bool { return f.find(name) != nil }

// Get returns the value of the top-level key in section as the AWS SDK
// for Go reads it (aws-sdk-go-v2/config/internal/ini): an inline comment
// after " #", " ;", "\t#" or "\t;" is cut off, and one pair of wrapping
// single or double quotes is removed. Nested sub-section keys are not
// top-level keys; a key that opens a nested sub-section has the empty
// value. With the key more than once, the first is returned (KeyLines
// finds the others).
func (f *INI) Get(section, key string) (string, bool) {
	s := f.find(section)
	if s == nil {
		return "", false
	}
	i := findKey(s.info, 1, s.end(), key)
	if i < 0 {
		return "", false
	}
	return sdkValue(s.info[i].value, true), true
}

// KeyLines returns the line numbers (from 1) of every top-level line of
// key in section: more than one means the SDK reads the last.
func (f *INI) KeyLines(section, key string) []int {
	s := f.find(section)
	if s == nil {
		return nil
	}
	var out []int
	for i, end := 1, s.end(); i < end; i++ {
		if s.info[i].kind == kindKey && strings.EqualFold(s.info[i].key, key) {
			out = append(out, i)
		}
	}
	if len(out) > 0 {
		first := f.firstLine(s) + 1
		for i := range out {
			out[i] += first
		}
	}
	return out
}

// RepeatedKey returns the first top-level key of section, in file order
// and spelled as there, that the section sets more than once (the AWS SDK
// for Go uses the last); ok is false when no key repeats.
func (f *INI) RepeatedKey(section string) (key string, ok bool) {
	s := f.find(section)
	if s == nil {
		return "", false
	}
	end := s.end()
	first := map[string]int{} // lower-case key -> its first line in the section
	repeated := -1
	for i := 1; i < end; i++ {
		if s.info[i].kind != kindKey {
			continue
		}
		lk := strings.ToLower(s.info[i].key)
		if j, seen := first[lk]; !seen {
			first[lk] = i
		} else if repeated < 0 || j < repeated {
			repeated = j
		}
	}
	if repeated < 0 {
		return "", false
	}
	return s.info[repeated].key, true
}

// sdkValue is a value as the AWS SDK for Go's legacy INI rules read it:
// top-level values lose an inline comment, every value loses one pair of
// wrapping quotes.
func sdkValue(v string, top bool) string {
	if top {
		for _, sep := range []string{" #", " ;", "\t#", "\t;"} {
			v, _, _ = strings.Cut(v, sep)
		}
		v = strings.TrimRight(v, " \t")
	}
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		v = v[1 : len(v)-1]
	}
	return v
}

// GetNested returns the value of subkey in the nested sub-section key of
// section, such as addressing_style in "s3 =\n  addressing_style = path".
func (f *INI) GetNested(section, key, subkey string) (string, bool) {
	s := f.find(section)
	if s == nil {
		return "", false
	}
	parent := findKey(s.info, 1, s.end(), key)
	if parent < 0 || s.info[parent].value != "" {
		return "", false
	}
	for _, i := range subLines(s.info, parent) {
		if strings.EqualFold(s.info[i].key, subkey) {
			return sdkValue(s.info[i].value, false), true
		}
	}
	return "", false
}

// Keys returns the top-level keys of section in file order, spelled as in
// the file.
func (f *INI) Keys(section string) []string {
	s := f.find(section)
	if s == nil {
		return nil
	}
	var keys []string
	for i, end := 1, s.end(); i < end; i++ {
		if s.info[i].kind == kindKey {
			keys = append(keys, s.info[i].key)
		}
	}
	return keys
}

// Comments returns the comment lines of section, trimmed and including
// their leading "#" or ";". Comment lines directly before the next header
// belong to the next section.
func (f *INI) Comments(section string) []string {
	s := f.find(section)
	if s == nil {
		return nil
	}
	var comments []string
	for i, end := 1, s.end(); i < end; i++ {
		if s.info[i].kind == kindComment {
			comments = append(comments, strings.TrimSpace(s.lines[i]))
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
func (f *INI) Set(section, key, value string) {
	section, key, value = oneLine(section), oneLine(key), oneLine(value)
	f.AppendSection(section)
	s := f.find(section)
	if s == nil {
		return
	}
	if i := findKey(s.info, 1, s.end(), key); i >= 0 {
		if s.info[i].value != value || len(subLines(s.info, i)) > 0 {
			s.replaceKeyLine(i, value)
		}
		return
	}
	f.insert(s, lastNonBlank(s.info, s.end())+1, key+" = "+value+f.eol)
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
func (f *INI) SetNested(section, key, subkey, value string) {
	section, key, subkey, value = oneLine(section), oneLine(key), oneLine(subkey), oneLine(value)
	f.AppendSection(section)
	s := f.find(section)
	if s == nil {
		return
	}
	parent := findKey(s.info, 1, s.end(), key)
	if parent < 0 {
		f.insert(s, lastNonBlank(s.info, s.end())+1,
			key+" ="+f.eol,
			"    "+subkey+" = "+value+f.eol)
		return
	}
	if s.info[parent].value != "" {
		s.replaceKeyLine(parent, "")
	}
	subs := subLines(s.info, parent)
	for _, i := range subs {
		if strings.EqualFold(s.info[i].key, subkey) {
			if s.info[i].value != value {
				s.lines[i] = s.info[i].indent + s.info[i].key + " = " + value + lineEnding(s.lines[i])
				s.classify()
			}
			return
		}
	}
	indent := s.info[parent].indent + "    "
	at := parent + 1
	if len(subs) > 0 {
		indent = s.info[subs[0]].indent
		at = subs[len(subs)-1] + 1
	}
	f.insert(s, at, indent+subkey+" = "+value+f.eol)
}

// AddComment inserts the comment line directly after the header of section,
// appending the section first when it is missing. A comment that does not
// start with "#" or ";" gets a "# " prefix. Nothing is added when the
// section already holds the same comment line, so an ownership marker such
// as "# managed by awsboot: stack=semaphore-cache" is written only once.
func (f *INI) AddComment(section, comment string) {
	section, comment = oneLine(section), strings.TrimSpace(oneLine(comment))
	if !strings.HasPrefix(comment, "#") && !strings.HasPrefix(comment, ";") {
		comment = "# " + comment
	}
	if slices.Contains(f.Comments(section), comment) {
		return
	}
	f.AppendSection(section)
	if s := f.find(section); s != nil {
		f.insert(s, 1, comment+f.eol)
	}
}

// SetComment makes comment the section's one comment line starting with
// prefix: an existing such line is rewritten in place (left untouched when
// equal), further ones are removed, and a missing one is inserted as
// AddComment does. Prefix and comment are compared after trimming.
func (f *INI) SetComment(section, prefix, comment string) {
	section, prefix, comment = oneLine(section), strings.TrimSpace(oneLine(prefix)), strings.TrimSpace(oneLine(comment))
	s := f.find(section)
	if s == nil {
		f.AddComment(section, comment)
		return
	}
	lines, found := slices.Clone(s.lines), false
	for i := s.end() - 1; i >= 1; i-- {
		if s.info[i].kind != kindComment || !strings.HasPrefix(strings.TrimSpace(lines[i]), prefix) {
			continue
		}
		if !found && i == firstCommentWith(s, prefix) {
			found = true
			if strings.TrimSpace(lines[i]) != comment {
				lines[i] = comment + lineEnding(lines[i])
			}
			continue
		}
		lines = slices.Delete(lines, i, i+1)
	}
	if !slices.Equal(lines, s.lines) {
		s.setLines(lines)
	}
	if !found {
		f.AddComment(section, comment)
	}
}

// firstCommentWith is the index of the section's first comment line
// starting with prefix, -1 when none.
func firstCommentWith(s *iniSection, prefix string) int {
	for i, end := 1, s.end(); i < end; i++ {
		if s.info[i].kind == kindComment && strings.HasPrefix(strings.TrimSpace(s.lines[i]), prefix) {
			return i
		}
	}
	return -1
}

// AppendSection appends an empty section called name at the end of the file
// and reports whether it did; it does nothing when the section exists. When
// the content is not empty, a missing final newline is added first and the
// new header is separated from the content by one blank line. A name that
// would not read back as that section (empty, or holding "]") is not
// appended.
func (f *INI) AppendSection(name string) bool {
	name = oneLine(name)
	header := "[" + name + "]"
	if got, ok := parseHeader(strings.TrimSpace(header)); !ok || got == "" || got != normalizeSection(name) || f.HasSection(name) {
		return false
	}
	if last := f.tail; f.tail != f.head || len(f.head.lines) > 0 {
		lines := last.lines
		if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
			lines[n-1] += f.eol
		}
		last.setLines(append(lines, f.eol))
	}
	f.link(normalizeSection(name)).setLines([]string{header + f.eol})
	return true
}

// RemoveSection removes the section called name and reports whether it
// existed. It removes the header and every line up to the next header,
// except the blank and comment lines directly before the next header, which
// belong to that section. When the removed section is the last one, the
// blank line directly before its header (if any) is removed too. So removing
// a section that AppendSection (or Set) appended gives back the previous
// content byte for byte, provided it was empty or ended with a newline.
func (f *INI) RemoveSection(name string) bool {
	s := f.find(name)
	if s == nil {
		return false
	}
	prev := s.prev
	if s.next == nil {
		if n := len(prev.lines); n > 0 && prev.info[n-1].kind == kindBlank {
			prev.setLines(prev.lines[: n-1 : n-1])
		}
		prev.next, f.tail = nil, prev
	} else {
		// The lines before the next header stay, now after prev's.
		if end := s.end(); end < len(s.lines) {
			prev.setLines(append(slices.Clip(prev.lines), s.lines[end:]...))
		}
		prev.next, s.next.prev = s.next, prev
	}
	all := f.byName[s.name]
	if len(all) == 1 {
		delete(f.byName, s.name)
	} else {
		f.byName[s.name] = all[1:]
	}
	return true
}

// lineKind says what a line of an INI file is.
type lineKind int

const (
	kindBlank   lineKind = iota
	kindComment          // "# ..." or "; ..."
	kindHeader           // "[name]"
	kindKey              // top-level "key = value"
	kindSub              // line belonging to the key line above (nested or continuation)
	kindOther            // anything else
)

// iniLine is the meaning of one line.
type iniLine struct {
	kind   lineKind
	name   string // section name of a header
	key    string // key of a key or sub line, as spelled in the file
	value  string // value of a key or sub line
	indent string // leading whitespace
	parent int    // for sub lines: index of the key line they belong to
}

// classify works out the meaning of every line of the section. A header
// ends the key lines above it, so a section's lines mean the same whatever
// comes before it, and an edit only redoes its own section.
func (s *iniSection) classify() { s.info = classifyLines(s.lines) }

// classifyLines works out the meaning of each line: blank, comment,
// header, key, sub-key of the key line above (indented deeper), or other.
func classifyLines(lines []string) []iniLine {
	info := make([]iniLine, len(lines))
	parent := -1 // current top-level key line, or -1
	for i, raw := range lines {
		text := strings.TrimRight(raw, "\r\n")
		trimmed := strings.TrimSpace(text)
		indent := text[:len(text)-len(strings.TrimLeft(text, " \t"))]
		l := iniLine{indent: indent, parent: -1}
		switch name, isHeader := parseHeader(trimmed); {
		case trimmed == "":
			l.kind = kindBlank
		case trimmed[0] == '#' || trimmed[0] == ';':
			l.kind = kindComment
		case isHeader:
			l.kind, l.name = kindHeader, name
			parent = -1
		case parent >= 0 && len(indent) > len(info[parent].indent):
			l.kind, l.parent = kindSub, parent
			l.key, l.value, _ = splitKeyValue(trimmed)
		default:
			var ok bool
			l.key, l.value, ok = splitKeyValue(trimmed)
			if ok {
				l.kind = kindKey
				parent = i
			} else {
				l.kind = kindOther
				parent = -1
			}
		}
		info[i] = l
	}
	return info
}

// headerLine returns the section name of a raw line when it is a header,
// as classify decides.
func headerLine(raw string) (string, bool) {
	trimmed := strings.TrimSpace(strings.TrimRight(raw, "\r\n"))
	if trimmed == "" || trimmed[0] == '#' || trimmed[0] == ';' {
		return "", false
	}
	return parseHeader(trimmed)
}

// parseHeader parses a trimmed "[name]" line, allowing a trailing comment.
func parseHeader(trimmed string) (string, bool) {
	if !strings.HasPrefix(trimmed, "[") {
		return "", false
	}
	name, rest, ok := strings.Cut(trimmed[1:], "]")
	rest = strings.TrimSpace(rest)
	if !ok || rest != "" && rest[0] != '#' && rest[0] != ';' {
		return "", false
	}
	return normalizeSection(name), true
}

// normalizeSection trims a section name and collapses inner whitespace.
func normalizeSection(name string) string {
	return strings.Join(strings.Fields(name), " ")
}

// splitKeyValue splits a trimmed "key = value" or "key: value" line at its
// first delimiter, like configparser does.
func splitKeyValue(trimmed string) (key, value string, ok bool) {
	i := strings.IndexAny(trimmed, "=:")
	if i <= 0 {
		return "", "", false
	}
	key = strings.TrimSpace(trimmed[:i])
	return key, strings.TrimSpace(trimmed[i+1:]), key != ""
}

// findKey returns the index of the first top-level key line for key in
// info[from:to], or -1.
func findKey(info []iniLine, from, to int, key string) int {
	for i := from; i < to; i++ {
		if info[i].kind == kindKey && strings.EqualFold(info[i].key, key) {
			return i
		}
	}
	return -1
}

// subLines returns the indexes of the lines that belong to key line parent.
func subLines(info []iniLine, parent int) []int {
	var subs []int
	for i := parent + 1; i < len(info); i++ {
		switch {
		case info[i].kind == kindSub && info[i].parent == parent:
			subs = append(subs, i)
		case info[i].kind != kindBlank && info[i].kind != kindComment:
			return subs
		}
	}
	return subs
}

// lastNonBlank returns the index of the last non-blank line in a
// section's body (info[:end]), or 0 (the header) when the body is blank.
func lastNonBlank(info []iniLine, end int) int {
	for i := end - 1; i > 0; i-- {
		if info[i].kind != kindBlank {
			return i
		}
	}
	return 0
}

// replaceKeyLine rewrites key line i as "key = value" (or "key =" for the
// empty value) and removes the lines that belonged to its old value.
func (s *iniSection) replaceKeyLine(i int, value string) {
	lines := s.lines
	for _, sub := range slices.Backward(subLines(s.info, i)) {
		lines = slices.Delete(lines, sub, sub+1)
	}
	line := s.info[i].indent + s.info[i].key + " ="
	if value != "" {
		line += " " + value
	}
	lines[i] = line + lineEnding(lines[i])
	s.setLines(lines)
}

// insert inserts lines (each ending with a line break) into section s
// before index at (never 0, the header), giving the line before them a
// line break if it has none.
func (f *INI) insert(s *iniSection, at int, lines ...string) {
	if !strings.HasSuffix(s.lines[at-1], "\n") {
		s.lines[at-1] += f.eol
	}
	s.setLines(slices.Insert(s.lines, at, lines...))
}

// lineEnding returns the line break of line: "" for the last line of a file
// without a final newline, which keeps having none when rewritten.
func lineEnding(line string) string {
	switch {
	case strings.HasSuffix(line, "\r\n"):
		return "\r\n"
	case strings.HasSuffix(line, "\n"):
		return "\n"
	}
	return ""
}

// oneLine replaces line breaks by spaces, leaving every other byte alone.
func oneLine(s string) string {
	return lineBreaks.Replace(s)
}

// lineBreaks replaces line breaks by spaces.
var lineBreaks = strings.NewReplacer("\r", " ", "\n", " ")
