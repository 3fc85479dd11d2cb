// The tests of the S3 kinds use fakes of each kind's narrow client
// interface (s3BucketAPI, s3BucketPolicyAPI, s3ReplicationAPI), not
// stand-ins for S3: a fake embeds the interface, answers only the calls a
// test expects and panics on any other (the embedded interface is nil).
// They pin down Diff, which calls Update makes for a given drift, and how
// Read turns answers into state. How S3 itself behaves is covered by the
// integration tests against moto.

package awskinds

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// s3HTTPError is an error with only an HTTP status, as S3 answers HEAD
// requests (HeadBucket).
func s3HTTPError(status int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      errors.New(http.StatusText(status)),
	}}
}

// s3CodeError is an error with an S3 error code.
func s3CodeError(code string) error {
	return &smithy.GenericAPIError{Code: code, Message: code}
}

// s3ObservationOpts compares observations by their exported fields (the
// typed state inside is Typed's business) and bucket states by all of
// theirs.
var s3ObservationOpts = cmp.Options{
	cmpopts.IgnoreUnexported(engine.Observation{}, s3types.PublicAccessBlockConfiguration{}),
	cmp.AllowUnexported(bucketState{}),
	cmpopts.EquateEmpty(),
}

// testBucketConfig is a bucket as a typical spec makes it.
func testBucketConfig() S3BucketConfig {
	return S3BucketConfig{
		Stack:      "dev",
		Name:       "cache",
		Region:     "eu-west-1",
		Tags:       map[string]string{"team": "infra"},
		Versioning: aws.Bool(true),
		Rules: []LifecycleRule{
			{ID: "abort-multipart", AbortDays: 7},
			{ID: "expire-tmp", Prefix: "tmp/", ExpireDays: 30, NoncurrentDays: 1},
		},
		ObjectOwnership: "BucketOwnerEnforced",
	}
}

const (
	ruleAbort     = `prefix="", abort incomplete multipart uploads after 7 days`
	ruleExpireTmp = `prefix="tmp/", expire after 30 days, expire noncurrent versions after 1 day`
)

// inSyncBucketState is what Read finds when the bucket is exactly what
// testBucketConfig wants (plus a tag someone else added, which is not
// awsboot's business).
func inSyncBucketState() bucketState {
	return bucketState{
		region: "eu-west-1",
		tags:   map[string]string{engine.StackTag: "dev", "team": "infra", "cost-center": "42"},
		pab: s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls:       aws.Bool(true),
			IgnorePublicAcls:      aws.Bool(true),
			BlockPublicPolicy:     aws.Bool(true),
			RestrictPublicBuckets: aws.Bool(true),
		},
		sse:         "AES256",
		versioning:  "Enabled",
		rules:       map[string]string{"abort-multipart": ruleAbort, "expire-tmp": ruleExpireTmp},
		ownership:   "BucketOwnerEnforced",
		unsupported: map[string]bool{},
	}
}

func allUnsupported() map[string]bool {
	return map[string]bool{
		settingPAB: true, settingEncryption: true, settingOwnership: true,
		settingVersioning: true, settingLifecycle: true,
	}
}

func TestS3BucketDiff(t *testing.T) {
	tests := map[string]struct {
		cfg     func(*S3BucketConfig)
		absent  bool
		state   func(*bucketState)
		want    []engine.FieldDiff
		wantErr string
	}{
		"create": {
			absent: true,
			want: []engine.FieldDiff{
				{Path: "name", After: "cache"},
				{Path: "region", After: "eu-west-1"},
				{Path: "public_access_block.block_public_acls", After: "true"},
				{Path: "public_access_block.ignore_public_acls", After: "true"},
				{Path: "public_access_block.block_public_policy", After: "true"},
				{Path: "public_access_block.restrict_public_buckets", After: "true"},
				{Path: "encryption.sse_algorithm", After: "AES256"},
				{Path: "object_ownership", After: "BucketOwnerEnforced"},
				{Path: "tags.awsboot:stack", After: "dev"},
				{Path: "tags.team", After: "infra"},
				{Path: "versioning", After: "on"},
				{Path: "lifecycle.abort-multipart", After: ruleAbort},
				{Path: "lifecycle.expire-tmp", After: ruleExpireTmp},
			},
		},
		"create without versioning or lifecycle rules": {
			cfg: func(c *S3BucketConfig) {
				c.Versioning, c.Rules, c.Tags = nil, nil, nil
				c.ObjectOwnership = "ObjectWriter"
			},
			absent: true,
			want: []engine.FieldDiff{
				{Path: "name", After: "cache"},
				{Path: "region", After: "eu-west-1"},
				{Path: "public_access_block.block_public_acls", After: "true"},
				{Path: "public_access_block.ignore_public_acls", After: "true"},
				{Path: "public_access_block.block_public_policy", After: "true"},
				{Path: "public_access_block.restrict_public_buckets", After: "true"},
				{Path: "encryption.sse_algorithm", After: "AES256"},
				{Path: "object_ownership", After: "ObjectWriter"},
				{Path: "tags.awsboot:stack", After: "dev"},
			},
		},
		"no-op": {},
		"region mismatch": {
			state:   func(s *bucketState) { s.region = "us-east-1" },
			wantErr: `bucket "cache" is in us-east-1 but the stack's region is eu-west-1`,
		},
		"block_public_acls off": {
			state: func(s *bucketState) { s.pab.BlockPublicAcls = aws.Bool(false) },
			want:  []engine.FieldDiff{{Path: "public_access_block.block_public_acls", Before: "false", After: "true"}},
		},
		"ignore_public_acls off": {
			state: func(s *bucketState) { s.pab.IgnorePublicAcls = aws.Bool(false) },
			want:  []engine.FieldDiff{{Path: "public_access_block.ignore_public_acls", Before: "false", After: "true"}},
		},
		"block_public_policy off": {
			state: func(s *bucketState) { s.pab.BlockPublicPolicy = aws.Bool(false) },
			want:  []engine.FieldDiff{{Path: "public_access_block.block_public_policy", Before: "false", After: "true"}},
		},
		"restrict_public_buckets off": {
			state: func(s *bucketState) { s.pab.RestrictPublicBuckets = aws.Bool(false) },
			want:  []engine.FieldDiff{{Path: "public_access_block.restrict_public_buckets", Before: "false", After: "true"}},
		},
		"no public access block at all": {
			state: func(s *bucketState) { s.pab = s3types.PublicAccessBlockConfiguration{} },
			want: []engine.FieldDiff{
				{Path: "public_access_block.block_public_acls", Before: "false", After: "true"},
				{Path: "public_access_block.ignore_public_acls", Before: "false", After: "true"},
				{Path: "public_access_block.block_public_policy", Before: "false", After: "true"},
				{Path: "public_access_block.restrict_public_buckets", Before: "false", After: "true"},
			},
		},
		"no default encryption": {
			state: func(s *bucketState) { s.sse = "" },
			want:  []engine.FieldDiff{{Path: "encryption.sse_algorithm", After: "AES256"}},
		},
		"encryption changed to KMS": {
			state: func(s *bucketState) { s.sse = "aws:kms" },
			want:  []engine.FieldDiff{{Path: "encryption.sse_algorithm", Before: "aws:kms", After: "AES256"}},
		},
		"object ownership changed": {
			state: func(s *bucketState) { s.ownership = "BucketOwnerPreferred" },
			want:  []engine.FieldDiff{{Path: "object_ownership", Before: "BucketOwnerPreferred", After: "BucketOwnerEnforced"}},
		},
		"no ownership controls reads as ObjectWriter": {
			state: func(s *bucketState) { s.ownership = "" },
			want:  []engine.FieldDiff{{Path: "object_ownership", Before: "ObjectWriter", After: "BucketOwnerEnforced"}},
		},
		"no ownership controls when ObjectWriter is wanted": {
			cfg:   func(c *S3BucketConfig) { c.ObjectOwnership = "ObjectWriter" },
			state: func(s *bucketState) { s.ownership = "" },
		},
		"tag changed": {
			state: func(s *bucketState) { s.tags["team"] = "ops" },
			want:  []engine.FieldDiff{{Path: "tags.team", Before: "ops", After: "infra"}},
		},
		"tag missing": {
			state: func(s *bucketState) { delete(s.tags, "team") },
			want:  []engine.FieldDiff{{Path: "tags.team", After: "infra"}},
		},
		"ownership tag missing": {
			state: func(s *bucketState) { delete(s.tags, engine.StackTag) },
			want:  []engine.FieldDiff{{Path: "tags.awsboot:stack", After: "dev"}},
		},
		"foreign tags only": {
			state: func(s *bucketState) { s.tags = map[string]string{"cost-center": "42"} },
			want: []engine.FieldDiff{
				{Path: "tags.awsboot:stack", After: "dev"},
				{Path: "tags.team", After: "infra"},
			},
		},
		"versioning suspended": {
			state: func(s *bucketState) { s.versioning = "Suspended" },
			want:  []engine.FieldDiff{{Path: "versioning", Before: "off", After: "on"}},
		},
		"versioning never enabled": {
			state: func(s *bucketState) { s.versioning = "" },
			want:  []engine.FieldDiff{{Path: "versioning", Before: "off", After: "on"}},
		},
		"versioning on but off wanted": {
			cfg:  func(c *S3BucketConfig) { c.Versioning = aws.Bool(false) },
			want: []engine.FieldDiff{{Path: "versioning", Before: "on", After: "off"}},
		},
		"versioning never enabled and off wanted": {
			cfg:   func(c *S3BucketConfig) { c.Versioning = aws.Bool(false) },
			state: func(s *bucketState) { s.versioning = "" },
		},
		"versioning left as it is": {
			cfg:   func(c *S3BucketConfig) { c.Versioning = nil },
			state: func(s *bucketState) { s.versioning = "Suspended" },
		},
		"lifecycle rule changed": {
			state: func(s *bucketState) { s.rules["expire-tmp"] = `prefix="tmp/", expire after 7 days` },
			want: []engine.FieldDiff{{
				Path:   "lifecycle.expire-tmp",
				Before: `prefix="tmp/", expire after 7 days`,
				After:  ruleExpireTmp,
			}},
		},
		"lifecycle rule disabled": {
			state: func(s *bucketState) {
				s.rules["abort-multipart"] = LifecycleRule{ID: "abort-multipart", Prefix: "(disabled)"}.String()
			},
			want: []engine.FieldDiff{{Path: "lifecycle.abort-multipart", Before: `prefix="(disabled)"`, After: ruleAbort}},
		},
		"lifecycle rule missing": {
			state: func(s *bucketState) { delete(s.rules, "expire-tmp") },
			want:  []engine.FieldDiff{{Path: "lifecycle.expire-tmp", After: ruleExpireTmp}},
		},
		"no lifecycle configuration": {
			state: func(s *bucketState) { s.rules = map[string]string{} },
			want: []engine.FieldDiff{
				{Path: "lifecycle.abort-multipart", After: ruleAbort},
				{Path: "lifecycle.expire-tmp", After: ruleExpireTmp},
			},
		},
		"lifecycle rule added by hand": {
			state: func(s *bucketState) { s.rules["manual"] = `prefix="logs/", expire after 1 day` },
			want:  []engine.FieldDiff{{Path: "lifecycle.manual", Before: `prefix="logs/", expire after 1 day`}},
		},
		"lifecycle rules no longer wanted": {
			cfg: func(c *S3BucketConfig) { c.Rules = nil },
			want: []engine.FieldDiff{
				{Path: "lifecycle.abort-multipart", Before: ruleAbort},
				{Path: "lifecycle.expire-tmp", Before: ruleExpireTmp},
			},
		},
		"several drifts, in plan order": {
			state: func(s *bucketState) {
				s.pab.RestrictPublicBuckets = nil
				s.sse = ""
				s.ownership = ""
				s.tags["team"] = "ops"
				s.versioning = "Suspended"
				delete(s.rules, "abort-multipart")
			},
			want: []engine.FieldDiff{
				{Path: "public_access_block.restrict_public_buckets", Before: "false", After: "true"},
				{Path: "encryption.sse_algorithm", After: "AES256"},
				{Path: "object_ownership", Before: "ObjectWriter", After: "BucketOwnerEnforced"},
				{Path: "tags.team", Before: "ops", After: "infra"},
				{Path: "versioning", Before: "off", After: "on"},
				{Path: "lifecycle.abort-multipart", After: ruleAbort},
			},
		},
		"unsupported settings are skipped": {
			cfg: func(c *S3BucketConfig) { c.Custom = true },
			state: func(s *bucketState) {
				s.pab = s3types.PublicAccessBlockConfiguration{}
				s.sse = ""
				s.ownership = ""
				s.versioning = ""
				s.rules = map[string]string{}
				s.unsupported = allUnsupported()
			},
		},
		"unsupported settings are skipped, tags still diffed": {
			cfg: func(c *S3BucketConfig) { c.Custom = true },
			state: func(s *bucketState) {
				s.pab = s3types.PublicAccessBlockConfiguration{}
				s.sse = ""
				s.ownership = ""
				s.versioning = ""
				s.rules = map[string]string{}
				s.unsupported = allUnsupported()
				delete(s.tags, "team")
			},
			want: []engine.FieldDiff{{Path: "tags.team", After: "infra"}},
		},
		"only the unsupported setting is skipped": {
			cfg: func(c *S3BucketConfig) { c.Custom = true },
			state: func(s *bucketState) {
				s.unsupported = map[string]bool{settingLifecycle: true}
				s.rules = map[string]string{}
				s.sse = ""
			},
			want: []engine.FieldDiff{{Path: "encryption.sse_algorithm", After: "AES256"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testBucketConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			b := NewS3Bucket(cfg)
			o := &engine.Observation{Exists: true, Owner: "dev"}
			st := inSyncBucketState()
			if tc.absent {
				o, st = &engine.Observation{}, bucketState{}
			}
			if tc.state != nil {
				tc.state(&st)
			}
			got, err := b.Diff(o, st)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Diff error = %v, want one containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Diff mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeS3Bucket answers the calls Update and Create make, recording their
// names; any other call panics on the nil s3BucketAPI. The calls may come
// from several goroutines at once.
type fakeS3Bucket struct {
	s3BucketAPI
	mu    sync.Mutex
	calls []string
	// tagSet is what the last PutBucketTagging wrote.
	tagSet map[string]string
}

func (f *fakeS3Bucket) record(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

// sortedCalls are the calls made, in name order: calls made at the same
// time have no order.
func (f *fakeS3Bucket) sortedCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(slices.Values(f.calls))
}

func (f *fakeS3Bucket) CreateBucket(context.Context, *s3.CreateBucketInput, ...func(*s3.Options)) (*s3.CreateBucketOutput, error) {
	f.record("CreateBucket")
	return &s3.CreateBucketOutput{}, nil
}

func (f *fakeS3Bucket) PutBucketTagging(_ context.Context, in *s3.PutBucketTaggingInput, _ ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error) {
	f.record("PutBucketTagging")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tagSet = map[string]string{}
	for _, t := range in.Tagging.TagSet {
		f.tagSet[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return &s3.PutBucketTaggingOutput{}, nil
}

func (f *fakeS3Bucket) PutPublicAccessBlock(context.Context, *s3.PutPublicAccessBlockInput, ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error) {
	f.record("PutPublicAccessBlock")
	return &s3.PutPublicAccessBlockOutput{}, nil
}

func (f *fakeS3Bucket) PutBucketEncryption(context.Context, *s3.PutBucketEncryptionInput, ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	f.record("PutBucketEncryption")
	return &s3.PutBucketEncryptionOutput{}, nil
}

func (f *fakeS3Bucket) PutBucketOwnershipControls(context.Context, *s3.PutBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error) {
	f.record("PutBucketOwnershipControls")
	return &s3.PutBucketOwnershipControlsOutput{}, nil
}

func (f *fakeS3Bucket) PutBucketVersioning(context.Context, *s3.PutBucketVersioningInput, ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error) {
	f.record("PutBucketVersioning")
	return &s3.PutBucketVersioningOutput{}, nil
}

func (f *fakeS3Bucket) PutBucketLifecycleConfiguration(context.Context, *s3.PutBucketLifecycleConfigurationInput, ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error) {
	f.record("PutBucketLifecycleConfiguration")
	return &s3.PutBucketLifecycleConfigurationOutput{}, nil
}

func (f *fakeS3Bucket) DeleteBucketLifecycle(context.Context, *s3.DeleteBucketLifecycleInput, ...func(*s3.Options)) (*s3.DeleteBucketLifecycleOutput, error) {
	f.record("DeleteBucketLifecycle")
	return &s3.DeleteBucketLifecycleOutput{}, nil
}

func TestS3BucketUpdateRepairsOnlyDrift(t *testing.T) {
	tests := map[string]struct {
		cfg       func(*S3BucketConfig)
		state     func(*bucketState)
		wantCalls []string
	}{
		"no drift": {},
		"public access block": {
			state:     func(s *bucketState) { s.pab.IgnorePublicAcls = aws.Bool(false) },
			wantCalls: []string{"PutPublicAccessBlock"},
		},
		"encryption": {
			state:     func(s *bucketState) { s.sse = "" },
			wantCalls: []string{"PutBucketEncryption"},
		},
		"object ownership": {
			state:     func(s *bucketState) { s.ownership = "" },
			wantCalls: []string{"PutBucketOwnershipControls"},
		},
		"tags": {
			state:     func(s *bucketState) { delete(s.tags, engine.StackTag) },
			wantCalls: []string{"PutBucketTagging"},
		},
		"versioning": {
			state:     func(s *bucketState) { s.versioning = "Suspended" },
			wantCalls: []string{"PutBucketVersioning"},
		},
		"lifecycle rule changed": {
			state:     func(s *bucketState) { s.rules["abort-multipart"] = `prefix=""` },
			wantCalls: []string{"PutBucketLifecycleConfiguration"},
		},
		"lifecycle rules removed": {
			cfg:       func(c *S3BucketConfig) { c.Rules = nil },
			wantCalls: []string{"DeleteBucketLifecycle"},
		},
		"everything": {
			state: func(s *bucketState) {
				s.pab = s3types.PublicAccessBlockConfiguration{}
				s.sse = "aws:kms"
				s.ownership = "ObjectWriter"
				s.tags["team"] = "ops"
				s.versioning = ""
				s.rules["manual"] = `prefix="x/"`
			},
			wantCalls: []string{
				"PutBucketEncryption", "PutBucketLifecycleConfiguration", "PutBucketOwnershipControls",
				"PutBucketTagging", "PutBucketVersioning", "PutPublicAccessBlock",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testBucketConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			b := NewS3Bucket(cfg)
			fake := &fakeS3Bucket{}
			b.api = fake
			o := &engine.Observation{Exists: true, Owner: "dev"}
			st := inSyncBucketState()
			if tc.state != nil {
				tc.state(&st)
			}
			diffs, err := b.Diff(o, st)
			if err != nil {
				t.Fatalf("Diff: %v", err)
			}
			if err := b.Update(context.Background(), o, st, diffs); err != nil {
				t.Fatalf("Update: %v", err)
			}
			if diff := cmp.Diff(tc.wantCalls, fake.sortedCalls()); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The tag repair writes the whole tag set, so it must keep tags someone
// else added.
func TestS3BucketUpdateKeepsForeignTags(t *testing.T) {
	b := NewS3Bucket(testBucketConfig())
	fake := &fakeS3Bucket{}
	b.api = fake
	o := &engine.Observation{Exists: true, Owner: "dev"}
	st := inSyncBucketState()
	st.tags["team"] = "ops"
	diffs, err := b.Diff(o, st)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if err := b.Update(context.Background(), o, st, diffs); err != nil {
		t.Fatalf("Update: %v", err)
	}
	want := map[string]string{engine.StackTag: "dev", "team": "infra", "cost-center": "42"}
	if diff := cmp.Diff(want, fake.tagSet); diff != "" {
		t.Errorf("tag set mismatch (-want +got):\n%s", diff)
	}
}

func TestS3BucketCreateCalls(t *testing.T) {
	tests := map[string]struct {
		cfg       func(*S3BucketConfig)
		wantCalls []string
	}{
		"versioning and lifecycle": {
			wantCalls: []string{
				"PutBucketEncryption", "PutBucketLifecycleConfiguration", "PutBucketOwnershipControls",
				"PutBucketTagging", "PutBucketVersioning", "PutPublicAccessBlock",
			},
		},
		"versioning off, no rules": {
			cfg: func(c *S3BucketConfig) { c.Versioning, c.Rules = aws.Bool(false), nil },
			wantCalls: []string{
				"PutBucketEncryption", "PutBucketOwnershipControls", "PutBucketTagging", "PutPublicAccessBlock",
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testBucketConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			b := NewS3Bucket(cfg)
			fake := &fakeS3Bucket{}
			b.api = fake
			if err := b.Create(context.Background(), &engine.Observation{}, bucketState{}); err != nil {
				t.Fatalf("Create: %v", err)
			}
			// CreateBucket first, then the settings in any order.
			if len(fake.calls) == 0 || fake.calls[0] != "CreateBucket" {
				t.Fatalf("calls = %q, want CreateBucket first", fake.calls)
			}
			fake.calls = fake.calls[1:]
			if diff := cmp.Diff(tc.wantCalls, fake.sortedCalls()); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// readS3Bucket answers the calls Read makes. Only headErr set: the test
// expects Read to stop after HeadBucket, and any further call panics.
type readS3Bucket struct {
	s3BucketAPI
	headErr error
	// headRegion is HeadBucket's x-amz-bucket-region, "" for a service
	// that leaves the header out.
	headRegion string
	// The rest are the answers for an existing bucket; an *Err field set
	// makes that call fail.
	location      s3types.BucketLocationConstraint
	tags          []s3types.Tag
	pab           *s3types.PublicAccessBlockConfiguration
	pabErr        error
	sse           s3types.ServerSideEncryption
	sseErr        error
	versioning    s3types.BucketVersioningStatus
	versioningErr error
	ownership     s3types.ObjectOwnership
	ownershipErr  error
	rules         []s3types.LifecycleRule
	rulesErr      error
	objects       int
}

func (f *readS3Bucket) HeadBucket(context.Context, *s3.HeadBucketInput, ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	if f.headErr != nil {
		return nil, f.headErr
	}
	out := &s3.HeadBucketOutput{}
	if f.headRegion != "" {
		out.BucketRegion = aws.String(f.headRegion)
	}
	return out, nil
}

func (f *readS3Bucket) GetBucketLocation(context.Context, *s3.GetBucketLocationInput, ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	return &s3.GetBucketLocationOutput{LocationConstraint: f.location}, nil
}

func (f *readS3Bucket) GetBucketTagging(context.Context, *s3.GetBucketTaggingInput, ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	if len(f.tags) == 0 {
		return nil, s3CodeError("NoSuchTagSet")
	}
	return &s3.GetBucketTaggingOutput{TagSet: f.tags}, nil
}

func (f *readS3Bucket) GetPublicAccessBlock(context.Context, *s3.GetPublicAccessBlockInput, ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error) {
	if f.pabErr != nil {
		return nil, f.pabErr
	}
	return &s3.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: f.pab}, nil
}

func (f *readS3Bucket) GetBucketEncryption(context.Context, *s3.GetBucketEncryptionInput, ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	if f.sseErr != nil {
		return nil, f.sseErr
	}
	return &s3.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
		Rules: []s3types.ServerSideEncryptionRule{{ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: f.sse}}},
	}}, nil
}

func (f *readS3Bucket) GetBucketVersioning(context.Context, *s3.GetBucketVersioningInput, ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	if f.versioningErr != nil {
		return nil, f.versioningErr
	}
	return &s3.GetBucketVersioningOutput{Status: f.versioning}, nil
}

func (f *readS3Bucket) GetBucketOwnershipControls(context.Context, *s3.GetBucketOwnershipControlsInput, ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	if f.ownershipErr != nil {
		return nil, f.ownershipErr
	}
	return &s3.GetBucketOwnershipControlsOutput{OwnershipControls: &s3types.OwnershipControls{
		Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: f.ownership}},
	}}, nil
}

func (f *readS3Bucket) GetBucketLifecycleConfiguration(context.Context, *s3.GetBucketLifecycleConfigurationInput, ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error) {
	if f.rulesErr != nil {
		return nil, f.rulesErr
	}
	return &s3.GetBucketLifecycleConfigurationOutput{Rules: f.rules}, nil
}

func (f *readS3Bucket) ListObjectVersions(context.Context, *s3.ListObjectVersionsInput, ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	out := &s3.ListObjectVersionsOutput{}
	for range f.objects {
		out.Versions = append(out.Versions, s3types.ObjectVersion{Key: aws.String("k")})
	}
	return out, nil
}

// inSyncBucket answers as a bucket that is exactly what testBucketConfig
// wants.
func inSyncBucket() *readS3Bucket {
	return &readS3Bucket{
		location: "eu-west-1",
		tags: []s3types.Tag{
			{Key: aws.String(engine.StackTag), Value: aws.String("dev")},
			{Key: aws.String("team"), Value: aws.String("infra")},
			{Key: aws.String("cost-center"), Value: aws.String("42")},
		},
		pab: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true),
			BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
		},
		sse:        s3types.ServerSideEncryptionAes256,
		versioning: s3types.BucketVersioningStatusEnabled,
		ownership:  s3types.ObjectOwnershipBucketOwnerEnforced,
		rules: []s3types.LifecycleRule{
			{
				ID: aws.String("abort-multipart"), Status: s3types.ExpirationStatusEnabled,
				Filter:                         &s3types.LifecycleRuleFilter{Prefix: aws.String("")},
				AbortIncompleteMultipartUpload: &s3types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(7)},
			},
			{
				ID: aws.String("expire-tmp"), Status: s3types.ExpirationStatusEnabled,
				Filter:                      &s3types.LifecycleRuleFilter{Prefix: aws.String("tmp/")},
				Expiration:                  &s3types.LifecycleExpiration{Days: aws.Int32(30)},
				NoncurrentVersionExpiration: &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(1)},
			},
		},
	}
}

func TestS3BucketRead(t *testing.T) {
	tests := map[string]struct {
		cfg       func(*S3BucketConfig)
		fake      *readS3Bucket
		wantObs   *engine.Observation
		wantState bucketState
		wantErr   string
	}{
		"absent": {
			fake:    &readS3Bucket{headErr: s3HTTPError(http.StatusNotFound)},
			wantObs: &engine.Observation{},
		},
		"absent on an S3-compatible service": {
			cfg:  func(c *S3BucketConfig) { c.Custom = true },
			fake: &readS3Bucket{headErr: s3HTTPError(http.StatusNotFound)},
			wantObs: &engine.Observation{Notes: []string{
				"S3-compatible endpoint: a setting below that the service does not implement is skipped at apply, and named by the next plan",
			}},
		},
		"another account's bucket": {
			fake:    &readS3Bucket{headErr: s3HTTPError(http.StatusForbidden)},
			wantErr: "probably belongs to another AWS account",
		},
		"bucket in another region": {
			fake:    &readS3Bucket{headErr: s3HTTPError(http.StatusMovedPermanently)},
			wantErr: "exists in another region than eu-west-1",
		},
		"in sync": {
			fake:      inSyncBucket(),
			wantObs:   &engine.Observation{Exists: true, Owner: "dev"},
			wantState: inSyncBucketState(),
		},
		"legacy location EU, data kept": {
			fake: func() *readS3Bucket {
				f := inSyncBucket()
				f.location = "EU"
				f.objects = 1
				return f
			}(),
			wantObs: &engine.Observation{
				Exists: true, Owner: "dev",
				KeepReason: "the bucket holds objects, so it is kept to protect the data; run teardown with --delete-data to delete every object, every version and the bucket",
			},
			wantState: func() bucketState {
				s := inSyncBucketState()
				s.hasData = true
				return s
			}(),
		},
		"nothing configured": {
			fake: &readS3Bucket{
				location:     "eu-west-1",
				pabErr:       s3CodeError("NoSuchPublicAccessBlockConfiguration"),
				sseErr:       s3CodeError("ServerSideEncryptionConfigurationNotFoundError"),
				ownershipErr: s3CodeError("OwnershipControlsNotFoundError"),
				rulesErr:     s3CodeError("NoSuchLifecycleConfiguration"),
			},
			wantObs: &engine.Observation{Exists: true},
			wantState: bucketState{
				region: "eu-west-1", tags: map[string]string{}, rules: map[string]string{}, unsupported: map[string]bool{},
			},
		},
		"disabled lifecycle rule": {
			fake: func() *readS3Bucket {
				f := inSyncBucket()
				f.rules[1].Status = s3types.ExpirationStatusDisabled
				return f
			}(),
			wantObs: &engine.Observation{Exists: true, Owner: "dev"},
			wantState: func() bucketState {
				s := inSyncBucketState()
				s.rules["expire-tmp"] = `prefix="(disabled)"`
				return s
			}(),
		},
		"S3-compatible service without the optional settings": {
			cfg: func(c *S3BucketConfig) { c.Custom = true },
			fake: func() *readS3Bucket {
				f := inSyncBucket()
				f.pabErr = s3CodeError("NotImplemented")
				f.sseErr = s3HTTPError(http.StatusNotImplemented)
				f.versioningErr = s3CodeError("NotSupported")
				f.ownershipErr = s3CodeError("NotImplemented")
				f.rulesErr = s3CodeError("InvalidAction")
				return f
			}(),
			wantObs: &engine.Observation{Exists: true, Owner: "dev", Notes: []string{
				"skipped: public_access_block (this S3-compatible service does not implement it)",
				"skipped: encryption (this S3-compatible service does not implement it)",
				"skipped: object_ownership (this S3-compatible service does not implement it)",
				"skipped: versioning (this S3-compatible service does not implement it)",
				"skipped: lifecycle (this S3-compatible service does not implement it)",
			}},
			wantState: bucketState{
				region:      "eu-west-1",
				tags:        map[string]string{engine.StackTag: "dev", "team": "infra", "cost-center": "42"},
				rules:       map[string]string{},
				unsupported: allUnsupported(),
			},
		},
		"several reads fail: the first in read order is the error": {
			fake: func() *readS3Bucket {
				f := inSyncBucket()
				f.rulesErr = s3CodeError("AccessDenied")
				f.versioningErr = s3CodeError("AccessDenied")
				f.pabErr = s3CodeError("AccessDenied")
				return f
			}(),
			wantErr: `reading public access block of bucket "cache": api error AccessDenied`,
		},
		"missing setting on AWS is an error": {
			fake: func() *readS3Bucket {
				f := inSyncBucket()
				f.pabErr = s3CodeError("NotImplemented")
				return f
			}(),
			wantErr: `reading public access block of bucket "cache"`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := testBucketConfig()
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			b := NewS3Bucket(cfg)
			b.api = tc.fake
			o, st, err := b.Read(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Read error = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(tc.wantObs, o, s3ObservationOpts); diff != "" {
				t.Errorf("observation mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantState, st, s3ObservationOpts); diff != "" {
				t.Errorf("state mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// What Read makes of a bucket that Create would make must diff as
// nothing; otherwise every plan after the first shows drift.
func TestS3BucketReadThenDiffInSync(t *testing.T) {
	b := NewS3Bucket(testBucketConfig())
	b.api = inSyncBucket()
	o, st, err := b.Read(context.Background())
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	got, err := b.Diff(o, st)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if diff := cmp.Diff([]engine.FieldDiff(nil), got); diff != "" {
		t.Errorf("Diff mismatch (-want +got):\n%s", diff)
	}
}

// gatedCall is a call held by gatedS3 until the test releases it.
type gatedCall struct {
	name    string
	release chan struct{}
}

// gatedS3 holds every call it gets until the test releases it, then
// passes it on to the fake it wraps. A test therefore sees which calls
// are in flight together: all calls of one wave arrive before any of them
// is answered, which only code that makes them at the same time can do.
// Sequential code would send one call and wait for its answer forever;
// waves then fails instead of hanging.
type gatedS3 struct {
	s3BucketAPI
	arrived chan gatedCall
}

func (g *gatedS3) hold(name string) {
	c := gatedCall{name: name, release: make(chan struct{})}
	g.arrived <- c
	<-c.release
}

func (g *gatedS3) HeadBucket(ctx context.Context, in *s3.HeadBucketInput, o ...func(*s3.Options)) (*s3.HeadBucketOutput, error) {
	g.hold("HeadBucket")
	return g.s3BucketAPI.HeadBucket(ctx, in, o...)
}

func (g *gatedS3) GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, o ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error) {
	g.hold("GetBucketLocation")
	return g.s3BucketAPI.GetBucketLocation(ctx, in, o...)
}

func (g *gatedS3) GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, o ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	g.hold("GetBucketTagging")
	return g.s3BucketAPI.GetBucketTagging(ctx, in, o...)
}

func (g *gatedS3) GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, o ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error) {
	g.hold("GetPublicAccessBlock")
	return g.s3BucketAPI.GetPublicAccessBlock(ctx, in, o...)
}

func (g *gatedS3) GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, o ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error) {
	g.hold("GetBucketEncryption")
	return g.s3BucketAPI.GetBucketEncryption(ctx, in, o...)
}

func (g *gatedS3) GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, o ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error) {
	g.hold("GetBucketVersioning")
	return g.s3BucketAPI.GetBucketVersioning(ctx, in, o...)
}

func (g *gatedS3) GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, o ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error) {
	g.hold("GetBucketOwnershipControls")
	return g.s3BucketAPI.GetBucketOwnershipControls(ctx, in, o...)
}

func (g *gatedS3) GetBucketLifecycleConfiguration(ctx context.Context, in *s3.GetBucketLifecycleConfigurationInput, o ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error) {
	g.hold("GetBucketLifecycleConfiguration")
	return g.s3BucketAPI.GetBucketLifecycleConfiguration(ctx, in, o...)
}

func (g *gatedS3) ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, o ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	g.hold("ListObjectVersions")
	return g.s3BucketAPI.ListObjectVersions(ctx, in, o...)
}

func (g *gatedS3) CreateBucket(ctx context.Context, in *s3.CreateBucketInput, o ...func(*s3.Options)) (*s3.CreateBucketOutput, error) {
	g.hold("CreateBucket")
	return g.s3BucketAPI.CreateBucket(ctx, in, o...)
}

func (g *gatedS3) PutBucketTagging(ctx context.Context, in *s3.PutBucketTaggingInput, o ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error) {
	g.hold("PutBucketTagging")
	return g.s3BucketAPI.PutBucketTagging(ctx, in, o...)
}

func (g *gatedS3) PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, o ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error) {
	g.hold("PutPublicAccessBlock")
	return g.s3BucketAPI.PutPublicAccessBlock(ctx, in, o...)
}

func (g *gatedS3) PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, o ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error) {
	g.hold("PutBucketEncryption")
	return g.s3BucketAPI.PutBucketEncryption(ctx, in, o...)
}

func (g *gatedS3) PutBucketOwnershipControls(ctx context.Context, in *s3.PutBucketOwnershipControlsInput, o ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error) {
	g.hold("PutBucketOwnershipControls")
	return g.s3BucketAPI.PutBucketOwnershipControls(ctx, in, o...)
}

func (g *gatedS3) PutBucketVersioning(ctx context.Context, in *s3.PutBucketVersioningInput, o ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error) {
	g.hold("PutBucketVersioning")
	return g.s3BucketAPI.PutBucketVersioning(ctx, in, o...)
}

func (g *gatedS3) PutBucketLifecycleConfiguration(ctx context.Context, in *s3.PutBucketLifecycleConfigurationInput, o ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error) {
	g.hold("PutBucketLifecycleConfiguration")
	return g.s3BucketAPI.PutBucketLifecycleConfiguration(ctx, in, o...)
}

// waves runs op against a gatedS3 wrapping inner and checks that its
// calls come in exactly these waves: each wave's calls all in flight at
// once, the next wave only after they are answered. It returns op's
// error. The deadline only turns a wave that never completes (calls made
// one after another) into a failure instead of a hang; nothing is timed.
func waves(t *testing.T, inner s3BucketAPI, op func(api s3BucketAPI) error, want ...[]string) error {
	t.Helper()
	g := &gatedS3{s3BucketAPI: inner, arrived: make(chan gatedCall)}
	done := make(chan error, 1)
	go func() { done <- op(g) }()
	deadline := time.After(time.Minute)
	for i, wave := range want {
		var got []gatedCall
		for len(got) < len(wave) {
			select {
			case c := <-g.arrived:
				got = append(got, c)
			case err := <-done:
				t.Fatalf("wave %d: returned (%v) after only %q of %q", i+1, err, names(got), wave)
			case <-deadline:
				t.Fatalf("wave %d: only %q of %q arrived together: the rest wait for an answer, so they are made one after another", i+1, names(got), wave)
			}
		}
		if diff := cmp.Diff(slices.Sorted(slices.Values(wave)), slices.Sorted(slices.Values(names(got)))); diff != "" {
			t.Errorf("wave %d mismatch (-want +got):\n%s", i+1, diff)
		}
		for _, c := range got {
			close(c.release)
		}
	}
	for {
		select {
		case c := <-g.arrived:
			t.Errorf("call %s after the last wave", c.name)
			close(c.release)
		case err := <-done:
			return err
		case <-deadline:
			t.Fatal("op did not return after the last wave")
		}
	}
}

func names(cs []gatedCall) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.name)
	}
	return out
}

// TestS3BucketReadIsOneRoundTrip: every read at once, HeadBucket among
// them, and the result is what the reads one after another gave. A
// service without HeadBucket's region header costs one more round trip,
// for GetBucketLocation.
func TestS3BucketReadIsOneRoundTrip(t *testing.T) {
	all := []string{
		"HeadBucket", "GetBucketTagging", "GetPublicAccessBlock", "GetBucketEncryption",
		"GetBucketVersioning", "GetBucketOwnershipControls", "GetBucketLifecycleConfiguration", "ListObjectVersions",
	}
	for name, tc := range map[string]struct {
		headRegion string
		waves      [][]string
	}{
		"region in HeadBucket's answer": {headRegion: "eu-west-1", waves: [][]string{all}},
		"no region header":              {waves: [][]string{all, {"GetBucketLocation"}}},
	} {
		t.Run(name, func(t *testing.T) {
			b := NewS3Bucket(testBucketConfig())
			var (
				o  *engine.Observation
				st bucketState
			)
			fake := inSyncBucket()
			fake.headRegion = tc.headRegion
			err := waves(t, fake, func(api s3BucketAPI) (err error) {
				b.api = api
				o, st, err = b.Read(context.Background())
				return err
			}, tc.waves...)
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if diff := cmp.Diff(&engine.Observation{Exists: true, Owner: "dev"}, o, s3ObservationOpts); diff != "" {
				t.Errorf("observation mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(inSyncBucketState(), st, s3ObservationOpts); diff != "" {
				t.Errorf("state mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestS3BucketReadOfAbsentBucket: the reads that went with HeadBucket
// are dropped after its 404, and nothing more is asked.
func TestS3BucketReadOfAbsentBucket(t *testing.T) {
	b := NewS3Bucket(testBucketConfig())
	var o *engine.Observation
	err := waves(t, &readS3Bucket{headErr: s3HTTPError(http.StatusNotFound), pabErr: s3HTTPError(http.StatusNotFound)}, func(api s3BucketAPI) (err error) {
		b.api = api
		o, _, err = b.Read(context.Background())
		return err
	}, []string{
		"HeadBucket", "GetBucketTagging", "GetPublicAccessBlock", "GetBucketEncryption",
		"GetBucketVersioning", "GetBucketOwnershipControls", "GetBucketLifecycleConfiguration", "ListObjectVersions",
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if o.Exists {
		t.Error("an absent bucket reads as existing")
	}
}

// TestS3BucketCreateIsTwoRoundTrips: CreateBucket, then every setting at
// once; nothing is read back.
func TestS3BucketCreateIsTwoRoundTrips(t *testing.T) {
	b := NewS3Bucket(testBucketConfig())
	err := waves(t, &fakeS3Bucket{}, func(api s3BucketAPI) error {
		b.api = api
		return b.Create(context.Background(), &engine.Observation{}, bucketState{})
	},
		[]string{"CreateBucket"},
		[]string{
			"PutBucketTagging", "PutPublicAccessBlock", "PutBucketEncryption",
			"PutBucketOwnershipControls", "PutBucketVersioning", "PutBucketLifecycleConfiguration",
		},
	)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
}

// TestS3BucketUpdateRepairsAtOnce: the repairs of several drifts are in
// flight together.
func TestS3BucketUpdateRepairsAtOnce(t *testing.T) {
	b := NewS3Bucket(testBucketConfig())
	st := inSyncBucketState()
	st.sse, st.versioning, st.tags["team"] = "", "", "ops"
	diffs, err := b.Diff(&engine.Observation{Exists: true, Owner: "dev"}, st)
	if err != nil {
		t.Fatal(err)
	}
	err = waves(t, &fakeS3Bucket{}, func(api s3BucketAPI) error {
		b.api = api
		return b.Update(context.Background(), &engine.Observation{Exists: true, Owner: "dev"}, st, diffs)
	}, []string{"PutBucketTagging", "PutBucketEncryption", "PutBucketVersioning"})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// versionsS3 is a bucket's object versions and delete markers for the
// emptying tests. It pages as moto does: a listing resumes after the
// entry its markers name, found by looking it up, so a listing resumed
// from an entry already deleted ends there (as the old emptying did,
// after 1,000). Entries are "key/version", kept sorted.
type versionsS3 struct {
	s3BucketAPI
	mu      sync.Mutex
	entries []string
	// refuse are the keys DeleteObjects reports as errors.
	refuse map[string]bool
	// onFirstPage runs (mu held) at each listing from the first key: a
	// writer adding objects while the bucket is emptied.
	onFirstPage func(v *versionsS3)
	// onDeleteBucket runs (mu held) before DeleteBucket answers.
	onDeleteBucket func(v *versionsS3)
	gone           bool
	calls          map[string]int
}

func newVersionsS3(keys, versions int) *versionsS3 {
	v := &versionsS3{calls: map[string]int{}}
	for k := range keys {
		for n := range versions {
			v.entries = append(v.entries, fmt.Sprintf("k%05d/v%d", k, n))
		}
	}
	slices.Sort(v.entries)
	return v
}

func (v *versionsS3) add(entry string) {
	v.entries = append(v.entries, entry)
	slices.Sort(v.entries)
}

func (v *versionsS3) ListObjectVersions(_ context.Context, in *s3.ListObjectVersionsInput, _ ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls["ListObjectVersions"]++
	start := 0
	if in.KeyMarker == nil {
		if v.onFirstPage != nil {
			v.onFirstPage(v)
		}
	} else {
		i := slices.Index(v.entries, aws.ToString(in.KeyMarker)+"/"+aws.ToString(in.VersionIdMarker))
		if i < 0 {
			return &s3.ListObjectVersionsOutput{IsTruncated: aws.Bool(false)}, nil
		}
		start = i + 1
	}
	maxKeys := 1000
	if in.MaxKeys != nil {
		maxKeys = int(*in.MaxKeys)
	}
	end := min(len(v.entries), start+maxKeys)
	out := &s3.ListObjectVersionsOutput{IsTruncated: aws.Bool(end < len(v.entries))}
	for _, e := range v.entries[start:end] {
		key, ver, _ := strings.Cut(e, "/")
		out.Versions = append(out.Versions, s3types.ObjectVersion{Key: aws.String(key), VersionId: aws.String(ver)})
	}
	if end > start {
		last := out.Versions[len(out.Versions)-1]
		out.NextKeyMarker, out.NextVersionIdMarker = last.Key, last.VersionId
	}
	return out, nil
}

func (v *versionsS3) DeleteObjects(_ context.Context, in *s3.DeleteObjectsInput, _ ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls["DeleteObjects"]++
	if len(in.Delete.Objects) > 1000 {
		return nil, s3CodeError("MalformedXML")
	}
	out := &s3.DeleteObjectsOutput{}
	for _, id := range in.Delete.Objects {
		if v.refuse[aws.ToString(id.Key)] {
			out.Errors = append(out.Errors, s3types.Error{Key: id.Key, VersionId: id.VersionId, Code: aws.String("AccessDenied"), Message: aws.String("Access Denied")})
			continue
		}
		v.entries = slices.DeleteFunc(v.entries, func(e string) bool { return e == aws.ToString(id.Key)+"/"+aws.ToString(id.VersionId) })
	}
	return out, nil
}

func (v *versionsS3) DeleteBucket(context.Context, *s3.DeleteBucketInput, ...func(*s3.Options)) (*s3.DeleteBucketOutput, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.calls["DeleteBucket"]++
	if v.onDeleteBucket != nil {
		v.onDeleteBucket(v)
	}
	if len(v.entries) > 0 {
		return nil, s3CodeError("BucketNotEmpty")
	}
	v.gone = true
	return &s3.DeleteBucketOutput{}, nil
}

func deleteDataBucket(api s3BucketAPI) *S3Bucket {
	cfg := testBucketConfig()
	cfg.DeleteData = true
	b := NewS3Bucket(cfg)
	b.api = api
	return b
}

func TestS3BucketEmptyAndDelete(t *testing.T) {
	tests := map[string]struct {
		fake      func() *versionsS3
		wantErr   string
		wantGone  bool
		wantLeft  int
		wantCalls map[string]int
	}{
		"several pages, deleted while listing": {
			// 2,345 versions: three pages; pass 2 finds nothing.
			fake:      func() *versionsS3 { return newVersionsS3(469, 5) },
			wantGone:  true,
			wantCalls: map[string]int{"ListObjectVersions": 4, "DeleteObjects": 3, "DeleteBucket": 1},
		},
		"empty bucket": {
			fake:      func() *versionsS3 { return newVersionsS3(0, 0) },
			wantGone:  true,
			wantCalls: map[string]int{"ListObjectVersions": 1, "DeleteBucket": 1},
		},
		"versions S3 refuses to delete are errors, and the bucket stays": {
			fake: func() *versionsS3 {
				v := newVersionsS3(800, 1)
				v.refuse = map[string]bool{"k00007": true, "k00700": true}
				return v
			},
			wantErr:   `2 of 800 could not be deleted: k00007 (version v0): AccessDenied: Access Denied; k00700 (version v0): AccessDenied: Access Denied`,
			wantLeft:  2,
			wantCalls: map[string]int{"ListObjectVersions": 1, "DeleteObjects": 1},
		},
		"an object written after the last listing: one more pass": {
			fake: func() *versionsS3 {
				v := newVersionsS3(10, 1)
				v.onDeleteBucket = func(v *versionsS3) {
					if v.calls["DeleteBucket"] == 1 {
						v.add("late/v0")
					}
				}
				return v
			},
			wantGone:  true,
			wantCalls: map[string]int{"ListObjectVersions": 4, "DeleteObjects": 2, "DeleteBucket": 2},
		},
		"objects keep arriving: gives up after the last pass": {
			fake: func() *versionsS3 {
				v := newVersionsS3(10, 1)
				v.onFirstPage = func(v *versionsS3) { v.add(fmt.Sprintf("new%d/v0", v.calls["ListObjectVersions"])) }
				return v
			},
			wantErr:   `objects are still being written to it: 5 passes deleted 15 object versions and delete markers and each found more`,
			wantCalls: map[string]int{"ListObjectVersions": 5, "DeleteObjects": 5},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			fake := tc.fake()
			err := deleteDataBucket(fake).Delete(context.Background(), &engine.Observation{Exists: true}, bucketState{hasData: true})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Delete error = %v, want one containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Delete: %v", err)
			}
			if fake.gone != tc.wantGone || len(fake.entries) != tc.wantLeft {
				t.Errorf("bucket gone = %v with %d versions left, want %v with %d", fake.gone, len(fake.entries), tc.wantGone, tc.wantLeft)
			}
			if diff := cmp.Diff(tc.wantCalls, fake.calls); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Without --delete-data, a bucket written to since the plan is kept with
// the message that says so.
func TestS3BucketDeleteWithoutDeleteData(t *testing.T) {
	fake := newVersionsS3(1, 1)
	b := NewS3Bucket(testBucketConfig())
	b.api = fake
	err := b.Delete(context.Background(), &engine.Observation{Exists: true}, bucketState{})
	if err == nil || !strings.Contains(err.Error(), "objects were written to it since the plan was made") {
		t.Fatalf("Delete error = %v", err)
	}
	if diff := cmp.Diff(map[string]int{"DeleteBucket": 1}, fake.calls); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
}

func TestMilestone(t *testing.T) {
	var got []int
	for n := 1; n <= 3000; n++ {
		if milestone(n) {
			got = append(got, n)
		}
	}
	want := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 2000, 3000}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("milestones mismatch (-want +got):\n%s", diff)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 2500: "2,500", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// s3Calls are the S3 calls counted since before.
func s3Calls(c *awsapi.Clients, before map[string]int) map[string]int {
	out := map[string]int{}
	for op, n := range c.Calls.Counts() {
		if strings.HasPrefix(op, "S3.") && n > before[op] {
			out[strings.TrimPrefix(op, "S3.")] = n - before[op]
		}
	}
	return out
}

// progressLines is a ProgressHook that keeps the lines.
type progressLines struct {
	engine.NopHook
	mu    sync.Mutex
	lines []string
}

func (h *progressLines) Progress(a engine.Address, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.lines = append(h.lines, string(a)+": "+msg)
}

// runBucket plans the bucket alone in mode and applies the plan, with
// hook hearing the progress; it returns the plan.
func runBucket(t *testing.T, b *S3Bucket, mode engine.Mode, hook engine.Hook) *engine.Plan {
	t.Helper()
	g, err := engine.NewGraph(engine.Typed(b))
	if err != nil {
		t.Fatal(err)
	}
	p, err := engine.MakePlan(context.Background(), g, mode, "dev", engine.PlanOptions{Parallelism: 4})
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	if err := (engine.Executor{Parallelism: 4, Hook: hook}).Apply(context.Background(), p); err != nil {
		t.Fatalf("apply: %v", err)
	}
	return p
}

// putObjects writes n objects through 8 connections at once.
func putObjects(t *testing.T, api *s3.Client, bucket string, n int, key func(i int) string) {
	t.Helper()
	work := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				_, err := api.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key(i)), Body: strings.NewReader("x")})
				errs <- err
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// countVersions lists every version and delete marker of the bucket.
func countVersions(t *testing.T, api *s3.Client, bucket string) (versions, markers int) {
	t.Helper()
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(bucket)}
	for {
		out, err := api.ListObjectVersions(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		versions += len(out.Versions)
		markers += len(out.DeleteMarkers)
		if !aws.ToBool(out.IsTruncated) {
			return versions, markers
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

func assertBucketGone(t *testing.T, c *awsapi.Clients, bucket string) {
	t.Helper()
	_, err := c.S3.HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if awsapi.HTTPStatus(err) != http.StatusNotFound {
		t.Errorf("HeadBucket after teardown: %v, want 404", err)
	}
}

// TestS3BucketOnMoto runs the bucket's whole life against moto, as
// the engine runs it.
func TestS3BucketOnMoto(t *testing.T) {
	c := motoClients(t)
	t.Run("versioned", func(t *testing.T) { testVersionedBucketOnMoto(t, c) })
	t.Run("unversioned", func(t *testing.T) { testUnversionedBucketOnMoto(t, c) })
}

// testVersionedBucketOnMoto: a bucket's bootstrap and converged plan cost
// the S3 calls counted below, and teardown with --delete-data empties a
// versioned bucket of 2,500 versions and delete markers in one run,
// saying how far it has got.
func testVersionedBucketOnMoto(t *testing.T, c *awsapi.Clients) {
	api := c.S3.(*s3.Client)
	cfg := S3BucketConfig{
		Stack: "dev", Name: "awsboot-scale", Region: "us-east-1", Tags: map[string]string{"team": "infra"},
		Versioning: aws.Bool(true), Rules: []LifecycleRule{{ID: "abort-multipart", AbortDays: 7}},
		ObjectOwnership: "BucketOwnerEnforced", Custom: c.Account.Custom(), DeleteData: true,
	}
	newBucket := func() *S3Bucket {
		b := NewS3Bucket(cfg)
		b.Connect(c)
		return b
	}

	before := c.Calls.Counts()
	p := runBucket(t, newBucket(), engine.ModeApply, nil)
	if len(p.Changes) != 1 || p.Changes[0].Action != engine.Create {
		t.Fatalf("first plan = %+v, want one create", p.Changes)
	}
	// The plan's reads go with HeadBucket, so a missing bucket costs
	// them too (answers dropped): requests, not round trips.
	wantCreate := map[string]int{
		"HeadBucket": 1, "GetBucketTagging": 1, "GetPublicAccessBlock": 1, "GetBucketEncryption": 1,
		"GetBucketVersioning": 1, "GetBucketOwnershipControls": 1, "GetBucketLifecycleConfiguration": 1,
		"CreateBucket": 1, "PutBucketTagging": 1, "PutPublicAccessBlock": 1, "PutBucketEncryption": 1,
		"PutBucketOwnershipControls": 1, "PutBucketVersioning": 1, "PutBucketLifecycleConfiguration": 1,
	}
	if diff := cmp.Diff(wantCreate, s3Calls(c, before)); diff != "" {
		t.Errorf("S3 calls of plan and create (-want +got):\n%s", diff)
	}

	before = c.Calls.Counts()
	if p := runBucket(t, newBucket(), engine.ModeApply, nil); p.HasChanges() {
		t.Fatalf("second plan has changes: %+v", p.Changes)
	}
	wantRead := map[string]int{
		// HeadBucket's x-amz-bucket-region answers the location.
		"HeadBucket": 1, "GetBucketTagging": 1, "GetPublicAccessBlock": 1, "GetBucketEncryption": 1,
		"GetBucketVersioning": 1, "GetBucketOwnershipControls": 1, "GetBucketLifecycleConfiguration": 1,
	}
	if diff := cmp.Diff(wantRead, s3Calls(c, before)); diff != "" {
		t.Errorf("S3 calls of a converged plan (-want +got):\n%s", diff)
	}
	before = c.Calls.Counts()
	g, err := engine.NewGraph(engine.Typed(newBucket()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := engine.MakePlan(context.Background(), g, engine.ModeDestroy, "dev", engine.PlanOptions{}); err != nil {
		t.Fatal(err)
	}
	// Teardown's plan reads the owner and whether there is data, no
	// setting.
	if diff := cmp.Diff(map[string]int{"HeadBucket": 1, "GetBucketTagging": 1, "ListObjectVersions": 1}, s3Calls(c, before)); diff != "" {
		t.Errorf("S3 calls of teardown's plan (-want +got):\n%s", diff)
	}

	// 500 keys of two or three versions (1,250), and delete markers
	// stacked up to three deep on 450 of them (1,250): 2,500 entries,
	// three pages. Markers are cheap to make: one DeleteObjects call
	// makes hundreds.
	putObjects(t, api, cfg.Name, 1250, func(i int) string { return fmt.Sprintf("k%04d", i%500) })
	for _, keys := range []int{450, 400, 400} {
		var ids []s3types.ObjectIdentifier
		for i := range keys {
			ids = append(ids, s3types.ObjectIdentifier{Key: aws.String(fmt.Sprintf("k%04d", i))})
		}
		if _, err := api.DeleteObjects(context.Background(), &s3.DeleteObjectsInput{Bucket: aws.String(cfg.Name), Delete: &s3types.Delete{Objects: ids}}); err != nil {
			t.Fatal(err)
		}
	}
	if v, m := countVersions(t, api, cfg.Name); v != 1250 || m != 1250 {
		t.Fatalf("bucket holds %d versions and %d delete markers, want 1,250 of each", v, m)
	}

	hook := &progressLines{}
	p = runBucket(t, newBucket(), engine.ModeDestroy, hook)
	if len(p.Changes) != 1 || p.Changes[0].Action != engine.Delete {
		t.Fatalf("teardown plan = %+v, want one delete", p.Changes)
	}
	assertBucketGone(t, c, cfg.Name)
	addr := "s3_bucket.awsboot-scale: "
	if len(hook.lines) < 3 ||
		hook.lines[0] != addr+`emptying bucket "awsboot-scale" (--delete-data): listing every object version and delete marker` ||
		!strings.HasPrefix(hook.lines[1], addr+`emptying bucket "awsboot-scale": `) || !strings.HasSuffix(hook.lines[1], " object versions deleted so far") ||
		hook.lines[len(hook.lines)-1] != addr+`emptied bucket "awsboot-scale": deleted 2,500 object versions and delete markers, then the bucket` {
		t.Errorf("progress lines:\n%s", strings.Join(hook.lines, "\n"))
	}
}

// testUnversionedBucketOnMoto: a bucket that never had versioning lists
// its objects with version "null", and they go the same way, past the
// first page.
func testUnversionedBucketOnMoto(t *testing.T, c *awsapi.Clients) {
	api := c.S3.(*s3.Client)
	cfg := S3BucketConfig{Stack: "dev", Name: "awsboot-plain", Region: "us-east-1", ObjectOwnership: "BucketOwnerEnforced", Custom: c.Account.Custom(), DeleteData: true}
	b := NewS3Bucket(cfg)
	b.Connect(c)
	runBucket(t, b, engine.ModeApply, nil)
	putObjects(t, api, cfg.Name, 1050, func(i int) string { return fmt.Sprintf("o%04d", i) })
	hook := &progressLines{}
	runBucket(t, b, engine.ModeDestroy, hook)
	assertBucketGone(t, c, cfg.Name)
	if want := `s3_bucket.awsboot-plain: emptied bucket "awsboot-plain": deleted 1,050 object versions and delete markers, then the bucket`; len(hook.lines) == 0 || hook.lines[len(hook.lines)-1] != want {
		t.Errorf("progress lines:\n%s\nwant last: %s", strings.Join(hook.lines, "\n"), want)
	}
}
