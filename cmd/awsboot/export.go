package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/awsboot/awsboot/provision/cfnexport"
	"github.com/awsboot/awsboot/provision/localfile"
)

// formatCloudFormation is export's one format.
const formatCloudFormation = "cloudformation"

// flagOutput is export's file to write (stdout without it).
const flagOutput = "output"

// exportHelp is export's description in its help.
const exportHelp = `Writes the spec's AWS objects as one CloudFormation template, to roll out to
many accounts with CloudFormation StackSets (docs/multi-account.md). It is built
from the same resource graph plan uses, with the same settings and the same
policy documents; values that differ per account are pseudo parameters, and
the bucket is named <BucketName>-<account ID> (S3 names are global).

No AWS call is made. No secret is ever in the template: access keys and the
files awsboot writes on this machine are left out, and listed on stderr. For
user access, make each machine's key with awsboot bootstrap (or rotate)
against its account; for fleets, prefer role access (OIDC).

  awsboot export -f awsboot.yaml -o template.yaml
  awsboot export -f awsboot.yaml --json > template.json`

func exportCmd(e env) *cli.Command {
	return &cli.Command{
		Name:        "export",
		Usage:       "write the spec's AWS objects as a CloudFormation template (for StackSets)",
		Description: exportHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: flagFile, Aliases: []string{"f"}, Value: "awsboot.yaml", Usage: "the spec file"},
			&cli.StringFlag{Name: flagFormat, Value: formatCloudFormation, Usage: "the template language: cloudformation"},
			&cli.StringFlag{Name: flagOutput, Aliases: []string{"o"}, Usage: "write the template to this file (0644, atomically) instead of stdout"},
			&cli.BoolFlag{Name: flagJSON, Usage: "write the template as JSON instead of YAML"},
		},
		Action: func(c *cli.Context) error {
			if f := c.String(flagFormat); f != formatCloudFormation {
				return cli.Exit(fmt.Sprintf("Error: --format %q: the one format is %s", f, formatCloudFormation), exitError)
			}
			return exportCommand(e, c.String(flagFile), c.String(flagOutput), c.Bool(flagJSON))
		},
	}
}

func exportCommand(e env, file, out string, asJSON bool) error {
	st, err := loadOffline(file, e)
	if err != nil {
		return err
	}
	files, err := e.files()
	if err != nil {
		return cli.Exit("Error: "+err.Error(), exitError)
	}
	res, err := cfnexport.Export(st, files)
	if errors.Is(err, cfnexport.ErrCannotExport) {
		return cli.Exit(fmt.Sprintf("Error: %s: %v", st.Spec.File, err), exitError)
	}
	if err != nil {
		return cli.Exit("Error: "+err.Error(), exitError)
	}
	var data []byte
	if asJSON {
		data, err = res.Template.JSON()
		data = append(data, '\n')
	} else {
		data, err = res.Template.YAML()
	}
	if err != nil {
		return cli.Exit("Error: writing the template: "+err.Error(), exitError)
	}
	for _, n := range res.Notes {
		fmt.Fprintln(e.stderr, "Note: "+n)
	}
	if len(res.LeftOut) > 0 {
		fmt.Fprintln(e.stderr, "Not in the template:")
		for _, l := range res.LeftOut {
			fmt.Fprintf(e.stderr, "  - %s: %s\n", l.What, l.Why)
		}
	}
	if out == "" {
		_, err := e.stdout.Write(data)
		return err
	}
	if _, err := localfile.WriteFileAtomic(out, data, 0o644, false); err != nil {
		return cli.Exit("Error: "+err.Error(), exitError)
	}
	abs, _ := filepath.Abs(out)
	fmt.Fprintf(e.stderr, "Wrote %s (%d resources).\n", abs, len(res.Template.Resources))
	return nil
}
