package policies

import (
	"fmt"
	"strings"
)

// SidPrefix starts the Sid of every bucket policy statement awsboot
// writes: it is how a bucket policy is recognised as awsboot's, and how
// a statement added by hand stands out as drift.
const SidPrefix = "Awsboot"

// Writer lets a principal of another account put objects under prefix.
// When the bucket does not enforce object ownership, the upload must grant
// the bucket owner full control, or nobody in the bucket's account (nor
// CloudFront) could read the object.
func Writer(n int, bucket Scope, principal, prefix string, requireOwnerFullControl bool) Statement {
	s := Statement{
		Sid:       fmt.Sprintf("%sWriter%d", SidPrefix, n),
		Effect:    "Allow",
		Principal: &Principal{Values: map[string]StringList{"AWS": {principal}}},
		Action:    StringList{"s3:PutObject"},
		Resource:  StringList{Scope{Partition: bucket.Partition, Bucket: bucket.Bucket, Prefix: strings.TrimSuffix(prefix, "/")}.ObjectARN()},
	}
	if requireOwnerFullControl {
		s.Condition = Condition{"StringEquals": {"s3:x-amz-acl": {"bucket-owner-full-control"}}}
	}
	return s
}

// CloudFrontOAC lets one CloudFront distribution read every object through
// Origin Access Control: the service principal, pinned to the
// distribution by AWS:SourceArn. Public access can stay fully blocked.
func CloudFrontOAC(bucket Scope, distributionARN string) Statement {
	return Statement{
		Sid:       SidPrefix + "CloudFrontRead",
		Effect:    "Allow",
		Principal: &Principal{Values: map[string]StringList{"Service": {"cloudfront.amazonaws.com"}}},
		Action:    StringList{"s3:GetObject"},
		Resource:  StringList{bucket.ObjectARN()},
		Condition: Condition{"StringEquals": {"AWS:SourceArn": {distributionARN}}},
	}
}

// CloudFrontOAI is the legacy Origin Access Identity form, only when asked.
func CloudFrontOAI(bucket Scope, oaiID string) Statement {
	return Statement{
		Sid:       SidPrefix + "CloudFrontLegacyOAIRead",
		Effect:    "Allow",
		Principal: &Principal{Values: map[string]StringList{"AWS": {"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity " + oaiID}}},
		Action:    StringList{"s3:GetObject"},
		Resource:  StringList{bucket.ObjectARN()},
	}
}

// OwnedBy reports whether a bucket policy is awsboot's: it has at least
// one statement with awsboot's Sid prefix.
func OwnedBy(d Document) bool {
	for _, s := range d.Statement {
		if strings.HasPrefix(s.Sid, SidPrefix) {
			return true
		}
	}
	return false
}

// ReplicationTrust lets S3 assume the replication role.
func ReplicationTrust() Document {
	return Document{Version: Version, Statement: []Statement{{
		Sid:       "S3Replication",
		Effect:    "Allow",
		Principal: &Principal{Values: map[string]StringList{"Service": {"s3.amazonaws.com"}}},
		Action:    StringList{"sts:AssumeRole"},
	}}}
}

// Replication is the replication role's permissions, the minimum S3 needs:
// read the configuration and list the source, read object versions for
// replication, and replicate them (and hand ownership over, when asked)
// into the destination.
func Replication(source Scope, destination string, ownerOverride bool) Document {
	dest := StringList{"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"}
	if ownerOverride {
		dest = append(dest, "s3:ObjectOwnerOverrideToBucketOwner")
	}
	return Document{Version: Version, Statement: []Statement{
		{Sid: "ReadSourceConfiguration", Effect: "Allow", Action: StringList{"s3:GetReplicationConfiguration", "s3:ListBucket"}, Resource: StringList{source.BucketARN()}},
		{Sid: "ReadSourceVersions", Effect: "Allow", Action: StringList{"s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"}, Resource: StringList{source.ObjectARN()}},
		{Sid: "WriteDestination", Effect: "Allow", Action: dest, Resource: StringList{source.In(destination).ObjectARN()}},
	}}
}

// ReplicationDestination is what the destination bucket's owner adds to
// their bucket policy so the replication role may write there.
func ReplicationDestination(roleARN string, destination Scope, ownerOverride bool) Document {
	objects := StringList{"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"}
	if ownerOverride {
		objects = append(objects, "s3:ObjectOwnerOverrideToBucketOwner")
	}
	who := &Principal{Values: map[string]StringList{"AWS": {roleARN}}}
	return Document{Version: Version, Statement: []Statement{
		{Sid: SidPrefix + "ReplicationObjects", Effect: "Allow", Principal: who, Action: objects, Resource: StringList{destination.ObjectARN()}},
		{Sid: SidPrefix + "ReplicationBucket", Effect: "Allow", Principal: who, Action: StringList{"s3:GetBucketVersioning", "s3:PutBucketVersioning"}, Resource: StringList{destination.BucketARN()}},
	}}
}

// WriterGrant is one writer of a bucket policy: a principal of another
// account and the key prefix it may upload under.
type WriterGrant struct {
	Principal string
	Prefix    string
}

// BucketPolicy is the bucket policy awsboot writes: one Writer statement
// per writer (numbered from 1) and the CloudFront reader when a
// distribution ARN (Origin Access Control) or a legacy OAI id is given.
// It has no statement when there is nothing to grant.
func BucketPolicy(bucket Scope, writers []WriterGrant, requireOwnerFullControl bool, distributionARN, oaiID string) Document {
	doc := Document{Version: Version}
	for i, w := range writers {
		doc.Statement = append(doc.Statement, Writer(i+1, bucket, w.Principal, w.Prefix, requireOwnerFullControl))
	}
	if distributionARN != "" {
		doc.Statement = append(doc.Statement, CloudFrontOAC(bucket, distributionARN))
	}
	if oaiID != "" {
		doc.Statement = append(doc.Statement, CloudFrontOAI(bucket, oaiID))
	}
	return doc
}
