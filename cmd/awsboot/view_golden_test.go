package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/golden"
	"github.com/awsboot/awsboot/provision/mototest"
)

var keyIDRe = regexp.MustCompile(`AKIA[A-Z0-9]{16}`)

// TestGoldenPlans renders the Semaphore cache example's plans (create,
// drift, destroy) against moto, with the test's paths and endpoint
// replaced by $HOME and $ENDPOINT, and compares them with
// testdata/plans/*.golden. UPDATE_GOLDEN=1 rewrites them (kops's golden
// files).
func TestGoldenPlans(t *testing.T) {
	if os.Getenv("AWSBOOT_SKIP_MOTO") != "" {
		t.Skip("AWSBOOT_SKIP_MOTO is set: skipping a test against the emulator")
	}
	srv, err := mototest.Start(mototest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": filepath.Join(dir, "admin-config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "admin-credentials"),
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	c, err := awsapi.Connect(ctx, awsapi.ConnectOptions{Endpoint: srv.URL, Region: "us-east-1", ProbeManagedPolicies: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "semaphore-cache.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(dir, "semaphore-cache.yaml")
	if err := os.WriteFile(specPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := provision.LoadSpec(specPath)
	if err != nil {
		t.Fatal(err)
	}
	st, err := provision.Build(s, c.Account, provision.BuildOptions{Files: consumers.AWSFiles{
		Config: filepath.Join(dir, ".aws", "config"), Credentials: filepath.Join(dir, ".aws", "credentials"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	st.Connect(c)
	plan := func(mode engine.Mode, name string) *engine.Plan {
		t.Helper()
		p, err := st.Plan(ctx, mode, engine.PlanOptions{Parallelism: 4})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		RenderText(&b, p)
		out := strings.ReplaceAll(b.String(), dir, "$HOME")
		out = keyIDRe.ReplaceAllString(out, "$$ACCESS_KEY_ID")
		golden.Assert(t, filepath.Join("testdata", "plans", name+".golden"), strings.ReplaceAll(out, srv.URL, "$ENDPOINT"))
		return p
	}

	p := plan(engine.ModeApply, "semaphore-cache-create")
	if err := st.Apply(ctx, p, engine.Executor{}); err != nil {
		t.Fatal(err)
	}
	s3c := c.S3.(*s3.Client)
	if _, err := s3c.DeleteBucketEncryption(ctx, &s3.DeleteBucketEncryptionInput{Bucket: aws.String("semaphore-cache")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s3c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String("semaphore-cache")}); err != nil {
		t.Fatal(err)
	}
	plan(engine.ModeApply, "semaphore-cache-drift")
	plan(engine.ModeDestroy, "semaphore-cache-destroy")
}
