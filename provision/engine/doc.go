// Package engine is awsboot's provider-neutral core: the Resource
// contract (Read never writes, Diff is pure), the typed resource kit, the
// dependency Graph, the Plan made from what Read observed, the Executor
// that walks a plan forwards (apply) or backwards (destroy), the Hook
// through which progress leaves the engine, the per-plan read cache and
// the Secret type.
//
// It imports no AWS SDK package and formats no output: it knows
// resources only through the Resource interface (Terraform's
// internal/plans, internal/dag and the hook of internal/terraform; kops'
// upup/pkg/fi). The rule is enforced by TestEngineImportsNoSDK.
package engine
