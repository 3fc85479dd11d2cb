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

// NewS3BucketPolicy returns the bucket policy resource.
func NewS3BucketPolicy(c *Clients, s *Spec, bucket Address) (*S3BucketPolicy, error) {
	doc, notes, err := bucketPolicyDocument(s)
	if err != nil {
		return nil, err
	}
	p := &S3BucketPolicy{c: c, stack: s.Stack, bucket: s.Bucket.Name, after: bucket, notes: notes}
	if doc != nil {
		p.doc = *doc
	}
	return p, nil
}

// wanted reports whether the spec grants anything through the policy;
// when it does not, an awsboot policy left from an earlier spec (a writer
// removed) is deleted, so nobody keeps access the spec no longer gives.
func (p *S3BucketPolicy) wanted() bool { return len(p.doc.Statement) > 0 }

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
	switch {
	case len(b.Writers) == 0 || enforced:
	case b.ObjectOwnership == "bucket-owner-preferred":
		notes = append(notes, "object_ownership is bucket-owner-preferred, so writers must upload with the bucket-owner-full-control ACL "+
			"(the policy refuses other uploads): only then does the object belong to this account")
	default:
		notes = append(notes, "object_ownership is object-writer: even with the bucket-owner-full-control ACL (which the policy requires) "+
			"uploaded objects stay owned by the writer's account, so CloudFront and this bucket's policy cannot serve them; use bucket-owner-enforced")
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
	owner, err := bucketOwner(ctx, p.c, p.bucket)
	if err != nil {
		return nil, err
	}
	mine := policies.OwnedBy(doc) && owner == p.stack
	if !p.wanted() && !mine {
		// Nothing wanted, and what is there is not awsboot's: leave it.
		return &Observation{}, nil
	}
	o := &Observation{Exists: true, Data: doc, Notes: p.notes}
	if mine {
		o.Owner = p.stack
	}
	return o, nil
}

// bucketOwner is the stack named by the bucket's ownership tag: the bucket
// policy and the replication configuration are the stack's only when the
// bucket is.
func bucketOwner(ctx context.Context, c *Clients, bucket string) (string, error) {
	tags, err := bucketTags(ctx, c, bucket)
	return tags[StackTag], err
}

// Diff implements Resource.
func (p *S3BucketPolicy) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		if !p.wanted() {
			return nil, nil
		}
		return createFields("document", p.doc.JSON()), nil
	}
	if !p.wanted() {
		return []FieldDiff{{Path: "document", Before: o.Data.(policies.Document).JSON()}}, nil
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
func (p *S3BucketPolicy) Update(ctx context.Context, o *Observation, _ []FieldDiff) error {
	if !p.wanted() {
		return p.Delete(ctx, o)
	}
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
