package main

import (
	"os"
	"reflect"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// Every flag can also be set through an environment variable, named from
// the flag in one place (envVar) and attached by addEnvVars to every flag
// of the app and its commands, so a new flag gets one without asking:
// --parallelism is AWSBOOT_PARALLELISM, -f/--file AWSBOOT_FILE.
//
// Precedence, highest first: the flag on the command line (after the
// command name, then before it), its AWSBOOT_* variable, then what the
// flag's default says; for --profile, --region and --endpoint-url that is
// the spec and the AWS SDK's own resolution (AWS_PROFILE, AWS_REGION,
// AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the
// profile). AWSBOOT_* is awsboot's own setting, as the flag is, so it
// beats the AWS variables every AWS tool shares.

// envPrefix starts the name of every variable that sets a flag.
const envPrefix = "AWSBOOT_"

// envVar is the variable that sets a flag: AWSBOOT_ and the flag's name in
// upper case, with _ for -.
func envVar(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// addEnvVars gives every flag its variable. A flag the app itself defines
// (the global flags, accepted before or after the command name) reads
// its variable at the app level only: the command's copy then counts as
// set only when given on the command line, and lookups that walk the
// lineage (stringFlag, boolFlag) find a flag given anywhere on the command
// line before the variable. Its help still names the variable.
func addEnvVars(app *cli.App) {
	global := map[string]bool{}
	for _, f := range app.Flags {
		if f == cli.HelpFlag || f == cli.VersionFlag {
			continue // shared by every urfave/cli app, and not settings
		}
		setEnvVar(f)
		global[f.Names()[0]] = true
	}
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, c := range cmds {
			for _, f := range c.Flags {
				if name := f.Names()[0]; global[name] {
					hintEnvVar(f, envVar(name))
				} else {
					setEnvVar(f)
				}
			}
			walk(c.Subcommands)
		}
	}
	walk(app.Commands)
}

// setEnvVar appends the flag's variable to its EnvVars. Every urfave/cli
// v2 flag type has that field but no setter, hence reflection.
func setEnvVar(f cli.Flag) {
	name := envVar(f.Names()[0])
	if ev := flagField(f, "EnvVars"); ev.IsValid() && ev.Type() == reflect.TypeOf([]string(nil)) {
		if !slices.Contains(ev.Interface().([]string), name) {
			ev.Set(reflect.Append(ev, reflect.ValueOf(name)))
		}
	}
}

// hintEnvVar names the variable in a flag's usage, as urfave/cli does
// for the flags that read one.
func hintEnvVar(f cli.Flag, name string) {
	if u := flagField(f, "Usage"); u.IsValid() && u.Kind() == reflect.String && !strings.Contains(u.String(), "$"+name) {
		u.SetString(u.String() + " [$" + name + "]")
	}
}

// flagField is a settable field of a flag struct, or the zero Value.
func flagField(f cli.Flag, field string) reflect.Value {
	v := reflect.ValueOf(f)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}
	}
	fv := v.Elem().FieldByName(field)
	if !fv.CanSet() {
		return reflect.Value{}
	}
	return fv
}

// flagOrigin says how a flag's value was given, for messages:
// "--region eu-west-1" or "AWSBOOT_REGION=eu-west-1".
func flagOrigin(c *cli.Context, name string) string {
	for _, ctx := range c.Lineage() {
		if ctx.Command == nil || !ctx.IsSet(name) {
			continue
		}
		val := ctx.String(name)
		for _, f := range ctx.Command.Flags {
			if !slices.Contains(f.Names(), name) {
				continue
			}
			ev, ok := f.(interface{ GetEnvVars() []string })
			if !ok {
				continue
			}
			// Parsing a flag overrides the variable's value: the same
			// value means the variable (or both, which say the same).
			for _, v := range ev.GetEnvVars() {
				if got, found := os.LookupEnv(v); found && got == val {
					return v + "=" + val
				}
			}
		}
		return "--" + name + " " + val
	}
	return ""
}
