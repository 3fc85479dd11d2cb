package main

// Flag names, in one place so commands, tests and docs agree.
const (
	flagFile             = "file"
	flagProfile          = "profile"
	flagRegion           = "region"
	flagEndpointURL      = "endpoint-url"
	flagAutoApprove      = "auto-approve"
	flagAdopt            = "adopt"
	flagDeleteData       = "delete-data"
	flagJSON             = "json"
	flagDetailedExitcode = "detailed-exitcode"
	flagStats            = "stats"
	flagParallelism      = "parallelism"
	flagLockTimeout      = "lock-timeout"
	// graph's --format and --plan; plan's --destroy and teardown's
	// --dry-run, which print the teardown plan.
	flagFormat  = "format"
	flagPlan    = "plan"
	flagDestroy = "destroy"
	flagDryRun  = "dry-run"
	// flagWebIdentityTokenFile gives verify a pipeline's OIDC token to
	// prove role access with.
	flagWebIdentityTokenFile = "web-identity-token-file"
	// flagNoColor is global: every command accepts it, before or after
	// the command name.
	flagNoColor = "no-color"
	// flagStack makes show find a stack's objects by their tags, without
	// a spec.
	flagStack = "stack"
)

// Exit codes. plan --detailed-exitcode follows Terraform: 0 no changes,
// 1 error, 2 changes present.
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2
	// exitUnknownCommand is urfave/cli's code for an unknown command,
	// kept as documented.
	exitUnknownCommand = 3
	// exitInterrupted follows the shell's 128+SIGINT.
	exitInterrupted = 130
)

// defaultParallelism is how many resources awsboot reads or changes at
// once unless --parallelism says otherwise: 10, Terraform's default. The
// SDK's adaptive retry mode (awsapi.DefaultRetryMode) slows requests down
// when IAM throttles them.
const defaultParallelism = 10
