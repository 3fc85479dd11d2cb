// These tests use fakes of IAMAccessKey's narrow client interface
// (iamAccessKeyAPI), of its STS check (callerWithKey) and of its KeyStore,
// not stand-ins for IAM, STS or the credentials file: each fake answers
// only the calls a test expects and records the ones that change
// something; any other IAM call panics on the nil embedded interface. How
// IAM really behaves is covered by the integration tests against moto.

package awskinds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/engine"
)

const (
	// keyTestSecret is the secret in the store; no diff, error or
	// formatted state may ever show it.
	keyTestSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	// keyTestNewSecret is the secret of a key CreateAccessKey makes.
	keyTestNewSecret = "je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY"
	keyTestProfile   = "demo-cache"
	keyTestPath      = "/home/ci/.aws/credentials"
)

// keyTestNow is the fake clock; keyTestPending the pending tag a run
// wrote an hour earlier.
var (
	keyTestNow     = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
	keyTestPending = keyTestNow.Add(-time.Hour).Format(time.RFC3339)
)

// proven marks a stored key as proven (CredentialsProfile.MarkProven).
func proven(k StoredKey) StoredKey { k.Proven = true; return k }

// fakeKeyStore is an in-memory KeyStore.
type fakeKeyStore struct {
	stack   string // the marker Save writes
	key     StoredKey
	saveErr error
	saved   []string // "id secret-matches", one per Save
	proven  []string // ids, one per MarkProven
	removed bool
}

func (s *fakeKeyStore) Load() (StoredKey, error) { return s.key, nil }

func (s *fakeKeyStore) Save(id string, secret engine.Secret) error {
	if s.saveErr != nil {
		return s.saveErr
	}
	s.saved = append(s.saved, id+" "+secret.Reveal())
	s.key = StoredKey{Section: true, Owner: s.stack, ID: id, Secret: secret}
	return nil
}

func (s *fakeKeyStore) MarkProven(id string, secret engine.Secret) error {
	if s.key.ID == id && s.key.Secret.Reveal() == secret.Reveal() {
		s.key.Proven = true
	}
	s.proven = append(s.proven, id)
	return nil
}

func (s *fakeKeyStore) Remove() error {
	s.removed, s.key = true, StoredKey{}
	return nil
}

func (s *fakeKeyStore) Path() string    { return keyTestPath }
func (s *fakeKeyStore) Profile() string { return keyTestProfile }

// fakeKeyAPI is a fake of iamAccessKeyAPI.
type fakeKeyAPI struct {
	//lint:ignore U1000 embedded so that a call the test does not expect panics
	iamAccessKeyAPI
	iamCallLog
	user fakeUserReads
	keys []iamtypes.AccessKeyMetadata // what ListAccessKeys answers
}

func (f *fakeKeyAPI) GetUser(ctx context.Context, in *iam.GetUserInput, o ...func(*iam.Options)) (*iam.GetUserOutput, error) {
	return f.user.GetUser(ctx, in, o...)
}

func (f *fakeKeyAPI) ListUserTags(ctx context.Context, in *iam.ListUserTagsInput, o ...func(*iam.Options)) (*iam.ListUserTagsOutput, error) {
	return f.user.ListUserTags(ctx, in, o...)
}

func (f *fakeKeyAPI) ListAttachedUserPolicies(ctx context.Context, in *iam.ListAttachedUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error) {
	return f.user.ListAttachedUserPolicies(ctx, in, o...)
}

func (f *fakeKeyAPI) ListUserPolicies(ctx context.Context, in *iam.ListUserPoliciesInput, o ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error) {
	return f.user.ListUserPolicies(ctx, in, o...)
}

func (f *fakeKeyAPI) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	return &iam.ListAccessKeysOutput{AccessKeyMetadata: f.keys}, nil
}

func (f *fakeKeyAPI) CreateAccessKey(_ context.Context, in *iam.CreateAccessKeyInput, _ ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	f.add("CreateAccessKey %s", aws.ToString(in.UserName))
	return &iam.CreateAccessKeyOutput{AccessKey: &iamtypes.AccessKey{
		UserName: in.UserName, AccessKeyId: aws.String("AKIANEW"), SecretAccessKey: aws.String(keyTestNewSecret), Status: iamtypes.StatusTypeActive,
	}}, nil
}

func (f *fakeKeyAPI) DeleteAccessKey(_ context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	f.add("DeleteAccessKey %s %s", aws.ToString(in.UserName), aws.ToString(in.AccessKeyId))
	return &iam.DeleteAccessKeyOutput{}, nil
}

func (f *fakeKeyAPI) TagUser(_ context.Context, in *iam.TagUserInput, _ ...func(*iam.Options)) (*iam.TagUserOutput, error) {
	f.add("TagUser %s %s", aws.ToString(in.UserName), tagsText(in.Tags))
	return &iam.TagUserOutput{}, nil
}

func (f *fakeKeyAPI) UntagUser(_ context.Context, in *iam.UntagUserInput, _ ...func(*iam.Options)) (*iam.UntagUserOutput, error) {
	f.add("UntagUser %s %s", aws.ToString(in.UserName), strings.Join(in.TagKeys, ","))
	return &iam.UntagUserOutput{}, nil
}

// stsKey is what the fake STS knows of one key: its secret, and the ARN
// it answers (or the error) when the secret matches.
type stsKey struct {
	secret string
	arn    string
	err    error
}

// fakeCaller is callerWithKey answering from keys: an unknown id is
// InvalidClientTokenId, a wrong secret SignatureDoesNotMatch. Each call
// is recorded in log.
func fakeCaller(log *iamCallLog, keys map[string]stsKey) func(context.Context, string, engine.Secret) (string, error) {
	return func(_ context.Context, id string, secret engine.Secret) (string, error) {
		log.add("GetCallerIdentity %s", id)
		k, ok := keys[id]
		switch {
		case !ok:
			return "", &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
		case secret.Reveal() != k.secret:
			return "", &smithy.GenericAPIError{Code: "SignatureDoesNotMatch", Message: "The request signature we calculated does not match."}
		case k.err != nil:
			return "", k.err
		}
		return k.arn, nil
	}
}

func newTestKey(store *fakeKeyStore, adopt bool) *IAMAccessKey {
	if store.stack == "" {
		store.stack = "demo"
	}
	return NewIAMAccessKey(IAMAccessKeyConfig{
		Stack: "demo", User: userTestName, Store: store, Adopt: adopt,
		After: []engine.Address{"iam_user.semaphore"}, Clock: &fakeClock{now: keyTestNow},
	})
}

// storedKey is a profile section holding id and the test secret, with
// the given ownership marker.
func storedKey(owner, id string) StoredKey {
	return StoredKey{Section: true, Owner: owner, ID: id, Secret: engine.NewSecret(keyTestSecret)}
}

func keyMeta(id string, created time.Time, status iamtypes.StatusType) iamtypes.AccessKeyMetadata {
	return iamtypes.AccessKeyMetadata{AccessKeyId: aws.String(id), CreateDate: aws.Time(created), Status: status, UserName: aws.String(userTestName)}
}

// keyCreateDiffs are the diffs of a key about to be created, replacing
// the id the profile held (before).
func keyCreateDiffs(before string) []engine.FieldDiff {
	return []engine.FieldDiff{
		{Path: "access_key_id", Before: before, Unknown: true},
		{Path: "secret_access_key", Sensitive: true},
		{Path: "credentials_file", After: keyTestPath},
		{Path: "profile", After: keyTestProfile},
	}
}

// assertNoSecret fails when any diff, or the error, shows a secret.
func assertNoSecret(t *testing.T, diffs []engine.FieldDiff, err error) {
	t.Helper()
	for _, s := range []string{keyTestSecret, keyTestNewSecret} {
		for _, d := range diffs {
			if strings.Contains(fmt.Sprintf("%+v", d), s) {
				t.Errorf("diff %s shows the secret", d.Path)
			}
		}
		if err != nil && strings.Contains(err.Error(), s) {
			t.Errorf("error shows the secret: %v", err)
		}
	}
}

func TestIAMAccessKeyDiff(t *testing.T) {
	user := func(st keyState) keyState {
		st.userExists, st.userARN = true, userTestARN
		return st
	}
	tests := map[string]struct {
		adopt   bool
		st      keyState
		want    []engine.FieldDiff
		wantErr string
	}{
		"valid key": {st: user(keyState{file: storedKey("demo", "AKIA1"), valid: true})},
		"valid key, orphaned keys of an interrupted run": {
			st: user(keyState{file: storedKey("demo", "AKIA1"), valid: true, pending: keyTestPending, orphans: []string{"AKIA2"}}),
			want: []engine.FieldDiff{
				{Path: "orphaned_key", Before: "AKIA2"},
				{Path: "user_tags.awsboot:pending-access-key", Before: keyTestPending},
			},
		},
		"valid key, another key nobody holds: drift, deleted": {
			st:   user(keyState{file: storedKey("demo", "AKIA1"), valid: true, unknown: []string{"AKIA0"}}),
			want: []engine.FieldDiff{{Path: "unknown_key", Before: "AKIA0"}},
		},
		"valid key, pending tag left over": {
			st:   user(keyState{file: storedKey("demo", "AKIA1"), valid: true, pending: keyTestPending}),
			want: []engine.FieldDiff{{Path: "user_tags.awsboot:pending-access-key", Before: keyTestPending}},
		},
		"no key":          {st: user(keyState{}), want: keyCreateDiffs("")},
		"no user, no key": {st: keyState{}, want: keyCreateDiffs("")},
		"the profile's key is gone: replaced": {
			st: user(keyState{file: storedKey("demo", "AKIAOLD")}), want: keyCreateDiffs("AKIAOLD"),
		},
		"orphaned key and no valid one: both repaired": {
			st:   user(keyState{file: storedKey("demo", "AKIAOLD"), pending: keyTestPending, orphans: []string{"AKIA2"}}),
			want: append([]engine.FieldDiff{{Path: "orphaned_key", Before: "AKIA2"}}, keyCreateDiffs("AKIAOLD")...),
		},
		"one unknown key: a second is created, then that one deleted": {
			st:   user(keyState{file: storedKey("demo", "AKIAOLD"), unknown: []string{"AKIAX"}}),
			want: append([]engine.FieldDiff{{Path: pathUnknownKey, Before: "AKIAX"}}, keyCreateDiffs("AKIAOLD")...),
		},
		"two unknown keys": {
			st:      user(keyState{file: storedKey("demo", "AKIAOLD"), unknown: []string{"AKIAX", "AKIAY"}}),
			wantErr: "already has two access keys (AKIAX, AKIAY)",
		},
		"profile owned by another stack": {
			st:      user(keyState{file: storedKey("other", "AKIA1"), valid: true}),
			wantErr: `belongs to awsboot stack "other"`,
		},
		"profile owned by another stack, even with adopt": {
			adopt:   true,
			st:      user(keyState{file: storedKey("other", "AKIAOTHER")}),
			wantErr: `belongs to awsboot stack "other"`,
		},
		"profile not awsboot's, without adopt": {
			st:      user(keyState{file: storedKey("", "AKIAHAND")}),
			wantErr: "run again with --adopt",
		},
		"profile not awsboot's, valid key, without adopt": {
			st:      user(keyState{file: storedKey("", "AKIA1"), valid: true}),
			wantErr: "run again with --adopt",
		},
		"profile not awsboot's, adopted: its key replaced": {
			adopt: true,
			st:    user(keyState{file: storedKey("", "AKIAHAND")}),
			want:  keyCreateDiffs("AKIAHAND"),
		},
		"profile not awsboot's, adopted: its valid key marked": {
			adopt: true,
			st:    user(keyState{file: storedKey("", "AKIA1"), valid: true}),
			want:  []engine.FieldDiff{{Path: "marker", After: "demo"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			k := newTestKey(&fakeKeyStore{}, tc.adopt)
			got, err := k.Diff(&engine.Observation{DerivedOwnership: true}, tc.st)
			assertNoSecret(t, got, err)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Diff() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

// TestIAMAccessKeyRead reads through the fakes and diffs what it read.
func TestIAMAccessKeyRead(t *testing.T) {
	created := keyTestNow.Add(-30 * 24 * time.Hour)
	sts := func(arn string) map[string]stsKey {
		return map[string]stsKey{"AKIA1": {secret: keyTestSecret, arn: arn}}
	}
	owned := fakeUserReads{arn: userTestARN, tags: userOwned}
	pendingUser := fakeUserReads{arn: userTestARN, tags: map[string]string{engine.StackTag: "demo", "awsboot:pending-access-key": keyTestPending}}
	tests := map[string]struct {
		store       StoredKey
		user        fakeUserReads
		keys        []iamtypes.AccessKeyMetadata
		sts         map[string]stsKey
		wantObs     engine.Observation
		wantNote    bool
		wantValid   bool
		wantOrphans []string
		wantUnknown []string
		wantCalls   []string
		want        []engine.FieldDiff
		wantErr     string
	}{
		"valid key: no diff": {
			store: storedKey("demo", "AKIA1"), user: owned, sts: sts(userTestARN),
			keys:      []iamtypes.AccessKeyMetadata{keyMeta("AKIA1", created, iamtypes.StatusTypeActive)},
			wantObs:   engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantNote:  true, // 30 days old: the plan says so
			wantValid: true, wantCalls: []string{"GetCallerIdentity AKIA1"},
		},
		"a valid key an hour old: no note": {
			store: proven(storedKey("demo", "AKIA1")), user: owned,
			keys:      []iamtypes.AccessKeyMetadata{keyMeta("AKIA1", keyTestNow.Add(-time.Hour), iamtypes.StatusTypeActive)},
			wantObs:   engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantValid: true,
		},
		"a key the profile marks as proven: no STS call": {
			store: proven(storedKey("demo", "AKIA1")), user: owned,
			keys:      []iamtypes.AccessKeyMetadata{keyMeta("AKIA1", created, iamtypes.StatusTypeActive)},
			wantObs:   engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantNote:  true, // 30 days old: the plan says so
			wantValid: true,
		},
		"a proven key made inactive in IAM: not valid": {
			store: proven(storedKey("demo", "AKIA1")), user: owned,
			keys:     []iamtypes.AccessKeyMetadata{keyMeta("AKIA1", created, iamtypes.StatusTypeInactive)},
			wantObs:  engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantNote: true, wantUnknown: []string{"AKIA1"},
			want: []engine.FieldDiff{
				{Path: pathUnknownKey, Before: "AKIA1"},
				{Path: pathAccessKeyID, Before: "AKIA1", Unknown: true},
				{Path: pathSecretAccessKey, Sensitive: true},
				{Path: pathCredentialsFile, After: keyTestPath},
				{Path: pathProfile, After: keyTestProfile},
			},
		},
		"a proven key deleted from IAM: a new one": {
			store: proven(storedKey("demo", "AKIA1")), user: owned,
			wantObs: engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			want: []engine.FieldDiff{
				{Path: pathAccessKeyID, Before: "AKIA1", Unknown: true},
				{Path: pathSecretAccessKey, Sensitive: true},
				{Path: pathCredentialsFile, After: keyTestPath},
				{Path: pathProfile, After: keyTestProfile},
			},
		},
		"the profile's key belongs to someone else": {
			store: storedKey("demo", "AKIA1"), user: owned, sts: sts("arn:aws:iam::123456789012:user/someone-else"),
			keys:     []iamtypes.AccessKeyMetadata{keyMeta("AKIA1", created, iamtypes.StatusTypeActive)},
			wantObs:  engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantNote: true, wantUnknown: []string{"AKIA1"}, wantCalls: []string{"GetCallerIdentity AKIA1"},
			want: append([]engine.FieldDiff{{Path: pathUnknownKey, Before: "AKIA1"}}, keyCreateDiffs("AKIA1")...),
		},
		"the profile holds a wrong secret": {
			store: storedKey("demo", "AKIA1"), user: owned, sts: map[string]stsKey{"AKIA1": {secret: "another", arn: userTestARN}},
			keys:     []iamtypes.AccessKeyMetadata{keyMeta("AKIA1", created, iamtypes.StatusTypeActive)},
			wantObs:  engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantNote: true, wantUnknown: []string{"AKIA1"}, wantCalls: []string{"GetCallerIdentity AKIA1"},
			want: append([]engine.FieldDiff{{Path: pathUnknownKey, Before: "AKIA1"}}, keyCreateDiffs("AKIA1")...),
		},
		// STS is asked at once, beside the listing, and its answer
		// counts only for an active key of the user.
		"inactive key: STS's answer ignored": {
			store: storedKey("demo", "AKIA1"), user: owned, sts: sts(userTestARN),
			keys:     []iamtypes.AccessKeyMetadata{keyMeta("AKIA1", created, iamtypes.StatusTypeInactive)},
			wantObs:  engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantNote: true, wantUnknown: []string{"AKIA1"}, wantCalls: []string{"GetCallerIdentity AKIA1"},
			want: append([]engine.FieldDiff{{Path: pathUnknownKey, Before: "AKIA1"}}, keyCreateDiffs("AKIA1")...),
		},
		"STS fails otherwise: an error": {
			store: storedKey("demo", "AKIA1"), user: owned,
			sts:       map[string]stsKey{"AKIA1": {secret: keyTestSecret, err: errors.New("connection refused")}},
			keys:      []iamtypes.AccessKeyMetadata{keyMeta("AKIA1", created, iamtypes.StatusTypeActive)},
			wantCalls: []string{"GetCallerIdentity AKIA1"},
			wantErr:   "checking the access key in profile",
		},
		"valid key and an orphan of an interrupted run": {
			store: storedKey("demo", "AKIA1"), user: pendingUser, sts: sts(userTestARN),
			keys: []iamtypes.AccessKeyMetadata{
				keyMeta("AKIA2", keyTestNow.Add(-59*time.Minute), iamtypes.StatusTypeActive),
				keyMeta("AKIA1", created, iamtypes.StatusTypeActive),
			},
			wantObs:   engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantNote:  true, // 30 days old: the plan says so
			wantValid: true, wantOrphans: []string{"AKIA2"}, wantCalls: []string{"GetCallerIdentity AKIA1"},
			want: []engine.FieldDiff{
				{Path: "orphaned_key", Before: "AKIA2"},
				{Path: "user_tags.awsboot:pending-access-key", Before: keyTestPending},
			},
		},
		"a key a little older than the pending tag is still an orphan (clock skew)": {
			user:        pendingUser,
			keys:        []iamtypes.AccessKeyMetadata{keyMeta("AKIA2", keyTestNow.Add(-63*time.Minute), iamtypes.StatusTypeActive)},
			wantObs:     engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantOrphans: []string{"AKIA2"},
			want:        append([]engine.FieldDiff{{Path: "orphaned_key", Before: "AKIA2"}}, keyCreateDiffs("")...),
		},
		"a key older than the pending run is not an orphan": {
			user:     pendingUser,
			keys:     []iamtypes.AccessKeyMetadata{keyMeta("AKIA2", created, iamtypes.StatusTypeActive)},
			wantObs:  engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantNote: true, wantUnknown: []string{"AKIA2"},
			want: append([]engine.FieldDiff{{Path: pathUnknownKey, Before: "AKIA2"}}, keyCreateDiffs("")...),
		},
		"two unknown keys": {
			user: owned,
			keys: []iamtypes.AccessKeyMetadata{
				keyMeta("AKIAY", created, iamtypes.StatusTypeActive), keyMeta("AKIAX", created, iamtypes.StatusTypeActive),
			},
			wantObs:     engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantUnknown: []string{"AKIAX", "AKIAY"},
			wantErr:     "already has two access keys (AKIAX, AKIAY)",
		},
		"no user yet, profile written by this stack": {
			store: storedKey("demo", "AKIA1"), user: fakeUserReads{missing: true},
			wantObs:   engine.Observation{Exists: true, Owner: "demo", DerivedOwnership: true},
			wantCalls: []string{"GetCallerIdentity AKIA1"},
			want:      keyCreateDiffs("AKIA1"),
		},
		"nothing yet": {
			user:    fakeUserReads{missing: true},
			wantObs: engine.Observation{DerivedOwnership: true},
			want:    keyCreateDiffs(""),
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			k := newTestKey(&fakeKeyStore{key: tc.store}, false)
			fake := &fakeKeyAPI{user: tc.user, keys: tc.keys}
			k.api = fake
			var stsLog iamCallLog
			k.callerWithKey = fakeCaller(&stsLog, tc.sts)
			o, st, err := k.Read(context.Background())
			if d := cmp.Diff(tc.wantCalls, stsLog.calls); d != "" {
				t.Errorf("STS calls (-want +got):\n%s", d)
			}
			if len(fake.calls) != 0 {
				t.Errorf("Read made changing calls: %v", fake.calls)
			}
			assertNoSecret(t, nil, err)
			if err != nil {
				if tc.wantErr == "" || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Read() error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if o.Exists != tc.wantObs.Exists || o.Owner != tc.wantObs.Owner || o.DerivedOwnership != tc.wantObs.DerivedOwnership || (len(o.Notes) > 0) != tc.wantNote {
				t.Errorf("Read() = %+v, want %+v (note %v)", *o, tc.wantObs, tc.wantNote)
			}
			if st.valid != tc.wantValid {
				t.Errorf("valid = %v, want %v", st.valid, tc.wantValid)
			}
			if d := cmp.Diff(tc.wantOrphans, st.orphans); d != "" {
				t.Errorf("orphans (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantUnknown, st.unknown); d != "" {
				t.Errorf("unknown keys (-want +got):\n%s", d)
			}
			got, err := k.Diff(o, st)
			assertNoSecret(t, got, err)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Diff() error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff() mismatch (-want +got):\n%s", d)
			}
		})
	}
}

func TestIAMAccessKeyCalls(t *testing.T) {
	// The calls of a key created from scratch: the user is marked, the key
	// made and saved, STS proves it works, the mark is cleared.
	// Once the secret is saved, the proof and the pending tag's clearing
	// go together.
	createCalls := seq(
		"TagUser semaphore awsboot:pending-access-key=2025-03-04T05:06:07Z",
		"CreateAccessKey semaphore",
	).then([]string{"GetCallerIdentity AKIANEW", "UntagUser semaphore awsboot:pending-access-key"})
	tests := map[string]struct {
		op        string // "create", "update" or "delete"
		adopt     bool
		st        keyState
		saveErr   error
		want      inOrder
		wantSaved []string
		wantErr   string
		// userCreatedPending: the user is created with the pending tag.
		userCreatedPending bool
	}{
		"no key: created, saved, proved": {
			op: "create", st: keyState{userExists: true, userARN: userTestARN},
			want: createCalls, wantSaved: []string{"AKIANEW " + keyTestNewSecret},
		},
		"a user this run creates, with the pending tag: no TagUser": {
			op: "create", st: keyState{}, userCreatedPending: true,
			want:      seq("CreateAccessKey semaphore").then([]string{"GetCallerIdentity AKIANEW", "UntagUser semaphore awsboot:pending-access-key"}),
			wantSaved: []string{"AKIANEW " + keyTestNewSecret},
		},
		"a user this run creates, without it: marked first": {
			op: "create", st: keyState{},
			want: createCalls, wantSaved: []string{"AKIANEW " + keyTestNewSecret},
		},
		"valid key: no call": {
			op: "update", st: keyState{file: storedKey("demo", "AKIA1"), valid: true},
		},
		"orphans deleted, pending tag cleared, valid key kept": {
			op: "update", st: keyState{file: storedKey("demo", "AKIA1"), valid: true, pending: keyTestPending, orphans: []string{"AKIA2", "AKIA3"}},
			want: inOrder{{"DeleteAccessKey semaphore AKIA2", "DeleteAccessKey semaphore AKIA3"}}.then([]string{"UntagUser semaphore awsboot:pending-access-key"}),
		},
		"valid key and a key nobody holds: that one deleted": {
			op: "update", st: keyState{file: storedKey("demo", "AKIA1"), valid: true, unknown: []string{"AKIA0"}},
			want: seq("DeleteAccessKey semaphore AKIA0"),
		},
		"one unknown key and none valid: a second created, then that one deleted": {
			op: "create", st: keyState{userExists: true, userARN: userTestARN, unknown: []string{"AKIA0"}},
			want: createCalls.then([]string{"DeleteAccessKey semaphore AKIA0"}), wantSaved: []string{"AKIANEW " + keyTestNewSecret},
		},
		"pending tag left over: cleared": {
			op: "update", st: keyState{file: storedKey("demo", "AKIA1"), valid: true, pending: keyTestPending},
			want: seq("UntagUser semaphore awsboot:pending-access-key"),
		},
		"orphan deleted and a new key created": {
			op: "update", st: keyState{file: storedKey("demo", "AKIAOLD"), pending: keyTestPending, orphans: []string{"AKIA2"}},
			// The orphan goes before the pending tag is rewritten: a
			// run stopped in between still sees it as an orphan.
			want:      append(seq("DeleteAccessKey semaphore AKIA2"), createCalls...),
			wantSaved: []string{"AKIANEW " + keyTestNewSecret},
		},
		"adopted profile with a valid key: only the marker is written": {
			op: "update", adopt: true, st: keyState{file: storedKey("", "AKIA1"), valid: true},
			wantSaved: []string{"AKIA1 " + keyTestSecret},
		},
		"the store refuses the secret: the new key is deleted": {
			op: "create", st: keyState{userExists: true, userARN: userTestARN}, saveErr: errors.New("read-only file system"),
			want: seq(
				"TagUser semaphore awsboot:pending-access-key=2025-03-04T05:06:07Z",
				"CreateAccessKey semaphore",
				"DeleteAccessKey semaphore AKIANEW",
			),
			wantErr: "read-only file system",
		},
		"delete: every key, then the profile": {
			op: "delete",
			st: keyState{file: storedKey("demo", "AKIA1"), keys: []iamtypes.AccessKeyMetadata{
				keyMeta("AKIA1", keyTestNow, iamtypes.StatusTypeActive), keyMeta("AKIA2", keyTestNow, iamtypes.StatusTypeInactive),
			}},
			want: inOrder{{"DeleteAccessKey semaphore AKIA1", "DeleteAccessKey semaphore AKIA2"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			store := &fakeKeyStore{key: tc.st.file, saveErr: tc.saveErr}
			k := newTestKey(store, tc.adopt)
			k.cfg.UserCreatedPending = tc.userCreatedPending
			fake := &fakeKeyAPI{user: fakeUserReads{arn: userTestARN, tags: userOwned}}
			k.api = fake
			k.callerWithKey = fakeCaller(&fake.iamCallLog, map[string]stsKey{"AKIANEW": {secret: keyTestNewSecret, arn: userTestARN}})
			ctx, o := context.Background(), &engine.Observation{Exists: tc.op != "create", DerivedOwnership: true}
			var err error
			switch tc.op {
			case "create":
				err = k.Create(ctx, o, tc.st)
			case "update":
				var diffs []engine.FieldDiff
				if diffs, err = k.Diff(o, tc.st); err == nil {
					err = k.Update(ctx, o, tc.st, diffs)
				}
			case "delete":
				err = k.Delete(ctx, o, tc.st)
			}
			assertNoSecret(t, nil, err)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error = %v, want one containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			assertCallBatches(t, tc.want, fake.calls)
			if d := cmp.Diff(tc.wantSaved, store.saved); d != "" {
				t.Errorf("saved (-want +got):\n%s", d)
			}
			// A key saved and proven is marked so, once.
			if len(tc.wantSaved) > 0 && tc.wantErr == "" && (!store.key.Proven || len(store.proven) != 1) {
				t.Errorf("the new key was not marked proven once: %v", store.proven)
			}
			if store.removed != (tc.op == "delete") {
				t.Errorf("profile removed = %v", store.removed)
			}
		})
	}
}

// TestIAMAccessKeySecretNeverFormatted formats the key's state and the
// stored key with every fmt verb a log or error might use.
func TestIAMAccessKeySecretNeverFormatted(t *testing.T) {
	stored := storedKey("demo", "AKIA1")
	st := keyState{userExists: true, userARN: userTestARN, file: stored, valid: true,
		keys: []iamtypes.AccessKeyMetadata{keyMeta("AKIA1", keyTestNow, iamtypes.StatusTypeActive)}}
	// The observation the engine keeps carries the typed state with it.
	k := newTestKey(&fakeKeyStore{key: stored}, false)
	k.api = &fakeKeyAPI{user: fakeUserReads{arn: userTestARN, tags: userOwned}, keys: st.keys}
	k.callerWithKey = fakeCaller(&iamCallLog{}, map[string]stsKey{"AKIA1": {secret: keyTestSecret, arn: userTestARN}})
	obs, err := engine.Typed[keyState](k).Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// keyState and the Observation reach the Secret through unexported
	// fields, where fmt cannot call its Format and prints by reflection:
	// the Secret keeps its value behind a pointer for that case.
	tests := map[string]struct{ v any }{
		"StoredKey":  {v: stored},
		"*StoredKey": {v: &stored},
		"keyState":   {v: st},
		"*keyState":  {v: &st},
		// What engine.Typed(key).Read returns.
		"*engine.Observation": {v: obs},
	}
	for name, tc := range tests {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
			t.Run(name+" "+verb, func(t *testing.T) {
				if out := fmt.Sprintf(verb, tc.v); strings.Contains(out, keyTestSecret) {
					t.Errorf("fmt %s of %s shows the secret: %s", verb, name, out)
				}
			})
		}
	}
}

// progressLine is one line a running change reported, at a fake time.
type progressLine struct {
	at  time.Time
	msg string
}

// progressRecorder is an engine.ProgressHook that stamps each line with
// the fake clock's time.
type progressRecorder struct {
	engine.NopHook
	clock *fakeClock
	mu    sync.Mutex
	lines []progressLine
}

func (r *progressRecorder) Progress(_ engine.Address, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, progressLine{at: r.clock.Now(), msg: msg})
}

// slowKeyCaller is an STS that refuses the new key until the fake clock
// reaches worksAt, then names the user; it records when it was asked,
// and calls onCall (if set) first.
type slowKeyCaller struct {
	clock   *fakeClock
	worksAt time.Time
	onCall  func(now time.Time)
	mu      sync.Mutex
	asked   []time.Time
}

func (s *slowKeyCaller) call(_ context.Context, id string, secret engine.Secret) (string, error) {
	now := s.clock.Now()
	s.mu.Lock()
	s.asked = append(s.asked, now)
	s.mu.Unlock()
	if s.onCall != nil {
		s.onCall(now)
	}
	if id != "AKIANEW" || secret.Reveal() != keyTestNewSecret || now.Before(s.worksAt) {
		return "", &smithy.GenericAPIError{Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
	}
	return userTestARN, nil
}

// TestIAMAccessKeyWaitsWithoutOvershoot bootstraps a key through the
// engine that STS refuses for about 30 s of simulated time: the wait
// reports progress at least every 5 s, says what it waits for (the key's
// id, never its secret), and notices the key within 0.5 s of its working,
// at a modest request rate. The key starts working at 30 s and at times
// off the wait's 5 s rhythm.
func TestIAMAccessKeyWaitsWithoutOvershoot(t *testing.T) {
	for _, worksAfter := range []time.Duration{30 * time.Second, 30*time.Second + 300*time.Millisecond, 32*time.Second + 900*time.Millisecond} {
		t.Run(worksAfter.String(), func(t *testing.T) {
			clock := &fakeClock{now: keyTestNow}
			store := &fakeKeyStore{stack: "demo"}
			k := newTestKey(store, false)
			k.cfg.Clock, k.After = clock, nil // the key alone in the graph
			fake := &fakeKeyAPI{user: fakeUserReads{arn: userTestARN, tags: userOwned}}
			k.api = fake
			sts := &slowKeyCaller{clock: clock, worksAt: keyTestNow.Add(worksAfter)}
			k.callerWithKey = sts.call
			g, err := engine.NewGraph(engine.Typed[keyState](k))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			p, err := engine.MakePlan(ctx, g, engine.ModeApply, "demo", engine.PlanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			hook := &progressRecorder{clock: clock}
			if err := (engine.Executor{Hook: hook}).Apply(ctx, p); err != nil {
				t.Fatal(err)
			}

			accepted := sts.asked[len(sts.asked)-1]
			if late := accepted.Sub(sts.worksAt); late < 0 || late > 500*time.Millisecond {
				t.Errorf("the key was found working %s after it started to work, want at most 500ms", late)
			}
			// Two checks a second at most, after the first quick ones.
			if n, most := len(sts.asked), 2*int(worksAfter/time.Second)+5; n > most {
				t.Errorf("STS was asked %d times, want at most %d", n, most)
			}
			if len(hook.lines) == 0 {
				t.Fatal("no progress reported")
			}
			last := keyTestNow
			for i, l := range append(hook.lines, progressLine{at: accepted, msg: "(the key works)"}) {
				if gap := l.at.Sub(last); gap > 5*time.Second {
					t.Errorf("%s without progress before %q", gap, l.msg)
				}
				last = l.at
				if i == len(hook.lines) {
					break
				}
				if !strings.Contains(l.msg, "waiting for access key AKIANEW of user \"semaphore\" to become usable") || strings.Contains(l.msg, keyTestNewSecret) {
					t.Errorf("progress line %q", l.msg)
				}
				if elapsed := l.at.Sub(keyTestNow).Round(time.Second); i > 0 && !strings.HasSuffix(l.msg, ": "+elapsed.String()+" elapsed") {
					t.Errorf("progress line %q at %s", l.msg, elapsed)
				}
			}
			if d := cmp.Diff([]string{"AKIANEW " + keyTestNewSecret}, store.saved); d != "" {
				t.Errorf("saved (-want +got):\n%s", d)
			}
			if got := fake.calls[len(fake.calls)-1]; got != "UntagUser semaphore awsboot:pending-access-key" {
				t.Errorf("last call %q, want the pending tag cleared", got)
			}
		})
	}
}

// TestIAMAccessKeyWaitCancelled interrupts the wait (Ctrl-C) 7 s into it:
// Create returns at once with ctx's error, the key's secret is in the
// store (so the pending tag was cleared beside the wait: the key is no
// orphan), and the next run proves the saved key: while STS still does
// not know it, the run waits for it; once STS accepts it, there is no
// change at all. No key is lost or made twice.
func TestIAMAccessKeyWaitCancelled(t *testing.T) {
	clock := &fakeClock{now: keyTestNow}
	store := &fakeKeyStore{stack: "demo"}
	k := newTestKey(store, false)
	k.cfg.Clock = clock
	fake := &fakeKeyAPI{user: fakeUserReads{arn: userTestARN, tags: userOwned}}
	k.api = fake
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var cancelledAt time.Time
	sts := &slowKeyCaller{clock: clock, worksAt: keyTestNow.Add(time.Hour), onCall: func(now time.Time) {
		if cancelledAt.IsZero() && !now.Before(keyTestNow.Add(7*time.Second)) {
			cancelledAt = now
			cancel()
		}
	}}
	k.callerWithKey = sts.call

	err := k.Create(ctx, &engine.Observation{DerivedOwnership: true}, keyState{userExists: true, userARN: userTestARN})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Create() = %v, want context.Canceled", err)
	}
	assertNoSecret(t, nil, err)
	if !strings.Contains(err.Error(), "AKIANEW") || !strings.Contains(err.Error(), keyTestProfile) {
		t.Errorf("error %q should name the key and the profile it is saved in", err)
	}
	if last := sts.asked[len(sts.asked)-1]; !last.Equal(cancelledAt) || !clock.Now().Equal(cancelledAt) {
		t.Errorf("the wait went on after the cancel at %s: last check %s, clock %s", cancelledAt, last, clock.Now())
	}
	assertCallBatches(t, seq("TagUser semaphore awsboot:pending-access-key=2025-03-04T05:06:07Z", "CreateAccessKey semaphore", "UntagUser semaphore awsboot:pending-access-key"), fake.calls)
	if store.key.ID != "AKIANEW" || store.key.Secret.Reveal() != keyTestNewSecret || store.key.Owner != "demo" {
		t.Fatalf("store holds %+v, want the new key", store.key)
	}

	// The next run, while STS does not know the key yet: it waits for
	// the key, and creates none.
	rerun := newTestKey(store, false)
	rerunAPI := &fakeKeyAPI{
		user: fakeUserReads{arn: userTestARN, tags: userOwned},
		keys: []iamtypes.AccessKeyMetadata{keyMeta("AKIANEW", keyTestNow, iamtypes.StatusTypeActive)},
	}
	rerun.api = rerunAPI
	accepted := map[string]stsKey{}
	rerun.callerWithKey = fakeCaller(&rerunAPI.iamCallLog, accepted)
	o, st, err := rerun.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	diffs, err := rerun.Diff(o, st)
	if err != nil {
		t.Fatal(err)
	}
	if len(diffs) != 1 || diffs[0].Path != pathKeyAccepted {
		t.Fatalf("rerun diff = %+v, want only the wait for STS", diffs)
	}
	accepted["AKIANEW"] = stsKey{secret: keyTestNewSecret, arn: userTestARN} // STS learns the key
	rerunAPI.calls = nil
	if err := rerun.Update(context.Background(), o, st, diffs); err != nil {
		t.Fatal(err)
	}
	assertCallBatches(t, seq("GetCallerIdentity AKIANEW"), rerunAPI.calls)

	// Once STS accepts it, the key is simply valid.
	o, st, err = rerun.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diffs, err := rerun.Diff(o, st); err != nil || len(diffs) != 0 {
		t.Errorf("after the proof: diffs %+v, err %v; want none", diffs, err)
	}
}

// TestRealClockSleepStopsOnCancel: a cancelled sleep returns at once with
// ctx's error (were it to wait the hour, the test would time out).
func TestRealClockSleepStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := (realClock{}).Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep() = %v, want context.Canceled", err)
	}
}
