package provision

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

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

func userListings(c *Clients, name string) principalListings {
	n := aws.String(name)
	return principalListings{
		what: fmt.Sprintf("user %q", name),
		tags: func(ctx context.Context, m *string) ([]iamtypes.Tag, *string, error) {
			out, err := c.IAM.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.Tags, nextMarker(out.IsTruncated, out.Marker), nil
		},
		attached: func(ctx context.Context, m *string) ([]iamtypes.AttachedPolicy, *string, error) {
			out, err := c.IAM.ListAttachedUserPolicies(ctx, &iam.ListAttachedUserPoliciesInput{UserName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.AttachedPolicies, nextMarker(out.IsTruncated, out.Marker), nil
		},
		inline: func(ctx context.Context, m *string) ([]string, *string, error) {
			out, err := c.IAM.ListUserPolicies(ctx, &iam.ListUserPoliciesInput{UserName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.PolicyNames, nextMarker(out.IsTruncated, out.Marker), nil
		},
	}
}

func roleListings(c *Clients, name string) principalListings {
	n := aws.String(name)
	return principalListings{
		what: fmt.Sprintf("role %q", name),
		tags: func(ctx context.Context, m *string) ([]iamtypes.Tag, *string, error) {
			out, err := c.IAM.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.Tags, nextMarker(out.IsTruncated, out.Marker), nil
		},
		attached: func(ctx context.Context, m *string) ([]iamtypes.AttachedPolicy, *string, error) {
			out, err := c.IAM.ListAttachedRolePolicies(ctx, &iam.ListAttachedRolePoliciesInput{RoleName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.AttachedPolicies, nextMarker(out.IsTruncated, out.Marker), nil
		},
		inline: func(ctx context.Context, m *string) ([]string, *string, error) {
			out, err := c.IAM.ListRolePolicies(ctx, &iam.ListRolePoliciesInput{RoleName: n, Marker: m})
			if err != nil {
				return nil, nil, err
			}
			return out.PolicyNames, nextMarker(out.IsTruncated, out.Marker), nil
		},
	}
}

// readPermissions reads a principal's tags and policies, every attached
// managed policy in extra; forPolicy then tells the stack's apart.
func readPermissions(ctx context.Context, c *Clients, l principalListings) (permissions, error) {
	p := permissions{tags: map[string]string{}}
	err := eachPage(ctx, l.tags, func(tags []iamtypes.Tag) {
		for _, t := range tags {
			p.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	})
	if err != nil {
		return p, fmt.Errorf("reading tags of %s: %w", l.what, err)
	}
	err = eachPage(ctx, l.attached, func(attached []iamtypes.AttachedPolicy) {
		for _, a := range attached {
			p.extra = append(p.extra, aws.ToString(a.PolicyArn))
		}
	})
	// A service without managed policies (Versity's gateway) has none
	// attached.
	if err != nil && !(c.Custom() && notImplemented(err)) {
		return p, fmt.Errorf("reading policies of %s: %w", l.what, err)
	}
	if err := eachPage(ctx, l.inline, func(names []string) { p.inline = append(p.inline, names...) }); err != nil {
		return p, fmt.Errorf("reading inline policies of %s: %w", l.what, err)
	}
	sort.Strings(p.extra)
	sort.Strings(p.inline)
	return p, nil
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
func (p permissions) driftDiffs(own string) []FieldDiff {
	var d []FieldDiff
	for _, arn := range p.extra {
		d = append(d, FieldDiff{Path: "other_managed_policies", Before: arn})
	}
	for _, n := range p.foreignInline(own) {
		d = append(d, FieldDiff{Path: "inline_policies", Before: n})
	}
	return d
}

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

// readCache memoises reads within one plan: the user (or role) is read by
// the user, its attachment and its key, and one plan should ask IAM once.
// Only MakePlan installs it; apply and delete always read afresh.
type readCache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	once sync.Once
	val  any
	err  error
}

type readCacheKey struct{}

func withReadCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, readCacheKey{}, &readCache{entries: map[string]*cacheEntry{}})
}

// cached runs read once per key within a plan, or every time outside one.
func cached[T any](ctx context.Context, key string, read func() (T, error)) (T, error) {
	rc, _ := ctx.Value(readCacheKey{}).(*readCache)
	if rc == nil {
		return read()
	}
	rc.mu.Lock()
	e, ok := rc.entries[key]
	if !ok {
		e = &cacheEntry{}
		rc.entries[key] = e
	}
	rc.mu.Unlock()
	e.once.Do(func() { e.val, e.err = read() })
	v, _ := e.val.(T)
	return v, e.err
}
