package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awsboot/awsboot/provision/mototest"
)

// keyRefuser is a proxy in front of moto that answers STS
// GetCallerIdentity signed with any key but the admin's ("testing") with
// InvalidClientTokenId, as STS answers while a new key has not reached
// it yet (moto accepts a new key at once). It counts the refusals.
type keyRefuser struct {
	mu       sync.Mutex
	refuse   bool
	refused  int
	firstRef chan struct{}
	upstream *httputil.ReverseProxy
}

func (k *keyRefuser) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	k.mu.Lock()
	refuse := k.refuse && strings.Contains(string(body), "Action=GetCallerIdentity") &&
		!strings.Contains(r.Header.Get("Authorization"), "Credential=testing/")
	if refuse {
		if k.refused++; k.refused == 1 {
			close(k.firstRef)
		}
	}
	k.mu.Unlock()
	if refuse {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidClientTokenId</Code><Message>The security token included in the request is invalid.</Message></Error></ErrorResponse>`)
		return
	}
	k.upstream.ServeHTTP(w, r)
}

// TestCtrlCDuringKeyWait: a new key that STS does not accept yet keeps
// bootstrap waiting; Ctrl-C (SIGINT) then stops it at once with exit 130
// and the "run the same command again" message, and the next run
// finishes the job with exactly one key, whose secret is in the file.
// The only bound is the test's own deadline, far below the key wait's 2
// minutes: the run must not wait for the wait to end.
func TestCtrlCDuringKeyWait(t *testing.T) {
	if os.Getenv("AWSBOOT_SKIP_MOTO") != "" {
		t.Skip("AWSBOOT_SKIP_MOTO is set: skipping a test against the emulator")
	}
	bin := buildAwsboot(t)
	srv, err := mototest.Start(mototest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	target, _ := url.Parse(srv.URL)
	ref := &keyRefuser{refuse: true, firstRef: make(chan struct{}), upstream: httputil.NewSingleHostReverseProxy(target)}
	px := &http.Server{Handler: ref, ReadHeaderTimeout: 10 * time.Second}
	ln, err := listenLocal()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = px.Serve(ln) }()
	t.Cleanup(func() { _ = px.Close() })

	home := t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "semaphore-cache.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "spec.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	command := func(args ...string) (*exec.Cmd, *strings.Builder) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = home
		cmd.Env = childEnv(home, "http://"+ln.Addr().String(), "AWS_CA_BUNDLE=")
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		return cmd, out
	}

	cmd, out := command("bootstrap", "-f", "spec.yaml", "--auto-approve")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-ref.firstRef:
	case err := <-exited:
		t.Fatalf("bootstrap ended (%v) before its key was checked:\n%s", err, out)
	case <-time.After(2 * time.Minute):
		t.Fatalf("the new key was never checked:\n%s", out)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("bootstrap went on waiting for the key after Ctrl-C:\n%s", out)
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted || !strings.Contains(out.String(), "Run the same command again") {
		t.Fatalf("Ctrl-C during the key wait: exit %d, want %d and the rerun message:\n%s", code, exitInterrupted, out)
	}

	ref.mu.Lock()
	ref.refuse = false
	ref.mu.Unlock()
	cmd, out = command("bootstrap", "-f", "spec.yaml", "--auto-approve")
	if err := cmd.Run(); err != nil {
		t.Fatalf("the rerun: %v\n%s", err, out)
	}
	cmd, out = command("plan", "-f", "spec.yaml", "--detailed-exitcode")
	if err := cmd.Run(); err != nil {
		t.Fatalf("plan after the rerun is not clean: %v\n%s", err, out)
	}
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithBaseEndpoint(srv.URL),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := iam.NewFromConfig(cfg).ListAccessKeys(context.Background(), &iam.ListAccessKeysInput{UserName: aws.String("semaphore")})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.AccessKeyMetadata) != 1 {
		t.Errorf("user has %d access keys after the interrupted run and its rerun, want 1", len(keys.AccessKeyMetadata))
	}
}

func listenLocal() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
