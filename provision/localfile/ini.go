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
type INI struct {
	lines []string // each with its "\n" or "\r\n"; only the last may lack one
	eol   string   // line ending for new lines: the one of the first line
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
	return &INI{lines: lines, eol: eol}
}

// Bytes returns the current content.
func (f *INI) Bytes() []byte {
	return []byte(strings.Join(f.lines, ""))
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

// HeaderLines returns the line numbers (from 1) of every header of the
// section called name, in file order: more than one means the file
// defines the section twice, which the AWS SDKs merge (later keys win).
func (f *INI) HeaderLines(name string) []int {
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
func (f *INI) HasSection(name string) bool {
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
func (f *INI) Get(section, key string) (string, bool) {
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
func (f *INI) KeyLines(section, key string) []int {
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
func (f *INI) Keys(section string) []string {
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
func (f *INI) Comments(section string) []string {
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
func (f *INI) Set(section, key, value string) {
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
	f.insert(lastNonBlank(info, hdr, end)+1, key+" = "+value+f.eol)
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
	if section == "" {
		return
	}
	f.AppendSection(section)
	info := f.classify()
	hdr, end, _, _ := f.section(info, section)
	parent := findKey(info, hdr+1, end, key)
	if parent < 0 {
		f.insert(lastNonBlank(info, hdr, end)+1,
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
func (f *INI) AddComment(section, comment string) {
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
func (f *INI) AppendSection(name string) bool {
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
func (f *INI) RemoveSection(name string) bool {
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

// classify works out the meaning of every line. It is cheap enough to be
// redone after every edit: config files are small.
func (f *INI) classify() []iniLine {
	info := make([]iniLine, len(f.lines))
	parent := -1 // current top-level key line, or -1
	for i, raw := range f.lines {
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

// section finds the first section called name. It returns the index of its
// header, the end of its body and the index of the next header (len(lines)
// when it is the last section). The body ends at the next header, less the
// blank and comment lines directly before that header.
func (f *INI) section(info []iniLine, name string) (hdr, end, next int, ok bool) {
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

// lastNonBlank returns the index of the last non-blank line in the body of
// the section whose header is at hdr, or hdr when the body is blank.
func lastNonBlank(info []iniLine, hdr, end int) int {
	for i := end - 1; i > hdr; i-- {
		if info[i].kind != kindBlank {
			return i
		}
	}
	return hdr
}

// replaceKeyLine rewrites key line i as "key = value" (or "key =" for the
// empty value) and removes the lines that belonged to its old value.
func (f *INI) replaceKeyLine(info []iniLine, i int, value string) {
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
func (f *INI) insert(at int, lines ...string) {
	if at > 0 && !strings.HasSuffix(f.lines[at-1], "\n") {
		f.lines[at-1] += f.eol
	}
	f.lines = slices.Insert(f.lines, at, lines...)
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
