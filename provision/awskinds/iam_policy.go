package awskinds

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// iamPolicyAPI lists the IAM calls IAMPolicy makes.
type iamPolicyAPI interface {
	GetPolicy(ctx context.Context, in *iam.GetPolicyInput, opts ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	GetPolicyVersion(ctx context.Context, in *iam.GetPolicyVersionInput, opts ...func(*iam.Options)) (*iam.GetPolicyVersionOutput, error)
	CreatePolicy(ctx context.Context, in *iam.CreatePolicyInput, opts ...func(*iam.Options)) (*iam.CreatePolicyOutput, error)
	CreatePolicyVersion(ctx context.Context, in *iam.CreatePolicyVersionInput, opts ...func(*iam.Options)) (*iam.CreatePolicyVersionOutput, error)
	ListPolicyVersions(ctx context.Context, in *iam.ListPolicyVersionsInput, opts ...func(*iam.Options)) (*iam.ListPolicyVersionsOutput, error)
	DeletePolicyVersion(ctx context.Context, in *iam.DeletePolicyVersionInput, opts ...func(*iam.Options)) (*iam.DeletePolicyVersionOutput, error)
	DeletePolicy(ctx context.Context, in *iam.DeletePolicyInput, opts ...func(*iam.Options)) (*iam.DeletePolicyOutput, error)
	ListPolicyTags(ctx context.Context, in *iam.ListPolicyTagsInput, opts ...func(*iam.Options)) (*iam.ListPolicyTagsOutput, error)
	TagPolicy(ctx context.Context, in *iam.TagPolicyInput, opts ...func(*iam.Options)) (*iam.TagPolicyOutput, error)
	ListEntitiesForPolicy(ctx context.Context, in *iam.ListEntitiesForPolicyInput, opts ...func(*iam.Options)) (*iam.ListEntitiesForPolicyOutput, error)
	DetachUserPolicy(ctx context.Context, in *iam.DetachUserPolicyInput, opts ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error)
	DetachRolePolicy(ctx context.Context, in *iam.DetachRolePolicyInput, opts ...func(*iam.Options)) (*iam.DetachRolePolicyOutput, error)
	DetachGroupPolicy(ctx context.Context, in *iam.DetachGroupPolicyInput, opts ...func(*iam.Options)) (*iam.DetachGroupPolicyOutput, error)
}

// IAMPolicyConfig is what the managed policy resource needs.
type IAMPolicyConfig struct {
	Stack string
	Name  string
	// ARN is the policy's ARN, known before it exists
	// (Account.IAMARN("policy/"+Name)).
	ARN         string
	Description string
	// Document is the grant, already checked by policies.Lint.
	Document policies.Document
}

// IAMPolicy is a customer managed policy holding one grant.
type IAMPolicy struct {
	engine.Meta
	cfg IAMPolicyConfig
	api iamPolicyAPI
}

// NewIAMPolicy returns the managed policy resource.
func NewIAMPolicy(cfg IAMPolicyConfig) *IAMPolicy {
	return &IAMPolicy{Meta: engine.Meta{Address: engine.Addr("iam_policy", cfg.Name), What: fmt.Sprintf("IAM policy %q", cfg.Name)}, cfg: cfg}
}

// Connect implements Connector.
func (p *IAMPolicy) Connect(c *awsapi.Clients) { p.api = c.IAM }

// ARN is the policy's ARN, known before it exists.
func (p *IAMPolicy) ARN() string { return p.cfg.ARN }

// Name is the policy's name.
func (p *IAMPolicy) Name() string { return p.cfg.Name }

// Document is the policy document awsboot wants.
func (p *IAMPolicy) Document() policies.Document { return p.cfg.Document }

type policyState struct {
	doc            policies.Document
	defaultVersion string
	tags           map[string]string
	// attachments is GetPolicy's AttachmentCount, for Summary.
	attachments int32
	// lone is what teardown's plan saw: attached at most once (the
	// stack's own attachment, which goes first) and with one version,
	// so DeletePolicy alone will do.
	lone bool
	// markStack and markCFNStack are what the description's
	// CloudFormation mark names (ParseCloudFormationPolicyDescription):
	// the awsboot stack and the CloudFormation stack; "" without a mark.
	markStack, markCFNStack string
}

// observation is what the engine sees of an existing policy. Its owner
// is its awsboot:stack tag or, for a policy without one, the awsboot
// stack its description's CloudFormation mark names; a CloudFormation
// stack manages it when the mark or a tag (cloudFormationStack) says so.
func (st policyState) observation() *engine.Observation {
	o := &engine.Observation{Exists: true, Owner: st.tags[engine.StackTag]}
	if o.Owner == "" {
		o.Owner = st.markStack
	}
	cfn := st.markCFNStack
	if cfn == "" {
		cfn = cloudFormationStack(st.tags)
	}
	o.ManagedBy = managedByCloudFormation(cfn)
	if st.markStack != "" && st.tags[engine.StackTag] == "" {
		o.Notes = []string{fmt.Sprintf("its description marks it as CloudFormation stack %q's for awsboot stack %q: "+
			"CloudFormation cannot tag a managed policy (AWS::IAM::ManagedPolicy has no Tags), so awsboot does not add the %s tag either",
			st.markCFNStack, st.markStack, engine.StackTag)}
	}
	return o
}

// The paths IAMPolicy diffs.
const (
	pathARN      engine.Path = "arn"
	pathDocument engine.Path = "document"
)

// Read implements engine.Kind. GetPolicy answers the default version's
// id and the tags; the document needs that id, so a read is two round
// trips: GetPolicy, then GetPolicyVersion (with ListPolicyTags beside it
// when GetPolicy showed no tags and no CloudFormation mark). Teardown's
// plan reads the versions instead of the document, beside GetPolicy: one
// round trip.
func (p *IAMPolicy) Read(ctx context.Context) (*engine.Observation, policyState, error) {
	arn := aws.String(p.ARN())
	mode, planning := engine.PlanMode(ctx)
	destroying := planning && mode == engine.ModeDestroy
	var (
		out              *iam.GetPolicyOutput
		vs               *iam.ListPolicyVersionsOutput
		err, versionsErr error
	)
	if destroying {
		// Teardown needs the owner, not the document: whether the
		// policy has other versions tells it how to delete. The listing
		// needs only the ARN, so it goes with GetPolicy: one round trip.
		concurrently(
			func() { out, err = p.api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn}) },
			func() { vs, versionsErr = p.api.ListPolicyVersions(ctx, &iam.ListPolicyVersionsInput{PolicyArn: arn}) },
		)
	} else {
		out, err = p.api.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: arn})
	}
	if awsapi.IsNotFound(err) {
		return &engine.Observation{}, policyState{}, nil
	}
	if err != nil {
		return nil, policyState{}, fmt.Errorf("reading policy %s: %w", p.ARN(), err)
	}
	st := policyState{defaultVersion: aws.ToString(out.Policy.DefaultVersionId), tags: map[string]string{}, attachments: aws.ToInt32(out.Policy.AttachmentCount)}
	// GetPolicy answers the description too (Policy, IAM API Reference:
	// "included in the response to the GetPolicy operation"): a policy a
	// CloudFormation stack made from awsboot's template carries its mark
	// there, having no tags.
	st.markStack, st.markCFNStack, _ = ParseCloudFormationPolicyDescription(aws.ToString(out.Policy.Description))
	addTags := func(tags []iamtypes.Tag) {
		for _, t := range tags {
			st.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	// GetPolicy answers with the policy's tags (the Tags of IAM's Policy
	// type, https://docs.aws.amazon.com/IAM/latest/APIReference/API_Policy.html;
	// Terraform's aws_iam_policy reads them there), the whole list (no
	// marker; at most 50 tags per policy,
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
	// ListPolicyTags is asked only when it showed none, for services that
	// leave them out, and not for a policy whose description carries the
	// CloudFormation mark: only AWS's CloudFormation makes one, and AWS's
	// GetPolicy leaves no tag out, so a converged plan of a CloudFormation
	// stack makes no more requests than one of a stack awsboot created.
	addTags(out.Policy.Tags)
	var v *iam.GetPolicyVersionOutput
	var tagsErr, docErr error
	var fns []func()
	if !destroying {
		fns = append(fns, func() {
			v, docErr = p.api.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: arn, VersionId: out.Policy.DefaultVersionId})
		})
	}
	if len(out.Policy.Tags) == 0 && st.markStack == "" {
		fns = append(fns, func() {
			var tags *iam.ListPolicyTagsOutput
			if tags, tagsErr = p.api.ListPolicyTags(ctx, &iam.ListPolicyTagsInput{PolicyArn: arn}); tagsErr == nil {
				addTags(tags.Tags)
			}
		})
	}
	concurrently(fns...)
	if tagsErr != nil {
		return nil, policyState{}, fmt.Errorf("reading tags of policy %s: %w", p.ARN(), tagsErr)
	}
	if docErr != nil {
		return nil, policyState{}, fmt.Errorf("reading document of policy %s: %w", p.ARN(), docErr)
	}
	if destroying {
		if versionsErr != nil {
			return nil, policyState{}, fmt.Errorf("listing versions of policy %s: %w", p.ARN(), versionsErr)
		}
		st.lone = aws.ToInt32(out.Policy.AttachmentCount) <= 1 && len(vs.Versions) == 1 && !vs.IsTruncated
		return st.observation(), st, nil
	}
	st.doc, err = policies.Parse(aws.ToString(v.PolicyVersion.Document))
	if err != nil {
		return nil, policyState{}, fmt.Errorf("policy %s: %w", p.ARN(), err)
	}
	return st.observation(), st, nil
}

// Diff implements engine.Kind. Documents are compared as data, so a
// reordered or re-encoded but equivalent document is no change. A policy
// whose description carries the CloudFormation mark is owned through the
// mark, so its missing awsboot:stack tag is no change: TagPolicy would be
// drift to the CloudFormation stack, whose template can hold no tag.
func (p *IAMPolicy) Diff(o *engine.Observation, st policyState) ([]engine.FieldDiff, error) {
	if !o.Exists {
		return []engine.FieldDiff{engine.Added(pathName, p.cfg.Name), engine.Added(pathARN, p.ARN()),
			engine.Added(pathDocument, p.cfg.Document.JSON()), engine.Added(pathStackTag, p.cfg.Stack)}, nil
	}
	var d []engine.FieldDiff
	if !policies.Equal(st.doc, p.cfg.Document) {
		d = append(d, engine.FieldDiff{Path: pathDocument, Before: st.doc.JSON(), After: p.cfg.Document.JSON()})
	}
	if st.markStack != "" {
		return d, nil
	}
	return engine.DiffField(d, pathStackTag, st.tags[engine.StackTag], p.cfg.Stack), nil
}

// Create implements engine.Kind.
func (p *IAMPolicy) Create(ctx context.Context, _ *engine.Observation, _ policyState) error {
	_, err := p.api.CreatePolicy(ctx, &iam.CreatePolicyInput{
		PolicyName:     aws.String(p.cfg.Name),
		PolicyDocument: aws.String(p.cfg.Document.JSON()),
		Description:    aws.String(p.cfg.Description),
		Tags:           []iamtypes.Tag{tag(engine.StackTag, p.cfg.Stack)},
	})
	if err != nil && !(awsapi.IsAlreadyExists(err) && p.ownedNow(ctx)) {
		return fmt.Errorf("creating policy %q: %w", p.cfg.Name, err)
	}
	return nil
}

// Update implements engine.Kind: a changed document becomes a new default
// version (IAM keeps at most five, so the oldest non-default one goes
// first when needed). The tag and the version listing go together; the
// new version waits for the listing, not for the tag.
func (p *IAMPolicy) Update(ctx context.Context, _ *engine.Observation, _ policyState, diffs []engine.FieldDiff) error {
	var versions []iamtypes.PolicyVersion
	err := allOf(
		func() error {
			if !engine.Changed(diffs, pathStackTag) {
				return nil
			}
			_, err := p.api.TagPolicy(ctx, &iam.TagPolicyInput{PolicyArn: aws.String(p.ARN()), Tags: []iamtypes.Tag{tag(engine.StackTag, p.cfg.Stack)}})
			if err != nil {
				return fmt.Errorf("tagging policy %s: %w", p.ARN(), err)
			}
			return nil
		},
		func() (err error) {
			if !engine.Changed(diffs, pathDocument) {
				return nil
			}
			versions, err = p.nonDefaultVersions(ctx)
			return err
		})
	if err != nil || !engine.Changed(diffs, pathDocument) {
		return err
	}
	if len(versions) >= 4 {
		if err := p.deleteVersion(ctx, versions[0]); err != nil {
			return err
		}
	}
	_, err = p.api.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{
		PolicyArn: aws.String(p.ARN()), PolicyDocument: aws.String(p.cfg.Document.JSON()), SetAsDefault: true,
	}, noRetry)
	if err != nil {
		return fmt.Errorf("updating document of policy %s: %w", p.ARN(), err)
	}
	return nil
}

// nonDefaultVersions lists the policy's non-default versions, oldest first.
func (p *IAMPolicy) nonDefaultVersions(ctx context.Context) ([]iamtypes.PolicyVersion, error) {
	var out []iamtypes.PolicyVersion
	pg := iam.NewListPolicyVersionsPaginator(p.api, &iam.ListPolicyVersionsInput{PolicyArn: aws.String(p.ARN())})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing versions of policy %s: %w", p.ARN(), err)
		}
		for _, v := range page.Versions {
			if !v.IsDefaultVersion {
				out = append(out, v)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return aws.ToTime(out[i].CreateDate).Before(aws.ToTime(out[j].CreateDate)) })
	return out, nil
}

func (p *IAMPolicy) deleteVersion(ctx context.Context, v iamtypes.PolicyVersion) error {
	_, err := p.api.DeletePolicyVersion(ctx, &iam.DeletePolicyVersionInput{PolicyArn: aws.String(p.ARN()), VersionId: v.VersionId})
	if err != nil && !awsapi.IsNotFound(err) {
		return fmt.Errorf("deleting version %s of policy %s: %w", aws.ToString(v.VersionId), p.ARN(), err)
	}
	return nil
}

// Delete implements engine.Kind. IAM refuses to delete a policy that is
// attached or has other versions, so it is detached from every entity
// (it is this stack's policy: anything attached to it relies on awsboot's
// grant) and its non-default versions are deleted first. The two
// listings go together, then the detaches and deletes, then the policy.
func (p *IAMPolicy) Delete(ctx context.Context, _ *engine.Observation, st policyState) error {
	arn := aws.String(p.ARN())
	var err error
	if st.lone {
		// The plan saw the policy attached at most once, which is the
		// stack's attachment (gone by now: it goes first), and with one
		// version: delete at once. Should something have changed since,
		// IAM refuses with DeleteConflict (DeletePolicy, IAM API
		// Reference), and the full way below runs.
		_, err = p.api.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn})
		switch {
		case err == nil || awsapi.IsNotFound(err):
			return nil
		case !awsapi.IsDeleteConflict(err):
			return fmt.Errorf("deleting policy %s: %w", p.ARN(), err)
		}
	}
	// Either listing may be the one to find the policy gone.
	var noEntities, noVersions bool
	err = allOf(
		func() error {
			pg := iam.NewListEntitiesForPolicyPaginator(p.api, &iam.ListEntitiesForPolicyInput{PolicyArn: arn})
			var detaches []func() error
			for pg.HasMorePages() {
				ents, err := pg.NextPage(ctx)
				if awsapi.IsNotFound(err) {
					noEntities = true
					return nil
				}
				if err != nil {
					return fmt.Errorf("listing entities of policy %s: %w", p.ARN(), err)
				}
				for _, u := range ents.PolicyUsers {
					detaches = append(detaches, func() error {
						if _, err := p.api.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{PolicyArn: arn, UserName: u.UserName}); err != nil && !awsapi.IsNotFound(err) {
							return fmt.Errorf("detaching policy %s from user %s: %w", p.ARN(), aws.ToString(u.UserName), err)
						}
						return nil
					})
				}
				for _, r := range ents.PolicyRoles {
					detaches = append(detaches, func() error {
						if _, err := p.api.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{PolicyArn: arn, RoleName: r.RoleName}); err != nil && !awsapi.IsNotFound(err) {
							return fmt.Errorf("detaching policy %s from role %s: %w", p.ARN(), aws.ToString(r.RoleName), err)
						}
						return nil
					})
				}
				for _, g := range ents.PolicyGroups {
					detaches = append(detaches, func() error {
						if _, err := p.api.DetachGroupPolicy(ctx, &iam.DetachGroupPolicyInput{PolicyArn: arn, GroupName: g.GroupName}); err != nil && !awsapi.IsNotFound(err) {
							return fmt.Errorf("detaching policy %s from group %s: %w", p.ARN(), aws.ToString(g.GroupName), err)
						}
						return nil
					})
				}
			}
			return forEach(detaches, func(detach func() error) error { return detach() })
		},
		func() error {
			versions, err := p.nonDefaultVersions(ctx)
			if awsapi.IsNotFound(err) {
				noVersions = true
				return nil
			}
			if err != nil {
				return err
			}
			return forEach(versions, func(v iamtypes.PolicyVersion) error { return p.deleteVersion(ctx, v) })
		})
	if noEntities || noVersions {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := p.api.DeletePolicy(ctx, &iam.DeletePolicyInput{PolicyArn: arn}); err != nil && !awsapi.IsNotFound(err) {
		return fmt.Errorf("deleting policy %s: %w", p.ARN(), err)
	}
	return nil
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (p *IAMPolicy) DestroyDescription(*engine.Observation, policyState) string {
	return "detaches it from every user, role and group and deletes its old versions first"
}

// Summary implements engine.KindSummarizer: the policy's ARN, default
// version, how many users, roles and groups it is attached to, and tags.
func (p *IAMPolicy) Summary(_ *engine.Observation, st policyState) []engine.KV {
	kv := []engine.KV{
		{Key: "arn", Value: p.ARN()},
		{Key: "default_version", Value: st.defaultVersion},
		{Key: "attachments", Value: strconv.Itoa(int(st.attachments))},
	}
	return append(kv, tagsKV(st.tags)...)
}
