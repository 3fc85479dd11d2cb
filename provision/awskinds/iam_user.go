package awskinds

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// iamUserAPI lists the IAM calls IAMUser makes.
type iamUserAPI interface {
	userReadAPI
	accessKeyDeleter
	CreateUser(ctx context.Context, in *iam.CreateUserInput, opts ...func(*iam.Options)) (*iam.CreateUserOutput, error)
	DeleteUser(ctx context.Context, in *iam.DeleteUserInput, opts ...func(*iam.Options)) (*iam.DeleteUserOutput, error)
	TagUser(ctx context.Context, in *iam.TagUserInput, opts ...func(*iam.Options)) (*iam.TagUserOutput, error)
	DetachUserPolicy(ctx context.Context, in *iam.DetachUserPolicyInput, opts ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error)
	DeleteUserPolicy(ctx context.Context, in *iam.DeleteUserPolicyInput, opts ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error)
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, opts ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
}

// accessKeyDeleter deletes an access key.
type accessKeyDeleter interface {
	DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, opts ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
}

// IAMUserConfig is what the user resource needs.
type IAMUserConfig struct {
	Stack string
	Name  string
	// PolicyARN is the one managed policy the user may have ("" when the
	// grant is inline).
	PolicyARN string
	// InlinePolicy is the name of the stack's inline grant when grants are
	// inline (policy_style); every other inline policy is drift.
	InlinePolicy string
	// Custom is true against an S3-compatible service.
	Custom bool
}

// IAMUser is the IAM user an access entry's key belongs to. Besides its
// existence and ownership tag it watches for permissions added by hand:
// any managed policy other than the stack's and any inline policy is
// drift, removed on bootstrap, because the user must hold exactly its
// grant.
type IAMUser struct {
	engine.Meta
	cfg IAMUserConfig
	api iamUserAPI
}

// NewIAMUser returns the user resource.
func NewIAMUser(cfg IAMUserConfig) *IAMUser {
	return &IAMUser{Meta: engine.Meta{Address: engine.Addr("iam_user", cfg.Name), What: fmt.Sprintf("IAM user %q", cfg.Name)}, cfg: cfg}
}

// Connect implements Connector.
func (u *IAMUser) Connect(c *awsapi.Clients) { u.api = c.IAM }

// The paths IAMUser diffs besides the permission drift of principal.go.
const pathStackTag = engine.Path("tags." + engine.StackTag)

// Read implements engine.Kind.
func (u *IAMUser) Read(ctx context.Context) (*engine.Observation, userState, error) {
	st, err := readUser(ctx, u.api, u.cfg.Custom, u.cfg.Name, u.cfg.PolicyARN)
	if err != nil || st == nil {
		return &engine.Observation{}, userState{}, err
	}
	return &engine.Observation{Exists: true, Owner: st.tags[engine.StackTag]}, *st, nil
}

// Diff implements engine.Kind.
func (u *IAMUser) Diff(o *engine.Observation, st userState) ([]engine.FieldDiff, error) {
	if !o.Exists {
		return []engine.FieldDiff{engine.Added(pathName, u.cfg.Name), engine.Added(pathStackTag, u.cfg.Stack)}, nil
	}
	d := engine.DiffField(nil, pathStackTag, st.tags[engine.StackTag], u.cfg.Stack)
	return append(d, st.driftDiffs(u.cfg.InlinePolicy)...), nil
}

// Create implements engine.Kind. The tag is part of the create call, so a
// user awsboot created is always recognisably its own.
func (u *IAMUser) Create(ctx context.Context, _ *engine.Observation, _ userState) error {
	_, err := u.api.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String(u.cfg.Name),
		Tags:     []iamtypes.Tag{tag(engine.StackTag, u.cfg.Stack)},
	})
	if err != nil && !(awsapi.IsAlreadyExists(err) && u.ownedNow(ctx)) {
		return fmt.Errorf("creating user %q: %w", u.cfg.Name, err)
	}
	return nil
}

// Update implements engine.Kind.
func (u *IAMUser) Update(ctx context.Context, _ *engine.Observation, st userState, diffs []engine.FieldDiff) error {
	if engine.Changed(diffs, pathStackTag) {
		_, err := u.api.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(u.cfg.Name), Tags: []iamtypes.Tag{tag(engine.StackTag, u.cfg.Stack)}})
		if err != nil {
			return fmt.Errorf("tagging user %q: %w", u.cfg.Name, err)
		}
	}
	if err := u.detach(ctx, st.extra); err != nil {
		return err
	}
	return u.deleteInline(ctx, st.foreignInline(u.cfg.InlinePolicy))
}

func (u *IAMUser) detach(ctx context.Context, arns []string) error {
	for _, arn := range arns {
		_, err := u.api.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(u.cfg.Name), PolicyArn: aws.String(arn)})
		if err != nil && !awsapi.IsNotFound(err) {
			return fmt.Errorf("detaching %s from user %q: %w", arn, u.cfg.Name, err)
		}
	}
	return nil
}

func (u *IAMUser) deleteInline(ctx context.Context, names []string) error {
	for _, n := range names {
		_, err := u.api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(u.cfg.Name), PolicyName: aws.String(n)})
		if err != nil && !awsapi.IsNotFound(err) {
			return fmt.Errorf("deleting inline policy %q of user %q: %w", n, u.cfg.Name, err)
		}
	}
	return nil
}

// Delete implements engine.Kind. IAM refuses to delete a user that still
// has keys or policies, so those go first (cloud-nuke's deleteIAMUser
// order).
func (u *IAMUser) Delete(ctx context.Context, _ *engine.Observation, _ userState) error {
	st, err := readUser(ctx, u.api, u.cfg.Custom, u.cfg.Name, u.cfg.PolicyARN)
	if err != nil || st == nil {
		return err
	}
	keys, err := u.api.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(u.cfg.Name)})
	if err != nil && !awsapi.IsNotFound(err) {
		return fmt.Errorf("listing access keys of user %q: %w", u.cfg.Name, err)
	}
	if keys != nil {
		for _, k := range keys.AccessKeyMetadata {
			if err := deleteAccessKey(ctx, u.api, u.cfg.Name, aws.ToString(k.AccessKeyId)); err != nil {
				return err
			}
		}
	}
	extra := st.extra
	if st.attached {
		extra = append(extra, u.cfg.PolicyARN)
	}
	if err := u.detach(ctx, extra); err != nil {
		return err
	}
	if err := u.deleteInline(ctx, st.inline); err != nil {
		return err
	}
	_, err = u.api.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(u.cfg.Name)})
	if err != nil && !awsapi.IsNotFound(err) {
		if awsapi.IsDeleteConflict(err) {
			return fmt.Errorf("deleting user %q: it still has something awsboot does not remove (a console password, MFA device, signing certificate or SSH key); remove it by hand and run teardown again: %w", u.cfg.Name, err)
		}
		return fmt.Errorf("deleting user %q: %w", u.cfg.Name, err)
	}
	return nil
}

// deleteAccessKey deletes one key; a key already gone counts as deleted.
func deleteAccessKey(ctx context.Context, api accessKeyDeleter, user, id string) error {
	_, err := api.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id)})
	if err != nil && !awsapi.IsNotFound(err) {
		return fmt.Errorf("deleting access key %s of user %q: %w", id, user, err)
	}
	return nil
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (u *IAMUser) DestroyDescription(*engine.Observation, userState) string {
	return "deletes its access keys and detaches its policies first"
}
