package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/awsboot/awsboot/provision/engine"
)

// The formats of awsboot graph.
const (
	formatDOT     = "dot"
	formatMermaid = "mermaid"
)

// graphDirection says which way the edges point, in every format's
// comment and in the command's help: Terraform's direction.
const graphDirection = "an edge A -> B means A depends on B: B is created first and deleted last"

// graphHelp is graph's description in its help.
const graphHelp = `Prints the resources of the spec and their dependencies: the graph plan,
bootstrap and teardown walk. As in terraform graph, an edge A -> B means
A depends on B: B is created first and deleted last. Nodes are labelled
with their address (kind.name).

Without --plan the graph is built from the spec alone, as validate builds it:
no AWS call and no credentials. With --plan awsboot connects and plans as
plan does (reading only), and each node shows its planned action: create,
update or no-op; with --plan --destroy, the teardown plan's delete or no-op.

  awsboot graph -f awsboot.yaml | dot -Tsvg > graph.svg
  awsboot graph -f awsboot.yaml --format mermaid   # paste into Markdown in a mermaid code block`

// graphFlags are graph's own flags besides the spec and AWS ones.
func graphFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: flagFormat, Value: formatDOT, Usage: "dot (Graphviz) or mermaid (a flowchart block for Markdown)"},
		&cli.BoolFlag{Name: flagPlan, Usage: "connect to AWS, plan as plan does, and mark each resource with its planned action"},
		&cli.BoolFlag{Name: flagJSON, Usage: "print the nodes and edges as JSON"},
		&cli.BoolFlag{Name: flagDestroy, Usage: "with --plan: mark the actions of the teardown plan (plan --destroy) instead"},
		&cli.BoolFlag{Name: flagDeleteData, Usage: "with --plan --destroy: plan the teardown --delete-data would run"},
	}
}

// graphAction parses graph's flags and checks --format before any spec
// is read.
func graphAction(e env) cli.ActionFunc {
	return func(c *cli.Context) error {
		format := c.String(flagFormat)
		if format != formatDOT && format != formatMermaid {
			return cli.Exit(fmt.Sprintf("Error: --format %q: want %s or %s", format, formatDOT, formatMermaid), exitError)
		}
		if c.Bool(flagJSON) && c.IsSet(flagFormat) {
			return cli.Exit("Error: --json and --format are exclusive: --json prints the graph as JSON", exitError)
		}
		if c.Bool(flagJSON) {
			format = flagJSON
		}
		mode := engine.ModeApply
		switch {
		case c.Bool(flagDestroy) && !c.Bool(flagPlan):
			return cli.Exit("Error: --destroy needs --plan: without it the graph has no actions", exitError)
		case c.Bool(flagDestroy):
			mode = engine.ModeDestroy
		case c.Bool(flagDeleteData):
			return cli.Exit("Error: --delete-data is a teardown option: use it with --plan --destroy", exitError)
		}
		return graphCommand(c.Context, e, optionsFrom(c, mode), c.Bool(flagPlan), format)
	}
}

// graphCommand prints the stack's resource graph, the graph plan walks.
// Without withPlan it is built offline, as validate and explain build
// it: no AWS call, no credentials. With withPlan it connects and plans
// exactly as plan does in o.mode (no lock, no write), and each node
// carries its action.
func graphCommand(ctx context.Context, e env, o options, withPlan bool, format string) error {
	var g *engine.Graph
	var stack string
	var actions map[engine.Address]engine.Action
	if withPlan {
		o.json = true // no Reading... line on stdout: the graph is meant for a file or a pipe
		p, err := prepare(ctx, e, o)
		if p != nil {
			defer p.unlock()
			if o.stats {
				defer printStats(e.stderr, p.clients.Calls)
			}
		}
		if err != nil {
			return err
		}
		g, stack = p.stack.Graph, p.stack.Spec.Stack
		actions = map[engine.Address]engine.Action{}
		for _, ch := range p.plan.Changes {
			actions[ch.Addr] = ch.Action
		}
	} else {
		st, err := loadOffline(o.file, e)
		if err != nil {
			return err
		}
		g, stack = st.Graph, st.Spec.Stack
	}
	rg := newResourceGraph(g, actions)
	switch format {
	case flagJSON:
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rg)
	case formatMermaid:
		renderMermaid(e.stdout, stack, rg)
	default:
		renderDOT(e.stdout, stack, rg)
	}
	return nil
}

// resourceGraph is what graph prints: nodes sorted by address, edges by
// from, then to (awsboot graph --json).
type resourceGraph struct {
	Nodes []graphNode `json:"nodes"`
	Edges []graphEdge `json:"edges"`
}

// graphNode is one resource; Action is set with --plan only.
type graphNode struct {
	Address string `json:"address"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Action  string `json:"action,omitempty"`
}

// graphEdge says that From depends on To.
type graphEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// newResourceGraph takes the graph's nodes and edges, with each node's
// action when actions is not nil.
func newResourceGraph(g *engine.Graph, actions map[engine.Address]engine.Action) resourceGraph {
	rg := resourceGraph{Nodes: []graphNode{}, Edges: []graphEdge{}}
	for _, r := range g.Resources() {
		a := r.Addr()
		n := graphNode{Address: string(a), Kind: a.Kind(), Name: a.Name()}
		if act, ok := actions[a]; ok {
			n.Action = act.String()
		}
		rg.Nodes = append(rg.Nodes, n)
	}
	sort.Slice(rg.Nodes, func(i, j int) bool { return rg.Nodes[i].Address < rg.Nodes[j].Address })
	for _, ed := range g.Edges() {
		rg.Edges = append(rg.Edges, graphEdge{From: string(ed.From), To: string(ed.To)})
	}
	return rg
}

// actionStyle is how a planned action looks: a fill and a border colour,
// the same in both formats.
type actionStyle struct{ fill, border string }

var actionStyles = map[string]actionStyle{
	engine.Create.String(): {fill: "#d4edda", border: "#1e7e34"},
	engine.Update.String(): {fill: "#fff3cd", border: "#b8860b"},
	engine.Delete.String(): {fill: "#f8d7da", border: "#c82333"},
	engine.NoOp.String():   {fill: "#eeeeee", border: "#6c757d"},
}

// label is a node's text: its address, and under it the planned action.
func (n graphNode) label() string {
	if n.Action == "" {
		return n.Address
	}
	return n.Address + "\n" + n.Action
}

// renderDOT writes the graph in Graphviz's language, laid out right to
// left like terraform graph's, so that what is created first is on the
// left.
func renderDOT(w io.Writer, stack string, g resourceGraph) {
	fmt.Fprintf(w, "// Resources of awsboot stack %s: %s.\n", strconv.Quote(stack), graphDirection)
	fmt.Fprintf(w, "digraph %s {\n", dotQuote(stack))
	fmt.Fprintln(w, `  rankdir = "RL"`)
	fmt.Fprintln(w, `  node [shape = "box", fontname = "sans-serif"]`)
	for _, n := range g.Nodes {
		attrs := "label = " + dotQuote(n.label())
		if s, ok := actionStyles[n.Action]; ok {
			attrs += fmt.Sprintf(`, style = "filled", fillcolor = %q, color = %q`, s.fill, s.border)
		}
		fmt.Fprintf(w, "  %s [%s]\n", dotQuote(n.Address), attrs)
	}
	for _, ed := range g.Edges {
		fmt.Fprintf(w, "  %s -> %s\n", dotQuote(ed.From), dotQuote(ed.To))
	}
	fmt.Fprintln(w, "}")
}

// dotQuote makes a DOT double-quoted string. In a label a backslash
// starts an escape (\n, \l, \N), so a literal one is doubled; a newline
// becomes \n, which Graphviz draws as a line break. Node IDs go through
// the same function, so every reference to a node matches its
// declaration.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "").Replace(s) + `"`
}

// renderMermaid writes a Mermaid flowchart, which GitHub and GitLab draw
// in Markdown. Node IDs are n0, n1, … in address order, since an address
// may hold characters Mermaid reads as syntax; the address is the label.
func renderMermaid(w io.Writer, stack string, g resourceGraph) {
	ids := map[string]string{}
	fmt.Fprintln(w, "flowchart RL")
	fmt.Fprintf(w, "  %%%% Resources of awsboot stack %s: %s.\n", strconv.Quote(stack), strings.ReplaceAll(graphDirection, "->", "-->"))
	classes := map[string][]string{}
	for i, n := range g.Nodes {
		id := "n" + strconv.Itoa(i)
		ids[n.Address] = id
		fmt.Fprintf(w, "  %s[\"%s\"]\n", id, mermaidText(n.label()))
		if n.Action != "" {
			classes[n.Action] = append(classes[n.Action], id)
		}
	}
	for _, ed := range g.Edges {
		fmt.Fprintf(w, "  %s --> %s\n", ids[ed.From], ids[ed.To])
	}
	for _, a := range []engine.Action{engine.Create, engine.Update, engine.Delete, engine.NoOp} {
		members := classes[a.String()]
		if len(members) == 0 {
			continue
		}
		s := actionStyles[a.String()]
		fmt.Fprintf(w, "  classDef %s fill:%s,stroke:%s,color:#000\n", mermaidClass(a), s.fill, s.border)
		fmt.Fprintf(w, "  class %s %s\n", strings.Join(members, ","), mermaidClass(a))
	}
}

// mermaidClass names an action's class: the action word, without the
// hyphen of no-op.
func mermaidClass(a engine.Action) string {
	return strings.ReplaceAll(a.String(), "-", "")
}

// mermaidText escapes a label for a double-quoted Mermaid node text:
// Mermaid's #name; entity codes for the quote and for what its HTML
// labels would read as markup, and <br/> for a line break.
func mermaidText(s string) string {
	return strings.NewReplacer(
		`#`, "#35;", `"`, "#quot;", `&`, "#amp;", `<`, "#lt;", `>`, "#gt;",
		"\n", "<br/>", "\r", "",
	).Replace(s)
}
