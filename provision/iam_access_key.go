package provision

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// pendingKeyTag marks, on the user, that a run is creating an access key
// and when it started. A key's secret exists only in CreateAccessKey's
// answer; if the run dies before the secret reaches the credentials file
// the key is useless, and this tag lets the next run recognise that key
// as its own orphan and delete it instead of leaving it behind.
const pendingKeyTag = "awsboot:pending-access-key"

// orphanSlack absorbs clock skew between this machine, which writes the
// pending tag's time, and IAM, which stamps the key's CreateDate.
const orphanSlack = 5 * time.Minute

// IAMAccessKey is the user's access key together with the profile in the
// shared credentials file that holds it: the secret is shown by IAM once
// and is written straight to that file, nowhere else.
type IAMAccessKey struct {
	c        *Clients
	stack    string
	user     string
	profile  string
	path     string
	adopt    bool
	deps     []Address
	userAddr Address
	// KeyWait bounds how long Create waits for IAM to accept a new key.
	KeyWait time.Duration
	now     func() time.Time
}

// NewIAMAccessKey returns the key resource for an access entry.
func NewIAMAccessKey(c *Clients, s *Spec, a Access, files AWSFiles, adopt bool, deps ...Address) *IAMAccessKey {
	return &IAMAccessKey{
		c: c, stack: s.Stack, user: a.User, profile: a.Write.AWSProfile, path: files.Credentials,
		adopt: adopt, deps: deps, userAddr: Addr("iam_user", a.User), KeyWait: 2 * time.Minute, now: time.Now,
	}
}

type keyState struct {
	userExists bool
	userARN    string
	pending    string // value of the pending tag, "" if none
	keys       []iamtypes.AccessKeyMetadata
	fileID     string   // key id in the profile
	fileSecret string   // never printed, never in a diff
	valid      bool     // the file's key is this user's, active, and works
	section    bool     // the profile section exists
	marker     string   // stack named by the section's marker
	orphans    []string // keys from an interrupted run
	unknown    []string // keys of the user whose secret is not here
}

// Addr implements Resource.
func (k *IAMAccessKey) Addr() Address { return Addr("iam_access_key", k.user) }

// DependsOn implements Resource.
func (k *IAMAccessKey) DependsOn() []Address { return k.deps }

// Describe names the key in messages.
func (k *IAMAccessKey) Describe() string {
	return fmt.Sprintf("access key of IAM user %q (profile %q in %s)", k.user, k.profile, k.path)
}

// Read implements Resource.
func (k *IAMAccessKey) Read(ctx context.Context) (*Observation, error) {
	st := keyState{}
	f, err := readINI(k.path)
	if err != nil {
		return nil, err
	}
	st.section = f.HasSection(k.profile)
	if st.section {
		st.marker = sectionOwner(f, k.profile)
		st.fileID, _ = f.Get(k.profile, "aws_access_key_id")
		st.fileSecret, _ = f.Get(k.profile, "aws_secret_access_key")
	}
	user, err := readUser(ctx, k.c, k.user, "")
	if err != nil {
		return nil, err
	}
	owner := st.marker
	if user != nil {
		st.userExists, st.userARN, st.pending = true, user.arn, user.tags[pendingKeyTag]
		owner = user.tags[StackTag]
		out, err := k.c.IAM.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(k.user)})
		if err != nil {
			return nil, fmt.Errorf("listing access keys of user %q: %w", k.user, err)
		}
		st.keys = out.AccessKeyMetadata
		sort.Slice(st.keys, func(i, j int) bool {
			return aws.ToString(st.keys[i].AccessKeyId) < aws.ToString(st.keys[j].AccessKeyId)
		})
	}
	for _, key := range st.keys {
		id := aws.ToString(key.AccessKeyId)
		if id == st.fileID && key.Status == iamtypes.StatusTypeActive && st.fileSecret != "" {
			st.valid, err = k.keyWorks(ctx, id, st.fileSecret, st.userARN)
			if err != nil {
				return nil, err
			}
			if st.valid {
				continue
			}
		}
		if k.isOrphan(st.pending, key) {
			st.orphans = append(st.orphans, id)
		} else {
			st.unknown = append(st.unknown, id)
		}
	}
	exists := len(st.keys) > 0 || st.section && st.marker != ""
	o := &Observation{Exists: exists, Owner: owner, DerivedOwnership: true, Data: st}
	if !st.valid && len(st.unknown) == 1 {
		o.Notes = append(o.Notes, fmt.Sprintf("user %q already has access key %s whose secret is not in %s; it is left alone and a second key is created", k.user, st.unknown[0], k.path))
	}
	return o, nil
}

// isOrphan reports whether key was made by a run that died before saving
// its secret: the user still carries the pending tag and the key is no
// older than that run.
func (k *IAMAccessKey) isOrphan(pending string, key iamtypes.AccessKeyMetadata) bool {
	if pending == "" {
		return false
	}
	started, err := time.Parse(time.RFC3339, pending)
	if err != nil {
		return false
	}
	return !aws.ToTime(key.CreateDate).Before(started.Add(-orphanSlack))
}

// keyWorks asks STS who the key is: proof that the secret in the file
// matches and the key belongs to this user.
func (k *IAMAccessKey) keyWorks(ctx context.Context, id, secret, userARN string) (bool, error) {
	out, err := k.c.STSWithKey(id, secret).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		code := errorCode(err)
		if code == "InvalidClientTokenId" || code == "SignatureDoesNotMatch" || code == "AccessDenied" {
			return false, nil
		}
		return false, fmt.Errorf("checking the access key in profile %q: %w", k.profile, err)
	}
	return aws.ToString(out.Arn) == userARN, nil
}

// Diff implements Resource. The secret never enters a diff: it shows as
// (sensitive value).
func (k *IAMAccessKey) Diff(o *Observation) ([]FieldDiff, error) {
	st := o.Data.(keyState)
	if st.section && st.marker != k.stack {
		if st.marker != "" {
			return nil, fmt.Errorf("profile %q in %s belongs to awsboot stack %q; choose another write.aws_profile", k.profile, k.path, st.marker)
		}
		if !k.adopt {
			return nil, fmt.Errorf("profile %q already exists in %s and was not written by awsboot; "+
				"choose another write.aws_profile, or run again with --adopt to replace its credentials (the file is backed up first)", k.profile, k.path)
		}
	}
	var d []FieldDiff
	for _, id := range st.orphans {
		d = append(d, FieldDiff{Path: "orphaned_key", Before: id})
	}
	if st.valid {
		d = diffField(d, "marker", st.marker, k.stack)
		if st.pending != "" {
			d = append(d, FieldDiff{Path: "user_tags." + pendingKeyTag, Before: st.pending})
		}
		return d, nil
	}
	if len(st.unknown) >= 2 {
		return nil, fmt.Errorf("IAM user %q already has two access keys (%s) and %s holds neither in profile %q, so awsboot cannot create a key (IAM allows two per user). "+
			"Either put one of them (id and secret) into that profile, or delete the one you no longer use with "+
			"`aws iam delete-access-key --user-name %s --access-key-id <id>`, then run again",
			k.user, strings.Join(st.unknown, ", "), k.path, k.profile, k.user)
	}
	d = append(d,
		FieldDiff{Path: "access_key_id", Before: st.fileID, Unknown: true},
		FieldDiff{Path: "secret_access_key", Before: "", Sensitive: true},
		FieldDiff{Path: "credentials_file", After: k.path},
		FieldDiff{Path: "profile", After: k.profile},
	)
	return d, nil
}

// Create implements Resource.
func (k *IAMAccessKey) Create(ctx context.Context, o *Observation) error { return k.converge(ctx, o) }

// Update implements Resource.
func (k *IAMAccessKey) Update(ctx context.Context, o *Observation, _ []FieldDiff) error {
	return k.converge(ctx, o)
}

func (k *IAMAccessKey) converge(ctx context.Context, o *Observation) error {
	st := o.Data.(keyState)
	for _, id := range st.orphans {
		if err := deleteAccessKey(ctx, k.c, k.user, id); err != nil {
			return err
		}
	}
	if !st.valid {
		if err := k.createKey(ctx); err != nil {
			return err
		}
	} else if st.marker != k.stack {
		if err := k.writeProfile(st.fileID, st.fileSecret); err != nil {
			return err
		}
	}
	if st.pending != "" || !st.valid {
		_, err := k.c.IAM.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(k.user), TagKeys: []string{pendingKeyTag}})
		if err != nil {
			return fmt.Errorf("clearing %s on user %q: %w", pendingKeyTag, k.user, err)
		}
	}
	return nil
}

// createKey marks the user, creates the key, stores the secret in the
// credentials file at once, and waits until IAM accepts the key.
func (k *IAMAccessKey) createKey(ctx context.Context) error {
	_, err := k.c.IAM.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(k.user), Tags: []iamtypes.Tag{{
		Key: aws.String(pendingKeyTag), Value: aws.String(k.now().UTC().Format(time.RFC3339)),
	}}})
	if err != nil {
		return fmt.Errorf("marking user %q before creating a key: %w", k.user, err)
	}
	out, err := k.c.IAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(k.user)})
	if err != nil {
		return fmt.Errorf("creating access key for user %q: %w", k.user, err)
	}
	id, secret := aws.ToString(out.AccessKey.AccessKeyId), aws.ToString(out.AccessKey.SecretAccessKey)
	if err := k.writeProfile(id, secret); err != nil {
		// The key is useless without its secret: remove it rather than
		// leave an orphan.
		if derr := deleteAccessKey(context.WithoutCancel(ctx), k.c, k.user, id); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	return k.waitUsable(ctx, id, secret)
}

// writeProfile writes the key into the profile section, keeping the rest
// of the file byte for byte: aws_access_key_id is the key id and
// aws_secret_access_key the secret (the Semaphore guide swaps them).
func (k *IAMAccessKey) writeProfile(id, secret string) error {
	return withFileLock(k.path, func() error { return k.writeProfileLocked(id, secret) })
}

func (k *IAMAccessKey) writeProfileLocked(id, secret string) error {
	f, err := readINI(k.path)
	if err != nil {
		return err
	}
	if sectionOwner(f, k.profile) != k.stack {
		f.AddComment(k.profile, marker(k.stack))
	}
	f.Set(k.profile, "aws_access_key_id", id)
	f.Set(k.profile, "aws_secret_access_key", secret)
	return writeINI(k.path, f)
}

// waitUsable polls sts:GetCallerIdentity with the new key until it works
// or KeyWait passes: IAM is eventually consistent and a new key can be
// refused for a few seconds. Polling proves readiness; a fixed sleep
// would only guess.
func (k *IAMAccessKey) waitUsable(ctx context.Context, id, secret string) error {
	user, err := readUser(ctx, k.c, k.user, "")
	if err != nil || user == nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, k.KeyWait)
	defer cancel()
	delay := 250 * time.Millisecond
	for {
		ok, err := k.keyWorks(ctx, id, secret, user.arn)
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = ctx.Err()
			}
			return fmt.Errorf("the new access key %s of user %q was not accepted by STS within %s (it is saved in profile %q; run bootstrap again later): %w", id, k.user, k.KeyWait, k.profile, err)
		case <-time.After(delay):
		}
		if delay < 4*time.Second {
			delay *= 2
		}
	}
}

// Delete implements Resource: every key of the (owned) user is deleted
// and the profile section awsboot wrote is removed from the credentials
// file.
func (k *IAMAccessKey) Delete(ctx context.Context, o *Observation) error {
	st := o.Data.(keyState)
	for _, key := range st.keys {
		if err := deleteAccessKey(ctx, k.c, k.user, aws.ToString(key.AccessKeyId)); err != nil {
			return err
		}
	}
	return withFileLock(k.path, func() error {
		f, err := readINI(k.path)
		if err != nil {
			return err
		}
		if sectionOwner(f, k.profile) != k.stack || !f.RemoveSection(k.profile) {
			return nil
		}
		return writeINI(k.path, f)
	})
}

// DestroyDescription implements destroyDescriber.
func (k *IAMAccessKey) DestroyDescription(o *Observation) string {
	st := o.Data.(keyState)
	var ids []string
	for _, key := range st.keys {
		ids = append(ids, aws.ToString(key.AccessKeyId))
	}
	what := "deletes no IAM key (none left)"
	if len(ids) > 0 {
		what = "deletes access key " + strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s of user %q and removes section [%s] from %s", what, k.user, k.profile, k.path)
}
