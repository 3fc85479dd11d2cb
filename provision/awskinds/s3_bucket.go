package awskinds

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// s3BucketAPI lists the S3 calls S3Bucket makes.
type s3BucketAPI interface {
	bucketTagsAPI
	HeadBucket(ctx context.Context, in *s3.HeadBucketInput, opts ...func(*s3.Options)) (*s3.HeadBucketOutput, error)
	CreateBucket(ctx context.Context, in *s3.CreateBucketInput, opts ...func(*s3.Options)) (*s3.CreateBucketOutput, error)
	DeleteBucket(ctx context.Context, in *s3.DeleteBucketInput, opts ...func(*s3.Options)) (*s3.DeleteBucketOutput, error)
	GetBucketLocation(ctx context.Context, in *s3.GetBucketLocationInput, opts ...func(*s3.Options)) (*s3.GetBucketLocationOutput, error)
	PutBucketTagging(ctx context.Context, in *s3.PutBucketTaggingInput, opts ...func(*s3.Options)) (*s3.PutBucketTaggingOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, opts ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
	PutPublicAccessBlock(ctx context.Context, in *s3.PutPublicAccessBlockInput, opts ...func(*s3.Options)) (*s3.PutPublicAccessBlockOutput, error)
	GetBucketEncryption(ctx context.Context, in *s3.GetBucketEncryptionInput, opts ...func(*s3.Options)) (*s3.GetBucketEncryptionOutput, error)
	PutBucketEncryption(ctx context.Context, in *s3.PutBucketEncryptionInput, opts ...func(*s3.Options)) (*s3.PutBucketEncryptionOutput, error)
	GetBucketLifecycleConfiguration(ctx context.Context, in *s3.GetBucketLifecycleConfigurationInput, opts ...func(*s3.Options)) (*s3.GetBucketLifecycleConfigurationOutput, error)
	PutBucketLifecycleConfiguration(ctx context.Context, in *s3.PutBucketLifecycleConfigurationInput, opts ...func(*s3.Options)) (*s3.PutBucketLifecycleConfigurationOutput, error)
	DeleteBucketLifecycle(ctx context.Context, in *s3.DeleteBucketLifecycleInput, opts ...func(*s3.Options)) (*s3.DeleteBucketLifecycleOutput, error)
	GetBucketVersioning(ctx context.Context, in *s3.GetBucketVersioningInput, opts ...func(*s3.Options)) (*s3.GetBucketVersioningOutput, error)
	PutBucketVersioning(ctx context.Context, in *s3.PutBucketVersioningInput, opts ...func(*s3.Options)) (*s3.PutBucketVersioningOutput, error)
	GetBucketOwnershipControls(ctx context.Context, in *s3.GetBucketOwnershipControlsInput, opts ...func(*s3.Options)) (*s3.GetBucketOwnershipControlsOutput, error)
	PutBucketOwnershipControls(ctx context.Context, in *s3.PutBucketOwnershipControlsInput, opts ...func(*s3.Options)) (*s3.PutBucketOwnershipControlsOutput, error)
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
	DeleteObjects(ctx context.Context, in *s3.DeleteObjectsInput, opts ...func(*s3.Options)) (*s3.DeleteObjectsOutput, error)
}

// S3BucketConfig is what the bucket resource needs from the spec.
type S3BucketConfig struct {
	Stack  string
	Name   string
	Region string
	// Partition is the ARN partition ("aws"), for the ARN Summary shows.
	Partition string
	// Tags are the spec's tags; the ownership tag is added.
	Tags map[string]string
	// Versioning on (true) or off (false); nil leaves it as it is.
	Versioning *bool
	// Rules are the lifecycle rules, the abort-multipart rule included.
	Rules []LifecycleRule
	// ObjectOwnership is S3's value (BucketOwnerEnforced, ...).
	ObjectOwnership string
	// Custom is true against an S3-compatible service: a setting it does
	// not implement is skipped (and named by the plan) instead of failing.
	Custom bool
	// DeleteData lets teardown empty and delete a bucket holding data.
	DeleteData bool
	// Intents is the stack's local journal (nil: none). Where the
	// ownership tag is a second call (Custom), the create is recorded
	// there first, so a run stopped between CreateBucket and
	// PutBucketTagging leaves a bucket the next run knows as its own.
	Intents IntentJournal
}

// IntentJournal records creates that take more than one call
// (localfile.Intents).
type IntentJournal interface {
	Has(key string) (bool, error)
	Begin(key string) error
	Done(key string) error
}

// S3Bucket is the stack's bucket: its existence and region, ownership
// tag, public access block, default encryption, object ownership,
// versioning and lifecycle rules.
type S3Bucket struct {
	engine.Meta
	cfg S3BucketConfig
	api s3BucketAPI
}

// NewS3Bucket returns the bucket resource.
func NewS3Bucket(cfg S3BucketConfig) *S3Bucket {
	return &S3Bucket{Meta: engine.Meta{Address: engine.Addr("s3_bucket", cfg.Name), What: fmt.Sprintf("S3 bucket %q", cfg.Name)}, cfg: cfg}
}

// Connect implements Connector.
func (b *S3Bucket) Connect(c *awsapi.Clients) { b.api = c.S3 }

// LifecycleRule is the part of an S3 lifecycle rule awsboot manages; days
// are whole days (S3's unit).
type LifecycleRule struct {
	ID             string
	Prefix         string
	ExpireDays     int32
	NoncurrentDays int32
	AbortDays      int32
}

// String is the rule as one comparable line, shown in plans.
func (r LifecycleRule) String() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("prefix=%q", r.Prefix))
	if r.ExpireDays > 0 {
		parts = append(parts, "expire after "+days(r.ExpireDays))
	}
	if r.NoncurrentDays > 0 {
		parts = append(parts, "expire noncurrent versions after "+days(r.NoncurrentDays))
	}
	if r.AbortDays > 0 {
		parts = append(parts, "abort incomplete multipart uploads after "+days(r.AbortDays))
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

// skippable reports whether err means a setting can be skipped: only on an
// S3-compatible service, never on AWS, where a missing security setting
// must stop the run.
func (b *S3Bucket) skippable(err error) bool {
	return err != nil && b.cfg.Custom && awsapi.NotImplemented(err)
}

// retryConflicts makes the SDK retry S3's OperationAborted for one call
// (409, "A conflicting conditional operation is currently in progress
// against this resource"). S3 may answer it to one of two configuration
// writes to the same bucket made at the same time, which Create and
// Update do; it means "try again", and the SDK's standard retryer does not
// count it as retryable.
func retryConflicts(o *s3.Options) {
	o.Retryer = retry.AddWithErrorCodes(o.Retryer, "OperationAborted")
}

// desiredTags are the spec's tags plus the ownership tag.
func (b *S3Bucket) desiredTags() map[string]string {
	t := map[string]string{engine.StackTag: b.cfg.Stack}
	maps.Copy(t, b.cfg.Tags)
	return t
}

// Read implements engine.Kind. Every read answers an independent
// question, so they all go at once, HeadBucket among them: a plan waits
// one round trip for the bucket, not nine. HeadBucket's answer decides:
// when the bucket is absent, or another account's, or in another region,
// the other answers are dropped (they cost requests, not time). When
// several other reads fail, the error returned is the one the first
// failing read in the order below gives, as when they ran one after
// another. Only an S3-compatible service that leaves HeadBucket's region
// header out costs a second round trip (GetBucketLocation).
func (b *S3Bucket) Read(ctx context.Context) (*engine.Observation, bucketState, error) {
	var (
		head *s3.HeadBucketOutput
		err  error
	)
	st := bucketState{unsupported: map[string]bool{}, rules: map[string]string{}}
	// Each read writes only its own variables; the unsupported flags are
	// gathered after the wait, so no two goroutines share a map.
	var noPAB, noSSE, noVersioning, noOwnership, noLifecycle bool
	// Teardown's plan needs the owner (the tags) and whether the bucket
	// holds data; apply's needs the settings and not the data. Outside a
	// plan (verify), everything is read.
	mode, planning := engine.PlanMode(ctx)
	destroying, applying := planning && mode == engine.ModeDestroy, planning && mode == engine.ModeApply
	var readErr error
	concurrently(
		func() { head, err = b.api.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(b.cfg.Name)}) },
		func() {
			readErr = firstError(errorsOf(
				func() (err error) {
					st.tags, err = bucketTags(ctx, b.api, b.cfg.Name)
					return err
				},
				func() error {
					if destroying {
						return nil
					}
					pab, err := b.api.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(b.cfg.Name)})
					switch {
					case err == nil && pab.PublicAccessBlockConfiguration != nil:
						st.pab = *pab.PublicAccessBlockConfiguration
					case b.skippable(err):
						noPAB = true
					case err != nil && awsapi.ErrorCode(err) != "NoSuchPublicAccessBlockConfiguration":
						return fmt.Errorf("reading public access block of bucket %q: %w", b.cfg.Name, err)
					}
					return nil
				},
				func() error {
					if destroying {
						return nil
					}
					enc, err := b.api.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b.cfg.Name)})
					switch {
					case err == nil && enc.ServerSideEncryptionConfiguration != nil:
						for _, r := range enc.ServerSideEncryptionConfiguration.Rules {
							if r.ApplyServerSideEncryptionByDefault != nil {
								st.sse = string(r.ApplyServerSideEncryptionByDefault.SSEAlgorithm)
							}
						}
					case b.skippable(err):
						noSSE = true
					case err != nil && awsapi.ErrorCode(err) != "ServerSideEncryptionConfigurationNotFoundError":
						return fmt.Errorf("reading encryption of bucket %q: %w", b.cfg.Name, err)
					}
					return nil
				},
				func() error {
					if destroying {
						return nil
					}
					ver, err := b.api.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(b.cfg.Name)})
					switch {
					case err == nil:
						st.versioning = string(ver.Status)
					case b.skippable(err):
						noVersioning = true
					default:
						return fmt.Errorf("reading versioning of bucket %q: %w", b.cfg.Name, err)
					}
					return nil
				},
				func() error {
					if destroying {
						return nil
					}
					own, err := b.api.GetBucketOwnershipControls(ctx, &s3.GetBucketOwnershipControlsInput{Bucket: aws.String(b.cfg.Name)})
					switch {
					case err == nil && own.OwnershipControls != nil && len(own.OwnershipControls.Rules) > 0:
						st.ownership = string(own.OwnershipControls.Rules[0].ObjectOwnership)
					case err == nil, awsapi.ErrorCode(err) == "OwnershipControlsNotFoundError":
					case b.skippable(err):
						noOwnership = true
					default:
						return fmt.Errorf("reading object ownership of bucket %q: %w", b.cfg.Name, err)
					}
					return nil
				},
				func() error {
					if destroying {
						return nil
					}
					lc, err := b.api.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: aws.String(b.cfg.Name)})
					switch {
					case err == nil:
						for _, r := range lc.Rules {
							st.rules[aws.ToString(r.ID)] = ObservedRule(r).String()
						}
					case b.skippable(err):
						noLifecycle = true
					case awsapi.ErrorCode(err) != "NoSuchLifecycleConfiguration":
						return fmt.Errorf("reading lifecycle of bucket %q: %w", b.cfg.Name, err)
					}
					return nil
				},
				func() error {
					if applying {
						return nil
					}
					vers, err := b.api.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(b.cfg.Name), MaxKeys: aws.Int32(1)})
					if err != nil {
						return fmt.Errorf("checking whether bucket %q holds objects: %w", b.cfg.Name, err)
					}
					st.hasData = len(vers.Versions) > 0 || len(vers.DeleteMarkers) > 0
					return nil
				},
			))
		},
	)
	if err != nil {
		switch awsapi.HTTPStatus(err) {
		case http.StatusNotFound:
			o := &engine.Observation{}
			if b.cfg.Custom {
				o.Notes = append(o.Notes, "S3-compatible endpoint: a setting below that the service does not implement is skipped at apply, and named by the next plan")
			}
			return o, bucketState{}, nil
		case http.StatusForbidden:
			return nil, bucketState{}, fmt.Errorf("bucket %q exists but this account cannot access it: bucket names are global, so it probably belongs to another AWS account; choose another name", b.cfg.Name)
		case http.StatusMovedPermanently:
			return nil, bucketState{}, fmt.Errorf("bucket %q exists in another region than %s; a bucket cannot move: set region to the bucket's region or choose another name", b.cfg.Name, b.cfg.Region)
		}
		return nil, bucketState{}, fmt.Errorf("checking bucket %q: %w", b.cfg.Name, err)
	}
	if readErr != nil {
		return nil, bucketState{}, readErr
	}
	if !destroying {
		// HeadBucket answers the region in x-amz-bucket-region
		// (HeadBucket, S3 API Reference); an S3-compatible service that
		// leaves it out is asked GetBucketLocation.
		if r := aws.ToString(head.BucketRegion); r != "" {
			st.region = r
		} else {
			loc, err := b.api.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String(b.cfg.Name)})
			if err != nil {
				return nil, bucketState{}, fmt.Errorf("reading location of bucket %q: %w", b.cfg.Name, err)
			}
			st.region = normalizeLocation(string(loc.LocationConstraint))
		}
	}
	for name, no := range map[string]bool{settingPAB: noPAB, settingEncryption: noSSE, settingVersioning: noVersioning, settingOwnership: noOwnership, settingLifecycle: noLifecycle} {
		if no {
			st.unsupported[name] = true
		}
	}

	o := &engine.Observation{Exists: true, Owner: st.tags[engine.StackTag]}
	if o.Owner == "" && b.cfg.Intents != nil {
		began, err := b.cfg.Intents.Has(string(b.Addr()))
		if err != nil {
			return nil, bucketState{}, err
		}
		if began {
			o.Owner = b.cfg.Stack
			o.Notes = append(o.Notes, "an interrupted run of this stack created the bucket and did not get to tag it (awsboot's local journal says so): it is this stack's")
		}
	}
	for _, name := range []string{settingPAB, settingEncryption, settingOwnership, settingVersioning, settingLifecycle} {
		if st.unsupported[name] {
			o.Notes = append(o.Notes, fmt.Sprintf("skipped: %s (this S3-compatible service does not implement it)", name))
		}
	}
	o.ManagedBy = managedByTags(st.tags)
	switch {
	case o.ManagedBy != "" && b.cfg.DeleteData:
		// Teardown leaves the bucket to CloudFormation (engine.ManagedReason);
		// emptying a bucket that stays would only lose the data.
		o.KeepReason = "--delete-data does not apply: the bucket is not deleted, so it is not emptied either"
	case o.ManagedBy != "":
		// Kept whatever it holds: the data's reason would point to
		// --delete-data, which does not delete it either.
	case st.hasData && !b.cfg.DeleteData:
		o.KeepReason = "the bucket holds objects, so it is kept to protect the data; run teardown with --delete-data to delete every object, every version and the bucket"
	}
	return o, st, nil
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

// The paths S3Bucket diffs; Update repairs each with one call.
const (
	pathName           engine.Path = "name"
	pathRegion         engine.Path = "region"
	pathPAB            engine.Path = "public_access_block"
	pathEncryption     engine.Path = "encryption"
	pathSSE                        = pathEncryption + ".sse_algorithm"
	pathOwnership      engine.Path = "object_ownership"
	pathTags           engine.Path = "tags"
	pathVersioning     engine.Path = "versioning"
	pathLifecycle      engine.Path = "lifecycle"
	pathBlockACLs                  = pathPAB + ".block_public_acls"
	pathIgnoreACLs                 = pathPAB + ".ignore_public_acls"
	pathBlockPolicy                = pathPAB + ".block_public_policy"
	pathRestrictBucket             = pathPAB + ".restrict_public_buckets"
)

// Diff implements engine.Kind.
func (b *S3Bucket) Diff(o *engine.Observation, st bucketState) ([]engine.FieldDiff, error) {
	desired := b.desiredTags()
	if !o.Exists {
		d := []engine.FieldDiff{
			engine.Added(pathName, b.cfg.Name), engine.Added(pathRegion, b.cfg.Region),
			engine.Added(pathBlockACLs, "true"), engine.Added(pathIgnoreACLs, "true"),
			engine.Added(pathBlockPolicy, "true"), engine.Added(pathRestrictBucket, "true"),
			engine.Added(pathSSE, sseS3), engine.Added(pathOwnership, b.cfg.ObjectOwnership),
		}
		for _, k := range slices.Sorted(maps.Keys(desired)) {
			d = append(d, engine.Added(pathTags.Key(k), desired[k]))
		}
		if b.cfg.Versioning != nil {
			d = append(d, engine.Added(pathVersioning, versioningWord(b.wantVersioning())))
		}
		for _, r := range b.cfg.Rules {
			d = append(d, engine.Added(pathLifecycle.Key(r.ID), r.String()))
		}
		return d, nil
	}
	if st.region != b.cfg.Region {
		return nil, fmt.Errorf("bucket %q is in %s but the stack's region is %s; a bucket cannot change region: set region: %s in the spec or use another bucket name", b.cfg.Name, st.region, b.cfg.Region, st.region)
	}
	var d []engine.FieldDiff
	if !st.unsupported[settingPAB] {
		d = engine.DiffField(d, pathBlockACLs, boolStr(st.pab.BlockPublicAcls), "true")
		d = engine.DiffField(d, pathIgnoreACLs, boolStr(st.pab.IgnorePublicAcls), "true")
		d = engine.DiffField(d, pathBlockPolicy, boolStr(st.pab.BlockPublicPolicy), "true")
		d = engine.DiffField(d, pathRestrictBucket, boolStr(st.pab.RestrictPublicBuckets), "true")
	}
	if !st.unsupported[settingEncryption] {
		d = engine.DiffField(d, pathSSE, st.sse, sseS3)
	}
	if !st.unsupported[settingOwnership] {
		// A bucket without ownership controls behaves as ObjectWriter.
		cur := st.ownership
		if cur == "" {
			cur = "ObjectWriter"
		}
		d = engine.DiffField(d, pathOwnership, cur, b.cfg.ObjectOwnership)
	}
	for _, k := range slices.Sorted(maps.Keys(desired)) {
		d = engine.DiffField(d, pathTags.Key(k), st.tags[k], desired[k])
	}
	if b.cfg.Versioning != nil && !st.unsupported[settingVersioning] {
		d = engine.DiffField(d, pathVersioning, versioningWord(st.versioning), versioningWord(b.wantVersioning()))
	}
	if st.unsupported[settingLifecycle] {
		return d, nil
	}
	want := b.wantRules()
	ids := map[string]string{}
	maps.Copy(ids, st.rules)
	for k := range want {
		ids[k] = ""
	}
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		d = engine.DiffField(d, pathLifecycle.Key(id), st.rules[id], want[id])
	}
	return d, nil
}

func (b *S3Bucket) wantVersioning() string {
	if b.cfg.Versioning != nil && *b.cfg.Versioning {
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
	for _, r := range b.cfg.Rules {
		out[r.ID] = r.String()
	}
	return out
}

// ObservedRule reads the managed parts of an S3 rule; a disabled rule
// reads as empty, so it shows as drift.
func ObservedRule(r s3types.LifecycleRule) LifecycleRule {
	out := LifecycleRule{ID: aws.ToString(r.ID)}
	if r.Status != s3types.ExpirationStatusEnabled {
		return LifecycleRule{ID: out.ID, Prefix: "(disabled)"}
	}
	if r.Filter != nil && r.Filter.Prefix != nil {
		out.Prefix = aws.ToString(r.Filter.Prefix)
	} else {
		//lint:ignore SA1019 rules written by older tools still use the top-level Prefix; it must be read to be compared
		out.Prefix = aws.ToString(r.Prefix)
	}
	if r.Expiration != nil {
		out.ExpireDays = aws.ToInt32(r.Expiration.Days)
	}
	if r.NoncurrentVersionExpiration != nil {
		out.NoncurrentDays = aws.ToInt32(r.NoncurrentVersionExpiration.NoncurrentDays)
	}
	if r.AbortIncompleteMultipartUpload != nil {
		out.AbortDays = aws.ToInt32(r.AbortIncompleteMultipartUpload.DaysAfterInitiation)
	}
	return out
}

// putOwnership sets object ownership; BucketOwnerEnforced disables ACLs,
// so every object belongs to the bucket owner whoever uploads it: the fix
// for cross-account uploads that nobody in the bucket's account can read.
func (b *S3Bucket) putOwnership(ctx context.Context) error {
	_, err := b.api.PutBucketOwnershipControls(ctx, &s3.PutBucketOwnershipControlsInput{Bucket: aws.String(b.cfg.Name),
		OwnershipControls: &s3types.OwnershipControls{Rules: []s3types.OwnershipControlsRule{{ObjectOwnership: s3types.ObjectOwnership(b.cfg.ObjectOwnership)}}}}, retryConflicts)
	if err != nil {
		return fmt.Errorf("setting object ownership of bucket %q: %w", b.cfg.Name, err)
	}
	return nil
}

func (b *S3Bucket) putVersioning(ctx context.Context) error {
	_, err := b.api.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(b.cfg.Name),
		VersioningConfiguration: &s3types.VersioningConfiguration{Status: s3types.BucketVersioningStatus(b.wantVersioning())}}, retryConflicts)
	if err != nil {
		return fmt.Errorf("setting versioning of bucket %q: %w", b.cfg.Name, err)
	}
	return nil
}

// putLifecycle replaces the bucket's lifecycle with exactly awsboot's
// rules; rules added by hand to a bucket awsboot owns are drift.
func (b *S3Bucket) putLifecycle(ctx context.Context) error {
	if len(b.cfg.Rules) == 0 {
		if _, err := b.api.DeleteBucketLifecycle(ctx, &s3.DeleteBucketLifecycleInput{Bucket: aws.String(b.cfg.Name)}, retryConflicts); err != nil {
			return fmt.Errorf("removing lifecycle of bucket %q: %w", b.cfg.Name, err)
		}
		return nil
	}
	var rules []s3types.LifecycleRule
	for _, r := range b.cfg.Rules {
		lr := s3types.LifecycleRule{ID: aws.String(r.ID), Status: s3types.ExpirationStatusEnabled, Filter: &s3types.LifecycleRuleFilter{Prefix: aws.String(r.Prefix)}}
		if r.ExpireDays > 0 {
			lr.Expiration = &s3types.LifecycleExpiration{Days: aws.Int32(r.ExpireDays)}
		}
		if r.NoncurrentDays > 0 {
			lr.NoncurrentVersionExpiration = &s3types.NoncurrentVersionExpiration{NoncurrentDays: aws.Int32(r.NoncurrentDays)}
		}
		if r.AbortDays > 0 {
			lr.AbortIncompleteMultipartUpload = &s3types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(r.AbortDays)}
		}
		rules = append(rules, lr)
	}
	_, err := b.api.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{Bucket: aws.String(b.cfg.Name),
		LifecycleConfiguration: &s3types.BucketLifecycleConfiguration{Rules: rules}}, retryConflicts)
	if err != nil {
		return fmt.Errorf("setting lifecycle of bucket %q: %w", b.cfg.Name, err)
	}
	return nil
}

// done clears the bucket's intent once it is tagged, or gone.
func (b *S3Bucket) done() error {
	if b.cfg.Intents == nil {
		return nil
	}
	return b.cfg.Intents.Done(string(b.Addr()))
}

// Create implements engine.Kind. The ownership tag goes on with the
// bucket, so a run killed half-way leaves a bucket the next run
// recognises as its own: on AWS in the create call itself (and again with
// the other settings); on an S3-compatible service, which may not know
// that field, with the other settings, the intent journal standing for
// the tag until it is on.
func (b *S3Bucket) Create(ctx context.Context, _ *engine.Observation, _ bucketState) error {
	in := &s3.CreateBucketInput{Bucket: aws.String(b.cfg.Name)}
	cfg := &s3types.CreateBucketConfiguration{}
	if b.cfg.Region != "us-east-1" {
		cfg.LocationConstraint = s3types.BucketLocationConstraint(b.cfg.Region)
	}
	if !b.cfg.Custom {
		// AWS applies tags given at creation atomically; S3-compatible
		// services may not know the field, so they get PutBucketTagging
		// alone.
		for _, k := range slices.Sorted(maps.Keys(b.desiredTags())) {
			cfg.Tags = append(cfg.Tags, s3types.Tag{Key: aws.String(k), Value: aws.String(b.desiredTags()[k])})
		}
	}
	if cfg.LocationConstraint != "" || len(cfg.Tags) > 0 {
		in.CreateBucketConfiguration = cfg
	}
	journaled := b.cfg.Custom && b.cfg.Intents != nil
	if journaled {
		if err := b.cfg.Intents.Begin(string(b.Addr())); err != nil {
			return err
		}
	}
	if _, err := b.api.CreateBucket(ctx, in); err != nil {
		var owned *s3types.BucketAlreadyOwnedByYou
		if !errors.As(err, &owned) {
			return fmt.Errorf("creating bucket %q: %w", b.cfg.Name, err)
		}
	}
	// Everything below depends on CreateBucket alone and not on one
	// another (the ownership tag is on already where the create call
	// carries it; elsewhere the journal covers the gap), so it is sent at
	// once: one round trip after the create instead of up to six. No
	// setting is read back: each put's answer says whether it took.
	puts := []func(context.Context) error{
		func(ctx context.Context) error {
			if err := b.putTags(ctx, nil); err != nil {
				return err
			}
			if journaled {
				return b.cfg.Intents.Done(string(b.Addr()))
			}
			return nil
		},
		b.orSkip(b.putPublicAccessBlock), b.orSkip(b.putEncryption), b.orSkip(b.putOwnership),
	}
	if b.cfg.Versioning != nil && *b.cfg.Versioning {
		puts = append(puts, b.orSkip(b.putVersioning))
	}
	if len(b.cfg.Rules) > 0 {
		puts = append(puts, b.orSkip(b.putLifecycle))
	}
	return putAll(ctx, puts)
}

// orSkip wraps the put of an optional setting: on an S3-compatible
// service, a setting it does not implement is skipped here and named by
// every later plan; on AWS it is an error.
func (b *S3Bucket) orSkip(put func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := put(ctx); err != nil && !b.skippable(err) {
			return err
		}
		return nil
	}
}

// putAll makes the puts at the same time and returns all their errors:
// a put that failed does not stop the others, so one run sets every
// setting it can and the error names each that is missing.
func putAll(ctx context.Context, puts []func(context.Context) error) error {
	fns := make([]func() error, len(puts))
	for i, put := range puts {
		fns[i] = func() error { return put(ctx) }
	}
	return allOf(fns...)
}

// Update implements engine.Kind: it repairs only the settings that
// drifted, all at once (each repair is one call that depends on no
// other).
func (b *S3Bucket) Update(ctx context.Context, _ *engine.Observation, st bucketState, diffs []engine.FieldDiff) error {
	repairs := []struct {
		path engine.Path
		put  func(context.Context) error
	}{
		{pathTags, func(ctx context.Context) error {
			if err := b.putTags(ctx, st.tags); err != nil {
				return err
			}
			return b.done()
		}},
		{pathPAB, b.putPublicAccessBlock},
		{pathEncryption, b.putEncryption},
		{pathOwnership, b.putOwnership},
		{pathVersioning, b.putVersioning},
		{pathLifecycle, b.putLifecycle},
	}
	var puts []func(context.Context) error
	for _, r := range repairs {
		if engine.Changed(diffs, r.path) {
			puts = append(puts, r.put)
		}
	}
	return putAll(ctx, puts)
}

// bucketTagsAPI reads a bucket's tags.
type bucketTagsAPI interface {
	GetBucketTagging(ctx context.Context, in *s3.GetBucketTaggingInput, opts ...func(*s3.Options)) (*s3.GetBucketTaggingOutput, error)
}

// bucketTags reads a bucket's tags (none for a bucket without tags, or
// gone). The bucket, its policy and its replication each need them to
// decide ownership; within one plan they share a single read.
func bucketTags(ctx context.Context, api bucketTagsAPI, bucket string) (map[string]string, error) {
	return engine.Cached(ctx, "bucket-tags/"+bucket, func() (map[string]string, error) {
		tags := map[string]string{}
		out, err := api.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
		switch code := awsapi.ErrorCode(err); {
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
	all := maps.Clone(existing)
	if all == nil {
		all = map[string]string{}
	}
	maps.Copy(all, b.desiredTags())
	var set []s3types.Tag
	for _, k := range slices.Sorted(maps.Keys(all)) {
		set = append(set, s3types.Tag{Key: aws.String(k), Value: aws.String(all[k])})
	}
	_, err := b.api.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{Bucket: aws.String(b.cfg.Name), Tagging: &s3types.Tagging{TagSet: set}}, retryConflicts)
	if err != nil {
		return fmt.Errorf("tagging bucket %q: %w", b.cfg.Name, err)
	}
	return nil
}

func (b *S3Bucket) putPublicAccessBlock(ctx context.Context) error {
	_, err := b.api.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String(b.cfg.Name),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls:       aws.Bool(true),
			IgnorePublicAcls:      aws.Bool(true),
			BlockPublicPolicy:     aws.Bool(true),
			RestrictPublicBuckets: aws.Bool(true),
		},
	}, retryConflicts)
	if err != nil {
		return fmt.Errorf("blocking public access to bucket %q: %w", b.cfg.Name, err)
	}
	return nil
}

func (b *S3Bucket) putEncryption(ctx context.Context) error {
	_, err := b.api.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: aws.String(b.cfg.Name),
		ServerSideEncryptionConfiguration: &s3types.ServerSideEncryptionConfiguration{
			Rules: []s3types.ServerSideEncryptionRule{{
				ApplyServerSideEncryptionByDefault: &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryptionAes256},
			}},
		},
	}, retryConflicts)
	if err != nil {
		return fmt.Errorf("setting default encryption of bucket %q: %w", b.cfg.Name, err)
	}
	return nil
}

// Delete implements engine.Kind. The plan only deletes a bucket that is
// empty or whose data the user agreed to delete (--delete-data); then
// every object version and delete marker goes first (emptyAndDelete).
func (b *S3Bucket) Delete(ctx context.Context, _ *engine.Observation, _ bucketState) error {
	if b.cfg.DeleteData {
		return b.emptyAndDelete(ctx)
	}
	err := b.deleteBucket(ctx)
	if awsapi.ErrorCode(err) == "BucketNotEmpty" {
		return fmt.Errorf("deleting bucket %q: objects were written to it since the plan was made; it is kept (run teardown again, with --delete-data to delete them)", b.cfg.Name)
	}
	return err
}

// deleteBucket deletes the (empty) bucket; a bucket already gone counts
// as deleted. A BucketNotEmpty answer is returned as it is.
func (b *S3Bucket) deleteBucket(ctx context.Context) error {
	_, err := b.api.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(b.cfg.Name)})
	switch {
	case err == nil, awsapi.ErrorCode(err) == "NoSuchBucket":
		return b.done()
	case awsapi.ErrorCode(err) == "BucketNotEmpty":
		return err
	}
	return fmt.Errorf("deleting bucket %q: %w", b.cfg.Name, err)
}

// How --delete-data empties a bucket.
const (
	// deleteBatch is the most keys one DeleteObjects call takes, and the
	// page size asked of ListObjectVersions.
	deleteBatch = 1000
	// deleteParallelism bounds the DeleteObjects calls in flight: each
	// takes a round trip of its own, while S3 accepts thousands of deletes
	// a second per prefix.
	deleteParallelism = 4
	// maxEmptyPasses bounds the passes over a bucket that objects keep
	// arriving in: a pass lists from the first key, so it also finds what
	// was written behind the previous pass's listing.
	maxEmptyPasses = 5
	// progressEvery is the longest the user waits for a line.
	progressEvery = 5 * time.Second
)

// emptyAndDelete deletes every object version and delete marker, then
// the bucket. ListObjectVersions lists plain objects too (with version
// "null"), so one path serves versioned, suspended and unversioned
// buckets. A pass lists every page and deletes as it lists; the passes go
// on until one finds nothing and DeleteBucket succeeds. Objects written
// while the bucket is emptied make more passes (or a BucketNotEmpty
// answer, which is the same); after maxEmptyPasses it gives up with an
// error saying so, rather than chase writers forever. Progress goes to
// engine.Report, the count of what it deleted included.
func (b *S3Bucket) emptyAndDelete(ctx context.Context) error {
	p := newEmptyProgress(ctx, b.cfg.Name)
	defer p.stop()
	engine.Report(ctx, "emptying bucket %q (--delete-data): listing every object version and delete marker", b.cfg.Name)
	for pass := 1; ; pass++ {
		n, err := b.emptyPass(ctx, p)
		if err != nil {
			return err
		}
		if n == 0 {
			err := b.deleteBucket(ctx)
			if err == nil {
				p.finish()
				return nil
			}
			if awsapi.ErrorCode(err) != "BucketNotEmpty" {
				return err
			}
		}
		if pass == maxEmptyPasses {
			return fmt.Errorf("emptying bucket %q: objects are still being written to it: %d passes deleted %s object versions and delete markers and each found more; it is kept: stop what writes to it and run teardown again", b.cfg.Name, pass, thousands(p.total()))
		}
	}
}

// emptyPass lists every page of object versions and delete markers and
// deletes them in batches, at most deleteParallelism at a time, while it
// goes on listing. It returns how many it deleted. After a failure no new
// batch starts, the batches already sent finish, and every error is
// returned together.
func (b *S3Bucket) emptyPass(ctx context.Context, p *emptyProgress) (int64, error) {
	var (
		deleted  atomic.Int64
		mu       sync.Mutex
		errs     []error
		stopped  = make(chan struct{})
		stopOnce sync.Once
		batches  = make(chan []s3types.ObjectIdentifier)
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		mu.Lock()
		errs = append(errs, err)
		mu.Unlock()
		stopOnce.Do(func() { close(stopped) })
	}
	for range deleteParallelism {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ids := range batches {
				n, err := b.deleteObjects(ctx, ids)
				if n > 0 {
					deleted.Add(n)
					p.batchDone(n)
				}
				if err != nil {
					fail(err)
				}
			}
		}()
	}
	send := func(ids []s3types.ObjectIdentifier) bool {
		for len(ids) > 0 {
			n := min(len(ids), deleteBatch)
			select {
			case <-stopped: // select picks at random when both are ready
				return false
			default:
			}
			select {
			case batches <- ids[:n]:
			case <-stopped:
				return false
			}
			ids = ids[n:]
		}
		return true
	}
	if err := b.listVersions(ctx, send); err != nil {
		fail(err)
	}
	close(batches)
	wg.Wait()
	return deleted.Load(), errors.Join(errs...)
}

// listVersions pages through ListObjectVersions and hands each page to
// send, until the last page or until send returns false. A page is handed
// over only once the next one is listed: the next call starts from the
// page's last entry, and some S3-compatible services (moto among them)
// find where to resume by looking that entry up, so deleting it first
// would end the listing there, after 1,000 entries.
func (b *S3Bucket) listVersions(ctx context.Context, send func([]s3types.ObjectIdentifier) bool) error {
	in := &s3.ListObjectVersionsInput{Bucket: aws.String(b.cfg.Name), MaxKeys: aws.Int32(deleteBatch)}
	var held []s3types.ObjectIdentifier
	for {
		out, err := b.api.ListObjectVersions(ctx, in)
		if err != nil {
			return fmt.Errorf("listing objects of bucket %q: %w", b.cfg.Name, err)
		}
		page := make([]s3types.ObjectIdentifier, 0, len(out.Versions)+len(out.DeleteMarkers))
		for _, v := range out.Versions {
			page = append(page, s3types.ObjectIdentifier{Key: v.Key, VersionId: v.VersionId})
		}
		for _, m := range out.DeleteMarkers {
			page = append(page, s3types.ObjectIdentifier{Key: m.Key, VersionId: m.VersionId})
		}
		if !send(held) {
			return nil
		}
		held = page
		if !aws.ToBool(out.IsTruncated) {
			break
		}
		if aws.ToString(out.NextKeyMarker) == aws.ToString(in.KeyMarker) && aws.ToString(out.NextVersionIdMarker) == aws.ToString(in.VersionIdMarker) {
			return fmt.Errorf("listing objects of bucket %q: the service answered a truncated page without moving on from key %q", b.cfg.Name, aws.ToString(in.KeyMarker))
		}
		in.KeyMarker, in.VersionIdMarker = out.NextKeyMarker, out.NextVersionIdMarker
	}
	send(held)
	return nil
}

// deleteObjects deletes one batch and returns how many went. Quiet mode
// makes the answer list only the failures; each is a version that stays,
// so the bucket cannot go: they are reported and returned as an error.
func (b *S3Bucket) deleteObjects(ctx context.Context, ids []s3types.ObjectIdentifier) (int64, error) {
	res, err := b.api.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(b.cfg.Name), Delete: &s3types.Delete{Objects: ids, Quiet: aws.Bool(true)}})
	if err != nil {
		return 0, fmt.Errorf("deleting objects of bucket %q: %w", b.cfg.Name, err)
	}
	if len(res.Errors) == 0 {
		return int64(len(ids)), nil
	}
	const shown = 3
	var first []string
	for _, e := range res.Errors[:min(len(res.Errors), shown)] {
		first = append(first, fmt.Sprintf("%s (version %s): %s: %s", aws.ToString(e.Key), aws.ToString(e.VersionId), aws.ToString(e.Code), aws.ToString(e.Message)))
	}
	msg := strings.Join(first, "; ")
	if more := len(res.Errors) - shown; more > 0 {
		msg += fmt.Sprintf("; and %d more", more)
	}
	engine.Report(ctx, "emptying bucket %q: %d object versions could not be deleted: %s", b.cfg.Name, len(res.Errors), msg)
	return int64(len(ids) - len(res.Errors)), fmt.Errorf("deleting objects of bucket %q: %d of %d could not be deleted: %s", b.cfg.Name, len(res.Errors), len(ids), msg)
}

// emptyProgress reports how far emptying a bucket has got: a line after
// each batch-count milestone (see milestone), and a line whenever
// progressEvery has passed without one, so a slow listing or a slow batch
// still shows the run is alive.
type emptyProgress struct {
	ctx     context.Context
	bucket  string
	mu      sync.Mutex
	deleted int64
	batches int
	timer   *time.Timer
	stopped bool
}

func newEmptyProgress(ctx context.Context, bucket string) *emptyProgress {
	p := &emptyProgress{ctx: ctx, bucket: bucket}
	p.timer = time.AfterFunc(progressEvery, p.tick)
	return p
}

// milestone reports whether the n-th batch earns a line: each of the
// first ten, then every tenth up to 100, every hundredth up to 1,000, and
// so on. A small bucket shows each 1,000 deleted; one of millions shows a
// line every few seconds, from the timer, not thousands of lines.
func milestone(n int) bool {
	step := 1
	for step*10 <= n {
		step *= 10
	}
	return n%step == 0
}

// batchDone counts a finished batch of n deletions.
func (p *emptyProgress) batchDone(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deleted += n
	p.batches++
	if milestone(p.batches) {
		p.reportLocked()
	}
}

func (p *emptyProgress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.reportLocked()
	}
}

// reportLocked sends the running count and starts the wait for the next
// line again; p.mu is held, so lines come in order.
func (p *emptyProgress) reportLocked() {
	engine.Report(p.ctx, "emptying bucket %q: %s object versions deleted so far", p.bucket, thousands(p.deleted))
	p.timer.Reset(progressEvery)
}

func (p *emptyProgress) total() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.deleted
}

// finish reports the total: the line the user is left with.
func (p *emptyProgress) finish() {
	p.stop()
	engine.Report(p.ctx, "emptied bucket %q: deleted %s object versions and delete markers, then the bucket", p.bucket, thousands(p.total()))
}

func (p *emptyProgress) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	p.timer.Stop()
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	if n < 0 {
		return "-" + thousands(-n)
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// DestroyDescription implements engine.KindDestroyDescriber.
func (b *S3Bucket) DestroyDescription(_ *engine.Observation, st bucketState) string {
	if st.hasData {
		return "deletes every object and object version first (--delete-data), then the bucket"
	}
	return "the bucket is empty"
}

// firstError returns the first non-nil error, in order.
func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ARN is the bucket's ARN.
func (b *S3Bucket) ARN() string {
	return policies.Scope{Partition: b.cfg.Partition, Bucket: b.cfg.Name}.BucketARN()
}

// Summary implements engine.KindSummarizer: the settings `awsboot show`
// prints, in the words plans use (versioning on or off). A setting the
// service does not implement says so.
func (b *S3Bucket) Summary(_ *engine.Observation, st bucketState) []engine.KV {
	kv := []engine.KV{{Key: "arn", Value: b.ARN()}, {Key: "region", Value: st.region}}
	setting := func(key, name, value string) {
		if st.unsupported[name] {
			value = "not implemented by this service"
		}
		kv = append(kv, engine.KV{Key: key, Value: value})
	}
	sse, ownership := st.sse, st.ownership
	if sse == "" {
		sse = "none"
	}
	if ownership == "" {
		ownership = "none (ACLs enabled)"
	}
	setting(settingPAB, settingPAB, publicAccessBlockWord(st.pab))
	setting(settingEncryption, settingEncryption, sse)
	setting(settingOwnership, settingOwnership, ownership)
	setting(settingVersioning, settingVersioning, versioningWord(st.versioning))
	setting("lifecycle_rules", settingLifecycle, strconv.Itoa(len(st.rules)))
	for _, k := range slices.Sorted(maps.Keys(st.tags)) {
		kv = append(kv, engine.KV{Key: "tags." + k, Value: st.tags[k]})
	}
	return kv
}

// publicAccessBlockWord says whether all four public access block
// settings are on ("on"), none ("off"), or which ones are.
func publicAccessBlockWord(pab s3types.PublicAccessBlockConfiguration) string {
	var on []string
	for _, s := range []struct {
		name string
		v    *bool
	}{
		{"block_public_acls", pab.BlockPublicAcls}, {"ignore_public_acls", pab.IgnorePublicAcls},
		{"block_public_policy", pab.BlockPublicPolicy}, {"restrict_public_buckets", pab.RestrictPublicBuckets},
	} {
		if aws.ToBool(s.v) {
			on = append(on, s.name)
		}
	}
	switch len(on) {
	case 4:
		return "on"
	case 0:
		return "off"
	}
	return "partly on: " + strings.Join(on, ", ")
}
