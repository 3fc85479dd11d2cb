// Package awskinds holds one file per AWS resource kind awsboot manages
// (s3_bucket.go, iam_policy.go, iam_user.go, iam_access_key.go,
// oidc_provider.go, ...). Each kind takes a typed config with only the
// values it needs, declares a narrow client interface listing only the
// calls it makes (so its Diff and error handling are table-tested with a
// tiny fake), and implements engine.Kind with its own typed state.
//
// Kinds receive their clients through Connect, after the graph is built:
// building a graph makes no network call. The package is not named aws so
// that it does not shadow the SDK's aws package; it imports no consumer
// (provision/consumers), and the access key reaches its credentials file
// only through the KeyStore interface.
package awskinds
