package provision

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// IAMUser is the IAM user an access entry's key belongs to. Besides its
// existence and ownership tag it watches for permissions added by hand:
// any managed policy other than the stack's and any inline policy is
// drift, removed on bootstrap, because the user must hold exactly its
// grant.
type IAMUser struct {
	c         *Clients
	stack     string
	name      string
	policyARN string
	// inline is the name of the stack's inline policy when grants are
	// inline (policy_style); other inline policies are drift.
	inline string
}

// NewIAMUser returns the user resource; policyARN is the one managed
// policy the user may have.
func NewIAMUser(c *Clients, s *Spec, a Access, policyARN string) *IAMUser {
	return &IAMUser{c: c, stack: s.Stack, name: a.User, policyARN: policyARN}
}

type userState struct {
	arn string
	permissions
}

// Addr implements Resource.
func (u *IAMUser) Addr() Address { return Addr("iam_user", u.name) }

// DependsOn implements Resource.
func (u *IAMUser) DependsOn() []Address { return nil }

// Describe names the user in messages.
func (u *IAMUser) Describe() string { return fmt.Sprintf("IAM user %q", u.name) }

// readUser reads a user's state; nil when the user does not exist. It is
// shared by the resources whose ownership follows the user's.
func readUser(ctx context.Context, c *Clients, name, policyARN string) (*userState, error) {
	st, err := cached(ctx, "user/"+name, func() (*userState, error) {
		out, err := c.IAM.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
		if isIAMNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading user %q: %w", name, err)
		}
		perms, err := readPermissions(ctx, c, userListings(c, name))
		if err != nil {
			return nil, err
		}
		return &userState{arn: aws.ToString(out.User.Arn), permissions: perms}, nil
	})
	if err != nil || st == nil {
		return nil, err
	}
	return &userState{arn: st.arn, permissions: st.forPolicy(policyARN)}, nil
}

// Read implements Resource.
func (u *IAMUser) Read(ctx context.Context) (*Observation, error) {
	st, err := readUser(ctx, u.c, u.name, u.policyARN)
	if err != nil || st == nil {
		return &Observation{}, err
	}
	return &Observation{Exists: true, Owner: st.tags[StackTag], Data: *st}, nil
}

// Diff implements Resource.
func (u *IAMUser) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		return createFields("name", u.name, "tags."+StackTag, u.stack), nil
	}
	st := o.Data.(userState)
	var d []FieldDiff
	d = diffField(d, "tags."+StackTag, st.tags[StackTag], u.stack)
	return append(d, st.driftDiffs(u.inline)...), nil
}

// Create implements Resource. The tag is part of the create call, so a
// user awsboot created is always recognisably its own.
func (u *IAMUser) Create(ctx context.Context, _ *Observation) error {
	_, err := u.c.IAM.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String(u.name),
		Tags:     []iamtypes.Tag{{Key: aws.String(StackTag), Value: aws.String(u.stack)}},
	})
	if err != nil {
		return fmt.Errorf("creating user %q: %w", u.name, err)
	}
	return nil
}

// Update implements Resource.
func (u *IAMUser) Update(ctx context.Context, o *Observation, diffs []FieldDiff) error {
	st := o.Data.(userState)
	if hasPath(diffs, "tags") {
		_, err := u.c.IAM.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(u.name), Tags: []iamtypes.Tag{{Key: aws.String(StackTag), Value: aws.String(u.stack)}}})
		if err != nil {
			return fmt.Errorf("tagging user %q: %w", u.name, err)
		}
	}
	if err := u.detach(ctx, st.extra); err != nil {
		return err
	}
	return u.deleteInline(ctx, st.foreignInline(u.inline))
}

func (u *IAMUser) detach(ctx context.Context, arns []string) error {
	for _, arn := range arns {
		_, err := u.c.IAM.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(u.name), PolicyArn: aws.String(arn)})
		if err != nil && !isIAMNotFound(err) {
			return fmt.Errorf("detaching %s from user %q: %w", arn, u.name, err)
		}
	}
	return nil
}

func (u *IAMUser) deleteInline(ctx context.Context, names []string) error {
	for _, n := range names {
		_, err := u.c.IAM.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(u.name), PolicyName: aws.String(n)})
		if err != nil && !isIAMNotFound(err) {
			return fmt.Errorf("deleting inline policy %q of user %q: %w", n, u.name, err)
		}
	}
	return nil
}

// Delete implements Resource. IAM refuses to delete a user that still has
// keys or policies, so those go first (cloud-nuke's deleteIAMUser order).
func (u *IAMUser) Delete(ctx context.Context, o *Observation) error {
	st, err := readUser(ctx, u.c, u.name, u.policyARN)
	if err != nil || st == nil {
		return err
	}
	keys, err := u.c.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(u.name)})
	if err != nil && !isIAMNotFound(err) {
		return fmt.Errorf("listing access keys of user %q: %w", u.name, err)
	}
	if keys != nil {
		for _, k := range keys.AccessKeyMetadata {
			if err := deleteAccessKey(ctx, u.c, u.name, aws.ToString(k.AccessKeyId)); err != nil {
				return err
			}
		}
	}
	extra := st.extra
	if st.attached {
		extra = append(extra, u.policyARN)
	}
	if err := u.detach(ctx, extra); err != nil {
		return err
	}
	if err := u.deleteInline(ctx, st.inline); err != nil {
		return err
	}
	_, err = u.c.IAM.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(u.name)})
	if err != nil && !isIAMNotFound(err) {
		if strings.Contains(err.Error(), "DeleteConflict") {
			return fmt.Errorf("deleting user %q: it still has something awsboot does not remove (a console password, MFA device, signing certificate or SSH key); remove it by hand and run teardown again: %w", u.name, err)
		}
		return fmt.Errorf("deleting user %q: %w", u.name, err)
	}
	return nil
}

func deleteAccessKey(ctx context.Context, c *Clients, user, id string) error {
	_, err := c.IAM.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id)})
	if err != nil && !isIAMNotFound(err) {
		return fmt.Errorf("deleting access key %s of user %q: %w", id, user, err)
	}
	return nil
}

// DestroyDescription implements destroyDescriber.
func (u *IAMUser) DestroyDescription(*Observation) string {
	return "deletes its access keys and detaches its policies first"
}
