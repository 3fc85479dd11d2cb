// Package awsapi is awsboot's seam to AWS: the SDK clients behind wide
// interfaces (S3API, IAMAPI, STSAPI) that each resource kind narrows to
// the calls it makes, the Account a stack runs in (ID, partition, region,
// endpoint, what the service supports), Connect, the call counter that
// proves a converged run mutates nothing, and typed error helpers.
package awsapi
