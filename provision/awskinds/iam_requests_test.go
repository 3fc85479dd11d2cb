// This test runs one access entry's IAM resources (managed policy, user,
// attachment, access key) through the engine against moto and counts the
// requests each step makes with the clients' call counter: it pins the
// requests a converged plan makes.

package awskinds

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/mototest"
)

// motoClients starts a moto server for one test and connects to it as
// the emulator's default identity, away from the developer's own AWS
// configuration.
func motoClients(t *testing.T) *awsapi.Clients {
	t.Helper()
	if os.Getenv("AWSBOOT_SKIP_MOTO") != "" {
		t.Skip("AWSBOOT_SKIP_MOTO is set: skipping a test against the emulator")
	}
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_ENDPOINT_URL": "", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"), "HOME": dir,
	} {
		t.Setenv(k, v)
	}
	os.Unsetenv("AWS_PROFILE")
	srv, err := mototest.Start(mototest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	c, err := awsapi.Connect(context.Background(), awsapi.ConnectOptions{Endpoint: srv.URL, Region: "us-east-1", ProbeManagedPolicies: true})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// entryGraph is one access entry's IAM resources, connected to c, with
// the key's secret kept in store.
func entryGraph(t *testing.T, c *awsapi.Clients, store KeyStore) *engine.Graph {
	t.Helper()
	policy := NewIAMPolicy(IAMPolicyConfig{Stack: "demo", Name: policyTestName, ARN: c.Account.IAMARN("policy/" + policyTestName), Description: "awsboot demo", Document: iamGrantDoc()})
	user := NewIAMUser(IAMUserConfig{Stack: "demo", Name: userTestName, PolicyARN: policy.ARN(), Custom: c.Account.Custom(), PendingKey: true})
	attachment := NewIAMPolicyAttachment(IAMPolicyAttachmentConfig{Kind: User, Principal: userTestName, Parent: user.Addr(), Policy: policy, Custom: c.Account.Custom()})
	key := NewIAMAccessKey(IAMAccessKeyConfig{Stack: "demo", User: userTestName, Store: store, After: []engine.Address{user.Addr(), attachment.Addr()}, Custom: c.Account.Custom(), UserCreatedPending: true})
	for _, k := range []Connector{policy, user, attachment, key} {
		k.Connect(c)
	}
	g, err := engine.NewGraph(engine.Typed[policyState](policy), engine.Typed[userState](user), engine.Typed[struct{}](attachment), engine.Typed[keyState](key))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// counted runs step and returns the requests it made, by operation.
func counted(t *testing.T, c *awsapi.Clients, step func() error) map[string]int {
	t.Helper()
	before := c.Calls.Counts()
	if err := step(); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for op, n := range c.Calls.Counts() {
		if d := n - before[op]; d > 0 {
			out[op] = d
		}
	}
	return out
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// TestIAMEntryRequests bootstraps one access entry's IAM resources, plans
// again and tears them down, counting requests at each step; the
// converged plan's requests are pinned.
func TestIAMEntryRequests(t *testing.T) {
	c := motoClients(t)
	ctx := context.Background()
	store := &fakeKeyStore{stack: "demo"}
	g := entryGraph(t, c, store)
	plan := func(mode engine.Mode) (*engine.Plan, map[string]int) {
		var p *engine.Plan
		calls := counted(t, c, func() (err error) {
			p, err = engine.MakePlan(ctx, g, mode, "demo", engine.PlanOptions{Parallelism: 8})
			return err
		})
		return p, calls
	}
	apply := func(p *engine.Plan) map[string]int {
		return counted(t, c, func() error { return engine.Executor{Parallelism: 8}.Apply(ctx, p) })
	}

	fresh, freshPlan := plan(engine.ModeApply)
	if add, _, _ := fresh.Counts(); add != 4 {
		t.Fatalf("fresh plan adds %d, want 4", add)
	}
	create := apply(fresh)
	converged, convergedPlan := plan(engine.ModeApply)
	if converged.HasChanges() {
		t.Fatalf("second plan has changes: %+v", converged.Changes)
	}
	destroy, destroyPlan := plan(engine.ModeDestroy)
	teardown := apply(destroy)
	for _, s := range []struct {
		step  string
		calls map[string]int
	}{{"fresh plan", freshPlan}, {"create", create}, {"converged plan", convergedPlan}, {"destroy plan", destroyPlan}, {"teardown", teardown}} {
		t.Logf("%-15s %2d requests: %v", s.step, total(s.calls), s.calls)
	}
	// The user, its two listings and its keys go at once; the policy's
	// document waits for GetPolicy's version id. GetUser and GetPolicy
	// answer the tags: no tag listing. STS is not asked about the saved
	// key: the create proved it and marked the profile so.
	want := map[string]int{
		"IAM.GetUser": 1, "IAM.ListAttachedUserPolicies": 1, "IAM.ListUserPolicies": 1, "IAM.ListAccessKeys": 1,
		"IAM.GetPolicy": 1, "IAM.GetPolicyVersion": 1,
	}
	if d := cmp.Diff(want, convergedPlan); d != "" {
		t.Errorf("converged plan requests (-want +got):\n%s", d)
	}
	// Teardown's plan asks how many versions the policy has, not its
	// document, and does not ask STS about the key it deletes anyway;
	// the policy, seen alone, then goes in one call.
	if destroyPlan["IAM.GetPolicyVersion"] != 0 || destroyPlan["IAM.ListPolicyVersions"] != 1 || destroyPlan["STS.GetCallerIdentity"] != 0 {
		t.Errorf("destroy plan reads the document, not the versions, or asks STS: %v", destroyPlan)
	}
	if teardown["IAM.DeletePolicy"] != 1 || teardown["IAM.ListEntitiesForPolicy"]+teardown["IAM.ListPolicyVersions"] != 0 {
		t.Errorf("teardown of a lone policy: %v", teardown)
	}
	// The user is created with the key's pending tag: no TagUser, and
	// no listing of a brand-new user's keys.
	if create["IAM.TagUser"] != 0 || create["IAM.ListAccessKeys"] != 0 {
		t.Errorf("create tags the new user or lists its keys: %v", create)
	}
	// Neither the key's create nor the user's delete reads the user again.
	for step, calls := range map[string]map[string]int{"create": create, "teardown": teardown} {
		for _, op := range []string{"IAM.GetUser", "IAM.ListUserTags", "IAM.ListAttachedUserPolicies", "IAM.ListUserPolicies"} {
			if calls[op] > 0 {
				t.Errorf("%s calls %s", step, op)
			}
		}
	}
}
