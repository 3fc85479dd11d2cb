package provision

import (
	"fmt"
	"sort"
	"strings"

	"github.com/awsboot/awsboot/policies"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/spec"
)

// Output is one value of `awsboot output`: what another tool needs to
// use the stack.
type Output struct {
	// Name is stable and snake_case: per access entry it is the entry's
	// name, with '-' as '_', then the value's ("cache_agent_user_arn").
	Name  string
	Value string
	// NeedsAWS is true when the value holds the account ID, or a setting
	// the spec leaves to the AWS configuration (no region or endpoint in
	// the spec): it is right only with an Account from Connect. The
	// others come from the spec and the AWS files' paths alone.
	NeedsAWS bool
}

// Outputs are a stack's values other tools need, sorted by name: the
// stack, account, region and endpoint (empty for AWS itself), the bucket
// and its ARN, the replication role, and per access entry its user or
// role with its ARN (and the OIDC provider's), the profile and the files
// it lives in, and every file written for a tool. They are derived from
// the spec and acct; no object is read, so a value names what bootstrap
// creates whether or not it exists yet. No secret is among them, nor the
// access key's id: the key is the credentials file's business, and
// `awsboot show` lists keys.
//
// Two values whose names meet (an access entry named "replication" with
// a role, beside the replication role) are an error naming both.
func Outputs(s *spec.Spec, acct awsapi.Account, files consumers.AWSFiles) ([]Output, error) {
	var out []Output
	from := map[string]string{}
	var clash []string
	add := func(source, name, value string, needsAWS bool) {
		if prev, ok := from[name]; ok {
			clash = append(clash, fmt.Sprintf("%q is both %s and %s", name, prev, source))
			return
		}
		from[name] = source
		out = append(out, Output{Name: name, Value: value, NeedsAWS: needsAWS})
	}
	noRegion := s.Region == ""
	suffixed := s.Bucket.NameSuffix != ""
	s = s.ForAccount(acct.ID)
	add("the stack", "stack", s.Stack, false)
	add("the account", "account_id", acct.ID, true)
	add("the region", "region", acct.Region, noRegion)
	add("the endpoint", "endpoint", acct.Endpoint, s.Endpoint == "")
	add("the bucket", "bucket", s.Bucket.Name, suffixed)
	// The partition follows the region.
	add("the bucket", "bucket_arn", policies.Scope{Partition: acct.Partition, Bucket: s.Bucket.Name}.BucketARN(), noRegion || suffixed)
	if r := s.Bucket.Replication; r != nil {
		add("the replication role", "replication_role", r.Role, false)
		add("the replication role", "replication_role_arn", acct.IAMARN("role/"+r.Role), true)
		if r.DestinationPolicyFile != "" {
			add("the replication destination's policy file", "replication_destination_policy_file", s.Path(r.DestinationPolicyFile), false)
		}
	}
	for _, a := range s.Access {
		entry := fmt.Sprintf("access entry %q", a.Name)
		prefix := strings.ReplaceAll(a.Name, "-", "_") + "_"
		if a.Role != "" {
			add(entry, prefix+"role", a.Role, false)
			add(entry, prefix+"role_arn", acct.IAMARN("role/"+a.Role), true)
			add(entry, prefix+"oidc_provider_arn", acct.IAMARN("oidc-provider/"+spec.IssuerHost(strings.TrimSuffix(a.OIDC.Issuer, "/"))), true)
		} else {
			add(entry, prefix+"user", a.User, false)
			add(entry, prefix+"user_arn", acct.IAMARN("user/"+a.User), true)
		}
		if p := a.Write[consumers.KeyAWSProfile]; p != "" {
			add(entry, prefix+consumers.KeyAWSProfile, p, false)
			add(entry, prefix+"aws_config_file", files.Config, false)
			if a.Role == "" {
				add(entry, prefix+"aws_credentials_file", files.Credentials, false)
			}
		}
		if p := a.Write[consumers.KeyWebIdentityTokenFile]; p != "" {
			add(entry, prefix+consumers.KeyWebIdentityTokenFile, s.Path(p), false)
		}
		for _, c := range consumers.Registry {
			if v := a.Write[c.Key]; c.IsFile && v != "" {
				add(entry, prefix+c.Key+"_file", s.Path(v), false)
			}
		}
	}
	if len(clash) > 0 {
		return nil, fmt.Errorf("output names clash: %s; rename the access entry", strings.Join(clash, "; "))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
