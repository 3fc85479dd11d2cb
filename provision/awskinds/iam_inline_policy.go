package awskinds

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// iamInlinePolicyAPI lists the IAM calls IAMInlinePolicy makes.
type iamInlinePolicyAPI interface {
	userReadAPI
	roleReadAPI
	GetUserPolicy(ctx context.Context, in *iam.GetUserPolicyInput, opts ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	PutUserPolicy(ctx context.Context, in *iam.PutUserPolicyInput, opts ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error)
	DeleteUserPolicy(ctx context.Context, in *iam.DeleteUserPolicyInput, opts ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error)
	GetRolePolicy(ctx context.Context, in *iam.GetRolePolicyInput, opts ...func(*iam.Options)) (*iam.GetRolePolicyOutput, error)
	PutRolePolicy(ctx context.Context, in *iam.PutRolePolicyInput, opts ...func(*iam.Options)) (*iam.PutRolePolicyOutput, error)
	DeleteRolePolicy(ctx context.Context, in *iam.DeleteRolePolicyInput, opts ...func(*iam.Options)) (*iam.DeleteRolePolicyOutput, error)
}

// IAMInlinePolicyConfig is what an inline policy needs.
type IAMInlinePolicyConfig struct {
	Kind      PrincipalKind
	Principal string
	// Parent is the user's or role's address.
	Parent   engine.Address
	Name     string
	Document policies.Document
	// Note is shown under the policy in every plan (why it is inline).
	Note   string
	Custom bool
}

// IAMInlinePolicy is the grant as an inline policy of the user or role,
// for policy_style: inline and for S3-compatible services without managed
// policies (Versity's gateway), and the replication role's permissions.
// It is owned when its user or role is.
type IAMInlinePolicy struct {
	engine.Meta
	cfg IAMInlinePolicyConfig
	api iamInlinePolicyAPI
}

// NewIAMInlinePolicy returns the inline policy resource.
func NewIAMInlinePolicy(cfg IAMInlinePolicyConfig) *IAMInlinePolicy {
	return &IAMInlinePolicy{cfg: cfg, Meta: engine.Meta{
		Address: engine.Addr("iam_"+string(cfg.Kind)+"_policy", cfg.Principal+"/"+cfg.Name),
		After:   []engine.Address{cfg.Parent},
	}}
}

// Connect implements Connector.
func (p *IAMInlinePolicy) Connect(c *awsapi.Clients) { p.api = c.IAM }

// Document is the policy document awsboot wants.
func (p *IAMInlinePolicy) Document() policies.Document { return p.cfg.Document }

// Read implements engine.Kind. The principal and its inline policy are
// read at once: GetUserPolicy needs only the names, and its answer is
// used only when the principal exists.
func (p *IAMInlinePolicy) Read(ctx context.Context) (*engine.Observation, policies.Document, error) {
	o := &engine.Observation{DerivedOwnership: true}
	if p.cfg.Note != "" {
		o.Notes = []string{p.cfg.Note}
	}
	var (
		found        bool
		tags         map[string]string
		doc          string
		readErr, err error
	)
	principal, name := aws.String(p.cfg.Principal), aws.String(p.cfg.Name)
	if p.cfg.Kind == User {
		concurrently(
			func() {
				var st *userState
				st, readErr = readUser(ctx, p.api, p.cfg.Custom, p.cfg.Principal, "")
				if st != nil {
					found, tags = true, st.tags
				}
			},
			func() {
				var out *iam.GetUserPolicyOutput
				if out, err = p.api.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: principal, PolicyName: name}); err == nil {
					doc = aws.ToString(out.PolicyDocument)
				}
			},
		)
	} else {
		concurrently(
			func() {
				var st *roleState
				st, readErr = readRole(ctx, p.api, p.cfg.Custom, p.cfg.Principal, "")
				if st != nil {
					found, tags = true, st.tags
				}
			},
			func() {
				var out *iam.GetRolePolicyOutput
				if out, err = p.api.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: principal, PolicyName: name}); err == nil {
					doc = aws.ToString(out.PolicyDocument)
				}
			},
		)
	}
	if readErr != nil || !found {
		return o, policies.Document{}, readErr
	}
	if awsapi.IsNotFound(err) {
		return o, policies.Document{}, nil
	}
	if err != nil {
		return nil, policies.Document{}, fmt.Errorf("reading inline policy %q of %s %q: %w", p.cfg.Name, p.cfg.Kind, p.cfg.Principal, err)
	}
	parsed, err := policies.Parse(doc)
	if err != nil {
		return nil, policies.Document{}, fmt.Errorf("inline policy %q of %s %q: %w", p.cfg.Name, p.cfg.Kind, p.cfg.Principal, err)
	}
	// A CloudFormation stack that manages the user or role manages its
	// inline policy too (the template holds it).
	o.Exists, o.Owner, o.ManagedBy = true, tags[engine.StackTag], managedByTags(tags)
	return o, parsed, nil
}

// Diff implements engine.Kind.
func (p *IAMInlinePolicy) Diff(o *engine.Observation, cur policies.Document) ([]engine.FieldDiff, error) {
	if !o.Exists {
		return []engine.FieldDiff{engine.Added(engine.Path(p.cfg.Kind), p.cfg.Principal), engine.Added(pathName, p.cfg.Name), engine.Added(pathDocument, p.cfg.Document.JSON())}, nil
	}
	if !policies.Equal(cur, p.cfg.Document) {
		return []engine.FieldDiff{{Path: pathDocument, Before: cur.JSON(), After: p.cfg.Document.JSON()}}, nil
	}
	return nil, nil
}

// Create implements engine.Kind.
func (p *IAMInlinePolicy) Create(ctx context.Context, o *engine.Observation, cur policies.Document) error {
	return p.Update(ctx, o, cur, nil)
}

// Update implements engine.Kind: the whole document is put.
func (p *IAMInlinePolicy) Update(ctx context.Context, _ *engine.Observation, _ policies.Document, _ []engine.FieldDiff) error {
	var err error
	name, doc := aws.String(p.cfg.Name), aws.String(p.cfg.Document.JSON())
	if p.cfg.Kind == User {
		_, err = p.api.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(p.cfg.Principal), PolicyName: name, PolicyDocument: doc})
	} else {
		_, err = p.api.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(p.cfg.Principal), PolicyName: name, PolicyDocument: doc})
	}
	if err != nil {
		return fmt.Errorf("writing inline policy %q of %s %q: %w", p.cfg.Name, p.cfg.Kind, p.cfg.Principal, err)
	}
	return nil
}

// Delete implements engine.Kind.
func (p *IAMInlinePolicy) Delete(ctx context.Context, _ *engine.Observation, _ policies.Document) error {
	var err error
	if p.cfg.Kind == User {
		_, err = p.api.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(p.cfg.Principal), PolicyName: aws.String(p.cfg.Name)})
	} else {
		_, err = p.api.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(p.cfg.Principal), PolicyName: aws.String(p.cfg.Name)})
	}
	if err != nil && !awsapi.IsNotFound(err) {
		return fmt.Errorf("deleting inline policy %q of %s %q: %w", p.cfg.Name, p.cfg.Kind, p.cfg.Principal, err)
	}
	return nil
}

// Summary implements engine.KindSummarizer: the inline policy's user or
// role, name, and statement count.
func (p *IAMInlinePolicy) Summary(_ *engine.Observation, doc policies.Document) []engine.KV {
	return []engine.KV{
		{Key: string(p.cfg.Kind), Value: p.cfg.Principal},
		{Key: "policy_name", Value: p.cfg.Name},
		{Key: "statements", Value: strconv.Itoa(len(doc.Statement))},
	}
}
