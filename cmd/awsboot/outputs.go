package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// outputCmd is `awsboot output [NAME]`: Terraform's `output`, for the
// values other tools need.
func outputCmd(e env) *cli.Command {
	return &cli.Command{
		Name:      "output",
		Usage:     "print the values other tools need: bucket, ARNs, profile, files (one raw value with NAME)",
		ArgsUsage: "[NAME]",
		Description: "Without NAME, prints every value as name = \"value\" (or one JSON object with --json). With NAME, prints\n" +
			"that value alone, raw and newline-terminated, for the shell: aws s3 ls s3://$(awsboot output bucket)\n\n" +
			"The values come from the spec and the account ID; nothing is read, so they name what bootstrap creates.\n" +
			"A value that holds the account ID (every IAM ARN, account_id, and the bucket and its ARN with\n" +
			"bucket.name_suffix) or a setting the spec leaves to the AWS configuration (region, endpoint) costs one\n" +
			"sts:GetCallerIdentity; a value from the spec alone (bucket, user and role names, profile, file paths)\n" +
			"makes no AWS call. No secret is ever printed, nor the access key's id (awsboot show lists keys).",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: flagFile, Aliases: []string{"f"}, Value: "awsboot.yaml", Usage: "the spec file"},
			&cli.BoolFlag{Name: flagJSON, Usage: "print the values as one JSON object (with NAME: the value as a JSON string)"},
		}, awsFlags()...),
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 && strings.HasPrefix(c.Args().Get(1), "-") {
				// urfave/cli stops reading flags at the first argument.
				return cli.Exit(fmt.Sprintf("Error: put flags before NAME: awsboot output %s %s", strings.Join(c.Args().Tail(), " "), c.Args().First()), exitError)
			}
			if c.NArg() > 1 {
				return cli.Exit(fmt.Sprintf("Error: output takes at most one NAME, got %d: %s", c.NArg(), strings.Join(c.Args().Slice(), " ")), exitError)
			}
			return outputCommand(c.Context, e, optionsFrom(c, engine.ModeApply), c.Args().First())
		},
	}
}

func outputCommand(ctx context.Context, e env, o options, name string) error {
	s, files, err := loadSpecAndFiles(o.file, e)
	if err != nil {
		return err
	}
	// The names, and the values the spec alone gives, are known offline.
	outs, err := provision.Outputs(s, awsapi.Offline(s.Region, s.Endpoint, s.IAMEndpoint, s.PathStyle), files)
	if err != nil {
		return specExit(err)
	}
	var want *provision.Output
	if name != "" {
		for i := range outs {
			if outs[i].Name == name {
				want = &outs[i]
			}
		}
		if want == nil {
			names := make([]string, len(outs))
			for i, out := range outs {
				names[i] = out.Name
			}
			return cli.Exit(fmt.Sprintf("Error: no output named %q in %s. Valid names: %s", name, s.File, strings.Join(names, ", ")), exitError)
		}
	}
	if want == nil || want.NeedsAWS {
		c, err := connectFor(ctx, e, s, o.connect, o.origin)
		if err != nil {
			return err
		}
		if outs, err = provision.Outputs(s, c.Account, files); err != nil {
			return specExit(err)
		}
		for i := range outs {
			if want != nil && outs[i].Name == want.Name {
				want = &outs[i]
			}
		}
	}
	switch {
	case want != nil && o.json:
		return indentJSON(e, want.Value)
	case want != nil:
		fmt.Fprintln(e.stdout, want.Value)
	case o.json:
		all := map[string]string{}
		for _, out := range outs {
			all[out.Name] = out.Value
		}
		return indentJSON(e, all)
	default:
		for _, out := range outs {
			fmt.Fprintf(e.stdout, "%s = %s\n", out.Name, strconv.Quote(out.Value))
		}
	}
	return nil
}

// indentJSON prints v as indented JSON.
func indentJSON(e env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
