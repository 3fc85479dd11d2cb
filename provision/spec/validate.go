package spec

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/engine"
	"gopkg.in/yaml.v3"
)

// Validator checks a decoded spec, locating each problem in the YAML.
// Checks that live outside this package (each consumer's) receive it to
// report their problems the same way.
type Validator struct {
	file string
	root *yaml.Node
	p    *problems
	// seen holds the values that must be unique across the spec, by
	// namespace ("file", "aws_profile", ...), with the index of the
	// access entry that uses each (-1: bucket.replication).
	seen map[string]map[string]int
}

// Node finds the node at a path of keys and indexes (string or int),
// through aliases and merge keys; the bool is false when the path is
// absent (the error then points at the closest existing parent).
func (v *Validator) Node(path ...any) (*yaml.Node, bool) {
	n := v.root
	for _, p := range path {
		switch p := p.(type) {
		case string:
			next := mappingValue(n, p, 0)
			if next == nil {
				return n, false
			}
			n = next
		case int:
			if n.Kind != yaml.SequenceNode || p < 0 || p >= len(n.Content) {
				return n, false
			}
			n = aliased(n.Content[p])
		}
	}
	return n, true
}

// aliased is the node an alias names, or n.
func aliased(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// mappingValue is the value of key in mapping n, set there or merged in
// with <<; nil if there is none.
func mappingValue(n *yaml.Node, key string, depth int) *yaml.Node {
	if n.Kind != yaml.MappingNode || depth > 100 {
		return nil
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := aliased(n.Content[i])
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, aliased(n.Content[i+1]))
			continue
		}
		if k.Kind == yaml.ScalarNode && k.Value == key {
			return aliased(n.Content[i+1])
		}
	}
	for _, m := range merges {
		sources := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			sources = m.Content
		}
		for _, src := range sources {
			if v := mappingValue(aliased(src), key, depth+1); v != nil {
				return v
			}
		}
	}
	return nil
}

// Errorf records a problem at path (keys and indexes, as for Node); a
// path that is absent is located at its closest existing parent. The
// same problem reported twice is recorded once. Strings printed with %q
// are cut to 60 characters.
func (v *Validator) Errorf(path []any, format string, args ...any) {
	v.p.add(pathString(path), fmt.Sprintf(format, clipArgs(format, args)...), func() (int, int) {
		n, _ := v.Node(path...)
		return n.Line, n.Column
	})
}

// Unique records that access entry i uses val in namespace kind ("file",
// "aws_profile", ...) and reports, at path, a value another entry (or
// bucket.replication) already uses. It returns true for a duplicate.
// A "file" is one awsboot writes: one of the AWS SDK's shared files
// (where awsboot writes profiles itself) is refused too.
func (v *Validator) Unique(kind, val string, i int, path []any) bool {
	if val == "" {
		return false
	}
	if kind == "file" {
		if name := awsSharedFile(val); name != "" {
			v.Errorf(path, "%s is %s: awsboot writes its own profiles there, and another file written over it would break the profiles and keys it holds; choose another path",
				strconv.Quote(clip(val, pathQuoteLimit)), name)
		}
		if fi, err := os.Stat(val); err == nil && fi.IsDir() {
			v.Errorf(path, "%s is a directory: give the path of the file itself", strconv.Quote(clip(val, pathQuoteLimit)))
		}
	}
	if v.seen[kind] == nil {
		v.seen[kind] = map[string]int{}
	}
	if j, ok := v.seen[kind][val]; ok {
		by := fmt.Sprintf("access[%d]", j)
		switch {
		case j < 0:
			by = "bucket.replication"
		case j == i:
			by = "another field of this entry"
		}
		v.Errorf(path, "%s is already used by %s", strconv.Quote(clip(val, pathQuoteLimit)), by)
		return true
	}
	v.seen[kind][val] = i
	return false
}

// Required reports a missing or empty value at path ("is required", "must
// not be empty") and returns whether the value is there.
func (v *Validator) Required(path []any, value string) bool {
	if value == "" {
		if _, ok := v.Node(path...); ok {
			v.Errorf(path, "must not be empty")
		} else {
			v.Errorf(path, "is required")
		}
		return false
	}
	return true
}

var (
	stackRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	iamNameRe = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]+$`)
	accessRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
)

// AccessCheck is a check of access entry i that lives outside this
// package: each consumer's (provision/consumers). Checks run for every
// entry after the entry's own fields are checked, so problems are listed
// in the order of the entry.
type AccessCheck func(v *Validator, s *Spec, i int)

func (v *Validator) validate(s *Spec, checks []AccessCheck) {
	if s.Version != 1 {
		if _, ok := v.Node("version"); !ok {
			v.Errorf([]any{"version"}, "is required (write version: 1)")
		} else {
			v.Errorf([]any{"version"}, "unsupported version %d (this awsboot reads version 1)", s.Version)
		}
	}
	if v.Required([]any{"stack"}, s.Stack) && !stackRe.MatchString(s.Stack) {
		v.Errorf([]any{"stack"}, "%q: use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit", s.Stack)
	}
	if s.Region != "" && !regionRe.MatchString(s.Region) {
		v.Errorf([]any{"region"}, "%q is not an AWS region name (like us-east-1)", s.Region)
	}
	for _, f := range []struct{ name, val string }{{"endpoint", s.Endpoint}, {"iam_endpoint", s.IAMEndpoint}} {
		if u, err := url.Parse(f.val); f.val != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			v.Errorf([]any{f.name}, "%q must be an http:// or https:// URL", f.val)
		}
	}
	if s.IAMEndpoint != "" && s.Endpoint == "" {
		v.Errorf([]any{"iam_endpoint"}, "needs endpoint: iam_endpoint is for S3-compatible services that serve IAM apart from S3")
	}
	switch s.PolicyStyle {
	case "auto", "managed", "inline":
	default:
		v.Errorf([]any{"policy_style"}, "unknown policy_style %q (auto, managed or inline)", s.PolicyStyle)
	}
	v.validateBucket(s)
	v.validateAccess(s, checks)
}

func (v *Validator) validateBucket(s *Spec) {
	b := s.Bucket
	if _, ok := v.Node("bucket"); !ok {
		v.Errorf([]any{"bucket"}, "is required")
		return
	}
	if v.Required([]any{"bucket", "name"}, b.Name) {
		if msg := BucketNameProblem(b.Name); msg != "" {
			v.Errorf([]any{"bucket", "name"}, "%q is not a valid S3 bucket name: %s", b.Name, msg)
		} else if b.NameSuffix == NameSuffixAccountID && BucketNameProblem(b.longestName()) != "" {
			v.Errorf([]any{"bucket", "name"}, "%q with name_suffix account_id has %d characters in an account (\"-<account ID>\" adds %d), above S3's %d: shorten it to at most %d",
				b.Name, len(b.longestName()), accountSuffixLen, maxBucketNameLen, maxBucketNameLen-accountSuffixLen)
		}
	}
	if b.NameSuffix != "" && b.NameSuffix != NameSuffixAccountID {
		v.Errorf([]any{"bucket", "name_suffix"}, "unknown suffix %q (supported: %s, which names the bucket <name>-<account ID>)", b.NameSuffix, NameSuffixAccountID)
	}
	if !*b.BlockPublicAccess {
		v.Errorf([]any{"bucket", "block_public_access"}, "awsboot never makes a bucket public; remove the field or set it to true")
	}
	if b.Encryption != "sse-s3" {
		v.Errorf([]any{"bucket", "encryption"}, "unknown encryption %q (supported: sse-s3)", b.Encryption)
	}
	if n := *b.AbortIncompleteMultipartDays; n < 0 || n > 3650 {
		v.Errorf([]any{"bucket", "abort_incomplete_multipart_days"}, "%d: use 0 (off) to 3650 days", n)
	}
	v.validateLifecycle(s)
	v.validateDelivery(s)
	v.validateTags(b.Tags)
}

// maxExpireDays bounds a lifecycle rule's day counts: S3 takes any
// positive 32-bit number, but a rule that waits more than a century is a
// typo, and a larger number would be cut when sent.
const maxExpireDays = 36500

func (v *Validator) validateLifecycle(s *Spec) {
	b := s.Bucket
	// S3 holds at most 1,000 rules in a lifecycle configuration, and
	// awsboot adds its own abort rule.
	max := 1000
	if *b.AbortIncompleteMultipartDays > 0 {
		max--
	}
	if len(b.Lifecycle) > max {
		v.Errorf([]any{"bucket", "lifecycle"}, "has %s rules: S3 allows 1,000 in a bucket's lifecycle configuration, and awsboot adds %s unless abort_incomplete_multipart_days is 0, so list at most %d",
			thousands(len(b.Lifecycle)), AbortRuleID, max)
	}
	ids := map[string]int{}
	for i, r := range b.Lifecycle {
		p := func(f ...any) []any { return append([]any{"bucket", "lifecycle", i}, f...) }
		prefixOK := true
		if r.Prefix == nil {
			v.Errorf(p("prefix"), "is required; a rule that expires the whole bucket must say prefix: \"\" explicitly")
		} else if msg := keyPrefixProblem(*r.Prefix, "logs/"); *r.Prefix != "" && msg != "" {
			v.Errorf(p("prefix"), "%q: %s", *r.Prefix, msg)
			prefixOK = false
		}
		inRange := true
		for _, f := range []struct {
			name string
			days int
		}{{"expire_days", r.ExpireDays}, {"noncurrent_expire_days", r.NoncurrentExpireDays}} {
			if f.days < 0 || f.days > maxExpireDays {
				v.Errorf(p(f.name), "%d: use 0 (none) to %d days (100 years)", f.days, maxExpireDays)
				inRange = false
			}
		}
		if inRange && r.ExpireDays == 0 && r.NoncurrentExpireDays == 0 {
			v.Errorf(p(), "set expire_days and/or noncurrent_expire_days to a number of days (1 or more)")
		}
		if j, dup := ids[r.ID]; dup && r.ID != "" {
			v.Errorf(p("id"), "%q is already used by bucket.lifecycle[%d]", r.ID, j)
		}
		ids[r.ID] = i
		if r.ID == AbortRuleID {
			v.Errorf(p("id"), "%q is the rule awsboot manages from abort_incomplete_multipart_days", r.ID)
		}
		if n := utf8.RuneCountInString(r.ID); n > 255 {
			if _, set := v.Node(p("id")...); set {
				v.Errorf(p("id"), "is %d characters long: S3 allows 255 in a rule ID", n)
			} else if prefixOK {
				v.Errorf(p("prefix"), "makes a default id of %d characters (expire-<prefix>), and S3 allows 255 in a rule ID: set a shorter id", n)
			}
		}
	}
}

// S3 (like every AWS service that tags) allows 50 tags on a resource,
// keys of 1 to 128 and values of 0 to 256 characters, from letters,
// digits, spaces and _ . : / = + - @.
const maxTags = 50

func (v *Validator) validateTags(tags map[string]string) {
	if len(tags) > maxTags-1 {
		v.Errorf([]any{"bucket", "tags"}, "has %s tags: S3 allows %d on a bucket, and awsboot adds %s, so list at most %d",
			thousands(len(tags)), maxTags, engine.StackTag, maxTags-1)
	}
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		val := tags[k]
		p := []any{"bucket", "tags", k}
		switch {
		case k == engine.StackTag:
			v.Errorf(p, "the %s tag is set by awsboot from `stack`", engine.StackTag)
		case k == engine.CloudFormationStackTag:
			// On a bucket it would make teardown leave the bucket to a
			// CloudFormation stack that does not exist.
			v.Errorf(p, "the %s tag marks what a CloudFormation stack manages; its template sets it", engine.CloudFormationStackTag)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.Errorf(p, "tag keys starting with aws: are reserved by AWS")
		case k == "":
			v.Errorf(p, "a tag key must not be empty")
		case utf8.RuneCountInString(k) > 128 || utf8.RuneCountInString(val) > 256:
			v.Errorf(p, "tag keys are at most 128 characters and values at most 256")
		case tagProblem(k) != "":
			v.Errorf(p, "the key has %s: tag keys and values may hold only letters, digits, spaces and _ . : / = + - @", tagProblem(k))
		case tagProblem(val) != "":
			v.Errorf(p, "the value has %s: tag keys and values may hold only letters, digits, spaces and _ . : / = + - @", tagProblem(val))
		}
	}
}

// tagProblem names the first character AWS does not allow in a tag key
// or value (the pattern ^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$, without the line
// and paragraph separators), "" if there is none.
func tagProblem(s string) string {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Zs, r) && !strings.ContainsRune("_.:/=+-@", r) {
			return charWords(r)
		}
	}
	return ""
}

// maxBucketNameLen is S3's longest bucket name, in characters
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html).
const maxBucketNameLen = 63

// BucketNameProblem checks the S3 general purpose bucket naming rules and
// says what is wrong, "" if nothing is.
func BucketNameProblem(n string) string {
	switch {
	case len(n) < 3 || len(n) > maxBucketNameLen:
		return "it must be 3 to 63 characters long"
	case strings.Trim(n, "abcdefghijklmnopqrstuvwxyz0123456789.-") != "":
		return "only lowercase letters, digits, '.' and '-' are allowed"
	case !isAlnum(n[0]) || !isAlnum(n[len(n)-1]):
		return "it must begin and end with a letter or digit"
	case strings.Contains(n, ".."):
		return "it must not contain two adjacent periods"
	case net.ParseIP(n) != nil:
		return "it must not be formatted as an IP address"
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(n, p) {
			return "it must not start with " + p
		}
	}
	for _, sfx := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(n, sfx) {
			return "it must not end with " + sfx
		}
	}
	return ""
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func (v *Validator) validateAccess(s *Spec, checks []AccessCheck) {
	if len(s.Access) == 0 {
		v.Errorf([]any{"access"}, "is required: list at least one consumer of the bucket")
		return
	}
	// Names and files share namespaces: two entries (or an entry and the
	// replication's role and destination file) must never use the same.
	if r := s.Bucket.Replication; r != nil {
		v.Unique("role", r.Role, -1, nil)
	}
	for i, a := range s.Access {
		p := func(f ...any) []any { return append([]any{"access", i}, f...) }
		if v.Required(p("name"), a.Name) && !accessRe.MatchString(a.Name) {
			v.Errorf(p("name"), "%q: use lowercase letters, digits and '-'", a.Name)
		}
		v.Unique("name", a.Name, i, p("name"))
		if v.Required(p("grant"), a.Grant) {
			g, ok := policies.Lookup(a.Grant)
			if !ok {
				v.Errorf(p("grant"), "unknown grant %q (known: %s)", a.Grant, strings.Join(policies.Names(), ", "))
			}
			if ok && g.RequiresPrefix && a.Prefix == "" {
				v.Errorf(p("prefix"), "is required with grant %s: the key prefix the grant is limited to", a.Grant)
			}
		}
		if msg := keyPrefixProblem(a.Prefix, "results/"); a.Prefix != "" && msg != "" {
			v.Errorf(p("prefix"), "%q: %s", a.Prefix, msg)
		} else {
			v.grantSize(s, i)
		}
		switch {
		case a.User != "" && a.Role != "":
			v.Errorf(p("role"), "set either user (an access key) or role (OIDC federation), not both")
		case a.Role != "":
			v.validateRole(a, p)
		case a.OIDC != nil:
			v.Errorf(p("oidc"), "oidc needs role: the IAM role that pipelines assume")
		}
		roleDup := v.Unique("role", a.Role, i, p("role"))
		if a.Role == "" && v.Required(p("user"), a.User) {
			if len(a.User) > 64 || !iamNameRe.MatchString(a.User) {
				v.Errorf(p("user"), "%q is not a valid IAM user name (1-64 of letters, digits and +=,.@_-)", a.User)
			}
		}
		userDup := v.Unique("user", a.User, i, p("user"))
		if len(a.Policy) > 128 || !iamNameRe.MatchString(a.Policy) && a.Policy != "" {
			v.Errorf(p("policy"), "%q is not a valid IAM policy name (1-128 of letters, digits and +=,.@_-)", a.Policy)
		}
		if _, explicit := v.Node(p("policy")...); explicit || !userDup && !roleDup {
			// A default policy name follows the user's or role's; when
			// that is a duplicate, it is already reported.
			v.Unique("policy", a.Policy, i, p("policy"))
		}
		for _, check := range checks {
			check(v, s, i)
		}
		switch {
		case a.Grant == "publisher":
			if d, err := time.ParseDuration(a.PresignExpiry); err != nil || d <= 0 || d > 7*24*time.Hour {
				v.Errorf(p("presign_expiry"), "%q: use a duration up to 168h (presigned URLs last at most 7 days), like 1h", a.PresignExpiry)
			}
		case a.PresignExpiry != "":
			v.Errorf(p("presign_expiry"), "only applies to grant publisher (how long its presigned result URLs last)")
		}
		if a.Role == "" && a.MaxSession != "" {
			v.Errorf(p("max_session"), "is for role (OIDC) access")
		}
		switch {
		case a.MaxKeyAge == "":
		case a.Role != "":
			v.Errorf(p("max_key_age"), "is for user access (an access key); a role's credentials are temporary")
		default:
			if _, ok := parseDays(a.MaxKeyAge); !ok {
				v.Errorf(p("max_key_age"), "%q: use a number of days from 1d to %dd, like 90d", a.MaxKeyAge, maxKeyAgeDays)
			}
		}
	}
}
