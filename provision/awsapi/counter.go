package awsapi

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/aws/smithy-go/middleware"
)

// CallCounter counts API calls by "Service.Operation". It is how awsboot
// proves (and tests assert) that a converged run makes no mutating call.
type CallCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// NewCallCounter returns an empty counter.
func NewCallCounter() *CallCounter { return &CallCounter{counts: map[string]int{}} }

func (c *CallCounter) install(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("awsbootCallCounter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c.Add(middleware.GetServiceID(ctx) + "." + middleware.GetOperationName(ctx))
			return next.HandleInitialize(ctx, in)
		}), middleware.After)
}

// Add counts one call of op.
func (c *CallCounter) Add(op string) {
	c.mu.Lock()
	c.counts[op]++
	c.mu.Unlock()
}

// Counts returns a copy of the counts.
func (c *CallCounter) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// Mutating returns the counts of operations that change something: every
// operation that is not a Get, List, Head or Describe.
func (c *CallCounter) Mutating() map[string]int {
	out := map[string]int{}
	for op, n := range c.Counts() {
		if IsMutating(op) {
			out[op] = n
		}
	}
	return out
}

// IsMutating reports whether "Service.Operation" changes state.
func IsMutating(op string) bool {
	name := op[strings.LastIndex(op, ".")+1:]
	for _, p := range []string{"Get", "List", "Head", "Describe"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	return true
}

// Sorted returns the operations in name order with their counts.
func (c *CallCounter) Sorted() []OpCount {
	var out []OpCount
	for op, n := range c.Counts() {
		out = append(out, OpCount{Op: op, Count: n, Mutating: IsMutating(op)})
	}
	slices.SortFunc(out, func(a, b OpCount) int { return strings.Compare(a.Op, b.Op) })
	return out
}

// OpCount is one line of the call statistics.
type OpCount struct {
	Op       string `json:"operation"`
	Count    int    `json:"count"`
	Mutating bool   `json:"mutating"`
}
