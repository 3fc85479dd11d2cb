package provision

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/awskinds"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/spec"
)

// cfnStack is the name CloudFormation gives a StackSet's stack instance
// in one account.
const cfnStack = "StackSet-awsboot-ci-5e1f0a2b-7c3d-4e9f-8a6b-0c1d2e3f4a5b"

var cfnManaged = `CloudFormation stack "` + cfnStack + `"`

// precreateMarkedPolicy creates the spec's managed policy as the
// CloudFormation template does: the document awsboot would write, the
// mark in its description, and no tag (AWS::IAM::ManagedPolicy has
// none). The description cannot be changed after the create, so the
// policy is made before awsboot runs, as CloudFormation would have made
// it; awsboot then finds it and owns it through the mark. It returns the
// policy's ARN.
func (e *testEnv) precreateMarkedPolicy(s *spec.Spec) string {
	e.t.Helper()
	st, err := Build(s, e.c.Account, BuildOptions{Files: e.files})
	if err != nil {
		e.t.Fatal(err)
	}
	var name string
	for _, r := range st.Graph.Resources() {
		if r.Addr().Kind() == "iam_policy" {
			name = r.Addr().Name()
		}
	}
	if name == "" || len(s.Access) != 1 {
		e.t.Fatalf("the example should have one access entry with a managed policy (policy %q)", name)
	}
	out, err := e.iam().CreatePolicy(e.ctx, &iam.CreatePolicyInput{
		PolicyName:     aws.String(name),
		PolicyDocument: aws.String(st.Grants[s.Access[0].Name].JSON()),
		Description:    aws.String(awskinds.CloudFormationPolicyDescription(s.Stack, cfnStack, "the "+s.Access[0].Grant+" grant of entry "+s.Access[0].Name)),
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return aws.ToString(out.Policy.Arn)
}

// tagBucketAsCloudFormation adds tags to the bucket's, keeping the others,
// as the template tags it. CloudFormation's own aws:cloudformation:* tags
// cannot be set this way (S3, and moto, answer InvalidTag "System tags
// cannot be added/updated by requester"): the unit tests of awskinds
// cover awsboot's reading of them.
func (e *testEnv) tagBucketAsCloudFormation(bucket string, tags map[string]string) {
	e.t.Helper()
	cur, err := e.s3().GetBucketTagging(e.ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil {
		e.t.Fatal(err)
	}
	set := cur.TagSet
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		set = append(set, s3types.Tag{Key: aws.String(k), Value: aws.String(tags[k])})
	}
	if _, err := e.s3().PutBucketTagging(e.ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(bucket), Tagging: &s3types.Tagging{TagSet: set}}); err != nil {
		e.t.Fatal(err)
	}
}

// cfnTag is awsboot's tag for the template's objects.
func cfnTag() []iamtypes.Tag {
	return []iamtypes.Tag{{Key: aws.String(engine.CloudFormationStackTag), Value: aws.String(cfnStack)}}
}

// convergedCalls plans s for a bootstrap with a fresh call counter,
// fails unless the plan has no change, and returns the plan and its
// calls by operation.
func (e *testEnv) convergedCalls(s *spec.Spec) (*engine.Plan, map[string]int) {
	e.t.Helper()
	e.reconnect()
	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		e.t.Fatal(err)
	}
	if p.HasChanges() {
		e.t.Fatalf("the plan has changes: %v", allDiffs(p))
	}
	return p, e.c.Calls.Counts()
}

// changeWords are a plan's changes as "address action: reason", with
// the notes of the changes in notes.
func changeWords(p *engine.Plan) (words map[engine.Address]string, notes map[engine.Address][]string) {
	words, notes = map[engine.Address]string{}, map[engine.Address][]string{}
	for _, c := range p.Changes {
		words[c.Addr] = c.Action.String() + ": " + c.Reason
		notes[c.Addr] = c.Notes
	}
	return words, notes
}

// assertLeftAndDeleted checks a teardown plan: every address of left is
// a no-op with the reason given, every address of deleted a delete, and
// nothing else is deleted.
func assertLeftAndDeleted(t *testing.T, p *engine.Plan, left map[engine.Address]string, deleted []engine.Address) {
	t.Helper()
	words, _ := changeWords(p)
	for a, reason := range left {
		if want := "no-op: " + reason; words[a] != want {
			t.Errorf("%s: %q, want %q", a, words[a], want)
		}
	}
	var got []engine.Address
	for _, c := range p.Changes {
		if c.Action != engine.NoOp {
			got = append(got, c.Addr)
		}
		if c.Action != engine.NoOp && c.Action != engine.Delete {
			t.Errorf("%s: %s in a teardown", c.Addr, c.Action)
		}
	}
	slices.Sort(got)
	slices.Sort(deleted)
	if d := cmp.Diff(deleted, got); d != "" {
		t.Errorf("deleted (-want +got):\n%s", d)
	}
}

// assertSecondTeardownIsNoOp plans the teardown again with a fresh
// counter: nothing to do, and applying it makes no mutating call.
func (e *testEnv) assertSecondTeardownIsNoOp(s *spec.Spec) {
	e.t.Helper()
	e.reconnect()
	p, err := e.plan(s, engine.ModeDestroy, runOpts{deleteData: true})
	if err != nil {
		e.t.Fatal(err)
	}
	if p.HasChanges() {
		e.t.Errorf("second teardown plans changes: %v", allDiffs(p))
	}
	if err := e.applyPlan(p); err != nil {
		e.t.Fatal(err)
	}
	if m := e.c.Calls.Mutating(); len(m) != 0 {
		e.t.Errorf("second teardown made mutating calls: %v", m)
	}
}

// TestCloudFormationOwnership: the Semaphore cache example, its objects
// marked as the CloudFormation template marks them (the policy made with
// the mark in its description, the bucket and the user tagged), is
// converged for awsboot's plan, with the notes, at the same requests as a
// stack awsboot made alone; teardown (with --delete-data) leaves the
// bucket, its data, the user, the policy and the attachment in place with
// the reason, deletes the key and the files awsboot wrote; a second
// teardown has nothing to do.
func TestCloudFormationOwnership(t *testing.T) {
	// The requests of a converged plan of the stack awsboot made alone.
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	_, plain := e.convergedCalls(s)

	e = newTestEnv(t)
	s = e.spec("semaphore-cache.yaml")
	policyARN := e.precreateMarkedPolicy(s)
	first := e.apply(s, engine.ModeApply, runOpts{})
	words, _ := changeWords(first)
	if words["iam_policy.semaphore-cache-policy"] != "no-op: " {
		t.Errorf("bootstrap over the template's policy: %q, want a no-op", words["iam_policy.semaphore-cache-policy"])
	}
	e.tagBucketAsCloudFormation("semaphore-cache", map[string]string{engine.CloudFormationStackTag: cfnStack})
	if _, err := e.iam().TagUser(e.ctx, &iam.TagUserInput{UserName: aws.String("semaphore"), Tags: cfnTag()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3().PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String("semaphore-cache"), Key: aws.String("cache/k"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}

	// Converged, with the notes, at the same requests.
	p, calls := e.convergedCalls(s)
	if d := cmp.Diff(plain, calls); d != "" {
		t.Errorf("a converged plan's requests (-alone +CloudFormation):\n%s", d)
	}
	_, notes := changeWords(p)
	managed := engine.ManagedNote(cfnManaged)
	for _, a := range []engine.Address{"s3_bucket.semaphore-cache", "iam_user.semaphore", "iam_user_policy_attachment.semaphore/semaphore-cache-policy", "iam_policy.semaphore-cache-policy"} {
		if !slices.Contains(notes[a], managed) {
			t.Errorf("%s: notes %q, want %q", a, notes[a], managed)
		}
	}
	if n := strings.Join(notes["iam_policy.semaphore-cache-policy"], "\n"); !strings.Contains(n, "CloudFormation cannot tag a managed policy") {
		t.Errorf("the policy's notes do not say why it has no tag: %q", n)
	}
	for _, a := range []engine.Address{"iam_access_key.semaphore", "aws_profile.default"} {
		if len(notes[a]) != 0 {
			t.Errorf("%s is not in the template, but has notes %q", a, notes[a])
		}
	}
	e.assertRerunIsNoOp(s)

	shown, err := e.stack.Show(e.ctx, engine.PlanOptions{Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range shown.Objects {
		has := slices.Contains(o.Settings, engine.KV{Key: "managed_by", Value: cfnManaged})
		want := slices.Contains([]engine.Address{"s3_bucket.semaphore-cache", "iam_policy.semaphore-cache-policy", "iam_user.semaphore",
			"iam_user_policy_attachment.semaphore/semaphore-cache-policy"}, o.Addr)
		if has != want || o.Status != Owned && o.Status != Absent {
			t.Errorf("show %s: status %s, managed_by shown %v, want owned and %v", o.Addr, o.Status, has, want)
		}
	}

	// show --stack finds the policy by its description's mark: it has
	// no tag, and ListPolicies answers no description.
	found, err := Discover(e.ctx, e.c, s.Stack, engine.PlanOptions{Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(found.Objects, func(o ShownObject) bool { return o.Addr == "iam_policy.semaphore-cache-policy" }) {
		t.Errorf("Discover does not find the policy CloudFormation made: %v", found.Objects)
	}

	// Teardown, with --delete-data.
	e.reconnect()
	p, err = e.plan(s, engine.ModeDestroy, runOpts{deleteData: true})
	if err != nil {
		t.Fatal(err)
	}
	reason := engine.ManagedReason(cfnManaged)
	assertLeftAndDeleted(t, p, map[engine.Address]string{
		"s3_bucket.semaphore-cache":                                   reason + "; --delete-data does not apply: the bucket is not deleted, so it is not emptied either",
		"iam_user.semaphore":                                          reason,
		"iam_policy.semaphore-cache-policy":                           reason,
		"iam_user_policy_attachment.semaphore/semaphore-cache-policy": reason,
	}, []engine.Address{"iam_access_key.semaphore", "aws_profile.default", "semaphore_agent_config.cache-agent"})
	if err := e.applyPlan(p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam().GetUser(e.ctx, &iam.GetUserInput{UserName: aws.String("semaphore")}); err != nil {
		t.Errorf("the user: %v", err)
	}
	if _, err := e.iam().GetPolicy(e.ctx, &iam.GetPolicyInput{PolicyArn: aws.String(policyARN)}); err != nil {
		t.Errorf("the policy: %v", err)
	}
	att, err := e.iam().ListAttachedUserPolicies(e.ctx, &iam.ListAttachedUserPoliciesInput{UserName: aws.String("semaphore")})
	if err != nil || len(att.AttachedPolicies) != 1 || aws.ToString(att.AttachedPolicies[0].PolicyArn) != policyARN {
		t.Errorf("the attachment: %+v, %v", att, err)
	}
	if _, err := e.s3().HeadObject(e.ctx, &s3.HeadObjectInput{Bucket: aws.String("semaphore-cache"), Key: aws.String("cache/k")}); err != nil {
		t.Errorf("the bucket's object (--delete-data must not empty a bucket it keeps): %v", err)
	}
	if ids := e.keyIDs("semaphore"); len(ids) != 0 {
		t.Errorf("access keys left: %v", ids)
	}
	for _, f := range []string{e.files.Config, e.files.Credentials} {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), "[default]") {
			t.Errorf("%s still has the profile:\n%s", f, b)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dir, "agent", "config.yaml")); !os.IsNotExist(err) {
		t.Errorf("the agent config is still there: %v", err)
	}

	e.assertSecondTeardownIsNoOp(s)
}

// TestCloudFormationOwnershipOIDC: the GitHub OIDC example as the
// template makes it: the policy marked, the bucket, the role and the
// provider tagged (the provider without any stack's uses tag, which the
// template does not set). The plan is converged (no uses tag is added); teardown leaves
// the provider, the role, the attachment, the policy and the bucket, and
// deletes the workflow snippet; a second teardown has nothing to do.
func TestCloudFormationOwnershipOIDC(t *testing.T) {
	const provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
	e := newTestEnv(t)
	s := e.spec("github-oidc.yaml")
	policyARN := e.precreateMarkedPolicy(s)
	e.apply(s, engine.ModeApply, runOpts{})
	role := s.Access[0].Role
	if _, err := e.iam().TagRole(e.ctx, &iam.TagRoleInput{RoleName: aws.String(role), Tags: cfnTag()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam().TagOpenIDConnectProvider(e.ctx, &iam.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(provider), Tags: cfnTag()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam().UntagOpenIDConnectProvider(e.ctx, &iam.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(provider), TagKeys: []string{awskinds.UsesTag(s.Stack)}}); err != nil {
		t.Fatal(err)
	}
	e.tagBucketAsCloudFormation("github-actions-cache", map[string]string{engine.CloudFormationStackTag: cfnStack})

	p, _ := e.convergedCalls(s)
	_, notes := changeWords(p)
	providerAddr := engine.Address("iam_oidc_provider.token.actions.githubusercontent.com")
	for _, a := range []engine.Address{providerAddr, engine.Address("iam_role." + role), "s3_bucket.github-actions-cache"} {
		if !slices.Contains(notes[a], engine.ManagedNote(cfnManaged)) {
			t.Errorf("%s: notes %q, want the CloudFormation note", a, notes[a])
		}
	}
	e.assertRerunIsNoOp(s)

	e.reconnect()
	p, err := e.plan(s, engine.ModeDestroy, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	reason := engine.ManagedReason(cfnManaged)
	policyName := policyARN[strings.LastIndex(policyARN, "/")+1:]
	snippet := engine.Address("local_file.workflows/github_workflow")
	assertLeftAndDeleted(t, p, map[engine.Address]string{
		providerAddr:                               reason,
		engine.Address("iam_role." + role):         reason,
		engine.Address("iam_policy." + policyName): reason,
		engine.Address("iam_role_policy_attachment." + role + "/" + policyName): reason,
		"s3_bucket.github-actions-cache":                                        reason,
	}, []engine.Address{snippet})
	if err := e.applyPlan(p); err != nil {
		t.Fatal(err)
	}
	if m := e.c.Calls.Mutating(); len(m) != 0 {
		t.Errorf("teardown made mutating AWS calls: %v", m)
	}
	prov, err := e.iam().GetOpenIDConnectProvider(e.ctx, &iam.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: aws.String(provider)})
	if err != nil {
		t.Fatalf("the provider: %v", err)
	}
	if hasTag(prov.Tags, awskinds.UsesTag(s.Stack), "true") {
		t.Errorf("the provider got a uses tag: %v", prov.Tags)
	}
	if _, err := e.iam().GetRole(e.ctx, &iam.GetRoleInput{RoleName: aws.String(role)}); err != nil {
		t.Errorf("the role: %v", err)
	}
	if _, err := e.s3().HeadBucket(e.ctx, &s3.HeadBucketInput{Bucket: aws.String("github-actions-cache")}); err != nil {
		t.Errorf("the bucket: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "aws-oidc-step.yml")); !os.IsNotExist(err) {
		t.Errorf("the workflow snippet is still there: %v", err)
	}

	e.assertSecondTeardownIsNoOp(s)
}
