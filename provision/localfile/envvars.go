package localfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// EnvVar is one NAME=VALUE entry of the env-vars list of a Semaphore agent
// config.yaml.
type EnvVar struct {
	Name  string
	Value string
}

// envVarsKey is the top-level key of the agent config holding the list.
const envVarsKey = "env-vars"

// blockOnly ends the errors about list layouts awsboot does not edit.
const blockOnly = `awsboot edits only block-style lists with one "- NAME=value" item per line: please convert it to that style`

// EnvVars returns the entries of the env-vars list of the agent config data,
// or nil when there are none. An empty document is fine; a document whose
// top level is not a mapping, or whose env-vars is not a list of strings, is
// an error.
func EnvVars(data []byte) ([]string, error) {
	c, err := parseAgentConfig(data)
	if err != nil {
		return nil, err
	}
	items, err := c.items()
	if err != nil {
		return nil, err
	}
	var entries []string
	for _, item := range items {
		entries = append(entries, item.Value)
	}
	return entries, nil
}

// SetEnvVars sets the entries NAME=VALUE of vars in the env-vars list of the
// agent config data, in order (a later var wins over an earlier one with the
// same name), and returns the new content. Only the lines of the list
// change:
//
//   - The first entry for NAME (an entry without "=" is its own name) is
//     rewritten in place, keeping its indentation, "- " and line comment;
//     further entries for NAME are removed.
//   - A new entry is added after the last item with the same indentation.
//   - A missing env-vars key is appended at the end of the file as a block
//     list.
//   - A null env-vars ("env-vars:") or a flow list on one line
//     ("env-vars: [A=b]") is rewritten as a block list keeping its items.
//
// Values are written as plain YAML scalars, or double-quoted when the plain
// form would not read back as the same string. Lists awsboot cannot edit
// safely (a flow list spanning several lines, items spanning several lines,
// items with anchors or tags) are reported as errors asking the user to
// convert them. When every var already has its value exactly once, data is
// returned unchanged.
func SetEnvVars(data []byte, vars []EnvVar) ([]byte, error) {
	if _, err := EnvVars(data); err != nil {
		return nil, err
	}
	for _, v := range vars {
		if v.Name == "" || strings.ContainsAny(v.Name, "=\r\n") {
			return nil, fmt.Errorf("invalid environment variable name %q", v.Name)
		}
	}
	out := data
	for _, v := range vars {
		var err error
		if out, err = setEnvVar(out, v); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// RemoveEnvVars removes the entries of the env-vars list for which match
// returns true (an entry without "=" has the empty value) by deleting their
// lines. When no entry is left, the env-vars key line is deleted too, so
// RemoveEnvVars undoes a SetEnvVars that added entries, byte for byte. When
// nothing matches, data is returned unchanged.
func RemoveEnvVars(data []byte, match func(name, value string) bool) ([]byte, error) {
	c, err := parseAgentConfig(data)
	if err != nil {
		return nil, err
	}
	items, err := c.items()
	if err != nil {
		return nil, err
	}
	remove := map[int]bool{}
	var keep []string
	for i, item := range items {
		if match(splitEntry(item.Value)) {
			remove[i] = true
		} else {
			keep = append(keep, item.Value)
		}
	}
	if len(remove) == 0 {
		return data, nil
	}
	if err := c.checkEditable(); err != nil {
		return nil, err
	}
	if isBlockList(c.value) {
		err = c.editBlock(items, nil, remove, nil)
	} else {
		err = c.rewriteAsBlock(keep)
	}
	if err != nil {
		return nil, err
	}
	return verifyEdit(data, c.bytes(), keep)
}

// setEnvVar sets one entry; see SetEnvVars.
func setEnvVar(data []byte, v EnvVar) ([]byte, error) {
	c, err := parseAgentConfig(data)
	if err != nil {
		return nil, err
	}
	items, err := c.items()
	if err != nil {
		return nil, err
	}
	entry := v.Name + "=" + v.Value
	var same []int // indexes of the items for v.Name
	for i, item := range items {
		if name, _ := splitEntry(item.Value); name == v.Name {
			same = append(same, i)
		}
	}
	if len(same) == 1 && items[same[0]].Value == entry {
		return data, nil
	}
	if err := c.checkEditable(); err != nil {
		return nil, err
	}

	var want, add []string
	change, remove := map[int]string{}, map[int]bool{}
	for i, item := range items {
		switch {
		case !slices.Contains(same, i):
			want = append(want, item.Value)
		case i == same[0]:
			if item.Value != entry {
				change[i] = entry
			}
			want = append(want, entry)
		default:
			remove[i] = true
		}
	}
	if len(same) == 0 {
		add = []string{entry}
		want = append(want, entry)
	}

	switch {
	case c.key == nil:
		err = c.appendKey(want)
	case isBlockList(c.value):
		err = c.editBlock(items, change, remove, add)
	default:
		err = c.rewriteAsBlock(want)
	}
	if err != nil {
		return nil, err
	}
	return verifyEdit(data, c.bytes(), want)
}

// splitEntry splits "NAME=value"; an entry without "=" is a name with the
// empty value.
func splitEntry(entry string) (name, value string) {
	name, value, _ = strings.Cut(entry, "=")
	return name, value
}

// agentConfig is a parsed agent config: its lines, split where YAML breaks
// lines so that they match the line numbers of yaml.v3, and the nodes
// yaml.v3 found.
type agentConfig struct {
	lines []string   // each with its line break; only the last may lack one
	eol   string     // line break for new lines: the one of the first line, or "\n"
	root  *yaml.Node // top-level mapping; nil for an empty document
	key   *yaml.Node // the env-vars key; nil when missing
	value *yaml.Node // the env-vars value
}

// parseAgentConfig parses data and locates the env-vars key.
func parseAgentConfig(data []byte) (*agentConfig, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("agent config is not UTF-8 text")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse agent config: %w", err)
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		return nil, errors.New("agent config holds several YAML documents, awsboot expects one")
	case !errors.Is(err, io.EOF):
		return nil, fmt.Errorf("parse agent config: %w", err)
	}

	c := &agentConfig{lines: splitYAMLLines(string(data)), eol: "\n"}
	if len(c.lines) > 0 && breakOf(c.lines[0]) != "" {
		c.eol = breakOf(c.lines[0])
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return c, nil // empty or only comments
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" && root.Value == "" {
		return c, nil // "---" and nothing else
	}
	if root.Kind != yaml.MappingNode {
		return nil, errors.New("agent config is not a YAML mapping at top level")
	}
	c.root = root
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == envVarsKey {
			c.key, c.value = k, root.Content[i+1]
			break
		}
	}
	return c, nil
}

// items returns the items of the env-vars list, checking that they are
// strings.
func (c *agentConfig) items() ([]*yaml.Node, error) {
	if c.value == nil || isNull(c.value) {
		return nil, nil
	}
	if c.value.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("env-vars on line %d is not a list", c.key.Line)
	}
	for _, item := range c.value.Content {
		if item.Kind != yaml.ScalarNode || item.ShortTag() != "!!str" {
			return nil, fmt.Errorf("env-vars item on line %d is not a string", item.Line)
		}
	}
	return c.value.Content, nil
}

// checkEditable reports layouts of the whole document that awsboot does not
// edit.
func (c *agentConfig) checkEditable() error {
	if c.root != nil && c.root.Style&yaml.FlowStyle != 0 {
		return errors.New("agent config is written as a flow mapping ({...}), awsboot edits only block-style YAML: please convert it to that style")
	}
	if c.value != nil && c.value.Anchor != "" {
		return fmt.Errorf("env-vars on line %d has an anchor (&%s), awsboot cannot edit it safely: please remove the anchor", c.key.Line, c.value.Anchor)
	}
	return nil
}

// appendKey appends "env-vars:" and a block list of entries at the end of
// the file.
func (c *agentConfig) appendKey(entries []string) error {
	for _, line := range c.lines {
		if text := trimBreak(line); text == "..." || strings.HasPrefix(text, "... ") || strings.HasPrefix(text, "...\t") {
			return errors.New(`agent config has a document end marker "...", awsboot cannot append env-vars after it: please remove the marker`)
		}
	}
	if n := len(c.lines); n > 0 && breakOf(c.lines[n-1]) == "" {
		// The file's last value may be a block scalar that a final
		// newline would change.
		content := c.bytes()
		before, err := otherContent(content)
		if err != nil {
			return fmt.Errorf("read agent config: %w", err)
		}
		if after, err := otherContent(append(content, c.eol...)); err != nil || after != before {
			return errors.New("agent config does not end with a newline and adding one would change its last value: please add a newline at the end of the file")
		}
	}
	indent := ""
	if c.root != nil {
		indent = strings.Repeat(" ", c.root.Column-1)
	}
	items, err := c.blockItems(indent+"  - ", entries)
	if err != nil {
		return err
	}
	c.insert(len(c.lines), append([]string{indent + envVarsKey + ":" + c.eol}, items...)...)
	return nil
}

// rewriteAsBlock rewrites a null env-vars or a one-line flow list as a block
// list of entries, or deletes the key line when entries is empty.
func (c *agentConfig) rewriteAsBlock(entries []string) error {
	k := c.key.Line - 1
	colon, err := c.keyColon()
	if err != nil {
		return err
	}
	if !c.onKeyLine() {
		if c.value.Kind == yaml.SequenceNode {
			return fmt.Errorf("env-vars on line %d is a flow sequence spanning several lines: %s", c.key.Line, blockOnly)
		}
		return fmt.Errorf("env-vars on line %d has its value on another line: %s", c.key.Line, blockOnly)
	}
	for _, item := range c.value.Content {
		if item.Anchor != "" {
			return fmt.Errorf("env-vars item on line %d is not a plain \"- NAME=value\" item: %s", item.Line, blockOnly)
		}
	}
	if len(entries) == 0 {
		c.lines = slices.Delete(c.lines, k, k+1)
		return nil
	}
	text := trimBreak(c.lines[k])
	head := text[:colon]
	for _, comment := range []string{c.key.LineComment, c.value.LineComment} {
		if isLineComment(comment, text) {
			head += " " + comment
			break
		}
	}
	items, err := c.blockItems(strings.Repeat(" ", c.key.Column-1)+"  - ", entries)
	if err != nil {
		return err
	}
	eol := breakOf(c.lines[k])
	if eol == "" {
		eol = c.eol
	}
	c.lines[k] = head + eol
	c.lines = slices.Insert(c.lines, k+1, items...)
	return nil
}

// onKeyLine reports whether the whole env-vars value is written on the key
// line, by parsing that line alone and comparing the result.
func (c *agentConfig) onKeyLine() bool {
	if c.value.Line != c.key.Line {
		return false
	}
	text := trimBreak(c.lines[c.key.Line-1])
	off, ok := byteOffset(text, c.key.Column, c.key.Line == 1)
	if !ok {
		return false
	}
	alone, err := parseAgentConfig([]byte(text[off:]))
	if err != nil || alone.key == nil {
		return false
	}
	got, err := alone.items()
	if err != nil {
		return false
	}
	want, _ := c.items()
	return slices.EqualFunc(got, want, func(a, b *yaml.Node) bool { return a.Value == b.Value })
}

// editBlock edits a block list: it rewrites the items in change, deletes
// the items in remove and adds entries in add after the last item. When no
// item is left, the env-vars key line is deleted too.
func (c *agentConfig) editBlock(items []*yaml.Node, change map[int]string, remove map[int]bool, add []string) error {
	// Edit from the bottom up so that the line numbers of yaml.v3 stay valid.
	if len(add) > 0 {
		at, _, err := c.itemLine(items[len(items)-1])
		if err != nil {
			return err
		}
		text := c.lines[at]
		lines, err := c.blockItems(text[:strings.IndexByte(text, '-')]+"- ", add)
		if err != nil {
			return err
		}
		c.insert(at+1, lines...)
	}
	for i := len(items) - 1; i >= 0; i-- {
		entry, changed := change[i]
		if !changed && !remove[i] {
			continue
		}
		at, off, err := c.itemLine(items[i])
		if err != nil {
			return err
		}
		if remove[i] {
			c.lines = slices.Delete(c.lines, at, at+1)
			continue
		}
		scalar, err := formatScalar(entry)
		if err != nil {
			return err
		}
		text := trimBreak(c.lines[at])
		line := text[:off] + scalar
		if comment := items[i].LineComment; isLineComment(comment, text) {
			line += " " + comment
		}
		c.lines[at] = line + breakOf(c.lines[at])
	}
	if len(remove) == len(items) && len(add) == 0 {
		if _, err := c.keyColon(); err != nil {
			return err
		}
		k := c.key.Line - 1
		c.lines = slices.Delete(c.lines, k, k+1)
	}
	return nil
}

// itemLine returns the line index of a one-line block list item and the
// byte offset of its scalar in that line.
func (c *agentConfig) itemLine(item *yaml.Node) (at, off int, err error) {
	at = item.Line - 1
	text := trimBreak(c.lines[at])
	off, ok := byteOffset(text, item.Column, at == 0)
	if !ok || strings.TrimSpace(text[:off]) != "-" || item.Anchor != "" || item.Style&yaml.TaggedStyle != 0 {
		return 0, 0, fmt.Errorf("env-vars item on line %d is not a plain \"- NAME=value\" item: %s", item.Line, blockOnly)
	}
	// A one-line item reads the same when its line is parsed alone.
	var doc yaml.Node
	if yaml.Unmarshal([]byte(text), &doc) != nil || len(doc.Content) != 1 ||
		len(doc.Content[0].Content) != 1 || doc.Content[0].Content[0].Value != item.Value {
		return 0, 0, fmt.Errorf("env-vars item on line %d spans several lines: %s", item.Line, blockOnly)
	}
	return at, off, nil
}

// keyColon returns the byte offset just after the colon of the env-vars key
// in its line, checking that the line starts with the key.
func (c *agentConfig) keyColon() (int, error) {
	text := trimBreak(c.lines[c.key.Line-1])
	off, ok := byteOffset(text, c.key.Column, c.key.Line == 1)
	if ok {
		rest := text[off:]
		for _, spelling := range []string{envVarsKey, `"` + envVarsKey + `"`, `'` + envVarsKey + `'`} {
			if after, found := strings.CutPrefix(rest, spelling); found {
				after = strings.TrimLeft(after, " \t")
				if strings.HasPrefix(after, ":") {
					return len(text) - len(after) + 1, nil
				}
			}
		}
	}
	return 0, fmt.Errorf("cannot edit the env-vars key on line %d: awsboot expects it written as \"env-vars:\"", c.key.Line)
}

// blockItems formats entries as block list item lines starting with prefix.
func (c *agentConfig) blockItems(prefix string, entries []string) ([]string, error) {
	var lines []string
	for _, entry := range entries {
		scalar, err := formatScalar(entry)
		if err != nil {
			return nil, err
		}
		lines = append(lines, prefix+scalar+c.eol)
	}
	return lines, nil
}

// insert inserts lines (each ending with a line break) before index at,
// giving the line before them a line break if it has none.
func (c *agentConfig) insert(at int, lines ...string) {
	if at > 0 && breakOf(c.lines[at-1]) == "" {
		c.lines[at-1] += c.eol
	}
	c.lines = slices.Insert(c.lines, at, lines...)
}

// bytes returns the edited content.
func (c *agentConfig) bytes() []byte {
	return []byte(strings.Join(c.lines, ""))
}

// isNull reports whether n is a null scalar.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// isBlockList reports whether n is a block-style sequence with items.
func isBlockList(n *yaml.Node) bool {
	return n.Kind == yaml.SequenceNode && n.Style&yaml.FlowStyle == 0 && len(n.Content) > 0
}

// isLineComment reports whether comment, as found by yaml.v3, is a one-line
// comment written in line text, so that it can be kept when text is
// rewritten.
func isLineComment(comment, text string) bool {
	return strings.HasPrefix(comment, "#") && len(splitYAMLLines(comment)) == 1 &&
		breakOf(comment) == "" && strings.Contains(text, comment)
}

// formatScalar writes s as a one-line YAML scalar: plain when that reads
// back as s, double-quoted otherwise.
func formatScalar(s string) (string, error) {
	for _, text := range []string{s, strconv.Quote(s)} {
		if readsAs(text, s) {
			return text, nil
		}
	}
	return "", fmt.Errorf("cannot write %q as a one-line YAML string", s)
}

// readsAs reports whether the one-line list item "- text" reads as the
// string s.
func readsAs(text, s string) bool {
	if len(splitYAMLLines(text)) != 1 || breakOf(text) != "" {
		return false
	}
	var doc yaml.Node
	if yaml.Unmarshal([]byte("- "+text+"\n"), &doc) != nil || len(doc.Content) != 1 {
		return false
	}
	seq := doc.Content[0]
	if seq.Kind != yaml.SequenceNode || len(seq.Content) != 1 {
		return false
	}
	item := seq.Content[0]
	return item.Kind == yaml.ScalarNode && item.ShortTag() == "!!str" && item.Value == s
}

// verifyEdit checks that after, the edited before, has exactly the env-vars
// entries want and the same other content, and returns after. It guards the
// user's file against a mistake in the line editing above.
func verifyEdit(before, after []byte, want []string) ([]byte, error) {
	got, err := EnvVars(after)
	if err != nil {
		return nil, fmt.Errorf("edited agent config does not read back (a bug in awsboot): %w", err)
	}
	if !slices.Equal(got, want) {
		return nil, fmt.Errorf("edited agent config has env-vars %q instead of %q (a bug in awsboot)", got, want)
	}
	old, err := otherContent(before)
	if err != nil {
		return nil, fmt.Errorf("read agent config: %w", err)
	}
	updated, err := otherContent(after)
	if err != nil || updated != old {
		return nil, errors.New("editing env-vars would change other settings of the agent config (a bug in awsboot)")
	}
	return after, nil
}

// otherContent returns the decoded content of an agent config without its
// env-vars key, encoded again for comparison.
func otherContent(data []byte) (string, error) {
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return "", err
	}
	switch m := v.(type) {
	case map[string]any:
		delete(m, envVarsKey)
		if len(m) == 0 {
			v = nil
		}
	case map[any]any: // when some keys are not strings
		delete(m, envVarsKey)
		if len(m) == 0 {
			v = nil
		}
	}
	out, err := yaml.Marshal(v)
	return string(out), err
}

// splitYAMLLines splits s after each line break, with the line breaks of
// YAML (and yaml.v3): "\r\n", "\r", "\n", NEL, LS and PS.
func splitYAMLLines(s string) []string {
	var lines []string
	for s != "" {
		end := len(s)
		for i := range len(s) {
			if n := breakLen(s[i:]); n > 0 {
				end = i + n
				break
			}
		}
		lines = append(lines, s[:end])
		s = s[end:]
	}
	return lines
}

// breakLen returns the length of the line break s starts with, or 0.
func breakLen(s string) int {
	switch {
	case strings.HasPrefix(s, "\r\n"):
		return 2
	case s[0] == '\r' || s[0] == '\n':
		return 1
	case strings.HasPrefix(s, "\u0085"):
		return 2
	case strings.HasPrefix(s, "\u2028") || strings.HasPrefix(s, "\u2029"):
		return 3
	}
	return 0
}

// breakOf returns the line break line ends with, or "".
func breakOf(line string) string {
	for _, br := range []string{"\r\n", "\r", "\n", "\u0085", "\u2028", "\u2029"} {
		if strings.HasSuffix(line, br) {
			return br
		}
	}
	return ""
}

// trimBreak returns line without its line break.
func trimBreak(line string) string {
	return line[:len(line)-len(breakOf(line))]
}

// byteOffset converts the 1-based column of yaml.v3 (counted in characters,
// after the byte order mark on the first line) to a byte offset in text.
func byteOffset(text string, column int, firstLine bool) (int, bool) {
	off := 0
	if firstLine {
		off = len(text) - len(strings.TrimPrefix(text, "\ufeff"))
	}
	for range column - 1 {
		if off >= len(text) {
			return 0, false
		}
		_, size := utf8.DecodeRuneInString(text[off:])
		off += size
	}
	return off, true
}
