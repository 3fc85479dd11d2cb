package provision

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithy "github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision/engine"
)

// fakeBucketLister answers ListBuckets with buckets and GetBucketTagging
// from tags or errs.
type fakeBucketLister struct {
	buckets []s3types.Bucket
	tags    map[string]map[string]string
	errs    map[string]error
}

func (f *fakeBucketLister) ListBuckets(context.Context, *s3.ListBucketsInput, ...func(*s3.Options)) (*s3.ListBucketsOutput, error) {
	return &s3.ListBucketsOutput{Buckets: f.buckets}, nil
}

func (f *fakeBucketLister) GetBucketTagging(_ context.Context, in *s3.GetBucketTaggingInput, _ ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error) {
	name := aws.ToString(in.Bucket)
	if err := f.errs[name]; err != nil {
		return nil, err
	}
	var set []s3types.Tag
	for k, v := range f.tags[name] {
		set = append(set, s3types.Tag{Key: aws.String(k), Value: aws.String(v)})
	}
	return &s3.GetBucketTaggingOutput{TagSet: set}, nil
}

// s3Error is an S3 error answer with an HTTP status and a code.
func s3Error(status int, code string) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}}, Err: &smithy.GenericAPIError{Code: code}},
	}
}

// TestFindBuckets: only this region's buckets with the stack's tag are
// found; buckets elsewhere (said by the listing or by a redirect) and
// buckets whose tags are refused become notes, not errors.
func TestFindBuckets(t *testing.T) {
	bucket := func(name, region string) s3types.Bucket {
		return s3types.Bucket{Name: aws.String(name), BucketRegion: aws.String(region)}
	}
	f := &finder{stack: "demo", region: "us-east-1", limit: 2, s3: &fakeBucketLister{
		buckets: []s3types.Bucket{
			bucket("mine", "us-east-1"), bucket("theirs", "us-east-1"), bucket("untagged", "us-east-1"),
			bucket("far", "eu-west-1"), bucket("moved", ""), bucket("denied", "us-east-1"), bucket("gone", "us-east-1"),
		},
		tags: map[string]map[string]string{"mine": {engine.StackTag: "demo"}, "theirs": {engine.StackTag: "prod"}},
		errs: map[string]error{
			"untagged": s3Error(404, "NoSuchTagSet"), "moved": s3Error(301, "PermanentRedirect"),
			"denied": s3Error(403, "AccessDenied"), "gone": s3Error(404, "NoSuchBucket"),
		},
	}}
	if err := f.findBuckets(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"mine"}, f.buckets); d != "" {
		t.Errorf("buckets (-want +got):\n%s", d)
	}
	want := []string{
		"1 bucket(s) in another region were not looked at: run again with --region to look there",
		"1 bucket(s) in eu-west-1 were not looked at: run again with --region to look there",
		"access denied reading the tags of bucket(s) denied: not looked at",
	}
	if d := cmp.Diff(want, f.notes); d != "" {
		t.Errorf("notes (-want +got):\n%s", d)
	}
}
