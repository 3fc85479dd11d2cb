package provision

import "fmt"

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
func BuildGraph(c *Clients, s *Spec, o BuildOptions) (*Graph, error) {
	bucket := NewS3Bucket(c, s, o.DeleteData)
	resources := []Resource{bucket}
	for _, a := range s.Access {
		policy, err := NewIAMPolicy(c, s, a)
		if err != nil {
			return nil, fmt.Errorf("access %q: %w", a.Name, err)
		}
		user := NewIAMUser(c, s, a, policy.ARN())
		attach := NewIAMUserPolicyAttachment(c, user, policy)
		key := NewIAMAccessKey(c, s, a, o.Files, o.Adopt, user.Addr(), attach.Addr())
		profile := NewAWSProfile(c, s, a, o.Files, key.Addr())
		resources = append(resources, policy, user, attach, key, profile)
		if a.Write.SemaphoreAgent != "" {
			resources = append(resources, NewSemaphoreAgentConfig(s, a, bucket.Addr(), key.Addr()))
		}
	}
	return NewGraph(resources...)
}
