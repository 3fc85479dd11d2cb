package spec

import (
	"fmt"
	"unicode"

	"github.com/awsboot/awsboot/policies"
)

// The size limits of the documents awsboot sends, as IAM and S3 document
// them. IAM counts characters without whitespace, S3 bytes as sent.
const (
	managedPolicyChars = 6144
	userInlineChars    = 2048 // all of a user's inline policies together
	roleInlineChars    = 10240
	trustPolicyChars   = 2048 // the default; an account may ask for 4,096
	bucketPolicyBytes  = 20 * 1024
)

// Documents are measured as built for the longest partition name and an
// account ID (always 12 digits), so a spec that passes fits in every
// partition; the numbers in messages may be a few characters above what
// a given account gets.
const (
	sizePartition = "aws-us-gov"
	sizeAccount   = "000000000000"
)

// policyChars is a document's size as IAM counts it: the characters of
// its JSON, whitespace left out.
func policyChars(d policies.Document) int {
	n := 0
	for _, r := range d.JSON() {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// grantSize checks that access entry i's grant fits the policy it
// becomes: a managed policy, or with policy_style inline the user's or
// role's inline policies. Only the prefix (and the bucket's name, at
// most 63 characters) makes a grant longer, so the message says by how
// much to shorten it.
func (v *Validator) grantSize(s *Spec, i int) {
	a := s.Access[i]
	g, ok := policies.Lookup(a.Grant)
	if !ok || BucketNameProblem(s.Bucket.longestName()) != "" {
		return
	}
	build := func(prefix string) int {
		return policyChars(g.Build(policies.Scope{Partition: sizePartition, Bucket: s.Bucket.longestName(), Prefix: prefix}))
	}
	n := build(a.Prefix)
	limit, where, hint := managedPolicyChars, "a managed policy", ""
	switch {
	case s.PolicyStyle == "inline" && a.Role != "":
		limit, where = roleInlineChars, "a role's inline policies"
	case s.PolicyStyle == "inline":
		limit, where, hint = userInlineChars, "a user's inline policies", ", or use policy_style: managed (6,144 characters)"
	}
	if n <= limit {
		return
	}
	path := []any{"access", i, "grant"}
	if a.Prefix != "" {
		path[2] = "prefix"
		if per := build("aa") - build("a"); per > 0 {
			hint = fmt.Sprintf(": shorten the prefix by at least %d characters%s", (n-limit+per-1)/per, hint)
		}
	}
	v.Errorf(path, "the %s grant's policy would be %s characters (without whitespace), over IAM's limit of %s for %s%s",
		a.Grant, thousands(n), thousands(limit), where, hint)
}

// trustSize checks that a role's trust policy fits IAM's default limit.
// Its size grows with the subjects.
func (v *Validator) trustSize(a Access, p func(...any) []any) {
	o := a.OIDC
	host := IssuerHost(o.Issuer)
	doc := policies.Trust(policies.WebIdentity{
		ProviderARN: "arn:" + sizePartition + ":iam::" + sizeAccount + ":oidc-provider/" + host, Host: host, Audience: o.Audience,
		Subjects: o.Subjects, SubjectPatterns: o.SubjectPatterns, AnySubject: o.AllowAnySubject,
	})
	n := policyChars(doc)
	if n <= trustPolicyChars {
		return
	}
	path := p("oidc")
	for _, f := range []string{"subjects", "subject_patterns"} {
		if _, ok := v.Node(p("oidc", f)...); ok {
			path = p("oidc", f)
			break
		}
	}
	v.Errorf(path, "the role's trust policy would be %s characters (without whitespace), over IAM's default limit of %s: list fewer subjects, or cover several with one subject_patterns entry (AWS can raise an account's limit to 4,096)",
		thousands(n), thousands(trustPolicyChars))
}

// bucketPolicySize checks that the bucket policy made from the writers
// and the CDN fits S3's limit (the document as awsboot sends it).
func (v *Validator) bucketPolicySize(b Bucket) {
	if BucketNameProblem(b.longestName()) != "" {
		return
	}
	doc := b.BucketPolicy(policies.Scope{Partition: sizePartition, Bucket: b.longestName()})
	if len(doc.Statement) == 0 {
		return
	}
	if n := len(doc.JSON()); n > bucketPolicyBytes {
		v.Errorf([]any{"bucket", "writers"}, "the bucket policy would be %s bytes, over S3's limit of 20 KB (%s bytes): list fewer writers (one per account, under a shared prefix) or shorter prefixes",
			thousands(n), thousands(bucketPolicyBytes))
	}
}
