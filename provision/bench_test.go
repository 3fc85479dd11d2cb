package provision

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/awsboot/awsboot/provision/awsapi"
	"github.com/awsboot/awsboot/provision/engine"
	"github.com/awsboot/awsboot/provision/spec"
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

// benchEntries are the stack sizes the scaling benchmarks compare: the
// work of a plan must grow with the number of access entries, not
// faster, so ns/entry at 400 should match ns/entry at 50.
var benchEntries = []int{50, 400}

// entriesSpec writes and loads a spec with n user access entries, each
// with the cache grant and its own profile in the shared AWS files: the
// resources that all read and write the same two files.
func (e *testEnv) entriesSpec(n int) *spec.Spec {
	e.t.Helper()
	var sb strings.Builder
	sb.WriteString("version: 1\nstack: bench\nregion: us-east-1\nbucket:\n  name: bench-cache\naccess:\n")
	for i := range n {
		fmt.Fprintf(&sb, "  - name: entry-%03d\n    grant: cache\n    user: bench-%03d\n    write:\n      aws_profile: bench-%03d\n", i, i, i)
	}
	path := filepath.Join(e.dir, fmt.Sprintf("entries-%d.yaml", n))
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		e.t.Fatal(err)
	}
	s, err := LoadSpec(path)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

// bootstrapEntries resets the emulator and bootstraps a stack of n
// entries, so the plans measured after it are converged.
func bootstrapEntries(b *testing.B, n int) (*testEnv, *spec.Spec) {
	b.Helper()
	e := newTestEnv(b)
	s := e.entriesSpec(n)
	e.apply(s, engine.ModeApply, runOpts{})
	return e, s
}

// BenchmarkPlanEntries measures a converged plan of a stack with 50 and
// with 400 access entries. cpu-ns/entry (and allocs/entry, B/entry) must
// not grow with the number of entries: every resource reads the shared
// ~/.aws files, and before they were parsed once per plan a plan of 400
// entries spent most of its CPU re-parsing them. check-cpu-ns/entry is
// the part of it Stack.CheckProfiles takes, measured apart; it grew with
// the entries too until the SDK loaded each profile from its own
// sections.
func BenchmarkPlanEntries(b *testing.B) {
	if moto == nil {
		b.Skip("needs moto")
	}
	for _, n := range benchEntries {
		// The bootstrap is the setup of both sub-benchmark rounds; it is
		// done once per size, outside b.Run's repeated calls.
		e, s := bootstrapEntries(b, n)
		e.reconnect()
		st, err := Build(s, e.c.Account, BuildOptions{Files: e.files})
		if err != nil {
			b.Fatal(err)
		}
		st.Connect(e.c)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.ReportAllocs()
			var ms0, ms1 runtime.MemStats
			runtime.ReadMemStats(&ms0)
			calls0, cpu0 := total(e.c.Calls), processCPU(b)
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
			b.StopTimer()
			runtime.ReadMemStats(&ms1)
			per := float64(b.N * n)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/entry")
			b.ReportMetric(float64(processCPU(b)-cpu0)/per, "cpu-ns/entry")
			b.ReportMetric(float64(total(e.c.Calls)-calls0)/per, "calls/entry")
			b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/per, "allocs/entry")
			b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/per, "B/entry")
			// The plan's last step on its own: loading every profile
			// through the AWS SDK (profileLoader).
			cpu := processCPU(b)
			if err := st.CheckProfiles(e.ctx, e.files); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(processCPU(b)-cpu)/float64(n), "check-cpu-ns/entry")
		})
	}
}

// processCPU is the CPU time this process has used, user and system, in
// nanoseconds: unlike ns/op it leaves out the time spent waiting for the
// emulator, which runs in another process and slows down as it holds
// more users.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// BenchmarkPlanPeakRSS runs `awsboot plan` as a child process on a
// converged stack of 400 entries and reports its peak resident set size
// (peak-RSS-MiB: the most any run reached, what the CI machine must
// have). It needs GNU time (/usr/bin/time) to measure it: the rusage Go
// gets for its own child counts the memory of the parent too (Go starts
// children with CLONE_VM, and Linux carries the parent's high-water mark
// over the exec), and this process holds a whole benchmark's worth.
//
// It is skipped unless AWSBOOT_BENCH_RSS is set: to 1 it builds
// ../cmd/awsboot first, to a path it runs that binary (to compare two
// builds on the same stack).
func BenchmarkPlanPeakRSS(b *testing.B) {
	bin := os.Getenv("AWSBOOT_BENCH_RSS")
	if bin == "" {
		b.Skip("set AWSBOOT_BENCH_RSS=1 (or to an awsboot binary) to measure plan's peak RSS")
	}
	if moto == nil {
		b.Skip("needs moto")
	}
	const timeCmd = "/usr/bin/time"
	if _, err := os.Stat(timeCmd); err != nil {
		b.Skip("needs GNU time (" + timeCmd + ") to measure a child's peak RSS")
	}
	if bin == "1" {
		bin = filepath.Join(b.TempDir(), "awsboot")
		if out, err := exec.Command("go", "build", "-o", bin, "../cmd/awsboot").CombinedOutput(); err != nil {
			b.Fatalf("building awsboot: %v\n%s", err, out)
		}
	}
	const n = 400
	e, s := bootstrapEntries(b, n)
	b.ResetTimer()
	peak := 0
	for i := 0; i < b.N; i++ {
		cmd := exec.Command(timeCmd, "-f", "maxrss-KiB=%M", bin, "plan", "--detailed-exitcode", "-f", s.File, "--endpoint-url", e.endpoint)
		cmd.Env = append(os.Environ(), "AWS_CONFIG_FILE="+e.files.Config, "AWS_SHARED_CREDENTIALS_FILE="+e.files.Credentials)
		out, err := cmd.CombinedOutput()
		if err != nil {
			b.Fatalf("awsboot plan of a converged stack: %v\n%s", err, out)
		}
		_, kib, ok := strings.Cut(strings.TrimSpace(string(out)), "maxrss-KiB=")
		v, err := strconv.Atoi(kib)
		if !ok || err != nil {
			b.Fatalf("no peak RSS in the output of %s:\n%s", timeCmd, out)
		}
		peak = max(peak, v)
	}
	b.ReportMetric(float64(peak)/1024, "peak-RSS-MiB")
	b.ReportMetric(n, "entries")
}
