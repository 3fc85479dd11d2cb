package provision

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/awsboot/awsboot/templates"
)

// BuildOptions are the run's choices that shape resources.
type BuildOptions struct {
	// Files are the shared AWS files profiles are written to.
	Files AWSFiles
	// Adopt lets resources take over local profiles awsboot did not write.
	Adopt bool
	// DeleteData lets teardown empty and delete a bucket that holds data.
	DeleteData bool
}

// BuildGraph turns a validated spec into the resource graph:
//
//	s3_bucket ─────────────────────────────────────┐
//	iam_policy ─┐                                  ├─ semaphore_agent_config
//	iam_user ───┴─ iam_user_policy_attachment ─ iam_access_key ─ aws_profile
//
// The key waits for the attachment so that a key that works (the proof
// awsboot waits for) also has its permissions; the profile and the agent
// config come last so a file never points at something that does not
// exist yet.
func BuildGraph(ctx context.Context, c *Clients, s *Spec, o BuildOptions) (*Graph, error) {
	bucket := NewS3Bucket(c, s, o.DeleteData)
	resources := []Resource{bucket}
	bp, err := NewS3BucketPolicy(c, s, bucket.Addr())
	if err != nil {
		return nil, err
	}
	resources = append(resources, bp)
	if s.Bucket.Replication != nil {
		resources = append(resources, replicationResources(c, s, bucket)...)
	}
	providers := map[string]*OIDCProvider{}
	for _, a := range s.Access {
		if a.OIDC == nil {
			continue
		}
		// One provider per issuer, shared by every role that trusts it.
		issuer := strings.TrimSuffix(a.OIDC.Issuer, "/")
		if p, ok := providers[issuer]; ok {
			p.audiences = sortedUnique(append(p.audiences, a.OIDC.Audience))
			p.thumbprints = normThumbprints(append(p.thumbprints, a.OIDC.Thumbprints...))
			continue
		}
		providers[issuer] = NewOIDCProvider(c, s.Stack, issuer, []string{a.OIDC.Audience}, a.OIDC.Thumbprints)
		resources = append(resources, providers[issuer])
	}
	inline, note, err := inlinePolicies(ctx, c, s)
	if err != nil {
		return nil, err
	}
	for _, a := range s.Access {
		policy, err := NewIAMPolicy(c, s, a)
		if err != nil {
			return nil, fmt.Errorf("access %q: %w", a.Name, err)
		}
		// grant attaches the policy to the user or role: a managed policy
		// plus an attachment, or one inline policy.
		grant := func(parent Address, attach func() *IAMPolicyAttachment) ([]Resource, Address, error) {
			if inline {
				p, err := NewIAMInlinePolicy(c, s, a, parent, note)
				return []Resource{p}, p.Addr(), err
			}
			at := attach()
			return []Resource{at}, at.Addr(), nil
		}
		if !inline {
			// The managed policy is listed first, as the guides create it.
			resources = append(resources, policy)
		}
		if a.Role != "" {
			rs, err := roleResources(c, s, a, o, bucket, policy, providers[strings.TrimSuffix(a.OIDC.Issuer, "/")], grant, inline)
			if err != nil {
				return nil, err
			}
			resources = append(resources, rs...)
			continue
		}
		policyARN := policy.ARN()
		if inline {
			policyARN = ""
		}
		user := NewIAMUser(c, s, a, policyARN)
		if inline {
			user.inline = a.Policy
		}
		granted, grantAddr, err := grant(user.Addr(), func() *IAMPolicyAttachment { return NewIAMUserPolicyAttachment(c, user, policy) })
		if err != nil {
			return nil, err
		}
		key := NewIAMAccessKey(c, s, a, o.Files, o.Adopt, user.Addr(), grantAddr)
		profile := NewAWSProfile(c, s, a, o.Files, key.Addr())
		resources = append(resources, user)
		resources = append(resources, granted...)
		resources = append(resources, key, profile)
		if a.Write.SemaphoreAgent != "" {
			resources = append(resources, NewSemaphoreAgentConfig(s, a, bucket.Addr(), key.Addr()))
		}
		if a.Write.BacalhauConfig != "" {
			resources = append(resources, NewBacalhauConfig(c, s, a, bucket.Addr(), key.Addr()))
		}
		if a.Write.BacalhauFlags != "" {
			resources = append(resources, NewLocalFile(a.Name+"/bacalhau_flags", s.Path(a.Write.BacalhauFlags), s.Stack, bacalhauFlags(bacalhauSettings(c, s, a)), bucket.Addr(), key.Addr()))
		}
	}
	return NewGraph(resources...)
}

// roleResources are an OIDC access entry's: the policy, the role that
// trusts the provider, the attachment, and the files that let pipelines
// assume the role.
//
//	iam_oidc_provider ─ iam_role ─┬─ iam_role_policy_attachment ─┬─ local_file (pipeline snippets)
//	iam_policy ───────────────────┘                              └─ aws_profile (role_arn + token file)
func roleResources(c *Clients, s *Spec, a Access, o BuildOptions, bucket *S3Bucket, policy *IAMPolicy, provider *OIDCProvider,
	grant func(Address, func() *IAMPolicyAttachment) ([]Resource, Address, error), inline bool,
) ([]Resource, error) {
	policyARN := policy.ARN()
	if inline {
		policyARN = ""
	}
	role := NewIAMRole(c, s, a, provider, policyARN)
	if inline {
		role.inline = a.Policy
	}
	granted, grantAddr, err := grant(role.Addr(), func() *IAMPolicyAttachment { return NewIAMRolePolicyAttachment(c, role, policy) })
	if err != nil {
		return nil, err
	}
	out := append([]Resource{role}, granted...)
	data := templates.OIDCData{RoleARN: role.ARN(), Region: c.Region, Audience: a.OIDC.Audience, SessionSeconds: a.MaxSessionSeconds()}
	if a.Write.SemaphorePipeline != "" {
		out = append(out, NewLocalFile(a.Name+"/semaphore_pipeline", s.Path(a.Write.SemaphorePipeline), s.Stack, oidcSnippet("semaphore-oidc.yml", data), grantAddr, bucket.Addr()))
	}
	if a.Write.GitHubWorkflow != "" {
		out = append(out, NewLocalFile(a.Name+"/github_workflow", s.Path(a.Write.GitHubWorkflow), s.Stack, oidcSnippet("github-oidc-step.yml", data), grantAddr, bucket.Addr()))
	}
	if a.Write.AWSProfile != "" {
		out = append(out, NewAWSRoleProfile(c, s, a, o.Files, role.ARN(), grantAddr))
	}
	return out, nil
}

// inlinePolicies decides how grants reach users and roles. policy_style
// managed or inline is taken as written; auto means managed policies on
// AWS and, on an S3-compatible service, managed policies only when its IAM
// API has them (Versity's gateway has none): the fallback is named in the
// plan.
func inlinePolicies(ctx context.Context, c *Clients, s *Spec) (bool, string, error) {
	switch {
	case s.PolicyStyle == "inline":
		return true, "", nil
	case s.PolicyStyle == "managed" || !c.Custom():
		return false, "", nil
	}
	_, err := c.IAM.ListPolicies(ctx, &iam.ListPoliciesInput{MaxItems: aws.Int32(1), Scope: iamtypes.PolicyScopeTypeLocal})
	switch {
	case err == nil:
		return false, "", nil
	case notImplemented(err):
		return true, "policy_style auto: this service's IAM has no managed policies, so the grant is an inline policy", nil
	}
	return false, "", fmt.Errorf("checking whether the service has managed IAM policies: %w", err)
}
