package provision

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// S3Bucket is the stack's bucket: its existence and region, ownership
// tag, public access block and default encryption.
type S3Bucket struct {
	c          *Clients
	stack      string
	name       string
	region     string
	tags       map[string]string
	versioning *bool
	rules      []lifecycleRule
	ownership  string
	deleteData bool
}

// NewS3Bucket returns the bucket resource for a spec.
func NewS3Bucket(c *Clients, s *Spec, deleteData bool) *S3Bucket {
	b := &S3Bucket{c: c, stack: s.Stack, name: s.Bucket.Name, region: c.Region, tags: s.Bucket.Tags, versioning: s.Bucket.Versioning,
		ownership: ownershipValues[s.Bucket.ObjectOwnership], deleteData: deleteData}
	if s.Bucket.Replication != nil {
		// Replication needs versioning on the source.
		on := true
		b.versioning = &on
	}
	if n := *s.Bucket.AbortIncompleteMultipartDays; n > 0 {
		b.rules = append(b.rules, lifecycleRule{id: abortRuleID, abortDays: int32(n)})
	}
	for _, r := range s.Bucket.Lifecycle {
		b.rules = append(b.rules, lifecycleRule{id: r.ID, prefix: *r.Prefix, expireDays: int32(r.ExpireDays), noncurrentDays: int32(r.NoncurrentExpireDays)})
	}
	return b
}

// abortRuleID names the rule, on every bucket awsboot creates, that
// removes the parts of multipart uploads nobody completed (as the CDK
// bootstrap bucket does): they are billed and invisible in listings.
const abortRuleID = "awsboot-abort-incomplete-multipart"

// lifecycleRule is the part of an S3 lifecycle rule awsboot manages.
type lifecycleRule struct {
	id             string
	prefix         string
	expireDays     int32
	noncurrentDays int32
	abortDays      int32
}

// String is the rule as one comparable line, shown in plans.
func (r lifecycleRule) String() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("prefix=%q", r.prefix))
	if r.expireDays > 0 {
		parts = append(parts, "expire after "+days(r.expireDays))
	}
	if r.noncurrentDays > 0 {
		parts = append(parts, "expire noncurrent versions after "+days(r.noncurrentDays))
	}
	if r.abortDays > 0 {
		parts = append(parts, "abort incomplete multipart uploads after "+days(r.abortDays))
	}
	return strings.Join(parts, ", ")
}

func days(n int32) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

type bucketState struct {
	region     string
	tags       map[string]string
	pab        s3types.PublicAccessBlockConfiguration
	sse        string
	versioning string // Enabled, Suspended or "" (never enabled)
	rules      map[string]string
	ownership  string
	hasData    bool
	// unsupported are settings an S3-compatible service does not
	// implement; they are skipped, and the plan names them.
	unsupported map[string]bool
}

// Optional bucket settings, by the name the plan uses.
const (
	settingPAB        = "public_access_block"
	settingEncryption = "encryption"
	settingVersioning = "versioning"
	settingLifecycle  = "lifecycle"
	settingOwnership  = "object_ownership"
)

// notImplemented reports a service answering that it lacks an API.
func notImplemented(err error) bool {
	switch errorCode(err) {
	case "NotImplemented", "InvalidAction", "NotSupported":
		return true
	}
	return httpStatus(err) == http.StatusNotImplemented
}

// skippable reports whether err means a setting can be skipped: only on an
// S3-compatible service, never on AWS, where a missing security setting
// must stop the run.
func (b *S3Bucket) skippable(err error) bool {
	return err != nil && b.c.Custom() && notImplemented(err)
}

// Addr implements Resource.
func (b *S3Bucket) Addr() Address { return Addr("s3_bucket", b.name) }

// DependsOn implements Resource.
func (b *S3Bucket) DependsOn() []Address { return nil }

// Describe names the bucket in messages.
func (b *S3Bucket) Describe() string { return fmt.Sprintf("S3 bucket %q", b.name) }

// desiredTags are the spec's tags plus the ownership tag.
func (b *S3Bucket) desiredTags() map[string]string {
	t := map[string]string{StackTag: b.stack}
	for k, v := range b.tags {
		t[k] = v
	}
	return t
}

// Read implements Resource.
func (b *S3Bucket) Read(ctx context.Context) (*Observation, error) {
	_, err := b.c.S3.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.name)})
	if err != nil {
		switch httpStatus(err) {
		case http.StatusNotFound:
			o := &Observation{}
			if b.c.Custom() {
				o.Notes = append(o.Notes, "S3-compatible endpoint: a setting below that the service does not implement is skipped at apply, and named by the next plan")
			}
			return o, nil
		case http.StatusForbidden:
			return nil, fmt.Errorf("bucket %q exists but this account cannot access it: bucket names are global, so it probably belongs to another AWS account; choose another name", b.name)
		case http.StatusMovedPermanently:
			return nil, fmt.Errorf("bucket %q exists in another region than %s; a bucket cannot move: set region to the bucket's region or choose another name", b.name, b.region)
		}
		return nil, fmt.Errorf("checking bucket %q: %w", b.name, err)
	}
	st := bucketState{unsupported: map[string]bool{}}
	loc, err := b.c.S3.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(b.name)})
	if err != nil {
		return nil, fmt.Errorf("reading location of bucket %q: %w", b.name, err)
	}
	st.region = normalizeLocation(string(loc.LocationConstraint))

	if st.tags, err = bucketTags(ctx, b.c, b.name); err != nil {
		return nil, err
	}

	pab, err := b.c.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(b.name)})
	switch {
	case err == nil && pab.PublicAccessBlockConfiguration != nil:
		st.pab = *pab.PublicAccessBlockConfiguration
	case b.skippable(err):
		st.unsupported[settingPAB] = true
	case err != nil && errorCode(err) != "NoSuchPublicAccessBlockConfiguration":
		return nil, fmt.Errorf("reading public access block of bucket %q: %w", b.name, err)
	}

	enc, err := b.c.S3.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b.name)})
	switch {
	case err == nil && enc.ServerSideEncryptionConfiguration != nil:
		for _, r := range enc.ServerSideEncryptionConfiguration.Rules {
			if r.ApplyServerSideEncryptionByDefault != nil {
				st.sse = string(r.ApplyServerSideEncryptionByDefault.SSEAlgorithm)
			}
		}
	case b.skippable(err):
		st.unsupported[settingEncryption] = true
	case err != nil && errorCode(err) != "ServerSideEncryptionConfigurationNotFoundError":
		return nil, fmt.Errorf("reading encryption of bucket %q: %w", b.name, err)
	}

	ver, err := b.c.S3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b.name)})
	switch {
	case err == nil:
		st.versioning = string(ver.Status)
	case b.skippable(err):
		st.unsupported[settingVersioning] = true
	default:
		return nil, fmt.Errorf("reading versioning of bucket %q: %w", b.name, err)
	}

	own, err := b.c.S3.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(b.name)})
	switch {
	case err == nil && own.OwnershipControls != nil && len(own.OwnershipControls.Rules) > 0:
		st.ownership = string(own.OwnershipControls.Rules[0].ObjectOwnership)
	case err == nil, errorCode(err) == "OwnershipControlsNotFoundError":
	case b.skippable(err):
		st.unsupported[settingOwnership] = true
	default:
		return nil, fmt.Errorf("reading object ownership of bucket %q: %w", b.name, err)
	}

	st.rules = map[string]string{}
	lc, err := b.c.S3.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b.name)})
	switch {
	case err == nil:
		for _, r := range lc.Rules {
			st.rules[aws.ToString(r.ID)] = observedRule(r).String()
		}
	case b.skippable(err):
		st.unsupported[settingLifecycle] = true
	case errorCode(err) != "NoSuchLifecycleConfiguration":
		return nil, fmt.Errorf("reading lifecycle of bucket %q: %w", b.name, err)
	}

	vers, err := b.c.S3.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b.name), MaxKeys: aws.Int32(1)})
	if err != nil {
		return nil, fmt.Errorf("checking whether bucket %q holds objects: %w", b.name, err)
	}
	st.hasData = len(vers.Versions) > 0 || len(vers.DeleteMarkers) > 0

	o := &Observation{Exists: true, Owner: st.tags[StackTag], Data: st}
	for _, name := range []string{settingPAB, settingEncryption, settingOwnership, settingVersioning, settingLifecycle} {
		if st.unsupported[name] {
			o.Notes = append(o.Notes, fmt.Sprintf("skipped: %s (this S3-compatible service does not implement it)", name))
		}
	}
	if st.hasData && !b.deleteData {
		o.KeepReason = "the bucket holds objects, so it is kept to protect the data; run teardown with --delete-data to delete every object, every version and the bucket"
	}
	return o, nil
}

// normalizeLocation maps GetBucketLocation's legacy answers to regions.
func normalizeLocation(loc string) string {
	switch loc {
	case "":
		return "us-east-1"
	case "EU":
		return "eu-west-1"
	}
	return loc
}

const sseS3 = string(s3types.ServerSideEncryptionAes256)

// Diff implements Resource.
func (b *S3Bucket) Diff(o *Observation) ([]FieldDiff, error) {
	desired := b.desiredTags()
	if !o.Exists {
		d := createFields("name", b.name, "region", b.region)
		d = append(d, createFields(
			"public_access_block.block_public_acls", "true",
			"public_access_block.ignore_public_acls", "true",
			"public_access_block.block_public_policy", "true",
			"public_access_block.restrict_public_buckets", "true",
			"encryption.sse_algorithm", sseS3,
			"object_ownership", b.ownership)...)
		for _, k := range sortedKeys(desired) {
			d = append(d, FieldDiff{Path: "tags." + k, After: desired[k]})
		}
		if b.versioning != nil {
			d = append(d, FieldDiff{Path: "versioning", After: versioningWord(b.wantVersioning())})
		}
		for _, r := range b.rules {
			d = append(d, FieldDiff{Path: "lifecycle." + r.id, After: r.String()})
		}
		return d, nil
	}
	st := o.Data.(bucketState)
	if st.region != b.region {
		return nil, fmt.Errorf("bucket %q is in %s but the stack's region is %s; a bucket cannot change region: set region: %s in the spec or use another bucket name", b.name, st.region, b.region, st.region)
	}
	var d []FieldDiff
	if !st.unsupported[settingPAB] {
		d = diffField(d, "public_access_block.block_public_acls", boolStr(st.pab.BlockPublicAcls), "true")
		d = diffField(d, "public_access_block.ignore_public_acls", boolStr(st.pab.IgnorePublicAcls), "true")
		d = diffField(d, "public_access_block.block_public_policy", boolStr(st.pab.BlockPublicPolicy), "true")
		d = diffField(d, "public_access_block.restrict_public_buckets", boolStr(st.pab.RestrictPublicBuckets), "true")
	}
	if !st.unsupported[settingEncryption] {
		d = diffField(d, "encryption.sse_algorithm", st.sse, sseS3)
	}
	if !st.unsupported[settingOwnership] {
		// A bucket without ownership controls behaves as ObjectWriter.
		cur := st.ownership
		if cur == "" {
			cur = "ObjectWriter"
		}
		d = diffField(d, "object_ownership", cur, b.ownership)
	}
	for _, k := range sortedKeys(desired) {
		d = diffField(d, "tags."+k, st.tags[k], desired[k])
	}
	if b.versioning != nil && !st.unsupported[settingVersioning] {
		d = diffField(d, "versioning", versioningWord(st.versioning), versioningWord(b.wantVersioning()))
	}
	if st.unsupported[settingLifecycle] {
		return d, nil
	}
	want := b.wantRules()
	ids := map[string]string{}
	for k, v := range st.rules {
		ids[k] = v
	}
	for k := range want {
		ids[k] = ""
	}
	for _, id := range sortedKeys(ids) {
		d = diffField(d, "lifecycle."+id, st.rules[id], want[id])
	}
	return d, nil
}

func (b *S3Bucket) wantVersioning() string {
	if b.versioning != nil && *b.versioning {
		return string(s3types.BucketVersioningStatusEnabled)
	}
	return string(s3types.BucketVersioningStatusSuspended)
}

// versioningWord shows versioning as on/off; a bucket that never had it
// is off.
func versioningWord(status string) string {
	if status == string(s3types.BucketVersioningStatusEnabled) {
		return "on"
	}
	return "off"
}

func (b *S3Bucket) wantRules() map[string]string {
	out := map[string]string{}
	for _, r := range b.rules {
		out[r.id] = r.String()
	}
	return out
}

// observedRule reads the managed parts of an S3 rule; a disabled rule
// reads as empty, so it shows as drift.
func observedRule(r s3types.LifecycleRule) lifecycleRule {
	out := lifecycleRule{id: aws.ToString(r.ID)}
	if r.Status != s3types.ExpirationStatusEnabled {
		return lifecycleRule{id: out.id, prefix: "(disabled)"}
	}
	if r.Filter != nil && r.Filter.Prefix != nil {
		out.prefix = aws.ToString(r.Filter.Prefix)
	} else {
		//lint:ignore SA1019 rules written by older tools still use the top-level Prefix; it must be read to be compared
		out.prefix = aws.ToString(r.Prefix)
	}
	if r.Expiration != nil {
		out.expireDays = aws.ToInt32(r.Expiration.Days)
	}
	if r.NoncurrentVersionExpiration != nil {
		out.noncurrentDays = aws.ToInt32(r.NoncurrentVersionExpiration.NoncurrentDays)
	}
	if r.AbortIncompleteMultipartUpload != nil {
		out.abortDays = aws.ToInt32(r.AbortIncompleteMultipartUpload.DaysAfterInitiation)
	}
	return out
}

// putOwnership sets object ownership; BucketOwnerEnforced disables ACLs,
// so every object belongs to the bucket owner whoever uploads it: the fix
// for cross-account uploads that nobody in the bucket's account can read.
func (b *S3Bucket) putOwnership(ctx context.Context) error {
	_, err := b.c.S3.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b.name),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnership(b.ownership)}}}})
	if err != nil {
		return fmt.Errorf("setting object ownership of bucket %q: %w", b.name, err)
	}
	return nil
}

func (b *S3Bucket) putVersioning(ctx context.Context) error {
	_, err := b.c.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b.name),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatus(b.wantVersioning())}})
	if err != nil {
		return fmt.Errorf("setting versioning of bucket %q: %w", b.name, err)
	}
	return nil
}

// putLifecycle replaces the bucket's lifecycle with exactly awsboot's
// rules; rules added by hand to a bucket awsboot owns are drift.
func (b *S3Bucket) putLifecycle(ctx context.Context) error {
	if len(b.rules) == 0 {
		if _, err := b.c.S3.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(b.name)}); err != nil {
			return fmt.Errorf("removing lifecycle of bucket %q: %w", b.name, err)
		}
		return nil
	}
	var rules []s3types.LifecycleRule
	for _, r := range b.rules {
		lr := s3types.LifecycleRule{ID: aws.String(r.id), Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String(r.prefix)}}
		if r.expireDays > 0 {
			lr.Expiration = &s3types.LifecycleExpiration{Days: aws.Int32(r.expireDays)}
		}
		if r.noncurrentDays > 0 {
			lr.NoncurrentVersionExpiration = &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(r.noncurrentDays)}
		}
		if r.abortDays > 0 {
			lr.AbortIncompleteMultipartUpload = &s3types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(r.abortDays)}
		}
		rules = append(rules, lr)
	}
	_, err := b.c.S3.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b.name),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: rules}})
	if err != nil {
		return fmt.Errorf("setting lifecycle of bucket %q: %w", b.name, err)
	}
	return nil
}

func boolStr(b *bool) string {
	if b != nil && *b {
		return "true"
	}
	return "false"
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Create implements Resource. The ownership tag goes on first (in the
// create call itself where S3 supports it, then explicitly), so a run
// killed half-way leaves a bucket the next run recognises as its own.
func (b *S3Bucket) Create(ctx context.Context, _ *Observation) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(b.name)}
	cfg := &s3types.CreateBucketConfiguration{}
	if b.region != "us-east-1" {
		cfg.LocationConstraint = s3types.BucketLocationConstraint(b.region)
	}
	if b.c.Endpoint == "" {
		// AWS applies tags given at creation atomically; S3-compatible
		// services may not know the field, so they get PutBucketTagging
		// alone.
		for _, k := range sortedKeys(b.desiredTags()) {
			cfg.Tags = append(cfg.Tags, s3types.Tag{Key: aws.String(k), Value: aws.String(b.desiredTags()[k])})
		}
	}
	if cfg.LocationConstraint != "" || len(cfg.Tags) > 0 {
		in.CreateBucketConfiguration = cfg
	}
	if _, err := b.c.S3.CreateBucket(ctx, in); err != nil {
		var owned *s3types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			return fmt.Errorf("creating bucket %q: %w", b.name, err)
		}
	}
	st := bucketState{tags: map[string]string{}}
	if err := b.putTags(ctx, st.tags); err != nil {
		return err
	}
	// On an S3-compatible service a setting it does not implement is
	// skipped here and named by every later plan; on AWS it is an error.
	if err := b.putPublicAccessBlock(ctx); err != nil && !b.skippable(err) {
		return err
	}
	if err := b.putEncryption(ctx); err != nil && !b.skippable(err) {
		return err
	}
	if err := b.putOwnership(ctx); err != nil && !b.skippable(err) {
		return err
	}
	if b.versioning != nil && *b.versioning {
		if err := b.putVersioning(ctx); err != nil && !b.skippable(err) {
			return err
		}
	}
	if len(b.rules) == 0 {
		return nil
	}
	if err := b.putLifecycle(ctx); err != nil && !b.skippable(err) {
		return err
	}
	return nil
}

// Update implements Resource: it repairs only the settings that drifted.
func (b *S3Bucket) Update(ctx context.Context, o *Observation, diffs []FieldDiff) error {
	st := o.Data.(bucketState)
	if hasPath(diffs, "tags") {
		if err := b.putTags(ctx, st.tags); err != nil {
			return err
		}
	}
	if hasPath(diffs, "public_access_block") {
		if err := b.putPublicAccessBlock(ctx); err != nil {
			return err
		}
	}
	if hasPath(diffs, "encryption") {
		if err := b.putEncryption(ctx); err != nil {
			return err
		}
	}
	if hasPath(diffs, "object_ownership") {
		if err := b.putOwnership(ctx); err != nil {
			return err
		}
	}
	if hasPath(diffs, "versioning") {
		if err := b.putVersioning(ctx); err != nil {
			return err
		}
	}
	if hasPath(diffs, "lifecycle") {
		return b.putLifecycle(ctx)
	}
	return nil
}

// bucketTags reads a bucket's tags (none for a bucket without tags, or
// gone). The bucket, its policy and its replication each need them to
// decide ownership; within one plan they share a single read.
func bucketTags(ctx context.Context, c *Clients, bucket string) (map[string]string, error) {
	return cached(ctx, "bucket-tags/"+bucket, func() (map[string]string, error) {
		tags := map[string]string{}
		out, err := c.S3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
		switch code := errorCode(err); {
		case err == nil:
			for _, t := range out.TagSet {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
		case code != "NoSuchTagSet" && code != "NoSuchBucket":
			return nil, fmt.Errorf("reading tags of bucket %q: %w", bucket, err)
		}
		return tags, nil
	})
}

// putTags writes the desired tags, keeping tags someone else added: S3
// replaces the whole tag set, and removing other people's tags is not
// awsboot's business.
func (b *S3Bucket) putTags(ctx context.Context, existing map[string]string) error {
	all := map[string]string{}
	for k, v := range existing {
		all[k] = v
	}
	for k, v := range b.desiredTags() {
		all[k] = v
	}
	var set []s3types.Tag
	for _, k := range sortedKeys(all) {
		set = append(set, s3types.Tag{Key: aws.String(k), Value: aws.String(all[k])})
	}
	_, err := b.c.S3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(b.name), Tagging: &s3types.Tagging{TagSet: set}})
	if err != nil {
		return fmt.Errorf("tagging bucket %q: %w", b.name, err)
	}
	return nil
}

func (b *S3Bucket) putPublicAccessBlock(ctx context.Context) error {
	_, err := b.c.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String(b.name),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls:       aws.Bool(true),
			IgnorePublicAcls:      aws.Bool(true),
			BlockPublicPolicy:     aws.Bool(true),
			RestrictPublicBuckets: aws.Bool(true),
		},
	})
	if err != nil {
		return fmt.Errorf("blocking public access to bucket %q: %w", b.name, err)
	}
	return nil
}

func (b *S3Bucket) putEncryption(ctx context.Context) error {
	_, err := b.c.S3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: aws.String(b.name),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
			Rules: []s3types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256},
			}},
		},
	})
	if err != nil {
		return fmt.Errorf("setting default encryption of bucket %q: %w", b.name, err)
	}
	return nil
}

// Delete implements Resource. The plan only deletes a bucket that is
// empty or whose data the user agreed to delete (--delete-data); then
// every object version and delete marker goes first.
func (b *S3Bucket) Delete(ctx context.Context, o *Observation) error {
	if b.deleteData {
		if err := b.empty(ctx); err != nil {
			return err
		}
	}
	_, err := b.c.S3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b.name)})
	switch {
	case err == nil, errorCode(err) == "NoSuchBucket":
		return nil
	case errorCode(err) == "BucketNotEmpty":
		return fmt.Errorf("deleting bucket %q: objects were written to it since the plan was made; it is kept (run teardown again, with --delete-data to delete them)", b.name)
	}
	return fmt.Errorf("deleting bucket %q: %w", b.name, err)
}

func (b *S3Bucket) empty(ctx context.Context) error {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(b.name)}
	for {
		out, err := b.c.S3.ListObjectVersions(ctx, in)
		if err != nil {
			return fmt.Errorf("listing objects of bucket %q: %w", b.name, err)
		}
		var ids []s3types.ObjectIdentifier
		for _, v := range out.Versions {
			ids = append(ids, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			ids = append(ids, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if len(ids) > 0 {
			res, err := b.c.S3.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b.name), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
			if err != nil {
				return fmt.Errorf("deleting objects of bucket %q: %w", b.name, err)
			}
			if len(res.Errors) > 0 {
				e := res.Errors[0]
				return fmt.Errorf("deleting objects of bucket %q: %d failed, first %s: %s", b.name, len(res.Errors), aws.ToString(e.Key), aws.ToString(e.Message))
			}
		}
		if !aws.ToBool(out.IsTruncated) {
			return nil
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
}

// httpStatus returns the HTTP status of an AWS error, 0 if none.
func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// DestroyDescription implements destroyDescriber.
func (b *S3Bucket) DestroyDescription(o *Observation) string {
	if o.Data.(bucketState).hasData {
		return "deletes every object and object version first (--delete-data), then the bucket"
	}
	return "the bucket is empty"
}
