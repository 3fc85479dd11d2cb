package awsapi

import (
	"fmt"
	"strings"
)

// Account is where a stack runs, as far as building its resources needs
// to know: every value the graph builder uses, so that building the graph
// makes no network call. Connect fills it from STS and the SDK's
// configuration; Offline guesses it from the spec alone (validate,
// explain).
type Account struct {
	// ID is the 12-digit account ID; UnknownAccountID offline.
	ID string
	// Partition is the ARN partition: "aws", "aws-cn", "aws-us-gov".
	Partition string
	// Region is the region API calls go to.
	Region string
	// Endpoint is the S3 API of an S3-compatible service, "" for AWS. It
	// is what the written profiles and tool configs record.
	Endpoint string
	// IAMEndpoint is where IAM calls go, "" for AWS: the spec's
	// iam_endpoint when an S3-compatible service has IAM apart from S3
	// (Versity's gateway does), else Endpoint, or an endpoint set for
	// IAM alone (AWS_ENDPOINT_URL_IAM).
	IAMEndpoint string
	// PathStyle is the bucket addressing every S3 client uses.
	PathStyle bool
	// NoManagedPolicies is true when the service's IAM has no customer
	// managed policies (Versity's gateway): grants are then inline
	// policies under policy_style auto. Connect probes it only when asked
	// (ConnectOptions.ProbeManagedPolicies) and only on a custom IAM endpoint.
	NoManagedPolicies bool
}

// UnknownAccountID stands for the account ID before awsboot has connected
// (validate, explain): no ARN that holds it is ever sent to AWS.
const UnknownAccountID = "000000000000"

// Offline is the Account a spec implies without asking AWS: the partition
// follows the region's prefix (cn-: aws-cn, us-gov-: aws-us-gov, as
// AWS's partitions.json has it) and the account ID is unknown.
func Offline(region, endpoint, iamEndpoint string, pathStyle *bool) Account {
	if iamEndpoint == "" {
		iamEndpoint = endpoint
	}
	a := Account{ID: UnknownAccountID, Partition: PartitionOf(region), Region: region, Endpoint: endpoint, IAMEndpoint: iamEndpoint, PathStyle: endpoint != ""}
	if pathStyle != nil {
		a.PathStyle = *pathStyle
	}
	return a
}

// PartitionOf names the ARN partition of a region ("aws" for "").
func PartitionOf(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}

// Custom reports whether the stack talks to an S3-compatible service
// rather than AWS, for S3 or IAM, whichever way the endpoint was given:
// only then may a setting the service does not implement be skipped (and
// the plan says so).
func (a Account) Custom() bool { return a.Endpoint != "" || a.IAMEndpoint != "" }

// IAMARN is the ARN of an IAM resource of the account, such as
// "policy/ci-cache-policy" or "role/ci".
func (a Account) IAMARN(resource string) string {
	return fmt.Sprintf("arn:%s:iam::%s:%s", a.Partition, a.ID, resource)
}
