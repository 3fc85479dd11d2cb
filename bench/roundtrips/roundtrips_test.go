package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestChain(t *testing.T) {
	ms := time.Millisecond
	iv := func(start, end time.Duration) Request { return Request{Start: start * ms, End: end * ms} }
	tests := map[string]struct {
		reqs []Request
		want int
	}{
		"none":       {nil, 0},
		"one":        {[]Request{iv(0, 10)}, 1},
		"concurrent": {[]Request{iv(0, 10), iv(1, 11), iv(2, 12)}, 1},
		"sequence":   {[]Request{iv(20, 30), iv(0, 10), iv(10, 20)}, 3},
		// A long request overlapping a chain of short ones does not
		// shorten it, and is not on it.
		"long beside short": {[]Request{iv(0, 100), iv(0, 10), iv(11, 20), iv(21, 30), iv(101, 110)}, 4},
		// Greedy by start would take the long first request; the
		// longest chain skips it.
		"skip the early long one": {[]Request{iv(0, 50), iv(1, 5), iv(6, 10), iv(11, 15), iv(51, 60)}, 4},
		// Two waves of a bound of 2 in flight make a chain of 2.
		"waves": {[]Request{iv(0, 10), iv(0, 10), iv(10, 20), iv(10, 20)}, 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Chain(tc.reqs); got != tc.want {
				t.Errorf("Chain = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestOperation(t *testing.T) {
	const auth = "AWS4-HMAC-SHA256 Credential=testing/20261129/us-east-1/%s/aws4_request, SignedHeaders=host, Signature=0"
	tests := map[string]struct {
		method, url, target, service, body, want string
	}{
		"iam form": {method: "POST", url: "/", service: "iam", body: "Action=CreateUser&UserName=u&Version=2010-05-08",
			want: "iam:CreateUser"},
		"sts form": {method: "POST", url: "/", service: "sts", body: "Action=GetCallerIdentity&Version=2011-06-15",
			want: "sts:GetCallerIdentity"},
		"query in URL": {method: "GET", url: "/?Action=ListUsers", service: "iam", want: "iam:ListUsers"},
		"json target":  {method: "POST", url: "/", target: "AmazonSSM.GetParameter", service: "ssm", want: "AmazonSSM.GetParameter"},
		"s3 subresource": {method: "PUT", url: "/semaphore-cache?publicAccessBlock", service: "s3",
			want: "s3:PUT /semaphore-cache?publicAccessBlock"},
		"s3 subresources sorted, values and x-id dropped": {method: "GET", url: "/b?versions&max-keys=1000&x-id=ListObjectVersions",
			service: "s3", want: "s3:GET /b?max-keys&versions"},
		"s3 bucket": {method: "HEAD", url: "/b", service: "s3", want: "s3:HEAD /b"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			r.Header.Set("Authorization", strings.Replace(auth, "%s", tc.service, 1))
			if tc.body != "" {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
			}
			if tc.target != "" {
				r.Header.Set("X-Amz-Target", tc.target)
			}
			if got := Operation(r, []byte(tc.body)); got != tc.want {
				t.Errorf("Operation = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestProxy checks that the proxy delays every request, serves them
// concurrently, keeps the signed Host and the body, and records them.
func TestProxy(t *testing.T) {
	var mu sync.Mutex
	var hosts, bodies []string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hosts, bodies = append(hosts, r.Host), append(bodies, string(b))
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	defer upstream.Close()
	const delay = 50 * time.Millisecond
	var log strings.Builder
	p, err := StartProxy(upstream.URL, delay, &log) // written under the proxy's lock
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	mark := p.Mark("test")
	const n = 8
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", p.URL+"/", strings.NewReader("Action=CreateUser&UserName=u"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=k/20261129/us-east-1/iam/aws4_request, SignedHeaders=host")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if elapsed < delay || elapsed > n*delay/2 {
		t.Errorf("%d concurrent requests took %s: want at least one delay (%s) and far less than %d in a row", n, elapsed, delay, n)
	}
	reqs := p.Since(mark)
	if len(reqs) != n {
		t.Fatalf("recorded %d requests, want %d", len(reqs), n)
	}
	for _, q := range reqs {
		if q.Op != "iam:CreateUser" || q.Status != http.StatusCreated || q.End-q.Start < delay {
			t.Errorf("recorded %+v, want iam:CreateUser, 201, lasting at least %s", q, delay)
		}
	}
	if got := Chain(reqs); got != 1 {
		t.Errorf("chain of concurrent requests = %d, want 1", got)
	}
	proxyHost := strings.TrimPrefix(p.URL, "http://")
	for i := range hosts {
		if hosts[i] != proxyHost || bodies[i] != "Action=CreateUser&UserName=u" {
			t.Errorf("upstream saw Host %q body %q, want Host %q and the body sent", hosts[i], bodies[i], proxyHost)
		}
	}
	if lines := strings.Count(log.String(), "iam:CreateUser\n"); lines != n {
		t.Errorf("log has %d request lines, want %d:\n%s", lines, n, log.String())
	}
}
