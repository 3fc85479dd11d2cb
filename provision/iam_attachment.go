package provision

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// IAMPolicyAttachment attaches the stack's managed policy to the stack's
// user or role. It has no tag of its own: it is owned when the user or
// role is.
type IAMPolicyAttachment struct {
	c         *Clients
	kind      string // "user" or "role"
	principal string
	parent    Address
	policy    *IAMPolicy
}

// NewIAMUserPolicyAttachment attaches policy to user.
func NewIAMUserPolicyAttachment(c *Clients, user *IAMUser, policy *IAMPolicy) *IAMPolicyAttachment {
	return &IAMPolicyAttachment{c: c, kind: "user", principal: user.name, parent: user.Addr(), policy: policy}
}

// NewIAMRolePolicyAttachment attaches policy to role.
func NewIAMRolePolicyAttachment(c *Clients, role *IAMRole, policy *IAMPolicy) *IAMPolicyAttachment {
	return &IAMPolicyAttachment{c: c, kind: "role", principal: role.name, parent: role.Addr(), policy: policy}
}

// Addr implements Resource.
func (a *IAMPolicyAttachment) Addr() Address {
	return Addr("iam_"+a.kind+"_policy_attachment", a.principal+"/"+a.policy.name)
}

// DependsOn implements Resource.
func (a *IAMPolicyAttachment) DependsOn() []Address {
	return []Address{a.parent, a.policy.Addr()}
}

// Read implements Resource.
func (a *IAMPolicyAttachment) Read(ctx context.Context) (*Observation, error) {
	var (
		attached bool
		tags     map[string]string
	)
	if a.kind == "user" {
		st, err := readUser(ctx, a.c, a.principal, a.policy.ARN())
		if err != nil || st == nil {
			return &Observation{DerivedOwnership: true}, err
		}
		attached, tags = st.attached, st.tags
	} else {
		st, err := readRole(ctx, a.c, a.principal, a.policy.ARN())
		if err != nil || st == nil {
			return &Observation{DerivedOwnership: true}, err
		}
		attached, tags = st.attached, st.tags
	}
	return &Observation{Exists: attached, Owner: tags[StackTag], DerivedOwnership: true}, nil
}

// Diff implements Resource.
func (a *IAMPolicyAttachment) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		return createFields(a.kind, a.principal, "policy_arn", a.policy.ARN()), nil
	}
	return nil, nil
}

// Create implements Resource.
func (a *IAMPolicyAttachment) Create(ctx context.Context, _ *Observation) error {
	var err error
	if a.kind == "user" {
		_, err = a.c.IAM.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(a.principal), PolicyArn: aws.String(a.policy.ARN())})
	} else {
		_, err = a.c.IAM.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(a.principal), PolicyArn: aws.String(a.policy.ARN())})
	}
	if err != nil {
		return fmt.Errorf("attaching %s to %s %q: %w", a.policy.ARN(), a.kind, a.principal, err)
	}
	return nil
}

// Update implements Resource; an attachment has nothing to update.
func (a *IAMPolicyAttachment) Update(context.Context, *Observation, []FieldDiff) error { return nil }

// Delete implements Resource.
func (a *IAMPolicyAttachment) Delete(ctx context.Context, _ *Observation) error {
	var err error
	if a.kind == "user" {
		_, err = a.c.IAM.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(a.principal), PolicyArn: aws.String(a.policy.ARN())})
	} else {
		_, err = a.c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(a.principal), PolicyArn: aws.String(a.policy.ARN())})
	}
	if err != nil && !isIAMNotFound(err) {
		return fmt.Errorf("detaching %s from %s %q: %w", a.policy.ARN(), a.kind, a.principal, err)
	}
	return nil
}
