package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// View renders plans, progress and call statistics: the engine never
// formats output (Terraform's internal/command/views).

// RenderText writes the plan the way Terraform users read one: a block per
// changing resource with +, ~ and - lines, secrets as (sensitive value),
// values only known after apply as (known after apply), and a summary line.
func RenderText(w io.Writer, p *engine.Plan) { RenderTextColor(w, p, false) }

// RenderTextColor is RenderText with the +, ~ and - symbols coloured when
// color is true, as Terraform does on a terminal.
func RenderTextColor(w io.Writer, p *engine.Plan, color bool) {
	if !p.HasChanges() {
		if n := leftInPlace(p); n > 0 {
			fmt.Fprintf(w, "Nothing to destroy: stack %q owns nothing that still exists besides what CloudFormation manages, which is left in place (%s, below).\n", p.Stack, objects(n))
		} else if p.Mode == engine.ModeDestroy {
			fmt.Fprintf(w, "Nothing to destroy: stack %q owns nothing that still exists.\n", p.Stack)
		} else {
			fmt.Fprintf(w, "No changes. Stack %q matches the spec.\n", p.Stack)
		}
		for _, c := range p.Changes {
			writeKept(w, c)
		}
		return
	}
	fmt.Fprintf(w, "awsboot will perform the following actions for stack %q:\n", p.Stack)
	for _, c := range p.Changes {
		if c.Action == engine.NoOp {
			writeKept(w, c)
			continue
		}
		fmt.Fprintf(w, "\n  # %s %s\n", c.Addr, verb(c.Action))
		if c.Reason != "" {
			fmt.Fprintf(w, "  # (%s)\n", c.Reason)
		}
		for _, n := range c.Notes {
			fmt.Fprintf(w, "  # note: %s\n", n)
		}
		fmt.Fprintf(w, "  %s %s", paintSymbol(c.Action.Symbol(), color), c.Addr)
		if c.Action == engine.Delete || len(c.Diffs) == 0 {
			fmt.Fprintln(w)
			continue
		}
		fmt.Fprintln(w, " {")
		width := 0
		for _, d := range c.Diffs {
			width = max(width, len(d.Path))
		}
		for _, d := range c.Diffs {
			writeDiff(w, c.Action, d, width, color)
		}
		fmt.Fprintln(w, "    }")
	}
	add, change, destroy := p.Counts()
	fmt.Fprintf(w, "\nPlan: %d to add, %d to change, %d to destroy.\n", add, change, destroy)
	if n := leftInPlace(p); n > 0 {
		fmt.Fprintf(w, "Left in place: %s managed by CloudFormation (delete with CloudFormation: the stack, or its StackSet instance).\n", objects(n))
	}
}

// leftInPlace counts the objects a teardown plan leaves in place because
// CloudFormation manages them (engine.Change.ManagedBy on a no-op).
func leftInPlace(p *engine.Plan) int {
	n := 0
	for _, c := range p.Changes {
		if p.Mode == engine.ModeDestroy && c.Action == engine.NoOp && c.ManagedBy != "" {
			n++
		}
	}
	return n
}

// objects is "1 object" or "<n> objects".
func objects(n int) string {
	if n == 1 {
		return "1 object"
	}
	return fmt.Sprintf("%d objects", n)
}

// writeKept shows an unchanged resource only when there is something to
// say about it: why it is kept, or a note (a setting the service skips).
func writeKept(w io.Writer, c engine.Change) {
	if c.Reason != "" {
		fmt.Fprintf(w, "\n  # %s is left as it is: %s\n", c.Addr, c.Reason)
	} else if len(c.Notes) > 0 {
		fmt.Fprintf(w, "\n  # %s is unchanged\n", c.Addr)
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "  # note: %s\n", n)
	}
}

func verb(a engine.Action) string {
	switch a {
	case engine.Create:
		return "will be created"
	case engine.Update:
		return "will be updated in place"
	case engine.Delete:
		return "will be destroyed"
	}
	return "is unchanged"
}

func writeDiff(w io.Writer, a engine.Action, d engine.FieldDiff, width int, color bool) {
	sym := "~"
	switch {
	case a == engine.Create || d.Before == "" && !d.Unknown && !d.Sensitive:
		sym = "+"
	case d.After == "" && !d.Unknown && !d.Sensitive:
		sym = "-"
	case d.Before == "" && (d.Unknown || d.Sensitive):
		sym = "+"
	}
	pad := strings.Repeat(" ", width-len(d.Path))
	var val string
	switch {
	case d.Sensitive:
		val = "(sensitive value)"
	case sym == "+" && d.Unknown:
		val = "(known after apply)"
	case sym == "+":
		val = quote(d.After)
	case sym == "-":
		val = quote(d.Before) + " -> null"
	case d.Unknown:
		val = quote(d.Before) + " -> (known after apply)"
	default:
		val = quote(d.Before) + " -> " + quote(d.After)
	}
	fmt.Fprintf(w, "      %s %s%s = %s\n", paintSymbol(sym, color), d.Path, pad, val)
}

// quote shows one-line values in quotes and multi-line values (policy
// documents) as an indented heredoc.
func quote(v string) string {
	if !strings.Contains(v, "\n") {
		return fmt.Sprintf("%q", v)
	}
	indent := strings.Repeat(" ", 12)
	var b strings.Builder
	b.WriteString("<<-EOT\n")
	for _, l := range strings.Split(v, "\n") {
		b.WriteString(indent + l + "\n")
	}
	b.WriteString(strings.Repeat(" ", 10) + "EOT")
	return b.String()
}

// JSONPlan is the machine-readable form of a plan (awsboot plan --json).
type JSONPlan struct {
	FormatVersion string       `json:"format_version"`
	Mode          string       `json:"mode"`
	Stack         string       `json:"stack"`
	Changes       []JSONChange `json:"changes"`
	Summary       JSONSummary  `json:"summary"`
	// Calls lists the AWS API calls made while planning, by operation.
	Calls []awsapi.OpCount `json:"calls,omitempty"`
}

// JSONChange is one resource's change.
type JSONChange struct {
	Address string             `json:"address"`
	Action  string             `json:"action"`
	Reason  string             `json:"reason,omitempty"`
	Notes   []string           `json:"notes,omitempty"`
	Diffs   []engine.FieldDiff `json:"diffs,omitempty"`
	// ManagedBy names what manages the object besides awsboot (a
	// CloudFormation stack: `CloudFormation stack "x"`); in a teardown
	// plan, set on what is left in place for it.
	ManagedBy string `json:"managed_by,omitempty"`
}

// JSONSummary counts the changes.
type JSONSummary struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
}

// ToJSON converts a plan; sensitive values are blanked (they never hold a
// secret in the first place, this is the second lock).
func ToJSON(p *engine.Plan, calls []awsapi.OpCount) JSONPlan {
	out := JSONPlan{FormatVersion: "1", Mode: p.Mode.String(), Stack: p.Stack, Changes: []JSONChange{}, Calls: calls}
	for _, c := range p.Changes {
		jc := JSONChange{Address: string(c.Addr), Action: c.Action.String(), Reason: c.Reason, Notes: c.Notes, ManagedBy: c.ManagedBy}
		for _, d := range c.Diffs {
			if d.Sensitive {
				d.Before, d.After = "", ""
			}
			jc.Diffs = append(jc.Diffs, d)
		}
		out.Changes = append(out.Changes, jc)
	}
	out.Summary.Add, out.Summary.Change, out.Summary.Destroy = p.Counts()
	return out
}

// RenderJSON writes the plan as indented JSON.
func RenderJSON(w io.Writer, p *engine.Plan, calls []awsapi.OpCount) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(ToJSON(p, calls))
}
