// These tests use a fake of IAMPolicy's narrow client interface
// (iamPolicyAPI), not a stand-in for IAM: the fake embeds the interface,
// answers only the calls a test expects and records the ones that change
// something; any other call panics on the nil embedded interface. How IAM
// really behaves is covered by the integration tests against moto.

package awskinds

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/engine"
)

const (
	policyTestName = "demo-cache"
	policyTestARN  = "arn:aws:iam::123456789012:policy/demo-cache"
)

// fakePolicyAPI is a fake of iamPolicyAPI.
type fakePolicyAPI struct {
	//lint:ignore U1000 embedded so that a call the test does not expect panics
	iamPolicyAPI
	iamCallLog
	// What GetPolicy, ListPolicyTags and GetPolicyVersion answer.
	missing        bool
	defaultVersion string
	tags           map[string]string
	document       string // as IAM returns it (URL-encoded)
	// What ListPolicyVersions and ListEntitiesForPolicy answer.
	versions []iamtypes.PolicyVersion
	entities *iam.ListEntitiesForPolicyOutput
	// getOmitsTags makes GetPolicy answer without tags (see
	// fakeUserReads).
	getOmitsTags bool
}

func (f *fakePolicyAPI) GetPolicy(_ context.Context, in *iam.GetPolicyInput, _ ...func(*iam.Options)) (*iam.GetPolicyOutput, error) {
	if f.missing {
		return nil, noSuchEntity()
	}
	p := &iamtypes.Policy{Arn: in.PolicyArn, DefaultVersionId: aws.String(f.defaultVersion)}
	if !f.getOmitsTags {
		p.Tags = iamTags(f.tags)
	}
	return &iam.GetPolicyOutput{Policy: p}, nil
}

func (f *fakePolicyAPI) ListPolicyTags(context.Context, *iam.ListPolicyTagsInput, ...func(*iam.Options)) (*iam.ListPolicyTagsOutput, error) {
	if len(f.tags) > 0 && !f.getOmitsTags {
		return nil, errUnneededTagListing
	}
	return &iam.ListPolicyTagsOutput{Tags: iamTags(f.tags)}, nil
}

func (f *fakePolicyAPI) GetPolicyVersion(_ context.Context, in *iam.GetPolicyVersionInput, _ ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error) {
	if aws.ToString(in.VersionId) != f.defaultVersion {
		return nil, noSuchEntity()
	}
	return &iam.GetPolicyVersionOutput{PolicyVersion: &iamtypes.PolicyVersion{VersionId: in.VersionId, Document: aws.String(f.document), IsDefaultVersion: true}}, nil
}

func (f *fakePolicyAPI) ListPolicyVersions(context.Context, *iam.ListPolicyVersionsInput, ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error) {
	return &iam.ListPolicyVersionsOutput{Versions: f.versions}, nil
}

func (f *fakePolicyAPI) ListEntitiesForPolicy(context.Context, *iam.ListEntitiesForPolicyInput, ...func(*iam.Options)) (*iam.ListEntitiesForPolicyOutput, error) {
	if f.entities == nil {
		return nil, noSuchEntity()
	}
	return f.entities, nil
}

func (f *fakePolicyAPI) CreatePolicy(_ context.Context, in *iam.CreatePolicyInput, _ ...func(*iam.Options)) (*iam.CreatePolicyOutput, error) {
	f.add("CreatePolicy %s %s document=%v", aws.ToString(in.PolicyName), tagsText(in.Tags), aws.ToString(in.PolicyDocument) == iamGrantDoc().JSON())
	return &iam.CreatePolicyOutput{}, nil
}

func (f *fakePolicyAPI) TagPolicy(_ context.Context, in *iam.TagPolicyInput, _ ...func(*iam.Options)) (*iam.TagPolicyOutput, error) {
	f.add("TagPolicy %s %s", aws.ToString(in.PolicyArn), tagsText(in.Tags))
	return &iam.TagPolicyOutput{}, nil
}

func (f *fakePolicyAPI) CreatePolicyVersion(_ context.Context, in *iam.CreatePolicyVersionInput, _ ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error) {
	f.add("CreatePolicyVersion %s default=%v document=%v", aws.ToString(in.PolicyArn), in.SetAsDefault, aws.ToString(in.PolicyDocument) == iamGrantDoc().JSON())
	return &iam.CreatePolicyVersionOutput{}, nil
}

func (f *fakePolicyAPI) DeletePolicyVersion(_ context.Context, in *iam.DeletePolicyVersionInput, _ ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error) {
	f.add("DeletePolicyVersion %s", aws.ToString(in.VersionId))
	return &iam.DeletePolicyVersionOutput{}, nil
}

// DeletePolicy answers as IAM does: NoSuchEntity for a policy that is
// gone, DeleteConflict for one still attached or with other versions,
// that is, until some detach or version delete was made (the fake does
// not track each).
func (f *fakePolicyAPI) DeletePolicy(_ context.Context, in *iam.DeletePolicyInput, _ ...func(*iam.Options)) (*iam.DeletePolicyOutput, error) {
	cleared := slices.ContainsFunc(f.calls, func(c string) bool {
		return strings.HasPrefix(c, "Detach") || strings.HasPrefix(c, "DeletePolicyVersion")
	})
	f.add("DeletePolicy %s", aws.ToString(in.PolicyArn))
	switch {
	case f.entities == nil && f.versions == nil:
		return nil, noSuchEntity()
	case !cleared && (len(f.entities.PolicyUsers)+len(f.entities.PolicyRoles)+len(f.entities.PolicyGroups) > 0 || len(f.versions) > 1):
		return nil, &iamtypes.DeleteConflictException{Message: aws.String("Cannot delete a policy attached to entities.")}
	}
	return &iam.DeletePolicyOutput{}, nil
}

func (f *fakePolicyAPI) DetachUserPolicy(_ context.Context, in *iam.DetachUserPolicyInput, _ ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error) {
	f.add("DetachUserPolicy %s", aws.ToString(in.UserName))
	return &iam.DetachUserPolicyOutput{}, nil
}

func (f *fakePolicyAPI) DetachRolePolicy(_ context.Context, in *iam.DetachRolePolicyInput, _ ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error) {
	f.add("DetachRolePolicy %s", aws.ToString(in.RoleName))
	return &iam.DetachRolePolicyOutput{}, nil
}

func (f *fakePolicyAPI) DetachGroupPolicy(_ context.Context, in *iam.DetachGroupPolicyInput, _ ...func(*iam.Options)) (*iam.DetachGroupPolicyOutput, error) {
	f.add("DetachGroupPolicy %s", aws.ToString(in.GroupName))
	return &iam.DetachGroupPolicyOutput{}, nil
}

func newTestPolicy() *IAMPolicy {
	return NewIAMPolicy(IAMPolicyConfig{Stack: "demo", Name: policyTestName, ARN: policyTestARN, Description: "awsboot demo", Document: iamGrantDoc()})
}

// policySt is a policy's state as Read gives it.
func policySt(doc policies.Document, tags map[string]string) policyState {
	return policyState{doc: doc, defaultVersion: "v1", tags: tags}
}

// policyVersion is a version created days after a fixed date.
func policyVersion(id string, days int, isDefault bool) iamtypes.PolicyVersion {
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)
	return iamtypes.PolicyVersion{VersionId: aws.String(id), CreateDate: &created, IsDefaultVersion: isDefault}
}

func TestIAMPolicyDiff(t *testing.T) {
	owned := map[string]string{engine.StackTag: "demo"}
	tests := map[string]struct {
		exists bool
		st     policyState
		want   []engine.FieldDiff
	}{
		"create": {
			want: []engine.FieldDiff{
				{Path: "name", After: policyTestName},
				{Path: "arn", After: policyTestARN},
				{Path: "document", After: iamGrantDoc().JSON()},
				{Path: "tags.awsboot:stack", After: "demo"},
			},
		},
		"up to date": {exists: true, st: policySt(iamGrantDoc(), owned)},
		"equivalent document in another order: none": {exists: true, st: policySt(mustParseDoc(t, iamGrantReordered), owned)},
		"document changed": {
			exists: true, st: policySt(iamGrantWidened(), owned),
			want: []engine.FieldDiff{{Path: "document", Before: iamGrantWidened().JSON(), After: iamGrantDoc().JSON()}},
		},
		"stack tag missing": {
			exists: true, st: policySt(iamGrantDoc(), map[string]string{}),
			want: []engine.FieldDiff{{Path: "tags.awsboot:stack", After: "demo"}},
		},
		"document changed and stack tag missing": {
			exists: true, st: policySt(iamGrantWidened(), map[string]string{}),
			want: []engine.FieldDiff{
				{Path: "document", Before: iamGrantWidened().JSON(), After: iamGrantDoc().JSON()},
				{Path: "tags.awsboot:stack", After: "demo"},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := newTestPolicy().Diff(&engine.Observation{Exists: tc.exists}, tc.st)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestIAMPolicyRead reads through the fake and diffs what it read: a
// document IAM returns URL-encoded and reordered is no change.
func TestIAMPolicyRead(t *testing.T) {
	tests := map[string]struct {
		fake      fakePolicyAPI
		wantOwner string
		exists    bool
		want      []engine.FieldDiff
	}{
		"missing": {
			fake: fakePolicyAPI{missing: true},
			want: []engine.FieldDiff{
				{Path: "name", After: policyTestName},
				{Path: "arn", After: policyTestARN},
				{Path: "document", After: iamGrantDoc().JSON()},
				{Path: "tags.awsboot:stack", After: "demo"},
			},
		},
		"URL-encoded, reordered document of the default version": {
			fake:   fakePolicyAPI{defaultVersion: "v3", tags: map[string]string{engine.StackTag: "demo"}, document: url.QueryEscape(iamGrantReordered)},
			exists: true, wantOwner: "demo",
		},
		"a service that leaves the tags out of GetPolicy: listed": {
			fake:   fakePolicyAPI{defaultVersion: "v1", tags: map[string]string{engine.StackTag: "demo"}, document: url.QueryEscape(iamGrantDoc().JSON()), getOmitsTags: true},
			exists: true, wantOwner: "demo",
		},
		"changed document": {
			fake:   fakePolicyAPI{defaultVersion: "v2", tags: map[string]string{engine.StackTag: "demo"}, document: url.QueryEscape(iamGrantWidened().JSON())},
			exists: true, wantOwner: "demo",
			want: []engine.FieldDiff{{Path: "document", Before: iamGrantWidened().JSON(), After: iamGrantDoc().JSON()}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestPolicy()
			p.api = &tc.fake
			o, st, err := p.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if o.Exists != tc.exists || o.Owner != tc.wantOwner {
				t.Errorf("Read() = exists %v owner %q, want %v %q", o.Exists, o.Owner, tc.exists, tc.wantOwner)
			}
			got, err := p.Diff(o, st)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff() mismatch (-want +got):\n%s", d)
			}
			if len(tc.fake.calls) != 0 {
				t.Errorf("Read made changing calls: %v", tc.fake.calls)
			}
		})
	}
}

func TestIAMPolicyUpdateCalls(t *testing.T) {
	owned := map[string]string{engine.StackTag: "demo"}
	newVersion := "CreatePolicyVersion " + policyTestARN + " default=true document=true"
	tests := map[string]struct {
		st       policyState
		versions []iamtypes.PolicyVersion
		want     inOrder
	}{
		"up to date: no call":                  {st: policySt(iamGrantDoc(), owned)},
		"equivalent document in another order": {st: policySt(mustParseDoc(t, iamGrantReordered), owned)},
		"stack tag missing": {
			st:   policySt(iamGrantDoc(), map[string]string{}),
			want: seq("TagPolicy " + policyTestARN + " awsboot:stack=demo"),
		},
		"document changed: a new default version": {
			st:       policySt(iamGrantWidened(), owned),
			versions: []iamtypes.PolicyVersion{policyVersion("v1", 1, false), policyVersion("v2", 2, true)},
			want:     seq(newVersion),
		},
		"document changed with four old versions: the oldest goes first": {
			st: policySt(iamGrantWidened(), owned),
			versions: []iamtypes.PolicyVersion{
				policyVersion("v3", 3, false), policyVersion("v5", 5, true), policyVersion("v1", 1, false),
				policyVersion("v4", 4, false), policyVersion("v2", 2, false),
			},
			want: seq("DeletePolicyVersion v1", newVersion),
		},
		// The tag goes beside the listing of versions, before the new
		// version.
		"document changed and stack tag missing": {
			st:       policySt(iamGrantWidened(), nil),
			versions: []iamtypes.PolicyVersion{policyVersion("v1", 1, true)},
			want:     seq("TagPolicy "+policyTestARN+" awsboot:stack=demo", newVersion),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestPolicy()
			fake := &fakePolicyAPI{versions: tc.versions}
			p.api = fake
			assertRepairCalls(t, p, tc.st, &fake.calls, tc.want)
		})
	}
}

func TestIAMPolicyCreateDeleteCalls(t *testing.T) {
	tests := map[string]struct {
		op   string // "create" or "delete"
		lone bool   // what teardown's plan saw
		fake fakePolicyAPI
		want inOrder
	}{
		"create tags the policy in the same call": {
			op:   "create",
			want: seq("CreatePolicy demo-cache awsboot:stack=demo document=true"),
		},
		"delete detaches from everyone and deletes old versions first": {
			op: "delete",
			fake: fakePolicyAPI{
				entities: &iam.ListEntitiesForPolicyOutput{
					PolicyUsers:  []iamtypes.PolicyUser{{UserName: aws.String("semaphore")}},
					PolicyRoles:  []iamtypes.PolicyRole{{RoleName: aws.String("demo-deploy")}},
					PolicyGroups: []iamtypes.PolicyGroup{{GroupName: aws.String("ops")}},
				},
				versions: []iamtypes.PolicyVersion{policyVersion("v2", 2, true), policyVersion("v1", 1, false)},
			},
			want: inOrder{{
				"DetachUserPolicy semaphore",
				"DetachRolePolicy demo-deploy",
				"DetachGroupPolicy ops",
				"DeletePolicyVersion v1",
			}}.then([]string{"DeletePolicy " + policyTestARN}),
		},
		"delete of a lone policy: one call": {
			op: "delete", lone: true,
			fake: fakePolicyAPI{entities: &iam.ListEntitiesForPolicyOutput{}, versions: []iamtypes.PolicyVersion{policyVersion("v1", 1, true)}},
			want: seq("DeletePolicy " + policyTestARN),
		},
		"a lone policy attached since the plan: refused, then the full way": {
			op: "delete", lone: true,
			fake: fakePolicyAPI{
				entities: &iam.ListEntitiesForPolicyOutput{PolicyUsers: []iamtypes.PolicyUser{{UserName: aws.String("intruder")}}},
				versions: []iamtypes.PolicyVersion{policyVersion("v1", 1, true)},
			},
			want: seq("DeletePolicy "+policyTestARN, "DetachUserPolicy intruder", "DeletePolicy "+policyTestARN),
		},
		"delete of a policy already gone": {op: "delete"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestPolicy()
			fake := &tc.fake
			p.api = fake
			var err error
			if tc.op == "create" {
				err = p.Create(context.Background(), &engine.Observation{}, policyState{})
			} else {
				err = p.Delete(context.Background(), &engine.Observation{Exists: true}, policyState{lone: tc.lone})
			}
			if err != nil {
				t.Fatal(err)
			}
			assertCallBatches(t, tc.want, fake.calls)
		})
	}
}
