package agentops_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops"
)

// 200 goroutines, each with its own trace and nested spans (helpers, a raw
// OTel span, an event): every span lands in its goroutine's trace, under a
// parent of that trace.
func TestConcurrentTracesNeverMix(t *testing.T) {
	c, mem := newMemClient(t)
	const n = 200
	traces := make([]*agentops.Trace, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tr := c.StartTrace(context.Background(), fmt.Sprintf("trace-%d", i))
			traces[i] = tr
			mark := agentops.WithInput(i)
			agentops.Workflow(tr.Context(), "wf", func(ctx context.Context) (int, error) {
				return agentops.Agent(ctx, "agent", func(ctx context.Context) (int, error) {
					for range 3 {
						agentops.Tool(ctx, "tool", func(ctx context.Context) (int, error) {
							_, raw := c.TracerProvider().Tracer("user").Start(ctx, "raw")
							raw.End()
							return i, nil
						}, mark)
					}
					agentops.Record(ctx, agentops.LLMEvent{Model: "gpt-4o", PromptTokens: 1})
					return i, nil
				}, mark)
			}, mark)
			agentops.EndTrace(tr, agentops.Success)
		})
	}
	wg.Wait()

	spans := mem.GetSpans()
	if want := n * (1 + 1 + 1 + 3 + 3 + 1); len(spans) != want {
		t.Fatalf("%d spans, want %d", len(spans), want)
	}
	byTrace := map[trace.TraceID]map[trace.SpanID]bool{}
	for _, s := range spans {
		tid := s.SpanContext.TraceID()
		if byTrace[tid] == nil {
			byTrace[tid] = map[trace.SpanID]bool{}
		}
		byTrace[tid][s.SpanContext.SpanID()] = true
	}
	for _, s := range spans {
		tid := s.SpanContext.TraceID()
		if s.Parent.IsValid() && !byTrace[tid][s.Parent.SpanID()] {
			t.Errorf("span %s: parent not in its trace", s.Name)
		}
		if in, ok := attrs(s)["agentops.entity.input"]; ok {
			var i int
			fmt.Sscan(in.AsString(), &i)
			if traces[i].TraceID() != tid {
				t.Errorf("span %s of goroutine %d in trace %s, want %s", s.Name, i, tid, traces[i].TraceID())
			}
		}
	}
	for i, tr := range traces {
		if a := tr.Analytics(); a.ToolCalls != 3 || a.LLMCalls != 1 {
			t.Errorf("trace %d tally %+v", i, a)
		}
		if len(byTrace[tr.TraceID()]) != 10 {
			t.Errorf("trace %d has %d spans, want 10", i, len(byTrace[tr.TraceID()]))
		}
	}
}

func TestRootSpanIDDerivedFromTraceID(t *testing.T) {
	c, mem := newMemClient(t)
	s, _ := c.StartSession(context.Background())
	s.End(agentops.Success, "")
	root := byName(mem.GetSpans(), "session")
	if len(root) != 1 {
		t.Fatalf("%d roots", len(root))
	}
	if got, want := root[0].SpanContext.SpanID(), agentops.RootSpanID(s.TraceID()); got != want || s.ID()[16:] != got.String() {
		t.Errorf("root span id %s, want %s", got, want)
	}
}

func TestEndStateAttributesStatusAndTags(t *testing.T) {
	for _, tt := range []struct {
		state  agentops.EndState
		reason string
		code   codes.Code
	}{
		{agentops.Success, "", codes.Ok},
		{agentops.Failure, "boom", codes.Error},
		{agentops.Indeterminate, "unknown", codes.Unset},
	} {
		t.Run(string(tt.state), func(t *testing.T) {
			c, mem := newMemClient(t, agentops.WithDefaultTags("d"))
			s, _ := c.StartSession(context.Background(), agentops.WithTags("a"))
			s.AddTags("b")
			s.SetTags("c", "d")
			s.AddTags("e")
			c.EndTrace(s, tt.state, tt.reason)
			s.AddTags("late") // ignored
			root := byName(mem.GetSpans(), "session")[0]
			a := attrs(root)
			if a["agentops.session.end_state"].AsString() != string(tt.state) || root.Status.Code != tt.code {
				t.Errorf("end state %v, status %v", a["agentops.session.end_state"], root.Status)
			}
			if r, ok := a["agentops.session.end_state_reason"]; (tt.reason != "") != ok || r.AsString() != tt.reason {
				t.Errorf("reason %v", r)
			}
			if got := a["agentops.tags"].AsString(); got != `["c","d","e"]` {
				t.Errorf("tags %s", got)
			}
			if a["agentops.span.kind"].AsString() != "session" {
				t.Errorf("kind %v", a["agentops.span.kind"])
			}
		})
	}
}

func TestHostEnvironmentAndOptOut(t *testing.T) {
	hostKeys := func(s tracetest.SpanStub) []string {
		var keys []string
		for k := range attrs(s) {
			if strings.HasPrefix(k, "host.") || strings.HasPrefix(k, "os.") || strings.HasPrefix(k, "process.runtime.") {
				keys = append(keys, k)
			}
		}
		for _, kv := range s.Resource.Attributes() {
			k := string(kv.Key)
			if strings.HasPrefix(k, "host.") || strings.HasPrefix(k, "os.") || strings.HasPrefix(k, "process.runtime.") {
				keys = append(keys, "resource:"+k)
			}
		}
		return keys
	}
	c, mem := newMemClient(t)
	c.StartTrace(context.Background(), "with-env")
	t.Setenv(agentops.EnvEnvDataOptOut, "true")
	optOut, memOut := newMemClient(t)
	optOut.StartTrace(context.Background(), "from-env")
	c.StartTrace(context.Background(), "per-session", agentops.WithConfig(agentops.Config{EnvDataOptOut: true}))
	c.EndAllTraces(agentops.Success)
	optOut.EndAllTraces(agentops.Success)

	if keys := hostKeys(byName(mem.GetSpans(), "with-env")[0]); len(keys) < 6 {
		t.Errorf("host environment %v", keys)
	}
	for _, s := range append(byName(memOut.GetSpans(), "from-env"), byName(mem.GetSpans(), "per-session")...) {
		if keys := hostKeys(s); len(keys) != 0 {
			t.Errorf("%s: opted out, still %v", s.Name, keys)
		}
	}
}

func TestSpanHelpers(t *testing.T) {
	c, mem := newMemClient(t)
	tr := c.StartTrace(context.Background(), "t")
	ctx := tr.Context()

	out, err := agentops.Tool(ctx, "search", func(context.Context) (map[string]int, error) {
		return map[string]int{"hits": 3}, nil
	}, agentops.WithInput("weather"))
	if err != nil || out["hits"] != 3 {
		t.Fatal(out, err)
	}
	_, err = agentops.Task(ctx, "fails", func(context.Context) (int, error) { return 0, errors.New("nope") })
	if err == nil {
		t.Fatal("error swallowed")
	}
	func() {
		defer func() {
			if r := recover(); r != "kaboom" {
				t.Errorf("panic %v, want kaboom re-panicked", r)
			}
		}()
		agentops.Guardrail(ctx, "panics", func(context.Context) (int, error) { panic("kaboom") })
	}()
	big := strings.Repeat("é", agentops.MaxEntityBytes)
	agentops.Operation(ctx, "big", func(context.Context) (string, error) { return big, nil })
	_, h := agentops.StartSpan(ctx, agentops.KindLLM, "manual")
	h.SetOutput("done")
	h.End(nil)
	agentops.EndTrace(tr, agentops.Success)

	spans := mem.GetSpans()
	s := byName(spans, "search.tool")[0]
	a := attrs(s)
	if a["agentops.span.kind"].AsString() != "tool" || a["operation.name"].AsString() != "search" ||
		a["agentops.entity.input"].AsString() != "weather" || a["agentops.entity.output"].AsString() != `{"hits":3}` {
		t.Errorf("tool span attributes %v", a)
	}
	if s.Parent.SpanID() != agentops.RootSpanID(tr.TraceID()) {
		t.Errorf("tool span not under the root")
	}
	f := byName(spans, "fails.task")[0]
	if f.Status.Code != codes.Error || len(f.Events) != 1 || f.Events[0].Name != "exception" {
		t.Errorf("failed task: status %v events %v", f.Status, f.Events)
	}
	p := byName(spans, "panics.guardrail")[0]
	if p.Status.Code != codes.Error || !strings.Contains(p.Status.Description, "kaboom") || p.EndTime.IsZero() {
		t.Errorf("panicking guardrail: %v", p.Status)
	}
	b := attrs(byName(spans, "big.operation")[0])
	if v := b["agentops.entity.output"].AsString(); len(v) > agentops.MaxEntityBytes || !b["agentops.entity.output.truncated"].AsBool() || !strings.HasPrefix(big, v) {
		t.Errorf("big output: %d bytes, truncated %v", len(v), b["agentops.entity.output.truncated"])
	}
	if m := attrs(byName(spans, "manual.llm")[0]); m["agentops.entity.output"].AsString() != "done" {
		t.Errorf("manual span %v", m)
	}
	if a := tr.Analytics(); a.ToolCalls != 1 || a.LLMCalls != 1 || a.Errors != 2 {
		t.Errorf("tally %+v", a)
	}
}

func TestRunTrace(t *testing.T) {
	c, mem := newMemClient(t)
	agentops.SetDefault(c)
	defer agentops.SetDefault(nil)
	v, err := agentops.RunTrace(context.Background(), "job", func(ctx context.Context) (int, error) {
		return agentops.Tool(ctx, "step", func(context.Context) (int, error) { return 7, nil })
	})
	if v != 7 || err != nil {
		t.Fatal(v, err)
	}
	agentops.RunTrace(context.Background(), "bad", func(ctx context.Context) (int, error) { return 0, errors.New("bad input") })
	spans := mem.GetSpans()
	job, bad := byName(spans, "job")[0], byName(spans, "bad")[0]
	if attrs(job)["agentops.session.end_state"].AsString() != "Success" || byName(spans, "step.tool")[0].SpanContext.TraceID() != job.SpanContext.TraceID() {
		t.Errorf("job trace")
	}
	if a := attrs(bad); a["agentops.session.end_state"].AsString() != "Failure" || a["agentops.session.end_state_reason"].AsString() != "bad input" {
		t.Errorf("bad trace %v", a)
	}
}

func TestEndSessionNeedsExactlyOne(t *testing.T) {
	c, _ := newMemClient(t)
	if _, err := c.EndSession(agentops.Success, ""); err == nil {
		t.Error("no session: no error")
	}
	a, _ := c.StartSession(context.Background())
	b, _ := c.StartSession(context.Background())
	_, err := c.EndSession(agentops.Success, "")
	if err == nil || !strings.Contains(err.Error(), "Session.End") {
		t.Errorf("two sessions: %v", err)
	}
	if _, ended := a.Ended(); ended {
		t.Error("EndSession ended a session despite the error")
	}
	c.EndTrace(b, agentops.Success)
	c.EndSession(agentops.Success, "") // the one left; its cost read fails (no server), it ends anyway
	if _, ended := a.Ended(); !ended || len(c.Active()) != 0 {
		t.Error("EndSession did not end the only session")
	}
}

func TestMiddlewareOneTracePerRequest(t *testing.T) {
	c, mem := newMemClient(t)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		agentops.Tool(r.Context(), "lookup", func(context.Context) (string, error) { return r.PathValue("id"), nil })
		if r.PathValue("id") == "broken" {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	srv := httptest.NewServer(c.Middleware(mux))
	defer srv.Close()
	var wg sync.WaitGroup
	for _, id := range []string{"1", "2", "broken"} {
		wg.Go(func() {
			resp, err := http.Get(srv.URL + "/items/" + id)
			if err == nil {
				resp.Body.Close()
			}
		})
	}
	wg.Wait()
	roots := byName(mem.GetSpans(), "GET /items/{id}")
	if len(roots) != 3 {
		t.Fatalf("%d request traces", len(roots))
	}
	failures := 0
	for _, r := range roots {
		a := attrs(r)
		if a["http.route"].AsString() != "/items/{id}" || a["http.request.method"].AsString() != "GET" {
			t.Errorf("attributes %v", a)
		}
		if a["agentops.session.end_state"].AsString() == "Failure" {
			failures++
			if a["http.response.status_code"].AsInt64() != 502 || a["url.path"].AsString() != "/items/broken" {
				t.Errorf("failed request %v", a)
			}
		}
		tools := 0
		for _, s := range byName(mem.GetSpans(), "lookup.tool") {
			if s.SpanContext.TraceID() == r.SpanContext.TraceID() {
				tools++
			}
		}
		if tools != 1 {
			t.Errorf("request trace has %d tool spans", tools)
		}
	}
	if failures != 1 {
		t.Errorf("%d failures, want 1 (the 502)", failures)
	}
}

func TestConfigFromEnvironment(t *testing.T) {
	t.Setenv(agentops.EnvAPIKey, "k-env")
	t.Setenv(agentops.EnvAPIEndpoint, "http://env.example:1234")
	t.Setenv(agentops.EnvDefaultTags, "a, b,,c")
	t.Setenv(agentops.EnvTraceName, "from-env")
	t.Setenv(agentops.EnvAutoStartSession, "false")
	t.Setenv(agentops.EnvMaxQueueSize, "77")
	t.Setenv(agentops.EnvMaxWaitTime, "250")
	t.Setenv(agentops.EnvLogLevel, "WARNING")
	t.Setenv(agentops.EnvInheritedSessionID, "a1000000-0000-0000-0000-0000000000a1")
	c, _ := newMemClient(t, agentops.WithAPIKey("k-explicit"))
	cfg := c.Config()
	if cfg.APIKey != "k-explicit" || cfg.APIEndpoint != "http://env.example:1234" || strings.Join(cfg.DefaultTags, "|") != "a|b|c" ||
		cfg.TraceName != "from-env" || cfg.AutoStartSession || cfg.MaxQueueSize != 77 || cfg.MaxWaitTime != 250*time.Millisecond ||
		cfg.LogLevel.String() != "WARN" || cfg.InheritedSessionID == "" {
		t.Errorf("config %+v", cfg)
	}
	s, _ := c.StartSession(context.Background())
	if !s.Inherited() || s.ID() != "a10000000000000000000000000000a1" {
		t.Errorf("inherited session %s", s.ID())
	}

	for name, val := range map[string]string{agentops.EnvMaxQueueSize: "lots", agentops.EnvAutoStartSession: "maybe", agentops.EnvLogLevel: "LOUD", agentops.EnvInheritedSessionID: "xyz"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, val)
			if _, err := agentops.New(agentops.WithLogger(quiet)); err == nil || !strings.Contains(err.Error(), name) && name != agentops.EnvInheritedSessionID {
				t.Errorf("%s=%s: %v", name, val, err)
			}
		})
	}
	for i, o := range []agentops.Option{agentops.WithMaxQueueSize(0), agentops.WithAPIEndpoint("ftp://x"), agentops.WithInheritedSessionID("nope"), agentops.WithTraceName(" ")} {
		if _, err := agentops.New(agentops.WithLogger(quiet), o); err == nil {
			t.Errorf("invalid option %d accepted", i)
		}
	}
}

// Without an API key or a reachable server, nothing fails: calls return,
// End says why the cost is only local.
func TestNoKeyNoServerRunsOn(t *testing.T) {
	t.Setenv(agentops.EnvAPIKey, "")
	c, err := agentops.New(agentops.WithLogger(quiet), agentops.WithAPIEndpoint("http://"+deadAddr(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	s, _ := c.StartSession(context.Background())
	s.Record(agentops.LLMEvent{Model: "gpt-4o", PromptTokens: 1000, CompletionTokens: 500})
	cost, err := s.End(agentops.Success, "")
	if err == nil || cost < 0.0074 || cost > 0.0076 {
		t.Errorf("cost %v err %v: want the local tally and an error", cost, err)
	}
	var nilSession *agentops.Session
	nilSession.Record(agentops.ToolEvent{})
	nilSession.AddTags("x")
	if _, err := nilSession.End(agentops.Success, ""); err == nil {
		t.Error("End on nil session: no error")
	}
}
