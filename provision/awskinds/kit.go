package awskinds

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/awsboot/awsboot/provision/awsapi"
)

// Connector is implemented by every kind: the stack hands it its clients
// once connected, and the kind keeps only the narrow interface it
// declares. A graph is built, and can be explained, without connecting.
type Connector interface {
	Connect(c *awsapi.Clients)
}

// boolStr shows an optional bool as "true" or "false" (unset is false).
func boolStr(b *bool) string {
	if b != nil && *b {
		return "true"
	}
	return "false"
}

// sortedUnique returns the distinct values, sorted.
func sortedUnique(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return slices.Compact(out)
}

// NormThumbprints lower-cases, sorts and de-duplicates OIDC thumbprints,
// so lists that differ only in case or order compare equal.
func NormThumbprints(in []string) []string {
	out := make([]string, len(in))
	for i, t := range in {
		out[i] = strings.ToLower(t)
	}
	return sortedUnique(out)
}

// noRetry turns the SDK's retries off for one call. Calls that create a
// new object each time they succeed (CreateAccessKey, CreatePolicyVersion)
// must not be retried blindly: when the first attempt reached IAM and only
// its answer was lost (a 500 after the fact, a reset connection), a retry
// makes a second key or a duplicate version. Without retries the run
// stops there, and the next run reconciles what exists (an orphaned key
// is recognised by the user's pending tag; a new version by its
// document).
func noRetry(o *iam.Options) { o.Retryer = aws.NopRetryer{} }
