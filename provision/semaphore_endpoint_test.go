package provision

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/localfile"
)

// hostRecorder is an http.RoundTripper that records the host and path of
// every request before sending it on unchanged.
type hostRecorder struct {
	mu   sync.Mutex
	urls []*url.URL
}

func (r *hostRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.urls = append(r.urls, req.URL)
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

// cacheCLIClient builds the S3 client exactly as Semaphore's cache CLI
// does with SEMAPHORE_CACHE_AWS_PROFILE (cache-cli/pkg/storage/s3.go in
// semaphoreci/toolbox: LoadDefaultConfig with WithSharedConfigProfile,
// then a plain s3.NewFromConfig); only the HTTP transport records where
// the requests go.
func cacheCLIClient(t *testing.T, profile string) (*s3.Client, *hostRecorder) {
	t.Helper()
	rec := &hostRecorder{}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithSharedConfigProfile(profile),
		config.WithHTTPClient(&http.Client{Transport: rec}))
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg), rec
}

// TestSemaphoreCacheCLIEndpoint runs the cache CLI's own SDK calls with
// what awsboot wrote for an S3-compatible endpoint. With the endpoint
// given as an IP address they reach it and can put, get, list and delete.
// With the same endpoint named by a host name (localhost), the SDK
// addresses the bucket as <bucket>.localhost, which is why awsboot refuses
// such an endpoint for write.semaphore_agent unless path_style: false
// says the service answers that name, both at validate time and when the
// endpoint comes from the command line.
func TestSemaphoreCacheCLIEndpoint(t *testing.T) {
	e := newTestEnv(t)
	const stackSpec = `version: 1
stack: cli-endpoint
region: us-east-1
bucket: {name: cli-endpoint-cache}
access:
  - name: agent
    grant: cache
    user: cli-agent
    write: {aws_profile: cache, semaphore_agent: ./agent.yaml}
`
	path := filepath.Join(e.dir, "s.yaml")
	writeFile(t, path, stackSpec)
	s, err := LoadSpec(path)
	if err != nil {
		t.Fatal(err)
	}
	e.apply(s, engine.ModeApply, runOpts{})

	entries, err := localfile.EnvVars([]byte(readFile(t, filepath.Join(e.dir, "agent.yaml"))))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}
	for _, kv := range entries {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	profile, bucket := env["SEMAPHORE_CACHE_AWS_PROFILE"], env["SEMAPHORE_CACHE_S3_BUCKET"]
	if profile != "cache" || bucket != "cli-endpoint-cache" {
		t.Fatalf("agent env-vars = %v", env)
	}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_REGION", "AWS_CA_BUNDLE"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_CONFIG_FILE", e.files.Config)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", e.files.Credentials)

	// The IP endpoint awsboot wrote: the cache CLI's calls work.
	ctx := context.Background()
	c, rec := cacheCLIClient(t, profile)
	key := "cli-endpoint/cache-key.tar"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("archive")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	got, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	body, _ := io.ReadAll(got.Body)
	got.Body.Close()
	if string(body) != "archive" {
		t.Errorf("GetObject = %q", body)
	}
	if _, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)}); err != nil {
		t.Fatalf("ListObjectsV2: %v", err)
	}
	if _, err := c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}); err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	u, _ := url.Parse(e.endpoint)
	for _, r := range rec.urls {
		if r.Host != u.Host || !strings.HasPrefix(r.Path, "/"+bucket) {
			t.Errorf("the cache CLI's request went to %s%s, want %s/%s/…", r.Host, r.Path, u.Host, bucket)
		}
	}

	// The same emulator named localhost: the SDK ignores the profile's
	// s3.addressing_style = path and asks <bucket>.localhost.
	hostURL := strings.Replace(e.endpoint, u.Hostname(), "localhost", 1)
	cfgText := readFile(t, e.files.Config)
	if !strings.Contains(cfgText, "addressing_style = path") {
		t.Fatalf("the profile does not ask for path style:\n%s", cfgText)
	}
	writeFile(t, e.files.Config, strings.ReplaceAll(cfgText, e.endpoint, hostURL))
	c, rec = cacheCLIClient(t, profile)
	_, _ = c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader("x")})
	if len(rec.urls) == 0 || rec.urls[0].Hostname() != bucket+".localhost" {
		t.Fatalf("the cache CLI's request went to %v, want host %s.localhost", rec.urls, bucket)
	}

	// So awsboot refuses that endpoint for the agent, from the spec ...
	withEndpoint := strings.Replace(stackSpec, "region: us-east-1\n", "region: us-east-1\nendpoint: "+hostURL+"\n", 1)
	writeFile(t, path, withEndpoint)
	if _, err := LoadSpec(path); err == nil || !strings.Contains(err.Error(), "cache CLI cannot reach "+hostURL) || !strings.Contains(err.Error(), "write.semaphore_agent") {
		t.Errorf("LoadSpec with endpoint %s: %v, want the cache CLI refusal at write.semaphore_agent", hostURL, err)
	}
	// ... and from the command line (--endpoint-url, AWS_ENDPOINT_URL).
	acct := e.c.Account
	acct.Endpoint = hostURL
	if _, err := Build(s, acct, BuildOptions{Files: e.files}); err == nil || !strings.HasPrefix(err.Error(), `access "agent": write.semaphore_agent: the Semaphore cache CLI cannot reach`) {
		t.Errorf("Build with endpoint %s: %v, want the cache CLI refusal", hostURL, err)
	}
	// path_style: false says the service answers <bucket>.<host>.
	writeFile(t, path, strings.Replace(withEndpoint, "region: us-east-1\n", "region: us-east-1\npath_style: false\n", 1))
	if _, err := LoadSpec(path); err != nil {
		t.Errorf("LoadSpec with path_style: false: %v", err)
	}
}
