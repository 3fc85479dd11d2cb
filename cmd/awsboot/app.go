package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/consumers"
	"github.com/awsboot/awsboot/provision/engine"
)

// env is everything a command touches outside the process: tests replace
// parts of it.
type env struct {
	stdin      io.Reader
	stdout     io.Writer
	stderr     io.Writer
	isTerminal func() bool
	// stdoutTerminal says whether stdout is a terminal, for the live
	// status line and plan's Reading... line.
	stdoutTerminal func() bool
	connect        func(context.Context, awsapi.ConnectOptions) (*awsapi.Clients, error)
	files          func() (consumers.AWSFiles, error)
}

func defaultEnv() env {
	return env{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		// A real isatty check: /dev/null is a character device too, and a
		// CI job reading it must not be taken for a person.
		isTerminal:     func() bool { return term.IsTerminal(int(os.Stdin.Fd())) },
		stdoutTerminal: func() bool { return term.IsTerminal(int(os.Stdout.Fd())) },
		connect:        awsapi.Connect,
		files:          consumers.DefaultAWSFiles,
	}
}

// run builds the app, runs it and maps errors to exit codes.
func run(args []string, e env) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp(e)
	err := app.RunContext(ctx, args)
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil {
		fmt.Fprintln(e.stderr, "Interrupted: AWS calls in flight were cancelled and nothing new was started. Run the same command again: it reads what exists and finishes the job.")
		return exitInterrupted
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := err.Error(); msg != "" {
			fmt.Fprintln(e.stderr, msg)
		}
		return ec.ExitCode()
	}
	fmt.Fprintf(e.stderr, "Error: %v\n", err)
	return exitError
}

func awsFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagProfile, Usage: "AWS profile awsboot itself uses (default: AWS_PROFILE, else the default chain)"},
		&cli.StringFlag{Name: flagRegion, Usage: "AWS region (default: the spec's region, else AWS_REGION, AWS_DEFAULT_REGION or the profile's)"},
		&cli.StringFlag{Name: flagEndpointURL, Usage: "custom endpoint for every AWS API (default: the spec's endpoint, else AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL); recorded in the written profile"},
	}
}

// lockTimeoutFlag is Terraform's -lock-timeout: how long bootstrap and
// teardown wait for another run of the same stack to finish.
func lockTimeoutFlag() cli.Flag {
	return &cli.DurationFlag{Name: flagLockTimeout, Value: time.Minute,
		Usage: "how long to wait for another awsboot run changing the same stack (0: fail at once)"}
}

func specFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: flagFile, Aliases: []string{"f"}, Value: "awsboot.yaml", Usage: "the spec file"},
		&cli.IntFlag{Name: flagParallelism, Value: defaultParallelism, Usage: "how many resources are read or changed at once (Terraform's default is also 10)"},
		&cli.BoolFlag{Name: flagStats, Usage: "print the AWS API calls made, by operation, to stderr"},
	}, awsFlags()...)
}

func newApp(e env) *cli.App {
	return withHabits(&cli.App{
		Name:           "awsboot",
		Usage:          "set up the AWS side of your CI from one declarative spec",
		Version:        version,
		Writer:         e.stdout,
		ErrWriter:      e.stderr,
		Flags:          awsFlags(),
		ExitErrHandler: func(*cli.Context, error) {}, // run prints errors
		Commands: []*cli.Command{
			{
				Name:  "plan",
				Usage: "show what bootstrap (with --destroy: teardown) would change (reads only, writes nothing)",
				Flags: append(append(specFlags(),
					&cli.BoolFlag{Name: flagJSON, Usage: "print the plan as JSON"},
					&cli.BoolFlag{Name: flagDetailedExitcode, Usage: "exit 0 when there are no changes, 2 when there are, 1 on error"},
					&cli.BoolFlag{Name: flagAdopt, Usage: "plan as if taking over existing objects without the awsboot tag"},
				), planDestroyFlags()...),
				Action: planAction(e),
			},
			{
				Name:    "bootstrap",
				Aliases: []string{"apply"},
				Usage:   "create or repair everything the spec describes (idempotent)",
				Flags: append(specFlags(),
					&cli.BoolFlag{Name: flagAutoApprove, Usage: "do not ask for confirmation"},
					&cli.BoolFlag{Name: flagAdopt, Usage: "take over existing objects that awsboot did not create"},
					&cli.BoolFlag{Name: flagJSON, Usage: "print the plan and progress as JSON lines (needs --auto-approve)"},
					lockTimeoutFlag(),
				),
				Action: func(c *cli.Context) error { return applyCommand(c.Context, e, optionsFrom(c, engine.ModeApply)) },
			},
			rotateCommand(e),
			{
				Name:    "teardown",
				Aliases: []string{"destroy"},
				Usage:   "delete what this stack created, in reverse order (data is kept unless --delete-data)",
				Flags: append(append(specFlags(),
					&cli.BoolFlag{Name: flagAutoApprove, Usage: "do not ask for confirmation"},
					&cli.BoolFlag{Name: flagDeleteData, Usage: "also delete every object and version in the bucket"},
					&cli.BoolFlag{Name: flagJSON, Usage: "print the plan and progress as JSON lines (needs --auto-approve; with --dry-run: the plan as plan --json does)"},
					lockTimeoutFlag(),
				), teardownDryRunFlags()...),
				Action: teardownAction(e),
			},
			{
				Name:  "verify",
				Usage: "prove, with only the credentials awsboot wrote, that each grant works and nothing more",
				Flags: append(specFlags(), &cli.BoolFlag{Name: flagJSON, Usage: "print the checks as JSON"},
					&cli.StringFlag{Name: flagWebIdentityTokenFile, Usage: "a file holding a pipeline's OIDC token, to prove role access by assuming each role with it"}),
				Action: func(c *cli.Context) error { return verifyCommand(c.Context, e, optionsFrom(c, engine.ModeApply)) },
			},
			{
				Name:  "explain",
				Usage: "say in plain words who can do what on the bucket (from the policies awsboot writes; no AWS call)",
				Flags: []cli.Flag{&cli.StringFlag{Name: flagFile, Aliases: []string{"f"}, Value: "awsboot.yaml", Usage: "the spec file"}},
				Action: func(c *cli.Context) error {
					st, err := loadOffline(c.String(flagFile), e)
					if err != nil {
						return err
					}
					return provision.Explain(e.stdout, st)
				},
			},
			{
				Name:        "graph",
				Usage:       "print the resource graph, as DOT or Mermaid; an edge points from a resource to what it depends on",
				Description: graphHelp,
				Flags:       append(specFlags(), graphFlags()...),
				Action:      graphAction(e),
			},
			{
				Name:  "validate",
				Usage: "check the spec without calling AWS",
				Flags: []cli.Flag{&cli.StringFlag{Name: flagFile, Aliases: []string{"f"}, Value: "awsboot.yaml", Usage: "the spec file"}},
				Action: func(c *cli.Context) error {
					st, err := loadOffline(c.String(flagFile), e)
					if err != nil {
						return err
					}
					s := st.Spec
					bucket := strconv.Quote(s.Bucket.BaseName())
					if s.Bucket.NameSuffix != "" {
						bucket += " + \"-<account ID>\""
					}
					fmt.Fprintf(e.stdout, "%s: valid (stack %q, bucket %s, %d access entries)\n", s.File, s.Stack, bucket, len(s.Access))
					return nil
				},
			},
			// Day two: what the stack owns now, and the values other tools need.
			showCmd(e), outputCmd(e), exportCmd(e),
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(*cli.Context) error {
					fmt.Fprintf(e.stdout, "awsboot %s\n", version)
					return nil
				},
			},
		},
	})
}

// outIsTerminal reports whether stdout is a terminal; false when unknown.
func (e env) outIsTerminal() bool { return e.stdoutTerminal != nil && e.stdoutTerminal() }
