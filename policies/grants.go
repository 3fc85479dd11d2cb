package policies

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Scope is what a grant applies to: one bucket and, optionally, one key
// prefix inside it ("" means the whole bucket), in an ARN partition
// ("aws", "aws-cn", "aws-us-gov"; "" means "aws").
type Scope struct {
	Partition string
	Bucket    string
	Prefix    string
}

// BucketARN is the ARN of the bucket itself (bucket-level actions):
// arn:<partition>:s3:::<bucket>, as S3's ARN format has it.
func (s Scope) BucketARN() string {
	p := s.Partition
	if p == "" {
		p = "aws"
	}
	return "arn:" + p + ":s3:::" + s.Bucket
}

// In is the scope of another bucket in the same partition.
func (s Scope) In(bucket string) Scope { return Scope{Partition: s.Partition, Bucket: bucket} }

// ObjectARN is the ARN matching the objects the scope covers.
func (s Scope) ObjectARN() string {
	if s.Prefix == "" {
		return s.BucketARN() + "/*"
	}
	return s.BucketARN() + "/" + strings.TrimSuffix(s.Prefix, "/") + "/*"
}

// Grant builds the policy document for one named grant.
type Grant struct {
	// Name is the value of `grant:` in the spec.
	Name string
	// Summary says in plain words what the grant allows.
	Summary string
	// Build returns the document for a scope.
	Build func(Scope) Document
	// RequiresPrefix grants only make sense under a key prefix.
	RequiresPrefix bool
}

var grants = map[string]Grant{
	"cache": {
		Name:    "cache",
		Summary: "read, write, list and delete objects (a CI cache)",
		Build:   Cache,
	},
	"publisher": {
		Name:           "publisher",
		Summary:        "write and read objects under one key prefix (Bacalhau's S3 managed publisher)",
		Build:          Publisher,
		RequiresPrefix: true,
	},
}

// Publisher is the grant Bacalhau's S3 managed publisher documents for the
// orchestrator: s3:PutObject and s3:GetObject on bucket/prefix/* and
// nothing on the bucket itself (it never lists or creates it).
func Publisher(s Scope) Document {
	return Document{
		Version: Version,
		Statement: []Statement{{
			Sid:      "PublishResults",
			Effect:   "Allow",
			Action:   StringList{"s3:PutObject", "s3:GetObject"},
			Resource: StringList{s.ObjectARN()},
		}},
	}
}

// Lookup returns the grant called name.
func Lookup(name string) (Grant, bool) {
	g, ok := grants[name]
	return g, ok
}

// Names lists the known grant names, sorted.
func Names() []string {
	return slices.Sorted(maps.Keys(grants))
}

// Cache is the grant of the Semaphore S3 cache guide: s3:PutObject,
// s3:GetObject and s3:DeleteObject on the objects, and s3:ListBucket on the
// bucket. The guide puts all four actions on both ARNs; awsboot splits them
// so each action names only the resource type it applies to, which grants
// exactly the same access and passes Lint. With a prefix, listing is limited
// to keys under that prefix by an s3:prefix condition.
func Cache(s Scope) Document {
	list := Statement{
		Sid:      "ListCacheBucket",
		Effect:   "Allow",
		Action:   StringList{"s3:ListBucket"},
		Resource: StringList{s.BucketARN()},
	}
	if s.Prefix != "" {
		p := strings.TrimSuffix(s.Prefix, "/")
		list.Condition = Condition{"StringLike": {"s3:prefix": {p, p + "/*"}}}
	}
	return Document{
		Version: Version,
		Statement: []Statement{
			{
				Sid:      "ReadWriteCacheObjects",
				Effect:   "Allow",
				Action:   StringList{"s3:PutObject", "s3:GetObject", "s3:DeleteObject"},
				Resource: StringList{s.ObjectARN()},
			},
			list,
		},
	}
}

// bucketActions are the S3 actions in awsboot's grants that apply to the
// bucket ARN; every other s3 action applies to object ARNs.
var bucketActions = map[string]bool{
	"s3:listbucket":                  true,
	"s3:listbucketversions":          true,
	"s3:getbucketlocation":           true,
	"s3:listbucketmultipartuploads":  true,
	"s3:getreplicationconfiguration": true,
	"s3:getbucketversioning":         true,
	"s3:putbucketversioning":         true,
}

// Lint reports every way a document breaks awsboot's least-privilege rules:
// a wildcard action or resource, a public principal, NotAction, a Deny-less
// document with no statements, or an s3 action on the wrong resource type.
func Lint(d Document) []error {
	var errs []error
	if d.Version != Version {
		errs = append(errs, fmt.Errorf("version %q: want %q", d.Version, Version))
	}
	if len(d.Statement) == 0 {
		errs = append(errs, fmt.Errorf("no statements"))
	}
	for i, s := range d.Statement {
		name := s.Sid
		if name == "" {
			name = fmt.Sprintf("#%d", i)
		}
		if s.Principal != nil && s.Principal.Any {
			errs = append(errs, fmt.Errorf("statement %s: public principal \"*\"", name))
		}
		if s.Principal != nil {
			for _, v := range s.Principal.Values["AWS"] {
				if v == "*" {
					errs = append(errs, fmt.Errorf("statement %s: public principal {\"AWS\": \"*\"}", name))
				}
			}
		}
		if len(s.NotAction) > 0 {
			errs = append(errs, fmt.Errorf("statement %s: NotAction grants everything else", name))
		}
		if len(s.Action) == 0 {
			errs = append(errs, fmt.Errorf("statement %s: no actions", name))
		}
		for _, a := range s.Action {
			if strings.Contains(a, "*") {
				errs = append(errs, fmt.Errorf("statement %s: wildcard action %q", name, a))
			}
		}
		for _, r := range s.Resource {
			if r == "*" || strings.HasSuffix(r, ":::*") {
				errs = append(errs, fmt.Errorf("statement %s: wildcard resource %q", name, r))
			}
		}
		if s.Effect != "Allow" {
			continue
		}
		for _, a := range s.Action {
			la := strings.ToLower(a)
			if !strings.HasPrefix(la, "s3:") {
				continue
			}
			for _, r := range s.Resource {
				_, path, isS3 := strings.Cut(r, ":s3:::")
				if !isS3 || strings.Contains(a, "*") {
					continue // reported above, or not an S3 resource
				}
				isObject := strings.Contains(path, "/")
				if bucketActions[la] && isObject {
					errs = append(errs, fmt.Errorf("statement %s: bucket action %s on object resource %s", name, a, r))
				}
				if !bucketActions[la] && !isObject {
					errs = append(errs, fmt.Errorf("statement %s: object action %s on bucket resource %s", name, a, r))
				}
			}
		}
	}
	return errs
}
