// Package versitytest starts and stops a Versity S3 Gateway
// (github.com/versity/versitygw, Apache-2.0) for awsboot's tests against a
// real S3-compatible server that checks SigV4 and enforces IAM: one
// process serves IAM and STS, another S3 over a POSIX directory, both on
// free 127.0.0.1 ports. `make versitygw` installs the pinned version into
// the user's cache; tests skip, saying why, only when it is not there.
package versitytest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Version is the pinned gateway release.
const Version = "v1.8.0"

// Root credentials of a test gateway.
const (
	RootAccessKey = "awsbootroot"
	RootSecretKey = "awsboot-root-secret-for-tests"
)

// Binary returns the gateway binary: $AWSBOOT_VERSITYGW, else the copy
// `make versitygw` caches under the user cache directory.
func Binary() (string, error) {
	p := os.Getenv("AWSBOOT_VERSITYGW")
	if p == "" {
		p = CachePath()
	}
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("versitygw %s is not installed at %s: run `make versitygw` (go install github.com/versity/versitygw/cmd/versitygw@%s)", Version, p, Version)
	}
	return p, nil
}

// CachePath is where `make versitygw` installs the binary.
func CachePath() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "awsboot", "versitygw-"+Version, "versitygw")
}

// Gateway is a running pair of gateway processes.
type Gateway struct {
	S3URL  string
	IAMURL string
	dir    string
	procs  []*exec.Cmd
	exited []chan struct{}
}

// Start launches the IAM service and the S3 gateway in a fresh directory.
func Start() (*Gateway, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "awsboot-versitygw-")
	if err != nil {
		return nil, err
	}
	g := &Gateway{dir: dir}
	for _, d := range []string{"iam", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	sock := filepath.Join(dir, "iam.sock")
	iamPort, err := freePort()
	if err != nil {
		return nil, err
	}
	s3Port, err := freePort()
	if err != nil {
		return nil, err
	}
	g.IAMURL = "http://127.0.0.1:" + strconv.Itoa(iamPort)
	g.S3URL = "http://127.0.0.1:" + strconv.Itoa(s3Port)
	root := []string{"--access", RootAccessKey, "--secret", RootSecretKey}
	if err := g.spawn(bin, "iam.log", append([]string{"--port", "127.0.0.1:" + strconv.Itoa(iamPort)}, append(root,
		"iam", "--dir", filepath.Join(dir, "iam"), "--private-ports", sock, "--disable-oidc-thumbprint-autofetch", "--quiet")...)...); err != nil {
		g.Stop()
		return nil, err
	}
	if err := g.waitFor(func() bool { _, err := os.Stat(sock); return err == nil }, "the IAM service's socket"); err != nil {
		g.Stop()
		return nil, err
	}
	if err := g.spawn(bin, "s3.log", append([]string{"--port", "127.0.0.1:" + strconv.Itoa(s3Port)}, append(root,
		"--iam-standalone-endpoint", sock, "posix", filepath.Join(dir, "data"))...)...); err != nil {
		g.Stop()
		return nil, err
	}
	for _, u := range []string{g.IAMURL, g.S3URL} {
		if err := g.waitFor(func() bool {
			// A TCP connection is enough: the gateway answers / with a
			// redirect elsewhere.
			c, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "http://"), time.Second)
			if err == nil {
				c.Close()
			}
			return err == nil
		}, u); err != nil {
			g.Stop()
			return nil, err
		}
	}
	return g, nil
}

func (g *Gateway) spawn(bin, log string, args ...string) error {
	f, err := os.Create(filepath.Join(g.dir, log))
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	// Pdeathsig: if the test binary dies (a panic skips deferred Stops),
	// the server goes with it instead of lingering.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting versitygw: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	g.procs = append(g.procs, cmd)
	g.exited = append(g.exited, done)
	return nil
}

func (g *Gateway) waitFor(ready func() bool, what string) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for i, done := range g.exited {
			select {
			case <-done:
				return fmt.Errorf("versitygw exited while waiting for %s (logs in %s): %w", what, g.dir, errors.New(g.procs[i].String()))
			default:
			}
		}
		if ready() {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("versitygw: %s not ready within 20s (logs in %s)", what, g.dir)
}

// Stop kills both processes by PID and removes the directory.
func (g *Gateway) Stop() {
	for i, cmd := range g.procs {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-g.exited[i]:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-g.exited[i]
		}
	}
	os.RemoveAll(g.dir)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
