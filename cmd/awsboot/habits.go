package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// The habits of Terraform and aws CLI users, applied by withHabits to the
// app newApp builds and to every command in it, so that a command added
// later gets them too: `awsboot help <command>`, "Did you mean" for a
// mistyped command or flag, shell completion (completion.go), an
// AWSBOOT_* variable for every flag (envflags.go), --no-color (color.go).

// withHabits completes the app newApp declares.
func withHabits(app *cli.App) *cli.App {
	// Our own help command: urfave/cli's says "No help topic for 'x'"
	// and exits 3 with no "Error:" and no suggestion. Declaring a
	// command named help also keeps urfave/cli from adding --help to the
	// app's flags, so add it here.
	app.Commands = append(app.Commands, helpCommand(), completionCommand())
	app.Flags = append(app.Flags, noColorFlag(), cli.HelpFlag)
	app.Action = rootAction
	app.OnUsageError = usageError
	app.EnableBashCompletion = true
	app.BashComplete = completeWords
	setupCommands(app.Commands)
	addEnvVars(app)
	return app
}

// setupCommands gives each command (and subcommand) the same usage-error
// handling as the app.
func setupCommands(cmds []*cli.Command) {
	for _, c := range cmds {
		if len(c.Subcommands) == 0 {
			// Otherwise urfave/cli lists a "help" subcommand in the
			// help of every command.
			c.HideHelpCommand = true
		}
		if c.OnUsageError == nil {
			c.OnUsageError = usageError
		}
		if !slices.ContainsFunc(c.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), flagNoColor) }) {
			c.Flags = append(c.Flags, noColorFlag())
		}
		for _, f := range c.Flags {
			// fish completes file names for these (urfave/cli's
			// ToFishCompletion reads TakesFile).
			if sf, ok := f.(*cli.StringFlag); ok && fileFlags[sf.Name] {
				sf.TakesFile = true
			}
		}
		if c.BashComplete == nil {
			// urfave/cli's default reads os.Args and offers a leaf
			// command's flags only after a dash.
			c.BashComplete = completeWords
		}
		if c.ArgsUsage == "" && c.Action != nil {
			c.Action = noArguments(c.Name, c.Action)
		}
		setupCommands(c.Subcommands)
	}
}

// noArguments refuses arguments to a command that takes none. urfave/cli
// stops reading flags at the first argument, so `teardown now --dry-run`
// would otherwise drop --dry-run without a word and tear down.
func noArguments(name string, action cli.ActionFunc) cli.ActionFunc {
	return func(c *cli.Context) error {
		if c.Args().Present() {
			return cli.Exit(fmt.Sprintf("Error: awsboot %s takes no arguments, but was given %q; flags after it were not read. "+
				"Give the spec with -f, and every flag before any other word", name, c.Args().First()), exitError)
		}
		return action(c)
	}
}

// fileFlags are the flags whose value is a file name, in every command.
var fileFlags = map[string]bool{flagFile: true, flagWebIdentityTokenFile: true}

// helpCommand is `awsboot help [command]`: the app's help, or one
// command's.
func helpCommand() *cli.Command {
	return &cli.Command{
		Name:         "help",
		Aliases:      []string{"h"},
		Usage:        "list the commands, or show one command's flags",
		ArgsUsage:    "[command]",
		BashComplete: completeCommandNames,
		Action: func(c *cli.Context) error {
			if !c.Args().Present() {
				return cli.ShowAppHelp(c)
			}
			name := c.Args().First()
			if c.App.Command(name) == nil {
				return unknownCommand(c.App, name)
			}
			// ShowCommandHelp looks the name up among the subcommands of
			// the context's command: give it the app's context.
			lineage := c.Lineage()
			return cli.ShowCommandHelp(lineage[1], name)
		},
	}
}

// rootAction runs when no command matched: with no argument it shows the
// app's help (exit 0, as before), otherwise the first argument is an
// unknown command.
func rootAction(c *cli.Context) error {
	if !c.Args().Present() {
		return cli.ShowAppHelp(c)
	}
	return unknownCommand(c.App, c.Args().First())
}

// unknownCommand is the error for a command awsboot does not have, with
// the nearest command's name when one is near.
func unknownCommand(app *cli.App, name string) error {
	msg := fmt.Sprintf("Error: unknown command %q.", name)
	if s := suggest(name, commandNames(app.Commands)); s != "" {
		msg += fmt.Sprintf(" Did you mean %q?", s)
	} else {
		msg += fmt.Sprintf(" Run '%s help' for the list of commands.", app.Name)
	}
	return cli.Exit(msg, exitUnknownCommand)
}

// commandNames lists the names and aliases of the visible commands.
func commandNames(cmds []*cli.Command) []string {
	var names []string
	for _, c := range cmds {
		if !c.Hidden {
			names = append(names, c.Names()...)
		}
	}
	return names
}

// usageError replaces urfave/cli's "Incorrect Usage" (written to stdout,
// followed by the whole help) with one line on stderr: what is wrong, the
// flag that was probably meant, and where to read more. The exit code
// stays 1, as for any error.
func usageError(c *cli.Context, err error, _ bool) error {
	msg := err.Error()
	if given, ok := strings.CutPrefix(msg, "flag provided but not defined: "); ok {
		msg = unknownFlag(c, strings.TrimLeft(given, "-"))
	}
	where := c.App.Name
	if c.Command != nil && c.Command.HelpName != "" {
		where = c.Command.HelpName
	}
	return cli.Exit(fmt.Sprintf("Error: %s\nRun '%s --help' for the flags it takes.", msg, where), exitError)
}

// unknownFlag describes a flag the command does not define: the nearest
// flag it does define or, before the command name, the commands that
// define it.
func unknownFlag(c *cli.Context, name string) string {
	msg := fmt.Sprintf("unknown flag %s", dashed(name))
	var flags []cli.Flag
	if c.Command != nil {
		flags = c.Command.Flags
	}
	if s := suggest(name, flagNames(flags)); s != "" {
		return msg + fmt.Sprintf(". Did you mean %q?", dashed(s))
	}
	if c.Command == nil || c.Command.Name != c.App.Name {
		return msg
	}
	// Before the command name only the global flags are known.
	var owners []string
	for _, cmd := range c.App.Commands {
		for _, n := range flagNames(cmd.Flags) {
			if n == name {
				owners = append(owners, cmd.Name)
			}
		}
	}
	switch len(owners) {
	case 0:
		return msg
	case 1:
		return fmt.Sprintf("%s before the command name: %s takes it after its name (%s %s %s)", msg, owners[0], c.App.Name, owners[0], dashed(name))
	}
	last := len(owners) - 1
	return fmt.Sprintf("%s before the command name: %s and %s take it after their name (%s %s %s)",
		msg, strings.Join(owners[:last], ", "), owners[last], c.App.Name, owners[0], dashed(name))
}

// flagNames lists the names and aliases of the visible flags.
func flagNames(flags []cli.Flag) []string {
	var names []string
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		names = append(names, f.Names()...)
	}
	return names
}

// dashed writes a flag name as it is typed: -f, --file.
func dashed(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// suggest returns the candidate the user probably meant by given, or ""
// when none is near: the closest by edit distance (a transposition counts
// as one edit, as in "plna"), at most 2 edits and fewer than half the
// candidate's letters, or a candidate that given is a prefix of (3 letters
// at least). urfave/cli's own Suggest always names the closest candidate,
// however far, and writes to stdout amid the help text.
func suggest(given string, candidates []string) string {
	given = strings.ToLower(given)
	best, bestDist := "", 0
	for _, c := range candidates {
		d := editDistance(given, strings.ToLower(c))
		near := d <= 2 && 2*d < len(c)
		if !near && len(given) >= 3 && strings.HasPrefix(strings.ToLower(c), given) {
			near, d = true, 3
		}
		if near && (best == "" || d < bestDist) {
			best, bestDist = c, d
		}
	}
	return best
}

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of neighbours,
// each one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// d[i][j] is the distance between ra[:i] and rb[:j].
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
