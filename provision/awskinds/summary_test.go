package awskinds

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/engine"
)

// TestAccessKeySummary: keys by id, status, creation time and age from
// the kind's clock, and the profile's key with STS's verdict; never the
// secret the state holds.
func TestAccessKeySummary(t *testing.T) {
	k := newTestKey(&fakeKeyStore{}, false)
	st := keyState{
		keys: []iamtypes.AccessKeyMetadata{
			keyMeta("AKIAOLD", keyTestNow.Add(-12*24*time.Hour-time.Hour), iamtypes.StatusTypeInactive),
			keyMeta("AKIANEW", keyTestNow.Add(-90*time.Minute), iamtypes.StatusTypeActive),
		},
		file:  storedKey("demo", "AKIANEW"),
		valid: true,
	}
	got := k.Summary(&engine.Observation{Exists: true}, st)
	want := []engine.KV{
		{Key: "user", Value: userTestName},
		{Key: "access_key.AKIAOLD.status", Value: "Inactive"},
		{Key: "access_key.AKIAOLD.created", Value: "2025-02-20T04:06:07Z"},
		{Key: "access_key.AKIAOLD.age", Value: "12d"},
		{Key: "access_key.AKIANEW.status", Value: "Active"},
		{Key: "access_key.AKIANEW.created", Value: "2025-03-04T03:36:07Z"},
		{Key: "access_key.AKIANEW.age", Value: "1h"},
		{Key: "profile", Value: keyTestProfile},
		{Key: "credentials_file", Value: keyTestPath},
		{Key: "profile_key", Value: "AKIANEW (accepted by STS)"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Summary (-want +got):\n%s", d)
	}
	for _, kv := range got {
		if strings.Contains(kv.Value, keyTestSecret) {
			t.Errorf("%s shows the secret", kv.Key)
		}
	}
}

func TestAge(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Minute: "0m", 0: "0m", 59 * time.Second: "0m", 3 * time.Minute: "3m",
		time.Hour: "1h", 23*time.Hour + 59*time.Minute: "23h", 24 * time.Hour: "1d", 400 * 24 * time.Hour: "400d",
	} {
		if got := Age(d); got != want {
			t.Errorf("Age(%s) = %q, want %q", d, got, want)
		}
	}
}

func TestBucketSummary(t *testing.T) {
	on, off := aws.Bool(true), aws.Bool(false)
	b := NewS3Bucket(S3BucketConfig{Stack: "demo", Name: "cache", Partition: "aws-cn"})
	st := bucketState{
		region: "cn-north-1", tags: map[string]string{engine.StackTag: "demo", "team": "ci"},
		pab: s3types.PublicAccessBlockConfiguration{BlockPublicAcls: on, IgnorePublicAcls: on, BlockPublicPolicy: off, RestrictPublicBuckets: on},
		sse: "AES256", versioning: "Suspended", rules: map[string]string{"a": "", "b": ""},
		unsupported: map[string]bool{settingOwnership: true},
	}
	want := []engine.KV{
		{Key: "arn", Value: "arn:aws-cn:s3:::cache"},
		{Key: "region", Value: "cn-north-1"},
		{Key: "public_access_block", Value: "partly on: block_public_acls, ignore_public_acls, restrict_public_buckets"},
		{Key: "encryption", Value: "AES256"},
		{Key: "object_ownership", Value: "not implemented by this service"},
		{Key: "versioning", Value: "off"},
		{Key: "lifecycle_rules", Value: "2"},
		{Key: "tags.awsboot:stack", Value: "demo"},
		{Key: "tags.team", Value: "ci"},
	}
	if d := cmp.Diff(want, b.Summary(&engine.Observation{Exists: true}, st)); d != "" {
		t.Errorf("Summary (-want +got):\n%s", d)
	}
	for pab, want := range map[*s3types.PublicAccessBlockConfiguration]string{
		{BlockPublicAcls: on, IgnorePublicAcls: on, BlockPublicPolicy: on, RestrictPublicBuckets: on}: "on",
		{}: "off",
	} {
		if got := publicAccessBlockWord(*pab); got != want {
			t.Errorf("publicAccessBlockWord(%+v) = %q, want %q", pab, got, want)
		}
	}
}

func TestSeconds(t *testing.T) {
	for n, want := range map[int32]string{3600: "1h", 43200: "12h", 5400: "90m", 45: "45s", 0: "0s"} {
		if got := seconds(n); got != want {
			t.Errorf("seconds(%d) = %q, want %q", n, got, want)
		}
	}
}

// Every kind `awsboot show` prints has the hook with its own state type:
// a Summary with another signature would silently not be one.
var (
	_ engine.KindSummarizer[bucketState]       = (*S3Bucket)(nil)
	_ engine.KindSummarizer[policies.Document] = (*S3BucketPolicy)(nil)
	_ engine.KindSummarizer[string]            = (*S3BucketReplication)(nil)
	_ engine.KindSummarizer[policyState]       = (*IAMPolicy)(nil)
	_ engine.KindSummarizer[userState]         = (*IAMUser)(nil)
	_ engine.KindSummarizer[roleState]         = (*IAMRole)(nil)
	_ engine.KindSummarizer[struct{}]          = (*IAMPolicyAttachment)(nil)
	_ engine.KindSummarizer[policies.Document] = (*IAMInlinePolicy)(nil)
	_ engine.KindSummarizer[keyState]          = (*IAMAccessKey)(nil)
	_ engine.KindSummarizer[providerState]     = (*OIDCProvider)(nil)
)
