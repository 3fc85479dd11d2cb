package engine

import (
	"fmt"
	"sort"
	"strings"
)

// Graph is the set of resources a spec needs with their dependencies,
// validated to be acyclic and complete.
type Graph struct {
	byAddr map[Address]Resource
	order  []Address // topological, ties broken by listing order
}

// NewGraph validates the resources (unique addresses, known dependencies,
// no cycles) and sorts them so each comes after what it depends on.
func NewGraph(resources ...Resource) (*Graph, error) {
	g := &Graph{byAddr: map[Address]Resource{}}
	index := map[Address]int{}
	for i, r := range resources {
		index[r.Addr()] = i
		if _, dup := g.byAddr[r.Addr()]; dup {
			return nil, fmt.Errorf("building graph: duplicate resource %s", r.Addr())
		}
		g.byAddr[r.Addr()] = r
	}
	for _, r := range resources {
		for _, d := range r.DependsOn() {
			if _, ok := g.byAddr[d]; !ok {
				return nil, fmt.Errorf("building graph: %s depends on unknown %s", r.Addr(), d)
			}
		}
	}
	// Kahn's algorithm; always taking the ready resource listed first keeps
	// the order (and so the plan output) deterministic and in the order
	// the builder lists resources, which follows the spec and the guides.
	indeg := map[Address]int{}
	dependents := map[Address][]Address{}
	for a, r := range g.byAddr {
		indeg[a] += 0
		for _, d := range r.DependsOn() {
			indeg[a]++
			dependents[d] = append(dependents[d], a)
		}
	}
	var ready []Address
	for a, n := range indeg {
		if n == 0 {
			ready = append(ready, a)
		}
	}
	for len(ready) > 0 {
		sort.Slice(ready, func(i, j int) bool { return index[ready[i]] < index[ready[j]] })
		a := ready[0]
		ready = ready[1:]
		g.order = append(g.order, a)
		for _, d := range dependents[a] {
			indeg[d]--
			if indeg[d] == 0 {
				ready = append(ready, d)
			}
		}
	}
	if len(g.order) != len(g.byAddr) {
		var cyc []string
		for a, n := range indeg {
			if n > 0 {
				cyc = append(cyc, string(a))
			}
		}
		sort.Strings(cyc)
		return nil, fmt.Errorf("building graph: dependency cycle among %s", strings.Join(cyc, ", "))
	}
	return g, nil
}

// Resources returns the resources in dependency order.
func (g *Graph) Resources() []Resource {
	out := make([]Resource, len(g.order))
	for i, a := range g.order {
		out[i] = g.byAddr[a]
	}
	return out
}

// Edge is one dependency of a Graph: From depends on To, so To's change
// finishes first in apply and From is deleted first in teardown. It is
// the direction of Terraform's graph command: from a resource to what it
// depends on.
type Edge struct {
	From, To Address
}

// Edges returns every dependency of the graph once, sorted by From, then
// To.
func (g *Graph) Edges() []Edge {
	seen := map[Edge]bool{}
	var out []Edge
	for _, a := range g.order {
		for _, d := range g.byAddr[a].DependsOn() {
			e := Edge{From: a, To: d}
			if !seen[e] {
				seen[e] = true
				out = append(out, e)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].To < out[j].To
	})
	return out
}

// dependents returns, for each address, the addresses that depend on it:
// the edges teardown follows, so dependents are deleted first.
func (g *Graph) dependents() map[Address][]Address {
	out := map[Address][]Address{}
	for _, a := range g.order {
		for _, d := range g.byAddr[a].DependsOn() {
			out[d] = append(out[d], a)
		}
	}
	return out
}
