package spec

import "strings"

// applyDefaults fills what the spec leaves out (docs/spec.md lists every
// default).
func (s *Spec) applyDefaults() {
	if s.Bucket.BlockPublicAccess == nil {
		t := true
		s.Bucket.BlockPublicAccess = &t
	}
	if s.Bucket.Encryption == "" {
		s.Bucket.Encryption = "sse-s3"
	}
	if s.PolicyStyle == "" {
		s.PolicyStyle = "auto"
	}
	if s.Bucket.ObjectOwnership == "" {
		s.Bucket.ObjectOwnership = "bucket-owner-enforced"
	}
	if r := s.Bucket.Replication; r != nil && r.Role == "" {
		r.Role = s.Bucket.Name + "-replication"
	}
	if s.Bucket.AbortIncompleteMultipartDays == nil {
		one := 1
		s.Bucket.AbortIncompleteMultipartDays = &one
	}
	for i := range s.Bucket.Lifecycle {
		r := &s.Bucket.Lifecycle[i]
		if r.ID == "" && r.Prefix != nil {
			r.ID = "expire-" + strings.Trim(strings.ReplaceAll(*r.Prefix, "/", "-"), "-")
			if *r.Prefix == "" {
				r.ID = "expire-all"
			}
		}
	}
	for i := range s.Access {
		a := &s.Access[i]
		if a.Policy == "" && a.User != "" {
			a.Policy = a.User + "-" + a.Grant + "-policy"
		}
		if a.Policy == "" && a.Role != "" {
			a.Policy = a.Role + "-" + a.Grant + "-policy"
		}
		if a.Role != "" && a.MaxSession == "" {
			a.MaxSession = "1h"
		}
		if a.Grant == "publisher" && a.PresignExpiry == "" {
			a.PresignExpiry = "1h"
		}
		if a.OIDC != nil {
			a.OIDC.expandPresets()
		}
	}
}
