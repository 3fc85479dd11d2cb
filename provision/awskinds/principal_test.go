// These tests read users and roles through readUser and readRole with
// fakes of their read calls: where the tags come from, and which error
// wins when the requests that now go together fail.

package awskinds

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/engine"
)

// failingUserReads is fakeUserReads with chosen calls failing.
type failingUserReads struct {
	fakeUserReads
	getErr, attachedErr, inlineErr error
}

func (f *failingUserReads) GetUser(ctx context.Context, in *iam.GetUserInput, o ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	if f.getErr != nil {
		return nil, f.getErr
	}
	return f.fakeUserReads.GetUser(ctx, in, o...)
}

func (f *failingUserReads) ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	if f.attachedErr != nil {
		return nil, f.attachedErr
	}
	return f.fakeUserReads.ListAttachedUserPolicies(ctx, in, o...)
}

func (f *failingUserReads) ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	if f.inlineErr != nil {
		return nil, f.inlineErr
	}
	return f.fakeUserReads.ListUserPolicies(ctx, in, o...)
}

func TestReadUser(t *testing.T) {
	refused := errors.New("AccessDenied (fake)")
	tests := map[string]struct {
		reads    failingUserReads
		want     *userState // nil: the user does not exist
		wantErrs []string   // each must be in the error
		notInErr string
	}{
		// fakeUserReads fails ListUserTags when GetUser answered the
		// tags, as a reader that still lists them would.
		"tags from GetUser, no tag listing": {
			reads: failingUserReads{fakeUserReads: fakeUserReads{arn: userTestARN, tags: userOwned, attached: []string{userTestPolicy, userTestAdmin}, inline: []string{"b", "a"}}},
			want:  &userState{arn: userTestARN, permissions: permissions{tags: userOwned, extra: []string{userTestAdmin}, inline: []string{"a", "b"}, attached: true}},
		},
		"a service that leaves tags out of GetUser: they are listed": {
			reads: failingUserReads{fakeUserReads: fakeUserReads{arn: userTestARN, tags: userOwned, getOmitsTags: true}},
			want:  &userState{arn: userTestARN, permissions: permissions{tags: userOwned}},
		},
		"an untagged user": {
			reads: failingUserReads{fakeUserReads: fakeUserReads{arn: userTestARN}},
			want:  &userState{arn: userTestARN, permissions: permissions{tags: map[string]string{}}},
		},
		"missing: the listings' NoSuchEntity is no error": {
			reads: failingUserReads{fakeUserReads: fakeUserReads{missing: true}},
		},
		"missing, whatever the listings answer": {
			reads: failingUserReads{fakeUserReads: fakeUserReads{missing: true}, attachedErr: refused, inlineErr: refused},
		},
		"GetUser fails: its error alone": {
			reads:    failingUserReads{fakeUserReads: fakeUserReads{arn: userTestARN}, getErr: refused, attachedErr: errors.New("listing failed too")},
			wantErrs: []string{`reading user "semaphore": AccessDenied (fake)`},
			notInErr: "listing failed too",
		},
		"both listings fail: both are told": {
			reads:    failingUserReads{fakeUserReads: fakeUserReads{arn: userTestARN}, attachedErr: refused, inlineErr: refused},
			wantErrs: []string{`reading policies of user "semaphore"`, `reading inline policies of user "semaphore"`},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := readUser(context.Background(), &tc.reads, false, userTestName, userTestPolicy)
			if len(tc.wantErrs) > 0 {
				for _, w := range tc.wantErrs {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("error = %v, want one containing %q", err, w)
					}
				}
				if err != nil && tc.notInErr != "" && strings.Contains(err.Error(), tc.notInErr) {
					t.Errorf("error = %v, should not mention %q", err, tc.notInErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got, cmp.AllowUnexported(userState{}, permissions{})); d != "" {
				t.Errorf("readUser() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestReadRoleTags(t *testing.T) {
	for name, omit := range map[string]bool{"from GetRole": false, "listed when GetRole leaves them out": true} {
		t.Run(name, func(t *testing.T) {
			reads := &fakeRoleReads{trust: url.QueryEscape(roleTrust().JSON()), maxSession: 3600, tags: roleOwned, getOmitsTags: omit}
			st, err := readRole(context.Background(), reads, false, roleTestName, roleTestPolicy)
			if err != nil {
				t.Fatal(err)
			}
			if st == nil || st.tags[engine.StackTag] != "demo" || st.maxSession != 3600 {
				t.Errorf("readRole() = %+v", st)
			}
		})
	}
	st, err := readRole(context.Background(), &fakeRoleReads{missing: true}, false, roleTestName, roleTestPolicy)
	if err != nil || st != nil {
		t.Errorf("readRole() of a missing role = %v, %v", st, err)
	}
}

// TestReadUserOnceAPlan: within a plan the user is read once, however
// many resources ask, and its requests go together.
func TestReadUserOnceAPlan(t *testing.T) {
	reads := &countingUserReads{fakeUserReads: fakeUserReads{arn: userTestARN, tags: userOwned}}
	ctx := engine.WithReadCache(context.Background())
	concurrently(
		func() { _, _ = readUser(ctx, reads, false, userTestName, "") },
		func() { _, _ = readUser(ctx, reads, false, userTestName, userTestPolicy) },
	)
	if d := cmp.Diff(map[string]int{"GetUser": 1, "ListAttachedUserPolicies": 1, "ListUserPolicies": 1}, reads.counts); d != "" {
		t.Errorf("requests (-want +got):\n%s", d)
	}
}

// countingUserReads counts the reads of a user.
type countingUserReads struct {
	fakeUserReads
	counts map[string]int
}

func (c *countingUserReads) count(op string) {
	callLogMu.Lock()
	defer callLogMu.Unlock()
	if c.counts == nil {
		c.counts = map[string]int{}
	}
	c.counts[op]++
}

func (c *countingUserReads) GetUser(ctx context.Context, in *iam.GetUserInput, o ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	c.count("GetUser")
	return c.fakeUserReads.GetUser(ctx, in, o...)
}

func (c *countingUserReads) ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, o ...func(*iam.Options)) (*iam.ListUserTagsOutput, error) {
	c.count("ListUserTags")
	return c.fakeUserReads.ListUserTags(ctx, in, o...)
}

func (c *countingUserReads) ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	c.count("ListAttachedUserPolicies")
	return c.fakeUserReads.ListAttachedUserPolicies(ctx, in, o...)
}

func (c *countingUserReads) ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	c.count("ListUserPolicies")
	return c.fakeUserReads.ListUserPolicies(ctx, in, o...)
}
