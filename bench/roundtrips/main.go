// Command roundtrips measures how many AWS round trips awsboot's
// commands cost and how close their wall time comes to what the round
// trips allow. It is the second half of `make bench`; bench/README.md
// says what it measures and how.
//
// It builds bin/awsboot, starts moto on a free loopback port and a
// latency-injecting proxy in front of it (every request held for
// -delay, default 100 ms, before it is forwarded), then runs
// `bootstrap --auto-approve`, `plan` and `teardown --auto-approve`
// through the proxy for generated specs with 1, 10 and 50 access entries
// and for examples/semaphore-cache.yaml, resetting moto before every
// repetition, and prints per command the requests, the measured
// dependent chain, the median wall time, the lower bound and their
// ratio, then the operations each command made. Last it times the
// Semaphore example's bootstrap against bench/guide-semaphore-cache.sh,
// the aws CLI commands of the Semaphore guide.
//
// Usage, from the repository root:
//
//	go run ./bench/roundtrips [-reps 5] [-delay 100ms] [-sizes 1,10,50] [-log proxy.log]
//	go run ./bench/roundtrips proxy -target http://127.0.0.1:5000 [-delay 100ms] [-listen 127.0.0.1:0]
//
// BENCH_REPS, BENCH_SIZES and BENCH_DELAY set the defaults of -reps,
// -sizes and -delay (BENCH_REPS=1 for a quick run). The second form runs
// only the proxy, logging each request to stderr, until interrupted.
//
// It never talks to AWS: every command gets --endpoint-url (the proxy or
// moto), fake credentials, and a temporary HOME, AWS_CONFIG_FILE,
// AWS_SHARED_CREDENTIALS_FILE and XDG_CACHE_HOME; every AWS_* variable
// of its own environment is dropped first (AWS_CA_BUNDLE would break
// plain http to moto).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "proxy" {
		os.Exit(proxyMain(os.Args[2:]))
	}
	os.Exit(benchMain(os.Args[1:]))
}

// proxyMain runs the proxy alone, for a look at any client's round trips.
func proxyMain(args []string) int {
	fs := flag.NewFlagSet("roundtrips proxy", flag.ContinueOnError)
	target := fs.String("target", "", "URL to forward every request to (a local emulator, e.g. moto)")
	delay := fs.Duration("delay", 100*time.Millisecond, "how long each request is held before it is forwarded")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *target == "" {
		fmt.Fprintln(os.Stderr, "roundtrips proxy: -target is required")
		return 2
	}
	p, err := listenProxy(*listen, *target, *delay, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "roundtrips proxy:", err)
		return 1
	}
	fmt.Println(p.URL)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	_ = p.Close()
	return 0
}

// options are the driver's flags.
type options struct {
	reps     int
	delay    time.Duration
	sizes    []int
	awsboot  string
	build    bool
	guide    string
	guideVia []string
	logPath  string
	example  string
}

func benchMain(args []string) int {
	fs := flag.NewFlagSet("roundtrips", flag.ContinueOnError)
	var o options
	fs.IntVar(&o.reps, "reps", envInt("BENCH_REPS", 5), "repetitions of each measurement; medians are printed (env BENCH_REPS)")
	fs.DurationVar(&o.delay, "delay", envDuration("BENCH_DELAY", 100*time.Millisecond), "latency the proxy adds to every request (env BENCH_DELAY)")
	sizes := fs.String("sizes", envString("BENCH_SIZES", "1,10,50"), "numbers of access entries of the generated specs (env BENCH_SIZES)")
	fs.StringVar(&o.awsboot, "awsboot", "bin/awsboot", "the awsboot binary")
	fs.BoolVar(&o.build, "build", true, "build the binary first (go build -o <awsboot> ./cmd/awsboot)")
	fs.StringVar(&o.guide, "guide", "bench/guide-semaphore-cache.sh", "the script of the Semaphore guide's aws CLI commands (\"\": skip the comparison)")
	via := fs.String("guide-via", "proxy,direct", "how the comparison reaches moto: proxy, direct or both")
	fs.StringVar(&o.logPath, "log", "", "keep the proxy's log in this file")
	fs.StringVar(&o.example, "example", "examples/semaphore-cache.yaml", "the example spec measured besides the generated ones")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	if o.sizes, err = parseSizes(*sizes); err != nil || o.reps < 1 {
		fmt.Fprintf(os.Stderr, "roundtrips: bad -sizes %q or -reps %d\n", *sizes, o.reps)
		return 2
	}
	for _, v := range strings.Split(*via, ",") {
		if v = strings.TrimSpace(v); v != "proxy" && v != "direct" {
			fmt.Fprintf(os.Stderr, "roundtrips: -guide-via takes proxy and/or direct, not %q\n", v)
			return 2
		}
		o.guideVia = append(o.guideVia, strings.TrimSpace(v))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "roundtrips:", err)
		return 1
	}
	return 0
}

func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("bad size %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func envString(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}
