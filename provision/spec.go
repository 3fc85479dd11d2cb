package provision

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/awsboot/awsboot/policies"
	"gopkg.in/yaml.v3"
)

// Spec is the declarative description of one awsboot stack. Every field is
// documented in docs/spec.md.
type Spec struct {
	Version int    `yaml:"version"`
	Stack   string `yaml:"stack"`
	Region  string `yaml:"region"`
	// Endpoint is the S3 API of an S3-compatible service (MinIO, Versity);
	// IAMEndpoint its IAM and STS API when served apart. Empty: AWS.
	Endpoint    string `yaml:"endpoint"`
	IAMEndpoint string `yaml:"iam_endpoint"`
	// PathStyle addresses buckets in the path (default: on with endpoint).
	PathStyle *bool `yaml:"path_style"`
	// PolicyStyle is how grants reach users and roles: managed policies,
	// inline policies, or auto (managed where the service has them).
	PolicyStyle string   `yaml:"policy_style"`
	Bucket      Bucket   `yaml:"bucket"`
	Access      []Access `yaml:"access"`

	// File is the path the spec was loaded from; relative paths in the
	// spec are relative to its directory.
	File string `yaml:"-"`
}

// Bucket is the S3 bucket of the stack.
type Bucket struct {
	Name string `yaml:"name"`
	// BlockPublicAccess turns on all four public access block settings.
	// It defaults to true and awsboot refuses false: nothing it manages is
	// ever public.
	BlockPublicAccess *bool `yaml:"block_public_access"`
	// Encryption is the default encryption: sse-s3 (the default).
	Encryption string            `yaml:"encryption"`
	Tags       map[string]string `yaml:"tags"`
	// Versioning turns object versioning on (true) or off (false); unset
	// leaves it as it is.
	Versioning *bool `yaml:"versioning"`
	// AbortIncompleteMultipartDays cleans up abandoned multipart uploads
	// (default 1; 0 turns the rule off).
	AbortIncompleteMultipartDays *int `yaml:"abort_incomplete_multipart_days"`
	// Lifecycle are expiry rules, one per key prefix.
	Lifecycle []LifecycleRule `yaml:"lifecycle"`
	// ObjectOwnership is bucket-owner-enforced (the default: ACLs off, the
	// bucket owner owns every object), bucket-owner-preferred or
	// object-writer.
	ObjectOwnership string `yaml:"object_ownership"`
	// Writers are principals of other accounts that may upload.
	Writers []Writer `yaml:"writers"`
	// CDN lets one CloudFront distribution read the objects.
	CDN *CDN `yaml:"cdn"`
	// Replication copies new objects into another bucket.
	Replication *Replication `yaml:"replication"`
}

// Writer is a principal (an account root or a role ARN) that may put
// objects under Prefix.
type Writer struct {
	Principal string `yaml:"principal"`
	Prefix    string `yaml:"prefix"`
}

// CDN is the CloudFront distribution that reads the bucket, through Origin
// Access Control (service principal + AWS:SourceArn) or, only when asked,
// a legacy Origin Access Identity.
type CDN struct {
	CloudFrontDistributionARN string `yaml:"cloudfront_distribution_arn"`
	LegacyOAIID               string `yaml:"legacy_oai_id"`
}

// Replication replicates new objects into a bucket, possibly of another
// account, optionally handing their ownership to that bucket's owner.
type Replication struct {
	Destination        string `yaml:"destination"`
	DestinationAccount string `yaml:"destination_account"`
	OwnerOverride      bool   `yaml:"owner_override"`
	// Role is the replication role's name (default <bucket>-replication).
	Role string `yaml:"role"`
	// DestinationPolicyFile receives the statement the destination
	// bucket's owner must add to their bucket policy.
	DestinationPolicyFile string `yaml:"destination_policy_file"`
}

// LifecycleRule expires objects under a prefix. Prefix is required: a rule
// for the whole bucket must say prefix: "" explicitly.
type LifecycleRule struct {
	ID                   string  `yaml:"id"`
	Prefix               *string `yaml:"prefix"`
	ExpireDays           int     `yaml:"expire_days"`
	NoncurrentExpireDays int     `yaml:"noncurrent_expire_days"`
}

// Access is one consumer of the bucket: a grant and the identity that holds
// it, plus the local files to write for it.
type Access struct {
	Name  string `yaml:"name"`
	Grant string `yaml:"grant"`
	// Prefix limits the grant to keys under it ("results/"); required by
	// grants that need one (publisher).
	Prefix string `yaml:"prefix"`
	// User is an IAM user with one access key; Role an IAM role assumed
	// through OIDC federation. Exactly one of them is set.
	User   string `yaml:"user"`
	Role   string `yaml:"role"`
	Policy string `yaml:"policy"`
	// OIDC says who may assume Role; required with role.
	OIDC *OIDC `yaml:"oidc"`
	// MaxSession is the role's maximum session duration (1h to 12h).
	MaxSession string `yaml:"max_session"`
	// PresignExpiry is Bacalhau's PreSignedURLExpiration (default 1h).
	PresignExpiry string `yaml:"presign_expiry"`
	Write         Write  `yaml:"write"`
}

// Write lists the local files awsboot writes for an access entry.
type Write struct {
	// AWSProfile is the profile written to the shared config and
	// credentials files.
	AWSProfile string `yaml:"aws_profile"`
	// SemaphoreAgent is the path of a Semaphore agent config.yaml whose
	// env-vars get the cache settings.
	SemaphoreAgent string `yaml:"semaphore_agent"`
	// SemaphorePipeline is a file that receives the pipeline commands
	// that assume the role with the job's OIDC token.
	SemaphorePipeline string `yaml:"semaphore_pipeline"`
	// GitHubWorkflow is a file that receives the equivalent GitHub
	// Actions step.
	GitHubWorkflow string `yaml:"github_workflow"`
	// WebIdentityTokenFile, with aws_profile and role, makes the profile
	// assume the role with the token kept in that file.
	WebIdentityTokenFile string `yaml:"web_identity_token_file"`
	// BacalhauConfig is an orchestrator config file that receives the
	// Publishers.Types.S3Managed block.
	BacalhauConfig string `yaml:"bacalhau_config"`
	// BacalhauFlags is a file that receives the same settings as
	// `bacalhau serve -c Key=Value` lines.
	BacalhauFlags string `yaml:"bacalhau_flags"`
}

// SpecError is a problem in a spec file, located by line and column.
type SpecError struct {
	File   string
	Line   int
	Column int
	Field  string
	Msg    string
}

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

// LoadSpec reads, strictly decodes, defaults and validates a spec file.
func LoadSpec(path string) (*Spec, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading spec: %w", err)
	}
	return ParseSpec(path, data)
}

// ParseSpec is LoadSpec on bytes already read; path is used in messages
// and to resolve relative paths.
func ParseSpec(path string, data []byte) (*Spec, error) {
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
	if err := dec.Decode(&s); err != nil {
		return nil, decodeErrors(path, &root, err)
	}
	s.File = path
	v := validator{file: path, root: root.Content[0]}
	s.applyDefaults()
	v.validate(&s)
	if len(v.errs) > 0 {
		return nil, v.errs
	}
	return &s, nil
}

func (s *Spec) applyDefaults() {
	if s.Bucket.BlockPublicAccess == nil {
		t := true
		s.Bucket.BlockPublicAccess = &t
	}
	if s.Bucket.Encryption == "" {
		s.Bucket.Encryption = "sse-s3"
	}
	if s.PolicyStyle == "" {
		s.PolicyStyle = "auto"
	}
	if s.Bucket.ObjectOwnership == "" {
		s.Bucket.ObjectOwnership = "bucket-owner-enforced"
	}
	if r := s.Bucket.Replication; r != nil && r.Role == "" {
		r.Role = s.Bucket.Name + "-replication"
	}
	if s.Bucket.AbortIncompleteMultipartDays == nil {
		one := 1
		s.Bucket.AbortIncompleteMultipartDays = &one
	}
	for i := range s.Bucket.Lifecycle {
		r := &s.Bucket.Lifecycle[i]
		if r.ID == "" && r.Prefix != nil {
			r.ID = "expire-" + strings.Trim(strings.ReplaceAll(*r.Prefix, "/", "-"), "-")
			if *r.Prefix == "" {
				r.ID = "expire-all"
			}
		}
	}
	for i := range s.Access {
		a := &s.Access[i]
		if a.Policy == "" && a.User != "" {
			a.Policy = a.User + "-" + a.Grant + "-policy"
		}
		if a.Policy == "" && a.Role != "" {
			a.Policy = a.Role + "-" + a.Grant + "-policy"
		}
		if a.Role != "" && a.MaxSession == "" {
			a.MaxSession = "1h"
		}
		if a.Grant == "publisher" && a.PresignExpiry == "" {
			a.PresignExpiry = "1h"
		}
		if a.OIDC != nil {
			a.OIDC.expandPresets()
		}
	}
}

// Path resolves a path written in the spec: "~/" is the home directory,
// relative paths are relative to the spec file's directory.
func (s *Spec) Path(p string) string {
	if p == "" {
		return ""
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[1:])
		}
	}
	if filepath.IsAbs(p) {
		return p
	}
	dir, err := filepath.Abs(filepath.Dir(s.File))
	if err != nil {
		dir = filepath.Dir(s.File)
	}
	return filepath.Join(dir, p)
}

var (
	lineRe      = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRe   = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
	cannotRe    = regexp.MustCompile("^cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
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
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "provision."):
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

// validator checks a decoded spec, locating each problem in the YAML.
type validator struct {
	file string
	root *yaml.Node
	errs SpecErrors
}

// node finds the node at a path of keys and indexes (string or int);
// the bool is false when the path is absent (the error then points at the
// closest existing parent).
func (v *validator) node(path ...any) (*yaml.Node, bool) {
	n := v.root
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return n, false
			}
			found := false
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == p {
					n = n.Content[i+1]
					found = true
					break
				}
			}
			if !found {
				return n, false
			}
		case int:
			if n.Kind != yaml.SequenceNode || p >= len(n.Content) {
				return n, false
			}
			n = n.Content[p]
		}
	}
	return n, true
}

func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
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

func (v *validator) errorf(path []any, format string, args ...any) {
	n, _ := v.node(path...)
	v.errs = append(v.errs, &SpecError{File: v.file, Line: n.Line, Column: n.Column, Field: pathString(path), Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) required(path []any, value string) bool {
	if value == "" {
		if _, ok := v.node(path...); ok {
			v.errorf(path, "must not be empty")
		} else {
			v.errorf(path, "is required")
		}
		return false
	}
	return true
}

var (
	stackRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)
	regionRe  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	iamNameRe = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]+$`)
	profileRe = regexp.MustCompile(`^[A-Za-z0-9+=,.@_-]+$`)
	accessRe  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
)

func (v *validator) validate(s *Spec) {
	if s.Version != 1 {
		if _, ok := v.node("version"); !ok {
			v.errorf([]any{"version"}, "is required (write version: 1)")
		} else {
			v.errorf([]any{"version"}, "unsupported version %d (this awsboot reads version 1)", s.Version)
		}
	}
	if v.required([]any{"stack"}, s.Stack) && !stackRe.MatchString(s.Stack) {
		v.errorf([]any{"stack"}, "%q: use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit", s.Stack)
	}
	if s.Region != "" && !regionRe.MatchString(s.Region) {
		v.errorf([]any{"region"}, "%q is not an AWS region name (like us-east-1)", s.Region)
	}
	for _, f := range []struct{ name, val string }{{"endpoint", s.Endpoint}, {"iam_endpoint", s.IAMEndpoint}} {
		if u, err := url.Parse(f.val); f.val != "" && (err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "") {
			v.errorf([]any{f.name}, "%q must be an http:// or https:// URL", f.val)
		}
	}
	if s.IAMEndpoint != "" && s.Endpoint == "" {
		v.errorf([]any{"iam_endpoint"}, "needs endpoint: iam_endpoint is for S3-compatible services that serve IAM apart from S3")
	}
	switch s.PolicyStyle {
	case "auto", "managed", "inline":
	default:
		v.errorf([]any{"policy_style"}, "unknown policy_style %q (auto, managed or inline)", s.PolicyStyle)
	}
	v.validateBucket(s)
	v.validateAccess(s)
}

func (v *validator) validateBucket(s *Spec) {
	b := s.Bucket
	if _, ok := v.node("bucket"); !ok {
		v.errorf([]any{"bucket"}, "is required")
		return
	}
	if v.required([]any{"bucket", "name"}, b.Name) {
		if msg := bucketNameProblem(b.Name); msg != "" {
			v.errorf([]any{"bucket", "name"}, "%q is not a valid S3 bucket name: %s", b.Name, msg)
		}
	}
	if !*b.BlockPublicAccess {
		v.errorf([]any{"bucket", "block_public_access"}, "awsboot never makes a bucket public; remove the field or set it to true")
	}
	if b.Encryption != "sse-s3" {
		v.errorf([]any{"bucket", "encryption"}, "unknown encryption %q (supported: sse-s3)", b.Encryption)
	}
	if n := *b.AbortIncompleteMultipartDays; n < 0 || n > 3650 {
		v.errorf([]any{"bucket", "abort_incomplete_multipart_days"}, "%d: use 0 (off) to 3650 days", n)
	}
	ids := map[string]int{}
	for i, r := range b.Lifecycle {
		p := func(f ...any) []any { return append([]any{"bucket", "lifecycle", i}, f...) }
		if r.Prefix == nil {
			v.errorf(p("prefix"), "is required; a rule that expires the whole bucket must say prefix: \"\" explicitly")
		}
		if r.ExpireDays < 0 || r.NoncurrentExpireDays < 0 || r.ExpireDays+r.NoncurrentExpireDays == 0 {
			v.errorf(p(), "set expire_days and/or noncurrent_expire_days to a number of days (1 or more)")
		}
		if j, dup := ids[r.ID]; dup && r.ID != "" {
			v.errorf(p("id"), "%q is already used by bucket.lifecycle[%d]", r.ID, j)
		}
		ids[r.ID] = i
		if r.ID == abortRuleID {
			v.errorf(p("id"), "%q is the rule awsboot manages from abort_incomplete_multipart_days", r.ID)
		}
	}
	v.validateDelivery(s)
	for _, k := range sortedKeys(b.Tags) {
		val := b.Tags[k]
		p := []any{"bucket", "tags", k}
		switch {
		case k == StackTag:
			v.errorf(p, "the %s tag is set by awsboot from `stack`", StackTag)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			v.errorf(p, "tag keys starting with aws: are reserved by AWS")
		case len(k) > 128 || len(val) > 256:
			v.errorf(p, "tag keys are at most 128 characters and values at most 256")
		}
	}
}

// bucketNameProblem checks the S3 general purpose bucket naming rules and
// says what is wrong, "" if nothing is.
func bucketNameProblem(n string) string {
	switch {
	case len(n) < 3 || len(n) > 63:
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

func (v *validator) validateAccess(s *Spec) {
	if len(s.Access) == 0 {
		v.errorf([]any{"access"}, "is required: list at least one consumer of the bucket")
		return
	}
	// Files share one namespace: two entries (or an entry and the
	// replication's destination file) must never write the same path.
	seen := map[string]map[string]int{"name": {}, "user": {}, "role": {}, "policy": {}, "aws_profile": {}, "file": {}}
	if r := s.Bucket.Replication; r != nil {
		seen["role"][r.Role] = -1
		if r.DestinationPolicyFile != "" {
			seen["file"][s.Path(r.DestinationPolicyFile)] = -1
		}
	}
	dup := func(kind, val string, i int, path []any) bool {
		if val == "" {
			return false
		}
		if j, ok := seen[kind][val]; ok {
			by := fmt.Sprintf("access[%d]", j)
			if j < 0 {
				by = "bucket.replication"
			}
			v.errorf(path, "%q is already used by %s", val, by)
			return true
		}
		seen[kind][val] = i
		return false
	}
	for i, a := range s.Access {
		p := func(f ...any) []any { return append([]any{"access", i}, f...) }
		if v.required(p("name"), a.Name) && !accessRe.MatchString(a.Name) {
			v.errorf(p("name"), "%q: use lowercase letters, digits and '-'", a.Name)
		}
		dup("name", a.Name, i, p("name"))
		if v.required(p("grant"), a.Grant) {
			g, ok := policies.Lookup(a.Grant)
			if !ok {
				v.errorf(p("grant"), "unknown grant %q (known: %s)", a.Grant, strings.Join(policies.Names(), ", "))
			}
			if ok && g.RequiresPrefix && a.Prefix == "" {
				v.errorf(p("prefix"), "is required with grant %s: the key prefix the grant is limited to", a.Grant)
			}
		}
		if a.Prefix != "" && (strings.HasPrefix(a.Prefix, "/") || strings.ContainsAny(a.Prefix, "*?") || strings.Contains(a.Prefix, "//") || strings.Trim(a.Prefix, "/") == "") {
			v.errorf(p("prefix"), "%q: write a key prefix like results/ (no leading slash, no wildcards)", a.Prefix)
		}
		switch {
		case a.User != "" && a.Role != "":
			v.errorf(p("role"), "set either user (an access key) or role (OIDC federation), not both")
		case a.Role != "":
			v.validateRole(a, p)
		case a.OIDC != nil:
			v.errorf(p("oidc"), "oidc needs role: the IAM role that pipelines assume")
		}
		roleDup := dup("role", a.Role, i, p("role"))
		if a.Role == "" && v.required(p("user"), a.User) {
			if len(a.User) > 64 || !iamNameRe.MatchString(a.User) {
				v.errorf(p("user"), "%q is not a valid IAM user name (1-64 of letters, digits and +=,.@_-)", a.User)
			}
			if a.Write.AWSProfile == "" {
				v.errorf(p("write", "aws_profile"), "is required with user: the new access key's secret is shown only once and awsboot must store it in a profile")
			}
		}
		userDup := dup("user", a.User, i, p("user"))
		if len(a.Policy) > 128 || !iamNameRe.MatchString(a.Policy) && a.Policy != "" {
			v.errorf(p("policy"), "%q is not a valid IAM policy name (1-128 of letters, digits and +=,.@_-)", a.Policy)
		}
		if _, explicit := v.node(p("policy")...); explicit || !userDup && !roleDup {
			// A default policy name follows the user's or role's; when
			// that is a duplicate, it is already reported.
			dup("policy", a.Policy, i, p("policy"))
		}
		if a.Write.AWSProfile != "" && (len(a.Write.AWSProfile) > 64 || !profileRe.MatchString(a.Write.AWSProfile)) {
			v.errorf(p("write", "aws_profile"), "%q is not a valid profile name", a.Write.AWSProfile)
		}
		dup("aws_profile", a.Write.AWSProfile, i, p("write", "aws_profile"))
		// Paths are compared resolved: ./a.yaml and a.yaml are one file.
		dup("file", s.Path(a.Write.SemaphoreAgent), i, p("write", "semaphore_agent"))
		dup("file", s.Path(a.Write.SemaphorePipeline), i, p("write", "semaphore_pipeline"))
		dup("file", s.Path(a.Write.GitHubWorkflow), i, p("write", "github_workflow"))
		dup("file", s.Path(a.Write.BacalhauConfig), i, p("write", "bacalhau_config"))
		dup("file", s.Path(a.Write.BacalhauFlags), i, p("write", "bacalhau_flags"))
		if a.Role != "" {
			for _, f := range []struct{ name, val string }{{"bacalhau_config", a.Write.BacalhauConfig}, {"bacalhau_flags", a.Write.BacalhauFlags}} {
				if f.val != "" {
					v.errorf(p("write", f.name), "is for user access: Bacalhau's orchestrator reads a key from the default credential chain, not an OIDC token")
				}
			}
		}
		if (a.Write.BacalhauConfig != "" || a.Write.BacalhauFlags != "") && a.Grant != "publisher" {
			v.errorf(p("grant"), "write.bacalhau_config and write.bacalhau_flags configure Bacalhau's S3 managed publisher: use grant: publisher")
		}
		switch {
		case a.Grant == "publisher":
			if d, err := time.ParseDuration(a.PresignExpiry); err != nil || d <= 0 || d > 7*24*time.Hour {
				v.errorf(p("presign_expiry"), "%q: use a duration up to 168h (presigned URLs last at most 7 days), like 1h", a.PresignExpiry)
			}
		case a.PresignExpiry != "":
			v.errorf(p("presign_expiry"), "only applies to grant publisher (how long its presigned result URLs last)")
		}
		if a.Role != "" && a.Write.SemaphoreAgent != "" {
			v.errorf(p("write", "semaphore_agent"), "is for user access (an agent with a stored key); with role, use write.semaphore_pipeline")
		}
		if a.Role == "" {
			for _, f := range []struct{ name, val string }{{"semaphore_pipeline", a.Write.SemaphorePipeline}, {"github_workflow", a.Write.GitHubWorkflow}, {"web_identity_token_file", a.Write.WebIdentityTokenFile}} {
				if f.val != "" {
					v.errorf(p("write", f.name), "is for role (OIDC) access; a user's key goes to write.aws_profile")
				}
			}
			if a.MaxSession != "" {
				v.errorf(p("max_session"), "is for role (OIDC) access")
			}
		}
	}
}
