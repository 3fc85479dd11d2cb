package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/awsboot/awsboot/provision/engine"
)

// stillInterval is how often a change that runs on without reporting
// gets a "Still creating... [10s elapsed]" line, as Terraform prints.
const stillInterval = 10 * time.Second

// statusInterval is how often the live status line is redrawn on a
// terminal.
const statusInterval = time.Second

// progress shows an apply as it runs, implementing engine.ProgressHook:
// Terraform's lines per change with durations, the changes' own reports
// (a key's wait, a bucket being emptied), "Still ..." lines for long
// changes, and on a terminal a live status line under them. With JSON it
// writes one event per line instead (Terraform's machine-readable UI
// types: apply_start, apply_progress, apply_complete, apply_errored).
type progress struct {
	w    io.Writer
	live bool // w is a terminal: keep a status line at the bottom
	json bool
	now  func() time.Time

	mu      sync.Mutex
	total   int
	done    int
	running map[engine.Address]*running
	status  string // the status line on screen, "" when none
	stop    chan struct{}
	stopped chan struct{}
}

type running struct {
	action  engine.Action
	start   time.Time
	lastOut time.Time
	last    string
}

// newProgress starts a progress display for a plan of total changes; call
// close when the apply ends. Ticks come from a real ticker unless tick is
// given (tests drive it by hand).
func newProgress(w io.Writer, live, jsonOut bool, total int, now func() time.Time, tick <-chan time.Time) *progress {
	if now == nil {
		now = time.Now
	}
	p := &progress{w: w, live: live && !jsonOut, json: jsonOut, now: now, total: total,
		running: map[engine.Address]*running{}, stop: make(chan struct{}), stopped: make(chan struct{})}
	var ticker *time.Ticker
	if tick == nil {
		ticker = time.NewTicker(statusInterval)
		tick = ticker.C
	}
	go func() {
		defer close(p.stopped)
		if ticker != nil {
			defer ticker.Stop()
		}
		for {
			select {
			case <-p.stop:
				return
			case <-tick:
				p.tick()
			}
		}
	}()
	return p
}

// close stops the ticker and clears the status line.
func (p *progress) close() {
	close(p.stop)
	<-p.stopped
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearStatus()
}

var (
	doing = map[engine.Action]string{engine.Create: "Creating", engine.Update: "Modifying", engine.Delete: "Destroying"}
	still = map[engine.Action]string{engine.Create: "creating", engine.Update: "modifying", engine.Delete: "destroying"}
	done  = map[engine.Action]string{engine.Create: "Creation", engine.Update: "Modifications", engine.Delete: "Destruction"}
	verbs = map[engine.Action]string{engine.Create: "create", engine.Update: "update", engine.Delete: "delete"}
)

// PreApply prints "addr: Creating...".
func (p *progress) PreApply(c engine.Change) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	p.running[c.Addr] = &running{action: c.Action, start: t, lastOut: t}
	if p.json {
		p.event("apply_start", c.Addr, c.Action, map[string]any{})
		return
	}
	p.line(fmt.Sprintf("%s: %s...", c.Addr, doing[c.Action]))
}

// PostApply prints "addr: Creation complete after 0.3s", or the failure.
func (p *progress) PostApply(c engine.Change, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.running[c.Addr]
	delete(p.running, c.Addr)
	p.done++
	elapsed := time.Duration(0)
	if r != nil {
		elapsed = p.now().Sub(r.start)
	}
	if p.json {
		if err != nil {
			// Errors name resources, files and AWS codes, never a secret
			// (engine.Secret does not format).
			p.event("apply_errored", c.Addr, c.Action, map[string]any{"elapsed_seconds": elapsed.Seconds(), "error": err.Error()})
		} else {
			p.event("apply_complete", c.Addr, c.Action, map[string]any{"elapsed_seconds": elapsed.Seconds()})
		}
		return
	}
	if err != nil {
		p.line(fmt.Sprintf("%s: %s failed after %s", c.Addr, done[c.Action], seconds(elapsed)))
		return
	}
	p.line(fmt.Sprintf("%s: %s complete after %s", c.Addr, done[c.Action], seconds(elapsed)))
}

// Progress prints what a running change reported ("addr: msg").
func (p *progress) Progress(addr engine.Address, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.running[addr]
	if r != nil {
		r.lastOut, r.last = p.now(), msg
	}
	if p.json {
		action := engine.NoOp
		if r != nil {
			action = r.action
		}
		p.event("apply_progress", addr, action, map[string]any{"message": msg})
		return
	}
	p.line(fmt.Sprintf("%s: %s", addr, msg))
}

// tick prints "Still creating..." for changes silent for stillInterval
// and redraws the status line.
func (p *progress) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	for _, a := range p.sortedRunning() {
		r := p.running[a]
		if t.Sub(r.lastOut) < stillInterval {
			continue
		}
		r.lastOut = t
		elapsed := t.Sub(r.start).Truncate(time.Second)
		if p.json {
			p.event("apply_progress", a, r.action, map[string]any{"elapsed_seconds": elapsed.Seconds()})
			continue
		}
		p.line(fmt.Sprintf("%s: Still %s... [%s elapsed]", a, still[r.action], elapsed))
	}
	if p.live {
		p.drawStatus()
	}
}

func (p *progress) sortedRunning() []engine.Address {
	addrs := make([]engine.Address, 0, len(p.running))
	for a := range p.running {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i] < addrs[j] })
	return addrs
}

// line prints one line above the status line.
func (p *progress) line(s string) {
	p.clearStatus()
	fmt.Fprintln(p.w, s)
	if p.live {
		p.drawStatus()
	}
}

func (p *progress) clearStatus() {
	if p.status != "" {
		fmt.Fprint(p.w, "\r\033[K")
		p.status = ""
	}
}

// drawStatus shows how far the apply is and what the oldest running
// change is doing, on one line without a newline.
func (p *progress) drawStatus() {
	p.clearStatus()
	if len(p.running) == 0 {
		return
	}
	t := p.now()
	var oldest engine.Address
	for _, a := range p.sortedRunning() {
		if oldest == "" || p.running[a].start.Before(p.running[oldest].start) {
			oldest = a
		}
	}
	r := p.running[oldest]
	what := strings.ToLower(doing[r.action])
	if r.last != "" {
		what = r.last
	}
	p.status = fmt.Sprintf("%d of %d done, %d running · %s: %s [%s]", p.done, p.total, len(p.running), oldest, what, t.Sub(r.start).Truncate(time.Second))
	fmt.Fprint(p.w, p.status)
}

func (p *progress) event(typ string, addr engine.Address, action engine.Action, fields map[string]any) {
	fields["type"] = typ
	fields["address"] = addr
	if v, ok := verbs[action]; ok {
		fields["action"] = v
	}
	_ = writeEvent(p.w, fields)
}

// seconds formats a duration as Terraform's lines do, to a tenth of a
// second below a minute: 0.3s, 12.0s, 1m5s.
func seconds(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Truncate(time.Second).String()
}

// renderPlanEvents writes a plan as JSON lines for bootstrap --json and
// teardown --json: one planned_change per change that does something,
// then a change_summary (Terraform's machine-readable UI types). Sensitive
// values are blanked as in ToJSON.
func renderPlanEvents(w io.Writer, p *engine.Plan) {
	plan := ToJSON(p, nil)
	for _, c := range plan.Changes {
		if c.Action == engine.NoOp.String() {
			continue
		}
		_ = writeEvent(w, map[string]any{"type": "planned_change", "change": c})
	}
	_ = writeEvent(w, map[string]any{"type": "change_summary", "operation": p.Mode.String(), "summary": plan.Summary})
}

// writeEvent writes one JSON object on one line.
func writeEvent(w io.Writer, ev map[string]any) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(b))
	return err
}

// readingLine is plan's "Reading..." status line on a terminal: redrawn
// in place as resources are read, cleared before the plan is printed.
type readingLine struct {
	mu    sync.Mutex
	w     io.Writer
	shown bool
}

func (r *readingLine) update(read, total int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, "\r\033[KReading... %d of %d resources", read, total)
	r.shown = true
}

func (r *readingLine) clear() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.shown {
		fmt.Fprint(r.w, "\r\033[K")
		r.shown = false
	}
}
