package provision

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"

	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
	"github.com/awsboot/awsboot/provision/mototest"
	"github.com/awsboot/awsboot/provision/spec"
)

// startEnforcingMoto starts a private moto that checks every request
// against IAM, after letting three unauthenticated requests create an
// administrator. It returns the administrator's key. The counter of
// unauthenticated requests survives a reset, so each such test needs its
// own server.
func startEnforcingMoto(t *testing.T) (*mototest.Server, string, string) {
	t.Helper()
	if moto == nil {
		t.Skip("AWSBOOT_SKIP_MOTO is set")
	}
	// The admin is made unauthenticated, then enforcement starts: a retry
	// while making it cannot use up a fixed budget of free calls.
	srv, err := mototest.Start(mototest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	ctx := context.Background()
	root := rawIAM(t, srv.URL, "testing", "testing")
	if _, err := root.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("admin")}); err != nil {
		t.Fatal(err)
	}
	_, err = root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{
		UserName: aws.String("admin"), PolicyName: aws.String("admin"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	key, err := root.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("admin")})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.EnforceIAM(); err != nil {
		t.Fatal(err)
	}
	return srv, aws.ToString(key.AccessKey.AccessKeyId), aws.ToString(key.AccessKey.SecretAccessKey)
}

func rawConfig(t *testing.T, url, id, secret string) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"), config.WithBaseEndpoint(url), config.WithLogger(logging.Nop{}),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, "")))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func rawIAM(t *testing.T, url, id, secret string) *iam.Client {
	return iam.NewFromConfig(rawConfig(t, url, id, secret))
}

func rawS3(t *testing.T, url, id, secret string) *s3.Client {
	return s3.NewFromConfig(rawConfig(t, url, id, secret), func(o *s3.Options) { o.UsePathStyle = true })
}

// TestGeneratedCredentialsAreLeastPrivilege is point 4: with moto enforcing
// IAM, the key awsboot wrote can use the cache and nothing else.
func TestGeneratedCredentialsAreLeastPrivilege(t *testing.T) {
	srv, adminID, adminSecret := startEnforcingMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", adminID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", adminSecret)
	e := newTestEnvAt(t, srv.URL)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	ctx := context.Background()

	admin := rawS3(t, srv.URL, adminID, adminSecret)
	if _, err := admin.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("another-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("another-bucket"), Key: aws.String("secret.txt"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}

	data, _, err := localfile.ReadFileIfExists(e.files.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	f := localfile.ParseINI(data)
	id, _ := f.Get("default", "aws_access_key_id")
	secret, _ := f.Get("default", "aws_secret_access_key")
	cache := rawS3(t, srv.URL, id, secret)
	userIAM := rawIAM(t, srv.URL, id, secret)

	allowed := map[string]func() error{
		"s3:PutObject": func() error {
			_, err := cache.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("semaphore-cache"), Key: aws.String("k"), Body: strings.NewReader("v")})
			return err
		},
		"s3:GetObject": func() error {
			_, err := cache.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("semaphore-cache"), Key: aws.String("k")})
			return err
		},
		"s3:ListBucket": func() error {
			_, err := cache.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("semaphore-cache")})
			return err
		},
		"s3:DeleteObject": func() error {
			_, err := cache.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("semaphore-cache"), Key: aws.String("k")})
			return err
		},
	}
	for _, name := range []string{"s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:DeleteObject"} {
		if err := allowed[name](); err != nil {
			t.Errorf("%s on the cache bucket was refused: %v", name, err)
		}
	}

	denied := map[string]func() error{
		"s3:DeleteBucket": func() error {
			_, err := cache.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("semaphore-cache")})
			return err
		},
		"s3:PutBucketPolicy": func() error {
			_, err := cache.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("semaphore-cache"),
				Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::semaphore-cache/*"}]}`)})
			return err
		},
		"iam:ListUsers": func() error {
			_, err := userIAM.ListUsers(ctx, &iam.ListUsersInput{})
			return err
		},
		"iam:CreateAccessKey": func() error {
			_, err := userIAM.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("semaphore")})
			return err
		},
		"iam:AttachUserPolicy": func() error {
			_, err := userIAM.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String("semaphore"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
			return err
		},
		"iam:PutUserPolicy": func() error {
			_, err := userIAM.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("semaphore"), PolicyName: aws.String("x"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)})
			return err
		},
		"s3:GetObject on another bucket": func() error {
			_, err := cache.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("another-bucket"), Key: aws.String("secret.txt")})
			return err
		},
		"s3:PutObject on another bucket": func() error {
			_, err := cache.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("another-bucket"), Key: aws.String("x"), Body: strings.NewReader("v")})
			return err
		},
		"s3:ListBucket on another bucket": func() error {
			_, err := cache.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("another-bucket")})
			return err
		},
		"s3:DeleteObject on another bucket": func() error {
			_, err := cache.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("another-bucket"), Key: aws.String("secret.txt")})
			return err
		},
	}
	for name, call := range denied {
		err := call()
		if err == nil {
			t.Errorf("%s was allowed with the generated credentials", name)
			continue
		}
		// moto's IAM denials reach the SDK as a bare 403 without a
		// parsable code; S3's carry AccessDenied.
		if code := awsapi.ErrorCode(err); code != "AccessDenied" && awsapi.HTTPStatus(err) != 403 {
			t.Errorf("%s failed with %q, want access denied: %v", name, code, err)
		}
	}
}

// TestPublisherCredentialsArePrefixScoped: the orchestrator's key of the
// Bacalhau example may put and get under its prefix and nothing else,
// with moto enforcing IAM.
func TestPublisherCredentialsArePrefixScoped(t *testing.T) {
	srv, adminID, adminSecret := startEnforcingMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", adminID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", adminSecret)
	e := newTestEnvAt(t, srv.URL)
	e.apply(e.spec("bacalhau-publisher.yaml"), engine.ModeApply, runOpts{})
	ctx := context.Background()

	data, _, err := localfile.ReadFileIfExists(e.files.Credentials)
	if err != nil {
		t.Fatal(err)
	}
	f := localfile.ParseINI(data)
	id, _ := f.Get("bacalhau", "aws_access_key_id")
	secret, _ := f.Get("bacalhau", "aws_secret_access_key")
	pub := rawS3(t, srv.URL, id, secret)
	bucket := aws.String("my-result-bucket")
	if _, err := pub.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("bacalhau-managed-publisher/job-1/out.tar.gz"), Body: strings.NewReader("r")}); err != nil {
		t.Errorf("put under the prefix: %v", err)
	}
	if _, err := pub.GetObject(ctx, &s3.GetObjectInput{Bucket: bucket, Key: aws.String("bacalhau-managed-publisher/job-1/out.tar.gz")}); err != nil {
		t.Errorf("get under the prefix: %v", err)
	}
	denied := map[string]error{}
	_, denied["put outside the prefix"] = pub.PutObject(ctx, &s3.PutObjectInput{Bucket: bucket, Key: aws.String("other/x"), Body: strings.NewReader("r")})
	_, denied["list the bucket"] = pub.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bucket})
	_, denied["delete under the prefix"] = pub.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bucket, Key: aws.String("bacalhau-managed-publisher/job-1/out.tar.gz")})
	_, denied["delete the bucket"] = pub.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bucket})
	for what, err := range denied {
		if awsapi.ErrorCode(err) != "AccessDenied" {
			t.Errorf("%s: got %v, want AccessDenied", what, err)
		}
	}
}

// TestVerify is the Bacalhau issue's point 3. Against the plain emulator
// every granted action and the presigned GET pass and the "refused"
// checks are skipped (nothing enforces IAM there). Against moto enforcing
// IAM the refusals are checked too, and narrowing the policy by hand makes
// verify fail with a clear line. moto's enforcement reads credentials only
// from the Authorization header, so it answers every presigned
// (query-string signed) URL with a 500: that one check is asserted to fail
// for that reason there, and passes against the plain emulator.
func TestVerify(t *testing.T) {
	plain := newTestEnv(t)
	pub := plain.spec("bacalhau-publisher.yaml")
	plain.apply(pub, engine.ModeApply, runOpts{})
	p := "my-result-bucket/bacalhau-managed-publisher/<probe>"
	presign := "presigned GET of " + p + " (expires in 1h) over plain HTTP"
	skip := "skip: the service does not enforce IAM"
	want := map[string]string{
		"s3:PutObject " + p: "ok",
		"s3:GetObject " + p: "ok",
		presign:             "ok",
		"s3:ListBucket my-result-bucket prefix bacalhau-managed-publisher/": skip,
		"s3:DeleteBucket my-result-bucket":                                  skip,
		"s3:PutObject my-result-bucket/<outside the prefix>":                skip,
		"s3:DeleteObject " + p:                                              skip,
	}
	if diff := cmp.Diff(want, verifyResults(t, plain, pub)); diff != "" {
		t.Errorf("publisher, plain emulator (-want +got):\n%s", diff)
	}

	srv, adminID, adminSecret := startEnforcingMoto(t)
	t.Setenv("AWS_ACCESS_KEY_ID", adminID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", adminSecret)
	e := newTestEnvAt(t, srv.URL)
	pub = e.spec("bacalhau-publisher.yaml")
	cache := e.spec("semaphore-cache.yaml")
	e.apply(pub, engine.ModeApply, runOpts{})
	e.apply(cache, engine.ModeApply, runOpts{})
	const motoPresign = "FAIL: the presigned URL answered 500 INTERNAL SERVER ERROR"
	for k := range want {
		want[k] = "ok"
	}
	want[presign] = motoPresign
	if diff := cmp.Diff(want, verifyResults(t, e, pub)); diff != "" {
		t.Errorf("publisher, enforcing emulator (-want +got):\n%s", diff)
	}
	for check, res := range verifyResults(t, e, cache) {
		if res != "ok" && !(strings.HasPrefix(check, "presigned GET") && res == motoPresign) {
			t.Errorf("cache: %s: %s", check, res)
		}
	}
	out, err := e.s3().ListObjectVersions(e.ctx, &s3.ListObjectVersionsInput{Bucket: aws.String("my-result-bucket")})
	if err != nil || len(out.Versions)+len(out.DeleteMarkers) != 0 {
		t.Errorf("probe objects left behind: %d, %v", len(out.Versions)+len(out.DeleteMarkers), err)
	}

	// Narrow the policy by hand: GetObject is gone.
	narrow := policies.Publisher(policies.Scope{Bucket: "my-result-bucket", Prefix: "bacalhau-managed-publisher"})
	narrow.Statement[0].Action = policies.StringList{"s3:PutObject"}
	if _, err := e.iam().CreatePolicyVersion(e.ctx, &iam.CreatePolicyVersionInput{
		PolicyArn: aws.String("arn:aws:iam::123456789012:policy/bacalhau-publisher-policy"), PolicyDocument: aws.String(narrow.JSON()), SetAsDefault: true,
	}); err != nil {
		t.Fatal(err)
	}
	got := verifyResults(t, e, pub)
	if res := got["s3:GetObject "+p]; !strings.HasPrefix(res, "FAIL: ") || !strings.Contains(res, "AccessDenied") {
		t.Errorf("GetObject after narrowing: %q, want a FAIL naming AccessDenied", res)
	}
	checks, _ := Verify(e.ctx, e.c, pub, e.files, VerifyOptions{})
	if !Failed(checks) {
		t.Error("verify did not fail after the policy was narrowed")
	}
}

func verifyResults(t *testing.T, e *testEnv, s *spec.Spec) map[string]string {
	t.Helper()
	checks, err := Verify(e.ctx, e.c, s, e.files, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range checks {
		out[c.Check] = c.Result
		if c.Detail != "" {
			out[c.Check] += ": " + c.Detail
		}
	}
	return out
}
