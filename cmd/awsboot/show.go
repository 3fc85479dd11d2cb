package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/engine"
)

// showCmd is `awsboot show` (alias status): Terraform's `show`, read
// from AWS and the files rather than from a state file.
func showCmd(e env) *cli.Command {
	return &cli.Command{
		Name:    "show",
		Aliases: []string{"status"},
		Usage:   "list what the stack owns now, read from AWS and the files (--stack NAME: found by its tags, no spec)",
		Description: "Reads every object of the spec, as plan does but without planning, and prints each one the stack\n" +
			"owns with its address, ARN or path and key settings; then what the spec names that is not the stack's.\n" +
			"Access keys are listed by id, status and age, never with their secret. Makes no mutating call.\n\n" +
			"With --stack NAME and no spec, finds what carries the tag awsboot:stack=NAME in the account and region\n" +
			"(buckets, users with their keys, roles, managed policies, OIDC providers it uses): one request per\n" +
			"bucket, user, role, policy and provider of the account, for when the spec is lost.",
		Flags: append(specFlags(),
			&cli.BoolFlag{Name: flagJSON, Usage: "print the objects as JSON"},
			&cli.StringFlag{Name: flagStack, Usage: "find the objects of stack `NAME` by their tags, without a spec"},
		),
		Action: func(c *cli.Context) error {
			if c.IsSet(flagStack) && c.IsSet(flagFile) {
				return cli.Exit("Error: give either --stack (find the objects by their tags) or -f (read the spec's objects), not both", exitError)
			}
			return showCommand(c.Context, e, optionsFrom(c, engine.ModeApply), c.String(flagStack))
		},
	}
}

func showCommand(ctx context.Context, e env, o options, stack string) error {
	po := engine.PlanOptions{Parallelism: o.parallelism}
	var reading *readingLine
	if e.outIsTerminal() && !o.json {
		// A person watches: say that awsboot is reading, as plan does.
		reading = &readingLine{w: e.stdout}
		po.Read = reading.update
		defer reading.clear()
	}
	var shown *provision.Shown
	if stack != "" {
		c, err := e.connect(ctx, o.connect)
		if err != nil {
			return err
		}
		if o.stats {
			defer printStats(e.stderr, c.Calls)
		}
		if shown, err = provision.Discover(ctx, c, stack, po); err != nil {
			return err
		}
	} else {
		s, files, err := loadSpecAndFiles(o.file, e)
		if err != nil {
			return err
		}
		c, err := connectFor(ctx, e, s, o.connect, o.origin)
		if err != nil {
			return err
		}
		if o.stats {
			defer printStats(e.stderr, c.Calls)
		}
		st, err := provision.Build(s, c.Account, provision.BuildOptions{Files: files})
		if err != nil {
			return buildExit(s, err)
		}
		st.Connect(c)
		if shown, err = st.Show(ctx, po); err != nil {
			return err
		}
	}
	if reading != nil {
		reading.clear()
	}
	if o.json {
		return indentJSON(e, showJSON(shown))
	}
	renderShown(e.stdout, shown)
	return nil
}

// shownObjectJSON is one object of `show --json`.
type shownObjectJSON struct {
	Address string               `json:"address"`
	Status  provision.ShowStatus `json:"status"`
	// Owner is the other stack, for status other_stack.
	Owner       string            `json:"owner,omitempty"`
	Description string            `json:"description"`
	Settings    map[string]string `json:"settings,omitempty"`
}

// shownJSON is the document `show --json` prints.
type shownJSON struct {
	Stack     string `json:"stack"`
	AccountID string `json:"account_id"`
	Region    string `json:"region"`
	// Source is "spec" (the spec's objects, read) or "tags" (found by
	// the stack's tags, --stack).
	Source    string            `json:"source"`
	Resources []shownObjectJSON `json:"resources"`
	Notes     []string          `json:"notes,omitempty"`
}

func showJSON(s *provision.Shown) shownJSON {
	out := shownJSON{Stack: s.Stack, AccountID: s.AccountID, Region: s.Region, Source: "spec", Resources: []shownObjectJSON{}, Notes: s.Notes}
	if s.ByTags {
		out.Source = "tags"
	}
	for _, o := range s.Objects {
		j := shownObjectJSON{Address: string(o.Addr), Status: o.Status, Owner: o.Owner, Description: o.What}
		if o.Status == provision.Owned && len(o.Settings) > 0 {
			j.Settings = map[string]string{}
			for _, kv := range o.Settings {
				j.Settings[kv.Key] = kv.Value
			}
		}
		out.Resources = append(out.Resources, j)
	}
	return out
}

// statusWords says, in the text listing, why an object is not the
// stack's.
func statusWords(o provision.ShownObject) string {
	switch o.Status {
	case provision.Absent:
		return "not created yet"
	case provision.NotOwned:
		return "exists, but awsboot did not create it (bootstrap needs --adopt to take it over)"
	case provision.OtherStack:
		return fmt.Sprintf("belongs to stack %q", o.Owner)
	}
	return string(o.Status)
}

// renderShown prints Terraform show's layout: each owned object under its
// address, its settings aligned; then what the spec names that is not
// the stack's; then one line that says how much the stack owns.
func renderShown(w io.Writer, s *provision.Shown) {
	owned := s.Owned()
	for _, o := range owned {
		fmt.Fprintf(w, "# %s\n", o.Addr)
		width := 0
		for _, kv := range o.Settings {
			width = max(width, len(kv.Key))
		}
		for _, kv := range o.Settings {
			fmt.Fprintf(w, "    %-*s = %s\n", width, kv.Key, kv.Value)
		}
		fmt.Fprintln(w)
	}
	var others []provision.ShownObject
	present := false
	for _, o := range s.Objects {
		if o.Status != provision.Owned {
			others = append(others, o)
			present = present || o.Status != provision.Absent
		}
	}
	// A stack that owns nothing and meets nothing gets only the last
	// line, not the spec's whole list as "not created yet".
	if len(others) > 0 && (len(owned) > 0 || present) {
		fmt.Fprintln(w, "Named by the spec, not this stack's:")
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, o := range others {
			fmt.Fprintf(tw, "  %s\t%s\n", o.Addr, statusWords(o))
		}
		tw.Flush()
		fmt.Fprintln(w)
	}
	where := fmt.Sprintf("account %s, region %s", s.AccountID, s.Region)
	if len(owned) == 0 {
		fmt.Fprintf(w, "Stack %q owns nothing here (%s).\n", s.Stack, where)
	} else {
		fmt.Fprintf(w, "Stack %q owns %d %s here (%s).\n", s.Stack, len(owned), objectsWord(len(owned)), where)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(w, "Note: %s\n", n)
	}
}

func objectsWord(n int) string {
	if n == 1 {
		return "object"
	}
	return "objects"
}
