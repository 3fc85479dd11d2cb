package main

import (
	"github.com/urfave/cli/v2"

	"github.com/awsboot/awsboot/provision/engine"
)

// The teardown plan without a teardown: plan --destroy and teardown
// --dry-run both go through planCommand in engine.ModeDestroy, so they
// print exactly what plan prints, take no stack lock (plan never does)
// and make no mutating call.

// planDestroyFlags are plan's flags for planning a teardown.
func planDestroyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: flagDestroy, Usage: "plan the teardown instead: what teardown would delete"},
		&cli.BoolFlag{Name: flagDeleteData, Usage: "with --destroy: plan the teardown --delete-data would run, which empties the bucket"},
	}
}

// planAction is plan's action: the bootstrap plan, or the teardown plan
// with --destroy.
func planAction(e env) cli.ActionFunc {
	return func(c *cli.Context) error {
		mode := engine.ModeApply
		switch {
		case c.Bool(flagDestroy) && c.Bool(flagAdopt):
			return cli.Exit("Error: --adopt plans a bootstrap that takes objects over; teardown never deletes an object it does not own, so --adopt does not go with --destroy", exitError)
		case c.Bool(flagDestroy):
			mode = engine.ModeDestroy
		case c.Bool(flagDeleteData):
			return cli.Exit("Error: --delete-data is a teardown option: use it with --destroy", exitError)
		}
		return planCommand(c.Context, e, optionsFrom(c, mode))
	}
}

// teardownDryRunFlags are teardown's flags for printing its plan only.
func teardownDryRunFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: flagDryRun, Usage: "print the teardown plan and stop, as plan --destroy does (wins over --auto-approve)"},
		&cli.BoolFlag{Name: flagDetailedExitcode, Usage: "with --dry-run: exit 0 when there is nothing to delete, 2 when there is, 1 on error"},
	}
}

// teardownAction is teardown's action: the teardown, or with --dry-run
// its plan only.
func teardownAction(e env) cli.ActionFunc {
	return func(c *cli.Context) error {
		o := optionsFrom(c, engine.ModeDestroy)
		if c.Bool(flagDryRun) {
			return planCommand(c.Context, e, o)
		}
		if o.detailedExitcode {
			return cli.Exit("Error: --detailed-exitcode needs --dry-run: it is for plans", exitError)
		}
		return applyCommand(c.Context, e, o)
	}
}
