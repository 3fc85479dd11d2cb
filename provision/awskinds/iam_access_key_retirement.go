package awskinds

import (
	"context"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// iamKeyRetirementAPI lists the IAM calls IAMAccessKeyRetirement makes.
type iamKeyRetirementAPI interface {
	userReadAPI
	accessKeyDeleter
	ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, opts ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error)
	UpdateAccessKey(ctx context.Context, in *iam.UpdateAccessKeyInput, opts ...func(*iam.Options)) (*iam.UpdateAccessKeyOutput, error)
	UntagUser(ctx context.Context, in *iam.UntagUserInput, opts ...func(*iam.Options)) (*iam.UntagUserOutput, error)
}

// IAMAccessKeyRetirementConfig is what the retirement needs.
type IAMAccessKeyRetirementConfig struct {
	Stack string
	// Key is the entry's access key: its user, its profile, and its
	// wait until STS accepts a key.
	Key *IAMAccessKey
	// After is the key and every file of the entry: the old key goes
	// only once each of them holds the new one.
	After []engine.Address
}

// IAMAccessKeyRetirement is the last step of a rotation: once the new key
// is in the profile and in every file of the entry (they are its
// dependencies) and STS accepts it, the key RetiringKeyTag names is
// deactivated, then deleted, then the tag goes. It has nothing to do, and
// shows in no plan, while no rotation is under way; teardown leaves it to
// the key, which deletes every key of the user.
type IAMAccessKeyRetirement struct {
	engine.Meta
	cfg IAMAccessKeyRetirementConfig
	api iamKeyRetirementAPI
}

// NewIAMAccessKeyRetirement returns the retirement step of a user's key.
func NewIAMAccessKeyRetirement(cfg IAMAccessKeyRetirementConfig) *IAMAccessKeyRetirement {
	user := cfg.Key.cfg.User
	return &IAMAccessKeyRetirement{cfg: cfg, Meta: engine.Meta{
		Address: engine.Addr("iam_access_key_retirement", user),
		After:   cfg.After,
		What:    fmt.Sprintf("the replaced access key of IAM user %q", user),
	}}
}

// Connect implements Connector.
func (r *IAMAccessKeyRetirement) Connect(c *awsapi.Clients) { r.api = c.IAM }

type retirementState struct {
	userARN  string
	retiring string // RetiringKeyTag's value, "" if none
	found    bool   // the retiring key still exists
	status   iamtypes.StatusType
}

// The paths IAMAccessKeyRetirement diffs.
const pathRetiredKey engine.Path = "retired_access_key"

// Read implements engine.Kind. The user comes from the plan's read
// cache; the keys are listed only while a rotation is under way.
func (r *IAMAccessKeyRetirement) Read(ctx context.Context) (*engine.Observation, retirementState, error) {
	st := retirementState{}
	if mode, ok := engine.PlanMode(ctx); ok && mode == engine.ModeDestroy {
		// The key's teardown deletes every key of the user.
		return &engine.Observation{}, st, nil
	}
	user := r.cfg.Key.cfg.User
	u, err := readUser(ctx, r.api, r.cfg.Key.cfg.Custom, user, "")
	if err != nil || u == nil {
		return &engine.Observation{}, st, err
	}
	st.userARN, st.retiring = u.arn, u.tags[RetiringKeyTag]
	if st.retiring == "" {
		return &engine.Observation{}, st, nil
	}
	out, err := r.api.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	if err != nil {
		return nil, st, fmt.Errorf("listing access keys of user %q: %w", user, err)
	}
	for _, k := range out.AccessKeyMetadata {
		if aws.ToString(k.AccessKeyId) == st.retiring {
			st.found, st.status = true, k.Status
		}
	}
	return &engine.Observation{Exists: true, Owner: u.tags[engine.StackTag], DerivedOwnership: true}, st, nil
}

// Diff implements engine.Kind.
func (r *IAMAccessKeyRetirement) Diff(_ *engine.Observation, st retirementState) ([]engine.FieldDiff, error) {
	return retireDiffs(st.retiring, st.found), nil
}

func retireDiffs(id string, found bool) []engine.FieldDiff {
	if id == "" {
		return nil
	}
	var d []engine.FieldDiff
	if found {
		d = append(d, engine.Removed(pathRetiredKey, id))
	}
	return append(d, engine.Removed(pathRetiringTag, id))
}

// Follow implements engine.KindFollower: a rotation the key starts in
// this run (its change writes RetiringKeyTag) ends here.
func (r *IAMAccessKeyRetirement) Follow(_ *engine.Observation, _ retirementState, dep engine.Change) []engine.FieldDiff {
	if dep.Addr != r.cfg.Key.Addr() {
		return nil
	}
	i := slices.IndexFunc(dep.Diffs, func(d engine.FieldDiff) bool { return d.Path == pathRetiringTag })
	if i < 0 {
		return nil
	}
	return retireDiffs(dep.Diffs[i].After, true)
}

// Create implements engine.Kind; the retirement never exists apart from
// a rotation under way, so it is only updated.
func (r *IAMAccessKeyRetirement) Create(ctx context.Context, o *engine.Observation, st retirementState) error {
	return r.Update(ctx, o, st, nil)
}

// Update implements engine.Kind. The order is what makes a rotation
// safe to stop anywhere: the profile must hold another key than the one
// retired, and STS must accept it (the files that depend on the key were
// rewritten before this change started); then the old key is
// deactivated, deleted, and only then is the tag removed, so a run
// stopped in between still finds what is left to do.
func (r *IAMAccessKeyRetirement) Update(ctx context.Context, _ *engine.Observation, st retirementState, diffs []engine.FieldDiff) error {
	id := st.retiring
	for _, d := range diffs {
		if d.Path == pathRetiringTag {
			id = d.Before
		}
	}
	if id == "" {
		return nil
	}
	k := r.cfg.Key
	user, store := k.cfg.User, k.cfg.Store
	cur, err := store.Load()
	if err != nil {
		return err
	}
	if cur.ID == "" || cur.ID == id || cur.Secret.IsZero() {
		return fmt.Errorf("not retiring access key %s of user %q: profile %q of %s does not hold its replacement yet; run bootstrap again", id, user, store.Profile(), store.Path())
	}
	if !cur.Proven {
		if err := k.waitUsable(ctx, cur.ID, cur.Secret, st.userARN); err != nil {
			return err
		}
	}
	k.report(ctx, "retiring access key %s of user %q: profile %q and its files hold %s", id, user, store.Profile(), cur.ID)
	_, err = r.api.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String(user), AccessKeyId: aws.String(id), Status: iamtypes.StatusTypeInactive})
	if err != nil && !awsapi.IsNotFound(err) {
		return fmt.Errorf("deactivating access key %s of user %q: %w", id, user, err)
	}
	if err == nil {
		if err := deleteAccessKey(ctx, r.api, user, id); err != nil {
			return err
		}
	}
	if _, err := r.api.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(user), TagKeys: []string{RetiringKeyTag}}); err != nil {
		return fmt.Errorf("clearing %s on user %q: %w", RetiringKeyTag, user, err)
	}
	return nil
}

// Delete implements engine.Kind: nothing; the key's teardown deletes
// every key of the user, and the user's deletion its tags.
func (r *IAMAccessKeyRetirement) Delete(context.Context, *engine.Observation, retirementState) error {
	return nil
}

// Summary implements engine.KindSummarizer: the key being retired.
func (r *IAMAccessKeyRetirement) Summary(_ *engine.Observation, st retirementState) []engine.KV {
	status := "deleted"
	if st.found {
		status = string(st.status)
	}
	return []engine.KV{{Key: "user", Value: r.cfg.Key.cfg.User}, {Key: "retiring_access_key", Value: st.retiring}, {Key: "status", Value: status}}
}
