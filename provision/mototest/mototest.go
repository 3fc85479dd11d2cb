// Package mototest starts and stops a local moto server (moto_server, the
// AWS API emulator) for awsboot's integration tests and demo. Tests never
// call real AWS: every client they build points at a server started here
// on a free 127.0.0.1 port.
package mototest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options tune a server.
type Options struct {
	// NoAuthActions, when > 0, starts moto with IAM enforcement: the
	// first NoAuthActions requests are let through unauthenticated (to
	// create an admin), every later request is checked against IAM
	// policies (moto's INITIAL_NO_AUTH_ACTION_COUNT). Prefer EnforceIAM
	// once the admin exists: a retried call cannot then use up the budget.
	NoAuthActions int
	// LogDir receives the server's log; "" uses a temporary directory.
	LogDir string
}

// Server is a running moto server.
type Server struct {
	URL     string
	LogPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	tmpDir  string // removed by Stop when Start made it
}

// ErrNotInstalled is returned when neither moto_server nor python3 with
// the moto module is available.
var ErrNotInstalled = errors.New("moto is not installed: run `pip install 'moto[server]'` (moto 5.x)")

// command returns the program and arguments that run moto's server.
func command() (string, []string, error) {
	if p, err := exec.LookPath("moto_server"); err == nil {
		return p, nil, nil
	}
	if p, err := exec.LookPath("python3"); err == nil {
		if exec.Command(p, "-c", "import moto.server").Run() == nil {
			return p, []string{"-m", "moto.server"}, nil
		}
	}
	return "", nil, ErrNotInstalled
}

// Start launches moto on a free loopback port and waits until it answers.
func Start(o Options) (*Server, error) {
	prog, pre, err := command()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		s, err := start(prog, pre, port, o)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func start(prog string, pre []string, port int, o Options) (*Server, error) {
	dir, tmpDir := o.LogDir, ""
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "awsboot-moto-"); err != nil {
			return nil, err
		}
		tmpDir = dir
	}
	logPath := filepath.Join(dir, fmt.Sprintf("moto-%d.log", port))
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	args := append(append([]string{}, pre...), "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd := exec.Command(prog, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "MOTO_ALLOW_NONEXISTENT_REGION=false")
	if o.NoAuthActions > 0 {
		cmd.Env = append(cmd.Env, "INITIAL_NO_AUTH_ACTION_COUNT="+strconv.Itoa(o.NoAuthActions))
	}
	// Own process group, so Stop reaches any child the launcher forks.
	// Pdeathsig: if the test binary dies (a panic skips deferred Stops),
	// the server goes with it instead of lingering.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting moto: %w", err)
	}
	exited := make(chan struct{})
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), LogPath: logPath, cmd: cmd, exited: exited, tmpDir: tmpDir}
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			if tmpDir != "" {
				os.RemoveAll(tmpDir)
			}
			return nil, fmt.Errorf("moto exited at start-up: %s", bytes.TrimSpace(log))
		default:
		}
		// A GET on the dashboard data answers once the app is serving; it
		// does not count as an action for INITIAL_NO_AUTH_ACTION_COUNT.
		resp, err := http.Get(s.URL + "/moto-api/data.json")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.Stop()
	return nil, fmt.Errorf("moto did not answer on %s within 30s (log: %s)", s.URL, logPath)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Reset wipes every resource in the server (POST /moto-api/reset). It
// does not reset the unauthenticated-action count of an enforcing server.
func (s *Server) Reset() error {
	resp, err := http.Post(s.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return fmt.Errorf("resetting moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("resetting moto: %s", resp.Status)
	}
	return nil
}

// EnforceIAM makes the server check every later request against IAM
// policies, from now on (moto's /moto-api/reset-auth with a count of 0).
// Tests create their admin first, with any number of SDK retries, then
// call it: a fixed budget of unauthenticated calls
// (Options.NoAuthActions) breaks as soon as one call is retried.
func (s *Server) EnforceIAM() error {
	resp, err := http.Post(s.URL+"/moto-api/reset-auth", "text/plain", strings.NewReader("0"))
	if err != nil {
		return fmt.Errorf("enforcing IAM on moto: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("enforcing IAM on moto: %s", resp.Status)
	}
	return nil
}

// Stop kills the server's process group by PID.
func (s *Server) Stop() {
	if s == nil || s.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
	if s.tmpDir != "" {
		os.RemoveAll(s.tmpDir)
	}
}

// Env is the environment a process needs to talk to this server as the
// emulator's default (all-powerful) identity; it clears profile settings
// that could point elsewhere.
func (s *Server) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=testing",
		"AWS_SECRET_ACCESS_KEY=testing",
		"AWS_SESSION_TOKEN=",
		"AWS_REGION=us-east-1",
		"AWS_ENDPOINT_URL=" + s.URL,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}
