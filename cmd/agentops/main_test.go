package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// The helpers of this package's tests: the CLI in-process, the server
// in-process or as a child process of the real binary, and OTLP requests.

// built is the agentops executable, built once per test run.
var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// agentopsBinary builds this package with the go command the tests run under.
func agentopsBinary(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "agentops-test-bin-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "agentops")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// result is what one CLI invocation did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// cli runs the command line in-process, as main would.
func cli(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// mustCLI runs a command that has to succeed.
func mustCLI(t *testing.T, args ...string) result {
	t.Helper()
	r := cli(t, args...)
	if r.code != 0 {
		t.Fatalf("agentops %q: %s", args, r)
	}
	return r
}

// syncBuffer collects a process's output while the test reads it.
type syncBuffer struct {
	mu   sync.Mutex
	b    bytes.Buffer
	grew chan struct{} // closed at the next Write
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grew != nil {
		close(s.grew)
		s.grew = nil
	}
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitMatch waits until re matches what was written, the writer is done
// (stop closed), or timeout; it returns the submatches or nil.
func (s *syncBuffer) waitMatch(re *regexp.Regexp, stop <-chan struct{}, timeout time.Duration) []string {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		m := re.FindStringSubmatch(s.b.String())
		if m == nil && s.grew == nil {
			s.grew = make(chan struct{})
		}
		grew := s.grew
		s.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-grew:
		case <-stop:
			return re.FindStringSubmatch(s.String())
		case <-deadline.C:
			return nil
		}
	}
}

var (
	bannerURL = regexp.MustCompile(`AgentOps server listening on (https?://\S+)\n`)
	bannerKey = regexp.MustCompile(`Its API key \(shown only this once\):\n\n {4}(\S+)\n`)
	uuidV4    = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	anyUUID   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
)

// startupTimeout bounds how long a server may take to print its banner.
const startupTimeout = 30 * time.Second

// liveServer is `agentops serve` running in this test process.
type liveServer struct {
	URL, Key string // Key is "" unless this start created the first key
	stdout   *syncBuffer
	stderr   *syncBuffer
	stop     context.CancelFunc
	exited   chan struct{}
	code     int
}

// serveInProcess runs `agentops serve` on dataDir on a free port and waits
// for its banner (with a key if fresh: dataDir has no project yet). The
// server stops at the end of the test, or with shutdown.
func serveInProcess(t *testing.T, dataDir string, fresh bool, extra ...string) *liveServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &liveServer{stdout: &syncBuffer{}, stderr: &syncBuffer{}, stop: cancel, exited: make(chan struct{})}
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--data", dataDir}, extra...)
	go func() {
		defer close(s.exited)
		s.code = run(ctx, args, s.stdout, s.stderr)
	}()
	t.Cleanup(func() { s.shutdown(t) })
	var ok bool
	if s.URL, s.Key, ok = waitBanner(s.stdout, s.exited, fresh); !ok {
		cancel()
		<-s.exited
		t.Fatalf("agentops serve printed no banner (exit %d)\nstdout:\n%s\nstderr:\n%s", s.code, s.stdout, s.stderr)
	}
	return s
}

// waitBanner waits for a server's banner and returns its URL and, when the
// data directory was fresh, the key it created. (The banner is several
// writes: a key can only be expected, never ruled out, before the server
// has exited.)
func waitBanner(stdout *syncBuffer, exited <-chan struct{}, fresh bool) (url, key string, ok bool) {
	m := stdout.waitMatch(bannerURL, exited, startupTimeout)
	if m == nil {
		return "", "", false
	}
	url = m[1]
	if fresh {
		k := stdout.waitMatch(bannerKey, exited, startupTimeout)
		if k == nil {
			return url, "", false
		}
		key = k[1]
	}
	return url, key, true
}

// shutdown stops the server as SIGINT would and checks it stopped cleanly.
func (s *liveServer) shutdown(t *testing.T) {
	t.Helper()
	s.stop()
	select {
	case <-s.exited:
	case <-time.After(40 * time.Second):
		t.Fatalf("agentops serve did not stop within 40s\nstderr:\n%s", s.stderr)
	}
	if s.code != 0 {
		t.Errorf("agentops serve exited %d after its context ended\nstderr:\n%s", s.code, s.stderr)
	}
}

// child is `agentops` running as a separate process of the built binary.
type child struct {
	cmd      *exec.Cmd
	stdout   *syncBuffer
	stderr   *syncBuffer
	exited   chan struct{}
	waitErr  error
	URL, Key string
}

// startChild starts the binary with args and extra environment entries;
// the test ends it (SIGKILL) if it is still running when the test ends.
func startChild(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	c := &child{stdout: &syncBuffer{}, stderr: &syncBuffer{}, exited: make(chan struct{})}
	c.cmd = exec.Command(agentopsBinary(t), args...)
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stdout, c.cmd.Stderr = c.stdout, c.stderr
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		c.waitErr = c.cmd.Wait()
		close(c.exited)
	}()
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.exited
	})
	return c
}

// startServeChild starts `agentops serve --data dataDir` on a free port
// (the kernel's choice, read back from the banner) and waits for its banner.
func startServeChild(t *testing.T, dataDir string, fresh bool, extra ...string) *child {
	t.Helper()
	c := startChild(t, nil, append([]string{"serve", "--addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--data", dataDir}, extra...)...)
	c.waitBanner(t, fresh)
	return c
}

// waitBanner waits for the banner and reads the URL and, if fresh, the key.
func (c *child) waitBanner(t *testing.T, fresh bool) {
	t.Helper()
	var ok bool
	if c.URL, c.Key, ok = waitBanner(c.stdout, c.exited, fresh); !ok {
		t.Fatalf("agentops serve printed no (complete) banner\nstdout:\n%s\nstderr:\n%s", c.stdout, c.stderr)
	}
}

// signalAndWait sends sig (none if 0) and waits up to timeout for the
// process to exit; it returns the exit code, -1 if a signal killed it.
func (c *child) signalAndWait(t *testing.T, sig syscall.Signal, timeout time.Duration) int {
	t.Helper()
	if sig != 0 {
		if err := c.cmd.Process.Signal(sig); err != nil {
			t.Fatalf("sending %v: %v", sig, err)
		}
	}
	select {
	case <-c.exited:
	case <-time.After(timeout):
		t.Fatalf("agentops did not exit within %v of %v\nstderr:\n%s", timeout, sig, c.stderr)
	}
	var ee *exec.ExitError
	switch {
	case c.waitErr == nil:
		return 0
	case errors.As(c.waitErr, &ee):
		return ee.ExitCode() // -1 when killed by a signal
	}
	t.Fatalf("waiting for agentops: %v", c.waitErr)
	return -1
}

// postTraces sends td as one OTLP/HTTP protobuf request and returns the
// status and body.
func postTraces(ctx context.Context, client *http.Client, url, key string, td ptrace.Traces) (int, []byte, error) {
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		return 0, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/v1/traces", bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/x-protobuf")
	req.Header.Set("X-Agentops-Api-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// mustPost sends td and requires a 200.
func mustPost(t *testing.T, url, key string, td ptrace.Traces) {
	t.Helper()
	status, body, err := postTraces(context.Background(), http.DefaultClient, url, key, td)
	if err != nil || status != http.StatusOK {
		t.Fatalf("POST /v1/traces = %d %s, %v", status, body, err)
	}
}

// getREST sends an authenticated GET and returns the status and body.
func getREST(t *testing.T, url, key, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Agentops-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, b
}
