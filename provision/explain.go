package provision

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/spec"
)

// Explain writes, in plain words, who can do what on the stack's bucket.
// What each principal may do is generated from the policy documents
// awsboot writes (the grants and the bucket policy), so a reviewer reads
// what AWS will enforce; who may assume a role and where replication goes
// come from the spec's oidc and replication fields, which the trust policy
// and replication rule are built from. It needs no AWS call.
func Explain(w io.Writer, st *Stack) error {
	s := st.Spec
	b := s.Bucket
	fmt.Fprintf(w, "Who can do what on S3 bucket %s (stack %s)\n\n", b.Name, s.Stack)
	if s.Endpoint != "" {
		fmt.Fprintln(w, "- Public access block: requested, but this S3-compatible service may not implement it (the plan names every setting it skips).")
	} else {
		fmt.Fprintln(w, "- Nobody outside the list below: public access is blocked (all four settings), so no policy or ACL can make an object public.")
	}
	switch b.ObjectOwnership {
	case "bucket-owner-enforced":
		fmt.Fprintln(w, "- Every object belongs to this bucket's account, whoever uploads it: ACLs are disabled (object ownership: bucket owner enforced).")
	case "bucket-owner-preferred":
		fmt.Fprintln(w, "- An object belongs to this bucket's account only if its upload grants bucket-owner-full-control (object ownership: bucket owner preferred).")
	default:
		fmt.Fprintln(w, "- An object belongs to the account that uploaded it (object ownership: object writer); this account may be unable to read objects uploaded from elsewhere.")
	}
	fmt.Fprintln(w)

	var lines []string
	for _, stmt := range st.BucketPolicy.Statement {
		who := principalWords(stmt)
		lines = append(lines, fmt.Sprintf("%s%s can %s.", strings.ToUpper(who[:1]), who[1:], statementWords(stmt)))
	}
	for _, a := range s.Access {
		doc := st.Grants[a.Name]
		var parts []string
		for _, stmt := range doc.Statement {
			parts = append(parts, statementWords(stmt))
		}
		if a.Role != "" {
			lines = append(lines, fmt.Sprintf("IAM role %s of this account can %s (grant %s). It can be assumed only by %s.",
				a.Role, strings.Join(parts, "; and "), a.Grant, trustWords(a.OIDC)))
			continue
		}
		lines = append(lines, fmt.Sprintf("IAM user %s of this account (its access key is in profile %q) can %s (grant %s).",
			a.User, a.Write[consumers.KeyAWSProfile], strings.Join(parts, "; and "), a.Grant))
	}
	if r := b.Replication; r != nil {
		line := fmt.Sprintf("S3 replication, as role %s, copies every new object to bucket %s", r.Role, r.DestinationBucket())
		if r.DestinationAccount != "" {
			line += " in account " + r.DestinationAccount
		}
		if r.OwnerOverride {
			line += ", whose owner then owns the copies"
		}
		lines = append(lines, line+"; objects already in the bucket are not copied.")
	}
	if len(lines) == 0 {
		fmt.Fprintln(w, "Nobody is granted access to the objects by this stack.")
	}
	for _, l := range lines {
		fmt.Fprintf(w, "- %s\n", l)
	}
	fmt.Fprintln(w, "\nAnything not listed is denied to everyone but this account's administrators.")
	return nil
}

var actionWords = map[string]string{
	"s3:putobject":    "upload",
	"s3:getobject":    "read",
	"s3:deleteobject": "delete",
	"s3:listbucket":   "list",
}

// statementWords says what a statement allows: "upload objects under
// assets/" or "read every object".
func statementWords(st policies.Statement) string {
	var verbs []string
	for _, a := range st.Action {
		if w, ok := actionWords[strings.ToLower(a)]; ok {
			verbs = append(verbs, w)
		} else {
			verbs = append(verbs, a)
		}
	}
	sort.SliceStable(verbs, func(i, j int) bool { return verbOrder(verbs[i]) < verbOrder(verbs[j]) })
	var where []string
	for _, r := range st.Resource {
		_, path, _ := strings.Cut(r, ":::")
		bucket, key, isObject := strings.Cut(path, "/")
		switch {
		case isObject && key == "*":
			where = append(where, "every object")
		case isObject:
			where = append(where, "objects under "+strings.TrimSuffix(key, "*"))
		default:
			where = append(where, "the keys of bucket "+bucket)
		}
	}
	if v := st.Condition["StringLike"]["s3:prefix"]; len(v) > 0 {
		where = []string{"the keys under " + strings.TrimSuffix(v[0], "/") + "/"}
	} else if len(where) == 1 && strings.HasPrefix(where[0], "the keys of bucket") {
		where = []string{"every key"}
	}
	out := andList(verbs) + " " + strings.Join(where, " and ")
	if v := st.Condition["StringEquals"]["s3:x-amz-acl"]; len(v) > 0 {
		out += ", and only with the " + v[0] + " ACL"
	}
	if v := st.Condition["StringEquals"]["AWS:SourceArn"]; len(v) > 0 {
		out += ", through Origin Access Control"
	}
	return out
}

// andList joins words as "a, b and c".
func andList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}

func verbOrder(v string) int {
	for i, w := range []string{"list", "read", "upload", "delete"} {
		if v == w {
			return i
		}
	}
	return 10
}

// principalWords names a bucket policy statement's principal.
func principalWords(st policies.Statement) string {
	if st.Principal == nil {
		return "nobody"
	}
	if v := st.Principal.Values["Service"]; len(v) > 0 && v[0] == "cloudfront.amazonaws.com" {
		dist := "a CloudFront distribution"
		if arns := st.Condition["StringEquals"]["AWS:SourceArn"]; len(arns) > 0 {
			parts := strings.Split(arns[0], ":")
			dist = fmt.Sprintf("CloudFront distribution %s of account %s", strings.TrimPrefix(parts[len(parts)-1], "distribution/"), parts[4])
		}
		return dist
	}
	var who []string
	for _, arn := range st.Principal.Values["AWS"] {
		parts := strings.SplitN(arn, ":", 6)
		switch {
		case len(parts) == 6 && parts[5] == "root":
			who = append(who, fmt.Sprintf("account %s (any user or role it allows)", parts[4]))
		case len(parts) == 6 && strings.HasPrefix(parts[5], "user/CloudFront Origin Access Identity"):
			who = append(who, "CloudFront origin access identity "+strings.TrimPrefix(parts[5], "user/CloudFront Origin Access Identity "))
		case len(parts) == 6:
			who = append(who, fmt.Sprintf("%s of account %s", strings.Replace(parts[5], "/", " ", 1), parts[4]))
		default:
			who = append(who, arn)
		}
	}
	return strings.Join(who, " and ")
}

func trustWords(o *spec.OIDC) string {
	if o == nil {
		return "nobody"
	}
	if o.AllowAnySubject {
		return fmt.Sprintf("any pipeline with a token from %s (allow_any_subject: %s)", o.Issuer, o.Reason)
	}
	subs := append(append([]string{}, o.Subjects...), o.SubjectPatterns...)
	return fmt.Sprintf("pipelines presenting a token from %s for audience %s whose subject is %s", o.Issuer, o.Audience, strings.Join(subs, " or "))
}
