package spec

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxKeyBytes is S3's limit on an object key, and so on a key prefix.
const maxKeyBytes = 1024

// prefixPunctuation are the characters other than letters and digits a
// key prefix may hold: S3's "safe" characters (less * and the space)
// and a few that mean nothing special to IAM, to S3 or in the files
// awsboot writes (= for key=value partitions).
const prefixPunctuation = "!-_.'()/=+@,:"

// keyPrefixProblem says what is wrong with a key prefix of the spec
// (access[].prefix, bucket.writers[].prefix, bucket.lifecycle[].prefix),
// "" if nothing is; example is a good prefix for the message. A prefix
// ends up in IAM policies, bucket policies, lifecycle rules and the
// Bacalhau files, so it is one line of characters that mean the same
// everywhere: nothing IAM reads as a wildcard (* ?) or a policy
// variable (${...}), no path segment that climbs (..), no control
// character or line break (a flags file would get an extra line).
func keyPrefixProblem(prefix, example string) string {
	shape := fmt.Sprintf("write a key prefix like %s (no leading slash, no wildcards)", example)
	switch {
	case !utf8.ValidString(prefix):
		return "a key prefix must be UTF-8 text"
	case len(prefix) > maxKeyBytes:
		return fmt.Sprintf("is %s bytes long: S3 keys, and so key prefixes, are at most %s bytes", thousands(len(prefix)), thousands(maxKeyBytes))
	}
	for _, r := range prefix {
		switch {
		case lineBreak(r):
			return "a key prefix must not hold a line break"
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return fmt.Sprintf("a key prefix must not hold control or invisible characters (here %U)", r)
		case r == '*' || r == '?':
			return shape
		case r == '$':
			return "a key prefix must not hold $: IAM reads ${...} as a policy variable"
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || strings.ContainsRune(prefixPunctuation, r):
		default:
			return fmt.Sprintf("%s is not allowed in a key prefix: use letters, digits and %s", charWords(r), strings.Join(strings.Split(prefixPunctuation, ""), " "))
		}
	}
	if strings.HasPrefix(prefix, "/") || strings.Contains(prefix, "//") {
		return shape
	}
	for _, seg := range strings.Split(strings.TrimSuffix(prefix, "/"), "/") {
		if seg == "." || seg == ".." {
			return fmt.Sprintf("a key prefix must not have a %q segment: tools that treat keys as paths would read it as another place", seg)
		}
	}
	return ""
}

// charWords shows one character in a message: quoted when it prints,
// by its code point when it does not.
func charWords(r rune) string {
	if unicode.IsPrint(r) {
		return fmt.Sprintf("%q", r)
	}
	return fmt.Sprintf("the character %U", r)
}
