package agentops_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/agentops-go/agentops"
	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/server/servertest"
)

// What the SDK records is what the server counts: events, tokens, cost,
// tags after AddTags/SetTags, end state and reason, host environment.
func TestServerStatsMatchRecording(t *testing.T) {
	srv, c := newServerClient(t)
	s, err := c.StartSession(context.Background(), agentops.WithTags("first"), agentops.WithTraceName("support-run"))
	if err != nil {
		t.Fatal(err)
	}
	s.Record(agentops.LLMEvent{Model: "gpt-4o", Prompt: "hi", Completion: "hello", PromptTokens: 1000, CompletionTokens: 500})
	s.Record(&agentops.LLMEvent{Model: "my-private-model", Prompt: []agentops.Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "hi"}},
		PromptTokens: 10, CompletionTokens: 20, Cost: 0.25})
	s.Record(agentops.ActionEvent{ActionType: "click", Params: map[string]int{"x": 1}, Returns: true, Screenshot: "https://example.com/s.png"})
	tool := agentops.ToolEvent{Name: "search", Params: "q", Returns: []string{"a"}}
	s.Record(agentops.ErrorEvent{TriggerEvent: tool, Exception: errors.New("boom"), Code: "E42", Details: "exploded"})
	if _, err := agentops.Agent(s.Context(), "planner", func(ctx context.Context) (int, error) {
		return agentops.Tool(ctx, "calc", func(context.Context) (int, error) { return 4, nil }, agentops.WithInput([]int{2, 2}))
	}); err != nil {
		t.Fatal(err)
	}
	s.AddTags("second", "third")
	s.SetTags("x", "y")
	s.AddTags("z", "x")

	local := s.Analytics()
	cost, err := s.End(agentops.Failure, "ran out of budget")
	if err != nil {
		t.Fatal(err)
	}
	wantCost := 0.0075 + 0.25
	if math.Abs(cost-wantCost) > 1e-9 || math.Abs(local.CostUSD-wantCost) > 1e-9 {
		t.Errorf("cost: server %v, local %v, want %v", cost, local.CostUSD, wantCost)
	}
	if local.LLMCalls != 2 || local.ToolCalls != 2 || local.Actions != 1 || local.Errors != 1 || local.PromptTokens != 1010 || local.CompletionTokens != 520 {
		t.Errorf("local tally %+v", local)
	}

	st := stats(t, srv, s.ID())
	if st.EndState == nil || *st.EndState != "Failure" || st.EndStateReason != "ran out of budget" || st.Running {
		t.Errorf("end state %v %q running %v", st.EndState, st.EndStateReason, st.Running)
	}
	e := st.Events
	// session root, 2 llm, action, tool (trigger), error, agent, tool; the
	// one error is the ErrorEvent: the root's Failure is its end state, and
	// the server agrees with the local tally.
	if e.LLMCalls != 2 || e.ToolCalls != 2 || e.Actions != 1 || e.Agents != 1 || e.Errors != 1 || e.Total != 8 {
		t.Errorf("events %+v", e)
	}
	if st.Tokens.Prompt != 1010 || st.Tokens.Completion != 520 {
		t.Errorf("tokens %+v", st.Tokens)
	}
	if math.Abs(st.Cost.TotalUSD-wantCost) > 1e-9 || !st.Cost.Complete {
		t.Errorf("cost %+v", st.Cost)
	}

	ex := export(t, srv, s.ID())
	if !slices.Equal(ex.Session.Tags, []string{"x", "y", "z"}) {
		t.Errorf("tags %q, want [x y z]", ex.Session.Tags)
	}
	if ex.Session.Name != "support-run" {
		t.Errorf("name %q", ex.Session.Name)
	}
	var env map[string]any
	if err := json.Unmarshal(ex.Session.HostEnv, &env); err != nil || env["os.type"] == nil || env["process.runtime.version"] == nil || env["host.cpu.count"] == nil {
		t.Errorf("host env %s (%v)", ex.Session.HostEnv, err)
	}
	if len(ex.Errors) != 1 || len(ex.Actions) != 1 || len(ex.LLMs) != 2 {
		t.Errorf("export: %d errors, %d actions, %d llms", len(ex.Errors), len(ex.Actions), len(ex.LLMs))
	}
}

// The opt-out leaves the whole host environment out, on the server too.
func TestEnvDataOptOutOnServer(t *testing.T) {
	srv, c := newServerClient(t, agentops.WithEnvDataOptOut(true))
	s, _ := c.StartSession(context.Background())
	if _, err := s.End(agentops.Success, ""); err != nil {
		t.Fatal(err)
	}
	if ex := export(t, srv, s.ID()); string(ex.Session.HostEnv) != "null" && len(ex.Session.HostEnv) != 0 {
		t.Errorf("host env with opt-out: %s", ex.Session.HostEnv)
	}
}

// Shutdown ends open sessions as Indeterminate, with reason "shutdown".
func TestShutdownEndsOpenSessions(t *testing.T) {
	srv, c := newServerClient(t)
	s, _ := c.StartSession(context.Background())
	tr := c.StartTrace(context.Background(), "other")
	if err := c.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{s.ID(), tr.ID()} {
		st := stats(t, srv, id)
		if st.EndState == nil || *st.EndState != "Indeterminate" || st.EndStateReason != "shutdown" {
			t.Errorf("%s: end state %v %q", id, st.EndState, st.EndStateReason)
		}
	}
}

// A session started in one process and inherited by another is one
// session on the server; the child's spans hang under the owner's root.
func TestInheritedSessionAcrossProcesses(t *testing.T) {
	srv, c := newServerClient(t)
	s, _ := c.StartSession(context.Background(), agentops.WithTraceName("owner"))
	s.Record(agentops.ToolEvent{Name: "owner-tool"})

	out, err := helperProcess(t, "inherit", map[string]string{
		agentops.EnvAPIKey:             srv.Key,
		agentops.EnvAPIEndpoint:        srv.URL,
		agentops.EnvInheritedSessionID: s.ID(),
	}).CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "joined "+s.ID() {
		t.Fatalf("child said %q", got)
	}
	if _, err := s.End(agentops.Success, "both done"); err != nil {
		t.Fatal(err)
	}
	st := stats(t, srv, s.ID())
	if st.Events.ToolCalls != 2 || st.Events.LLMCalls != 1 || st.EndState == nil || *st.EndState != "Success" || st.EndStateReason != "both done" {
		t.Errorf("stats %+v end %v %q", st.Events, st.EndState, st.EndStateReason)
	}
	ex := export(t, srv, s.ID())
	var root string
	for _, sp := range ex.Spans {
		if sp.ParentSpanID == nil {
			if root != "" {
				t.Errorf("two roots: %s and %s", root, sp.SpanID)
			}
			root = sp.SpanID
		}
	}
	if root != s.ID()[16:] {
		t.Errorf("root span %s, want the session id's second half", root)
	}
	for _, sp := range ex.Spans {
		if sp.Name == "child-tool.tool" || sp.Name == "gpt-4o.llm" {
			if sp.ParentSpanID == nil || *sp.ParentSpanID != root {
				t.Errorf("child span %s not under the owner's root", sp.Name)
			}
		}
	}
}

// The signal handler ends open sessions as Failure ("interrupted"), then
// the signal ends the process as it would have.
func TestSignalHandlerEndsSessions(t *testing.T) {
	srv := servertest.Start(t)
	cmd := helperProcess(t, "signal", map[string]string{agentops.EnvAPIKey: srv.Key, agentops.EnvAPIEndpoint: srv.URL})
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(line)
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
		t.Errorf("child ended with %v, want killed by SIGTERM", err)
	}
	st := stats(t, srv, id)
	if st.EndState == nil || *st.EndState != "Failure" || st.EndStateReason != "interrupted" {
		t.Errorf("end state %v %q", st.EndState, st.EndStateReason)
	}
}

// helperProcess runs this test binary as a second OS process that plays
// role (see TestHelperProcess).
func helperProcess(t *testing.T, role string, env map[string]string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "AGENTOPS_TEST_HELPER="+role)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	return cmd
}

// TestHelperProcess is the second process of the tests above, not a test.
func TestHelperProcess(t *testing.T) {
	switch os.Getenv("AGENTOPS_TEST_HELPER") {
	case "inherit":
		// Everything from the environment, AGENTOPS_INHERITED_SESSION_ID
		// included: Init joins the owner's session.
		s, err := agentops.Init()
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		s.Record(agentops.LLMEvent{Model: "gpt-4o", PromptTokens: 10, CompletionTokens: 5})
		agentops.Tool(s.Context(), "child-tool", func(context.Context) (bool, error) { return true, nil })
		if _, err := s.End(agentops.Success, ""); err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println("joined", s.ID())
		os.Exit(0)
	case "signal":
		s, err := agentops.Init(agentops.WithSignalHandler(true))
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		fmt.Println(s.ID())
		time.Sleep(time.Minute)
		os.Exit(3)
	}
}

// A server that is down for good costs the program nothing but its spans:
// calls return promptly and the counters say what was lost.
func TestServerDownForGood(t *testing.T) {
	addr := deadAddr(t)
	c, err := agentops.New(agentops.WithLogger(quiet), agentops.WithAPIKey("00000000-0000-4000-8000-000000000000"),
		agentops.WithAPIEndpoint("http://"+addr), agentops.WithMaxWaitTime(20*time.Millisecond), agentops.WithMaxQueueSize(64))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := c.StartSession(context.Background())
	began := time.Now()
	for i := range 500 {
		agentops.Tool(s.Context(), "t", func(context.Context) (int, error) { return i, nil })
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("500 spans took %v with the server down", d)
	}
	began = time.Now()
	cost, err := s.End(agentops.Success, "")
	if err == nil || !strings.Contains(err.Error(), "local tally") || cost != 0 {
		t.Errorf("End with the server down: %v, %v", cost, err)
	}
	if d := time.Since(began); d > 6*time.Second {
		t.Errorf("End took %v", d)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c.Shutdown(ctx)
	st := c.Stats()
	if st.Exported != 0 || st.Dropped+st.Failed == 0 {
		t.Errorf("stats %+v: want losses counted", st)
	}
}

// Spans recorded while the server is down arrive once it is up again, each
// once (within the queue bound and the exporter's retry window).
func TestServerDownThenUp(t *testing.T) {
	dir := t.TempDir()
	var key, url string
	t.Run("first-run", func(t *testing.T) { // a server that made the key, then stopped
		srv := servertest.Start(t, func(cfg *server.Config) { cfg.DataDir = dir })
		key, url = srv.Key, srv.URL
	})
	refused := &unansweredTraces{base: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := agentops.New(agentops.WithLogger(quiet), agentops.WithAPIKey(key), agentops.WithAPIEndpoint(url),
		agentops.WithMaxWaitTime(20*time.Millisecond), agentops.WithHTTPClient(&http.Client{Transport: refused}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	s, _ := c.StartSession(context.Background())
	for range 10 {
		agentops.Tool(s.Context(), "early", func(context.Context) (int, error) { return 1, nil })
	}
	for deadline := time.Now().Add(5 * time.Second); refused.n.Load() == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the spans were not sent while the server was down")
		}
	}

	srv := servertest.Start(t, func(cfg *server.Config) {
		cfg.DataDir = dir
		cfg.Addr = strings.TrimPrefix(url, "http://")
	})
	srv.Key = key
	up := time.Now()
	if _, err := s.End(agentops.Success, ""); err != nil {
		t.Fatal(err)
	}
	t.Logf("delivered %v after the server came up (%d refused attempts)", time.Since(up), refused.n.Load())

	st := stats(t, srv, s.ID())
	if st.Events.ToolCalls != 10 || st.EndState == nil || *st.EndState != "Success" {
		t.Errorf("after the server came up: %+v, end state %v", st.Events, st.EndState)
	}
	if cs := c.Stats(); cs.Failed != 0 || cs.Dropped != 0 || cs.Pending != 0 || cs.Exported != cs.Queued {
		t.Errorf("client stats %+v: want every span exported", cs)
	}
}

// unansweredTraces is an HTTP transport counting the OTLP trace requests
// that got no answer.
type unansweredTraces struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (u *unansweredTraces) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := u.base.RoundTrip(req)
	if err != nil && strings.HasSuffix(req.URL.Path, "/v1/traces") {
		u.n.Add(1)
	}
	return resp, err
}

// deadAddr returns a loopback address nothing listens on.
func deadAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}
