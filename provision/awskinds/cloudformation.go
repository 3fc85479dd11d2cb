package awskinds

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/awsboot/awsboot/provision/engine"
)

// How awsboot recognises what a CloudFormation stack made from `awsboot
// export --format cloudformation` manages, so that the stack and awsboot
// share the objects: a plan shows them converged, and teardown leaves them
// to CloudFormation (engine.Observation.ManagedBy).
//
//   - The bucket, IAM users and roles and OIDC providers carry
//     engine.CloudFormationStackTag (the template sets it to
//     ${AWS::StackName}) or engine.AWSCloudFormationStackNameTag
//     (CloudFormation adds it itself), beside engine.StackTag.
//   - A managed policy cannot carry tags in CloudFormation (the schema of
//     AWS::IAM::ManagedPolicy has no Tags property:
//     https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-managedpolicy.html),
//     so the template marks it in its Description, which IAM's GetPolicy
//     answers (not ListPolicies) and which nobody can change after the
//     create (CreatePolicy, IAM API Reference: "The policy description is
//     immutable. After a value is assigned, it cannot be changed"; in
//     CloudFormation a new Description replaces the policy):
//     CloudFormationPolicyDescription.
//   - What has no mark of its own follows its parent: the attachment and
//     the inline policy their user or role, the bucket policy and the
//     replication configuration their bucket. The access key, its
//     retirement and the local files are not in the template, so nothing
//     of this applies to them: teardown deletes them as before.

// The parts of a managed policy's description mark.
const (
	cfnMarkStack    = "awsboot:stack="
	cfnMarkCFNStack = "; awsboot:cloudformation-stack="
	cfnMarkEnd      = "; "
)

// CloudFormationPolicyDescription is the Description the CloudFormation
// template gives the managed policy of awsboot stack stack, made by the
// CloudFormation stack cfnStack (in the template, ${AWS::StackName}):
// "awsboot:stack=<stack>; awsboot:cloudformation-stack=<cfnStack>; "
// followed by the policy's own description. IAM allows 1,000 characters
// of description (CreatePolicy, IAM API Reference); the caller keeps
// within it.
func CloudFormationPolicyDescription(stack, cfnStack, description string) string {
	return cfnMarkStack + stack + cfnMarkCFNStack + cfnStack + cfnMarkEnd + description
}

// awsbootStackRe is the spec's rule for a stack name (provision/spec,
// validate.go: 1 to 63 letters, digits, '.', '_' or '-', starting with a
// letter or digit), repeated here because awskinds does not import spec.
var awsbootStackRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// cfnStackRe is CloudFormation's rule for a stack name: "can contain only
// alphanumeric characters (case-sensitive) and hyphens. It must start
// with an alphabetic character and can't be longer than 128 characters"
// (CreateStack, StackName, AWS CloudFormation API Reference). The stacks
// a StackSet makes in each account ("StackSet-<name>-<id>") follow it.
var cfnStackRe = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9-]{0,127}$`)

// ParseCloudFormationPolicyDescription reads the mark
// CloudFormationPolicyDescription writes: ok is true only for a
// description that starts with it, with a valid awsboot stack name and a
// valid CloudFormation stack name, so a description that merely mentions
// the words is no mark. What follows the mark is the policy's own
// description and is not returned. A template that gives the policy no
// description of its own may leave the mark's final "; " out, or IAM may
// trim its space: both are read.
func ParseCloudFormationPolicyDescription(d string) (stack, cfnStack string, ok bool) {
	rest, found := strings.CutPrefix(d, cfnMarkStack)
	if !found {
		return "", "", false
	}
	stack, rest, found = strings.Cut(rest, cfnMarkCFNStack)
	if !found || !awsbootStackRe.MatchString(stack) {
		return "", "", false
	}
	cfnStack, _, found = strings.Cut(rest, cfnMarkEnd)
	if !found {
		cfnStack = strings.TrimSuffix(rest, ";")
	}
	if !cfnStackRe.MatchString(cfnStack) {
		return "", "", false
	}
	return stack, cfnStack, true
}

// cloudFormationStack is the CloudFormation stack that tags say manages
// their object: awsboot's own tag first, then CloudFormation's; "" when
// neither is there.
func cloudFormationStack(tags map[string]string) string {
	if s := tags[engine.CloudFormationStackTag]; s != "" {
		return s
	}
	return tags[engine.AWSCloudFormationStackNameTag]
}

// managedByCloudFormation is engine.Observation.ManagedBy for an object
// the CloudFormation stack cfnStack manages; "" when cfnStack is "".
func managedByCloudFormation(cfnStack string) string {
	if cfnStack == "" {
		return ""
	}
	return fmt.Sprintf("CloudFormation stack %q", cfnStack)
}

// managedByTags is engine.Observation.ManagedBy for an object, or the
// parent of an object, with tags.
func managedByTags(tags map[string]string) string {
	return managedByCloudFormation(cloudFormationStack(tags))
}
