package consumers

import (
	"fmt"
	"slices"

	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// AccessKind says which access entries a consumer serves.
type AccessKind int

// The access kinds: an IAM user with a stored key, a role assumed with an
// OIDC token, or both.
const (
	UserAccess AccessKind = 1 << iota
	RoleAccess
	AnyAccess = UserAccess | RoleAccess
)

// Target is what a consumer's files point at, made by the graph builder
// (provision/build.go) for one access entry.
type Target struct {
	Spec   *spec.Spec
	Access spec.Access
	// Region and Endpoint are what the written files record; PathStyle
	// is on when the S3 client must address buckets in the path.
	Region    string
	Endpoint  string
	PathStyle bool
	// BucketAddr is the bucket's address; KeyAddr the access key's (user
	// access); GrantAddr the attachment or inline policy that grants the
	// access; RoleARN the role's (role access).
	BucketAddr engine.Address
	KeyAddr    engine.Address
	GrantAddr  engine.Address
	RoleARN    string
	// Files are the shared AWS files; FS the seam every file goes through.
	Files AWSFiles
	FS    localfile.System
}

// Path is the value of the consumer's key in write, resolved against the
// spec's directory.
func (t Target) Path(key string) string { return t.Spec.Path(t.Access.Write[key]) }

// Consumer is one tool awsboot writes files for, keyed by its field in an
// access entry's write block. Spec validation and graph building loop
// over Registry; adding a consumer is one file with its entry (see
// docs/architecture.md, "Adding a consumer").
type Consumer struct {
	// Key is the consumer's field under write (write.<Key>).
	Key string
	// Summary says, in docs and errors, what the consumer writes.
	Summary string
	// For is the access kinds the consumer serves; WrongAccess is the
	// message when an entry of another kind sets it.
	For         AccessKind
	WrongAccess string
	// Grants, when set, are the only grants the consumer configures a
	// tool for; WrongGrant is the message at the entry's grant otherwise.
	Grants     []string
	WrongGrant string
	// IsFile marks values that are file paths awsboot writes: no two
	// entries may write the same file.
	IsFile bool
	// Check validates what else the consumer needs of the entry.
	Check func(v *spec.Validator, s *spec.Spec, i int)
	// Build makes the consumer's resources for an entry that sets it;
	// nil for options read by another consumer's Build.
	Build func(t Target) ([]engine.Resource, error)
}

// Registry lists every consumer, in the order their checks run and their
// resources are listed in plans.
//
// A role's pipeline snippets come before its profile, a user's profile
// before the tool configs that name it, as the guides write them.
var Registry = []Consumer{
	semaphorePipelineConsumer,
	githubWorkflowConsumer,
	gitlabCIConsumer,
	awsProfileConsumer,
	webIdentityTokenFileOption,
	semaphoreAgentConsumer,
	bacalhauConfigConsumer,
	bacalhauFlagsConsumer,
	gitlabRunnerConsumer,
	gitlabRunnerNameOption,
}

// Lookup returns the consumer of a write key.
func Lookup(key string) (Consumer, bool) {
	i := slices.IndexFunc(Registry, func(c Consumer) bool { return c.Key == key })
	if i < 0 {
		return Consumer{}, false
	}
	return Registry[i], true
}

// SpecRules are the registry's rules for the spec loader: the write keys
// (any other is an unknown field, reported while decoding) and Check.
func SpecRules() spec.Rules {
	keys := make([]string, len(Registry))
	for i, c := range Registry {
		keys[i] = c.Key
	}
	return spec.Rules{WriteKeys: keys, Check: Check}
}

// Check is the spec.AccessCheck of the registry: each consumer's file
// uniqueness, access kind, grant and own checks, in registry order.
func Check(v *spec.Validator, s *spec.Spec, i int) {
	a := s.Access[i]
	p := func(f ...any) []any { return append([]any{"access", i}, f...) }
	for _, c := range Registry {
		if c.IsFile {
			v.Unique("file", s.Path(a.Write[c.Key]), i, p("write", c.Key))
		}
	}
	for _, c := range Registry {
		if a.Write[c.Key] == "" {
			continue
		}
		kind := UserAccess
		if a.Role != "" {
			kind = RoleAccess
		}
		if c.For&kind == 0 {
			v.Errorf(p("write", c.Key), "%s", c.WrongAccess)
		}
		if len(c.Grants) > 0 && !slices.Contains(c.Grants, a.Grant) {
			v.Errorf(p("grant"), "%s", c.WrongGrant)
		}
	}
	for _, c := range Registry {
		if c.Check != nil {
			c.Check(v, s, i)
		}
	}
}

// Build makes the resources of every consumer an access entry sets, in
// registry order.
func Build(t Target) ([]engine.Resource, error) {
	var out []engine.Resource
	for _, c := range Registry {
		if c.Build == nil || t.Access.Write[c.Key] == "" {
			continue
		}
		rs, err := c.Build(t)
		if err != nil {
			return nil, fmt.Errorf("access %q: write.%s: %w", t.Access.Name, c.Key, err)
		}
		out = append(out, rs...)
	}
	return out, nil
}
