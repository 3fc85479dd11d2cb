package provision

import (
	"os"
	"testing"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
)

// BenchmarkPlanConverged measures a plan of the example stack once it has
// converged: the run every CI job would make. It reports the AWS calls one
// plan makes (calls/op) next to time and memory, since calls, not CPU,
// dominate real latency against AWS.
func BenchmarkPlanConverged(b *testing.B) {
	if moto == nil {
		b.Skip("needs moto")
	}
	e := newTestEnv(b)
	s := e.spec("semaphore-cache.yaml")
	e.apply(s, engine.ModeApply, runOpts{})
	e.reconnect()
	st, err := Build(s, e.c.Account, BuildOptions{Files: e.files})
	if err != nil {
		b.Fatal(err)
	}
	st.Connect(e.c)
	before := total(e.c.Calls)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := st.Plan(e.ctx, engine.ModeApply, engine.PlanOptions{Parallelism: 4})
		if err != nil {
			b.Fatal(err)
		}
		if p.HasChanges() {
			b.Fatal("converged stack has changes")
		}
	}
	b.ReportMetric(float64(total(e.c.Calls)-before)/float64(b.N), "calls/op")
}

func total(c *awsapi.CallCounter) int {
	n := 0
	for _, v := range c.Counts() {
		n += v
	}
	return n
}

// BenchmarkParseSpec measures loading and validating the example spec.
func BenchmarkParseSpec(b *testing.B) {
	data, err := os.ReadFile("../examples/semaphore-cache.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseSpec("semaphore-cache.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
