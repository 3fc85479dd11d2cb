// Package policytest evaluates the policy documents awsboot writes, for
// tests that must prove what a bucket policy allows where the emulator
// cannot: moto enforces identity policies but never evaluates bucket
// policies, so cross-account and CloudFront access are checked here on
// the exact document moto stored. It covers the subset of the policy
// language awsboot emits (Allow and Deny statements; AWS account-root, exact
// AWS and Service principals; StringEquals and StringLike), and denies everything else.
package policytest

import (
	"path"
	"strings"

	"github.com/awsboot/awsboot/policies"
)

// Request is one call to evaluate.
type Request struct {
	// Principal is the caller's ARN (arn:aws:iam::111122223333:role/ci)
	// or a service name (cloudfront.amazonaws.com).
	Principal string
	Action    string
	Resource  string
	// Context holds condition keys: s3:x-amz-acl, AWS:SourceArn, ...
	Context map[string]string
}

// Allows reports whether some Allow statement matches the request and no
// Deny statement does.
func Allows(d policies.Document, r Request) bool {
	allowed := false
	for _, s := range d.Statement {
		if !matches(s, r) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func matches(s policies.Statement, r Request) bool {
	return principalMatches(s.Principal, r.Principal) &&
		anyGlob(s.Action, r.Action, true) &&
		(len(s.Resource) == 0 || anyGlob(s.Resource, r.Resource, false)) &&
		conditionsHold(s.Condition, r.Context)
}

func principalMatches(p *policies.Principal, who string) bool {
	if p == nil {
		return true // identity policies have no principal
	}
	if p.Any {
		return true
	}
	for kind, values := range p.Values {
		for _, v := range values {
			switch {
			case kind == "Service" && v == who:
				return true
			case kind == "AWS" && v == who:
				return true
			case kind == "AWS" && strings.HasSuffix(v, ":root") && accountOf(v) == accountOf(who):
				// An account root principal stands for any identity the
				// account allows.
				return true
			}
		}
	}
	return false
}

func accountOf(arn string) string {
	parts := strings.Split(arn, ":")
	if len(parts) < 5 {
		return ""
	}
	return parts[4]
}

func anyGlob(patterns []string, value string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, value = strings.ToLower(p), strings.ToLower(value)
		}
		if glob(p, value) {
			return true
		}
	}
	return false
}

// glob matches IAM wildcards: * (any run, / included) and ? (one char).
func glob(pattern, value string) bool {
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", "\x00"), strings.ReplaceAll(value, "/", "\x00"))
	return err == nil && ok
}

func conditionsHold(c policies.Condition, ctx map[string]string) bool {
	for op, kv := range c {
		for key, want := range kv {
			got, ok := ctx[key]
			if !ok {
				return false
			}
			hit := false
			for _, w := range want {
				switch op {
				case "StringEquals":
					hit = hit || got == w
				case "StringLike":
					hit = hit || glob(w, got)
				}
			}
			if !hit {
				return false
			}
		}
	}
	return true
}
