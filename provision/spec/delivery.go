package spec

import (
	"regexp"
	"strings"
)

var (
	writerPrincipalRe = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:(root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)$`)
	distributionARNRe = regexp.MustCompile(`^arn:aws[a-z-]*:cloudfront::\d{12}:distribution/[A-Z0-9]+$`)
	oaiIDRe           = regexp.MustCompile(`^E[A-Z0-9]{5,}$`)
	accountRe         = regexp.MustCompile(`^\d{12}$`)
	bucketARNRe       = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:s3:::`)
)

// ownershipValues maps the spec's object_ownership to S3's
// ObjectOwnership values.
var ownershipValues = map[string]string{
	"bucket-owner-enforced":  "BucketOwnerEnforced",
	"bucket-owner-preferred": "BucketOwnerPreferred",
	"object-writer":          "ObjectWriter",
}

func (v *Validator) validateDelivery(s *Spec) {
	b := s.Bucket
	before := v.p.count()
	if _, ok := ownershipValues[b.ObjectOwnership]; !ok {
		v.Errorf([]any{"bucket", "object_ownership"}, "unknown object_ownership %q (bucket-owner-enforced, bucket-owner-preferred or object-writer)", b.ObjectOwnership)
	}
	for i, w := range b.Writers {
		p := func(f ...any) []any { return append([]any{"bucket", "writers", i}, f...) }
		if !writerPrincipalRe.MatchString(w.Principal) {
			v.Errorf(p("principal"), "%q: write an account root (arn:aws:iam::111122223333:root) or a role or user ARN; never *", w.Principal)
		}
		if w.Prefix == "" {
			v.Errorf(p("prefix"), "is required: the key prefix the writer may upload under (a writer of the whole bucket is almost never wanted)")
		} else if msg := keyPrefixProblem(w.Prefix, "assets/"); msg != "" {
			v.Errorf(p("prefix"), "%q: %s", w.Prefix, msg)
		}
	}
	if c := b.CDN; c != nil {
		switch {
		case c.CloudFrontDistributionARN == "" && c.LegacyOAIID == "":
			v.Errorf([]any{"bucket", "cdn"}, "set cloudfront_distribution_arn (Origin Access Control)")
		case c.CloudFrontDistributionARN != "" && !distributionARNRe.MatchString(c.CloudFrontDistributionARN):
			v.Errorf([]any{"bucket", "cdn", "cloudfront_distribution_arn"}, "%q is not a CloudFront distribution ARN (arn:aws:cloudfront::<account>:distribution/<ID>)", c.CloudFrontDistributionARN)
		case c.LegacyOAIID != "" && !oaiIDRe.MatchString(c.LegacyOAIID):
			v.Errorf([]any{"bucket", "cdn", "legacy_oai_id"}, "%q is not an Origin Access Identity id (like E2QWRUHEXAMPLE)", c.LegacyOAIID)
		}
	}
	if r := b.Replication; r != nil {
		p := func(f ...any) []any { return append([]any{"bucket", "replication"}, f...) }
		dest := r.DestinationBucket()
		switch {
		case !bucketARNRe.MatchString(r.Destination) || BucketNameProblem(dest) != "":
			v.Errorf(p("destination"), "%q: write the destination bucket's ARN (arn:aws:s3:::bucket-name)", r.Destination)
		case dest == b.Name && b.NameSuffix == "":
			// With name_suffix the bucket is <name>-<account ID>: the
			// destination <name> (a central bucket) is another bucket,
			// and Build checks the name in the account.
			v.Errorf(p("destination"), "a bucket cannot replicate into itself")
		}
		if r.DestinationAccount != "" && !accountRe.MatchString(r.DestinationAccount) {
			v.Errorf(p("destination_account"), "%q: write the 12-digit account id, quoted", r.DestinationAccount)
		}
		if r.OwnerOverride && r.DestinationAccount == "" {
			v.Errorf(p("owner_override"), "needs destination_account: ownership goes to that account")
		}
		if b.Versioning != nil && !*b.Versioning {
			v.Errorf([]any{"bucket", "versioning"}, "replication needs versioning on; remove versioning: false")
		}
		if len(r.Role) > 64 || !iamNameRe.MatchString(r.Role) {
			v.Errorf(p("role"), "%q is not a valid IAM role name", r.Role)
		}
		if r.DestinationPolicyFile != "" {
			v.Unique("file", s.Path(r.DestinationPolicyFile), -1, p("destination_policy_file"))
		}
	}
	if v.p.count() == before {
		v.bucketPolicySize(b)
	}
}

// S3ObjectOwnership is object_ownership as S3 names it
// (BucketOwnerEnforced, BucketOwnerPreferred, ObjectWriter).
func (b Bucket) S3ObjectOwnership() string { return ownershipValues[b.ObjectOwnership] }

// DestinationPartition is the ARN partition of the destination bucket
// ("aws", "aws-cn", ...).
func (r Replication) DestinationPartition() string {
	p, _, _ := strings.Cut(strings.TrimPrefix(r.Destination, "arn:"), ":")
	return p
}

// DestinationBucket is the destination bucket's name, from its ARN
// (arn:<partition>:s3:::<name>).
func (r Replication) DestinationBucket() string {
	_, name, _ := strings.Cut(r.Destination, ":::")
	return name
}
