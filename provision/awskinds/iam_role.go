package awskinds

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// iamRoleAPI lists the IAM calls IAMRole makes.
type iamRoleAPI interface {
	roleReadAPI
	CreateRole(ctx context.Context, in *iam.CreateRoleInput, opts ...func(*iam.Options)) (*iam.CreateRoleOutput, error)
	DeleteRole(ctx context.Context, in *iam.DeleteRoleInput, opts ...func(*iam.Options)) (*iam.DeleteRoleOutput, error)
	UpdateRole(ctx context.Context, in *iam.UpdateRoleInput, opts ...func(*iam.Options)) (*iam.UpdateRoleOutput, error)
	UpdateAssumeRolePolicy(ctx context.Context, in *iam.UpdateAssumeRolePolicyInput, opts ...func(*iam.Options)) (*iam.UpdateAssumeRolePolicyOutput, error)
	TagRole(ctx context.Context, in *iam.TagRoleInput, opts ...func(*iam.Options)) (*iam.TagRoleOutput, error)
	DetachRolePolicy(ctx context.Context, in *iam.DetachRolePolicyInput, opts ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, opts ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
}

// IAMRoleConfig is what the role resource needs.
type IAMRoleConfig struct {
	Stack string
	Name  string
	// ARN is the role's ARN, known before it exists.
	ARN string
	// Trust is the trust policy (who may assume the role).
	Trust policies.Document
	// MaxSession is the maximum session duration in seconds (3600 to
	// 43200, IAM's bounds).
	MaxSession int32
	// PolicyARN is the one managed policy the role may have ("" when the
	// grant is inline).
	PolicyARN string
	// InlinePolicy is the stack's inline grant's name, "" for managed.
	InlinePolicy string
	// Provider is the OIDC provider's address, "" for a service role.
	Provider engine.Address
	// Purpose says, in the role's description, who assumes it.
	Purpose string
	Custom  bool
}

// IAMRole is a role that pipelines assume with their OIDC token, or that
// an AWS service assumes (S3 replication). Its trust policy and maximum
// session are compared as data; like the user, it must hold exactly the
// stack's grant, so other attached or inline policies are drift.
type IAMRole struct {
	engine.Meta
	cfg IAMRoleConfig
	api iamRoleAPI
}

// NewIAMRole returns the role resource.
func NewIAMRole(cfg IAMRoleConfig) *IAMRole {
	r := &IAMRole{cfg: cfg, Meta: engine.Meta{Address: engine.Addr("iam_role", cfg.Name), What: fmt.Sprintf("IAM role %q", cfg.Name)}}
	if cfg.Provider != "" {
		r.After = []engine.Address{cfg.Provider}
	}
	return r
}

// Connect implements Connector.
func (r *IAMRole) Connect(c *awsapi.Clients) { r.api = c.IAM }

// ARN is the role's ARN, known before it exists.
func (r *IAMRole) ARN() string { return r.cfg.ARN }

// Name is the role's name.
func (r *IAMRole) Name() string { return r.cfg.Name }

// TrustPolicy is the trust policy awsboot wants.
func (r *IAMRole) TrustPolicy() policies.Document { return r.cfg.Trust }

// The paths IAMRole diffs besides the permission drift of principal.go.
const (
	pathTrustPolicy engine.Path = "trust_policy"
	pathMaxSession  engine.Path = "max_session_duration"
)

// Read implements engine.Kind.
func (r *IAMRole) Read(ctx context.Context) (*engine.Observation, roleState, error) {
	st, err := readRole(ctx, r.api, r.cfg.Custom, r.cfg.Name, r.cfg.PolicyARN)
	if err != nil || st == nil {
		return &engine.Observation{}, roleState{}, err
	}
	return &engine.Observation{Exists: true, Owner: st.tags[engine.StackTag], ManagedBy: managedByTags(st.tags)}, *st, nil
}

// Diff implements engine.Kind.
func (r *IAMRole) Diff(o *engine.Observation, st roleState) ([]engine.FieldDiff, error) {
	want := strconv.Itoa(int(r.cfg.MaxSession))
	if !o.Exists {
		return []engine.FieldDiff{engine.Added(pathName, r.cfg.Name), engine.Added(pathARN, r.ARN()), engine.Added(pathTrustPolicy, r.cfg.Trust.JSON()),
			engine.Added(pathMaxSession, want), engine.Added(pathStackTag, r.cfg.Stack)}, nil
	}
	var d []engine.FieldDiff
	if !policies.Equal(st.trust, r.cfg.Trust) {
		d = append(d, engine.FieldDiff{Path: pathTrustPolicy, Before: st.trust.JSON(), After: r.cfg.Trust.JSON()})
	}
	d = engine.DiffField(d, pathMaxSession, strconv.Itoa(int(st.maxSession)), want)
	d = engine.DiffField(d, pathStackTag, st.tags[engine.StackTag], r.cfg.Stack)
	return append(d, st.driftDiffs(r.cfg.InlinePolicy)...), nil
}

// Create implements engine.Kind.
func (r *IAMRole) Create(ctx context.Context, _ *engine.Observation, _ roleState) error {
	_, err := r.api.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName:                 aws.String(r.cfg.Name),
		AssumeRolePolicyDocument: aws.String(r.cfg.Trust.JSON()),
		MaxSessionDuration:       aws.Int32(r.cfg.MaxSession),
		Description:              aws.String(r.Description()),
		Tags:                     []iamtypes.Tag{tag(engine.StackTag, r.cfg.Stack)},
	})
	if err != nil && !(awsapi.IsAlreadyExists(err) && r.ownedNow(ctx)) {
		return fmt.Errorf("creating role %q: %w", r.cfg.Name, err)
	}
	return nil
}

// Update implements engine.Kind: it repairs what drifted. The tag goes
// first and alone (IAM may refuse a tag change that meets another change
// of the role with ConcurrentModification); the trust policy, the session
// limit and the policies go together after it.
func (r *IAMRole) Update(ctx context.Context, _ *engine.Observation, st roleState, diffs []engine.FieldDiff) error {
	name := aws.String(r.cfg.Name)
	if engine.Changed(diffs, pathStackTag) {
		if _, err := r.api.TagRole(ctx, &iam.TagRoleInput{RoleName: name, Tags: []iamtypes.Tag{tag(engine.StackTag, r.cfg.Stack)}}); err != nil {
			return fmt.Errorf("tagging role %q: %w", r.cfg.Name, err)
		}
	}
	return allOf(
		func() error {
			if !engine.Changed(diffs, pathTrustPolicy) {
				return nil
			}
			if _, err := r.api.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: name, PolicyDocument: aws.String(r.cfg.Trust.JSON())}); err != nil {
				return fmt.Errorf("updating trust policy of role %q: %w", r.cfg.Name, err)
			}
			return nil
		},
		func() error {
			if !engine.Changed(diffs, pathMaxSession) {
				return nil
			}
			if _, err := r.api.UpdateRole(ctx, &iam.UpdateRoleInput{RoleName: name, MaxSessionDuration: aws.Int32(r.cfg.MaxSession)}); err != nil {
				return fmt.Errorf("updating maximum session of role %q: %w", r.cfg.Name, err)
			}
			return nil
		},
		func() error { return r.strip(ctx, st.extra, st.foreignInline(r.cfg.InlinePolicy)) },
	)
}

// strip detaches managed policies and deletes inline ones, all at once.
func (r *IAMRole) strip(ctx context.Context, managed, inline []string) error {
	return allOf(
		func() error {
			return forEach(managed, func(arn string) error {
				if _, err := r.api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(r.cfg.Name), PolicyArn: aws.String(arn)}); err != nil && !awsapi.IsNotFound(err) {
					return fmt.Errorf("detaching %s from role %q: %w", arn, r.cfg.Name, err)
				}
				return nil
			})
		},
		func() error {
			return forEach(inline, func(n string) error {
				if _, err := r.api.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(r.cfg.Name), PolicyName: aws.String(n)}); err != nil && !awsapi.IsNotFound(err) {
					return fmt.Errorf("deleting inline policy %q of role %q: %w", n, r.cfg.Name, err)
				}
				return nil
			})
		},
	)
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (r *IAMRole) DestroyDescription(*engine.Observation, roleState) string {
	return "detaches its policies first; sessions already issued stay valid until they expire"
}

// Delete implements engine.Kind. Teardown deletes the role's attachment
// and inline grant before the role (they depend on it), so what is left
// is what the plan read besides them: other managed and inline policies,
// removed here without reading the role again. If IAM still refuses
// (DeleteConflict: something was added since the plan), the role is
// read afresh, stripped of every policy, and deleted once more.
func (r *IAMRole) Delete(ctx context.Context, _ *engine.Observation, st roleState) error {
	if err := r.strip(ctx, st.extra, st.foreignInline(r.cfg.InlinePolicy)); err != nil {
		return err
	}
	err := r.deleteRole(ctx)
	if awsapi.IsDeleteConflict(err) {
		fresh, rerr := readRole(ctx, r.api, r.cfg.Custom, r.cfg.Name, r.cfg.PolicyARN)
		if rerr != nil || fresh == nil {
			return rerr
		}
		managed := fresh.extra
		if fresh.attached {
			managed = append(slices.Clone(managed), r.cfg.PolicyARN)
		}
		if err := r.strip(ctx, managed, fresh.inline); err != nil {
			return err
		}
		err = r.deleteRole(ctx)
	}
	if err != nil {
		return fmt.Errorf("deleting role %q: %w", r.cfg.Name, err)
	}
	return nil
}

func (r *IAMRole) deleteRole(ctx context.Context) error {
	_, err := r.api.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(r.cfg.Name)})
	if awsapi.IsNotFound(err) {
		return nil
	}
	return err
}

// Summary implements engine.KindSummarizer: the role's ARN, whom its
// trust policy lets assume it, its maximum session, policies and tags.
func (r *IAMRole) Summary(_ *engine.Observation, st roleState) []engine.KV {
	var trusted []string
	for _, s := range st.trust.Statement {
		if s.Effect != "Allow" || s.Principal == nil {
			continue
		}
		if s.Principal.Any {
			trusted = append(trusted, "*")
		}
		for _, vals := range s.Principal.Values {
			trusted = append(trusted, vals...)
		}
	}
	kv := []engine.KV{
		{Key: "arn", Value: r.cfg.ARN},
		{Key: "trusts", Value: listWord(sortedUnique(trusted))},
		{Key: "max_session_duration", Value: seconds(st.maxSession)},
	}
	return append(kv, st.summary(r.cfg.PolicyARN)...)
}

// seconds shows a duration in seconds in the largest whole unit: "1h",
// "90m", "45s".
func seconds(n int32) string {
	switch {
	case n > 0 && n%3600 == 0:
		return fmt.Sprintf("%dh", n/3600)
	case n > 0 && n%60 == 0:
		return fmt.Sprintf("%dm", n/60)
	}
	return fmt.Sprintf("%ds", n)
}
