package main

import (
	"slices"
	"sort"
)

// Chain is the length of the longest dependent chain among reqs: the
// longest sequence of requests in which each starts after the previous
// one ended (a longest chain of the interval order). Requests that
// overlap cannot depend on each other's answer, so every request that
// waited for another's answer is on such a chain, and each link of it
// cost a full round trip: against an endpoint d away, a run takes at
// least Chain × d.
//
// Dynamic programming over the requests sorted by end: the longest chain
// ending with request i is one more than the longest chain ending with
// any request that ended no later than i started. Those requests are a
// prefix of the sorted order, so a running maximum and a binary search
// make it O(n log n).
func Chain(reqs []Request) int {
	byEnd := slices.Clone(reqs)
	slices.SortFunc(byEnd, func(a, b Request) int { return int(a.End - b.End) })
	// best[k] is the longest chain among byEnd[:k+1].
	best := make([]int, len(byEnd))
	longest := 0
	for i, q := range byEnd {
		// Requests byEnd[:j] ended by the time q started.
		j := sort.Search(i, func(k int) bool { return byEnd[k].End > q.Start })
		n := 1
		if j > 0 {
			n += best[j-1]
		}
		longest = max(longest, n)
		best[i] = longest
	}
	return longest
}
