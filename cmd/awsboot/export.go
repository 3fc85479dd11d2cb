package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/awsboot/awsboot/provision"
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
			&cli.StringFlag{Name: flagOutput, Aliases: []string{"o"}, Usage: "write the template to this regular file (0644, atomically; - is stdout) instead of stdout"},
			&cli.BoolFlag{Name: flagJSON, Usage: "write the template as JSON instead of YAML"},
		},
		Action: func(c *cli.Context) error {
			if f := c.String(flagFormat); f != formatCloudFormation {
				from := ""
				if v, ok := os.LookupEnv(envVar(flagFormat)); ok && v == f {
					// graph's --format reads the same variable.
					from = " (from " + envVar(flagFormat) + ")"
				}
				return cli.Exit(fmt.Sprintf("Error: --format %q%s: the one format is %s", f, from, formatCloudFormation), exitError)
			}
			return exportCommand(e, c.String(flagFile), c.String(flagOutput), c.Bool(flagJSON))
		},
	}
}

func exportCommand(e env, file, out string, asJSON bool) error {
	var res *cfnexport.Result
	if out == "-" {
		out = ""
	}
	s, files, err := loadSpecAndFiles(file, e)
	if err != nil {
		return err
	}
	if err := checkOutputFile(out, s.File); err != nil {
		return cli.Exit("Error: "+err.Error(), exitError)
	}
	st, err := cfnexport.Offline(s, provision.BuildOptions{Files: files})
	if err == nil {
		res, err = cfnexport.Export(st, files)
	}
	if err != nil {
		// Every such error comes from the spec: name it.
		return cli.Exit(fmt.Sprintf("Error: %s: %v", s.File, err), exitError)
	}
	var data []byte
	if asJSON {
		data, err = res.JSON()
	} else {
		data, err = res.YAML()
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

// checkOutputFile refuses an -o path export must not replace: one that
// exists and is not a regular file (a device, a pipe, a directory: the
// atomic write would replace it with a file, or wait on it), the spec
// itself, or one in a directory that does not exist. "" is stdout.
func checkOutputFile(out, specFile string) error {
	if out == "" {
		return nil
	}
	if dir := filepath.Dir(out); dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("--%s %s: directory %s does not exist", flagOutput, out, dir)
		}
	}
	fi, err := os.Stat(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("--%s %s: %w", flagOutput, out, err)
	case fi.IsDir():
		return fmt.Errorf("--%s %s is a directory: name the file, such as %s", flagOutput, out, filepath.Join(out, "template.yaml"))
	case !fi.Mode().IsRegular():
		return fmt.Errorf("--%s %s: not a regular file (%s); to write the template there, use the shell: awsboot export > %s", flagOutput, out, localfile.FileKind(fi.Mode()), out)
	}
	if sf, err := os.Stat(specFile); err == nil && os.SameFile(fi, sf) {
		return fmt.Errorf("--%s %s is the spec itself: write the template to another file", flagOutput, out)
	}
	return nil
}
