package awskinds

import (
	"maps"
)

// What each kind was built with, for exporters (awsboot export writes
// the same objects as a CloudFormation template): copies, so a caller
// cannot change what the kind creates.

// Config is the bucket's configuration, Tags copied.
func (b *S3Bucket) Config() S3BucketConfig {
	c := b.cfg
	c.Tags = maps.Clone(b.cfg.Tags)
	return c
}

// DesiredTags are the tags awsboot puts on the bucket: the spec's and the
// ownership tag (engine.StackTag).
func (b *S3Bucket) DesiredTags() map[string]string { return b.desiredTags() }

// WantVersioning is the versioning status awsboot puts ("Enabled" or
// "Suspended", S3's BucketVersioningStatus), meaningful when
// Config().Versioning is set.
func (b *S3Bucket) WantVersioning() string { return b.wantVersioning() }

// Config is the bucket policy's configuration.
func (p *S3BucketPolicy) Config() S3BucketPolicyConfig { return p.cfg }

// Config is the replication configuration's configuration.
func (r *S3BucketReplication) Config() S3BucketReplicationConfig { return r.cfg }

// RuleID is the ID of the one replication rule awsboot writes.
func (r *S3BucketReplication) RuleID() string { return replicationRuleID }

// Config is the managed policy's configuration.
func (p *IAMPolicy) Config() IAMPolicyConfig { return p.cfg }

// Config is the attachment's configuration.
func (a *IAMPolicyAttachment) Config() IAMPolicyAttachmentConfig { return a.cfg }

// Config is the inline policy's configuration.
func (p *IAMInlinePolicy) Config() IAMInlinePolicyConfig { return p.cfg }

// Config is the role's configuration.
func (r *IAMRole) Config() IAMRoleConfig { return r.cfg }

// Description is the role's description, as CreateRole sets it
// ("awsboot <stack>: <purpose>").
func (r *IAMRole) Description() string {
	purpose := r.cfg.Purpose
	if purpose == "" {
		purpose = "assumed by CI pipelines with OIDC tokens"
	}
	return "awsboot " + r.cfg.Stack + ": " + purpose
}

// Config is the user's configuration.
func (u *IAMUser) Config() IAMUserConfig { return u.cfg }

// Config is the provider's configuration (audiences and thumbprints
// merged from every entry that trusts it).
func (p *OIDCProvider) Config() OIDCProviderConfig { return p.cfg }
