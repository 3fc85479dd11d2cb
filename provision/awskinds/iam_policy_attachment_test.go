// These tests use a fake of IAMPolicyAttachment's narrow client interface
// (iamAttachmentAPI), not a stand-in for IAM: the fake embeds the
// interface, answers only the calls a test expects and records the ones
// that change something; any other call panics on the nil embedded
// interface. How IAM really behaves is covered by the integration tests
// against moto.

package awskinds

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/engine"
)

// fakeAttachmentAPI is a fake of iamAttachmentAPI.
type fakeAttachmentAPI struct {
	//lint:ignore U1000 embedded so that a call the test does not expect panics
	iamAttachmentAPI
	iamCallLog
	user      fakeUserReads
	role      fakeRoleReads
	detachErr error
}

func (f *fakeAttachmentAPI) GetUser(ctx context.Context, in *iam.GetUserInput, o ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return f.user.GetUser(ctx, in, o...)
}

func (f *fakeAttachmentAPI) ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, o ...func(*iam.Options)) (*iam.ListUserTagsOutput, error) {
	return f.user.ListUserTags(ctx, in, o...)
}

func (f *fakeAttachmentAPI) ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	return f.user.ListAttachedUserPolicies(ctx, in, o...)
}

func (f *fakeAttachmentAPI) ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	return f.user.ListUserPolicies(ctx, in, o...)
}

func (f *fakeAttachmentAPI) GetRole(ctx context.Context, in *iam.GetRoleInput, o ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return f.role.GetRole(ctx, in, o...)
}

func (f *fakeAttachmentAPI) ListRoleTags(ctx context.Context, in *iam.ListRoleTagsInput, o ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error) {
	return f.role.ListRoleTags(ctx, in, o...)
}

func (f *fakeAttachmentAPI) ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return f.role.ListAttachedRolePolicies(ctx, in, o...)
}

func (f *fakeAttachmentAPI) ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, o ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return f.role.ListRolePolicies(ctx, in, o...)
}

func (f *fakeAttachmentAPI) AttachUserPolicy(_ context.Context, in *iam.AttachUserPolicyInput, _ ...func(*iam.Options)) (*iam.AttachUserPolicyOutput, error) {
	f.add("AttachUserPolicy %s %s", aws.ToString(in.UserName), aws.ToString(in.PolicyArn))
	return &iam.AttachUserPolicyOutput{}, nil
}

func (f *fakeAttachmentAPI) DetachUserPolicy(_ context.Context, in *iam.DetachUserPolicyInput, _ ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error) {
	f.add("DetachUserPolicy %s %s", aws.ToString(in.UserName), aws.ToString(in.PolicyArn))
	return &iam.DetachUserPolicyOutput{}, f.detachErr
}

func (f *fakeAttachmentAPI) AttachRolePolicy(_ context.Context, in *iam.AttachRolePolicyInput, _ ...func(*iam.Options)) (*iam.AttachRolePolicyOutput, error) {
	f.add("AttachRolePolicy %s %s", aws.ToString(in.RoleName), aws.ToString(in.PolicyArn))
	return &iam.AttachRolePolicyOutput{}, nil
}

func (f *fakeAttachmentAPI) DetachRolePolicy(_ context.Context, in *iam.DetachRolePolicyInput, _ ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error) {
	f.add("DetachRolePolicy %s %s", aws.ToString(in.RoleName), aws.ToString(in.PolicyArn))
	return &iam.DetachRolePolicyOutput{}, f.detachErr
}

func newTestAttachment(kind PrincipalKind) *IAMPolicyAttachment {
	principal := userTestName
	if kind == Role {
		principal = roleTestName
	}
	return NewIAMPolicyAttachment(IAMPolicyAttachmentConfig{
		Kind: kind, Principal: principal, Parent: engine.Addr("iam_"+string(kind), principal), Policy: newTestPolicy(),
	})
}

func TestIAMPolicyAttachmentDiff(t *testing.T) {
	tests := map[string]struct {
		kind   PrincipalKind
		exists bool
		want   []engine.FieldDiff
	}{
		"absent from the user": {
			kind: User,
			want: []engine.FieldDiff{{Path: "user", After: userTestName}, {Path: "policy_arn", After: policyTestARN}},
		},
		"absent from the role": {
			kind: Role,
			want: []engine.FieldDiff{{Path: "role", After: roleTestName}, {Path: "policy_arn", After: policyTestARN}},
		},
		"present on the user": {kind: User, exists: true},
		"present on the role": {kind: Role, exists: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := newTestAttachment(tc.kind).Diff(&engine.Observation{Exists: tc.exists, DerivedOwnership: true}, struct{}{})
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestIAMPolicyAttachmentRead reads through the fake: the attachment
// exists when the stack's policy is among the principal's, and its owner
// is the principal's.
func TestIAMPolicyAttachmentRead(t *testing.T) {
	trust := url.QueryEscape(roleTrust().JSON())
	tests := map[string]struct {
		kind PrincipalKind
		fake fakeAttachmentAPI
		want engine.Observation
	}{
		"user missing": {kind: User, fake: fakeAttachmentAPI{user: fakeUserReads{missing: true}}, want: engine.Observation{DerivedOwnership: true}},
		"user without the policy": {
			kind: User, fake: fakeAttachmentAPI{user: fakeUserReads{arn: userTestARN, tags: userOwned, attached: []string{userTestAdmin}}},
			want: engine.Observation{Owner: "demo", DerivedOwnership: true},
		},
		"user with the policy": {
			kind: User, fake: fakeAttachmentAPI{user: fakeUserReads{arn: userTestARN, tags: userOwned, attached: []string{userTestAdmin, policyTestARN}}},
			want: engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
		},
		"role missing": {kind: Role, fake: fakeAttachmentAPI{role: fakeRoleReads{missing: true}}, want: engine.Observation{DerivedOwnership: true}},
		"role without the policy": {
			kind: Role, fake: fakeAttachmentAPI{role: fakeRoleReads{trust: trust, maxSession: 3600, tags: roleOwned}},
			want: engine.Observation{Owner: "demo", DerivedOwnership: true},
		},
		"role with the policy, untagged": {
			kind: Role, fake: fakeAttachmentAPI{role: fakeRoleReads{trust: trust, maxSession: 3600, attached: []string{policyTestARN}}},
			want: engine.Observation{Exists: true, DerivedOwnership: true},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := newTestAttachment(tc.kind)
			a.api = &tc.fake
			o, _, err := a.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if o.Exists != tc.want.Exists || o.Owner != tc.want.Owner || o.DerivedOwnership != tc.want.DerivedOwnership {
				t.Errorf("Read() = %+v, want %+v", *o, tc.want)
			}
		})
	}
}

func TestIAMPolicyAttachmentCalls(t *testing.T) {
	tests := map[string]struct {
		kind      PrincipalKind
		op        string // "create", "update" or "delete"
		detachErr error
		want      []string
	}{
		"create on a user":    {kind: User, op: "create", want: []string{"AttachUserPolicy semaphore " + policyTestARN}},
		"create on a role":    {kind: Role, op: "create", want: []string{"AttachRolePolicy demo-deploy " + policyTestARN}},
		"update: nothing":     {kind: User, op: "update"},
		"delete from a user":  {kind: User, op: "delete", want: []string{"DetachUserPolicy semaphore " + policyTestARN}},
		"delete from a role":  {kind: Role, op: "delete", want: []string{"DetachRolePolicy demo-deploy " + policyTestARN}},
		"delete already gone": {kind: Role, op: "delete", detachErr: noSuchEntity(), want: []string{"DetachRolePolicy demo-deploy " + policyTestARN}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := newTestAttachment(tc.kind)
			fake := &fakeAttachmentAPI{detachErr: tc.detachErr}
			a.api = fake
			ctx, o := context.Background(), &engine.Observation{DerivedOwnership: true}
			var err error
			switch tc.op {
			case "create":
				err = a.Create(ctx, o, struct{}{})
			case "update":
				err = a.Update(ctx, o, struct{}{}, nil)
			case "delete":
				err = a.Delete(ctx, o, struct{}{})
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, fake.calls); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
		})
	}
}
