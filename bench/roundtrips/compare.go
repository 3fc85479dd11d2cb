package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// compare times, side by side, `awsboot bootstrap` of the example and
// the guide's script, against the same moto, once through the proxy and
// once directly (o.guideVia): one warm-up of each, then o.reps
// repetitions, each on a reset moto and in a fresh HOME, alternating the
// two so that a slow moment of the machine hits both.
func (b *bench) compare(ctx context.Context, example workload) error {
	script, err := filepath.Abs(b.o.guide)
	if err != nil {
		return err
	}
	fmt.Fprintf(b.out, "Semaphore cache: awsboot bootstrap of %s vs %s (aws CLI), median of %d after a warm-up\n",
		b.o.example, b.o.guide, b.o.reps)
	fmt.Fprintf(b.out, "%-22s | %8s | %8s | %8s | %8s | %6s\n", "via", "awsboot", "requests", "guide", "requests", "ratio")
	for _, via := range b.o.guideVia {
		endpoint, label := b.proxy.URL, fmt.Sprintf("proxy (+%s/request)", b.o.delay)
		if via == "direct" {
			endpoint, label = b.moto.URL, "moto directly"
		}
		tools := []struct {
			name string
			run  func(home string) (time.Duration, error)
		}{
			{"awsboot", func(home string) (time.Duration, error) {
				return b.awsbootRun(ctx, home, "bootstrap", "-f", example.spec, "--auto-approve", "--endpoint-url", endpoint)
			}},
			{"guide", func(home string) (time.Duration, error) {
				return timed(ctx, home, "bash", script, endpoint)
			}},
		}
		walls := make([][]time.Duration, len(tools))
		reqs := make([][]int, len(tools))
		for rep := 0; rep <= b.o.reps; rep++ { // rep 0 is the warm-up
			fmt.Fprintf(os.Stderr, "comparison via %s: rep %d/%d\n", via, rep, b.o.reps)
			for i, t := range tools {
				if err := b.moto.Reset(); err != nil {
					return err
				}
				home, err := b.home(example)
				if err != nil {
					return err
				}
				mark := b.proxy.Mark("comparison via %s rep %d: %s", via, rep, t.name)
				wall, err := t.run(home)
				os.RemoveAll(home)
				if err != nil {
					return fmt.Errorf("comparison via %s: %w", via, err)
				}
				if rep > 0 {
					walls[i] = append(walls[i], wall)
					reqs[i] = append(reqs[i], len(b.proxy.Since(mark)))
				}
			}
		}
		a, g := median(walls[0]), median(walls[1])
		ra, rg := "-", "-"
		if via == "proxy" {
			ra, rg = fmt.Sprint(median(reqs[0])), fmt.Sprint(median(reqs[1]))
		}
		fmt.Fprintf(b.out, "%-22s | %7.2fs | %8s | %7.2fs | %8s | %6.2f\n", label, a.Seconds(), ra, g.Seconds(), rg, a.Seconds()/g.Seconds())
	}
	fmt.Fprintln(b.out, "ratio = awsboot / guide (below 1: awsboot is faster). Requests are counted only through the proxy.")
	return nil
}
