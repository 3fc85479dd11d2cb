package spec

import (
	"path/filepath"
	"strings"
	"time"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/localfile"
)

// Spec is the declarative description of one awsboot stack. Every field is
// documented in docs/spec.md.
type Spec struct {
	Version int    `yaml:"version"`
	Stack   string `yaml:"stack"`
	Region  string `yaml:"region"`
	// Endpoint is the S3 API of an S3-compatible service (MinIO, Versity);
	// IAMEndpoint its IAM and STS API when served apart. Empty: AWS.
	Endpoint    string `yaml:"endpoint"`
	IAMEndpoint string `yaml:"iam_endpoint"`
	// PathStyle addresses buckets in the path (default: on with endpoint).
	PathStyle *bool `yaml:"path_style"`
	// PolicyStyle is how grants reach users and roles: managed policies,
	// inline policies, or auto (managed where the service has them).
	PolicyStyle string   `yaml:"policy_style"`
	Bucket      Bucket   `yaml:"bucket"`
	Access      []Access `yaml:"access"`

	// File is the path the spec was loaded from; relative paths in the
	// spec are relative to its directory.
	File string `yaml:"-"`
}

// Bucket is the S3 bucket of the stack.
type Bucket struct {
	Name string `yaml:"name"`
	// NameSuffix "account_id" (NameSuffixAccountID) names the bucket
	// "<name>-<account ID>" in the account awsboot runs against: S3
	// bucket names are global, so a spec meant for many accounts (the
	// template of awsboot export) needs one name per account. "" (the
	// default) uses Name as it is. Spec.ForAccount applies it.
	NameSuffix string `yaml:"name_suffix"`
	// base is Name as the spec gives it, once ForAccount has added the
	// suffix ("" before).
	base string
	// BlockPublicAccess turns on all four public access block settings.
	// It defaults to true and awsboot refuses false: nothing it manages is
	// ever public.
	BlockPublicAccess *bool `yaml:"block_public_access"`
	// Encryption is the default encryption: sse-s3 (the default).
	Encryption string            `yaml:"encryption"`
	Tags       map[string]string `yaml:"tags"`
	// Versioning turns object versioning on (true) or off (false); unset
	// leaves it as it is.
	Versioning *bool `yaml:"versioning"`
	// AbortIncompleteMultipartDays cleans up abandoned multipart uploads
	// (default 1; 0 turns the rule off).
	AbortIncompleteMultipartDays *int `yaml:"abort_incomplete_multipart_days"`
	// Lifecycle are expiry rules, one per key prefix.
	Lifecycle []LifecycleRule `yaml:"lifecycle"`
	// ObjectOwnership is bucket-owner-enforced (the default: ACLs off, the
	// bucket owner owns every object), bucket-owner-preferred or
	// object-writer.
	ObjectOwnership string `yaml:"object_ownership"`
	// Writers are principals of other accounts that may upload.
	Writers []Writer `yaml:"writers"`
	// CDN lets one CloudFront distribution read the objects.
	CDN *CDN `yaml:"cdn"`
	// Replication copies new objects into another bucket.
	Replication *Replication `yaml:"replication"`
}

// NameSuffixAccountID is bucket.name_suffix's one value: the account's
// 12-digit ID, after a hyphen.
const NameSuffixAccountID = "account_id"

// accountSuffixLen is the length of "-<12-digit account ID>".
const accountSuffixLen = 13

// BaseName is the bucket's name as the spec gives it, without the
// account suffix ForAccount adds.
func (b Bucket) BaseName() string {
	if b.base != "" {
		return b.base
	}
	return b.Name
}

// longestName is the longest name the bucket can have in any account:
// what the size limits are checked with.
func (b Bucket) longestName() string {
	if b.NameSuffix == NameSuffixAccountID {
		return b.BaseName() + "-000000000000"
	}
	return b.Name
}

// ForAccount is the spec as it applies in the account accountID (12
// digits): with bucket.name_suffix account_id, a copy whose Bucket.Name
// is "<name>-<accountID>" (BaseName keeps the spec's name); otherwise, or
// when the suffix is already there, s itself. Names the defaults derive
// from the bucket's (the replication role's) keep the spec's name, so
// they are the same in every account.
func (s *Spec) ForAccount(accountID string) *Spec {
	if s.Bucket.NameSuffix != NameSuffixAccountID || s.Bucket.base != "" {
		return s
	}
	c := *s
	c.Bucket.base = s.Bucket.Name
	c.Bucket.Name = s.Bucket.Name + "-" + accountID
	return &c
}

// Writer is a principal (an account root or a role ARN) that may put
// objects under Prefix.
type Writer struct {
	Principal string `yaml:"principal"`
	Prefix    string `yaml:"prefix"`
}

// CDN is the CloudFront distribution that reads the bucket, through Origin
// Access Control (service principal + AWS:SourceArn) or, only when asked,
// a legacy Origin Access Identity.
type CDN struct {
	CloudFrontDistributionARN string `yaml:"cloudfront_distribution_arn"`
	LegacyOAIID               string `yaml:"legacy_oai_id"`
}

// Replication replicates new objects into a bucket, possibly of another
// account, optionally handing their ownership to that bucket's owner.
type Replication struct {
	Destination        string `yaml:"destination"`
	DestinationAccount string `yaml:"destination_account"`
	OwnerOverride      bool   `yaml:"owner_override"`
	// Role is the replication role's name (default <bucket>-replication).
	Role string `yaml:"role"`
	// DestinationPolicyFile receives the statement the destination
	// bucket's owner must add to their bucket policy.
	DestinationPolicyFile string `yaml:"destination_policy_file"`
}

// LifecycleRule expires objects under a prefix. Prefix is required: a rule
// for the whole bucket must say prefix: "" explicitly.
type LifecycleRule struct {
	ID                   string  `yaml:"id"`
	Prefix               *string `yaml:"prefix"`
	ExpireDays           int     `yaml:"expire_days"`
	NoncurrentExpireDays int     `yaml:"noncurrent_expire_days"`
}

// Access is one consumer of the bucket: a grant and the identity that holds
// it, plus the local files to write for it.
type Access struct {
	Name  string `yaml:"name"`
	Grant string `yaml:"grant"`
	// Prefix limits the grant to keys under it ("results/"); required by
	// grants that need one (publisher).
	Prefix string `yaml:"prefix"`
	// User is an IAM user with one access key; Role an IAM role assumed
	// through OIDC federation. Exactly one of them is set.
	User   string `yaml:"user"`
	Role   string `yaml:"role"`
	Policy string `yaml:"policy"`
	// OIDC says who may assume Role; required with role.
	OIDC *OIDC `yaml:"oidc"`
	// MaxSession is the role's maximum session duration (1h to 12h).
	MaxSession string `yaml:"max_session"`
	// PresignExpiry is Bacalhau's PreSignedURLExpiration (default 1h).
	PresignExpiry string `yaml:"presign_expiry"`
	// MaxKeyAge is how old the user's access key may get, in days
	// ("90d"), before plan reports it and bootstrap rotates it; "" never.
	MaxKeyAge string `yaml:"max_key_age"`
	Write     Write  `yaml:"write"`
}

// MaxKeyAgeDuration is MaxKeyAge as a duration, 0 when unset or invalid
// (validation reports an invalid one).
func (a Access) MaxKeyAgeDuration() time.Duration {
	days, ok := parseDays(a.MaxKeyAge)
	if !ok {
		return 0
	}
	return time.Duration(days) * 24 * time.Hour
}

// maxKeyAgeDays bounds max_key_age: ten years.
const maxKeyAgeDays = 3650

// parseDays reads "<n>d" with 1 <= n <= maxKeyAgeDays.
func parseDays(v string) (int, bool) {
	n, ok := strings.CutSuffix(v, "d")
	if !ok || n == "" || n[0] == '0' || len(n) > 4 {
		return 0, false
	}
	days := 0
	for _, c := range n {
		if c < '0' || c > '9' {
			return 0, false
		}
		days = days*10 + int(c-'0')
	}
	return days, days <= maxKeyAgeDays
}

// Write maps a consumer's key (aws_profile, semaphore_agent, ...) to the
// file or profile awsboot writes for an access entry. The keys are the
// consumer registry's (provision/consumers/registry.go), which checks
// them: a key no consumer knows is an unknown field.
type Write map[string]string

// Path resolves a path written in the spec: "~/" is the home directory,
// relative paths are relative to the spec file's directory.
func (s *Spec) Path(p string) string {
	if p == "" {
		return ""
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home := localfile.HomeDir(); home != "" {
			return filepath.Join(home, p[1:])
		}
	}
	if filepath.IsAbs(p) {
		return p
	}
	dir, err := filepath.Abs(filepath.Dir(s.File))
	if err != nil {
		dir = filepath.Dir(s.File)
	}
	return filepath.Join(dir, p)
}

// AbortRuleID names the lifecycle rule, on every bucket awsboot creates,
// that removes the parts of multipart uploads nobody completed (as the CDK
// bootstrap bucket does): they are billed and invisible in listings. A
// spec's own rule may not use the name.
const AbortRuleID = "awsboot-abort-incomplete-multipart"

// BucketPolicy is the bucket policy the spec's writers and CDN make, in
// the given bucket scope (policies.BucketPolicy): the one document both
// the size check and the S3BucketPolicy resource use.
func (b Bucket) BucketPolicy(scope policies.Scope) policies.Document {
	writers := make([]policies.WriterGrant, len(b.Writers))
	for i, w := range b.Writers {
		writers[i] = policies.WriterGrant{Principal: w.Principal, Prefix: w.Prefix}
	}
	oac, oai := "", ""
	if b.CDN != nil {
		oac, oai = b.CDN.CloudFrontDistributionARN, b.CDN.LegacyOAIID
	}
	return policies.BucketPolicy(scope, writers, b.ObjectOwnership != "bucket-owner-enforced", oac, oai)
}
