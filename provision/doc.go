// Package provision is awsboot's engine: it loads a spec, builds the graph
// of resources the spec needs, reads what exists (never writing), diffs it
// into a Plan, and executes a plan in dependency order (or in reverse for
// teardown).
//
// The shape follows ../docs/architecture.md: Read is side-effect free and
// Diff is pure, so `awsboot plan` can never change anything; every resource
// kind lives in its own file (s3_bucket.go, iam_policy.go, ...).
package provision
