package provision

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

// TestGoldenPlans renders the example's plans (create, drift, destroy)
// with the test's paths and endpoint replaced by $HOME and $ENDPOINT, and
// compares them with testdata/plans/*.golden. UPDATE_GOLDEN=1 rewrites
// them (kops's golden files).
func TestGoldenPlans(t *testing.T) {
	e := newTestEnv(t)
	s := e.spec("semaphore-cache.yaml")
	render := func(p *Plan) string {
		var b bytes.Buffer
		RenderText(&b, p)
		out := strings.ReplaceAll(b.String(), e.dir, "$HOME")
		out = keyIDRe.ReplaceAllString(out, "$$ACCESS_KEY_ID")
		return strings.ReplaceAll(out, e.endpoint, "$ENDPOINT")
	}

	p, err := e.plan(s, ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "semaphore-cache-create", render(p))
	if err := (Executor{}).Apply(e.ctx, p); err != nil {
		t.Fatal(err)
	}

	if _, err := e.s3().DeleteBucketEncryption(e.ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String("semaphore-cache")}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3().DeletePublicAccessBlock(e.ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("semaphore-cache")}); err != nil {
		t.Fatal(err)
	}
	p, err = e.plan(s, ModeApply, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "semaphore-cache-drift", render(p))

	p, err = e.plan(s, ModeDestroy, runOpts{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "semaphore-cache-destroy", render(p))
}

var keyIDRe = regexp.MustCompile(`AKIA[A-Z0-9]{16}`)

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "plans", name+".golden")
	if os.Getenv("UPDATE_GOLDEN") != "" {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (UPDATE_GOLDEN=1 creates it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", path, diff)
	}
}
