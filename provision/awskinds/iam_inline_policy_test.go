// These tests use a fake of IAMInlinePolicy's narrow client interface
// (iamInlinePolicyAPI), not a stand-in for IAM: the fake embeds the
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

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/engine"
)

// fakeInlineAPI is a fake of iamInlinePolicyAPI.
type fakeInlineAPI struct {
	//lint:ignore U1000 embedded so that a call the test does not expect panics
	iamInlinePolicyAPI
	iamCallLog
	user fakeUserReads
	role fakeRoleReads
	// document is what Get{User,Role}Policy answer (URL-encoded, as IAM
	// does), "" when the policy does not exist.
	document string
}

func (f *fakeInlineAPI) GetUser(ctx context.Context, in *iam.GetUserInput, o ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return f.user.GetUser(ctx, in, o...)
}

func (f *fakeInlineAPI) ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, o ...func(*iam.Options)) (*iam.ListUserTagsOutput, error) {
	return f.user.ListUserTags(ctx, in, o...)
}

func (f *fakeInlineAPI) ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	return f.user.ListAttachedUserPolicies(ctx, in, o...)
}

func (f *fakeInlineAPI) ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	return f.user.ListUserPolicies(ctx, in, o...)
}

func (f *fakeInlineAPI) GetRole(ctx context.Context, in *iam.GetRoleInput, o ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	return f.role.GetRole(ctx, in, o...)
}

func (f *fakeInlineAPI) ListRoleTags(ctx context.Context, in *iam.ListRoleTagsInput, o ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error) {
	return f.role.ListRoleTags(ctx, in, o...)
}

func (f *fakeInlineAPI) ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return f.role.ListAttachedRolePolicies(ctx, in, o...)
}

func (f *fakeInlineAPI) ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, o ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return f.role.ListRolePolicies(ctx, in, o...)
}

func (f *fakeInlineAPI) GetUserPolicy(_ context.Context, in *iam.GetUserPolicyInput, _ ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error) {
	if f.document == "" {
		return nil, noSuchEntity()
	}
	return &iam.GetUserPolicyOutput{UserName: in.UserName, PolicyName: in.PolicyName, PolicyDocument: aws.String(f.document)}, nil
}

func (f *fakeInlineAPI) GetRolePolicy(_ context.Context, in *iam.GetRolePolicyInput, _ ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error) {
	if f.document == "" {
		return nil, noSuchEntity()
	}
	return &iam.GetRolePolicyOutput{RoleName: in.RoleName, PolicyName: in.PolicyName, PolicyDocument: aws.String(f.document)}, nil
}

func (f *fakeInlineAPI) PutUserPolicy(_ context.Context, in *iam.PutUserPolicyInput, _ ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error) {
	f.add("PutUserPolicy %s %s document=%v", aws.ToString(in.UserName), aws.ToString(in.PolicyName), aws.ToString(in.PolicyDocument) == iamGrantDoc().JSON())
	return &iam.PutUserPolicyOutput{}, nil
}

func (f *fakeInlineAPI) PutRolePolicy(_ context.Context, in *iam.PutRolePolicyInput, _ ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error) {
	f.add("PutRolePolicy %s %s document=%v", aws.ToString(in.RoleName), aws.ToString(in.PolicyName), aws.ToString(in.PolicyDocument) == iamGrantDoc().JSON())
	return &iam.PutRolePolicyOutput{}, nil
}

func (f *fakeInlineAPI) DeleteUserPolicy(_ context.Context, in *iam.DeleteUserPolicyInput, _ ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error) {
	f.add("DeleteUserPolicy %s %s", aws.ToString(in.UserName), aws.ToString(in.PolicyName))
	return &iam.DeleteUserPolicyOutput{}, nil
}

func (f *fakeInlineAPI) DeleteRolePolicy(_ context.Context, in *iam.DeleteRolePolicyInput, _ ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error) {
	f.add("DeleteRolePolicy %s %s", aws.ToString(in.RoleName), aws.ToString(in.PolicyName))
	return &iam.DeleteRolePolicyOutput{}, nil
}

func newTestInline(kind PrincipalKind, note string) *IAMInlinePolicy {
	principal := userTestName
	if kind == Role {
		principal = roleTestName
	}
	return NewIAMInlinePolicy(IAMInlinePolicyConfig{
		Kind: kind, Principal: principal, Parent: engine.Addr("iam_"+string(kind), principal),
		Name: "demo-grant", Document: iamGrantDoc(), Note: note,
	})
}

func TestIAMInlinePolicyDiff(t *testing.T) {
	tests := map[string]struct {
		kind   PrincipalKind
		exists bool
		cur    policies.Document
		want   []engine.FieldDiff
	}{
		"absent from the user": {
			kind: User,
			want: []engine.FieldDiff{{Path: "user", After: userTestName}, {Path: "name", After: "demo-grant"}, {Path: "document", After: iamGrantDoc().JSON()}},
		},
		"absent from the role": {
			kind: Role,
			want: []engine.FieldDiff{{Path: "role", After: roleTestName}, {Path: "name", After: "demo-grant"}, {Path: "document", After: iamGrantDoc().JSON()}},
		},
		"equal":                               {kind: User, exists: true, cur: iamGrantDoc()},
		"equivalent, in another order: equal": {kind: Role, exists: true, cur: mustParseDoc(t, iamGrantReordered)},
		"drifted": {
			kind: User, exists: true, cur: iamGrantWidened(),
			want: []engine.FieldDiff{{Path: "document", Before: iamGrantWidened().JSON(), After: iamGrantDoc().JSON()}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := newTestInline(tc.kind, "").Diff(&engine.Observation{Exists: tc.exists, DerivedOwnership: true}, tc.cur)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestIAMInlinePolicyRead reads through the fake and diffs what it read.
func TestIAMInlinePolicyRead(t *testing.T) {
	trust := url.QueryEscape(roleTrust().JSON())
	tests := map[string]struct {
		kind      PrincipalKind
		note      string
		fake      fakeInlineAPI
		wantObs   engine.Observation
		wantDiffs []engine.FieldDiff
	}{
		"user missing": {
			kind: User, fake: fakeInlineAPI{user: fakeUserReads{missing: true}},
			wantObs: engine.Observation{DerivedOwnership: true},
			wantDiffs: []engine.FieldDiff{
				{Path: "user", After: userTestName}, {Path: "name", After: "demo-grant"}, {Path: "document", After: iamGrantDoc().JSON()},
			},
		},
		"policy absent from the user": {
			kind: User, note: "inline: the service has no managed policies",
			fake:    fakeInlineAPI{user: fakeUserReads{arn: userTestARN, tags: userOwned}},
			wantObs: engine.Observation{DerivedOwnership: true, Notes: []string{"inline: the service has no managed policies"}},
			wantDiffs: []engine.FieldDiff{
				{Path: "user", After: userTestName}, {Path: "name", After: "demo-grant"}, {Path: "document", After: iamGrantDoc().JSON()},
			},
		},
		"user's policy equal, URL-encoded and reordered": {
			kind:    User,
			fake:    fakeInlineAPI{user: fakeUserReads{arn: userTestARN, tags: userOwned, inline: []string{"demo-grant"}}, document: url.QueryEscape(iamGrantReordered)},
			wantObs: engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
		},
		"role's policy drifted": {
			kind:      Role,
			fake:      fakeInlineAPI{role: fakeRoleReads{trust: trust, maxSession: 3600, tags: roleOwned, inline: []string{"demo-grant"}}, document: url.QueryEscape(iamGrantWidened().JSON())},
			wantObs:   engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantDiffs: []engine.FieldDiff{{Path: "document", Before: iamGrantWidened().JSON(), After: iamGrantDoc().JSON()}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestInline(tc.kind, tc.note)
			p.api = &tc.fake
			o, cur, err := p.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			gotObs := engine.Observation{Exists: o.Exists, Owner: o.Owner, DerivedOwnership: o.DerivedOwnership, Notes: o.Notes}
			if d := cmp.Diff(tc.wantObs, gotObs, cmp.AllowUnexported(engine.Observation{})); d != "" {
				t.Errorf("Read() observation (-want +got):\n%s", d)
			}
			got, err := p.Diff(o, cur)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.wantDiffs, got); d != "" {
				t.Errorf("Diff() mismatch (-want +got):\n%s", d)
			}
			if len(tc.fake.calls) != 0 {
				t.Errorf("Read made changing calls: %v", tc.fake.calls)
			}
		})
	}
}

func TestIAMInlinePolicyCalls(t *testing.T) {
	tests := map[string]struct {
		kind PrincipalKind
		op   string // "create", "update" or "delete"
		want []string
	}{
		"create on a user":   {kind: User, op: "create", want: []string{"PutUserPolicy semaphore demo-grant document=true"}},
		"create on a role":   {kind: Role, op: "create", want: []string{"PutRolePolicy demo-deploy demo-grant document=true"}},
		"update on a user":   {kind: User, op: "update", want: []string{"PutUserPolicy semaphore demo-grant document=true"}},
		"update on a role":   {kind: Role, op: "update", want: []string{"PutRolePolicy demo-deploy demo-grant document=true"}},
		"delete from a user": {kind: User, op: "delete", want: []string{"DeleteUserPolicy semaphore demo-grant"}},
		"delete from a role": {kind: Role, op: "delete", want: []string{"DeleteRolePolicy demo-deploy demo-grant"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestInline(tc.kind, "")
			fake := &fakeInlineAPI{}
			p.api = fake
			ctx, o := context.Background(), &engine.Observation{Exists: tc.op != "create", DerivedOwnership: true}
			var err error
			switch tc.op {
			case "create":
				err = p.Create(ctx, o, policies.Document{})
			case "update":
				diffs, derr := p.Diff(o, iamGrantWidened())
				if derr != nil {
					t.Fatal(derr)
				}
				err = p.Update(ctx, o, iamGrantWidened(), diffs)
			case "delete":
				err = p.Delete(ctx, o, iamGrantDoc())
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
