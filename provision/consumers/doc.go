// Package consumers holds one file per tool awsboot writes files for (the
// AWS profile, the Semaphore agent, Bacalhau, the OIDC pipeline snippets)
// and the Registry that spec validation and graph building loop over.
//
// Every consumer resource reaches the user's files through a
// localfile.System, closed (read-only) while a stack plans. The agent
// config and the orchestrator config share one resource, ManagedBlock,
// that differs only in its blockFormat. The package imports no AWS SDK
// package; the credentials profile satisfies awskinds.KeyStore.
package consumers
