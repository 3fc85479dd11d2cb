package provision

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsboot/awsboot/policies"
)

// usesTagPrefix marks, on a shared OIDC provider, each stack that relies
// on it: an account has one provider per issuer, so several stacks share
// it and the last one to let go deletes it.
const usesTagPrefix = "awsboot:uses:"

// OIDCProvider is the account's IAM OpenID Connect provider for one
// issuer. It is shared: an existing provider is reused (a missing
// audience is added), never duplicated; awsboot deletes only a provider it
// created, once no stack uses it and no role trusts it.
type OIDCProvider struct {
	c           *Clients
	stack       string
	issuer      string
	audiences   []string
	thumbprints []string
}

// NewOIDCProvider returns the provider for an issuer with the audiences
// the stack's roles need.
func NewOIDCProvider(c *Clients, stack, issuer string, audiences, thumbprints []string) *OIDCProvider {
	return &OIDCProvider{c: c, stack: stack, issuer: strings.TrimSuffix(issuer, "/"), audiences: sortedUnique(audiences), thumbprints: normThumbprints(thumbprints)}
}

// ARN is the provider's ARN, known before it exists.
func (p *OIDCProvider) ARN() string {
	return fmt.Sprintf("arn:%s:iam::%s:oidc-provider/%s", p.c.Partition(), p.c.AccountID, issuerHost(p.issuer))
}

type providerState struct {
	clientIDs   []string
	thumbprints []string
	tags        map[string]string
}

// Addr implements Resource.
func (p *OIDCProvider) Addr() Address { return Addr("iam_oidc_provider", issuerHost(p.issuer)) }

// DependsOn implements Resource.
func (p *OIDCProvider) DependsOn() []Address { return nil }

// Describe names the provider in messages.
func (p *OIDCProvider) Describe() string { return fmt.Sprintf("IAM OIDC provider %s", p.issuer) }

func (p *OIDCProvider) usesTag() string { return usesTagPrefix + p.stack }

// Read implements Resource. Ownership: this stack "owns" its use of the
// provider (the uses tag); whether the provider itself may go is decided
// at delete time.
func (p *OIDCProvider) Read(ctx context.Context) (*Observation, error) {
	out, err := p.c.IAM.GetOpenIDConnectProvider(ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(p.ARN())})
	if isIAMNotFound(err) {
		return &Observation{DerivedOwnership: true}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading OIDC provider %s: %w", p.ARN(), err)
	}
	st := providerState{clientIDs: sortedUnique(out.ClientIDList), thumbprints: normThumbprints(out.ThumbprintList), tags: map[string]string{}}
	tags, err := p.c.IAM.ListOpenIDConnectProviderTags(ctx, &iam.ListOpenIDConnectProviderTagsInput{OpenIDConnectProviderArn: aws.String(p.ARN())})
	if err != nil {
		return nil, fmt.Errorf("reading tags of OIDC provider %s: %w", p.ARN(), err)
	}
	for _, t := range tags.Tags {
		st.tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	o := &Observation{Exists: true, DerivedOwnership: true, Data: st}
	if st.tags[p.usesTag()] != "" {
		o.Owner = p.stack
	}
	if st.tags[StackTag] == "" {
		o.Notes = append(o.Notes, "this provider was not created by awsboot: it is reused and never deleted by awsboot")
	}
	return o, nil
}

// Diff implements Resource. Thumbprints are compared as a set and only
// when the spec lists them, so an equivalent list returned in another
// order, or one AWS filled in itself, never shows as a change.
func (p *OIDCProvider) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		d := createFields("url", p.issuer, "client_ids", strings.Join(p.audiences, ", "))
		if len(p.thumbprints) > 0 {
			d = append(d, FieldDiff{Path: "thumbprints", After: strings.Join(p.thumbprints, ", ")})
		}
		return append(d, createFields("tags."+StackTag, p.stack, "tags."+p.usesTag(), "true")...), nil
	}
	st := o.Data.(providerState)
	var d []FieldDiff
	for _, a := range p.audiences {
		if !contains(st.clientIDs, a) {
			d = append(d, FieldDiff{Path: "client_ids", After: a})
		}
	}
	if len(p.thumbprints) > 0 {
		d = diffField(d, "thumbprints", strings.Join(st.thumbprints, ", "), strings.Join(p.thumbprints, ", "))
	}
	if st.tags[StackTag] != "" {
		d = diffField(d, "tags."+p.usesTag(), st.tags[p.usesTag()], "true")
	}
	return d, nil
}

// Create implements Resource.
func (p *OIDCProvider) Create(ctx context.Context, _ *Observation) error {
	in := &iam.CreateOpenIDConnectProviderInput{
		Url:          aws.String(p.issuer),
		ClientIDList: p.audiences,
		Tags: []iamtypes.Tag{
			{Key: aws.String(StackTag), Value: aws.String(p.stack)},
			{Key: aws.String(p.usesTag()), Value: aws.String("true")},
		},
	}
	if len(p.thumbprints) > 0 {
		in.ThumbprintList = p.thumbprints
	}
	if _, err := p.c.IAM.CreateOpenIDConnectProvider(ctx, in); err != nil {
		return fmt.Errorf("creating OIDC provider %s: %w", p.issuer, err)
	}
	return nil
}

// Update implements Resource.
func (p *OIDCProvider) Update(ctx context.Context, o *Observation, diffs []FieldDiff) error {
	arn := aws.String(p.ARN())
	for _, d := range diffs {
		switch {
		case d.Path == "client_ids":
			if _, err := p.c.IAM.AddClientIDToOpenIDConnectProvider(ctx, &iam.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, ClientID: aws.String(d.After)}); err != nil {
				return fmt.Errorf("adding audience %s to OIDC provider %s: %w", d.After, p.ARN(), err)
			}
		case d.Path == "thumbprints":
			if _, err := p.c.IAM.UpdateOpenIDConnectProviderThumbprint(ctx, &iam.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: arn, ThumbprintList: p.thumbprints}); err != nil {
				return fmt.Errorf("updating thumbprints of OIDC provider %s: %w", p.ARN(), err)
			}
		case strings.HasPrefix(d.Path, "tags."):
			if _, err := p.c.IAM.TagOpenIDConnectProvider(ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, Tags: []iamtypes.Tag{{Key: aws.String(p.usesTag()), Value: aws.String("true")}}}); err != nil {
				return fmt.Errorf("tagging OIDC provider %s: %w", p.ARN(), err)
			}
		}
	}
	return nil
}

// DestroyDescription implements destroyDescriber.
func (p *OIDCProvider) DestroyDescription(o *Observation) string {
	st := o.Data.(providerState)
	var others []string
	for k := range st.tags {
		if strings.HasPrefix(k, usesTagPrefix) && k != p.usesTag() {
			others = append(others, strings.TrimPrefix(k, usesTagPrefix))
		}
	}
	if len(others) > 0 {
		sort.Strings(others)
		return fmt.Sprintf("only this stack's use of it ends: stack %s still uses the provider, so it stays", strings.Join(others, ", "))
	}
	if st.tags[StackTag] == "" {
		return "only this stack's use of it ends: the provider was not created by awsboot, so it stays"
	}
	return "deletes the provider unless a role outside this stack still trusts it"
}

// Delete implements Resource: it ends this stack's use, and deletes the
// provider only when awsboot created it, no other stack uses it, and no
// role trusts it any more (this stack's roles are gone by now: they
// depend on the provider, so teardown removes them first).
func (p *OIDCProvider) Delete(ctx context.Context, o *Observation) error {
	arn := aws.String(p.ARN())
	if _, err := p.c.IAM.UntagOpenIDConnectProvider(ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn, TagKeys: []string{p.usesTag()}}); err != nil {
		if isIAMNotFound(err) {
			return nil
		}
		return fmt.Errorf("untagging OIDC provider %s: %w", p.ARN(), err)
	}
	st := o.Data.(providerState)
	if st.tags[StackTag] == "" {
		return nil
	}
	for k := range st.tags {
		if strings.HasPrefix(k, usesTagPrefix) && k != p.usesTag() {
			return nil
		}
	}
	trusting, err := rolesTrusting(ctx, p.c, p.ARN())
	if err != nil {
		return err
	}
	if len(trusting) > 0 {
		return nil
	}
	if _, err := p.c.IAM.DeleteOpenIDConnectProvider(ctx, &iam.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: arn}); err != nil && !isIAMNotFound(err) {
		return fmt.Errorf("deleting OIDC provider %s: %w", p.ARN(), err)
	}
	return nil
}

// rolesTrusting lists the roles whose trust policy names the provider as
// a federated principal.
func rolesTrusting(ctx context.Context, c *Clients, providerARN string) ([]string, error) {
	var out []string
	pg := iam.NewListRolesPaginator(c.IAM, &iam.ListRolesInput{})
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
				if s.Principal != nil && contains(s.Principal.Values["Federated"], providerARN) {
					out = append(out, aws.ToString(r.RoleName))
				}
			}
		}
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func sortedUnique(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	sort.Strings(out)
	return out
}

func normThumbprints(in []string) []string {
	out := make([]string, len(in))
	for i, t := range in {
		out[i] = strings.ToLower(t)
	}
	return sortedUnique(out)
}
