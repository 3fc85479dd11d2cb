package provision

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// IAMUserPolicyAttachment attaches the stack's policy to the stack's user.
// It has no tag of its own: it is owned when the user is.
type IAMUserPolicyAttachment struct {
	c         *Clients
	user      string
	policy    *IAMPolicy
	userAddr  Address
	policyARN string
}

// NewIAMUserPolicyAttachment returns the attachment of policy to user.
func NewIAMUserPolicyAttachment(c *Clients, user *IAMUser, policy *IAMPolicy) *IAMUserPolicyAttachment {
	return &IAMUserPolicyAttachment{c: c, user: user.name, policy: policy, userAddr: user.Addr(), policyARN: policy.ARN()}
}

// Addr implements Resource.
func (a *IAMUserPolicyAttachment) Addr() Address {
	return Addr("iam_user_policy_attachment", a.user+"/"+a.policy.name)
}

// DependsOn implements Resource.
func (a *IAMUserPolicyAttachment) DependsOn() []Address {
	return []Address{a.userAddr, a.policy.Addr()}
}

// Read implements Resource.
func (a *IAMUserPolicyAttachment) Read(ctx context.Context) (*Observation, error) {
	st, err := readUser(ctx, a.c, a.user, a.policyARN)
	if err != nil || st == nil || !st.attached {
		return &Observation{DerivedOwnership: true}, err
	}
	return &Observation{Exists: true, Owner: st.tags[StackTag], DerivedOwnership: true}, nil
}

// Diff implements Resource.
func (a *IAMUserPolicyAttachment) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		return createFields("user", a.user, "policy_arn", a.policyARN), nil
	}
	return nil, nil
}

// Create implements Resource.
func (a *IAMUserPolicyAttachment) Create(ctx context.Context, _ *Observation) error {
	_, err := a.c.IAM.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(a.user), PolicyArn: aws.String(a.policyARN)})
	if err != nil {
		return fmt.Errorf("attaching %s to user %q: %w", a.policyARN, a.user, err)
	}
	return nil
}

// Update implements Resource; an attachment has nothing to update.
func (a *IAMUserPolicyAttachment) Update(context.Context, *Observation, []FieldDiff) error {
	return nil
}

// Delete implements Resource.
func (a *IAMUserPolicyAttachment) Delete(ctx context.Context, _ *Observation) error {
	_, err := a.c.IAM.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(a.user), PolicyArn: aws.String(a.policyARN)})
	if err != nil && !isIAMNotFound(err) {
		return fmt.Errorf("detaching %s from user %q: %w", a.policyARN, a.user, err)
	}
	return nil
}
