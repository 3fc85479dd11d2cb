package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	// quoteLimit is how much of a value a message quotes: enough to
	// recognise it, never a whole pasted file.
	quoteLimit = 60
	// pathQuoteLimit is the same for file paths, which are long more
	// often and only useful whole.
	pathQuoteLimit = 256
	// maxMessage cuts any message that is still longer.
	maxMessage = 2000
	// maxErrors is how many problems are listed; the rest are counted.
	maxErrors = 100
)

// clip shortens s to at most max characters, marking the cut with "…".
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// quote is a value as messages show it: quoted, with control characters
// escaped, and cut to quoteLimit characters.
func quote(s string) string { return strconv.Quote(clip(s, quoteLimit)) }

// clipArgs cuts the string arguments that format prints with %q to
// quoteLimit characters: every check quotes the values it complains
// about with %q, so no value is ever echoed whole.
func clipArgs(format string, args []any) []any {
	out := slices.Clone(args)
	n := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		for i < len(format) && strings.IndexByte("+-# 0123456789.*", format[i]) >= 0 {
			i++
		}
		if i >= len(format) {
			break
		}
		if format[i] == '%' {
			continue
		}
		if n < len(out) && format[i] == 'q' {
			if s, ok := out[n].(string); ok {
				out[n] = clip(s, quoteLimit)
			}
		}
		n++
	}
	return out
}

// pathString renders a field path: keys joined with ".", indexes in
// brackets, and a key that is not a plain name (spaces, dots, quotes,
// control characters, or very long) quoted in brackets:
// bucket.tags["cost center"].
func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if !plainKey(p) {
				b.WriteString("[" + quote(p) + "]")
				continue
			}
			if b.Len() > 0 {
				b.WriteString(".")
			}
			b.WriteString(p)
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		}
	}
	return b.String()
}

func plainKey(k string) bool {
	if k == "" || len(k) > quoteLimit {
		return false
	}
	for _, r := range k {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("_-:/@+=", r) {
			return false
		}
	}
	return true
}

// lineBreak reports a character that starts a new line in a text file
// or in YAML.
func lineBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029'
}

// controlProblem says what is wrong with text that holds a line break,
// another control character or bytes that are not UTF-8; "" if nothing.
func controlProblem(s string, multiline bool) string {
	if !utf8.ValidString(s) {
		return "is not UTF-8 text"
	}
	for _, r := range s {
		switch {
		case multiline && (r == '\n' || r == '\t' || r == '\r'):
		case lineBreak(r):
			return "has a line break: only one line of printable text is allowed here"
		case unicode.IsControl(r):
			return fmt.Sprintf("has the control character %U: only printable text is allowed here", r)
		}
	}
	return ""
}

// thousands writes n with comma separators, as AWS documents its limits.
func thousands(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		return "-" + s
	}
	return s
}

// problems collects SpecErrors: each problem once, the first maxErrors
// in full and the rest only counted, so that a file of thousands of bad
// entries gives a readable answer in bounded time.
type problems struct {
	file string
	list SpecErrors
	more int
	seen map[[2]string]bool
}

func newProblems(file string) *problems {
	return &problems{file: file, seen: map[[2]string]bool{}}
}

// add records a problem at field with msg, unless the same was recorded;
// locate is called only for a problem that will be listed.
func (p *problems) add(field, msg string, locate func() (line, col int)) {
	key := [2]string{field, msg}
	if p.seen[key] {
		return
	}
	p.seen[key] = true
	if len(p.list) >= maxErrors {
		p.more++
		return
	}
	line, col := locate()
	p.list = append(p.list, &SpecError{File: p.file, Line: line, Column: col, Field: field, Msg: msg})
}

// count is how many different problems were found so far.
func (p *problems) count() int { return len(p.seen) }

// result is the list, with a last line counting what was left out.
func (p *problems) result() SpecErrors {
	if p.more == 0 {
		return p.list
	}
	return append(slices.Clone(p.list), &SpecError{File: p.file,
		Msg: fmt.Sprintf("%s more problems are not listed: fix these first", thousands(p.more))})
}
