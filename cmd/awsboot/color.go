package main

import (
	"os"

	"github.com/urfave/cli/v2"
)

// Colour, as Terraform prints plans on a terminal: the + of a create in
// green, the ~ of an update in yellow, the - of a destroy in red. Never
// when stdout is not a terminal, with --no-color (a global flag, or
// AWSBOOT_NO_COLOR), or when NO_COLOR is set to anything but ""
// (no-color.org).

// ANSI SGR sequences.
const (
	ansiReset  = "\x1b[0m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
)

// noColorFlag is --no-color, which every command accepts, before or after
// its name.
func noColorFlag() cli.Flag {
	return &cli.BoolFlag{Name: flagNoColor, Usage: "never colour the output (also when NO_COLOR is set)"}
}

// colorEnabled decides whether to colour: only on a terminal, and neither
// --no-color nor a non-empty NO_COLOR says no.
func colorEnabled(noColorFlag bool, noColorEnv string, terminal bool) bool {
	return terminal && !noColorFlag && noColorEnv == ""
}

// color says whether a command colours its stdout.
func (e env) color(noColorFlag bool) bool {
	return colorEnabled(noColorFlag, os.Getenv("NO_COLOR"), e.outIsTerminal())
}

// paintSymbol colours a plan symbol when on is true: + green, ~ yellow,
// - red; anything else is left as it is.
func paintSymbol(sym string, on bool) string {
	if !on {
		return sym
	}
	switch sym {
	case "+":
		return ansiGreen + sym + ansiReset
	case "~":
		return ansiYellow + sym + ansiReset
	case "-":
		return ansiRed + sym + ansiReset
	}
	return sym
}

// boolFlag is a global bool flag given after the command or, failing
// that, before it or through its AWSBOOT_* variable (see stringFlag).
func boolFlag(c *cli.Context, name string) bool {
	for _, ctx := range c.Lineage() {
		if ctx.IsSet(name) {
			return ctx.Bool(name)
		}
	}
	return false
}
