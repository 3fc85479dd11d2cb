package awskinds

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// replicationRuleID names the one rule awsboot manages.
const replicationRuleID = "awsboot-replicate"

// s3ReplicationAPI lists the S3 calls S3BucketReplication makes.
type s3ReplicationAPI interface {
	bucketTagsAPI
	GetBucketReplication(ctx context.Context, in *s3.GetBucketReplicationInput, opts ...func(*s3.Options)) (*s3.GetBucketReplicationOutput, error)
	PutBucketReplication(ctx context.Context, in *s3.PutBucketReplicationInput, opts ...func(*s3.Options)) (*s3.PutBucketReplicationOutput, error)
	DeleteBucketReplication(ctx context.Context, in *s3.DeleteBucketReplicationInput, opts ...func(*s3.Options)) (*s3.DeleteBucketReplicationOutput, error)
}

// S3BucketReplicationConfig is what the replication resource needs.
type S3BucketReplicationConfig struct {
	Stack  string
	Bucket string
	// RoleARN is the role S3 assumes to replicate.
	RoleARN string
	// Destination is the destination bucket's ARN.
	Destination string
	// DestinationAccount, when set, owns the destination bucket.
	DestinationAccount string
	// OwnerOverride gives the copies to the destination's owner.
	OwnerOverride bool
	// After are the bucket and the role's permissions.
	After []engine.Address
}

// S3BucketReplication is the bucket's replication configuration: one rule
// that copies every new object into the destination bucket, optionally
// making its owner the objects' owner (AccessControlTranslation).
type S3BucketReplication struct {
	engine.Meta
	cfg S3BucketReplicationConfig
	api s3ReplicationAPI
}

// NewS3BucketReplication returns the replication resource.
func NewS3BucketReplication(cfg S3BucketReplicationConfig) *S3BucketReplication {
	return &S3BucketReplication{cfg: cfg, Meta: engine.Meta{Address: engine.Addr("s3_bucket_replication", cfg.Bucket), After: cfg.After}}
}

// Connect implements Connector.
func (r *S3BucketReplication) Connect(c *awsapi.Clients) { r.api = c.S3 }

// pathRule is the one path S3BucketReplication diffs.
const pathRule = engine.Path("rule." + replicationRuleID)

// want is the configuration as one comparable line.
func (r *S3BucketReplication) want() string {
	parts := []string{"role=" + r.cfg.RoleARN, "destination=" + r.cfg.Destination}
	if r.cfg.DestinationAccount != "" {
		parts = append(parts, "account="+r.cfg.DestinationAccount)
	}
	if r.cfg.OwnerOverride {
		parts = append(parts, "owner=Destination")
	}
	return strings.Join(parts, ", ")
}

// ObservedReplication is a replication configuration as the one line plans
// compare and show: awsboot's rule (role, destination, account, owner
// override) and how many other rules there are.
func ObservedReplication(cfg *s3types.ReplicationConfiguration) string {
	if cfg == nil {
		return ""
	}
	for _, rule := range cfg.Rules {
		if aws.ToString(rule.ID) != replicationRuleID || rule.Status != s3types.ReplicationRuleStatusEnabled || rule.Destination == nil {
			continue
		}
		parts := []string{"role=" + aws.ToString(cfg.Role), "destination=" + aws.ToString(rule.Destination.Bucket)}
		if a := aws.ToString(rule.Destination.Account); a != "" {
			parts = append(parts, "account="+a)
		}
		if t := rule.Destination.AccessControlTranslation; t != nil && t.Owner == s3types.OwnerOverrideDestination {
			parts = append(parts, "owner=Destination")
		}
		if len(cfg.Rules) > 1 {
			parts = append(parts, fmt.Sprintf("+%d other rules", len(cfg.Rules)-1))
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%d rules, none of them awsboot's", len(cfg.Rules))
}

// Read implements engine.Kind.
func (r *S3BucketReplication) Read(ctx context.Context) (*engine.Observation, string, error) {
	o := &engine.Observation{DerivedOwnership: true}
	out, err := r.api.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(r.cfg.Bucket)})
	switch code := awsapi.ErrorCode(err); {
	case code == "ReplicationConfigurationNotFoundError", code == "NoSuchBucket", awsapi.HTTPStatus(err) == 404:
		o.Notes = []string{"replication copies objects written from now on; objects already in the bucket are not replicated (use S3 Batch Replication for those)"}
		return o, "", nil
	case err != nil:
		return nil, "", fmt.Errorf("reading replication of bucket %q: %w", r.cfg.Bucket, err)
	}
	tags, err := bucketTags(ctx, r.api, r.cfg.Bucket)
	if err != nil {
		return nil, "", err
	}
	// The configuration follows its bucket, as for the owner: a
	// CloudFormation stack that manages the bucket manages it too (the
	// template's ReplicationConfiguration).
	o.Exists, o.ManagedBy = true, managedByTags(tags)
	if tags[engine.StackTag] == r.cfg.Stack {
		o.Owner = r.cfg.Stack
	}
	return o, ObservedReplication(out.ReplicationConfiguration), nil
}

// Diff implements engine.Kind.
func (r *S3BucketReplication) Diff(o *engine.Observation, cur string) ([]engine.FieldDiff, error) {
	if !o.Exists {
		return []engine.FieldDiff{engine.Added(pathRule, r.want())}, nil
	}
	return engine.DiffField(nil, pathRule, cur, r.want()), nil
}

// Create implements engine.Kind.
func (r *S3BucketReplication) Create(ctx context.Context, o *engine.Observation, cur string) error {
	return r.Update(ctx, o, cur, nil)
}

// Update implements engine.Kind: the configuration is replaced by awsboot's
// one rule.
func (r *S3BucketReplication) Update(ctx context.Context, _ *engine.Observation, _ string, _ []engine.FieldDiff) error {
	dest := &s3types.Destination{Bucket: aws.String(r.cfg.Destination)}
	if r.cfg.DestinationAccount != "" {
		dest.Account = aws.String(r.cfg.DestinationAccount)
	}
	if r.cfg.OwnerOverride {
		dest.AccessControlTranslation = &s3types.AccessControlTranslation{Owner: s3types.OwnerOverrideDestination}
	}
	_, err := r.api.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: aws.String(r.cfg.Bucket), ReplicationConfiguration: &s3types.ReplicationConfiguration{
		Role: aws.String(r.cfg.RoleARN),
		Rules: []s3types.ReplicationRule{{
			ID: aws.String(replicationRuleID), Status: s3types.ReplicationRuleStatusEnabled, Priority: aws.Int32(1),
			Filter:                  &s3types.ReplicationRuleFilter{Prefix: aws.String("")},
			DeleteMarkerReplication: &s3types.DeleteMarkerReplication{Status: s3types.DeleteMarkerReplicationStatusDisabled},
			Destination:             dest,
		}},
	}})
	if err != nil {
		return fmt.Errorf("configuring replication of bucket %q: %w", r.cfg.Bucket, err)
	}
	return nil
}

// Delete implements engine.Kind.
func (r *S3BucketReplication) Delete(ctx context.Context, _ *engine.Observation, _ string) error {
	_, err := r.api.DeleteBucketReplication(ctx, &s3.DeleteBucketReplicationInput{Bucket: aws.String(r.cfg.Bucket)})
	if err != nil && awsapi.ErrorCode(err) != "NoSuchBucket" {
		return fmt.Errorf("removing replication of bucket %q: %w", r.cfg.Bucket, err)
	}
	return nil
}

// Summary implements engine.KindSummarizer: the bucket and its
// replication rule, as plans show it.
func (r *S3BucketReplication) Summary(_ *engine.Observation, cur string) []engine.KV {
	return []engine.KV{{Key: "bucket", Value: r.cfg.Bucket}, {Key: string(pathRule), Value: cur}}
}
