package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awsboot/awsboot/provision/engine"
	"github.com/google/go-cmp/cmp"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a bytes.Buffer safe for the ticker's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// runProgress drives a progress display through a scripted apply: a key
// that waits 30 s (fake) reporting every 5 s, and a user created in 0.3 s.
func runProgress(t *testing.T, live, jsonOut bool) string {
	t.Helper()
	var out syncBuffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	// The ticker never fires: the test ticks by hand, in step with the
	// clock.
	p := newProgress(&out, live, jsonOut, 3, clock.now, make(chan time.Time))
	user := engine.Change{Addr: "iam_user.ci", Action: engine.Create}
	key := engine.Change{Addr: "iam_access_key.ci", Action: engine.Create}
	bucket := engine.Change{Addr: "s3_bucket.cache", Action: engine.Delete}
	p.PreApply(user)
	clock.add(300 * time.Millisecond)
	p.PostApply(user, nil)
	p.PreApply(key)
	p.PreApply(bucket)
	for s := 1; s <= 30; s++ {
		clock.add(time.Second)
		if s%5 == 0 {
			p.Progress(key.Addr, "waiting for access key AKIAEXAMPLE to work: "+(time.Duration(s)*time.Second).String()+" elapsed")
		}
		p.tick() // the ticker fires every second
	}
	p.PostApply(key, nil)
	p.PostApply(bucket, errors.New("BucketNotEmpty"))
	p.close()
	return out.String()
}

// TestProgressLines: plain output (not a terminal) has Terraform's lines
// with durations, the change's own reports at least every 5 s during a
// 30 s (simulated) key wait, "Still ..." lines for a change that says
// nothing for 10 s, and no terminal control codes.
func TestProgressLines(t *testing.T) {
	got := strings.Split(strings.TrimSuffix(runProgress(t, false, false), "\n"), "\n")
	want := []string{
		"iam_user.ci: Creating...",
		"iam_user.ci: Creation complete after 0.3s",
		"iam_access_key.ci: Creating...",
		"s3_bucket.cache: Destroying...",
		"iam_access_key.ci: waiting for access key AKIAEXAMPLE to work: 5s elapsed",
		"iam_access_key.ci: waiting for access key AKIAEXAMPLE to work: 10s elapsed",
		"s3_bucket.cache: Still destroying... [10s elapsed]",
		"iam_access_key.ci: waiting for access key AKIAEXAMPLE to work: 15s elapsed",
		"iam_access_key.ci: waiting for access key AKIAEXAMPLE to work: 20s elapsed",
		"s3_bucket.cache: Still destroying... [20s elapsed]",
		"iam_access_key.ci: waiting for access key AKIAEXAMPLE to work: 25s elapsed",
		"iam_access_key.ci: waiting for access key AKIAEXAMPLE to work: 30s elapsed",
		"s3_bucket.cache: Still destroying... [30s elapsed]",
		"iam_access_key.ci: Creation complete after 30.0s",
		"s3_bucket.cache: Destruction failed after 30.0s",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
}

// TestProgressLiveStatus: on a terminal the same lines appear, with a
// status line that is redrawn in place and cleared at the end.
func TestProgressLiveStatus(t *testing.T) {
	out := runProgress(t, true, false)
	if !strings.Contains(out, "\r\033[K") {
		t.Fatalf("no status line redrawn:\n%q", out)
	}
	if !strings.Contains(out, "1 of 3 done, 2 running · iam_access_key.ci: waiting for access key AKIAEXAMPLE to work: 5s elapsed [5s]") {
		t.Errorf("status line does not say what the oldest change waits for:\n%q", out)
	}
	if !strings.HasSuffix(out, "after 30.0s\n") {
		t.Errorf("the status line was not cleared at the end:\n%q", out[len(out)-80:])
	}
	// Without the redraws, the text is the plain output.
	plain := runProgress(t, false, false)
	stripped := out
	for strings.Contains(stripped, "\r\033[K") {
		i := strings.Index(stripped, "\r\033[K")
		j := strings.LastIndex(stripped[:i], "\n") + 1
		stripped = stripped[:j] + stripped[i+len("\r\033[K"):]
	}
	if stripped != plain {
		t.Errorf("live output without its status lines differs from plain output:\n%s\n---\n%s", stripped, plain)
	}
}

// TestProgressJSON: with --json every line is one JSON event of
// Terraform's machine-readable UI types.
func TestProgressJSON(t *testing.T) {
	out := runProgress(t, true, true)
	counts := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		counts[ev["type"].(string)]++
		if ev["type"] == "apply_errored" && ev["error"] != "BucketNotEmpty" {
			t.Errorf("apply_errored without its error: %s", l)
		}
		if ev["address"] == nil {
			t.Errorf("event without address: %s", l)
		}
	}
	want := map[string]int{"apply_start": 3, "apply_complete": 2, "apply_errored": 1, "apply_progress": 9}
	if diff := cmp.Diff(want, counts); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
