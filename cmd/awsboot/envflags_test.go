package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestEveryFlagHasAnEnvVar: each flag of every command reads
// AWSBOOT_<FLAG> (a global flag at the app level, its help naming it in
// every command), so a flag added later cannot miss one.
func TestEveryFlagHasAnEnvVar(t *testing.T) {
	app := newApp(env{})
	global := map[string]bool{}
	for _, f := range app.Flags {
		if f == cli.HelpFlag || f == cli.VersionFlag {
			continue
		}
		name := f.Names()[0]
		global[name] = true
		if got := f.(cli.DocGenerationFlag).GetEnvVars(); !slices.Contains(got, envVar(name)) {
			t.Errorf("global --%s reads %v, want %s", name, got, envVar(name))
		}
	}
	for _, c := range app.Commands {
		for _, f := range c.Flags {
			name := f.Names()[0]
			vars := f.(cli.DocGenerationFlag).GetEnvVars()
			switch {
			case global[name] && len(vars) > 0:
				t.Errorf("%s --%s reads %v: a global flag reads its variable at the app level only", c.Name, name, vars)
			case global[name] && !strings.Contains(f.(cli.DocGenerationFlag).GetUsage(), "[$"+envVar(name)+"]"):
				t.Errorf("%s --%s: its help does not name %s", c.Name, name, envVar(name))
			case !global[name] && !slices.Contains(vars, envVar(name)):
				t.Errorf("%s --%s reads %v, want %s", c.Name, name, vars, envVar(name))
			}
		}
	}
}

func TestEnvVarName(t *testing.T) {
	for flag, want := range map[string]string{
		"file": "AWSBOOT_FILE", "auto-approve": "AWSBOOT_AUTO_APPROVE", "web-identity-token-file": "AWSBOOT_WEB_IDENTITY_TOKEN_FILE",
	} {
		if got := envVar(flag); got != want {
			t.Errorf("envVar(%q) = %q, want %q", flag, got, want)
		}
	}
}
