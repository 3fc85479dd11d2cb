// Package policies builds the IAM policy documents awsboot grants, compares
// documents as data rather than strings, and lints them for least privilege.
//
// Every grant is scoped to one bucket (and optionally one key prefix) and to
// the exact actions a CI tool needs; nothing here produces a wildcard action,
// a wildcard resource or a public principal, and Lint proves it.
package policies
