package awskinds

import (
	"slices"
	"strings"

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
