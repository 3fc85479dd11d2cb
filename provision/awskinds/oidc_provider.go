package awskinds

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// usesTagPrefix marks, on a shared OIDC provider, each stack that relies
// on it: an account has one provider per issuer, so several stacks share
// it and the last one to let go deletes it.
const usesTagPrefix = "awsboot:uses:"

// oidcProviderAPI lists the IAM calls OIDCProvider makes.
type oidcProviderAPI interface {
	GetOpenIDConnectProvider(ctx context.Context, in *iam.GetOpenIDConnectProviderInput, opts ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error)
	CreateOpenIDConnectProvider(ctx context.Context, in *iam.CreateOpenIDConnectProviderInput, opts ...func(*iam.Options)) (*iam.CreateOpenIDConnectProviderOutput, error)
	DeleteOpenIDConnectProvider(ctx context.Context, in *iam.DeleteOpenIDConnectProviderInput, opts ...func(*iam.Options)) (*iam.DeleteOpenIDConnectProviderOutput, error)
	AddClientIDToOpenIDConnectProvider(ctx context.Context, in *iam.AddClientIDToOpenIDConnectProviderInput, opts ...func(*iam.Options)) (*iam.AddClientIDToOpenIDConnectProviderOutput, error)
	UpdateOpenIDConnectProviderThumbprint(ctx context.Context, in *iam.UpdateOpenIDConnectProviderThumbprintInput, opts ...func(*iam.Options)) (*iam.UpdateOpenIDConnectProviderThumbprintOutput, error)
	ListOpenIDConnectProviderTags(ctx context.Context, in *iam.ListOpenIDConnectProviderTagsInput, opts ...func(*iam.Options)) (*iam.ListOpenIDConnectProviderTagsOutput, error)
	TagOpenIDConnectProvider(ctx context.Context, in *iam.TagOpenIDConnectProviderInput, opts ...func(*iam.Options)) (*iam.TagOpenIDConnectProviderOutput, error)
	UntagOpenIDConnectProvider(ctx context.Context, in *iam.UntagOpenIDConnectProviderInput, opts ...func(*iam.Options)) (*iam.UntagOpenIDConnectProviderOutput, error)
	ListRoles(ctx context.Context, in *iam.ListRolesInput, opts ...func(*iam.Options)) (*iam.ListRolesOutput, error)
}

// OIDCProviderConfig is what the provider resource needs.
type OIDCProviderConfig struct {
	Stack string
	// Issuer is the provider URL, without a trailing slash.
	Issuer string
	// Host is the issuer without its scheme: the provider's name in IAM.
	Host string
	// ARN is the provider's ARN (Account.IAMARN("oidc-provider/"+Host)).
	ARN string
	// Audiences are the client IDs the stack's roles need.
	Audiences []string
	// Thumbprints, when set, are the only ones the provider may have.
	Thumbprints []string
	// Roles are this stack's roles that trust the provider (AddRole):
	// teardown deletes them first, so only other roles keep it.
	Roles []string
}

// OIDCProvider is the account's IAM OpenID Connect provider for one
// issuer. It is shared: an existing provider is reused (a missing
// audience is added), never duplicated; awsboot deletes only a provider it
// created, once no stack uses it and no role trusts it.
type OIDCProvider struct {
	engine.Meta
	cfg OIDCProviderConfig
	api oidcProviderAPI
}

// NewOIDCProvider returns the provider resource.
func NewOIDCProvider(cfg OIDCProviderConfig) *OIDCProvider {
	cfg.Audiences, cfg.Thumbprints = sortedUnique(cfg.Audiences), NormThumbprints(cfg.Thumbprints)
	return &OIDCProvider{cfg: cfg, Meta: engine.Meta{Address: engine.Addr("iam_oidc_provider", cfg.Host), What: "IAM OIDC provider " + cfg.Issuer}}
}

// Merge adds another role's audience and thumbprints: an account has one
// provider per issuer, shared by every role that trusts it.
func (p *OIDCProvider) Merge(audience string, thumbprints []string) {
	p.cfg.Audiences = sortedUnique(append(p.cfg.Audiences, audience))
	p.cfg.Thumbprints = NormThumbprints(append(p.cfg.Thumbprints, thumbprints...))
}

// AddRole records that this stack's role name trusts the provider.
func (p *OIDCProvider) AddRole(name string) { p.cfg.Roles = append(p.cfg.Roles, name) }

// Connect implements Connector.
func (p *OIDCProvider) Connect(c *awsapi.Clients) { p.api = c.IAM }

// ARN is the provider's ARN, known before it exists.
func (p *OIDCProvider) ARN() string { return p.cfg.ARN }

type providerState struct {
	clientIDs   []string
	thumbprints []string
	tags        map[string]string
	// othersTrusting are the roles, not this stack's, that trust the
	// provider: read by a teardown plan only when it would delete it.
	othersTrusting []string
}

func (p *OIDCProvider) usesTag() string { return usesTagPrefix + p.cfg.Stack }

// The paths OIDCProvider diffs.
const (
	pathURL         engine.Path = "url"
	pathClientIDs   engine.Path = "client_ids"
	pathThumbprints engine.Path = "thumbprints"
)

// Read implements engine.Kind. Ownership: this stack "owns" its use of the
// provider (the uses tag); whether the provider itself may go is decided
// at delete time.
func (p *OIDCProvider) Read(ctx context.Context) (*engine.Observation, providerState, error) {
	out, err := p.api.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(p.ARN())})
	if awsapi.IsNotFound(err) {
		return &engine.Observation{DerivedOwnership: true}, providerState{}, nil
	}
	if err != nil {
		return nil, providerState{}, fmt.Errorf("reading OIDC provider %s: %w", p.ARN(), err)
	}
	st := providerState{clientIDs: sortedUnique(out.ClientIDList), thumbprints: NormThumbprints(out.ThumbprintList), tags: map[string]string{}}
	// GetOpenIDConnectProvider answers with the provider's tags
	// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetOpenIDConnectProvider.html;
	// Terraform's aws_iam_openid_connect_provider reads them there), the
	// whole list (no marker; at most 50 tags,
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
	// The listing is asked only when it showed none, for services that
	// leave them out.
	tags := out.Tags
	if len(tags) == 0 {
		listed, err := p.api.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(p.ARN())})
		if err != nil {
			return nil, providerState{}, fmt.Errorf("reading tags of OIDC provider %s: %w", p.ARN(), err)
		}
		tags = listed.Tags
	}
	for _, t := range tags {
		st.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	// A provider a CloudFormation stack manages is left alone entirely:
	// teardown neither deletes it nor removes a uses tag, and no stack
	// adds one (Diff), since a tag the template does not list is drift
	// to CloudFormation.
	o := &engine.Observation{Exists: true, DerivedOwnership: true, ManagedBy: managedByTags(st.tags)}
	// This stack uses the provider when its uses tag is there, or when
	// this stack created it and no stack's uses tag is left: the state an
	// older awsboot left when a teardown stopped between untagging and
	// deleting, which would otherwise orphan the provider.
	if st.tags[p.usesTag()] != "" || st.tags[engine.StackTag] == p.cfg.Stack && len(st.users()) == 0 {
		o.Owner = p.cfg.Stack
	}
	if st.tags[engine.StackTag] == "" {
		o.Notes = append(o.Notes, "this provider was not created by awsboot: it is reused and never deleted by awsboot")
	}
	if mode, planning := engine.PlanMode(ctx); planning && mode == engine.ModeDestroy && o.Owner == p.cfg.Stack && o.ManagedBy == "" && p.deletable(st) {
		// Delete keeps a provider some role still trusts (IAM would
		// leave that role unusable): the plan says so now, and a
		// provider only this keeps is no change at all, so teardown
		// converges instead of "destroying" it on every run.
		trusting, err := rolesTrusting(ctx, p.api, p.ARN())
		if err != nil {
			return nil, providerState{}, err
		}
		st.othersTrusting = slices.DeleteFunc(trusting, func(r string) bool { return slices.Contains(p.cfg.Roles, r) })
		if len(st.othersTrusting) > 0 && st.tags[p.usesTag()] == "" {
			o.KeepReason = fmt.Sprintf("role %s, not this stack's, still trusts it: the provider stays until no role does", strings.Join(st.othersTrusting, ", "))
		}
	}
	return o, st, nil
}

// deletable is whether teardown may delete the provider, as far as its
// tags say: awsboot created it and no other stack uses it.
func (p *OIDCProvider) deletable(st providerState) bool {
	return st.tags[engine.StackTag] != "" && !slices.ContainsFunc(st.users(), func(s string) bool { return s != p.cfg.Stack })
}

// Diff implements engine.Kind. Thumbprints are compared as a set and only
// when the spec lists them, so an equivalent list returned in another
// order, or one AWS filled in itself, never shows as a change. The uses
// tag is wanted only on a provider awsboot created and no CloudFormation
// stack manages.
func (p *OIDCProvider) Diff(o *engine.Observation, st providerState) ([]engine.FieldDiff, error) {
	if !o.Exists {
		d := []engine.FieldDiff{engine.Added(pathURL, p.cfg.Issuer), engine.Added(pathClientIDs, strings.Join(p.cfg.Audiences, ", "))}
		if len(p.cfg.Thumbprints) > 0 {
			d = append(d, engine.Added(pathThumbprints, strings.Join(p.cfg.Thumbprints, ", ")))
		}
		return append(d, engine.Added(pathStackTag, p.cfg.Stack), engine.Added(pathTags.Key(p.usesTag()), "true")), nil
	}
	var d []engine.FieldDiff
	for _, a := range p.cfg.Audiences {
		if !slices.Contains(st.clientIDs, a) {
			d = append(d, engine.Added(pathClientIDs, a))
		}
	}
	if len(p.cfg.Thumbprints) > 0 {
		d = engine.DiffField(d, pathThumbprints, strings.Join(st.thumbprints, ", "), strings.Join(p.cfg.Thumbprints, ", "))
	}
	if st.tags[engine.StackTag] != "" && cloudFormationStack(st.tags) == "" {
		d = engine.DiffField(d, pathTags.Key(p.usesTag()), st.tags[p.usesTag()], "true")
	}
	return d, nil
}

// Create implements engine.Kind.
func (p *OIDCProvider) Create(ctx context.Context, _ *engine.Observation, _ providerState) error {
	in := &iam.CreateOpenIDConnectProviderInput{
		Url:          aws.String(p.cfg.Issuer),
		ClientIDList: p.cfg.Audiences,
		Tags:         []iamtypes.Tag{tag(engine.StackTag, p.cfg.Stack), tag(p.usesTag(), "true")},
	}
	if len(p.cfg.Thumbprints) > 0 {
		in.ThumbprintList = p.cfg.Thumbprints
	}
	if _, err := p.api.CreateOpenIDConnectProvider(ctx, in); err != nil && !(awsapi.IsAlreadyExists(err) && p.ownedNow(ctx)) {
		return fmt.Errorf("creating OIDC provider %s: %w", p.cfg.Issuer, err)
	}
	return nil
}

// Update implements engine.Kind.
func (p *OIDCProvider) Update(ctx context.Context, _ *engine.Observation, _ providerState, diffs []engine.FieldDiff) error {
	arn := aws.String(p.ARN())
	for _, d := range diffs {
		switch {
		case d.Path == pathClientIDs:
			if _, err := p.api.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String(d.After)}); err != nil {
				return fmt.Errorf("adding audience %s to OIDC provider %s: %w", d.After, p.ARN(), err)
			}
		case d.Path == pathThumbprints:
			if _, err := p.api.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: p.cfg.Thumbprints}); err != nil {
				return fmt.Errorf("updating thumbprints of OIDC provider %s: %w", p.ARN(), err)
			}
		case engine.Changed([]engine.FieldDiff{d}, pathTags):
			if _, err := p.api.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, Tags: []iamtypes.Tag{tag(p.usesTag(), "true")}}); err != nil {
				return fmt.Errorf("tagging OIDC provider %s: %w", p.ARN(), err)
			}
		}
	}
	return nil
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (p *OIDCProvider) DestroyDescription(_ *engine.Observation, st providerState) string {
	others := slices.DeleteFunc(st.users(), func(s string) bool { return s == p.cfg.Stack })
	if len(others) > 0 {
		return fmt.Sprintf("only this stack's use of it ends: stack %s still uses the provider, so it stays", strings.Join(others, ", "))
	}
	if st.tags[engine.StackTag] == "" {
		return "only this stack's use of it ends: the provider was not created by awsboot, so it stays"
	}
	if len(st.othersTrusting) > 0 {
		return fmt.Sprintf("only this stack's use of it ends: role %s, not this stack's, still trusts it, so the provider stays", strings.Join(st.othersTrusting, ", "))
	}
	return "deletes the provider unless a role outside this stack still trusts it"
}

// Delete implements engine.Kind: it ends this stack's use, and deletes the
// provider only when awsboot created it, no other stack uses it, and no
// role trusts it any more (this stack's roles are gone by now: they
// depend on the provider, so teardown removes them first).
func (p *OIDCProvider) Delete(ctx context.Context, _ *engine.Observation, st providerState) error {
	arn := aws.String(p.ARN())
	// Decide first, then make one call: either the provider goes (with
	// its tags), or only this stack's uses tag does. Untagging first and
	// deleting after would leave, when stopped in between, a provider
	// nobody uses and no teardown deletes.
	deletable := p.deletable(st)
	if deletable {
		trusting, err := rolesTrusting(ctx, p.api, p.ARN())
		if err != nil {
			return err
		}
		deletable = len(trusting) == 0
	}
	if deletable {
		if _, err := p.api.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}); err != nil && !awsapi.IsNotFound(err) {
			return fmt.Errorf("deleting OIDC provider %s: %w", p.ARN(), err)
		}
		return nil
	}
	if st.tags[p.usesTag()] == "" {
		return nil
	}
	if _, err := p.api.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, TagKeys: []string{p.usesTag()}}); err != nil && !awsapi.IsNotFound(err) {
		return fmt.Errorf("untagging OIDC provider %s: %w", p.ARN(), err)
	}
	return nil
}

// users are the stacks whose uses tag is on the provider.
func (st providerState) users() []string {
	var out []string
	for k := range st.tags {
		if name, ok := strings.CutPrefix(k, usesTagPrefix); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// rolesTrusting lists the roles whose trust policy names the provider as
// a federated principal.
func rolesTrusting(ctx context.Context, api iam.ListRolesAPIClient, providerARN string) ([]string, error) {
	var out []string
	pg := iam.NewListRolesPaginator(api, &iam.ListRolesInput{})
	for pg.HasMorePages() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing roles: %w", err)
		}
		for _, r := range page.Roles {
			doc, err := policies.Parse(aws.ToString(r.AssumeRolePolicyDocument))
			if err != nil {
				continue
			}
			for _, s := range doc.Statement {
				if s.Principal != nil && slices.Contains(s.Principal.Values["Federated"], providerARN) {
					out = append(out, aws.ToString(r.RoleName))
				}
			}
		}
	}
	return out, nil
}

// UsesTag is the tag by which stack marks its use of a shared OIDC
// provider ("awsboot:uses:<stack>").
func UsesTag(stack string) string { return usesTagPrefix + stack }

// Summary implements engine.KindSummarizer: the provider's ARN, issuer,
// audiences and thumbprints, the stack that created it (none when made
// by hand) and the stacks that use it.
func (p *OIDCProvider) Summary(_ *engine.Observation, st providerState) []engine.KV {
	created := st.tags[engine.StackTag]
	if created == "" {
		created = "not awsboot (reused, never deleted)"
	}
	return []engine.KV{
		{Key: "arn", Value: p.ARN()},
		{Key: string(pathURL), Value: p.cfg.Issuer},
		{Key: string(pathClientIDs), Value: listWord(st.clientIDs)},
		{Key: string(pathThumbprints), Value: listWord(st.thumbprints)},
		{Key: "created_by_stack", Value: created},
		{Key: "used_by_stacks", Value: listWord(st.users())},
	}
}
