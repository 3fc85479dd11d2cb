package awskinds

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// iamAttachmentAPI lists the IAM calls IAMPolicyAttachment makes.
type iamAttachmentAPI interface {
	userReadAPI
	roleReadAPI
	AttachUserPolicy(ctx context.Context, in *iam.AttachUserPolicyInput, opts ...func(*iam.Options)) (*iam.AttachUserPolicyOutput, error)
	DetachUserPolicy(ctx context.Context, in *iam.DetachUserPolicyInput, opts ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error)
	AttachRolePolicy(ctx context.Context, in *iam.AttachRolePolicyInput, opts ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error)
	DetachRolePolicy(ctx context.Context, in *iam.DetachRolePolicyInput, opts ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
}

// PrincipalKind says whether a grant belongs to a user or a role.
type PrincipalKind string

// The principals a grant can belong to.
const (
	User PrincipalKind = "user"
	Role PrincipalKind = "role"
)

// IAMPolicyAttachmentConfig is what an attachment needs.
type IAMPolicyAttachmentConfig struct {
	Kind      PrincipalKind
	Principal string
	// Parent is the user's or role's address.
	Parent engine.Address
	// Policy is the managed policy attached.
	Policy *IAMPolicy
	Custom bool
}

// IAMPolicyAttachment attaches the stack's managed policy to the stack's
// user or role. It has no tag of its own: it is owned when the user or
// role is.
type IAMPolicyAttachment struct {
	engine.Meta
	cfg IAMPolicyAttachmentConfig
	api iamAttachmentAPI
}

// NewIAMPolicyAttachment returns the attachment resource.
func NewIAMPolicyAttachment(cfg IAMPolicyAttachmentConfig) *IAMPolicyAttachment {
	return &IAMPolicyAttachment{cfg: cfg, Meta: engine.Meta{
		Address: engine.Addr("iam_"+string(cfg.Kind)+"_policy_attachment", cfg.Principal+"/"+cfg.Policy.Name()),
		After:   []engine.Address{cfg.Parent, cfg.Policy.Addr()},
	}}
}

// Connect implements Connector.
func (a *IAMPolicyAttachment) Connect(c *awsapi.Clients) { a.api = c.IAM }

// The paths IAMPolicyAttachment shows on create.
const pathPolicyARN engine.Path = "policy_arn"

// Read implements engine.Kind.
func (a *IAMPolicyAttachment) Read(ctx context.Context) (*engine.Observation, struct{}, error) {
	var perms *permissions
	if a.cfg.Kind == User {
		st, err := readUser(ctx, a.api, a.cfg.Custom, a.cfg.Principal, a.cfg.Policy.ARN())
		if err != nil || st == nil {
			return &engine.Observation{DerivedOwnership: true}, struct{}{}, err
		}
		perms = &st.permissions
	} else {
		st, err := readRole(ctx, a.api, a.cfg.Custom, a.cfg.Principal, a.cfg.Policy.ARN())
		if err != nil || st == nil {
			return &engine.Observation{DerivedOwnership: true}, struct{}{}, err
		}
		perms = &st.permissions
	}
	// A CloudFormation stack that manages the user or role manages its
	// attachment too (the template attaches the policy).
	return &engine.Observation{Exists: perms.attached, Owner: perms.tags[engine.StackTag], DerivedOwnership: true, ManagedBy: managedByTags(perms.tags)}, struct{}{}, nil
}

// Diff implements engine.Kind.
func (a *IAMPolicyAttachment) Diff(o *engine.Observation, _ struct{}) ([]engine.FieldDiff, error) {
	if !o.Exists {
		return []engine.FieldDiff{engine.Added(engine.Path(a.cfg.Kind), a.cfg.Principal), engine.Added(pathPolicyARN, a.cfg.Policy.ARN())}, nil
	}
	return nil, nil
}

// Create implements engine.Kind.
func (a *IAMPolicyAttachment) Create(ctx context.Context, _ *engine.Observation, _ struct{}) error {
	var err error
	arn := aws.String(a.cfg.Policy.ARN())
	if a.cfg.Kind == User {
		_, err = a.api.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(a.cfg.Principal), PolicyArn: arn})
	} else {
		_, err = a.api.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(a.cfg.Principal), PolicyArn: arn})
	}
	if err != nil {
		return fmt.Errorf("attaching %s to %s %q: %w", a.cfg.Policy.ARN(), a.cfg.Kind, a.cfg.Principal, err)
	}
	return nil
}

// Update implements engine.Kind; an attachment has nothing to update.
func (a *IAMPolicyAttachment) Update(context.Context, *engine.Observation, struct{}, []engine.FieldDiff) error {
	return nil
}

// Delete implements engine.Kind.
func (a *IAMPolicyAttachment) Delete(ctx context.Context, _ *engine.Observation, _ struct{}) error {
	var err error
	arn := aws.String(a.cfg.Policy.ARN())
	if a.cfg.Kind == User {
		_, err = a.api.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(a.cfg.Principal), PolicyArn: arn})
	} else {
		_, err = a.api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(a.cfg.Principal), PolicyArn: arn})
	}
	if err != nil && !awsapi.IsNotFound(err) {
		return fmt.Errorf("detaching %s from %s %q: %w", a.cfg.Policy.ARN(), a.cfg.Kind, a.cfg.Principal, err)
	}
	return nil
}

// Summary implements engine.KindSummarizer: which policy is attached to
// which user or role.
func (a *IAMPolicyAttachment) Summary(*engine.Observation, struct{}) []engine.KV {
	return []engine.KV{{Key: string(a.cfg.Kind), Value: a.cfg.Principal}, {Key: string(pathPolicyARN), Value: a.cfg.Policy.ARN()}}
}
