// Package faultproxy is a reverse proxy for tests that injects the faults
// real AWS endpoints show (500 InternalError, 503 SlowDown, IAM
// Throttling, connection resets, delays) in front of an emulator, either
// before the request reaches it or after it acted (the reply is lost).
// Faults are chosen by rules or at random from a seed, so a failing run
// can be repeated exactly. It only ever talks to the upstream it is given
// (a loopback emulator) and stops with the test.
package faultproxy

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Fault is one kind of failure.
type Fault int

// The faults.
const (
	// InternalError is HTTP 500 with an AWS error body (retried by the
	// SDK).
	InternalError Fault = iota
	// SlowDown is S3's HTTP 503 SlowDown (retried).
	SlowDown
	// Throttling is IAM's HTTP 400 Throttling (retried).
	Throttling
	// Reset closes the connection without an answer (retried).
	Reset
	// Delay answers normally, late (Options.Delay).
	Delay
)

func (f Fault) String() string {
	return [...]string{"InternalError", "SlowDown", "Throttling", "Reset", "Delay"}[f]
}

// Rule injects Fault into the next Times requests of operation Op (as Op
// names it: "iam:CreateAccessKey", "s3:PUT ?tagging"). With After, the
// request reaches the upstream first and its answer is replaced: the
// upstream acted, the client does not know.
type Rule struct {
	Op    string
	Fault Fault
	After bool
	Times int
}

// Options configure random faults: each request gets one with
// probability Rate, drawn from Faults (all but Delay when empty), before
// or after the upstream acted with equal chance. The draw is a hash of
// Seed, the request's content (method, path, query, body; not its
// signature) and how many times that same request was seen, so a run
// repeats exactly whatever order concurrent requests arrive in, and a
// retried request gets a fresh draw.
type Options struct {
	Rate   float64
	Seed   int64
	Faults []Fault
	// Delay is how long a Delay fault waits (default 50 ms).
	Delay time.Duration
	// Ops, when set, limits random faults to these operations.
	Ops []string
	// Before, when set, is called with each request's number (from 1,
	// see Reset) and operation before it is forwarded; false drops the
	// request (the connection closes unanswered). After is called once
	// the upstream answered, before the answer is passed on. The crash
	// test kills the client from them.
	Before func(n int, op string) bool
	After  func(n int, op string)
}

// Proxy is a running fault proxy.
type Proxy struct {
	// URL is the proxy's address, to use as the endpoint.
	URL string

	srv      *http.Server
	upstream *httputil.ReverseProxy
	target   *url.URL
	opts     Options

	mu       sync.Mutex
	count    int
	seen     map[[32]byte]int
	rules    []*Rule
	injected []string
}

// Start serves a proxy for upstream on a free loopback port.
func Start(upstream string, opts Options) (*Proxy, error) {
	target, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	if opts.Delay == 0 {
		opts.Delay = 50 * time.Millisecond
	}
	if len(opts.Faults) == 0 {
		opts.Faults = []Fault{InternalError, SlowDown, Throttling, Reset}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), target: target, opts: opts, seen: map[[32]byte]int{},
		upstream: httputil.NewSingleHostReverseProxy(target)}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Stop closes the proxy.
func (p *Proxy) Stop() { _ = p.srv.Close() }

// Add queues a rule; rules go before random faults.
func (p *Proxy) Add(r Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rc := r
	p.rules = append(p.rules, &rc)
}

// Count is how many requests arrived since the start or the last
// ResetCount.
func (p *Proxy) Count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.count
}

// ResetCount starts the request numbering again.
func (p *Proxy) ResetCount() {
	p.mu.Lock()
	p.count = 0
	p.mu.Unlock()
}

// Clear drops every rule not used up yet.
func (p *Proxy) Clear() {
	p.mu.Lock()
	p.rules = nil
	p.mu.Unlock()
}

// SetRate changes the random fault rate (0 turns random faults off).
func (p *Proxy) SetRate(rate float64) {
	p.mu.Lock()
	p.opts.Rate = rate
	p.mu.Unlock()
}

// Injected lists the faults injected so far, as "op fault[ after]".
func (p *Proxy) Injected() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.injected...)
}

// Op names a request's operation: "<service>:<Action>" for the query
// protocols (IAM, STS), "s3:<METHOD> <?subresource>" for S3's REST API.
func Op(r *http.Request, body []byte) string {
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			svc := "iam"
			if strings.Contains(r.Header.Get("Authorization"), "/sts/") {
				svc = "sts"
			}
			return svc + ":" + v.Get("Action")
		}
	}
	sub := ""
	for k := range r.URL.Query() {
		if k != "x-id" && !strings.HasPrefix(k, "X-Amz-") && (sub == "" || k < sub) {
			sub = k
		}
	}
	if sub != "" {
		sub = " ?" + sub
	}
	return "s3:" + r.Method + sub
}

// fault picks the fault for one request, if any.
func (p *Proxy) fault(op string, r *http.Request, body []byte) (Fault, bool, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, rule := range p.rules {
		if rule.Times > 0 && rule.Op == op {
			rule.Times--
			p.injected = append(p.injected, injection(op, rule.Fault, rule.After))
			return rule.Fault, rule.After, true
		}
	}
	if p.opts.Rate <= 0 || len(p.opts.Ops) > 0 && !slices.Contains(p.opts.Ops, op) {
		return 0, false, false
	}
	content := sha256.Sum256([]byte(r.Method + " " + r.URL.RequestURI() + "\n" + string(body)))
	n := p.seen[content]
	p.seen[content] = n + 1
	draw := sha256.Sum256(fmt.Appendf(nil, "%d/%x/%d", p.opts.Seed, content, n))
	rng := rand.New(rand.NewSource(int64(binary.BigEndian.Uint64(draw[:8]))))
	if rng.Float64() >= p.opts.Rate {
		return 0, false, false
	}
	f := p.opts.Faults[rng.Intn(len(p.opts.Faults))]
	after := rng.Intn(2) == 1
	p.injected = append(p.injected, injection(op, f, after))
	return f, after, true
}

func injection(op string, f Fault, after bool) string {
	s := op + " " + f.String()
	if after {
		s += " after"
	}
	return s
}

// ServeHTTP forwards the request, injecting a fault when one is due.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := Op(r, body)
	p.mu.Lock()
	p.count++
	n := p.count
	p.mu.Unlock()
	if p.opts.Before != nil && !p.opts.Before(n, op) {
		reset(w)
		return
	}
	if p.opts.After != nil {
		rec := &recorder{header: http.Header{}}
		p.upstream.ServeHTTP(rec, r)
		p.opts.After(n, op)
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body.Bytes())
		return
	}
	f, after, ok := p.fault(op, r, body)
	if !ok {
		p.upstream.ServeHTTP(w, r)
		return
	}
	if f == Delay {
		time.Sleep(p.opts.Delay)
		p.upstream.ServeHTTP(w, r)
		return
	}
	if after {
		// Let the upstream act, then lose its answer.
		rec := &discard{header: http.Header{}}
		p.upstream.ServeHTTP(rec, r)
	}
	switch f {
	case Reset:
		reset(w)
	case SlowDown:
		writeError(w, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.", false)
	case Throttling:
		writeError(w, http.StatusBadRequest, "Throttling", "Rate exceeded", !strings.HasPrefix(op, "s3:"))
	default:
		writeError(w, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.", !strings.HasPrefix(op, "s3:"))
	}
}

// reset closes the client's connection without an answer.
func reset(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = conn.Close()
			return
		}
	}
	http.Error(w, "reset", http.StatusInternalServerError)
}

// recorder keeps the upstream's answer until After has run.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(s int) { r.status = s }

// writeError answers with an AWS error body: S3's <Error> or the query
// protocols' <ErrorResponse>.
func writeError(w http.ResponseWriter, status int, code, msg string, query bool) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	if query {
		fmt.Fprintf(w, `<ErrorResponse><Error><Type>Receiver</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>faultproxy</RequestId></ErrorResponse>`, code, msg)
		return
	}
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>faultproxy</RequestId></Error>`, code, msg)
}

// discard is a ResponseWriter that drops the upstream's answer.
type discard struct{ header http.Header }

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) Write(b []byte) (int, error) { return len(b), nil }
func (d *discard) WriteHeader(int)             {}
