package provision

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/awsboot/awsboot/policies"
)

// replicationRuleID names the one rule awsboot manages.
const replicationRuleID = "awsboot-replicate"

// S3BucketReplication is the bucket's replication configuration: one rule
// that copies every new object into the destination bucket, optionally
// making its owner the objects' owner (AccessControlTranslation).
type S3BucketReplication struct {
	c       *Clients
	stack   string
	bucket  string
	roleARN string
	r       Replication
	after   []Address
}

// Addr implements Resource.
func (r *S3BucketReplication) Addr() Address { return Addr("s3_bucket_replication", r.bucket) }

// DependsOn implements Resource.
func (r *S3BucketReplication) DependsOn() []Address { return r.after }

// want is the configuration as one comparable line.
func (r *S3BucketReplication) want() string {
	parts := []string{"role=" + r.roleARN, "destination=" + r.r.Destination}
	if r.r.DestinationAccount != "" {
		parts = append(parts, "account="+r.r.DestinationAccount)
	}
	if r.r.OwnerOverride {
		parts = append(parts, "owner=Destination")
	}
	return strings.Join(parts, ", ")
}

func observedReplication(cfg *s3types.ReplicationConfiguration) string {
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

// Read implements Resource.
func (r *S3BucketReplication) Read(ctx context.Context) (*Observation, error) {
	o := &Observation{DerivedOwnership: true}
	out, err := r.c.S3.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: aws.String(r.bucket)})
	switch code := errorCode(err); {
	case code == "ReplicationConfigurationNotFoundError", code == "NoSuchBucket", httpStatus(err) == 404:
		o.Notes = []string{"replication copies objects written from now on; objects already in the bucket are not replicated (use S3 Batch Replication for those)"}
		return o, nil
	case err != nil:
		return nil, fmt.Errorf("reading replication of bucket %q: %w", r.bucket, err)
	}
	owner, err := bucketOwner(ctx, r.c, r.bucket)
	if err != nil {
		return nil, err
	}
	o.Exists, o.Data = true, observedReplication(out.ReplicationConfiguration)
	if owner == r.stack {
		o.Owner = r.stack
	}
	return o, nil
}

// Diff implements Resource.
func (r *S3BucketReplication) Diff(o *Observation) ([]FieldDiff, error) {
	if !o.Exists {
		return createFields("rule."+replicationRuleID, r.want()), nil
	}
	return diffField(nil, "rule."+replicationRuleID, o.Data.(string), r.want()), nil
}

// Create implements Resource.
func (r *S3BucketReplication) Create(ctx context.Context, o *Observation) error {
	return r.Update(ctx, o, nil)
}

// Update implements Resource: the configuration is replaced by awsboot's
// one rule.
func (r *S3BucketReplication) Update(ctx context.Context, _ *Observation, _ []FieldDiff) error {
	dest := &s3types.Destination{Bucket: aws.String(r.r.Destination)}
	if r.r.DestinationAccount != "" {
		dest.Account = aws.String(r.r.DestinationAccount)
	}
	if r.r.OwnerOverride {
		dest.AccessControlTranslation = &s3types.AccessControlTranslation{Owner: s3types.OwnerOverrideDestination}
	}
	_, err := r.c.S3.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: aws.String(r.bucket), ReplicationConfiguration: &s3types.ReplicationConfiguration{
		Role: aws.String(r.roleARN),
		Rules: []s3types.ReplicationRule{{
			ID: aws.String(replicationRuleID), Status: s3types.ReplicationRuleStatusEnabled, Priority: aws.Int32(1),
			Filter:                  &s3types.ReplicationRuleFilter{Prefix: aws.String("")},
			DeleteMarkerReplication: &s3types.DeleteMarkerReplication{Status: s3types.DeleteMarkerReplicationStatusDisabled},
			Destination:             dest,
		}},
	}})
	if err != nil {
		return fmt.Errorf("configuring replication of bucket %q: %w", r.bucket, err)
	}
	return nil
}

// Delete implements Resource.
func (r *S3BucketReplication) Delete(ctx context.Context, _ *Observation) error {
	_, err := r.c.S3.DeleteBucketReplication(ctx, &s3.DeleteBucketReplicationInput{Bucket: aws.String(r.bucket)})
	if err != nil && errorCode(err) != "NoSuchBucket" {
		return fmt.Errorf("removing replication of bucket %q: %w", r.bucket, err)
	}
	return nil
}

// replicationResources are the role S3 assumes, its inline permissions,
// the configuration, and the destination owner's statement as a file.
func replicationResources(c *Clients, s *Spec, bucket *S3Bucket) []Resource {
	r := *s.Bucket.Replication
	dest := strings.TrimPrefix(r.Destination, "arn:aws:s3:::")
	role := NewServiceRole(c, s, r.Role, policies.ReplicationTrust(), "replication")
	perms := &IAMInlinePolicy{c: c, kind: "role", principal: r.Role, parent: role.Addr(), name: "replication",
		doc: policies.Replication(s.Bucket.Name, dest, r.OwnerOverride)}
	rep := &S3BucketReplication{c: c, stack: s.Stack, bucket: s.Bucket.Name, roleARN: role.ARN(), r: r, after: []Address{bucket.Addr(), perms.Addr()}}
	out := []Resource{role, perms, rep}
	if r.DestinationPolicyFile != "" {
		doc := policies.ReplicationDestination(role.ARN(), dest, r.OwnerOverride)
		f := NewLocalFile("replication/destination_policy", s.Path(r.DestinationPolicyFile), s.Stack,
			func(string) (string, error) { return doc.JSON() + "\n", nil }, role.Addr())
		// JSON has no comments: the Awsboot Sids mark the file as ours.
		f.owned = func(content string) bool {
			d, err := policies.Parse(content)
			return err == nil && policies.OwnedBy(d)
		}
		out = append(out, f)
	}
	return out
}
