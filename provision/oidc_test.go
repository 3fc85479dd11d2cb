package provision

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

const semaphoreProvider = "arn:aws:iam::123456789012:oidc-provider/acme.semaphoreci.com"

// assertProviderAndTrust checks that the provider has exactly the one
// client ID (audience) and that the role's trust policy is want (JSON),
// and returns the role.
func (e *testEnv) assertProviderAndTrust(provider, clientID, roleName, want string) *iamtypes.Role {
	e.t.Helper()
	prov, err := e.iam().GetOpenIDConnectProvider(e.ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(provider)})
	if err != nil {
		e.t.Fatal(err)
	}
	if diff := cmp.Diff([]string{clientID}, prov.ClientIDList); diff != "" {
		e.t.Errorf("client ids (-want +got):\n%s", diff)
	}
	role, err := e.iam().GetRole(e.ctx, &iam.GetRoleInput{RoleName: aws.String(roleName)})
	if err != nil {
		e.t.Fatal(err)
	}
	got, err := policies.Parse(aws.ToString(role.Role.AssumeRolePolicyDocument))
	if err != nil {
		e.t.Fatal(err)
	}
	w, err := policies.Parse(want)
	if err != nil {
		e.t.Fatal(err)
	}
	if !policies.Equal(w, got) {
		e.t.Errorf("trust policy:\n%s\nwant:\n%s", got.JSON(), w.JSON())
	}
	return role.Role
}

// TestOIDCBootstrap is point 1 of the OIDC issue: provider, role with
// exactly the documented trust policy, the role's policy; a second run
// makes no mutating call.
func TestOIDCBootstrap(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-oidc.yaml")
	e.apply(s, engine.ModeApply, runOpts{})

	role := e.assertProviderAndTrust(semaphoreProvider, "https://acme.semaphoreci.com", "semaphore-cache-role", `{"Version":"2012-10-17","Statement":[{
		"Sid":"ExactSubjects","Effect":"Allow",
		"Principal":{"Federated":"`+semaphoreProvider+`"},
		"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{
			"acme.semaphoreci.com:aud":"https://acme.semaphoreci.com",
			"acme.semaphoreci.com:sub":"org:acme:project:936a5312-a3b8-4921-8b3f-2cec8baac574:repo:web:ref_type:branch:ref:refs/heads/main"}}}]}`)
	if aws.ToInt32(role.MaxSessionDuration) != 3600 {
		t.Errorf("max session = %d", aws.ToInt32(role.MaxSessionDuration))
	}
	att, err := e.iam().ListAttachedRolePolicies(e.ctx, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String("semaphore-cache-role")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyName) != "semaphore-cache-role-cache-policy" {
		t.Fatalf("attached = %+v, %v", att, err)
	}
	snippet := readFile(t, filepath.Join(e.dir, ".semaphore", "aws-oidc.yml"))
	if !strings.Contains(snippet, `export ROLE_ARN="arn:aws:iam::123456789012:role/semaphore-cache-role"`) || !strings.Contains(snippet, "$SEMAPHORE_OIDC_TOKEN") {
		t.Errorf("pipeline snippet:\n%s", snippet)
	}
	if _, err := os.Stat(e.files.Credentials); !os.IsNotExist(err) {
		t.Errorf("OIDC access wrote a credentials file: %v", err)
	}

	e.assertRerunIsNoOp(s)
}

// TestOIDCAssumeRoleReachesBucket is point 2: sts:AssumeRoleWithWebIdentity
// with the created role returns credentials that put and get objects in
// the bucket. moto does not verify the web identity token's signature (nor
// the trust policy's conditions), so any well-formed string stands in for
// Semaphore's token here; the trust policy itself is checked as data in
// TestOIDCBootstrap.
func TestOIDCAssumeRoleReachesBucket(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-oidc.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	ctx := context.Background()

	stsc := sts.NewFromConfig(rawConfig(t, moto.URL, "testing", "testing"))
	out, err := stsc.AssumeRoleWithWebIdentity(ctx, &sts.AssumeRoleWithWebIdentityInput{
		RoleArn:          aws.String("arn:aws:iam::123456789012:role/semaphore-cache-role"),
		RoleSessionName:  aws.String("semaphore-job-1"),
		WebIdentityToken: aws.String("eyJhbGciOiJSUzI1NiJ9.unsigned-test-token.sig"),
		DurationSeconds:  aws.Int32(3600),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	cfg := rawConfig(t, moto.URL, "", "")
	cfg.Credentials = staticSession{id: aws.ToString(c.AccessKeyId), secret: aws.ToString(c.SecretAccessKey), token: aws.ToString(c.SessionToken)}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("semaphore-oidc-cache"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Fatalf("put with the role session: %v", err)
	}
	if _, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("semaphore-oidc-cache"), Key: aws.String("k")}); err != nil {
		t.Fatalf("get with the role session: %v", err)
	}
}

type staticSession struct{ id, secret, token string }

func (s staticSession) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: s.id, SecretAccessKey: s.secret, SessionToken: s.token}, nil
}

// otherStackSpec is a second stack that trusts the same issuer.
const otherStackSpec = `version: 1
stack: other-oidc
region: us-east-1
bucket: {name: other-cache}
access:
  - name: deploys
    grant: cache
    role: other-role
    oidc:
      semaphore: {org: acme, project: 11111111-2222-3333-4444-555555555555, repo: api, branch: main}
`

// TestSharedProvider is point 3: a second stack reuses the provider;
// tearing down one leaves it for the other; the last removes it.
func TestSharedProvider(t *testing.T) {
	e := newTestEnv(t)
	a := e.spec("semaphore-oidc.yaml")
	writeFile(t, filepath.Join(e.dir, "other.yaml"), otherStackSpec)
	b, err := LoadSpec(filepath.Join(e.dir, "other.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e.apply(a, engine.ModeApply, runOpts{})
	p := e.apply(b, engine.ModeApply, runOpts{})
	for _, c := range p.Changes {
		if c.Addr == "iam_oidc_provider.acme.semaphoreci.com" && c.Action != engine.Update {
			t.Errorf("second stack's provider change = %v, want an update (reuse)", c.Action)
		}
	}
	providers := func() int {
		out, err := e.iam().ListOpenIDConnectProviders(e.ctx, &iam.ListOpenIDConnectProvidersInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.OpenIDConnectProviderList)
	}
	if n := providers(); n != 1 {
		t.Fatalf("%d providers, want 1", n)
	}
	e.apply(a, engine.ModeDestroy, runOpts{})
	if n := providers(); n != 1 {
		t.Fatalf("after tearing down the first stack: %d providers, want 1", n)
	}
	if p, err := e.plan(b, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Fatalf("the second stack is no longer converged: %v %v", err, allDiffs(p))
	}
	e.apply(b, engine.ModeDestroy, runOpts{})
	if n := providers(); n != 0 {
		t.Fatalf("after tearing down the last stack: %d providers, want 0", n)
	}
}

// TestTrustPolicyDrift is point 5: conditions widened by hand are shown and
// repaired; so is the maximum session.
func TestTrustPolicyDrift(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-oidc.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	wide := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + semaphoreProvider + `"},
		"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"acme.semaphoreci.com:sub":"org:acme:*"}}}]}`
	if _, err := e.iam().UpdateAssumeRolePolicy(e.ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("semaphore-cache-role"), PolicyDocument: aws.String(wide)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam().UpdateRole(e.ctx, &iam.UpdateRoleInput{RoleName: aws.String("semaphore-cache-role"), MaxSessionDuration: aws.Int32(43200)}); err != nil {
		t.Fatal(err)
	}
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"iam_role.semaphore-cache-role trust_policy", "iam_role.semaphore-cache-role max_session_duration"}, allDiffs(p)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	e.apply(s, engine.ModeApply, runOpts{})
	if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Errorf("after repair: %v %v", err, allDiffs(p))
	}
}

// addClientIDFake passes every IAM call to moto except
// AddClientIDToOpenIDConnectProvider, which moto 5.2.1 answers with a 500
// (not implemented): this stateful stand-in records the added audience and
// reports it from GetOpenIDConnectProvider, as IAM does.
type addClientIDFake struct {
	awsapi.IAMAPI
	added map[string][]string
}

func (f *addClientIDFake) AddClientIDToOpenIDConnectProvider(_ context.Context, in *iam.AddClientIDToOpenIDConnectProviderInput, _ ...func(*iam.Options)) (*iam.AddClientIDToOpenIDConnectProviderOutput, error) {
	arn := aws.ToString(in.OpenIDConnectProviderArn)
	f.added[arn] = append(f.added[arn], aws.ToString(in.ClientID))
	return &iam.AddClientIDToOpenIDConnectProviderOutput{}, nil
}

func (f *addClientIDFake) GetOpenIDConnectProvider(ctx context.Context, in *iam.GetOpenIDConnectProviderInput, opts ...func(*iam.Options)) (*iam.GetOpenIDConnectProviderOutput, error) {
	out, err := f.IAMAPI.GetOpenIDConnectProvider(ctx, in, opts...)
	if err == nil {
		out.ClientIDList = append(out.ClientIDList, f.added[aws.ToString(in.OpenIDConnectProviderArn)]...)
	}
	return out, err
}

// TestExistingProviderIsReused: a provider made by hand for the issuer is
// reused, gets the missing audience, and is never deleted by awsboot.
func TestExistingProviderIsReused(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-oidc.yaml")
	_, err := e.iam().CreateOpenIDConnectProvider(e.ctx, &iam.CreateOpenIDConnectProviderInput{
		Url: aws.String("https://acme.semaphoreci.com"), ClientIDList: []string{"some-other-audience"},
		ThumbprintList: []string{"9e99a48a9960b14926bb7f3b02e22da2b0ab7280"},
	})
	if err != nil {
		t.Fatal(err)
	}
	raw := e.iam()
	fake := &addClientIDFake{IAMAPI: raw, added: map[string][]string{}}
	e.c.IAM = fake
	p := e.apply(s, engine.ModeApply, runOpts{})
	var prov engine.Change
	for _, c := range p.Changes {
		if c.Addr == "iam_oidc_provider.acme.semaphoreci.com" {
			prov = c
		}
	}
	if prov.Action != engine.Update || len(prov.Diffs) != 1 || prov.Diffs[0].Path != "client_ids" || prov.Diffs[0].After != "https://acme.semaphoreci.com" {
		t.Fatalf("provider change = %+v, want the audience added", prov)
	}
	if len(prov.Notes) != 1 || !strings.Contains(prov.Notes[0], "not created by awsboot") {
		t.Errorf("notes = %v", prov.Notes)
	}
	if diff := cmp.Diff(map[string][]string{semaphoreProvider: {"https://acme.semaphoreci.com"}}, fake.added); diff != "" {
		t.Errorf("audiences added (-want +got):\n%s", diff)
	}
	if p, err := e.plan(s, engine.ModeApply, runOpts{}); err != nil || p.HasChanges() {
		t.Errorf("after reuse: %v %v", err, allDiffs(p))
	}
	e.apply(s, engine.ModeDestroy, runOpts{})
	if _, err := raw.GetOpenIDConnectProvider(e.ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(semaphoreProvider)}); err != nil {
		t.Errorf("teardown deleted a provider awsboot did not create: %v", err)
	}
}

// TestRoleProfileAssumesRole: with write.aws_profile and a token file, the
// written profile (role_arn + web_identity_token_file) is all an SDK needs:
// it exchanges the token for a session by itself. moto accepts any token.
func TestRoleProfileAssumesRole(t *testing.T) {
	e := newTestEnv(t)
	spec := `version: 1
stack: runner
region: us-east-1
bucket: {name: runner-cache}
access:
  - name: runner
    grant: cache
    role: runner-role
    oidc: {semaphore: {org: acme, project: 936a5312-a3b8-4921-8b3f-2cec8baac574, repo: web, branch: main}}
    write: {aws_profile: runner, web_identity_token_file: ./token}
`
	writeFile(t, filepath.Join(e.dir, "runner.yaml"), spec)
	writeFile(t, filepath.Join(e.dir, "token"), "eyJhbGciOiJSUzI1NiJ9.unsigned-test-token.sig")
	s, err := LoadSpec(filepath.Join(e.dir, "runner.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	e.apply(s, engine.ModeApply, runOpts{})
	if _, err := os.Stat(e.files.Credentials); !os.IsNotExist(err) {
		t.Fatalf("a credentials file was written for OIDC access: %v", err)
	}
	cfgText := readFile(t, e.files.Config)
	for _, want := range []string{"[profile runner]", "role_arn = arn:aws:iam::123456789012:role/runner-role", "web_identity_token_file = " + filepath.Join(e.dir, "token")} {
		if !strings.Contains(cfgText, want) {
			t.Errorf("config lacks %q:\n%s", want, cfgText)
		}
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	// The Go SDK does not hand the profile's endpoint_url to the STS client
	// of its web identity provider, so the emulator's address is also given
	// for STS here (against AWS the profile alone is enough).
	t.Setenv("AWS_ENDPOINT_URL_STS", e.endpoint)
	cfg, err := config.LoadDefaultConfig(e.ctx, config.WithSharedConfigProfile("runner"),
		config.WithSharedConfigFiles([]string{e.files.Config}), config.WithSharedCredentialsFiles([]string{e.files.Credentials}))
	if err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(e.ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("the profile does not work: %v", err)
	}
	if !strings.Contains(aws.ToString(id.Arn), "assumed-role/runner-role/") {
		t.Errorf("caller = %s, want a session of runner-role", aws.ToString(id.Arn))
	}
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("runner-cache"), Key: aws.String("k"), Body: strings.NewReader("v")}); err != nil {
		t.Errorf("put through the role profile: %v", err)
	}
}

// TestGitHubExample bootstraps examples/github-oidc.yaml: the preset's
// trust policy (issuer, sts.amazonaws.com audience, the main branch of one
// repository), the workflow step, and a teardown that leaves nothing.
func TestGitHubExample(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("github-oidc.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	role, err := e.iam().GetRole(e.ctx, &iam.GetRoleInput{RoleName: aws.String("github-actions-cache-role")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := policies.Parse(aws.ToString(role.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := policies.Parse(`{"Version":"2012-10-17","Statement":[{"Sid":"ExactSubjects","Effect":"Allow",
		"Principal":{"Federated":"arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"},
		"Action":"sts:AssumeRoleWithWebIdentity",
		"Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com",
			"token.actions.githubusercontent.com:sub":"repo:acme/web:ref:refs/heads/main"}}}]}`)
	if !policies.Equal(want, got) {
		t.Errorf("trust policy:\n%s", got.JSON())
	}
	step := readFile(t, filepath.Join(e.dir, "aws-oidc-step.yml"))
	if !strings.Contains(step, "role-to-assume: arn:aws:iam::123456789012:role/github-actions-cache-role") {
		t.Errorf("workflow step:\n%s", step)
	}
	e.apply(s, engine.ModeDestroy, runOpts{})
	e.assertNothingOwned()
	out, err := e.iam().ListOpenIDConnectProviders(e.ctx, &iam.ListOpenIDConnectProvidersInput{})
	if err != nil || len(out.OpenIDConnectProviderList) != 0 {
		t.Errorf("providers left: %v %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "aws-oidc-step.yml")); !os.IsNotExist(err) {
		t.Errorf("the workflow step file is still there: %v", err)
	}
}

// TestProviderTrustedByAnotherRoleConverges: after bootstrap, a role made
// by hand (not this stack's) trusts the stack's provider. Teardown deletes
// the stack's role and says the provider stays because of that role; a
// second teardown has nothing to do (it used to report the provider
// destroyed on every run while IAM kept it). Once the other role is
// gone, teardown deletes the provider.
func TestProviderTrustedByAnotherRoleConverges(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-oidc.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"` + semaphoreProvider + `"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`
	if _, err := e.iam().CreateRole(e.ctx, &iam.CreateRoleInput{RoleName: aws.String("hand-made"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	addr := engine.Address("iam_oidc_provider.acme.semaphoreci.com")
	p := e.apply(s, engine.ModeDestroy, runOpts{})
	for _, c := range p.Changes {
		if c.Addr == addr && (c.Action != engine.Delete || !strings.Contains(c.Reason, "role hand-made, not this stack's, still trusts it")) {
			t.Errorf("first teardown: provider %v %q", c.Action, c.Reason)
		}
	}
	if _, err := e.iam().GetOpenIDConnectProvider(e.ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(semaphoreProvider)}); err != nil {
		t.Fatalf("the provider a role still trusts is gone: %v", err)
	}
	p, err := e.plan(s, engine.ModeDestroy, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Errorf("second teardown has changes: %v", allDiffs(p))
	}
	for _, c := range p.Changes {
		if c.Addr == addr && !strings.Contains(c.Reason, "role hand-made, not this stack's, still trusts it: the provider stays until no role does") {
			t.Errorf("second teardown: provider %v %q", c.Action, c.Reason)
		}
	}
	if _, err := e.iam().DeleteRole(e.ctx, &iam.DeleteRoleInput{RoleName: aws.String("hand-made")}); err != nil {
		t.Fatal(err)
	}
	e.apply(s, engine.ModeDestroy, runOpts{})
	if _, err := e.iam().GetOpenIDConnectProvider(e.ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(semaphoreProvider)}); !awsapi.IsNotFound(err) {
		t.Errorf("the provider stays after the last role that trusted it went: %v", err)
	}
}
