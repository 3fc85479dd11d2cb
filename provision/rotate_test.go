package provision

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/awsboot/awsboot/provision/engine"
)

// assertRotated checks that old is gone and the profile's key is the
// user's one key, in the runner's config.toml too, and that it works:
// STS names the user, and it may put an object under the entry's prefix.
func (e *testEnv) assertRotated(old, configPath string) (id string) {
	e.t.Helper()
	id, secret := e.storedKey(gitlabProfile)
	if id == old {
		e.t.Fatalf("the profile still holds the old key %s", old)
	}
	if keys := e.keyIDs("gitlab-runner"); len(keys) != 1 || keys[0] != id {
		e.t.Errorf("user's keys %v, want exactly the new %s", keys, id)
	}
	s3cfg := runnerIn(e.t.(*testing.T), decodeTOML(e.t.(*testing.T), []byte(readFile(e.t.(*testing.T), configPath))), "docker-runner")["cache"].(map[string]any)["s3"].(map[string]any)
	if s3cfg["AccessKey"] != id || s3cfg["SecretKey"] != secret {
		e.t.Errorf("config.toml holds key %v, want %s and its secret", s3cfg["AccessKey"], id)
	}
	arn, err := e.c.CallerWithKey(e.ctx, id, engine.NewSecret(secret))
	if err != nil || !strings.HasSuffix(arn, ":user/gitlab-runner") {
		e.t.Errorf("STS with the new key: %q, %v", arn, err)
	}
	c := e.c.S3With(credentials.NewStaticCredentialsProvider(id, secret, ""), 1)
	if _, err := c.PutObject(e.ctx, &s3.PutObjectInput{Bucket: aws.String(gitlabBucket), Key: aws.String("gitlab-runner/rotated"), Body: bytes.NewReader([]byte("x"))}); err != nil {
		e.t.Errorf("put with the new key: %v", err)
	}
	return id
}

// TestRotateReplacesKeyEverywhere: a rotation plans the key, the runner's
// file (it follows the key) and the retirement of the old key; applied,
// the profile and config.toml hold the new key, which works, and the
// user has no other key; a rerun is a no-op.
func TestRotateReplacesKeyEverywhere(t *testing.T) {
	e := newTestEnv(t)
	s, path, _ := gitlabSetup(t, e, "docker-runner", true, 0o600)
	e.apply(s, engine.ModeApply, runOpts{})
	old, _ := e.storedKey(gitlabProfile)

	p, err := e.plan(s, engine.ModeApply, runOpts{rotate: []string{"runner-cache"}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[engine.Address]engine.Action{}
	for _, c := range p.Changes {
		if c.Action != engine.NoOp {
			got[c.Addr] = c.Action
		}
	}
	want := map[engine.Address]engine.Action{
		"iam_access_key.gitlab-runner": engine.Update, "gitlab_runner_config.runner-cache": engine.Update,
		"iam_access_key_retirement.gitlab-runner": engine.Update,
	}
	if len(got) != len(want) {
		t.Fatalf("rotation plan changes %v, want %v", got, want)
	}
	for a, act := range want {
		if got[a] != act {
			t.Errorf("%s: %v, want %v", a, got[a], act)
		}
	}
	if err := e.applyPlan(p); err != nil {
		t.Fatal(err)
	}
	e.assertRotated(old, path)
	e.assertRerunIsNoOp(s, path, e.files.Credentials)
}

// TestMaxKeyAgeRotates: with max_key_age, a key older than that shows in
// the plan as access_key_age and bootstrap rotates it; a young key only
// gets a note with its age.
func TestMaxKeyAgeRotates(t *testing.T) {
	e := newTestEnv(t)
	s, path, _ := gitlabSetup(t, e, "docker-runner", true, 0o600)
	s.Access[0].MaxKeyAge = "90d"
	e.apply(s, engine.ModeApply, runOpts{})
	old, _ := e.storedKey(gitlabProfile)

	p, err := e.plan(s, engine.ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() {
		t.Fatalf("a young key is rotated: %v", allDiffs(p))
	}
	note := ""
	for _, c := range p.Changes {
		if c.Addr == "iam_access_key.gitlab-runner" {
			note = strings.Join(c.Notes, "\n")
		}
	}
	if want := "access key " + old + " is 0m old (max_key_age 90d)"; note != want {
		t.Errorf("note %q, want %q", note, want)
	}

	later := runOpts{clock: ShiftedClock(97 * 24 * time.Hour)} // keys made now look 97 days old
	p, err = e.plan(s, engine.ModeApply, later)
	if err != nil {
		t.Fatal(err)
	}
	var age *engine.FieldDiff
	for _, c := range p.Changes {
		for i, d := range c.Diffs {
			if d.Path == "access_key_age" {
				age = &c.Diffs[i]
			}
		}
	}
	if age == nil || age.Before != "97d" || age.After != "at most 90d (max_key_age): rotate" {
		t.Fatalf("access_key_age diff %+v in %v", age, allDiffs(p))
	}
	if err := e.applyPlan(p); err != nil {
		t.Fatal(err)
	}
	e.assertRotated(old, path)
}
