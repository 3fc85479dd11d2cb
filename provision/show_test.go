package provision

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/engine"
)

// addresses lists the objects of a Shown with their status.
func addresses(s *Shown) []string {
	var out []string
	for _, o := range s.Objects {
		out = append(out, string(o.Addr)+" "+string(o.Status))
	}
	return out
}

// object is the object of s at addr.
func object(t *testing.T, s *Shown, addr engine.Address) ShownObject {
	t.Helper()
	for _, o := range s.Objects {
		if o.Addr == addr {
			return o
		}
	}
	t.Fatalf("no %s in %v", addr, addresses(s))
	return ShownObject{}
}

// setting is the value of key in an object's settings, "" when none.
func setting(o ShownObject, key string) string {
	for _, kv := range o.Settings {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// TestShowAndDiscover: after a bootstrap, show with the spec finds every
// object owned, with its settings and no mutating call, and leaves out
// the bucket policy the spec does not ask for; without the spec,
// discovery by the stack's tags finds the same AWS objects (the bucket,
// policy, user and key, and for OIDC the provider and role), and nothing
// of another stack.
func TestShowAndDiscover(t *testing.T) {
	e := newTestEnv(t)
	cache, oidc := e.spec("semaphore-cache.yaml"), e.spec("github-oidc.yaml")
	e.apply(cache, engine.ModeApply, runOpts{})
	e.apply(oidc, engine.ModeApply, runOpts{})

	e.reconnect()
	st, err := Build(cache, e.c.Account, BuildOptions{Files: e.files})
	if err != nil {
		t.Fatal(err)
	}
	st.Connect(e.c)
	shown, err := st.Show(e.ctx, engine.PlanOptions{Parallelism: 4})
	if err != nil {
		t.Fatal(err)
	}
	if m := e.c.Calls.Mutating(); len(m) != 0 {
		t.Errorf("show made mutating calls: %v", m)
	}
	want := []string{
		"s3_bucket.semaphore-cache owned",
		"iam_policy.semaphore-cache-policy owned", "iam_user.semaphore owned",
		"iam_user_policy_attachment.semaphore/semaphore-cache-policy owned", "iam_access_key.semaphore owned",
		"aws_profile.default owned", "semaphore_agent_config.cache-agent owned",
	}
	if d := cmp.Diff(want, addresses(shown)); d != "" {
		t.Errorf("show with the spec (-want +got):\n%s", d)
	}
	bucket, key := object(t, shown, "s3_bucket.semaphore-cache"), object(t, shown, "iam_access_key.semaphore")
	for k, v := range map[string]string{"arn": "arn:aws:s3:::semaphore-cache", "region": "us-east-1", "public_access_block": "on", "encryption": "AES256"} {
		if got := setting(bucket, k); got != v {
			t.Errorf("bucket %s = %q, want %q", k, got, v)
		}
	}
	var keyIDs []string
	for _, kv := range key.Settings {
		if id, ok := strings.CutSuffix(strings.TrimPrefix(kv.Key, "access_key."), ".status"); ok && strings.HasPrefix(kv.Key, "access_key.") {
			keyIDs = append(keyIDs, id)
		}
	}
	if len(keyIDs) != 1 || setting(key, "profile_key") != keyIDs[0]+" (accepted by STS)" {
		t.Errorf("key settings: %v", key.Settings)
	}

	for stack, want := range map[string][]string{
		"semaphore-cache": {"s3_bucket.semaphore-cache owned", "iam_policy.semaphore-cache-policy owned", "iam_user.semaphore owned", "iam_access_key.semaphore owned"},
		"github-oidc": {"s3_bucket.github-actions-cache owned", "iam_oidc_provider.token.actions.githubusercontent.com owned",
			"iam_policy.github-actions-cache-role-cache-policy owned", "iam_role.github-actions-cache-role owned"},
		"nobody": nil,
	} {
		found, err := Discover(e.ctx, e.c, stack, engine.PlanOptions{Parallelism: 4})
		if err != nil {
			t.Fatalf("%s: %v", stack, err)
		}
		if d := cmp.Diff(want, addresses(found)); d != "" {
			t.Errorf("discover %s (-want +got):\n%s", stack, d)
		}
		if stack == "semaphore-cache" {
			if k := object(t, found, "iam_access_key.semaphore"); setting(k, "access_key."+keyIDs[0]+".status") != "Active" {
				t.Errorf("discovered key: %v", k.Settings)
			}
		}
	}
	if m := e.c.Calls.Mutating(); len(m) != 0 {
		t.Errorf("show and discover made mutating calls: %v", m)
	}
}
