// These tests use a fake of OIDCProvider's narrow client interface
// (oidcProviderAPI), not a stand-in for IAM: the fake embeds the
// interface, answers only the calls a test expects and records the ones
// that change something; any other call panics on the nil embedded
// interface. How IAM really behaves is covered by the integration tests
// against moto.

package awskinds

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/engine"
)

const (
	oidcTestIssuer = "https://acme.semaphoreci.com"
	oidcTestSTS    = "sts.amazonaws.com"
	// Two thumbprints, tpA sorting before tpB.
	oidcTestTPA = "1c58a3a8518e8759bf075b76b750d4f2df264fcd"
	oidcTestTPB = "990f4193972f2becf12ddeda5237f9c952f20d9e"
)

// fakeOIDCAPI is a fake of oidcProviderAPI.
type fakeOIDCAPI struct {
	//lint:ignore U1000 embedded so that a call the test does not expect panics
	oidcProviderAPI
	iamCallLog
	missing     bool
	clientIDs   []string
	thumbprints []string
	tags        map[string]string
	roles       []iamtypes.Role // what ListRoles answers
	untagErr    error
	// getOmitsTags makes GetOpenIDConnectProvider answer without tags
	// (see fakeUserReads).
	getOmitsTags bool
}

func (f *fakeOIDCAPI) GetOpenIDConnectProvider(context.Context, *iam.GetOpenIDConnectProviderInput, ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error) {
	if f.missing {
		return nil, noSuchEntity()
	}
	out := &iam.GetOpenIDConnectProviderOutput{Url: aws.String("acme.semaphoreci.com"), ClientIDList: f.clientIDs, ThumbprintList: f.thumbprints}
	if !f.getOmitsTags {
		out.Tags = iamTags(f.tags)
	}
	return out, nil
}

func (f *fakeOIDCAPI) ListOpenIDConnectProviderTags(context.Context, *iam.ListOpenIDConnectProviderTagsInput, ...func(*iam.Options)) (*iam.ListOpenIDConnectProviderTagsOutput, error) {
	if len(f.tags) > 0 && !f.getOmitsTags {
		return nil, errUnneededTagListing
	}
	return &iam.ListOpenIDConnectProviderTagsOutput{Tags: iamTags(f.tags)}, nil
}

func (f *fakeOIDCAPI) ListRoles(context.Context, *iam.ListRolesInput, ...func(*iam.Options)) (*iam.ListRolesOutput, error) {
	return &iam.ListRolesOutput{Roles: f.roles}, nil
}

func (f *fakeOIDCAPI) CreateOpenIDConnectProvider(_ context.Context, in *iam.CreateOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.CreateOpenIDConnectProviderOutput, error) {
	f.add("CreateOpenIDConnectProvider %s clients=%s thumbprints=%s %s", aws.ToString(in.Url),
		strings.Join(in.ClientIDList, ","), strings.Join(in.ThumbprintList, ","), tagsText(in.Tags))
	return &iam.CreateOpenIDConnectProviderOutput{}, nil
}

func (f *fakeOIDCAPI) AddClientIDToOpenIDConnectProvider(_ context.Context, in *iam.AddClientIDToOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.AddClientIDToOpenIDConnectProviderOutput, error) {
	f.add("AddClientIDToOpenIDConnectProvider %s", aws.ToString(in.ClientID))
	return &iam.AddClientIDToOpenIDConnectProviderOutput{}, nil
}

func (f *fakeOIDCAPI) UpdateOpenIDConnectProviderThumbprint(_ context.Context, in *iam.UpdateOpenIDConnectProviderThumbprintInput, _ ...func(*iam.Options)) (*iam.UpdateOpenIDConnectProviderThumbprintOutput, error) {
	f.add("UpdateOpenIDConnectProviderThumbprint %s", strings.Join(in.ThumbprintList, ","))
	return &iam.UpdateOpenIDConnectProviderThumbprintOutput{}, nil
}

func (f *fakeOIDCAPI) TagOpenIDConnectProvider(_ context.Context, in *iam.TagOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.TagOpenIDConnectProviderOutput, error) {
	f.add("TagOpenIDConnectProvider %s", tagsText(in.Tags))
	return &iam.TagOpenIDConnectProviderOutput{}, nil
}

func (f *fakeOIDCAPI) UntagOpenIDConnectProvider(_ context.Context, in *iam.UntagOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.UntagOpenIDConnectProviderOutput, error) {
	f.add("UntagOpenIDConnectProvider %s", strings.Join(in.TagKeys, ","))
	return &iam.UntagOpenIDConnectProviderOutput{}, f.untagErr
}

func (f *fakeOIDCAPI) DeleteOpenIDConnectProvider(_ context.Context, in *iam.DeleteOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.DeleteOpenIDConnectProviderOutput, error) {
	f.add("DeleteOpenIDConnectProvider %s", aws.ToString(in.OpenIDConnectProviderArn))
	return &iam.DeleteOpenIDConnectProviderOutput{}, nil
}

func newTestOIDC(audiences, thumbprints []string) *OIDCProvider {
	if audiences == nil {
		audiences = []string{oidcTestIssuer}
	}
	return NewOIDCProvider(OIDCProviderConfig{
		Stack: "demo", Issuer: oidcTestIssuer, Host: "acme.semaphoreci.com", ARN: roleTestProvider,
		Audiences: audiences, Thumbprints: thumbprints,
	})
}

// A provider awsboot created for this stack and still in use by it.
var oidcOwnedTags = map[string]string{engine.StackTag: "demo", "awsboot:uses:demo": "true"}

// TestOIDCProviderDiff reads the provider through the fake and diffs what
// it read: Read normalises what IAM returns, Diff compares it.
func TestOIDCProviderDiff(t *testing.T) {
	up := strings.ToUpper
	tests := map[string]struct {
		audiences   []string // the spec's; nil for the issuer alone
		thumbprints []string // the spec's
		fake        fakeOIDCAPI
		wantOwner   string
		wantNote    bool
		want        []engine.FieldDiff
	}{
		"create": {
			fake: fakeOIDCAPI{missing: true},
			want: []engine.FieldDiff{
				{Path: "url", After: oidcTestIssuer},
				{Path: "client_ids", After: oidcTestIssuer},
				{Path: "tags.awsboot:stack", After: "demo"},
				{Path: "tags.awsboot:uses:demo", After: "true"},
			},
		},
		"create with thumbprints, normalised": {
			audiences: []string{oidcTestSTS, oidcTestIssuer}, thumbprints: []string{up(oidcTestTPB), oidcTestTPA, oidcTestTPB},
			fake: fakeOIDCAPI{missing: true},
			want: []engine.FieldDiff{
				{Path: "url", After: oidcTestIssuer},
				{Path: "client_ids", After: oidcTestIssuer + ", " + oidcTestSTS},
				{Path: "thumbprints", After: oidcTestTPA + ", " + oidcTestTPB},
				{Path: "tags.awsboot:stack", After: "demo"},
				{Path: "tags.awsboot:uses:demo", After: "true"},
			},
		},
		"up to date": {
			fake:      fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: oidcOwnedTags},
			wantOwner: "demo",
		},
		"up to date, on a service that leaves the tags out of the Get call: listed": {
			fake:      fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: oidcOwnedTags, getOmitsTags: true},
			wantOwner: "demo",
		},
		"audiences and thumbprints differing only in order and case: none": {
			audiences: []string{oidcTestIssuer, oidcTestSTS}, thumbprints: []string{oidcTestTPA, oidcTestTPB},
			fake:      fakeOIDCAPI{clientIDs: []string{oidcTestSTS, oidcTestIssuer}, thumbprints: []string{up(oidcTestTPB), up(oidcTestTPA)}, tags: oidcOwnedTags},
			wantOwner: "demo",
		},
		"an audience AWS has beyond the spec's: none": {
			fake:      fakeOIDCAPI{clientIDs: []string{oidcTestIssuer, "someone-else"}, tags: oidcOwnedTags},
			wantOwner: "demo",
		},
		"missing audience": {
			audiences: []string{oidcTestIssuer, oidcTestSTS},
			fake:      fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: oidcOwnedTags},
			wantOwner: "demo",
			want:      []engine.FieldDiff{{Path: "client_ids", After: oidcTestSTS}},
		},
		"thumbprints differ": {
			thumbprints: []string{oidcTestTPA},
			fake:        fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, thumbprints: []string{oidcTestTPB}, tags: oidcOwnedTags},
			wantOwner:   "demo",
			want:        []engine.FieldDiff{{Path: "thumbprints", Before: oidcTestTPB, After: oidcTestTPA}},
		},
		"thumbprints the spec does not list are left as AWS set them": {
			fake:      fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, thumbprints: []string{oidcTestTPB}, tags: oidcOwnedTags},
			wantOwner: "demo",
		},
		"uses tag missing on a provider awsboot created": {
			fake: fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: map[string]string{engine.StackTag: "other", "awsboot:uses:other": "true"}},
			want: []engine.FieldDiff{{Path: "tags.awsboot:uses:demo", After: "true"}},
		},
		"foreign provider: never tagged": {
			fake:     fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}},
			wantNote: true,
		},
		"foreign provider missing an audience: the audience only": {
			audiences: []string{oidcTestIssuer, oidcTestSTS},
			fake:      fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}},
			wantNote:  true,
			want:      []engine.FieldDiff{{Path: "client_ids", After: oidcTestSTS}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestOIDC(tc.audiences, tc.thumbprints)
			p.api = &tc.fake
			o, st, err := p.Read(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if o.Exists == tc.fake.missing || o.Owner != tc.wantOwner || !o.DerivedOwnership || (len(o.Notes) > 0) != tc.wantNote {
				t.Errorf("Read() = %+v, want exists %v, owner %q, derived ownership, a note %v", *o, !tc.fake.missing, tc.wantOwner, tc.wantNote)
			}
			got, err := p.Diff(o, st)
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff() mismatch (-want +got):\n%s", d)
			}
			if len(tc.fake.calls) != 0 {
				t.Errorf("Read made changing calls: %v", tc.fake.calls)
			}
		})
	}
}

func TestOIDCProviderUpdateCalls(t *testing.T) {
	tests := map[string]struct {
		audiences   []string
		thumbprints []string
		fake        fakeOIDCAPI
		want        []string
	}{
		"up to date: no call": {fake: fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: oidcOwnedTags}},
		"missing audiences are added one by one": {
			audiences: []string{oidcTestIssuer, oidcTestSTS, "third"},
			fake:      fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: oidcOwnedTags},
			want:      []string{"AddClientIDToOpenIDConnectProvider " + oidcTestSTS, "AddClientIDToOpenIDConnectProvider third"},
		},
		"thumbprints replaced by the spec's": {
			thumbprints: []string{strings.ToUpper(oidcTestTPB), oidcTestTPA},
			fake:        fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, thumbprints: []string{oidcTestTPB}, tags: oidcOwnedTags},
			want:        []string{"UpdateOpenIDConnectProviderThumbprint " + oidcTestTPA + "," + oidcTestTPB},
		},
		"uses tag added": {
			fake: fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: map[string]string{engine.StackTag: "other"}},
			want: []string{"TagOpenIDConnectProvider awsboot:uses:demo=true"},
		},
		"every drift at once": {
			audiences: []string{oidcTestIssuer, oidcTestSTS}, thumbprints: []string{oidcTestTPA},
			fake: fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, thumbprints: []string{oidcTestTPB}, tags: map[string]string{engine.StackTag: "demo"}},
			want: []string{
				"AddClientIDToOpenIDConnectProvider " + oidcTestSTS,
				"UpdateOpenIDConnectProviderThumbprint " + oidcTestTPA,
				"TagOpenIDConnectProvider awsboot:uses:demo=true",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestOIDC(tc.audiences, tc.thumbprints)
			p.api = &tc.fake
			ctx := context.Background()
			o, st, err := p.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			diffs, err := p.Diff(o, st)
			if err != nil {
				t.Fatal(err)
			}
			if err := p.Update(ctx, o, st, diffs); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, tc.fake.calls); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
		})
	}
}

// trustingRole is a role whose trust policy names provider as its
// federated principal, URL-encoded as ListRoles returns it.
func trustingRole(name, provider string) iamtypes.Role {
	doc := policies.Trust(policies.WebIdentity{ProviderARN: provider, Host: "acme.semaphoreci.com", Audience: oidcTestIssuer, AnySubject: true})
	return iamtypes.Role{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(url.QueryEscape(doc.JSON()))}
}

func TestOIDCProviderCreateDeleteCalls(t *testing.T) {
	untag := "UntagOpenIDConnectProvider awsboot:uses:demo"
	tests := map[string]struct {
		op   string // "create" or "delete"
		fake fakeOIDCAPI
		want []string
	}{
		"create with both tags": {
			op:   "create",
			fake: fakeOIDCAPI{missing: true},
			want: []string{"CreateOpenIDConnectProvider " + oidcTestIssuer + " clients=" + oidcTestIssuer + " thumbprints= awsboot:stack=demo,awsboot:uses:demo=true"},
		},
		"delete of a foreign provider only ends this stack's use": {
			op:   "delete",
			fake: fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: map[string]string{"awsboot:uses:demo": "true"}},
			want: []string{untag},
		},
		"another stack still uses it: it stays": {
			op:   "delete",
			fake: fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: map[string]string{engine.StackTag: "demo", "awsboot:uses:demo": "true", "awsboot:uses:other": "true"}},
			want: []string{untag},
		},
		"a role outside the stack still trusts it: it stays": {
			op: "delete",
			fake: fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: oidcOwnedTags, roles: []iamtypes.Role{
				trustingRole("unrelated", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"),
				trustingRole("hand-made", roleTestProvider),
			}},
			want: []string{untag},
		},
		"unused and untrusted: deleted": {
			op: "delete",
			fake: fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: oidcOwnedTags, roles: []iamtypes.Role{
				trustingRole("unrelated", "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"),
			}},
			// One call: deleting first and untagging after would orphan
			// the provider when stopped in between.
			want: []string{"DeleteOpenIDConnectProvider " + roleTestProvider},
		},
		"already gone": {
			op:   "delete",
			fake: fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: map[string]string{"awsboot:uses:demo": "true"}, untagErr: noSuchEntity()},
			want: []string{untag},
		},
		"created by this stack, no stack's uses tag left (an older interrupted teardown): deleted": {
			op:   "delete",
			fake: fakeOIDCAPI{clientIDs: []string{oidcTestIssuer}, tags: map[string]string{engine.StackTag: "demo"}},
			want: []string{"DeleteOpenIDConnectProvider " + roleTestProvider},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := newTestOIDC(nil, nil)
			p.api = &tc.fake
			ctx := context.Background()
			o, st, err := p.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if tc.op == "create" {
				err = p.Create(ctx, o, st)
			} else {
				err = p.Delete(ctx, o, st)
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, tc.fake.calls); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
		})
	}
}
