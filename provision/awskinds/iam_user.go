package awskinds

import (
	"context"
	"fmt"
	"slices"
	"time"

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
	// PendingKey makes CreateUser also carry the access key's pending
	// tag (PendingKeyTag, with the time now): the user's key is created
	// right after it, and the tag must be on the user before that key
	// exists (IAMAccessKeyConfig.UserCreatedPending).
	PendingKey bool
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
	return &engine.Observation{Exists: true, Owner: st.tags[engine.StackTag], ManagedBy: managedByTags(st.tags)}, *st, nil
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
	tags := []iamtypes.Tag{tag(engine.StackTag, u.cfg.Stack)}
	if u.cfg.PendingKey {
		tags = append(tags, tag(PendingKeyTag, time.Now().UTC().Format(time.RFC3339)))
	}
	_, err := u.api.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(u.cfg.Name), Tags: tags})
	if err != nil && !(awsapi.IsAlreadyExists(err) && u.ownedNow(ctx)) {
		return fmt.Errorf("creating user %q: %w", u.cfg.Name, err)
	}
	return nil
}

// Update implements engine.Kind. The tag goes first and alone (IAM may
// refuse a tag change that meets another change of the user with
// ConcurrentModification); the policies go together after it.
func (u *IAMUser) Update(ctx context.Context, _ *engine.Observation, st userState, diffs []engine.FieldDiff) error {
	if engine.Changed(diffs, pathStackTag) {
		_, err := u.api.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(u.cfg.Name), Tags: []iamtypes.Tag{tag(engine.StackTag, u.cfg.Stack)}})
		if err != nil {
			return fmt.Errorf("tagging user %q: %w", u.cfg.Name, err)
		}
	}
	return u.strip(ctx, st.extra, st.foreignInline(u.cfg.InlinePolicy))
}

// strip detaches managed policies and deletes inline ones, all at once.
func (u *IAMUser) strip(ctx context.Context, managed, inline []string) error {
	return allOf(
		func() error { return forEach(managed, func(arn string) error { return u.detach(ctx, arn) }) },
		func() error { return forEach(inline, func(n string) error { return u.deleteInline(ctx, n) }) },
	)
}

func (u *IAMUser) detach(ctx context.Context, arn string) error {
	_, err := u.api.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(u.cfg.Name), PolicyArn: aws.String(arn)})
	if err != nil && !awsapi.IsNotFound(err) {
		return fmt.Errorf("detaching %s from user %q: %w", arn, u.cfg.Name, err)
	}
	return nil
}

func (u *IAMUser) deleteInline(ctx context.Context, name string) error {
	_, err := u.api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(u.cfg.Name), PolicyName: aws.String(name)})
	if err != nil && !awsapi.IsNotFound(err) {
		return fmt.Errorf("deleting inline policy %q of user %q: %w", name, u.cfg.Name, err)
	}
	return nil
}

// Delete implements engine.Kind. IAM refuses to delete a user that still
// has keys or policies (cloud-nuke's deleteIAMUser order: those go
// first). Teardown deletes the user's key, attachment and inline grant
// before the user (they depend on it), so what is left is what the plan
// read besides them: other managed and inline policies, removed here
// without reading the user again. If IAM still refuses (something was
// added since the plan), the user is read afresh, stripped of every key
// and policy, and deleted once more.
func (u *IAMUser) Delete(ctx context.Context, _ *engine.Observation, st userState) error {
	if err := u.strip(ctx, st.extra, st.foreignInline(u.cfg.InlinePolicy)); err != nil {
		return err
	}
	err := u.deleteUser(ctx)
	if !awsapi.IsDeleteConflict(err) {
		return u.deleteError(err)
	}
	if err := u.stripAfresh(ctx); err != nil {
		return err
	}
	return u.deleteError(u.deleteUser(ctx))
}

// stripAfresh reads the user's keys and policies now and removes them all.
func (u *IAMUser) stripAfresh(ctx context.Context) error {
	var (
		fresh            *userState
		keys             *iam.ListAccessKeysOutput
		readErr, keysErr error
	)
	concurrently(
		func() { fresh, readErr = readUser(ctx, u.api, u.cfg.Custom, u.cfg.Name, u.cfg.PolicyARN) },
		func() {
			keys, keysErr = u.api.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(u.cfg.Name)})
		},
	)
	if readErr != nil || fresh == nil {
		return readErr
	}
	if keysErr != nil && !awsapi.IsNotFound(keysErr) {
		return fmt.Errorf("listing access keys of user %q: %w", u.cfg.Name, keysErr)
	}
	managed := fresh.extra
	if fresh.attached {
		managed = append(slices.Clone(managed), u.cfg.PolicyARN)
	}
	var keyIDs []string
	if keys != nil {
		for _, k := range keys.AccessKeyMetadata {
			keyIDs = append(keyIDs, aws.ToString(k.AccessKeyId))
		}
	}
	return allOf(
		func() error {
			return forEach(keyIDs, func(id string) error { return deleteAccessKey(ctx, u.api, u.cfg.Name, id) })
		},
		func() error { return u.strip(ctx, managed, fresh.inline) },
	)
}

func (u *IAMUser) deleteUser(ctx context.Context) error {
	_, err := u.api.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(u.cfg.Name)})
	if awsapi.IsNotFound(err) {
		return nil
	}
	return err
}

// deleteError explains DeleteUser's failure.
func (u *IAMUser) deleteError(err error) error {
	switch {
	case err == nil:
		return nil
	case awsapi.IsDeleteConflict(err):
		return fmt.Errorf("deleting user %q: it still has something awsboot does not remove (a console password, MFA device, signing certificate or SSH key); remove it by hand and run teardown again: %w", u.cfg.Name, err)
	}
	return fmt.Errorf("deleting user %q: %w", u.cfg.Name, err)
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

// Summary implements engine.KindSummarizer: the user's ARN, policies and
// tags. Its keys are the access key's summary.
func (u *IAMUser) Summary(_ *engine.Observation, st userState) []engine.KV {
	return append([]engine.KV{{Key: "arn", Value: st.arn}}, st.summary(u.cfg.PolicyARN)...)
}
