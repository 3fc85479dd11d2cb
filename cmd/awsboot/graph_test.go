package main

import (
	"bytes"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/awsboot/awsboot/provision"
	"github.com/awsboot/awsboot/provision/consumers"
)

// The lines renderDOT and renderMermaid write for a node and an edge.
var (
	dotNodeLine     = regexp.MustCompile(`^  ("(?:[^"\\]|\\.)*") \[label = "(?:[^"\\]|\\.)*"(?:, [a-z]+ = "[^"]*")*\]$`)
	dotEdgeLine     = regexp.MustCompile(`^  ("(?:[^"\\]|\\.)*") -> ("(?:[^"\\]|\\.)*")$`)
	mermaidNodeLine = regexp.MustCompile(`^  (n[0-9]+)\["[^"]*"\]$`)
	mermaidEdgeLine = regexp.MustCompile(`^  (n[0-9]+) --> (n[0-9]+)$`)
)

// checkDrawing parses a rendered graph line by line: every line must be
// a known statement, every edge must join declared nodes, and the
// drawing must have as many nodes and edges as the graph.
func checkDrawing(t *testing.T, name, text string, node, edge *regexp.Regexp, g resourceGraph) {
	t.Helper()
	declared := map[string]bool{}
	edges := 0
	for i, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case node.MatchString(l):
			id := node.FindStringSubmatch(l)[1]
			if declared[id] {
				t.Errorf("%s line %d: node %s declared twice", name, i+1, id)
			}
			declared[id] = true
		case edge.MatchString(l):
			m := edge.FindStringSubmatch(l)
			for _, id := range m[1:] {
				if !declared[id] {
					t.Errorf("%s line %d: edge end %s is not a node declared above it", name, i+1, id)
				}
			}
			edges++
		case strings.HasPrefix(l, "//"), strings.HasPrefix(l, "digraph "), strings.HasPrefix(l, "  rankdir"), strings.HasPrefix(l, "  node ["), l == "}",
			l == "flowchart RL", strings.HasPrefix(l, "  %%"), strings.HasPrefix(l, "  classDef "), strings.HasPrefix(l, "  class "):
		default:
			t.Errorf("%s line %d: not a statement graph writes: %q", name, i+1, l)
		}
	}
	if len(declared) != len(g.Nodes) || edges != len(g.Edges) {
		t.Errorf("%s: %d nodes and %d edges drawn, the graph has %d and %d", name, len(declared), edges, len(g.Nodes), len(g.Edges))
	}
}

// TestDrawingsJoinDeclaredNodes draws every example's graph in both
// formats and checks their structure; dot itself reads the drawings in
// graph_dot.txtar when it is installed.
func TestDrawingsJoinDeclaredNodes(t *testing.T) {
	specs, err := filepath.Glob(filepath.Join("..", "..", "examples", "*.yaml"))
	if err != nil || len(specs) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	dir := t.TempDir()
	files := consumers.AWSFiles{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}
	for _, file := range specs {
		s, err := provision.LoadSpec(file)
		if err != nil {
			t.Fatal(err)
		}
		st, err := provision.Offline(s, provision.BuildOptions{Files: files})
		if err != nil {
			t.Fatal(err)
		}
		g := newResourceGraph(st.Graph, nil)
		if len(g.Edges) == 0 {
			t.Errorf("%s: no edges", file)
		}
		var dot, mmd bytes.Buffer
		renderDOT(&dot, s.Stack, g)
		renderMermaid(&mmd, s.Stack, g)
		checkDrawing(t, filepath.Base(file)+" (dot)", dot.String(), dotNodeLine, dotEdgeLine, g)
		checkDrawing(t, filepath.Base(file)+" (mermaid)", mmd.String(), mermaidNodeLine, mermaidEdgeLine, g)
	}
}

// TestLabelsEscaped draws names holding each format's special characters,
// with an action (a second label line). Spec validation keeps such
// characters out of today's names; the drawings must not depend on it.
func TestLabelsEscaped(t *testing.T) {
	g := resourceGraph{
		Nodes: []graphNode{
			{Address: `local_file.a"b\c`, Kind: "local_file", Name: `a"b\c`, Action: "create"},
			{Address: "local_file.x<y>&#z;", Kind: "local_file", Name: "x<y>&#z;", Action: "no-op"},
		},
		Edges: []graphEdge{{From: "local_file.x<y>&#z;", To: `local_file.a"b\c`}},
	}
	var dot, mmd bytes.Buffer
	renderDOT(&dot, `st"ack`, g)
	renderMermaid(&mmd, `st"ack`, g)
	wantDOT := `// Resources of awsboot stack "st\"ack": ` + graphDirection + `.
digraph "st\"ack" {
  rankdir = "RL"
  node [shape = "box", fontname = "sans-serif"]
  "local_file.a\"b\\c" [label = "local_file.a\"b\\c\ncreate", style = "filled", fillcolor = "#d4edda", color = "#1e7e34"]
  "local_file.x<y>&#z;" [label = "local_file.x<y>&#z;\nno-op", style = "filled", fillcolor = "#eeeeee", color = "#6c757d"]
  "local_file.x<y>&#z;" -> "local_file.a\"b\\c"
}
`
	wantMermaid := `flowchart RL
  %% Resources of awsboot stack "st\"ack": an edge A --> B means A depends on B: B is created first and deleted last.
  n0["local_file.a#quot;b\c<br/>create"]
  n1["local_file.x#lt;y#gt;#amp;#35;z;<br/>no-op"]
  n1 --> n0
  classDef create fill:#d4edda,stroke:#1e7e34,color:#000
  class n0 create
  classDef noop fill:#eeeeee,stroke:#6c757d,color:#000
  class n1 noop
`
	if diff := cmp.Diff(wantDOT, dot.String()); diff != "" {
		t.Errorf("DOT (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantMermaid, mmd.String()); diff != "" {
		t.Errorf("Mermaid (-want +got):\n%s", diff)
	}
	checkDrawing(t, "dot", dot.String(), dotNodeLine, dotEdgeLine, g)
	checkDrawing(t, "mermaid", mmd.String(), mermaidNodeLine, mermaidEdgeLine, g)

	// Graphviz must read the same two nodes and draw each label's text
	// as it is (XML-escaped in the SVG).
	if _, err := exec.LookPath("dot"); err != nil {
		t.Log("Graphviz dot is not on PATH: not rendering the DOT; its text was checked above")
		return
	}
	cmd := exec.Command("dot", "-Tsvg")
	cmd.Stdin = &dot
	svg, err := cmd.Output()
	if err != nil {
		t.Fatalf("dot -Tsvg: %v", err)
	}
	for _, want := range []string{`>local_file.a&quot;b\c</text>`, `>local_file.x&lt;y&gt;&amp;#z;</text>`, `>create</text>`, `>no&#45;op</text>`} {
		if !strings.Contains(string(svg), want) {
			t.Errorf("the SVG lacks %s:\n%s", want, svg)
		}
	}
	if n := strings.Count(string(svg), `class="node"`); n != 2 {
		t.Errorf("dot drew %d nodes, want 2:\n%s", n, svg)
	}
}

// TestREADMEGraphPicture keeps docs/semaphore-cache-graph.svg, the
// picture in the README, in step with the example's graph: the same
// nodes and edges (the layout is Graphviz's). Redraw it with
//
//	bin/awsboot graph -f examples/semaphore-cache.yaml | dot -Tsvg > docs/semaphore-cache-graph.svg
func TestREADMEGraphPicture(t *testing.T) {
	svg, err := os.ReadFile(filepath.Join("..", "..", "docs", "semaphore-cache-graph.svg"))
	if err != nil {
		t.Fatal(err)
	}
	var drawn []string
	for _, m := range regexp.MustCompile(`class="(node|edge)">\n<title>([^<]*)</title>`).FindAllStringSubmatch(string(svg), -1) {
		drawn = append(drawn, m[1]+" "+html.UnescapeString(m[2]))
	}
	s, err := provision.LoadSpec(filepath.Join("..", "..", "examples", "semaphore-cache.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := provision.Offline(s, provision.BuildOptions{Files: consumers.AWSFiles{Config: filepath.Join(dir, "config"), Credentials: filepath.Join(dir, "credentials")}})
	if err != nil {
		t.Fatal(err)
	}
	g := newResourceGraph(st.Graph, nil)
	var want []string
	for _, n := range g.Nodes {
		want = append(want, "node "+n.Address)
	}
	for _, e := range g.Edges {
		want = append(want, "edge "+e.From+"->"+e.To)
	}
	sort.Strings(drawn)
	sort.Strings(want)
	if diff := cmp.Diff(want, drawn); diff != "" {
		t.Errorf("docs/semaphore-cache-graph.svg is not the example's graph (-graph +picture):\n%s", diff)
	}
}
