package provision

import (
	"fmt"
	"strings"
	"time"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/spec"
)

// BuildOptions are the run's choices that shape resources.
type BuildOptions struct {
	// Files are the shared AWS files profiles are written to.
	Files consumers.AWSFiles
	// Adopt lets resources take over local profiles awsboot did not write.
	Adopt bool
	// DeleteData lets teardown empty and delete a bucket that holds data.
	DeleteData bool
	// FS is the file system consumers write to (localfile.OS{} when nil).
	FS localfile.System
	// Intents is the stack's journal of creates under way
	// (localfile.NewIntents(stack) when nil).
	Intents awskinds.IntentJournal
	// Rotate asks for a new access key for the user entries it names
	// (awsboot rotate); nil rotates none.
	Rotate func(access string) bool
	// Clock is the access keys' clock (the wall clock when nil): keys'
	// ages for max_key_age, and the key waits.
	Clock awskinds.Clock
}

// ShiftedClock is the wall clock moved by d, for BuildOptions.Clock: the
// CLI's AWSBOOT_TEST_NOW test seam.
func ShiftedClock(d time.Duration) awskinds.Clock { return awskinds.ShiftedClock(d) }

// builder collects a stack's resources in listing order (the order plans
// print ties in) and the kinds that need clients.
type builder struct {
	s         *spec.Spec
	acct      awsapi.Account
	o         BuildOptions
	fs        localfile.System
	resources []engine.Resource
	kinds     []awskinds.Connector
	stack     *Stack
}

// kind adds an AWS kind to the graph; it will get clients at Connect.
func kind[S any](b *builder, k interface {
	engine.Kind[S]
	awskinds.Connector
}) {
	b.resources = append(b.resources, engine.Typed(k))
	b.kinds = append(b.kinds, k)
}

// Build turns a validated spec into its resource graph for an account,
// without any network call (the Stack's Spec is s.ForAccount(acct.ID):
// with bucket.name_suffix, the bucket's name in that account):
//
//	s3_bucket ─────────────────────────────────────┐
//	iam_policy ─┐                                  ├─ semaphore_agent_config
//	iam_user ───┴─ iam_user_policy_attachment ─ iam_access_key ─ aws_profile
//
// The key waits for the attachment so that a key that works (the proof
// awsboot waits for) also has its permissions; the profile and the agent
// config come last so a file never points at something that does not
// exist yet. validate, explain, plan and bootstrap all use this graph.
func Build(s *spec.Spec, acct awsapi.Account, o BuildOptions) (*Stack, error) {
	s = s.ForAccount(acct.ID) // bucket.name_suffix: the bucket's name in this account
	b := &builder{s: s, acct: acct, o: o, fs: o.FS}
	if b.fs == nil {
		b.fs = localfile.OS{}
	}
	if b.o.Intents == nil {
		b.o.Intents = localfile.NewIntents(s.Stack)
	}
	gate := localfile.NewGate(b.fs)
	b.fs = gate
	b.stack = &Stack{Spec: s, Account: acct, Grants: map[string]policies.Document{}, gate: gate, files: o.Files}
	if err := b.build(); err != nil {
		return nil, err
	}
	g, err := engine.NewGraph(b.resources...)
	if err != nil {
		return nil, err
	}
	b.stack.Graph, b.stack.kinds = g, b.kinds
	return b.stack, nil
}

func (b *builder) scope(bucket string) policies.Scope {
	return policies.Scope{Partition: b.acct.Partition, Bucket: bucket}
}

func (b *builder) build() error {
	s, acct := b.s, b.acct
	bucket := awskinds.NewS3Bucket(b.bucketConfig())
	kind(b, bucket)
	doc, notes, err := bucketPolicyDocument(s.Bucket, b.scope(s.Bucket.Name))
	if err != nil {
		return err
	}
	b.stack.BucketPolicy = doc
	kind(b, awskinds.NewS3BucketPolicy(awskinds.S3BucketPolicyConfig{
		Stack: s.Stack, Bucket: s.Bucket.Name, BucketAddr: bucket.Addr(), Document: doc, Notes: notes,
	}))
	if r := s.Bucket.Replication; r != nil {
		// Replication stays within one partition: S3 cannot replicate
		// from an aws bucket into an aws-cn one.
		if r.DestinationBucket() == s.Bucket.Name {
			return fmt.Errorf("bucket.replication.destination %s is the bucket itself in account %s (bucket.name_suffix): a bucket cannot replicate into itself", r.Destination, acct.ID)
		}
		if p := r.DestinationPartition(); p != acct.Partition {
			return fmt.Errorf("bucket.replication.destination %s is in partition %s, but the account is in %s: replication stays within one partition", r.Destination, p, acct.Partition)
		}
		b.replication(bucket)
	}
	providers := map[string]*awskinds.OIDCProvider{}
	for _, a := range s.Access {
		if a.OIDC == nil {
			continue
		}
		// One provider per issuer, shared by every role that trusts it.
		issuer := strings.TrimSuffix(a.OIDC.Issuer, "/")
		if p, ok := providers[issuer]; ok {
			p.Merge(a.OIDC.Audience, a.OIDC.Thumbprints)
			continue
		}
		host := spec.IssuerHost(issuer)
		providers[issuer] = awskinds.NewOIDCProvider(awskinds.OIDCProviderConfig{
			Stack: s.Stack, Issuer: issuer, Host: host, ARN: acct.IAMARN("oidc-provider/" + host),
			Audiences: []string{a.OIDC.Audience}, Thumbprints: a.OIDC.Thumbprints,
		})
		kind(b, providers[issuer])
	}
	inline := s.PolicyStyle == "inline" || s.PolicyStyle == "auto" && acct.NoManagedPolicies
	note := ""
	if s.PolicyStyle == "auto" && acct.NoManagedPolicies {
		note = "policy_style auto: this service's IAM has no managed policies, so the grant is an inline policy"
	}
	for _, a := range s.Access {
		if err := b.access(a, bucket, providers, inline, note); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) bucketConfig() awskinds.S3BucketConfig {
	s := b.s
	cfg := awskinds.S3BucketConfig{
		Stack: s.Stack, Name: s.Bucket.Name, Region: b.acct.Region, Partition: b.acct.Partition, Tags: s.Bucket.Tags, Versioning: s.Bucket.Versioning,
		ObjectOwnership: s.Bucket.S3ObjectOwnership(), Custom: b.acct.Custom(), DeleteData: b.o.DeleteData,
		Intents: b.o.Intents,
	}
	if s.Bucket.Replication != nil {
		// Replication needs versioning on the source.
		on := true
		cfg.Versioning = &on
	}
	if n := *s.Bucket.AbortIncompleteMultipartDays; n > 0 {
		cfg.Rules = append(cfg.Rules, awskinds.LifecycleRule{ID: spec.AbortRuleID, AbortDays: int32(n)})
	}
	for _, r := range s.Bucket.Lifecycle {
		cfg.Rules = append(cfg.Rules, awskinds.LifecycleRule{ID: r.ID, Prefix: *r.Prefix, ExpireDays: int32(r.ExpireDays), NoncurrentDays: int32(r.NoncurrentExpireDays)})
	}
	return cfg
}

// bucketPolicyDocument builds the bucket policy from the spec's writers
// and CDN (no statement when there is nothing to grant), with the notes
// the plan shows about it.
func bucketPolicyDocument(b spec.Bucket, bucket policies.Scope) (policies.Document, []string, error) {
	doc := b.BucketPolicy(bucket)
	var notes []string
	switch {
	case len(b.Writers) == 0 || b.ObjectOwnership == "bucket-owner-enforced":
	case b.ObjectOwnership == "bucket-owner-preferred":
		notes = append(notes, "object_ownership is bucket-owner-preferred, so writers must upload with the bucket-owner-full-control ACL "+
			"(the policy refuses other uploads): only then does the object belong to this account")
	default:
		notes = append(notes, "object_ownership is object-writer: even with the bucket-owner-full-control ACL (which the policy requires) "+
			"uploaded objects stay owned by the writer's account, so CloudFront and this bucket's policy cannot serve them; use bucket-owner-enforced")
	}
	if len(doc.Statement) == 0 {
		return policies.Document{}, nil, nil
	}
	if errs := policies.Lint(doc); len(errs) > 0 {
		return policies.Document{}, nil, fmt.Errorf("the bucket policy fails the least-privilege checks: %v", errs)
	}
	return doc, notes, nil
}

// replication adds the role S3 assumes, its inline permissions, the
// configuration, and the destination owner's statement as a file.
func (b *builder) replication(bucket *awskinds.S3Bucket) {
	s, r := b.s, *b.s.Bucket.Replication
	dest := r.DestinationBucket()
	role := awskinds.NewIAMRole(awskinds.IAMRoleConfig{
		Stack: s.Stack, Name: r.Role, ARN: b.acct.IAMARN("role/" + r.Role), Trust: policies.ReplicationTrust(),
		MaxSession: 3600, InlinePolicy: "replication", Purpose: "assumed by S3 to replicate objects", Custom: b.acct.Custom(),
	})
	perms := awskinds.NewIAMInlinePolicy(awskinds.IAMInlinePolicyConfig{
		Kind: awskinds.Role, Principal: r.Role, Parent: role.Addr(), Name: "replication",
		Document: policies.Replication(b.scope(s.Bucket.Name), dest, r.OwnerOverride), Custom: b.acct.Custom(),
	})
	rep := awskinds.NewS3BucketReplication(awskinds.S3BucketReplicationConfig{
		Stack: s.Stack, Bucket: s.Bucket.Name, RoleARN: role.ARN(), Destination: r.Destination,
		DestinationAccount: r.DestinationAccount, OwnerOverride: r.OwnerOverride, After: []engine.Address{bucket.Addr(), perms.Addr()},
	})
	kind(b, role)
	kind(b, perms)
	kind(b, rep)
	if r.DestinationPolicyFile != "" {
		doc := policies.ReplicationDestination(role.ARN(), b.scope(dest), r.OwnerOverride)
		b.resources = append(b.resources, engine.Typed(consumers.NewLocalFile(consumers.LocalFileConfig{
			Name: "replication/destination_policy", Path: s.Path(r.DestinationPolicyFile), Stack: s.Stack,
			Render: func(string) (string, error) { return doc.JSON() + "\n", nil },
			// JSON has no comments: the Awsboot Sids mark the file as ours.
			Owned: func(content string) bool {
				d, err := policies.Parse(content)
				return err == nil && policies.OwnedBy(d)
			},
			After: []engine.Address{role.Addr()}, FS: b.fs,
		})))
	}
}

// access adds one access entry: its grant as a managed policy (plus an
// attachment) or an inline policy, its user and key or its role, and
// every consumer's files.
//
//	iam_oidc_provider ─ iam_role ─┬─ iam_role_policy_attachment ─┬─ local_file (pipeline snippets)
//	iam_policy ───────────────────┘                              └─ aws_profile (role_arn + token file)
func (b *builder) access(a spec.Access, bucket *awskinds.S3Bucket, providers map[string]*awskinds.OIDCProvider, inline bool, note string) error {
	s, acct := b.s, b.acct
	g, ok := policies.Lookup(a.Grant)
	if !ok {
		return fmt.Errorf("access %q: unknown grant %q", a.Name, a.Grant)
	}
	doc := g.Build(policies.Scope{Partition: acct.Partition, Bucket: s.Bucket.Name, Prefix: a.Prefix})
	if errs := policies.Lint(doc); len(errs) > 0 {
		return fmt.Errorf("access %q: grant %q for bucket %q fails the least-privilege checks: %v", a.Name, a.Grant, s.Bucket.Name, errs)
	}
	b.stack.Grants[a.Name] = doc
	policy := awskinds.NewIAMPolicy(awskinds.IAMPolicyConfig{
		Stack: s.Stack, Name: a.Policy, ARN: acct.IAMARN("policy/" + a.Policy), Document: doc,
		Description: fmt.Sprintf("awsboot %s: %s on S3 bucket %s", s.Stack, g.Summary, s.Bucket.Name),
	})
	policyARN, inlineName := policy.ARN(), ""
	if inline {
		policyARN, inlineName = "", a.Policy
	} else {
		// The managed policy is listed first, as the guides create it.
		kind(b, policy)
	}
	kindOf, principal := awskinds.User, a.User
	if a.Role != "" {
		kindOf, principal = awskinds.Role, a.Role
	}
	var parent engine.Address
	t := consumers.Target{
		Spec: s, Access: a, Region: acct.Region, Endpoint: acct.Endpoint, PathStyle: acct.PathStyle,
		BucketAddr: bucket.Addr(), Files: b.o.Files, FS: b.fs,
	}
	if a.Role != "" {
		o := a.OIDC
		provider := providers[strings.TrimSuffix(o.Issuer, "/")]
		role := awskinds.NewIAMRole(awskinds.IAMRoleConfig{
			Stack: s.Stack, Name: a.Role, ARN: acct.IAMARN("role/" + a.Role), MaxSession: a.MaxSessionSeconds(),
			Trust: policies.Trust(policies.WebIdentity{
				ProviderARN: provider.ARN(), Host: spec.IssuerHost(o.Issuer), Audience: o.Audience,
				Subjects: o.Subjects, SubjectPatterns: o.SubjectPatterns, AnySubject: o.AllowAnySubject,
			}),
			PolicyARN: policyARN, InlinePolicy: inlineName, Provider: provider.Addr(), Custom: acct.Custom(),
		})
		kind(b, role)
		provider.AddRole(a.Role)
		parent, t.RoleARN = role.Addr(), role.ARN()
	} else {
		// Every user entry has a key, created right after the user: the
		// user is created with the key's pending tag.
		user := awskinds.NewIAMUser(awskinds.IAMUserConfig{Stack: s.Stack, Name: a.User, PolicyARN: policyARN, InlinePolicy: inlineName, Custom: acct.Custom(), PendingKey: true})
		kind(b, user)
		parent = user.Addr()
	}
	if inline {
		p := awskinds.NewIAMInlinePolicy(awskinds.IAMInlinePolicyConfig{
			Kind: kindOf, Principal: principal, Parent: parent, Name: a.Policy, Document: doc, Note: note, Custom: acct.Custom(),
		})
		kind(b, p)
		t.GrantAddr = p.Addr()
	} else {
		at := awskinds.NewIAMPolicyAttachment(awskinds.IAMPolicyAttachmentConfig{Kind: kindOf, Principal: principal, Parent: parent, Policy: policy, Custom: acct.Custom()})
		kind(b, at)
		t.GrantAddr = at.Addr()
	}
	var retire *awskinds.IAMAccessKey
	if a.Role == "" {
		key := awskinds.NewIAMAccessKey(awskinds.IAMAccessKeyConfig{
			Stack: s.Stack, User: a.User, Adopt: b.o.Adopt, Custom: acct.Custom(), UserCreatedPending: true,
			Store: consumers.NewCredentialsProfile(b.fs, s.Stack, b.o.Files.Credentials, a.Write[consumers.KeyAWSProfile]),
			// The user only, not its grant: the key and the attachment
			// are independent requests, one round trip for both.
			After:  []engine.Address{parent},
			Rotate: b.o.Rotate != nil && b.o.Rotate(a.Name), MaxAge: a.MaxKeyAgeDuration(), Clock: b.o.Clock,
		})
		kind(b, key)
		t.KeyAddr = key.Addr()
		retire = key
	}
	files, err := consumers.Build(t)
	if err != nil {
		return err
	}
	b.resources = append(b.resources, files...)
	if retire != nil {
		// A rotation's old key goes last: after the key and every file
		// of the entry holds the new one.
		after := []engine.Address{retire.Addr()}
		for _, f := range files {
			after = append(after, f.Addr())
		}
		kind(b, awskinds.NewIAMAccessKeyRetirement(awskinds.IAMAccessKeyRetirementConfig{Stack: s.Stack, Key: retire, After: after}))
	}
	return nil
}
