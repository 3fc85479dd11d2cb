package awskinds

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// s3BucketPolicyAPI lists the S3 calls S3BucketPolicy makes.
type s3BucketPolicyAPI interface {
	bucketTagsAPI
	GetBucketPolicy(ctx context.Context, in *s3.GetBucketPolicyInput, opts ...func(*s3.Options)) (*s3.GetBucketPolicyOutput, error)
	PutBucketPolicy(ctx context.Context, in *s3.PutBucketPolicyInput, opts ...func(*s3.Options)) (*s3.PutBucketPolicyOutput, error)
	DeleteBucketPolicy(ctx context.Context, in *s3.DeleteBucketPolicyInput, opts ...func(*s3.Options)) (*s3.DeleteBucketPolicyOutput, error)
}

// S3BucketPolicyConfig is what the bucket policy resource needs.
type S3BucketPolicyConfig struct {
	Stack  string
	Bucket string
	// BucketAddr is the bucket resource's address.
	BucketAddr engine.Address
	// Document is the policy made from the spec's writers and CDN, one
	// named statement each; no statement means no policy is wanted.
	Document policies.Document
	// Notes are shown under the policy in every plan.
	Notes []string
}

// S3BucketPolicy is the bucket policy generated from the spec's writers
// and CDN. A policy with no awsboot statement is someone else's (--adopt
// replaces it); a statement added by hand to awsboot's policy is drift and
// is removed.
type S3BucketPolicy struct {
	engine.Meta
	cfg S3BucketPolicyConfig
	api s3BucketPolicyAPI
}

// NewS3BucketPolicy returns the bucket policy resource.
func NewS3BucketPolicy(cfg S3BucketPolicyConfig) *S3BucketPolicy {
	return &S3BucketPolicy{cfg: cfg, Meta: engine.Meta{
		Address: engine.Addr("s3_bucket_policy", cfg.Bucket),
		After:   []engine.Address{cfg.BucketAddr},
		What:    fmt.Sprintf("the bucket policy of %q (it has no %s statement)", cfg.Bucket, policies.SidPrefix),
	}}
}

// Connect implements Connector.
func (p *S3BucketPolicy) Connect(c *awsapi.Clients) { p.api = c.S3 }

// Document is the bucket policy awsboot wants.
func (p *S3BucketPolicy) Document() policies.Document { return p.cfg.Document }

// wanted reports whether the spec grants anything through the policy;
// when it does not, an awsboot policy left from an earlier spec (a writer
// removed) is deleted, so nobody keeps access the spec no longer gives.
func (p *S3BucketPolicy) wanted() bool { return len(p.cfg.Document.Statement) > 0 }

// Read implements engine.Kind.
func (p *S3BucketPolicy) Read(ctx context.Context) (*engine.Observation, policies.Document, error) {
	none := policies.Document{}
	out, err := p.api.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(p.cfg.Bucket)})
	switch code := awsapi.ErrorCode(err); {
	case code == "NoSuchBucketPolicy", code == "NoSuchBucket", awsapi.HTTPStatus(err) == 404:
		return &engine.Observation{Notes: p.cfg.Notes}, none, nil
	case err != nil:
		return nil, none, fmt.Errorf("reading the policy of bucket %q: %w", p.cfg.Bucket, err)
	}
	doc, err := policies.Parse(aws.ToString(out.Policy))
	if err != nil {
		return nil, none, fmt.Errorf("bucket %q: %w", p.cfg.Bucket, err)
	}
	tags, err := bucketTags(ctx, p.api, p.cfg.Bucket)
	if err != nil {
		return nil, none, err
	}
	// The policy is the stack's only when the bucket is, and it carries
	// awsboot's statements.
	mine := policies.OwnedBy(doc) && tags[engine.StackTag] == p.cfg.Stack
	if !p.wanted() && !mine {
		// Nothing wanted, and what is there is not awsboot's: leave it.
		return &engine.Observation{}, none, nil
	}
	// The policy follows its bucket: a CloudFormation stack that
	// manages the bucket manages its policy too. The tags are the
	// bucket's own read, shared within a plan: no request of its own.
	o := &engine.Observation{Exists: true, Notes: p.cfg.Notes, ManagedBy: managedByTags(tags)}
	if mine {
		o.Owner = p.cfg.Stack
	}
	return o, doc, nil
}

// Diff implements engine.Kind.
func (p *S3BucketPolicy) Diff(o *engine.Observation, cur policies.Document) ([]engine.FieldDiff, error) {
	switch {
	case !o.Exists && !p.wanted():
		return nil, nil
	case !o.Exists:
		return []engine.FieldDiff{engine.Added(pathDocument, p.cfg.Document.JSON())}, nil
	case !p.wanted():
		return []engine.FieldDiff{engine.Removed(pathDocument, cur.JSON())}, nil
	case !policies.Equal(cur, p.cfg.Document):
		return []engine.FieldDiff{{Path: pathDocument, Before: cur.JSON(), After: p.cfg.Document.JSON()}}, nil
	}
	return nil, nil
}

// Create implements engine.Kind.
func (p *S3BucketPolicy) Create(ctx context.Context, o *engine.Observation, cur policies.Document) error {
	return p.Update(ctx, o, cur, nil)
}

// Update implements engine.Kind: the whole document is replaced.
func (p *S3BucketPolicy) Update(ctx context.Context, o *engine.Observation, cur policies.Document, _ []engine.FieldDiff) error {
	if !p.wanted() {
		return p.Delete(ctx, o, cur)
	}
	_, err := p.api.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(p.cfg.Bucket), Policy: aws.String(p.cfg.Document.JSON())})
	if err != nil {
		return fmt.Errorf("writing the policy of bucket %q: %w", p.cfg.Bucket, err)
	}
	return nil
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (p *S3BucketPolicy) DestroyDescription(*engine.Observation, policies.Document) string {
	var sids []string
	for _, s := range p.cfg.Document.Statement {
		sids = append(sids, s.Sid)
	}
	return "removes the bucket policy (" + strings.Join(sids, ", ") + ")"
}

// Delete implements engine.Kind.
func (p *S3BucketPolicy) Delete(ctx context.Context, _ *engine.Observation, _ policies.Document) error {
	_, err := p.api.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(p.cfg.Bucket)})
	if code := awsapi.ErrorCode(err); err != nil && code != "NoSuchBucket" && code != "NoSuchBucketPolicy" {
		return fmt.Errorf("deleting the policy of bucket %q: %w", p.cfg.Bucket, err)
	}
	return nil
}

// Summary implements engine.KindSummarizer: the bucket and the Sid of
// each statement of its policy.
func (p *S3BucketPolicy) Summary(_ *engine.Observation, doc policies.Document) []engine.KV {
	sids := make([]string, len(doc.Statement))
	for i, s := range doc.Statement {
		sids[i] = s.Sid
		if sids[i] == "" {
			sids[i] = "(no Sid)"
		}
	}
	return []engine.KV{{Key: "bucket", Value: p.cfg.Bucket}, {Key: "statements", Value: listWord(sids)}}
}
