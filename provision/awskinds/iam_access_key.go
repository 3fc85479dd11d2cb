package awskinds

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// PendingKeyTag marks, on the user, that a run is creating an access key
// and when it started. A key's secret exists only in CreateAccessKey's
// answer; if the run dies before the secret reaches the credentials file
// the key is useless, and this tag lets the next run recognise that key
// as its own orphan and delete it instead of leaving it behind.
const PendingKeyTag = "awsboot:pending-access-key"

// RetiringKeyTag names, on the user, the access key a rotation replaces
// (awsboot rotate, max_key_age). It is written with the pending tag,
// before the new key is created, and removed only once the old key is
// deleted (IAMAccessKeyRetirement). While it is there the key resource
// never deletes that key as an unknown one: files may still hold it until
// they are rewritten. It is also the rotation's intent: a run that finds
// it naming the profile's key finishes the rotation.
const RetiringKeyTag = "awsboot:retiring-access-key"

// orphanSlack absorbs clock skew between this machine, which writes the
// pending tag's time, and IAM, which stamps the key's CreateDate.
const orphanSlack = 5 * time.Minute

// iamAccessKeyAPI lists the IAM calls IAMAccessKey makes.
type iamAccessKeyAPI interface {
	userReadAPI
	accessKeyDeleter
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, opts ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, opts ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	TagUser(ctx context.Context, in *iam.TagUserInput, opts ...func(*iam.Options)) (*iam.TagUserOutput, error)
	UntagUser(ctx context.Context, in *iam.UntagUserInput, opts ...func(*iam.Options)) (*iam.UntagUserOutput, error)
}

// StoredKey is what a key's store holds.
type StoredKey struct {
	// Section is true when the profile section exists.
	Section bool
	// Owner is the stack its ownership marker names, "" when none.
	Owner string
	// ID and Secret are the key in the section, empty when absent.
	ID     string
	Secret engine.Secret
	// Proven says that awsboot saw STS accept exactly this ID and
	// Secret (MarkProven), so a plan need not ask STS again: IAM never
	// changes a key's secret, and ListAccessKeys says whether the key is
	// still there and active.
	Proven bool
}

// KeyStore is where an access key's secret lives: one profile of the
// shared credentials file (provision/consumers.CredentialsProfile). IAM
// shows a secret once, in CreateAccessKey's answer, and it goes straight
// there.
type KeyStore interface {
	// Load reads the profile; a missing file or section is empty.
	Load() (StoredKey, error)
	// Save writes the key into the profile and marks it as the stack's,
	// keeping the rest of the file.
	Save(id string, secret engine.Secret) error
	// Remove removes the profile if it carries the stack's marker.
	Remove() error
	// MarkProven records in the profile that STS accepted this key and
	// secret; a later Load reports Proven while the profile holds
	// exactly them.
	MarkProven(id string, secret engine.Secret) error
	// Path is the credentials file, Profile the section's name.
	Path() string
	Profile() string
}

// IAMAccessKeyConfig is what the key resource needs.
type IAMAccessKeyConfig struct {
	Stack string
	User  string
	// Store keeps the secret.
	Store KeyStore
	// Adopt lets the key take over a profile awsboot did not write.
	Adopt bool
	// After is the user. (Not its grant: IAM answers for a key's
	// authentication, which the proof checks, apart from its
	// permissions, so the key need not wait for the attachment.)
	After  []engine.Address
	Custom bool
	// UserCreatedPending says that the user, when this run creates it,
	// is created with the pending tag (IAMUserConfig.PendingKey), so a
	// key for a user the plan found missing needs no TagUser first.
	UserCreatedPending bool
	// KeyWait bounds how long Create waits for IAM to accept a new key
	// (default DefaultKeyWait).
	KeyWait time.Duration
	// Clock is the time the pending tag records, the key wait runs on
	// and keys' ages are measured by (default: the wall clock).
	Clock Clock
	// Rotate asks for a new key in place of the profile's valid one
	// (awsboot rotate): the old key is retired after the files hold the
	// new one (IAMAccessKeyRetirement).
	Rotate bool
	// MaxAge rotates the profile's key once it is older than this (the
	// entry's max_key_age); 0 never.
	MaxAge time.Duration
}

// IAMAccessKey is the user's access key together with the profile in the
// shared credentials file that holds it: the secret is shown by IAM once
// and is written straight to that file, nowhere else.
type IAMAccessKey struct {
	engine.Meta
	cfg IAMAccessKeyConfig
	api iamAccessKeyAPI
	// callerWithKey asks STS whose key it is (Clients.CallerWithKey).
	callerWithKey func(ctx context.Context, id string, secret engine.Secret) (string, error)
	// report tells the user what a running change waits for
	// (engine.Report).
	report func(ctx context.Context, format string, args ...any)
}

// NewIAMAccessKey returns the key resource.
func NewIAMAccessKey(cfg IAMAccessKeyConfig) *IAMAccessKey {
	if cfg.KeyWait == 0 {
		cfg.KeyWait = DefaultKeyWait
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	what := fmt.Sprintf("access key of IAM user %q (profile %q in %s)", cfg.User, cfg.Store.Profile(), cfg.Store.Path())
	if cfg.Store.Profile() == "" {
		// A key found without a spec (awsboot show --stack): which
		// profile holds it is unknown.
		what = fmt.Sprintf("access key of IAM user %q", cfg.User)
	}
	return &IAMAccessKey{cfg: cfg, report: engine.Report, Meta: engine.Meta{
		Address: engine.Addr("iam_access_key", cfg.User),
		After:   cfg.After,
		What:    what,
	}}
}

// Connect implements Connector.
func (k *IAMAccessKey) Connect(c *awsapi.Clients) { k.api, k.callerWithKey = c.IAM, c.CallerWithKey }

type keyState struct {
	userExists bool
	userARN    string
	pending    string // value of the pending tag, "" if none
	keys       []iamtypes.AccessKeyMetadata
	file       StoredKey
	valid      bool // the file's key is this user's, active, and works
	// unproven is the file's key when it is this user's and active and
	// the profile is this stack's, but STS does not know it yet
	// (InvalidClientTokenId): a key an earlier run created and saved
	// whose proof was cut short. It is waited for, not replaced.
	unproven string
	orphans  []string // keys from an interrupted run
	unknown  []string // keys of the user whose secret is not here
	// retiring is the value of RetiringKeyTag, "" if none.
	retiring string
	// age is how old the profile's key is, when it is the user's.
	age time.Duration
	// rotate says why the profile's valid key is to be replaced now,
	// "" when it is not.
	rotate string
}

// The paths IAMAccessKey diffs.
const (
	pathOrphanedKey     engine.Path = "orphaned_key"
	pathUnknownKey      engine.Path = "unknown_key"
	pathMarker          engine.Path = "marker"
	pathPendingTag                  = engine.Path("user_tags." + PendingKeyTag)
	pathAccessKeyID     engine.Path = "access_key_id"
	pathSecretAccessKey engine.Path = "secret_access_key"
	pathCredentialsFile engine.Path = "credentials_file"
	pathProfile         engine.Path = "profile"
	pathKeyAccepted     engine.Path = "accepted_by_sts"
	pathRetiringTag                 = engine.Path("user_tags." + RetiringKeyTag)
	pathKeyAge          engine.Path = "access_key_age"
)

// Read implements engine.Kind. Its three requests go at once: the user
// (shared with the user's other resources), the user's keys, and STS asked
// about the key in the file. The STS answer counts only when the file's
// key is one of the user's active keys; for a key that is not, the
// request is wasted, which costs a request but no time, while a
// converged plan saves two round trips.
func (k *IAMAccessKey) Read(ctx context.Context) (*engine.Observation, keyState, error) {
	st := keyState{}
	var err error
	if st.file, err = k.cfg.Store.Load(); err != nil {
		return nil, st, err
	}
	var (
		user             *userState
		keys             *iam.ListAccessKeysOutput
		callerARN        string
		userErr, keysErr error
		callerErr        error
	)
	// Teardown deletes every key of the user whether the file's works
	// or not: its plan does not ask STS.
	mode, planning := engine.PlanMode(ctx)
	// Nor does it ask about a key the file marks as proven: that exact
	// secret worked, and a secret never changes; ListAccessKeys says
	// whether the key is still there and active.
	probed := st.file.ID != "" && !st.file.Secret.IsZero() && !st.file.Proven && !(planning && mode == engine.ModeDestroy)
	reads := []func(){
		func() { user, userErr = readUser(ctx, k.api, k.cfg.Custom, k.cfg.User, "") },
		func() {
			keys, keysErr = k.api.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(k.cfg.User)})
		},
	}
	if probed {
		reads = append(reads, func() { callerARN, callerErr = k.callerWithKey(ctx, st.file.ID, st.file.Secret) })
	}
	concurrently(reads...)
	if userErr != nil {
		return nil, st, userErr
	}
	owner := st.file.Owner
	if user != nil {
		if keysErr != nil {
			return nil, st, fmt.Errorf("listing access keys of user %q: %w", k.cfg.User, keysErr)
		}
		st.userExists, st.userARN, st.pending = true, user.arn, user.tags[PendingKeyTag]
		st.retiring = user.tags[RetiringKeyTag]
		owner = user.tags[engine.StackTag]
		st.keys = keys.AccessKeyMetadata
		slices.SortFunc(st.keys, func(a, b iamtypes.AccessKeyMetadata) int {
			return strings.Compare(aws.ToString(a.AccessKeyId), aws.ToString(b.AccessKeyId))
		})
	}
	now := k.cfg.Clock.Now()
	for _, key := range st.keys {
		id := aws.ToString(key.AccessKeyId)
		if id == st.file.ID {
			st.age = now.Sub(aws.ToTime(key.CreateDate))
		}
		if id == st.retiring && id != st.file.ID {
			// Being retired: files may still hold it until they are
			// rewritten; IAMAccessKeyRetirement deletes it after.
			continue
		}
		if st.file.Proven && id == st.file.ID && key.Status == iamtypes.StatusTypeActive && !st.file.Secret.IsZero() {
			st.valid = true
			continue
		}
		if probed && id == st.file.ID && key.Status == iamtypes.StatusTypeActive {
			st.valid, err = k.keyVerdict(callerARN, callerErr, st.userARN)
			if err != nil {
				return nil, st, err
			}
			if st.valid {
				continue
			}
			if st.file.Owner == k.cfg.Stack && awsapi.ErrorCode(callerErr) == "InvalidClientTokenId" {
				st.unproven = id
				continue
			}
		}
		if k.isOrphan(st.pending, key) {
			st.orphans = append(st.orphans, id)
		} else {
			st.unknown = append(st.unknown, id)
		}
	}
	st.rotate = k.rotation(st)
	exists := len(st.keys) > 0 || st.file.Section && st.file.Owner != ""
	o := &engine.Observation{Exists: exists, Owner: owner, DerivedOwnership: true}
	switch {
	case !st.valid || st.rotate != "":
	case k.cfg.MaxAge > 0:
		o.Notes = append(o.Notes, fmt.Sprintf("access key %s is %s old (max_key_age %s)", st.file.ID, Age(st.age), Age(k.cfg.MaxAge)))
	case st.age >= keyAgeWorthSaying:
		o.Notes = append(o.Notes, fmt.Sprintf("access key %s is %s old (no max_key_age: awsboot rotate replaces it)", st.file.ID, Age(st.age)))
	}
	switch {
	case !st.valid && len(st.unknown) == 1:
		o.Notes = append(o.Notes, fmt.Sprintf("user %q already has access key %s whose secret is not in %s; a second key is created, and %s is deleted once STS accepts the new one", k.cfg.User, st.unknown[0], k.cfg.Store.Path(), st.unknown[0]))
	case st.valid && len(st.unknown) > 0:
		o.Notes = append(o.Notes, fmt.Sprintf("user %q has access key %s besides the one in %s: the stack's user holds exactly that one key, so bootstrap deletes the other",
			k.cfg.User, strings.Join(st.unknown, ", "), k.cfg.Store.Path()))
	}
	return o, st, nil
}

// rotation says why the profile's key is to be replaced now, "" when it
// is not. A rotation starts only from a valid key with no other
// rotation under way; one whose RetiringKeyTag names the profile's key
// was stopped before the new key reached the file, and goes on whatever
// this run asked for.
func (k *IAMAccessKey) rotation(st keyState) string {
	switch {
	case !st.valid:
		return ""
	case st.retiring == st.file.ID:
		return "a rotation was stopped before the new key was saved"
	case st.retiring != "":
		return ""
	case k.cfg.Rotate:
		return "awsboot rotate"
	case k.cfg.MaxAge > 0 && st.age > k.cfg.MaxAge:
		return fmt.Sprintf("the key is %s old, more than max_key_age %s", Age(st.age), Age(k.cfg.MaxAge))
	}
	return ""
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

// keyVerdict judges STS's answer about the file's key (sts:
// GetCallerIdentity with it): the key works and is this user's when STS
// names the user. A refused key is not valid; any other failure is an
// error.
func (k *IAMAccessKey) keyVerdict(arn string, err error, userARN string) (bool, error) {
	if err != nil {
		if keyRefused(err) {
			return false, nil
		}
		return false, fmt.Errorf("checking the access key in profile %q: %w", k.cfg.Store.Profile(), err)
	}
	return arn == userARN, nil
}

// keyRefused reports STS refusing a key: unknown (yet), wrong secret, or
// not allowed.
func keyRefused(err error) bool {
	switch awsapi.ErrorCode(err) {
	case "InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied":
		return true
	}
	return false
}

// Diff implements engine.Kind. The secret never enters a diff: it shows
// as (sensitive value).
func (k *IAMAccessKey) Diff(_ *engine.Observation, st keyState) ([]engine.FieldDiff, error) {
	profile, path := k.cfg.Store.Profile(), k.cfg.Store.Path()
	if st.file.Section && st.file.Owner != k.cfg.Stack {
		if st.file.Owner != "" {
			return nil, fmt.Errorf("profile %q in %s belongs to awsboot stack %q; choose another write.aws_profile", profile, path, st.file.Owner)
		}
		if !k.cfg.Adopt {
			return nil, fmt.Errorf("profile %q already exists in %s and was not written by awsboot; "+
				"choose another write.aws_profile, or run again with --adopt to replace its credentials (the file is backed up first)", profile, path)
		}
	}
	var d []engine.FieldDiff
	for _, id := range st.orphans {
		d = append(d, engine.Removed(pathOrphanedKey, id))
	}
	if st.rotate != "" {
		return k.rotateDiff(d, st)
	}
	if st.valid || st.unproven != "" {
		// A key whose secret is nowhere awsboot can see is a credential
		// nobody manages (a retried create, a run on another machine, a
		// key made by hand): drift on the stack's user.
		for _, id := range st.unknown {
			d = append(d, engine.Removed(pathUnknownKey, id))
		}
		d = engine.DiffField(d, pathMarker, st.file.Owner, k.cfg.Stack)
		if st.pending != "" {
			d = append(d, engine.Removed(pathPendingTag, st.pending))
		}
		if st.unproven != "" {
			d = engine.DiffField(d, pathKeyAccepted, "not yet (IAM is eventually consistent)", "yes: bootstrap waits for STS to accept "+st.unproven)
		}
		return d, nil
	}
	if len(st.unknown) >= 2 {
		return nil, fmt.Errorf("IAM user %q already has two access keys (%s) and %s holds neither in profile %q, so awsboot cannot create a key (IAM allows two per user). "+
			"Either put one of them (id and secret) into that profile, or delete the one you no longer use with "+
			"`aws iam delete-access-key --user-name %s --access-key-id <id>`, then run again",
			k.cfg.User, strings.Join(st.unknown, ", "), path, profile, k.cfg.User)
	}
	for _, id := range st.unknown {
		// At most one here: deleted once the new key works.
		d = append(d, engine.Removed(pathUnknownKey, id))
	}
	return append(d,
		engine.FieldDiff{Path: pathAccessKeyID, Before: st.file.ID, Unknown: true},
		engine.FieldDiff{Path: pathSecretAccessKey, Sensitive: true},
		engine.Added(pathCredentialsFile, path),
		engine.Added(pathProfile, profile),
	), nil
}

// rotateDiff is the plan of a rotation: a new key in the profile (and in
// every file that holds the key: they follow), the old one named in
// RetiringKeyTag until IAMAccessKeyRetirement deletes it. IAM allows two
// keys per user, so a key awsboot does not know must go first.
func (k *IAMAccessKey) rotateDiff(d []engine.FieldDiff, st keyState) ([]engine.FieldDiff, error) {
	if len(st.unknown) > 0 {
		return nil, fmt.Errorf("cannot rotate the access key of IAM user %q: it also has access key %s, whose secret is not in profile %q of %s, and IAM allows two keys per user. "+
			"Run bootstrap first (it deletes that key), or delete it with `aws iam delete-access-key --user-name %s --access-key-id %s`, then rotate again",
			k.cfg.User, strings.Join(st.unknown, ", "), k.cfg.Store.Profile(), k.cfg.Store.Path(), k.cfg.User, st.unknown[0])
	}
	if k.cfg.MaxAge > 0 && st.age > k.cfg.MaxAge {
		d = append(d, engine.FieldDiff{Path: pathKeyAge, Before: Age(st.age), After: "at most " + Age(k.cfg.MaxAge) + " (max_key_age): rotate"})
	}
	if st.retiring == "" {
		d = append(d, engine.Added(pathRetiringTag, st.file.ID))
	}
	return append(d,
		engine.FieldDiff{Path: pathAccessKeyID, Before: st.file.ID, Unknown: true},
		engine.FieldDiff{Path: pathSecretAccessKey, Sensitive: true},
	), nil
}

// Create implements engine.Kind.
func (k *IAMAccessKey) Create(ctx context.Context, _ *engine.Observation, st keyState) error {
	return k.converge(ctx, st)
}

// Update implements engine.Kind.
func (k *IAMAccessKey) Update(ctx context.Context, _ *engine.Observation, st keyState, _ []engine.FieldDiff) error {
	return k.converge(ctx, st)
}

// converge makes the profile's key the user's one valid key. Requests
// that do not depend on each other go together: the extra keys' deletes
// and the listing of the keys before a new one, and with no key to delete
// the pending tag too. The rest stays in order: extra keys go before the
// pending tag is written or cleared (the tag's time is what marks them as
// orphans, so a run stopped in between must still find them so), the tag
// is on the user before CreateAccessKey (it lets a later run recognise
// the new key as an orphan), and the secret is in the file before the
// wait (so an interrupted wait loses nothing). A tag change never
// overlaps another change of the user: IAM may refuse it with
// ConcurrentModification.
func (k *IAMAccessKey) converge(ctx context.Context, st keyState) error {
	if st.rotate != "" {
		return k.rotateKey(ctx, st)
	}
	extra := st.orphans
	if st.valid || st.unproven != "" {
		extra = append(slices.Clone(extra), st.unknown...)
	}
	deleteExtra := func() error {
		return forEach(extra, func(id string) error { return deleteAccessKey(ctx, k.api, k.cfg.User, id) })
	}
	if st.unproven != "" {
		// The key and its secret are in place; only the proof is due.
		if err := deleteExtra(); err != nil {
			return err
		}
		return k.proveLater(ctx, st.unproven, st.file.Secret, st.userARN, st.pending != "")
	}
	if st.valid {
		err := allOf(deleteExtra, func() error {
			if st.file.Owner == k.cfg.Stack {
				return nil
			}
			// Adopted: the plan proved the key with STS (or found it
			// marked), so the mark goes with the stack's marker.
			if err := k.cfg.Store.Save(st.file.ID, st.file.Secret); err != nil {
				return err
			}
			return k.cfg.Store.MarkProven(st.file.ID, st.file.Secret)
		})
		if err != nil || st.pending == "" {
			return err
		}
		return k.clearPending(ctx)
	}
	var before []string
	listBefore := func() (err error) {
		before, err = k.keyIDs(ctx)
		return err
	}
	var err error
	switch {
	case !st.userExists && k.cfg.UserCreatedPending && len(extra) == 0:
		// The user was created in this run, by a CreateUser that carried
		// the pending tag (IAMUserConfig.PendingKey): it has no key and
		// is marked already, one round trip less.
	case len(extra) == 0:
		err = allOf(listBefore, k.markPending(ctx))
	default:
		if err = allOf(deleteExtra, listBefore); err != nil {
			break
		}
		err = k.markPending(ctx)()
	}
	if err != nil {
		return err
	}
	// A key whose secret is nowhere (at most one: IAM allows two) goes
	// once the new key works: deleted before, the user would have no
	// working key for the wait; left, the next plan would delete it.
	return k.createKey(ctx, before, st.userARN, st.unknown)
}

// rotateKey starts (or, after a stop before the save, restarts) a
// rotation: the orphans of a stopped attempt go, the user gets the
// pending tag and RetiringKeyTag naming the profile's key in one call
// (a run stopped after it finds the new key an orphan, the rotation
// still due, and the old key protected), then the new key is created,
// saved over the old one in the profile, and proven later as any new
// key. The old key stays active: the files that hold it are rewritten
// after this change (they depend on the key) and
// IAMAccessKeyRetirement deletes it after them.
func (k *IAMAccessKey) rotateKey(ctx context.Context, st keyState) error {
	var before []string
	listBefore := func() (err error) {
		before, err = k.keyIDs(ctx)
		return err
	}
	deleteOrphans := func() error {
		return forEach(st.orphans, func(id string) error { return deleteAccessKey(ctx, k.api, k.cfg.User, id) })
	}
	if err := allOf(deleteOrphans, listBefore); err != nil {
		return err
	}
	k.report(ctx, "rotating access key %s of user %q (%s)", st.file.ID, k.cfg.User, st.rotate)
	if err := k.markPending(ctx, tag(RetiringKeyTag, st.file.ID))(); err != nil {
		return err
	}
	return k.createKey(ctx, before, st.userARN, nil)
}

// markPending returns the write of the pending tag, with the time now,
// and of the other tags given.
func (k *IAMAccessKey) markPending(ctx context.Context, also ...iamtypes.Tag) func() error {
	return func() error {
		_, err := k.api.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(k.cfg.User), Tags: append([]iamtypes.Tag{
			tag(PendingKeyTag, k.cfg.Clock.Now().UTC().Format(time.RFC3339)),
		}, also...)})
		if err != nil {
			return fmt.Errorf("marking user %q before creating a key: %w", k.cfg.User, err)
		}
		return nil
	}
}

// clearPending removes the pending tag from the user.
func (k *IAMAccessKey) clearPending(ctx context.Context) error {
	_, err := k.api.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(k.cfg.User), TagKeys: []string{PendingKeyTag}})
	if err != nil {
		return fmt.Errorf("clearing %s on user %q: %w", PendingKeyTag, k.cfg.User, err)
	}
	return nil
}

// createKey creates the key (the user carries the pending tag by now;
// before are the key ids it had), stores the secret in the credentials
// file at once, then waits until IAM accepts the key and clears the
// pending tag: deferred (engine.Defer) under an executor, inline
// otherwise; then deletes the keys of retire (keys whose secret awsboot
// cannot see). userARN is the user's ARN as the plan read it, "" for a
// user created in this run.
func (k *IAMAccessKey) createKey(ctx context.Context, before []string, userARN string, retire []string) error {
	out, err := k.createReconciled(ctx, before)
	if err != nil {
		return err
	}
	id, secret := aws.ToString(out.AccessKey.AccessKeyId), engine.NewSecret(aws.ToString(out.AccessKey.SecretAccessKey))
	if err := k.cfg.Store.Save(id, secret); err != nil {
		// The key is useless without its secret: remove it rather than
		// leave an orphan.
		if derr := deleteAccessKey(context.WithoutCancel(ctx), k.api, k.cfg.User, id); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	return k.proveLater(ctx, id, secret, userARN, true, retire...)
}

// proveLater waits until STS accepts the key and, at the same time,
// clears the pending tag (with clear): the secret is in the file, so the
// key is no orphan, and a run stopped before the proof finds the key
// unproven and waits again. Under an executor both run off the critical
// path (engine.Defer): the files and other entries need the saved
// secret, not the proof; the executor still waits for them before the
// run ends.
func (k *IAMAccessKey) proveLater(ctx context.Context, id string, secret engine.Secret, userARN string, clear bool, retire ...string) error {
	prove := func(ctx context.Context) error {
		wait := func() error {
			if err := k.waitUsable(ctx, id, secret, userARN); err != nil {
				return err
			}
			return k.cfg.Store.MarkProven(id, secret)
		}
		var err error
		if clear {
			err = allOf(func() error { return k.clearPending(ctx) }, wait)
		} else {
			err = wait()
		}
		if err != nil {
			return err
		}
		// After the untag, not beside it: IAM may refuse a change of the
		// user that meets a tag change (ConcurrentModification).
		return forEach(retire, func(old string) error { return deleteAccessKey(ctx, k.api, k.cfg.User, old) })
	}
	if engine.Defer(ctx, prove) {
		return nil
	}
	return prove(ctx)
}

// createKeyAttempts bounds the creates of one run.
const createKeyAttempts = 3

// createReconciled calls CreateAccessKey without the SDK's blind retry:
// when an attempt fails in a way worth retrying (a throttle, a 5xx, a
// lost connection), the first attempt may still have made a key whose
// answer was lost, so every key that was not there before is deleted
// (its secret is lost with the answer) before the next attempt.
func (k *IAMAccessKey) createReconciled(ctx context.Context, before []string) (*iam.CreateAccessKeyOutput, error) {
	for attempt := 1; ; attempt++ {
		out, err := k.api.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(k.cfg.User)}, noRetry)
		if err == nil {
			return out, nil
		}
		if attempt == createKeyAttempts || ctx.Err() != nil || retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) != aws.TrueTernary {
			return nil, fmt.Errorf("creating access key for user %q: %w", k.cfg.User, err)
		}
		now, lerr := k.keyIDs(ctx)
		if lerr != nil {
			return nil, errors.Join(fmt.Errorf("creating access key for user %q: %w", k.cfg.User, err), lerr)
		}
		var appeared []string
		for _, id := range now {
			if !slices.Contains(before, id) {
				appeared = append(appeared, id)
			}
		}
		if err := forEach(appeared, func(id string) error { return deleteAccessKey(ctx, k.api, k.cfg.User, id) }); err != nil {
			return nil, err
		}
	}
}

// keyIDs lists the ids of the user's access keys.
func (k *IAMAccessKey) keyIDs(ctx context.Context) ([]string, error) {
	out, err := k.api.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(k.cfg.User)})
	if err != nil {
		return nil, fmt.Errorf("listing access keys of user %q: %w", k.cfg.User, err)
	}
	ids := make([]string, len(out.AccessKeyMetadata))
	for i, m := range out.AccessKeyMetadata {
		ids[i] = aws.ToString(m.AccessKeyId)
	}
	return ids, nil
}

// DefaultKeyWait is how long Create waits, by default, for IAM to accept
// a new access key. AWS promises no bound on IAM's eventual consistency;
// a new key usually works within seconds, so a wait this long means
// something else is wrong, and the error shows STS's last answer.
const DefaultKeyWait = 2 * time.Minute

// The pace of the key wait.
const (
	// keyPollFirst is the delay after the first refused check.
	keyPollFirst = 100 * time.Millisecond
	// keyPollMax caps the delay between checks, doubling from
	// keyPollFirst: a key that starts working is noticed at most this
	// long (plus one request) later, while a long wait costs two
	// requests a second. (Capping at 4 s, as awsboot once did, noticed a
	// key that worked at 5 s only at 7.8 s.)
	keyPollMax = 500 * time.Millisecond
	// keyReportEvery is how often the wait tells the user it still
	// waits (engine.Report asks for a line at least every 5 s).
	keyReportEvery = 5 * time.Second
)

// waitUsable polls sts:GetCallerIdentity with the new key until STS
// accepts it, for at most KeyWait: IAM is eventually consistent and a new
// key can be refused for a few seconds. Polling proves readiness; a fixed
// sleep would only guess, so the wait never sleeps without polling
// again. It tells the user what it waits for at once and then every
// keyReportEvery, and stops as soon as ctx is cancelled (Ctrl-C), with
// ctx's error: the key is in the file by then and the user keeps the
// pending tag, so the next run finds the key, proves it and clears the
// tag. userARN, when known, is the ARN STS must answer; else any ARN of
// the user (the key was created for it).
func (k *IAMAccessKey) waitUsable(ctx context.Context, id string, secret engine.Secret, userARN string) error {
	clock := k.cfg.Clock
	start := clock.Now()
	deadline := start.Add(k.cfg.KeyWait)
	// The clock decides the deadline; this bounds a request that hangs
	// past it. (A simulated clock's wait ends long before.)
	wctx, cancel := context.WithTimeout(ctx, k.cfg.KeyWait)
	defer cancel()
	nextReport, reported := start, false
	delay := keyPollFirst
	var last error
	for {
		arn, err := k.callerWithKey(wctx, id, secret)
		if err == nil && k.isUsers(arn, userARN) {
			return nil
		}
		last = err
		if err == nil {
			last = fmt.Errorf("STS names %s, not user %q", arn, k.cfg.User)
		}
		if ctx.Err() != nil {
			return k.interrupted(id, ctx.Err())
		}
		now := clock.Now()
		if !now.Before(deadline) || wctx.Err() != nil {
			return fmt.Errorf("the new access key %s of user %q was not accepted by STS within %s (it is saved in profile %q; run bootstrap again later): %w", id, k.cfg.User, k.cfg.KeyWait, k.cfg.Store.Profile(), last)
		}
		if !now.Before(nextReport) {
			if !reported {
				reported = true
				k.report(ctx, "waiting for access key %s of user %q to become usable (IAM is eventually consistent; giving up after %s)", id, k.cfg.User, k.cfg.KeyWait)
			} else {
				k.report(ctx, "waiting for access key %s of user %q to become usable: %s elapsed", id, k.cfg.User, now.Sub(start).Round(time.Second))
			}
			for !nextReport.After(now) {
				nextReport = nextReport.Add(keyReportEvery)
			}
		}
		// Wake for the next report and the deadline too, so a line is
		// never late by more than one check.
		sleep := min(delay, nextReport.Sub(now), deadline.Sub(now))
		if err := clock.Sleep(ctx, sleep); err != nil {
			return k.interrupted(id, err)
		}
		delay = min(2*delay, keyPollMax)
	}
}

// interrupted is the error of a key wait cancelled by the user.
func (k *IAMAccessKey) interrupted(id string, err error) error {
	return fmt.Errorf("stopped waiting for the new access key %s of user %q (it is saved in profile %q; run bootstrap again to finish): %w", id, k.cfg.User, k.cfg.Store.Profile(), err)
}

// isUsers reports whether arn, which STS answered for a key created for
// the user, is the user's: userARN when the plan read it, else any
// user ARN ending in the user's name (its path is not known).
func (k *IAMAccessKey) isUsers(arn, userARN string) bool {
	if userARN != "" {
		return arn == userARN
	}
	return strings.Contains(arn, ":user/") && strings.HasSuffix(arn, "/"+k.cfg.User)
}

// Delete implements engine.Kind: every key of the (owned) user is
// deleted and the profile section awsboot wrote is removed from the
// credentials file.
func (k *IAMAccessKey) Delete(ctx context.Context, _ *engine.Observation, st keyState) error {
	err := forEach(st.keys, func(key iamtypes.AccessKeyMetadata) error {
		return deleteAccessKey(ctx, k.api, k.cfg.User, aws.ToString(key.AccessKeyId))
	})
	if err != nil {
		return err
	}
	return k.cfg.Store.Remove()
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (k *IAMAccessKey) DestroyDescription(_ *engine.Observation, st keyState) string {
	var ids []string
	for _, key := range st.keys {
		ids = append(ids, aws.ToString(key.AccessKeyId))
	}
	what := "deletes no IAM key (none left)"
	if len(ids) > 0 {
		what = "deletes access key " + strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s of user %q and removes section [%s] from %s", what, k.cfg.User, k.cfg.Store.Profile(), k.cfg.Store.Path())
}

// Summary implements engine.KindSummarizer: each of the user's keys by
// id, with its status, creation time and age, and the profile that holds
// the stack's key, with whether STS accepts it. The secret is never
// part of it: the state holds it only as an engine.Secret, which is not
// read here.
func (k *IAMAccessKey) Summary(_ *engine.Observation, st keyState) []engine.KV {
	kv := []engine.KV{{Key: "user", Value: k.cfg.User}}
	now := k.cfg.Clock.Now()
	for _, key := range st.keys {
		p := "access_key." + aws.ToString(key.AccessKeyId)
		created := aws.ToTime(key.CreateDate)
		kv = append(kv,
			engine.KV{Key: p + ".status", Value: string(key.Status)},
			engine.KV{Key: p + ".created", Value: created.UTC().Format(time.RFC3339)},
			engine.KV{Key: p + ".age", Value: Age(now.Sub(created))},
		)
	}
	if k.cfg.Store.Profile() == "" {
		return kv
	}
	var inProfile string
	switch {
	case st.file.ID == "":
		inProfile = "none"
	case st.valid:
		inProfile = st.file.ID + " (accepted by STS)"
	case st.unproven != "":
		inProfile = st.file.ID + " (not accepted by STS yet)"
	default:
		inProfile = st.file.ID + " (not an active key of this user that STS accepts)"
	}
	return append(kv,
		engine.KV{Key: "profile", Value: k.cfg.Store.Profile()},
		engine.KV{Key: "credentials_file", Value: k.cfg.Store.Path()},
		engine.KV{Key: "profile_key", Value: inProfile},
	)
}

// keyAgeWorthSaying is the age from which a plan notes how old a user's
// key is even without max_key_age: a day, so that keys made minutes ago
// (every test, every fresh stack) add nothing to "No changes".
const keyAgeWorthSaying = 24 * time.Hour

// Age shows how old something is in its largest whole unit: "12d",
// "5h", "3m" (a negative age, from clock skew, is "0m").
func Age(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	case d > 0:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return "0m"
}
