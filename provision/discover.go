package provision

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/engine"
)

// discoverS3API lists the S3 calls Discover makes to find a stack's
// buckets; reading them is the kinds' business.
type discoverS3API interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, opts ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, opts ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

// discoverIAMAPI lists the IAM calls Discover makes to find a stack's
// users, roles, managed policies and OIDC providers. The List…Tags calls
// answer tags on AWS and on the S3-compatible services whose Get calls
// leave them out; IAM's List calls never include them.
type discoverIAMAPI interface {
	ListUsers(ctx context.Context, in *iam.ListUsersInput, opts ...func(*iam.Options)) (*iam.ListUsersOutput, error)
	ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, opts ...func(*iam.Options)) (*iam.ListUserTagsOutput, error)
	ListRoles(ctx context.Context, in *iam.ListRolesInput, opts ...func(*iam.Options)) (*iam.ListRolesOutput, error)
	ListRoleTags(ctx context.Context, in *iam.ListRoleTagsInput, opts ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error)
	ListPolicies(ctx context.Context, in *iam.ListPoliciesInput, opts ...func(*iam.Options)) (*iam.ListPoliciesOutput, error)
	ListPolicyTags(ctx context.Context, in *iam.ListPolicyTagsInput, opts ...func(*iam.Options)) (*iam.ListPolicyTagsOutput, error)
	GetPolicy(ctx context.Context, in *iam.GetPolicyInput, opts ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	ListOpenIDConnectProviders(ctx context.Context, in *iam.ListOpenIDConnectProvidersInput, opts ...func(*iam.Options)) (*iam.ListOpenIDConnectProvidersOutput, error)
	ListOpenIDConnectProviderTags(ctx context.Context, in *iam.ListOpenIDConnectProviderTagsInput, opts ...func(*iam.Options)) (*iam.ListOpenIDConnectProviderTagsOutput, error)
}

// Discover finds, without a spec, what carries stack's ownership tags in
// the account and region of c: buckets (ListBuckets, then each bucket's
// tags), users, roles, customer managed policies (Scope=Local; each
// one's GetPolicy gives its tags, or the description's mark of a policy
// CloudFormation made from awsboot's template) and OIDC providers (each
// listing, then each object's tags; a provider counts
// when the stack uses it, or created it and no stack uses it). It then
// reads each as Show does, through the same kinds, with each user's
// access keys, the bucket's policy and replication, and returns what the
// stack owns.
//
// It costs one request per bucket, user, role, policy and provider of
// the account, at most o.Parallelism at a time: meant for a lost spec,
// not for every run. Buckets in other regions are not looked at (their
// tags are served from their region); a note says how many there are.
func Discover(ctx context.Context, c *awsapi.Clients, stack string, o engine.PlanOptions) (*Shown, error) {
	f := &finder{s3: c.S3, iam: c.IAM, stack: stack, region: c.Account.Region, limit: max(o.Parallelism, 1), custom: c.Account.Custom()}
	if err := f.find(ctx); err != nil {
		return nil, err
	}
	b := &builder{acct: c.Account}
	for _, name := range f.buckets {
		bucket := awskinds.NewS3Bucket(awskinds.S3BucketConfig{
			Stack: stack, Name: name, Region: c.Account.Region, Partition: c.Account.Partition, Custom: c.Account.Custom(),
		})
		kind(b, bucket)
		kind(b, awskinds.NewS3BucketPolicy(awskinds.S3BucketPolicyConfig{Stack: stack, Bucket: name, BucketAddr: bucket.Addr()}))
		kind(b, awskinds.NewS3BucketReplication(awskinds.S3BucketReplicationConfig{Stack: stack, Bucket: name, After: []engine.Address{bucket.Addr()}}))
	}
	for _, arn := range f.providers {
		host := arn[strings.Index(arn, ":oidc-provider/")+len(":oidc-provider/"):]
		kind(b, awskinds.NewOIDCProvider(awskinds.OIDCProviderConfig{Stack: stack, Issuer: "https://" + host, Host: host, ARN: arn}))
	}
	for _, p := range f.policies {
		kind(b, awskinds.NewIAMPolicy(awskinds.IAMPolicyConfig{Stack: stack, Name: p.name, ARN: p.arn}))
	}
	for _, name := range f.users {
		user := awskinds.NewIAMUser(awskinds.IAMUserConfig{Stack: stack, Name: name, Custom: c.Account.Custom()})
		kind(b, user)
		kind(b, awskinds.NewIAMAccessKey(awskinds.IAMAccessKeyConfig{
			Stack: stack, User: name, Store: noKeyStore{}, After: []engine.Address{user.Addr()}, Custom: c.Account.Custom(),
		}))
	}
	for _, r := range f.roles {
		kind(b, awskinds.NewIAMRole(awskinds.IAMRoleConfig{Stack: stack, Name: r.name, ARN: r.arn, Custom: c.Account.Custom()}))
	}
	for _, k := range b.kinds {
		k.Connect(c)
	}
	g, err := engine.NewGraph(b.resources...)
	if err != nil {
		return nil, err
	}
	obs, err := engine.Observe(ctx, g, o)
	if err != nil {
		return nil, err
	}
	s := shown(stack, c.Account, obs, true)
	s.ByTags = true
	s.Notes = f.notes
	return s, nil
}

// named is an IAM object found by its listing.
type named struct{ name, arn string }

// finder collects what carries a stack's tags.
type finder struct {
	s3     discoverS3API
	iam    discoverIAMAPI
	stack  string
	region string
	limit  int
	// custom is true against an S3-compatible service, whose GetPolicy
	// may leave tags out.
	custom bool

	buckets, users, providers []string
	roles, policies           []named
	notes                     []string
}

// find runs the five searches at once.
func (f *finder) find(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i, search := range []func(context.Context) error{f.findBuckets, f.findUsers, f.findRoles, f.findPolicies, f.findProviders} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = search(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// owns reports whether tags mark an object as the stack's.
func (f *finder) owns(tags map[string]string) bool { return tags[engine.StackTag] == f.stack }

// matching returns the items whose tags (read by tagsOf, at most f.limit
// at a time) mark them as the stack's, in items' order. tagsOf answers
// nil, nil for an item gone meanwhile.
func matching[T any](f *finder, items []T, tagsOf func(T) (map[string]string, error), owns func(map[string]string) bool) ([]T, error) {
	keep := make([]bool, len(items))
	errs := make([]error, len(items))
	sem := make(chan struct{}, f.limit)
	var wg sync.WaitGroup
	for i, it := range items {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			tags, err := tagsOf(it)
			keep[i], errs[i] = err == nil && owns(tags), err
		}()
	}
	wg.Wait()
	var out []T
	for i, it := range items {
		if keep[i] {
			out = append(out, it)
		}
	}
	return out, errors.Join(errs...)
}

// iamTags turns IAM tags into a map.
func iamTags(tags []iamtypes.Tag) map[string]string {
	m := map[string]string{}
	for _, t := range tags {
		m[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return m
}

// goneOr is nil for IAM's NoSuchEntity (the object went while it was
// being looked at), else err wrapped with what was being done.
func goneOr(err error, format string, args ...any) error {
	if err == nil || awsapi.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}

func (f *finder) findBuckets(ctx context.Context) error {
	var names []string
	elsewhere := map[string]int{}
	var token *string
	for {
		out, err := f.s3.ListBuckets(ctx, &s3.ListBucketsInput{ContinuationToken: token})
		if err != nil {
			return fmt.Errorf("listing buckets: %w", err)
		}
		for _, b := range out.Buckets {
			// ListBuckets lists every region's buckets; it names each
			// one's region where the service says.
			if r := aws.ToString(b.BucketRegion); r != "" && r != f.region {
				elsewhere[r]++
				continue
			}
			names = append(names, aws.ToString(b.Name))
		}
		if token = out.ContinuationToken; token == nil || *token == "" {
			break
		}
	}
	var mu sync.Mutex
	var unreadable []string
	found, err := matching(f, names, func(name string) (map[string]string, error) {
		out, err := f.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(name)})
		tags := map[string]string{}
		switch code := awsapi.ErrorCode(err); {
		case err == nil:
			for _, t := range out.TagSet {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		case code == "NoSuchTagSet", code == "NoSuchBucket":
		case awsapi.HTTPStatus(err) == http.StatusMovedPermanently, code == "PermanentRedirect":
			// In another region, which the listing did not say.
			mu.Lock()
			elsewhere["another region"]++
			mu.Unlock()
		case awsapi.HTTPStatus(err) == http.StatusForbidden:
			// A bucket policy may deny even the account's own
			// identities: say so, and go on with the others.
			mu.Lock()
			unreadable = append(unreadable, name)
			mu.Unlock()
		default:
			return nil, fmt.Errorf("reading tags of bucket %q: %w", name, err)
		}
		return tags, nil
	}, f.owns)
	f.buckets = found
	for _, r := range slices.Sorted(maps.Keys(elsewhere)) {
		f.notes = append(f.notes, fmt.Sprintf("%d bucket(s) in %s were not looked at: run again with --region to look there", elsewhere[r], r))
	}
	if len(unreadable) > 0 {
		sort.Strings(unreadable)
		f.notes = append(f.notes, fmt.Sprintf("access denied reading the tags of bucket(s) %s: not looked at", strings.Join(unreadable, ", ")))
	}
	return err
}

func (f *finder) findUsers(ctx context.Context) error {
	var names []string
	var marker *string
	for {
		out, err := f.iam.ListUsers(ctx, &iam.ListUsersInput{Marker: marker})
		if err != nil {
			return fmt.Errorf("listing users: %w", err)
		}
		for _, u := range out.Users {
			names = append(names, aws.ToString(u.UserName))
		}
		if !out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	found, err := matching(f, names, func(name string) (map[string]string, error) {
		out, err := f.iam.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(name)})
		if err != nil {
			return nil, goneOr(err, "reading tags of user %q", name)
		}
		return iamTags(out.Tags), nil
	}, f.owns)
	f.users = found
	return err
}

func (f *finder) findRoles(ctx context.Context) error {
	var roles []named
	var marker *string
	for {
		out, err := f.iam.ListRoles(ctx, &iam.ListRolesInput{Marker: marker})
		if err != nil {
			return fmt.Errorf("listing roles: %w", err)
		}
		for _, r := range out.Roles {
			roles = append(roles, named{aws.ToString(r.RoleName), aws.ToString(r.Arn)})
		}
		if !out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	found, err := matching(f, roles, func(r named) (map[string]string, error) {
		out, err := f.iam.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(r.name)})
		if err != nil {
			return nil, goneOr(err, "reading tags of role %q", r.name)
		}
		return iamTags(out.Tags), nil
	}, f.owns)
	f.roles = found
	return err
}

func (f *finder) findPolicies(ctx context.Context) error {
	var pols []named
	var marker *string
	for {
		out, err := f.iam.ListPolicies(ctx, &iam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, Marker: marker})
		if err != nil {
			if awsapi.NotImplemented(err) {
				// A service without managed policies has none.
				return nil
			}
			return fmt.Errorf("listing policies: %w", err)
		}
		for _, p := range out.Policies {
			pols = append(pols, named{aws.ToString(p.PolicyName), aws.ToString(p.Arn)})
		}
		if !out.IsTruncated {
			break
		}
		marker = out.Marker
	}
	// GetPolicy, one request as ListPolicyTags, answers the tags and the
	// description: a policy a CloudFormation stack made from awsboot's
	// template has no tags but a marked description
	// (awskinds.ParseCloudFormationPolicyDescription), which names its
	// stack. ListPolicies answers neither.
	found, err := matching(f, pols, func(p named) (map[string]string, error) {
		out, err := f.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(p.arn)})
		if err != nil {
			return nil, goneOr(err, "reading policy %s", p.arn)
		}
		tags := iamTags(out.Policy.Tags)
		if _, ok := tags[engine.StackTag]; !ok {
			if stack, _, marked := awskinds.ParseCloudFormationPolicyDescription(aws.ToString(out.Policy.Description)); marked {
				tags[engine.StackTag] = stack
			}
		}
		if len(tags) == 0 && f.custom {
			// A service that leaves the tags out of GetPolicy.
			lt, err := f.iam.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(p.arn)})
			if err != nil {
				return nil, goneOr(err, "reading tags of policy %s", p.arn)
			}
			tags = iamTags(lt.Tags)
		}
		return tags, nil
	}, f.owns)
	// Two policies of one name (other paths) would share an address:
	// keep the first, and say so.
	seen := map[string]bool{}
	for _, p := range found {
		if seen[p.name] {
			f.notes = append(f.notes, fmt.Sprintf("policy %s has the name of another of the stack's policies: not shown", p.arn))
			continue
		}
		seen[p.name] = true
		f.policies = append(f.policies, p)
	}
	return err
}

func (f *finder) findProviders(ctx context.Context) error {
	out, err := f.iam.ListOpenIDConnectProviders(ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil {
		if awsapi.NotImplemented(err) {
			return nil
		}
		return fmt.Errorf("listing OIDC providers: %w", err)
	}
	var arns []string
	for _, p := range out.OpenIDConnectProviderList {
		arns = append(arns, aws.ToString(p.Arn))
	}
	found, err := matching(f, arns, func(arn string) (map[string]string, error) {
		out, err := f.iam.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(arn)})
		if err != nil {
			return nil, goneOr(err, "reading tags of OIDC provider %s", arn)
		}
		return iamTags(out.Tags), nil
	}, func(tags map[string]string) bool {
		// The stack uses it, or created it and no stack uses it any
		// more: the rule OIDCProvider.Read owns it by.
		if tags[awskinds.UsesTag(f.stack)] != "" {
			return true
		}
		for k := range tags {
			if strings.HasPrefix(k, awskinds.UsesTag("")) {
				return false
			}
		}
		return f.owns(tags)
	})
	f.providers = found
	return err
}

// noKeyStore is the key store of a user found without a spec: which
// profile holds its key is unknown, so none is read.
type noKeyStore struct{}

func (noKeyStore) Load() (awskinds.StoredKey, error) { return awskinds.StoredKey{}, nil }
func (noKeyStore) Save(string, engine.Secret) error {
	return errors.New("no credentials profile without a spec")
}
func (noKeyStore) MarkProven(string, engine.Secret) error {
	return errors.New("no credentials profile without a spec")
}
func (noKeyStore) Remove() error   { return nil }
func (noKeyStore) Path() string    { return "" }
func (noKeyStore) Profile() string { return "" }
