// These tests use a fake of IAMRole's narrow client interface
// (iamRoleAPI), not a stand-in for IAM: the fake embeds the interface,
// answers only the calls a test expects and records the ones that change
// something; any other call panics on the nil embedded interface. How IAM
// really behaves is covered by the integration tests against moto.
//
// fakeRoleReads, shared with the attachment and inline policy tests, is
// here.

package awskinds

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/engine"
)

const (
	roleTestName     = "demo-deploy"
	roleTestARN      = "arn:aws:iam::123456789012:role/demo-deploy"
	roleTestPolicy   = "arn:aws:iam::123456789012:policy/demo-deploy"
	roleTestProvider = "arn:aws:iam::123456789012:oidc-provider/acme.semaphoreci.com"
	roleTestSubject  = "org:acme:project:1234:repo:site:ref_type:branch:ref:refs/heads/main"
)

// fakeRoleReads answers the reads of one role (roleReadAPI).
type fakeRoleReads struct {
	missing    bool
	trust      string // as IAM returns it (URL-encoded)
	maxSession int32
	tags       map[string]string
	attached   []string
	inline     []string
	// getOmitsTags makes GetRole answer without tags (see fakeUserReads).
	getOmitsTags bool
}

func (f *fakeRoleReads) GetRole(_ context.Context, in *iam.GetRoleInput, _ ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	if f.missing {
		return nil, noSuchEntity()
	}
	r := &iamtypes.Role{RoleName: in.RoleName, AssumeRolePolicyDocument: aws.String(f.trust), MaxSessionDuration: aws.Int32(f.maxSession)}
	if !f.getOmitsTags {
		r.Tags = iamTags(f.tags)
	}
	return &iam.GetRoleOutput{Role: r}, nil
}

func (f *fakeRoleReads) ListRoleTags(context.Context, *iam.ListRoleTagsInput, ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error) {
	if f.missing {
		return nil, noSuchEntity()
	}
	if len(f.tags) > 0 && !f.getOmitsTags {
		return nil, errUnneededTagListing
	}
	return &iam.ListRoleTagsOutput{Tags: iamTags(f.tags)}, nil
}

func (f *fakeRoleReads) ListAttachedRolePolicies(context.Context, *iam.ListAttachedRolePoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	if f.missing {
		return nil, noSuchEntity()
	}
	return &iam.ListAttachedRolePoliciesOutput{AttachedPolicies: attachedPolicies(f.attached)}, nil
}

func (f *fakeRoleReads) ListRolePolicies(context.Context, *iam.ListRolePoliciesInput, ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	if f.missing {
		return nil, noSuchEntity()
	}
	return &iam.ListRolePoliciesOutput{PolicyNames: f.inline}, nil
}

// iamTrustDoc is a pipeline role's trust policy for the given subjects.
func iamTrustDoc(w policies.WebIdentity) policies.Document {
	w.ProviderARN, w.Host, w.Audience = roleTestProvider, "acme.semaphoreci.com", "https://acme.semaphoreci.com"
	return policies.Trust(w)
}

func roleTrust() policies.Document {
	return iamTrustDoc(policies.WebIdentity{Subjects: []string{roleTestSubject}})
}

// roleTrustWidened lets any pipeline of the organisation assume the role.
func roleTrustWidened() policies.Document {
	return iamTrustDoc(policies.WebIdentity{SubjectPatterns: []string{"org:acme:*"}})
}

// fakeRoleAPI is a fake of iamRoleAPI. Besides the changing calls it logs
// GetRole, to show when Delete reads the role again.
type fakeRoleAPI struct {
	//lint:ignore U1000 embedded so that a call the test does not expect panics
	iamRoleAPI
	iamCallLog
	reads fakeRoleReads
	// conflicts is how many DeleteRole calls answer DeleteConflict.
	conflicts int
}

func (f *fakeRoleAPI) GetRole(ctx context.Context, in *iam.GetRoleInput, o ...func(*iam.Options)) (*iam.GetRoleOutput, error) {
	f.add("GetRole %s", aws.ToString(in.RoleName))
	return f.reads.GetRole(ctx, in, o...)
}

func (f *fakeRoleAPI) ListRoleTags(ctx context.Context, in *iam.ListRoleTagsInput, o ...func(*iam.Options)) (*iam.ListRoleTagsOutput, error) {
	return f.reads.ListRoleTags(ctx, in, o...)
}

func (f *fakeRoleAPI) ListAttachedRolePolicies(ctx context.Context, in *iam.ListAttachedRolePoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedRolePoliciesOutput, error) {
	return f.reads.ListAttachedRolePolicies(ctx, in, o...)
}

func (f *fakeRoleAPI) ListRolePolicies(ctx context.Context, in *iam.ListRolePoliciesInput, o ...func(*iam.Options)) (*iam.ListRolePoliciesOutput, error) {
	return f.reads.ListRolePolicies(ctx, in, o...)
}

func (f *fakeRoleAPI) CreateRole(_ context.Context, in *iam.CreateRoleInput, _ ...func(*iam.Options)) (*iam.CreateRoleOutput, error) {
	f.add("CreateRole %s %s max=%d trust=%v desc=%q", aws.ToString(in.RoleName), tagsText(in.Tags), aws.ToInt32(in.MaxSessionDuration),
		aws.ToString(in.AssumeRolePolicyDocument) == roleTrust().JSON(), aws.ToString(in.Description))
	return &iam.CreateRoleOutput{}, nil
}

func (f *fakeRoleAPI) TagRole(_ context.Context, in *iam.TagRoleInput, _ ...func(*iam.Options)) (*iam.TagRoleOutput, error) {
	f.add("TagRole %s %s", aws.ToString(in.RoleName), tagsText(in.Tags))
	return &iam.TagRoleOutput{}, nil
}

func (f *fakeRoleAPI) UpdateAssumeRolePolicy(_ context.Context, in *iam.UpdateAssumeRolePolicyInput, _ ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error) {
	f.add("UpdateAssumeRolePolicy %s trust=%v", aws.ToString(in.RoleName), aws.ToString(in.PolicyDocument) == roleTrust().JSON())
	return &iam.UpdateAssumeRolePolicyOutput{}, nil
}

func (f *fakeRoleAPI) UpdateRole(_ context.Context, in *iam.UpdateRoleInput, _ ...func(*iam.Options)) (*iam.UpdateRoleOutput, error) {
	f.add("UpdateRole %s max=%d", aws.ToString(in.RoleName), aws.ToInt32(in.MaxSessionDuration))
	return &iam.UpdateRoleOutput{}, nil
}

func (f *fakeRoleAPI) DetachRolePolicy(_ context.Context, in *iam.DetachRolePolicyInput, _ ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error) {
	f.add("DetachRolePolicy %s %s", aws.ToString(in.RoleName), aws.ToString(in.PolicyArn))
	return &iam.DetachRolePolicyOutput{}, nil
}

func (f *fakeRoleAPI) DeleteRolePolicy(_ context.Context, in *iam.DeleteRolePolicyInput, _ ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error) {
	f.add("DeleteRolePolicy %s %s", aws.ToString(in.RoleName), aws.ToString(in.PolicyName))
	return &iam.DeleteRolePolicyOutput{}, nil
}

func (f *fakeRoleAPI) DeleteRole(_ context.Context, in *iam.DeleteRoleInput, _ ...func(*iam.Options)) (*iam.DeleteRoleOutput, error) {
	f.add("DeleteRole %s", aws.ToString(in.RoleName))
	switch {
	case f.reads.missing:
		return nil, noSuchEntity()
	case f.conflicts > 0:
		f.conflicts--
		return nil, &iamtypes.DeleteConflictException{Message: aws.String("Cannot delete entity, must detach all policies first. (fake)")}
	}
	return &iam.DeleteRoleOutput{}, nil
}

func newTestRole(inline string) *IAMRole {
	return NewIAMRole(IAMRoleConfig{
		Stack: "demo", Name: roleTestName, ARN: roleTestARN, Trust: roleTrust(), MaxSession: 3600,
		PolicyARN: roleTestPolicy, InlinePolicy: inline, Provider: "iam_oidc_provider.acme.semaphoreci.com",
	})
}

var roleOwned = map[string]string{engine.StackTag: "demo"}

// roleSt is a role's state as Read gives it: the stack's policy attached.
func roleSt(trust policies.Document, maxSession int32, tags map[string]string, extra, inline []string) roleState {
	return roleState{trust: trust, maxSession: maxSession, permissions: permissions{tags: tags, extra: extra, inline: inline, attached: true}}
}

func TestIAMRoleDiff(t *testing.T) {
	const admin = "arn:aws:iam::aws:policy/AdministratorAccess"
	tests := map[string]struct {
		inline string
		exists bool
		st     roleState
		want   []engine.FieldDiff
	}{
		"create": {
			want: []engine.FieldDiff{
				{Path: "name", After: roleTestName},
				{Path: "arn", After: roleTestARN},
				{Path: "trust_policy", After: roleTrust().JSON()},
				{Path: "max_session_duration", After: "3600"},
				{Path: "tags.awsboot:stack", After: "demo"},
			},
		},
		"up to date": {exists: true, st: roleSt(roleTrust(), 3600, roleOwned, nil, nil)},
		"trust policy re-encoded by IAM: none": {
			exists: true, st: roleSt(mustParseDoc(t, url.QueryEscape(roleTrust().JSON())), 3600, roleOwned, nil, nil),
		},
		"trust policy widened": {
			exists: true, st: roleSt(roleTrustWidened(), 3600, roleOwned, nil, nil),
			want: []engine.FieldDiff{{Path: "trust_policy", Before: roleTrustWidened().JSON(), After: roleTrust().JSON()}},
		},
		"max session changed": {
			exists: true, st: roleSt(roleTrust(), 43200, roleOwned, nil, nil),
			want: []engine.FieldDiff{{Path: "max_session_duration", Before: "43200", After: "3600"}},
		},
		"stack tag missing": {
			exists: true, st: roleSt(roleTrust(), 3600, map[string]string{}, nil, nil),
			want: []engine.FieldDiff{{Path: "tags.awsboot:stack", After: "demo"}},
		},
		"stack tag names another stack": {
			exists: true, st: roleSt(roleTrust(), 3600, map[string]string{engine.StackTag: "other"}, nil, nil),
			want: []engine.FieldDiff{{Path: "tags.awsboot:stack", Before: "other", After: "demo"}},
		},
		"extra managed policy": {
			exists: true, st: roleSt(roleTrust(), 3600, roleOwned, []string{admin}, nil),
			want: []engine.FieldDiff{{Path: "other_managed_policies", Before: admin}},
		},
		"foreign inline policy": {
			exists: true, st: roleSt(roleTrust(), 3600, roleOwned, nil, []string{"hand-made"}),
			want: []engine.FieldDiff{{Path: "inline_policies", Before: "hand-made"}},
		},
		"the stack's own inline policy is not drift": {
			inline: "demo-grant", exists: true, st: roleSt(roleTrust(), 3600, roleOwned, nil, []string{"demo-grant"}),
		},
		"every drift at once": {
			inline: "demo-grant", exists: true,
			st: roleSt(roleTrustWidened(), 7200, nil, []string{admin}, []string{"demo-grant", "hand-made"}),
			want: []engine.FieldDiff{
				{Path: "trust_policy", Before: roleTrustWidened().JSON(), After: roleTrust().JSON()},
				{Path: "max_session_duration", Before: "7200", After: "3600"},
				{Path: "tags.awsboot:stack", After: "demo"},
				{Path: "other_managed_policies", Before: admin},
				{Path: "inline_policies", Before: "hand-made"},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := newTestRole(tc.inline).Diff(&engine.Observation{Exists: tc.exists}, tc.st)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestIAMRoleRead reads through the fake: the stack's policy counts as
// attached, not as drift, and the URL-encoded trust policy is parsed.
func TestIAMRoleRead(t *testing.T) {
	r := newTestRole("")
	r.api = &fakeRoleAPI{reads: fakeRoleReads{
		trust: url.QueryEscape(roleTrust().JSON()), maxSession: 3600, tags: roleOwned, attached: []string{roleTestPolicy},
	}}
	o, st, err := r.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !o.Exists || o.Owner != "demo" || !st.attached {
		t.Errorf("Read() = exists %v owner %q attached %v, want true \"demo\" true", o.Exists, o.Owner, st.attached)
	}
	got, err := r.Diff(o, st)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]engine.FieldDiff(nil), got); d != "" {
		t.Errorf("Diff() mismatch (-want +got):\n%s", d)
	}
}

func TestIAMRoleUpdateCalls(t *testing.T) {
	const admin = "arn:aws:iam::aws:policy/AdministratorAccess"
	tests := map[string]struct {
		inline string
		st     roleState
		want   inOrder
	}{
		"up to date: no call": {st: roleSt(roleTrust(), 3600, roleOwned, nil, nil)},
		"trust policy widened": {
			st:   roleSt(roleTrustWidened(), 3600, roleOwned, nil, nil),
			want: seq("UpdateAssumeRolePolicy demo-deploy trust=true"),
		},
		"max session changed": {
			st:   roleSt(roleTrust(), 43200, roleOwned, nil, nil),
			want: seq("UpdateRole demo-deploy max=3600"),
		},
		"stack tag missing": {
			st:   roleSt(roleTrust(), 3600, nil, nil, nil),
			want: seq("TagRole demo-deploy awsboot:stack=demo"),
		},
		"extra policies": {
			inline: "demo-grant",
			st:     roleSt(roleTrust(), 3600, roleOwned, []string{admin}, []string{"demo-grant", "hand-made"}),
			want:   inOrder{{"DetachRolePolicy demo-deploy " + admin, "DeleteRolePolicy demo-deploy hand-made"}},
		},
		"every drift at once: the tag alone, then the rest together": {
			st: roleSt(roleTrustWidened(), 7200, map[string]string{engine.StackTag: "other"}, []string{admin}, []string{"hand-made"}),
			want: seq("TagRole demo-deploy awsboot:stack=demo").then([]string{
				"UpdateAssumeRolePolicy demo-deploy trust=true",
				"UpdateRole demo-deploy max=3600",
				"DetachRolePolicy demo-deploy " + admin,
				"DeleteRolePolicy demo-deploy hand-made",
			}),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := newTestRole(tc.inline)
			fake := &fakeRoleAPI{}
			r.api = fake
			assertRepairCalls(t, r, tc.st, &fake.calls, tc.want)
		})
	}
}

func TestIAMRoleCreateDeleteCalls(t *testing.T) {
	const readOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	tests := map[string]struct {
		op        string // "create" or "delete"
		reads     fakeRoleReads
		conflicts int
		st        roleState // what the plan read
		want      inOrder
	}{
		"create sets trust, session and tag in one call": {
			op:   "create",
			want: seq(`CreateRole demo-deploy awsboot:stack=demo max=3600 trust=true desc="awsboot demo: assumed by CI pipelines with OIDC tokens"`),
		},
		// The attachment and the inline grant are deleted before the
		// role by their own resources.
		"delete removes what the plan saw besides the grant, without reading again": {
			op:   "delete",
			st:   roleSt(roleTrust(), 3600, roleOwned, []string{readOnly}, []string{"hand-made"}),
			want: inOrder{{"DetachRolePolicy demo-deploy " + readOnly, "DeleteRolePolicy demo-deploy hand-made"}}.then([]string{"DeleteRole demo-deploy"}),
		},
		"delete meets something added since the plan: reads afresh and removes it all": {
			op: "delete",
			reads: fakeRoleReads{
				trust: url.QueryEscape(roleTrust().JSON()), maxSession: 3600, tags: roleOwned,
				attached: []string{roleTestPolicy, readOnly}, inline: []string{"demo-grant"},
			},
			conflicts: 1,
			st:        roleSt(roleTrust(), 3600, roleOwned, nil, nil),
			want: seq("DeleteRole demo-deploy", "GetRole demo-deploy").then(
				[]string{
					"DetachRolePolicy demo-deploy " + readOnly,
					"DetachRolePolicy demo-deploy " + roleTestPolicy,
					"DeleteRolePolicy demo-deploy demo-grant",
				},
				[]string{"DeleteRole demo-deploy"},
			),
		},
		"delete of a role already gone": {op: "delete", reads: fakeRoleReads{missing: true}, want: seq("DeleteRole demo-deploy")},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := newTestRole("")
			fake := &fakeRoleAPI{reads: tc.reads, conflicts: tc.conflicts}
			r.api = fake
			var err error
			if tc.op == "create" {
				err = r.Create(context.Background(), &engine.Observation{}, roleState{})
			} else {
				err = r.Delete(context.Background(), &engine.Observation{Exists: true}, tc.st)
			}
			if err != nil {
				t.Fatal(err)
			}
			assertCallBatches(t, tc.want, fake.calls)
		})
	}
}
