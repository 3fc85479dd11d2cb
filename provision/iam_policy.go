package provision

import (
	"context"
	"fmt"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsboot/awsboot/policies"
)

// IAMPolicy is a customer managed policy holding one grant.
type IAMPolicy struct {
	c           *Clients
	stack       string
	name        string
	description string
	doc         policies.Document
}

// NewIAMPolicy returns the managed policy resource for an access entry.
func NewIAMPolicy(c *Clients, s *Spec, a Access) (*IAMPolicy, error) {
	g, ok := policies.Lookup(a.Grant)
	if !ok {
		return nil, fmt.Errorf("unknown grant %q", a.Grant)
	}
	doc := g.Build(policies.Scope{Bucket: s.Bucket.Name, Prefix: a.Prefix})
	if errs := policies.Lint(doc); len(errs) > 0 {
		return nil, fmt.Errorf("grant %q for bucket %q fails the least-privilege checks: %v", a.Grant, s.Bucket.Name, errs)
	}
	return &IAMPolicy{
		c: c, stack: s.Stack, name: a.Policy, doc: doc,
		description: fmt.Sprintf("awsboot %s: %s on S3 bucket %s", s.Stack, g.Summary, s.Bucket.Name),
	}, nil
}

// ARN is the policy's ARN, known before it exists.
func (p *IAMPolicy) ARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:policy/%s", p.c.Partition(), p.c.AccountID, p.name)
}

// Document is the policy document awsboot wants.
func (p *IAMPolicy) Document() policies.Document { return p.doc }

type policyState struct {
	doc            policies.Document
	defaultVersion string
	tags           map[string]string
}

// Addr implements Resource.
func (p *IAMPolicy) Addr() Address { return Addr("iam_policy", p.name) }

// DependsOn implements Resource.
func (p *IAMPolicy) DependsOn() []Address { return nil }

// Describe names the policy in messages.
func (p *IAMPolicy) Describe() string { return fmt.Sprintf("IAM policy %q", p.name) }

// Read implements Resource.
func (p *IAMPolicy) Read(ctx context.Context) (*Observation, error) {
	out, err := p.c.IAM.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(p.ARN())})
	if isIAMNotFound(err) {
		return &Observation{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading policy %s: %w", p.ARN(), err)
	}
	st := policyState{defaultVersion: aws.ToString(out.Policy.DefaultVersionId), tags: map[string]string{}}
	tags, err := p.c.IAM.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: aws.String(p.ARN())})
	if err != nil {
		return nil, fmt.Errorf("reading tags of policy %s: %w", p.ARN(), err)
	}
	for _, t := range tags.Tags {
		st.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	v, err := p.c.IAM.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(p.ARN()), VersionId: out.Policy.DefaultVersionId})
	if err != nil {
		return nil, fmt.Errorf("reading document of policy %s: %w", p.ARN(), err)
	}
	st.doc, err = policies.Parse(aws.ToString(v.PolicyVersion.Document))
	if err != nil {
		return nil, fmt.Errorf("policy %s: %w", p.ARN(), err)
	}
	return &Observation{Exists: true, Owner: st.tags[StackTag], Data: st}, nil
}

// Diff implements Resource. Documents are compared as data, so a
// reordered or re-encoded but equivalent document is no change.
func (p *IAMPolicy) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		return createFields("name", p.name, "arn", p.ARN(), "document", p.doc.JSON(), "tags."+StackTag, p.stack), nil
	}
	st := o.Data.(policyState)
	var d []FieldDiff
	if !policies.Equal(st.doc, p.doc) {
		d = append(d, FieldDiff{Path: "document", Before: st.doc.JSON(), After: p.doc.JSON()})
	}
	d = diffField(d, "tags."+StackTag, st.tags[StackTag], p.stack)
	return d, nil
}

// Create implements Resource.
func (p *IAMPolicy) Create(ctx context.Context, _ *Observation) error {
	_, err := p.c.IAM.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName:     aws.String(p.name),
		PolicyDocument: aws.String(p.doc.JSON()),
		Description:    aws.String(p.description),
		Tags:           []iamtypes.Tag{{Key: aws.String(StackTag), Value: aws.String(p.stack)}},
	})
	if err != nil {
		return fmt.Errorf("creating policy %q: %w", p.name, err)
	}
	return nil
}

// Update implements Resource: a changed document becomes a new default
// version (IAM keeps at most five, so the oldest non-default one goes
// first when needed).
func (p *IAMPolicy) Update(ctx context.Context, _ *Observation, diffs []FieldDiff) error {
	if hasPath(diffs, "tags") {
		_, err := p.c.IAM.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(p.ARN()), Tags: []iamtypes.Tag{{Key: aws.String(StackTag), Value: aws.String(p.stack)}}})
		if err != nil {
			return fmt.Errorf("tagging policy %s: %w", p.ARN(), err)
		}
	}
	if !hasPath(diffs, "document") {
		return nil
	}
	versions, err := p.nonDefaultVersions(ctx)
	if err != nil {
		return err
	}
	if len(versions) >= 4 {
		if err := p.deleteVersion(ctx, versions[0]); err != nil {
			return err
		}
	}
	_, err = p.c.IAM.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
		PolicyArn: aws.String(p.ARN()), PolicyDocument: aws.String(p.doc.JSON()), SetAsDefault: true,
	})
	if err != nil {
		return fmt.Errorf("updating document of policy %s: %w", p.ARN(), err)
	}
	return nil
}

// nonDefaultVersions lists the policy's non-default versions, oldest first.
func (p *IAMPolicy) nonDefaultVersions(ctx context.Context) ([]iamtypes.PolicyVersion, error) {
	var out []iamtypes.PolicyVersion
	pg := iam.NewListPolicyVersionsPaginator(p.c.IAM, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(p.ARN())})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing versions of policy %s: %w", p.ARN(), err)
		}
		for _, v := range page.Versions {
			if !v.IsDefaultVersion {
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return aws.ToTime(out[i].CreateDate).Before(aws.ToTime(out[j].CreateDate)) })
	return out, nil
}

func (p *IAMPolicy) deleteVersion(ctx context.Context, v iamtypes.PolicyVersion) error {
	_, err := p.c.IAM.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(p.ARN()), VersionId: v.VersionId})
	if err != nil && !isIAMNotFound(err) {
		return fmt.Errorf("deleting version %s of policy %s: %w", aws.ToString(v.VersionId), p.ARN(), err)
	}
	return nil
}

// Delete implements Resource. IAM refuses to delete a policy that is
// attached or has other versions, so it is detached from every entity
// (it is this stack's policy: anything attached to it relies on awsboot's
// grant) and its non-default versions are deleted first.
func (p *IAMPolicy) Delete(ctx context.Context, _ *Observation) error {
	arn := aws.String(p.ARN())
	pg := iam.NewListEntitiesForPolicyPaginator(p.c.IAM, &iam.ListEntitiesForPolicyInput{PolicyArn: arn})
	for pg.HasMorePages() {
		ents, err := pg.NextPage(ctx)
		if isIAMNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("listing entities of policy %s: %w", p.ARN(), err)
		}
		for _, u := range ents.PolicyUsers {
			if _, err := p.c.IAM.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{PolicyArn: arn, UserName: u.UserName}); err != nil && !isIAMNotFound(err) {
				return fmt.Errorf("detaching policy %s from user %s: %w", p.ARN(), aws.ToString(u.UserName), err)
			}
		}
		for _, r := range ents.PolicyRoles {
			if _, err := p.c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{PolicyArn: arn, RoleName: r.RoleName}); err != nil && !isIAMNotFound(err) {
				return fmt.Errorf("detaching policy %s from role %s: %w", p.ARN(), aws.ToString(r.RoleName), err)
			}
		}
		for _, g := range ents.PolicyGroups {
			if _, err := p.c.IAM.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{PolicyArn: arn, GroupName: g.GroupName}); err != nil && !isIAMNotFound(err) {
				return fmt.Errorf("detaching policy %s from group %s: %w", p.ARN(), aws.ToString(g.GroupName), err)
			}
		}
	}
	versions, err := p.nonDefaultVersions(ctx)
	if err != nil {
		return err
	}
	for _, v := range versions {
		if err := p.deleteVersion(ctx, v); err != nil {
			return err
		}
	}
	if _, err := p.c.IAM.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn}); err != nil && !isIAMNotFound(err) {
		return fmt.Errorf("deleting policy %s: %w", p.ARN(), err)
	}
	return nil
}

// DestroyDescription implements destroyDescriber.
func (p *IAMPolicy) DestroyDescription(*Observation) string {
	return "detaches it from every user, role and group and deletes its old versions first"
}
