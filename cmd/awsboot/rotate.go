package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/spec"
)

// rotateCommand is `awsboot rotate [ACCESS_NAME...]`: bootstrap's plan and
// apply with the named user entries' keys (all of them without names)
// told to rotate.
func rotateCommand(e env) *cli.Command {
	return &cli.Command{
		Name:      "rotate",
		Usage:     "replace the access key of every user entry (or of each ACCESS_NAME) without downtime",
		ArgsUsage: "[ACCESS_NAME...]",
		Description: "Creates a second key for the user, writes it into the profile and every file that held the old one\n" +
			"(a GitLab runner's config.toml), waits until STS accepts it, then deactivates and deletes the old key.\n" +
			"A run stopped anywhere is finished by running rotate or bootstrap again. IAM allows two keys per user:\n" +
			"a user that already has a key awsboot does not know is refused, naming that key.",
		Flags: append(specFlags(),
			&cli.BoolFlag{Name: flagAutoApprove, Usage: "do not ask for confirmation"},
			&cli.BoolFlag{Name: flagJSON, Usage: "print the plan and progress as JSON lines (needs --auto-approve)"},
			lockTimeoutFlag(),
		),
		Action: func(c *cli.Context) error {
			for _, a := range c.Args().Slice() {
				if strings.HasPrefix(a, "-") {
					// urfave/cli stops reading flags at the first argument.
					return cli.Exit(fmt.Sprintf("Error: put flags before the access names: awsboot rotate %s ...", a), exitError)
				}
			}
			o := optionsFrom(c, engine.ModeApply)
			o.rotate = append([]string{}, c.Args().Slice()...)
			return applyCommand(c.Context, e, o)
		},
	}
}

// rotateSelection checks the names given to rotate against the spec and
// returns which entries rotate: every user entry when none is named.
func rotateSelection(s *spec.Spec, names []string) (func(string) bool, error) {
	var users []string
	for _, a := range s.Access {
		if a.User != "" {
			users = append(users, a.Name)
		}
	}
	if len(users) == 0 {
		return nil, fmt.Errorf("%s has no access entry with user: (only those have access keys to rotate)", s.File)
	}
	for _, n := range names {
		if !slices.Contains(users, n) {
			return nil, fmt.Errorf("%q is not an access entry with user: in %s; entries with keys: %s", n, s.File, strings.Join(users, ", "))
		}
	}
	if len(names) == 0 {
		names = users
	}
	return func(name string) bool { return slices.Contains(names, name) }, nil
}

// envTestNow is a test seam, not a setting: when set (RFC 3339), it is
// the time the access keys' clock starts from, so a test can make a key
// look older than max_key_age. It is read only by keyClock.
const envTestNow = "AWSBOOT_TEST_NOW"

// setKeyClock sets the access keys' clock: the wall clock, unless the
// test seam AWSBOOT_TEST_NOW moves it.
func setKeyClock(bo *provision.BuildOptions) error {
	v := os.Getenv(envTestNow)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return fmt.Errorf("%s=%q: %w", envTestNow, v, err)
	}
	bo.Clock = provision.ShiftedClock(time.Until(t))
	return nil
}
