package provision

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsboot/awsboot/policies"
)

// IAMRole is a role that pipelines assume with their OIDC token. Its trust
// policy and maximum session are compared as data; like the user, it must
// hold exactly the stack's grant, so other attached or inline policies are
// drift.
type IAMRole struct {
	c          *Clients
	stack      string
	name       string
	trust      policies.Document
	maxSession int32
	policyARN  string
	provider   Address
	inline     string
	purpose    string
}

// NewIAMRole returns the role resource for an access entry.
func NewIAMRole(c *Clients, s *Spec, a Access, provider *OIDCProvider, policyARN string) *IAMRole {
	o := a.OIDC
	trust := policies.Trust(policies.WebIdentity{
		ProviderARN: provider.ARN(), Host: issuerHost(o.Issuer), Audience: o.Audience,
		Subjects: o.Subjects, SubjectPatterns: o.SubjectPatterns, AnySubject: o.AllowAnySubject,
	})
	return &IAMRole{c: c, stack: s.Stack, name: a.Role, trust: trust, maxSession: a.MaxSessionSeconds(), policyARN: policyARN, provider: provider.Addr()}
}

// ARN is the role's ARN, known before it exists.
func (r *IAMRole) ARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:role/%s", r.c.Partition(), r.c.AccountID, r.name)
}

// TrustPolicy is the trust policy awsboot wants.
func (r *IAMRole) TrustPolicy() policies.Document { return r.trust }

type roleState struct {
	trust      policies.Document
	maxSession int32
	permissions
}

// Addr implements Resource.
func (r *IAMRole) Addr() Address { return Addr("iam_role", r.name) }

// NewServiceRole returns a role an AWS service assumes (S3 replication),
// with trust given as is and its permissions in one inline policy.
func NewServiceRole(c *Clients, s *Spec, name string, trust policies.Document, inline string) *IAMRole {
	return &IAMRole{c: c, stack: s.Stack, name: name, trust: trust, maxSession: 3600, inline: inline, purpose: "assumed by S3 to replicate objects"}
}

func (r *IAMRole) purposeWords() string {
	if r.purpose != "" {
		return r.purpose
	}
	return "assumed by CI pipelines with OIDC tokens"
}

// DependsOn implements Resource.
func (r *IAMRole) DependsOn() []Address {
	if r.provider == "" {
		return nil
	}
	return []Address{r.provider}
}

// Describe names the role in messages.
func (r *IAMRole) Describe() string { return fmt.Sprintf("IAM role %q", r.name) }

func readRole(ctx context.Context, c *Clients, name, policyARN string) (*roleState, error) {
	st, err := cached(ctx, "role/"+name, func() (*roleState, error) {
		out, err := c.IAM.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
		if isIAMNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading role %q: %w", name, err)
		}
		perms, err := readPermissions(ctx, c, roleListings(c, name))
		if err != nil {
			return nil, err
		}
		st := &roleState{maxSession: aws.ToInt32(out.Role.MaxSessionDuration), permissions: perms}
		if st.trust, err = policies.Parse(aws.ToString(out.Role.AssumeRolePolicyDocument)); err != nil {
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

// Read implements Resource.
func (r *IAMRole) Read(ctx context.Context) (*Observation, error) {
	st, err := readRole(ctx, r.c, r.name, r.policyARN)
	if err != nil || st == nil {
		return &Observation{}, err
	}
	return &Observation{Exists: true, Owner: st.tags[StackTag], Data: *st}, nil
}

// Diff implements Resource.
func (r *IAMRole) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		return createFields("name", r.name, "arn", r.ARN(), "trust_policy", r.trust.JSON(),
			"max_session_duration", strconv.Itoa(int(r.maxSession)), "tags."+StackTag, r.stack), nil
	}
	st := o.Data.(roleState)
	var d []FieldDiff
	if !policies.Equal(st.trust, r.trust) {
		d = append(d, FieldDiff{Path: "trust_policy", Before: st.trust.JSON(), After: r.trust.JSON()})
	}
	d = diffField(d, "max_session_duration", strconv.Itoa(int(st.maxSession)), strconv.Itoa(int(r.maxSession)))
	d = diffField(d, "tags."+StackTag, st.tags[StackTag], r.stack)
	return append(d, st.driftDiffs(r.inline)...), nil
}

// Create implements Resource.
func (r *IAMRole) Create(ctx context.Context, _ *Observation) error {
	_, err := r.c.IAM.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(r.name),
		AssumeRolePolicyDocument: aws.String(r.trust.JSON()),
		MaxSessionDuration:       aws.Int32(r.maxSession),
		Description:              aws.String("awsboot " + r.stack + ": " + r.purposeWords()),
		Tags:                     []iamtypes.Tag{{Key: aws.String(StackTag), Value: aws.String(r.stack)}},
	})
	if err != nil {
		return fmt.Errorf("creating role %q: %w", r.name, err)
	}
	return nil
}

// Update implements Resource: it repairs what drifted.
func (r *IAMRole) Update(ctx context.Context, o *Observation, diffs []FieldDiff) error {
	st := o.Data.(roleState)
	name := aws.String(r.name)
	if hasPath(diffs, "tags") {
		if _, err := r.c.IAM.TagRole(ctx, &iam.TagRoleInput{RoleName: name, Tags: []iamtypes.Tag{{Key: aws.String(StackTag), Value: aws.String(r.stack)}}}); err != nil {
			return fmt.Errorf("tagging role %q: %w", r.name, err)
		}
	}
	if hasPath(diffs, "trust_policy") {
		if _, err := r.c.IAM.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: aws.String(r.trust.JSON())}); err != nil {
			return fmt.Errorf("updating trust policy of role %q: %w", r.name, err)
		}
	}
	if hasPath(diffs, "max_session_duration") {
		if _, err := r.c.IAM.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: name, MaxSessionDuration: aws.Int32(r.maxSession)}); err != nil {
			return fmt.Errorf("updating maximum session of role %q: %w", r.name, err)
		}
	}
	return r.strip(ctx, st.extra, st.foreignInline(r.inline))
}

// strip detaches managed policies and deletes inline ones.
func (r *IAMRole) strip(ctx context.Context, managed, inline []string) error {
	for _, arn := range managed {
		if _, err := r.c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(r.name), PolicyArn: aws.String(arn)}); err != nil && !isIAMNotFound(err) {
			return fmt.Errorf("detaching %s from role %q: %w", arn, r.name, err)
		}
	}
	for _, n := range inline {
		if _, err := r.c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(r.name), PolicyName: aws.String(n)}); err != nil && !isIAMNotFound(err) {
			return fmt.Errorf("deleting inline policy %q of role %q: %w", n, r.name, err)
		}
	}
	return nil
}

// DestroyDescription implements destroyDescriber.
func (r *IAMRole) DestroyDescription(*Observation) string {
	return "detaches its policies first; sessions already issued stay valid until they expire"
}

// Delete implements Resource.
func (r *IAMRole) Delete(ctx context.Context, _ *Observation) error {
	st, err := readRole(ctx, r.c, r.name, r.policyARN)
	if err != nil || st == nil {
		return err
	}
	managed := st.extra
	if st.attached {
		managed = append(managed, r.policyARN)
	}
	if err := r.strip(ctx, managed, st.inline); err != nil {
		return err
	}
	if _, err := r.c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(r.name)}); err != nil && !isIAMNotFound(err) {
		return fmt.Errorf("deleting role %q: %w", r.name, err)
	}
	return nil
}
