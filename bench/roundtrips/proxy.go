package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Request is one request the proxy forwarded, with times on the proxy's
// monotonic clock, relative to its start.
type Request struct {
	Start, End time.Duration // received; answer written back
	Op         string        // see Operation
	Status     int           // 0 when the upstream could not be reached
}

// Proxy is a reverse proxy that holds every request for Delay before
// forwarding it to the upstream, the way a distant AWS endpoint answers
// late. Requests are served concurrently (one goroutine each), so the
// delays of concurrent requests overlap and only dependent requests add
// up. It keeps every request it served (Since, Mark) and writes one log
// line each to its log.
type Proxy struct {
	URL   string
	Delay time.Duration

	started time.Time // its monotonic reading is the zero of every time
	srv     *http.Server
	fwd     *httputil.ReverseProxy

	mu       sync.Mutex
	log      io.Writer
	reqs     []Request
	inflight int
}

// StartProxy serves a proxy for upstream on a free loopback port. Log
// lines go to log (nil: nowhere).
func StartProxy(upstream string, delay time.Duration, log io.Writer) (*Proxy, error) {
	return listenProxy("127.0.0.1:0", upstream, delay, log)
}

func listenProxy(addr, upstream string, delay time.Duration, log io.Writer) (*Proxy, error) {
	target, err := url.Parse(upstream)
	if err != nil || target.Scheme == "" || target.Host == "" {
		return nil, fmt.Errorf("upstream %q is not an absolute URL", upstream)
	}
	if log == nil {
		log = io.Discard
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 128 // the default 2 would reconnect on every burst
	p := &Proxy{URL: "http://" + ln.Addr().String(), Delay: delay, started: time.Now(), log: log}
	p.fwd = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			// Keep the Host the client signed (SigV4 signs it). Moto does
			// not check signatures, but an upstream that did would then
			// still accept the request, and S3's virtual-hosted requests
			// keep their bucket.
			pr.Out.Host = pr.In.Host
		},
		Transport: tr,
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = p.srv.Serve(ln) }()
	fmt.Fprintf(log, "# proxy %s -> %s, delay %s; columns: start end (seconds since proxy start) status operation\n", p.URL, upstream, delay)
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() error { return p.srv.Close() }

// now is the time since the proxy started, from the monotonic clock.
func (p *Proxy) now() time.Duration { return time.Since(p.started) }

// ServeHTTP waits Delay, then forwards the request and records it.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := p.now()
	p.mu.Lock()
	p.inflight++
	p.mu.Unlock()
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		p.record(Request{Start: start, End: p.now(), Op: "(unreadable body)", Status: http.StatusBadRequest})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := Operation(r, body)
	t := time.NewTimer(p.Delay)
	select {
	case <-t.C:
	case <-r.Context().Done():
		t.Stop()
		p.record(Request{Start: start, End: p.now(), Op: op, Status: 499})
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	p.fwd.ServeHTTP(sw, r)
	p.record(Request{Start: start, End: p.now(), Op: op, Status: sw.status})
}

func (p *Proxy) record(q Request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.reqs = append(p.reqs, q)
	p.inflight--
	fmt.Fprintf(p.log, "%10.6f %10.6f %3d %s\n", q.Start.Seconds(), q.End.Seconds(), q.Status, q.Op)
}

// Mark writes a comment line to the log and returns how many requests
// were recorded so far, for Since.
func (p *Proxy) Mark(format string, args ...any) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.log, "# %10.6f "+format+"\n", append([]any{p.now().Seconds()}, args...)...)
	return len(p.reqs)
}

// Since returns the requests recorded after mark (a value of Mark), in
// the order they ended. It first waits (up to a second) for requests
// still being answered: a client may have read its last answer and
// exited before the proxy recorded it.
func (p *Proxy) Since(mark int) []Request {
	for deadline := time.Now().Add(time.Second); ; time.Sleep(time.Millisecond) {
		p.mu.Lock()
		if p.inflight == 0 || time.Now().After(deadline) {
			defer p.mu.Unlock()
			return slices.Clone(p.reqs[mark:])
		}
		p.mu.Unlock()
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

// Operation names a request's AWS operation:
//   - "<X-Amz-Target>" for the JSON protocols ("AWSCognitoIdentityService.ListPools");
//   - "<service>:<Action>" for the query protocol of IAM and STS
//     (Action= in the form body or the URL), the service taken from the
//     SigV4 credential scope ("iam:CreateUser", "sts:GetCallerIdentity");
//   - "s3:<METHOD> <path>" for S3's REST API, with the query's
//     subresource names and no values ("s3:PUT /semaphore-cache?publicAccessBlock").
func Operation(r *http.Request, body []byte) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t
	}
	action := r.URL.Query().Get("Action")
	if action == "" && strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(body)); err == nil {
			action = v.Get("Action")
		}
	}
	if action != "" {
		return scopeService(r.Header.Get("Authorization"), "query") + ":" + action
	}
	var sub []string
	for k := range r.URL.Query() {
		if k != "x-id" && !strings.HasPrefix(strings.ToLower(k), "x-amz-") {
			sub = append(sub, k)
		}
	}
	slices.Sort(sub)
	op := "s3:" + r.Method + " " + r.URL.Path
	if len(sub) > 0 {
		op += "?" + strings.Join(sub, "&")
	}
	return op
}

// scopeService is the service of a SigV4 Authorization header's
// credential scope (Credential=AKID/date/region/service/aws4_request).
func scopeService(auth, otherwise string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return otherwise
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) != 5 {
		return otherwise
	}
	return parts[3]
}
