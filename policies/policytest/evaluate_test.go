package policytest

import (
	"testing"

	"github.com/awsboot/awsboot/policies"
)

func TestAllows(t *testing.T) {
	doc := policies.Document{Version: policies.Version, Statement: []policies.Statement{
		policies.Writer(1, policies.Scope{Bucket: "b"}, "arn:aws:iam::111122223333:root", "assets/", true),
		policies.CloudFrontOAC(policies.Scope{Bucket: "b"}, "arn:aws:cloudfront::444455556666:distribution/E1"),
	}}
	acl := map[string]string{"s3:x-amz-acl": "bucket-owner-full-control"}
	for name, tc := range map[string]struct {
		r    Request
		want bool
	}{
		"writer role of the account, with the ACL": {Request{"arn:aws:iam::111122223333:role/ci", "s3:PutObject", "arn:aws:s3:::b/assets/app.js", acl}, true},
		"without the ACL":                          {Request{"arn:aws:iam::111122223333:role/ci", "s3:PutObject", "arn:aws:s3:::b/assets/app.js", nil}, false},
		"outside the prefix":                       {Request{"arn:aws:iam::111122223333:role/ci", "s3:PutObject", "arn:aws:s3:::b/other/x", acl}, false},
		"another account":                          {Request{"arn:aws:iam::999999999999:role/ci", "s3:PutObject", "arn:aws:s3:::b/assets/app.js", acl}, false},
		"writer cannot read":                       {Request{"arn:aws:iam::111122223333:role/ci", "s3:GetObject", "arn:aws:s3:::b/assets/app.js", nil}, false},
		"the distribution reads":                   {Request{"cloudfront.amazonaws.com", "s3:GetObject", "arn:aws:s3:::b/assets/app.js", map[string]string{"AWS:SourceArn": "arn:aws:cloudfront::444455556666:distribution/E1"}}, true},
		"another distribution":                     {Request{"cloudfront.amazonaws.com", "s3:GetObject", "arn:aws:s3:::b/x", map[string]string{"AWS:SourceArn": "arn:aws:cloudfront::444455556666:distribution/E2"}}, false},
	} {
		if got := Allows(doc, tc.r); got != tc.want {
			t.Errorf("%s: Allows = %v, want %v", name, got, tc.want)
		}
	}
}
