package awskinds

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// principalListings, readUser and readRole are shared by IAMUser, IAMRole
// and the kinds whose ownership follows theirs (attachment, inline
// policy, access key).

// permissions is what awsboot reads of an IAM user or role besides its
// own settings: its tags, whether the stack's managed policy is attached,
// any other managed policy, and its inline policies. Users and roles are
// read the same way through their three listings.
type permissions struct {
	tags     map[string]string
	extra    []string // managed policy ARNs other than the stack's
	inline   []string // inline policy names
	attached bool     // the stack's managed policy is attached
}

// listFunc reads one page of a listing; the next marker is nil on the last.
type listFunc[T any] func(ctx context.Context, marker *string) ([]T, *string, error)

// eachPage calls use with every page of a listing.
func eachPage[T any](ctx context.Context, list listFunc[T], use func([]T)) error {
	var marker *string
	for {
		items, next, err := list(ctx, marker)
		if err != nil {
			return err
		}
		use(items)
		if next == nil {
			return nil
		}
		marker = next
	}
}

func nextMarker(truncated bool, marker *string) *string {
	if truncated {
		return marker
	}
	return nil
}

// principalListings are the listings of one user or role.
type principalListings struct {
	what     string // `user "semaphore"`, for messages
	tags     listFunc[iamtypes.Tag]
	attached listFunc[iamtypes.AttachedPolicy]
	inline   listFunc[string]
}

// userReadAPI lists the IAM calls that read a user.
type userReadAPI interface {
	GetUser(ctx context.Context, in *iam.GetUserInput, opts ...func(*iam.Options)) (*iam.GetUserOutput, error)
	ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, opts ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
	ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, opts ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, opts ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error)
}

// roleReadAPI lists the IAM calls that read a role.
type roleReadAPI interface {
	GetRole(ctx context.Context, in *iam.GetRoleInput, opts ...func(*iam.Options)) (*iam.GetRoleOutput, error)
	ListRoleTags(ctx context.Context, in *iam.ListRoleTagsInput, opts ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error)
	ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, opts ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error)
	ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, opts ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error)
}

func userListings(c userReadAPI, name string) principalListings {
	n := aws.String(name)
	return principalListings{
		what: fmt.Sprintf("user %q", name),
		tags: func(ctx context.Context, m *string) ([]iamtypes.Tag, *string, error) {
			out, err := c.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.Tags, nextMarker(out.IsTruncated, out.Marker), nil
		},
		attached: func(ctx context.Context, m *string) ([]iamtypes.AttachedPolicy, *string, error) {
			out, err := c.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.AttachedPolicies, nextMarker(out.IsTruncated, out.Marker), nil
		},
		inline: func(ctx context.Context, m *string) ([]string, *string, error) {
			out, err := c.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.PolicyNames, nextMarker(out.IsTruncated, out.Marker), nil
		},
	}
}

func roleListings(c roleReadAPI, name string) principalListings {
	n := aws.String(name)
	return principalListings{
		what: fmt.Sprintf("role %q", name),
		tags: func(ctx context.Context, m *string) ([]iamtypes.Tag, *string, error) {
			out, err := c.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.Tags, nextMarker(out.IsTruncated, out.Marker), nil
		},
		attached: func(ctx context.Context, m *string) ([]iamtypes.AttachedPolicy, *string, error) {
			out, err := c.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.AttachedPolicies, nextMarker(out.IsTruncated, out.Marker), nil
		},
		inline: func(ctx context.Context, m *string) ([]string, *string, error) {
			out, err := c.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.PolicyNames, nextMarker(out.IsTruncated, out.Marker), nil
		},
	}
}

// readPrincipal reads a user or role: get (GetUser or GetRole, which
// also answers its tags) and its policy listings, all at once. The
// listings need only the name, not get's answer, so a read costs one
// round trip instead of four; each listing still pages in order. For a
// principal that does not exist the listings are wasted, which costs
// requests but no time. (They are not cancelled: they answer
// NoSuchEntity as fast, and the SDK logs a warning for each response it
// cannot drain from a cancelled request.) found is false when get says
// NoSuchEntity, whatever the listings answered. Every attached managed
// policy is in extra; forPolicy then tells the stack's apart.
func readPrincipal(ctx context.Context, custom bool, l principalListings, get func(context.Context) ([]iamtypes.Tag, error)) (found bool, p permissions, err error) {
	p = permissions{tags: map[string]string{}}
	addTags := func(tags []iamtypes.Tag) {
		for _, t := range tags {
			p.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	var missing bool
	var getErr, tagsErr, attachedErr, inlineErr error
	concurrently(
		func() {
			tags, err := get(ctx)
			switch {
			case awsapi.IsNotFound(err):
				missing = true
			case err != nil:
				getErr = fmt.Errorf("reading %s: %w", l.what, err)
			case len(tags) > 0:
				// GetUser and GetRole answer with the principal's
				// tags (the Tags of IAM's User and Role types:
				// https://docs.aws.amazon.com/IAM/latest/APIReference/API_User.html,
				// .../API_Role.html; Terraform's aws_iam_user and
				// aws_iam_role read them there), and without a marker:
				// the whole list, which IAM bounds at 50 tags per user
				// or role (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
				// So ListUserTags/ListRoleTags answer nothing more.
				addTags(tags)
			default:
				// No tags at all: either there are none, or the
				// service leaves them out of GetUser (an S3-compatible
				// service's IAM may). The listing tells, at the cost of
				// a round trip only for an untagged principal.
				if err := eachPage(ctx, l.tags, addTags); err != nil {
					tagsErr = fmt.Errorf("reading tags of %s: %w", l.what, err)
				}
			}
		},
		func() {
			err := eachPage(ctx, l.attached, func(attached []iamtypes.AttachedPolicy) {
				for _, a := range attached {
					p.extra = append(p.extra, aws.ToString(a.PolicyArn))
				}
			})
			// A service without managed policies (Versity's gateway)
			// has none attached.
			if err != nil && !(custom && awsapi.NotImplemented(err)) {
				attachedErr = fmt.Errorf("reading policies of %s: %w", l.what, err)
			}
		},
		func() {
			if err := eachPage(ctx, l.inline, func(names []string) { p.inline = append(p.inline, names...) }); err != nil {
				inlineErr = fmt.Errorf("reading inline policies of %s: %w", l.what, err)
			}
		},
	)
	if missing {
		return false, permissions{}, nil
	}
	// get's failure comes alone, as when the listings waited for it.
	if getErr != nil {
		return false, permissions{}, getErr
	}
	if err := errors.Join(tagsErr, attachedErr, inlineErr); err != nil {
		return false, permissions{}, err
	}
	sort.Strings(p.extra)
	sort.Strings(p.inline)
	return true, p, nil
}

// foreignInline lists the inline policies other than own (the stack's
// inline grant, "" when grants are managed).
func (p permissions) foreignInline(own string) []string {
	var out []string
	for _, n := range p.inline {
		if n != own {
			out = append(out, n)
		}
	}
	return out
}

// driftDiffs shows every permission the principal holds beyond the
// stack's grant: drift, since a user or role must hold exactly its grant.
func (p permissions) driftDiffs(own string) []engine.FieldDiff {
	var d []engine.FieldDiff
	for _, arn := range p.extra {
		d = append(d, engine.Removed(pathOtherManaged, arn))
	}
	for _, n := range p.foreignInline(own) {
		d = append(d, engine.Removed(pathInlinePolicies, n))
	}
	return d
}

// The paths of a user's or role's permissions beyond its grant.
const (
	pathOtherManaged   engine.Path = "other_managed_policies"
	pathInlinePolicies engine.Path = "inline_policies"
)

// userState is what awsboot reads of an IAM user.
type userState struct {
	arn string
	permissions
}

// readUser reads a user's state; nil when the user does not exist. It is
// shared by the resources whose ownership follows the user's, and read
// once per plan.
func readUser(ctx context.Context, api userReadAPI, custom bool, name, policyARN string) (*userState, error) {
	st, err := engine.Cached(ctx, "user/"+name, func() (*userState, error) {
		var arn string
		found, perms, err := readPrincipal(ctx, custom, userListings(api, name), func(ctx context.Context) ([]iamtypes.Tag, error) {
			out, err := api.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
			if err != nil {
				return nil, err
			}
			arn = aws.ToString(out.User.Arn)
			return out.User.Tags, nil
		})
		if err != nil || !found {
			return nil, err
		}
		return &userState{arn: arn, permissions: perms}, nil
	})
	if err != nil || st == nil {
		return nil, err
	}
	return &userState{arn: st.arn, permissions: st.forPolicy(policyARN)}, nil
}

// roleState is what awsboot reads of an IAM role.
type roleState struct {
	trust      policies.Document
	maxSession int32
	permissions
}

// readRole reads a role's state; nil when the role does not exist.
func readRole(ctx context.Context, api roleReadAPI, custom bool, name, policyARN string) (*roleState, error) {
	st, err := engine.Cached(ctx, "role/"+name, func() (*roleState, error) {
		var role *iamtypes.Role
		found, perms, err := readPrincipal(ctx, custom, roleListings(api, name), func(ctx context.Context) ([]iamtypes.Tag, error) {
			out, err := api.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
			if err != nil {
				return nil, err
			}
			role = out.Role
			return out.Role.Tags, nil
		})
		if err != nil || !found {
			return nil, err
		}
		st := &roleState{maxSession: aws.ToInt32(role.MaxSessionDuration), permissions: perms}
		if st.trust, err = policies.Parse(aws.ToString(role.AssumeRolePolicyDocument)); err != nil {
			return nil, fmt.Errorf("role %q trust policy: %w", name, err)
		}
		return st, nil
	})
	if err != nil || st == nil {
		return nil, err
	}
	cp := *st
	cp.permissions = st.forPolicy(policyARN)
	return &cp, nil
}

// tag is one IAM tag.
func tag(k, v string) iamtypes.Tag { return iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)} }

// forPolicy returns the permissions as seen by a resource whose managed
// policy is arn: that one counts as attached, the others as extra.
func (p permissions) forPolicy(arn string) permissions {
	out := permissions{tags: p.tags, inline: p.inline}
	for _, a := range p.extra {
		if a == arn && arn != "" {
			out.attached = true
		} else {
			out.extra = append(out.extra, a)
		}
	}
	return out
}

// summary is what `awsboot show` prints of a user's or role's
// permissions and tags (Summary of IAMUser and IAMRole): every managed
// policy attached (the stack's first), every inline policy, every tag.
func (p permissions) summary(policyARN string) []engine.KV {
	var managed []string
	if p.attached {
		managed = append(managed, policyARN)
	}
	managed = append(managed, p.extra...)
	kv := []engine.KV{{Key: "managed_policies", Value: listWord(managed)}, {Key: "inline_policies", Value: listWord(p.inline)}}
	return append(kv, tagsKV(p.tags)...)
}

// listWord shows a list as one value: comma-separated, "none" when empty.
func listWord(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return strings.Join(items, ", ")
}

// tagsKV are an object's tags as "tags.<key>" settings, sorted.
func tagsKV(tags map[string]string) []engine.KV {
	var kv []engine.KV
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		kv = append(kv, engine.KV{Key: "tags." + k, Value: tags[k]})
	}
	return kv
}
