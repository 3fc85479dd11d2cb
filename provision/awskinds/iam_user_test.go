// These tests use fakes of IAMUser's narrow client interface (iamUserAPI),
// not stand-ins for IAM: a fake embeds the interface, answers only the
// calls a test expects and records the ones that change something; any
// other call panics on the nil embedded interface. How IAM really behaves
// is covered by the integration tests against moto.
//
// This file also holds the helpers the other IAM kinds' tests share
// (iamCallLog, fakeUserReads, the policy documents).

package awskinds

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/engine"
)

// iamCallLog records the calls a fake receives that change something, each
// as the operation's name followed by the arguments that matter. Kinds
// send independent calls at once, so adding is safe from several
// goroutines (callLogMu: a mutex in the log would make the fakes, which
// tests copy, uncopyable).
type iamCallLog struct{ calls []string }

var callLogMu sync.Mutex

func (l *iamCallLog) add(format string, args ...any) {
	callLogMu.Lock()
	defer callLogMu.Unlock()
	l.calls = append(l.calls, fmt.Sprintf(format, args...))
}

// errUnneededTagListing is what the fakes' tag listings answer when the
// Get call already answered the tags, as IAM's does: a kind that asks
// anyway fails its test.
var errUnneededTagListing = errors.New("fake: tags listed although the Get call answered them")

// fakeUserReads answers the reads of one user (userReadAPI).
type fakeUserReads struct {
	missing  bool
	arn      string
	tags     map[string]string
	attached []string // managed policy ARNs
	inline   []string
	// getOmitsTags makes GetUser answer without tags, as some
	// S3-compatible services' IAM may: only ListUserTags has them.
	getOmitsTags bool
}

func (f *fakeUserReads) GetUser(_ context.Context, in *iam.GetUserInput, _ ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	if f.missing {
		return nil, noSuchEntity()
	}
	u := &iamtypes.User{UserName: in.UserName, Arn: aws.String(f.arn)}
	if !f.getOmitsTags {
		u.Tags = iamTags(f.tags)
	}
	return &iam.GetUserOutput{User: u}, nil
}

func (f *fakeUserReads) ListUserTags(context.Context, *iam.ListUserTagsInput, ...func(*iam.Options)) (*iam.ListUserTagsOutput, error) {
	if f.missing {
		return nil, noSuchEntity()
	}
	if len(f.tags) > 0 && !f.getOmitsTags {
		return nil, errUnneededTagListing
	}
	return &iam.ListUserTagsOutput{Tags: iamTags(f.tags)}, nil
}

func (f *fakeUserReads) ListAttachedUserPolicies(context.Context, *iam.ListAttachedUserPoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	if f.missing {
		return nil, noSuchEntity()
	}
	return &iam.ListAttachedUserPoliciesOutput{AttachedPolicies: attachedPolicies(f.attached)}, nil
}

func (f *fakeUserReads) ListUserPolicies(context.Context, *iam.ListUserPoliciesInput, ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	if f.missing {
		return nil, noSuchEntity()
	}
	return &iam.ListUserPoliciesOutput{PolicyNames: f.inline}, nil
}

// iamTags turns a map into IAM tags, sorted by key.
func iamTags(m map[string]string) []iamtypes.Tag {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]iamtypes.Tag, 0, len(keys))
	for _, k := range keys {
		out = append(out, tag(k, m[k]))
	}
	return out
}

// tagsText shows tags as "k=v,k2=v2" in a call log.
func tagsText(tags []iamtypes.Tag) string {
	var s []string
	for _, t := range tags {
		s = append(s, aws.ToString(t.Key)+"="+aws.ToString(t.Value))
	}
	return strings.Join(s, ",")
}

func attachedPolicies(arns []string) []iamtypes.AttachedPolicy {
	var out []iamtypes.AttachedPolicy
	for _, a := range arns {
		out = append(out, iamtypes.AttachedPolicy{PolicyArn: aws.String(a)})
	}
	return out
}

func noSuchEntity() error {
	return &iamtypes.NoSuchEntityException{Message: aws.String("not found (fake)")}
}

// iamGrantDoc is the grant the policy tests want.
func iamGrantDoc() policies.Document {
	return policies.Document{Version: policies.Version, Statement: []policies.Statement{
		{Sid: "Objects", Effect: "Allow", Action: policies.StringList{"s3:GetObject", "s3:PutObject"}, Resource: policies.StringList{"arn:aws:s3:::demo-cache/*"}},
		{Sid: "List", Effect: "Allow", Action: policies.StringList{"s3:ListBucket"}, Resource: policies.StringList{"arn:aws:s3:::demo-cache"}},
	}}
}

// iamGrantReordered is iamGrantDoc as another tool would write it:
// statements and actions in another order, an action in another case,
// single values as plain strings.
const iamGrantReordered = `{"Version":"2012-10-17","Statement":[
  {"Sid":"List","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::demo-cache"},
  {"Sid":"Objects","Effect":"Allow","Action":["S3:PutObject","s3:GetObject"],"Resource":["arn:aws:s3:::demo-cache/*"]}]}`

// iamGrantWidened is iamGrantDoc with a permission added by hand.
func iamGrantWidened() policies.Document {
	d := iamGrantDoc()
	d.Statement[0].Action = append(d.Statement[0].Action, "s3:DeleteObject")
	return d
}

func mustParseDoc(t *testing.T, s string) policies.Document {
	t.Helper()
	d, err := policies.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

const (
	userTestStack  = "demo"
	userTestName   = "semaphore"
	userTestARN    = "arn:aws:iam::123456789012:user/semaphore"
	userTestPolicy = "arn:aws:iam::123456789012:policy/demo-cache"
	userTestAdmin  = "arn:aws:iam::aws:policy/AdministratorAccess"
)

// fakeUserAPI is a fake of iamUserAPI. Besides the changing calls it logs
// GetUser and ListAccessKeys, to show when Delete reads the user again.
type fakeUserAPI struct {
	//lint:ignore U1000 embedded so that a call the test does not expect panics
	iamUserAPI
	iamCallLog
	reads fakeUserReads
	keys  []string
	// conflicts is how many DeleteUser calls answer DeleteConflict.
	conflicts int
}

func (f *fakeUserAPI) GetUser(ctx context.Context, in *iam.GetUserInput, o ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	f.add("GetUser %s", aws.ToString(in.UserName))
	return f.reads.GetUser(ctx, in, o...)
}

func (f *fakeUserAPI) ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, o ...func(*iam.Options)) (*iam.ListUserTagsOutput, error) {
	return f.reads.ListUserTags(ctx, in, o...)
}

func (f *fakeUserAPI) ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	return f.reads.ListAttachedUserPolicies(ctx, in, o...)
}

func (f *fakeUserAPI) ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	return f.reads.ListUserPolicies(ctx, in, o...)
}

func (f *fakeUserAPI) ListAccessKeys(_ context.Context, in *iam.ListAccessKeysInput, _ ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	f.add("ListAccessKeys %s", aws.ToString(in.UserName))
	out := &iam.ListAccessKeysOutput{}
	for _, id := range f.keys {
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, iamtypes.AccessKeyMetadata{AccessKeyId: aws.String(id)})
	}
	return out, nil
}

func (f *fakeUserAPI) CreateUser(_ context.Context, in *iam.CreateUserInput, _ ...func(*iam.Options)) (*iam.CreateUserOutput, error) {
	f.add("CreateUser %s %s", aws.ToString(in.UserName), tagsText(in.Tags))
	return &iam.CreateUserOutput{}, nil
}

func (f *fakeUserAPI) TagUser(_ context.Context, in *iam.TagUserInput, _ ...func(*iam.Options)) (*iam.TagUserOutput, error) {
	f.add("TagUser %s %s", aws.ToString(in.UserName), tagsText(in.Tags))
	return &iam.TagUserOutput{}, nil
}

func (f *fakeUserAPI) DetachUserPolicy(_ context.Context, in *iam.DetachUserPolicyInput, _ ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error) {
	f.add("DetachUserPolicy %s %s", aws.ToString(in.UserName), aws.ToString(in.PolicyArn))
	return &iam.DetachUserPolicyOutput{}, nil
}

func (f *fakeUserAPI) DeleteUserPolicy(_ context.Context, in *iam.DeleteUserPolicyInput, _ ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error) {
	f.add("DeleteUserPolicy %s %s", aws.ToString(in.UserName), aws.ToString(in.PolicyName))
	return &iam.DeleteUserPolicyOutput{}, nil
}

func (f *fakeUserAPI) DeleteAccessKey(_ context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	f.add("DeleteAccessKey %s %s", aws.ToString(in.UserName), aws.ToString(in.AccessKeyId))
	return &iam.DeleteAccessKeyOutput{}, nil
}

func (f *fakeUserAPI) DeleteUser(_ context.Context, in *iam.DeleteUserInput, _ ...func(*iam.Options)) (*iam.DeleteUserOutput, error) {
	f.add("DeleteUser %s", aws.ToString(in.UserName))
	switch {
	case f.reads.missing:
		return nil, noSuchEntity()
	case f.conflicts > 0:
		f.conflicts--
		return nil, &iamtypes.DeleteConflictException{Message: aws.String("Cannot delete entity, must delete policies first. (fake)")}
	}
	return &iam.DeleteUserOutput{}, nil
}

// userSt is a user's state as Read gives it: the stack's policy attached,
// tags, other managed policies and inline policies as given.
func userSt(tags map[string]string, extra, inline []string) userState {
	return userState{arn: userTestARN, permissions: permissions{tags: tags, extra: extra, inline: inline, attached: true}}
}

func newTestUser(inline string) *IAMUser {
	return NewIAMUser(IAMUserConfig{Stack: userTestStack, Name: userTestName, PolicyARN: userTestPolicy, InlinePolicy: inline})
}

var userOwned = map[string]string{engine.StackTag: userTestStack}

func TestIAMUserDiff(t *testing.T) {
	tests := map[string]struct {
		inline string // the stack's inline grant, "" when it is managed
		exists bool
		st     userState
		want   []engine.FieldDiff
	}{
		"create": {
			want: []engine.FieldDiff{{Path: "name", After: userTestName}, {Path: "tags.awsboot:stack", After: userTestStack}},
		},
		"up to date": {exists: true, st: userSt(userOwned, nil, nil)},
		"up to date, other tags are not drift": {
			exists: true, st: userSt(map[string]string{engine.StackTag: userTestStack, "team": "ci"}, nil, nil),
		},
		"stack tag missing": {
			exists: true, st: userSt(map[string]string{}, nil, nil),
			want: []engine.FieldDiff{{Path: "tags.awsboot:stack", After: userTestStack}},
		},
		"stack tag names another stack": {
			exists: true, st: userSt(map[string]string{engine.StackTag: "other"}, nil, nil),
			want: []engine.FieldDiff{{Path: "tags.awsboot:stack", Before: "other", After: userTestStack}},
		},
		"extra managed policy": {
			exists: true, st: userSt(userOwned, []string{userTestAdmin}, nil),
			want: []engine.FieldDiff{{Path: "other_managed_policies", Before: userTestAdmin}},
		},
		"foreign inline policy": {
			exists: true, st: userSt(userOwned, nil, []string{"hand-made"}),
			want: []engine.FieldDiff{{Path: "inline_policies", Before: "hand-made"}},
		},
		"the stack's own inline policy is not drift": {
			inline: "demo-grant", exists: true, st: userSt(userOwned, nil, []string{"demo-grant"}),
		},
		"foreign inline policy beside the stack's own": {
			inline: "demo-grant", exists: true, st: userSt(userOwned, nil, []string{"demo-grant", "hand-made"}),
			want: []engine.FieldDiff{{Path: "inline_policies", Before: "hand-made"}},
		},
		"with a managed grant, an inline policy of the grant's name is drift": {
			exists: true, st: userSt(userOwned, nil, []string{"demo-grant"}),
			want: []engine.FieldDiff{{Path: "inline_policies", Before: "demo-grant"}},
		},
		"every drift at once": {
			exists: true, st: userSt(map[string]string{}, []string{userTestAdmin, "arn:aws:iam::aws:policy/IAMFullAccess"}, []string{"a", "b"}),
			want: []engine.FieldDiff{
				{Path: "tags.awsboot:stack", After: userTestStack},
				{Path: "other_managed_policies", Before: userTestAdmin},
				{Path: "other_managed_policies", Before: "arn:aws:iam::aws:policy/IAMFullAccess"},
				{Path: "inline_policies", Before: "a"},
				{Path: "inline_policies", Before: "b"},
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := newTestUser(tc.inline).Diff(&engine.Observation{Exists: tc.exists}, tc.st)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestIAMUserRead(t *testing.T) {
	tests := map[string]struct {
		reads     fakeUserReads
		wantObs   engine.Observation
		wantExtra []string
		wantAttch bool
	}{
		"missing": {reads: fakeUserReads{missing: true}},
		"the stack's policy is attached, not extra": {
			reads:     fakeUserReads{arn: userTestARN, tags: userOwned, attached: []string{userTestPolicy, userTestAdmin}},
			wantObs:   engine.Observation{Exists: true, Owner: userTestStack},
			wantExtra: []string{userTestAdmin}, wantAttch: true,
		},
		"untagged user": {
			reads:   fakeUserReads{arn: userTestARN},
			wantObs: engine.Observation{Exists: true},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u := newTestUser("")
			u.api = &fakeUserAPI{reads: tc.reads}
			o, st, err := u.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if o.Exists != tc.wantObs.Exists || o.Owner != tc.wantObs.Owner || o.DerivedOwnership {
				t.Errorf("Read() observation = %+v, want %+v", *o, tc.wantObs)
			}
			if d := cmp.Diff(tc.wantExtra, st.extra); d != "" {
				t.Errorf("extra policies (-want +got):\n%s", d)
			}
			if st.attached != tc.wantAttch {
				t.Errorf("attached = %v, want %v", st.attached, tc.wantAttch)
			}
		})
	}
}

func TestIAMUserUpdateCalls(t *testing.T) {
	tests := map[string]struct {
		inline string
		st     userState
		want   inOrder
	}{
		"up to date: no call": {st: userSt(userOwned, nil, nil)},
		"stack tag missing": {
			st:   userSt(map[string]string{}, nil, nil),
			want: seq("TagUser semaphore awsboot:stack=demo"),
		},
		"extra managed policy": {
			st:   userSt(userOwned, []string{userTestAdmin}, nil),
			want: seq("DetachUserPolicy semaphore " + userTestAdmin),
		},
		"foreign inline policy deleted, the stack's own kept": {
			inline: "demo-grant", st: userSt(userOwned, nil, []string{"demo-grant", "hand-made"}),
			want: seq("DeleteUserPolicy semaphore hand-made"),
		},
		"every drift at once: the tag alone, then the policies together": {
			st: userSt(map[string]string{engine.StackTag: "other"}, []string{userTestAdmin}, []string{"hand-made"}),
			want: seq("TagUser semaphore awsboot:stack=demo").then(
				[]string{"DetachUserPolicy semaphore " + userTestAdmin, "DeleteUserPolicy semaphore hand-made"},
			),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u := newTestUser(tc.inline)
			fake := &fakeUserAPI{}
			u.api = fake
			assertRepairCalls(t, u, tc.st, &fake.calls, tc.want)
		})
	}
}

func TestIAMUserCreateDeleteCalls(t *testing.T) {
	tests := map[string]struct {
		op      string // "create" or "delete"
		fake    fakeUserAPI
		st      userState // what the plan read
		want    inOrder
		wantErr string
	}{
		"create tags the user in the same call": {
			op:   "create",
			want: seq("CreateUser semaphore awsboot:stack=demo"),
		},
		// The key, the attachment and the inline grant are deleted
		// before the user by their own resources.
		"delete removes what the plan saw besides the grant, without reading again": {
			op:   "delete",
			fake: fakeUserAPI{reads: fakeUserReads{arn: userTestARN, tags: userOwned}},
			st:   userSt(userOwned, []string{userTestAdmin}, []string{"hand-made"}),
			want: inOrder{{"DetachUserPolicy semaphore " + userTestAdmin, "DeleteUserPolicy semaphore hand-made"}}.then(
				[]string{"DeleteUser semaphore"},
			),
		},
		"delete meets something added since the plan: reads afresh and removes it all": {
			op: "delete",
			fake: fakeUserAPI{
				reads:     fakeUserReads{arn: userTestARN, tags: userOwned, attached: []string{userTestAdmin, userTestPolicy}, inline: []string{"hand-made"}},
				keys:      []string{"AKIA1", "AKIA2"},
				conflicts: 1,
			},
			st: userSt(userOwned, nil, nil),
			want: seq("DeleteUser semaphore").then(
				[]string{"GetUser semaphore", "ListAccessKeys semaphore"},
				[]string{
					"DeleteAccessKey semaphore AKIA1",
					"DeleteAccessKey semaphore AKIA2",
					"DetachUserPolicy semaphore " + userTestAdmin,
					"DetachUserPolicy semaphore " + userTestPolicy,
					"DeleteUserPolicy semaphore hand-made",
				},
				[]string{"DeleteUser semaphore"},
			),
		},
		"delete refused twice: what awsboot does not remove is named": {
			op:      "delete",
			fake:    fakeUserAPI{reads: fakeUserReads{arn: userTestARN, tags: userOwned}, conflicts: 2},
			st:      userSt(userOwned, nil, nil),
			want:    seq("DeleteUser semaphore").then([]string{"GetUser semaphore", "ListAccessKeys semaphore"}, []string{"DeleteUser semaphore"}),
			wantErr: "a console password, MFA device",
		},
		"delete of a user already gone": {
			op:   "delete",
			fake: fakeUserAPI{reads: fakeUserReads{missing: true}},
			want: seq("DeleteUser semaphore"),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u := newTestUser("")
			fake := &tc.fake
			u.api = fake
			var err error
			if tc.op == "create" {
				err = u.Create(context.Background(), &engine.Observation{}, userState{})
			} else {
				err = u.Delete(context.Background(), &engine.Observation{Exists: true}, tc.st)
			}
			if tc.wantErr == "" && err != nil {
				t.Fatal(err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("error = %v, want one containing %q", err, tc.wantErr)
			}
			assertCallBatches(t, tc.want, fake.calls)
		})
	}
}
