package provision

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/awsboot/awsboot/policies"
)

// S3BucketPolicy is the bucket policy generated from the spec's writers
// and CDN, one named statement each. A policy with no awsboot statement
// is someone else's (--adopt replaces it); a statement added by hand to
// awsboot's policy is drift and is removed.
type S3BucketPolicy struct {
	c      *Clients
	stack  string
	bucket string
	doc    policies.Document
	notes  []string
	after  Address
}

// NewS3BucketPolicy returns the policy resource, nil when the spec grants
// nothing through the bucket policy.
func NewS3BucketPolicy(c *Clients, s *Spec, bucket Address) (*S3BucketPolicy, error) {
	doc, notes, err := bucketPolicyDocument(s)
	if err != nil || doc == nil {
		return nil, err
	}
	return &S3BucketPolicy{c: c, stack: s.Stack, bucket: s.Bucket.Name, after: bucket, doc: *doc, notes: notes}, nil
}

// bucketPolicyDocument builds the bucket policy from the spec's writers
// and CDN (nil when there is nothing to grant), with the notes the plan
// shows about it.
func bucketPolicyDocument(s *Spec) (*policies.Document, []string, error) {
	b := s.Bucket
	doc := policies.Document{Version: policies.Version}
	var notes []string
	enforced := b.ObjectOwnership == "bucket-owner-enforced"
	for i, w := range b.Writers {
		doc.Statement = append(doc.Statement, policies.Writer(i+1, b.Name, w.Principal, w.Prefix, !enforced))
	}
	if len(b.Writers) > 0 && !enforced {
		notes = append(notes, "object_ownership is not bucket-owner-enforced, so writers must upload with the bucket-owner-full-control ACL "+
			"(the policy refuses other uploads): otherwise the objects would belong to the writer's account and nobody here could read them")
	}
	if cdn := b.CDN; cdn != nil {
		if cdn.CloudFrontDistributionARN != "" {
			doc.Statement = append(doc.Statement, policies.CloudFrontOAC(b.Name, cdn.CloudFrontDistributionARN))
		}
		if cdn.LegacyOAIID != "" {
			doc.Statement = append(doc.Statement, policies.CloudFrontOAI(b.Name, cdn.LegacyOAIID))
		}
	}
	if len(doc.Statement) == 0 {
		return nil, nil, nil
	}
	if errs := policies.Lint(doc); len(errs) > 0 {
		return nil, nil, fmt.Errorf("the bucket policy fails the least-privilege checks: %v", errs)
	}
	return &doc, notes, nil
}

// Document is the bucket policy awsboot wants.
func (p *S3BucketPolicy) Document() policies.Document { return p.doc }

// Addr implements Resource.
func (p *S3BucketPolicy) Addr() Address { return Addr("s3_bucket_policy", p.bucket) }

// DependsOn implements Resource.
func (p *S3BucketPolicy) DependsOn() []Address { return []Address{p.after} }

// Describe names the policy in messages.
func (p *S3BucketPolicy) Describe() string {
	return fmt.Sprintf("the bucket policy of %q (it has no %s statement)", p.bucket, policies.SidPrefix)
}

// Read implements Resource.
func (p *S3BucketPolicy) Read(ctx context.Context) (*Observation, error) {
	out, err := p.c.S3.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(p.bucket)})
	switch code := errorCode(err); {
	case code == "NoSuchBucketPolicy", code == "NoSuchBucket", httpStatus(err) == 404:
		return &Observation{Notes: p.notes}, nil
	case err != nil:
		return nil, fmt.Errorf("reading the policy of bucket %q: %w", p.bucket, err)
	}
	doc, err := policies.Parse(aws.ToString(out.Policy))
	if err != nil {
		return nil, fmt.Errorf("bucket %q: %w", p.bucket, err)
	}
	o := &Observation{Exists: true, Data: doc, Notes: p.notes}
	if policies.OwnedBy(doc) {
		o.Owner = p.stack
	}
	return o, nil
}

// Diff implements Resource.
func (p *S3BucketPolicy) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		return createFields("document", p.doc.JSON()), nil
	}
	if cur := o.Data.(policies.Document); !policies.Equal(cur, p.doc) {
		return []FieldDiff{{Path: "document", Before: cur.JSON(), After: p.doc.JSON()}}, nil
	}
	return nil, nil
}

// Create implements Resource.
func (p *S3BucketPolicy) Create(ctx context.Context, o *Observation) error {
	return p.Update(ctx, o, nil)
}

// Update implements Resource: the whole document is replaced.
func (p *S3BucketPolicy) Update(ctx context.Context, _ *Observation, _ []FieldDiff) error {
	_, err := p.c.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(p.bucket), Policy: aws.String(p.doc.JSON())})
	if err != nil {
		return fmt.Errorf("writing the policy of bucket %q: %w", p.bucket, err)
	}
	return nil
}

// DestroyDescription implements destroyDescriber.
func (p *S3BucketPolicy) DestroyDescription(*Observation) string {
	var sids []string
	for _, s := range p.doc.Statement {
		sids = append(sids, s.Sid)
	}
	return "removes the bucket policy (" + strings.Join(sids, ", ") + ")"
}

// Delete implements Resource.
func (p *S3BucketPolicy) Delete(ctx context.Context, _ *Observation) error {
	_, err := p.c.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(p.bucket)})
	if err != nil && errorCode(err) != "NoSuchBucket" && errorCode(err) != "NoSuchBucketPolicy" {
		return fmt.Errorf("deleting the policy of bucket %q: %w", p.bucket, err)
	}
	return nil
}
