package provision

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awsboot/awsboot/policies"
)

// IAMInlinePolicy is the grant as an inline policy of the user or role,
// for policy_style: inline and for S3-compatible services without managed
// policies (Versity's gateway). It is owned when its user or role is.
type IAMInlinePolicy struct {
	c         *Clients
	kind      string // "user" or "role"
	principal string
	parent    Address
	name      string
	doc       policies.Document
	note      string
}

// NewIAMInlinePolicy returns the inline form of the access entry's grant.
func NewIAMInlinePolicy(c *Clients, s *Spec, a Access, parent Address, note string) (*IAMInlinePolicy, error) {
	managed, err := NewIAMPolicy(c, s, a)
	if err != nil {
		return nil, err
	}
	p := &IAMInlinePolicy{c: c, kind: "user", principal: a.User, parent: parent, name: a.Policy, doc: managed.doc, note: note}
	if a.Role != "" {
		p.kind, p.principal = "role", a.Role
	}
	return p, nil
}

// Addr implements Resource.
func (p *IAMInlinePolicy) Addr() Address {
	return Addr("iam_"+p.kind+"_policy", p.principal+"/"+p.name)
}

// DependsOn implements Resource.
func (p *IAMInlinePolicy) DependsOn() []Address { return []Address{p.parent} }

// Read implements Resource.
func (p *IAMInlinePolicy) Read(ctx context.Context) (*Observation, error) {
	o := &Observation{DerivedOwnership: true}
	if p.note != "" {
		o.Notes = []string{p.note}
	}
	var (
		doc  string
		tags map[string]string
		err  error
	)
	if p.kind == "user" {
		var st *userState
		if st, err = readUser(ctx, p.c, p.principal, ""); err != nil || st == nil {
			return o, err
		}
		tags = st.tags
		var out *iam.GetUserPolicyOutput
		if out, err = p.c.IAM.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(p.principal), PolicyName: aws.String(p.name)}); err == nil {
			doc = aws.ToString(out.PolicyDocument)
		}
	} else {
		var st *roleState
		if st, err = readRole(ctx, p.c, p.principal, ""); err != nil || st == nil {
			return o, err
		}
		tags = st.tags
		var out *iam.GetRolePolicyOutput
		if out, err = p.c.IAM.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(p.principal), PolicyName: aws.String(p.name)}); err == nil {
			doc = aws.ToString(out.PolicyDocument)
		}
	}
	if isIAMNotFound(err) || errorCode(err) == "NoSuchEntity" {
		return o, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading inline policy %q of %s %q: %w", p.name, p.kind, p.principal, err)
	}
	parsed, err := policies.Parse(doc)
	if err != nil {
		return nil, fmt.Errorf("inline policy %q of %s %q: %w", p.name, p.kind, p.principal, err)
	}
	o.Exists, o.Owner, o.Data = true, tags[StackTag], parsed
	return o, nil
}

// Diff implements Resource.
func (p *IAMInlinePolicy) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		return createFields(p.kind, p.principal, "name", p.name, "document", p.doc.JSON()), nil
	}
	if cur := o.Data.(policies.Document); !policies.Equal(cur, p.doc) {
		return []FieldDiff{{Path: "document", Before: cur.JSON(), After: p.doc.JSON()}}, nil
	}
	return nil, nil
}

// Create implements Resource.
func (p *IAMInlinePolicy) Create(ctx context.Context, o *Observation) error {
	return p.Update(ctx, o, nil)
}

// Update implements Resource.
func (p *IAMInlinePolicy) Update(ctx context.Context, _ *Observation, _ []FieldDiff) error {
	var err error
	if p.kind == "user" {
		_, err = p.c.IAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(p.principal), PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.doc.JSON())})
	} else {
		_, err = p.c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.principal), PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.doc.JSON())})
	}
	if err != nil {
		return fmt.Errorf("writing inline policy %q of %s %q: %w", p.name, p.kind, p.principal, err)
	}
	return nil
}

// Delete implements Resource.
func (p *IAMInlinePolicy) Delete(ctx context.Context, _ *Observation) error {
	var err error
	if p.kind == "user" {
		_, err = p.c.IAM.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(p.principal), PolicyName: aws.String(p.name)})
	} else {
		_, err = p.c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(p.principal), PolicyName: aws.String(p.name)})
	}
	if err != nil && !isIAMNotFound(err) {
		return fmt.Errorf("deleting inline policy %q of %s %q: %w", p.name, p.kind, p.principal, err)
	}
	return nil
}
