package dashboard_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/demo"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/internal/store/sqlite"
	"github.com/agentops-go/agentops/semconv"
)

// The stores of the tests hold two kinds of data: the hand-made sessions of
// fill (XSS payloads, a known transcript, a known error, exact numbers) in
// projects one and two, and the sessions of `agentops demo` (fillDemo) in a
// project of their own, so that every page is also tested on realistic data
// without changing the exact figures of the hand-made ones.

// Demo data: demoSessions sessions over demoDays days (the default overview
// period, 14 days, holds them all).
const (
	demoSessions = 60
	demoDays     = 10
)

// fillDemo writes demo.Generate's sessions into project through the
// server's own ingest pipeline (decode, normalize, price, group commit),
// as `agentops demo --data DIR` does.
func fillDemo(t testing.TB, st *sqlite.Store, project string, now time.Time) demo.Result {
	t.Helper()
	ctx := context.Background()
	pipe, committer := server.NewPipeline(server.DefaultConfig(), st, st, nil)
	defer committer.Close()
	td := demo.Generate(demo.Config{Seed: 7, Sessions: demoSessions, Days: demoDays, Now: now})
	res, err := demo.Write(ctx, pipe, st, project, td, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sessions != demoSessions {
		t.Fatalf("demo wrote %d sessions, want %d", res.Sessions, demoSessions)
	}
	return res
}

// The XSS payloads put in span names, tags and attributes: rendered, they
// must show as text and set nothing on window.
const (
	xssScript = `<script>window.__xss = "script"</script>`
	xssImg    = `<img src=x onerror="window.__xss='img'">`
)

// fixture is what fill wrote: the ids the tests look for.
type fixture struct {
	success, failure, xss, running, other model.TraceID
	llmSpan, errorSpan, xssSpan           model.SpanID
	projectSpans                          int
}

type builder struct {
	project string
	trace   model.TraceID
	next    uint64
	spans   []model.Span
}

func traceOf(n uint64) model.TraceID {
	var t model.TraceID
	binary.BigEndian.PutUint64(t[:8], 0xa9e7_0000_0000_0000|n)
	binary.BigEndian.PutUint64(t[8:], n*0x9e3779b97f4a7c15)
	return t
}

func (b *builder) span(parent model.SpanID, kind, name string, start time.Time, d time.Duration, attrs map[string]any) *model.Span {
	b.next++
	var id model.SpanID
	binary.BigEndian.PutUint64(id[:], uint64(b.trace[15])<<56|b.next)
	sp := model.Span{
		ProjectID: b.project, TraceID: b.trace, SpanID: id, ParentID: parent, Name: name, Kind: model.Kind(kind),
		SpanKind: 1, Start: start.UnixNano(), Status: model.StatusOK,
		Resource: json.RawMessage(`{"service.name":"support-agent","host.name":"worker-1","os.type":"linux"}`),
	}
	if d > 0 {
		sp.End = sp.Start + int64(d)
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	attrs[semconv.SpanKind] = kind
	sp.Attributes, _ = json.Marshal(attrs)
	b.spans = append(b.spans, sp)
	return &b.spans[len(b.spans)-1]
}

func llm(b *builder, parent model.SpanID, modelName string, start time.Time, in, out int64, cost float64, attrs map[string]any) *model.Span {
	sp := b.span(parent, semconv.KindLLM, "openai.chat", start, 1200*time.Millisecond, attrs)
	sp.Provider, sp.Operation, sp.RequestModel, sp.ResponseModel = "openai", "chat", modelName, modelName
	sp.Usage = model.Usage{Input: in, Output: out, CacheRead: in / 4, Reasoning: out / 5, Total: in + out}
	sp.Cost, sp.CostSource = cost, model.CostTable
	sp.SpanKind = 3
	return sp
}

// fill writes the sessions of the tests into project p1 (and one into p2),
// all started within the last day before now.
func fill(t testing.TB, st store.SpanWriter, p1, p2 string, now time.Time) fixture {
	t.Helper()
	var f fixture
	var all []model.Span
	t0 := now.Add(-3 * time.Hour)

	// A successful support session: agent, two LLM calls, a tool.
	b := &builder{project: p1, trace: traceOf(1)}
	root := b.span(model.SpanID{}, semconv.KindSession, "support-chat", t0, 9*time.Second, map[string]any{"host.name": "worker-1", "os.type": "linux", "host.arch": "amd64"})
	root.Tags, root.EndState, root.EndStateReason = []string{"prod", "support"}, semconv.EndStateSuccess, "answered the customer"
	rootID := root.SpanID
	agent := b.span(rootID, semconv.KindAgent, "triage.agent", t0.Add(10*time.Millisecond), 8*time.Second, nil).SpanID
	call := llm(b, agent, "gpt-4o", t0.Add(20*time.Millisecond), 1200, 300, 0.0105, map[string]any{
		"gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "You are a helpful support agent.",
		"gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "Where is my order #4411?",
		"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Let me look that order up for you.",
		"gen_ai.completion.0.finish_reason":          "tool_calls",
		"gen_ai.completion.0.tool_calls.0.name":      "lookup_order",
		"gen_ai.completion.0.tool_calls.0.id":        "call_1",
		"gen_ai.completion.0.tool_calls.0.arguments": `{"order":"4411"}`,
	})
	f.llmSpan = call.SpanID
	b.span(agent, semconv.KindTool, "lookup_order.tool", t0.Add(1300*time.Millisecond), 400*time.Millisecond, map[string]any{
		semconv.EntityInput: `{"order":"4411"}`, semconv.EntityOutput: `{"status":"shipped","eta":"2 days"}`, "gen_ai.tool.name": "lookup_order",
	})
	llm(b, agent, "claude-sonnet-4", t0.Add(1800*time.Millisecond), 1600, 120, 0.0066, map[string]any{
		semconv.GenAIInputMessages:  `[{"role":"user","parts":[{"type":"text","content":"Summarize the order status"}]}]`,
		semconv.GenAIOutputMessages: `[{"role":"assistant","parts":[{"type":"text","content":"Your order shipped and arrives in 2 days."}],"finish_reason":"stop"}]`,
	})
	f.success = b.trace
	all = append(all, b.spans...)

	// A failed research session with an error.
	b = &builder{project: p1, trace: traceOf(2)}
	root = b.span(model.SpanID{}, semconv.KindSession, "research-run", t0.Add(time.Hour), 42*time.Second, nil)
	root.Tags, root.EndState, root.EndStateReason = []string{"prod", "research"}, semconv.EndStateFailure, "search tool crashed"
	rootID = root.SpanID
	llm(b, rootID, "gpt-4o-mini", t0.Add(time.Hour+time.Second), 800, 90, 0.0002, nil)
	bad := b.span(rootID, semconv.KindTool, "web_search.tool", t0.Add(time.Hour+3*time.Second), 30*time.Second, nil)
	bad.Status, bad.StatusMessage = model.StatusError, "search timed out"
	bad.ErrorType, bad.ErrorMessage = "TimeoutError", "search timed out after 30s"
	bad.ErrorStack = "Traceback (most recent call last):\n  File \"agent.py\", line 42, in search\nTimeoutError: search timed out after 30s"
	f.errorSpan = bad.SpanID
	f.failure = b.trace
	all = append(all, b.spans...)

	// A session full of markup that must stay text.
	b = &builder{project: p1, trace: traceOf(3)}
	root = b.span(model.SpanID{}, semconv.KindSession, "xss "+xssImg, t0.Add(90*time.Minute), 3*time.Second, nil)
	root.Tags, root.EndState, root.EndStateReason = []string{"xss", xssScript}, semconv.EndStateIndeterminate, xssImg
	x := llm(b, root.SpanID, "gpt-4o", t0.Add(90*time.Minute+time.Millisecond), 10, 10, 0.0001, map[string]any{
		"user.input": xssScript + xssImg, "gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": xssScript,
		"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": xssImg,
	})
	x.Name = "llm " + xssScript
	f.xssSpan = x.SpanID
	f.xss = b.trace
	all = append(all, b.spans...)

	// A session still running (root not ended, seen just now).
	b = &builder{project: p1, trace: traceOf(4)}
	root = b.span(model.SpanID{}, semconv.KindSession, "live-agent", now.Add(-time.Minute), 0, nil)
	root.Tags = []string{"dev"}
	llm(b, root.SpanID, "gpt-4o", now.Add(-50*time.Second), 500, 50, 0.003, nil)
	f.running = b.trace
	all = append(all, b.spans...)
	f.projectSpans = len(all)

	// Another project's session, which p1 must never see.
	b = &builder{project: p2, trace: traceOf(5)}
	root = b.span(model.SpanID{}, semconv.KindSession, "other-project-secret", t0, time.Second, nil)
	root.EndState = semconv.EndStateSuccess
	f.other = b.trace
	all = append(all, b.spans...)

	if err := st.WriteSpans(context.Background(), all, now); err != nil {
		t.Fatal(err)
	}
	return f
}

// bigSession writes one session of n spans (a tree of agents, LLM calls and
// tools) and returns its id.
func bigSession(t testing.TB, st store.SpanWriter, project string, n int, now time.Time) model.TraceID {
	t.Helper()
	b := &builder{project: project, trace: traceOf(1000 + uint64(n))}
	t0 := now.Add(-time.Hour)
	root := b.span(model.SpanID{}, semconv.KindSession, fmt.Sprintf("big-%d", n), t0, time.Duration(n)*time.Millisecond+time.Second, nil)
	root.EndState = semconv.EndStateSuccess
	rootID := root.SpanID
	var agent model.SpanID
	for i := 1; i < n; i++ {
		at := t0.Add(time.Duration(i) * time.Millisecond)
		switch {
		case i%50 == 1:
			agent = b.span(rootID, semconv.KindAgent, fmt.Sprintf("agent-%d", i/50), at, 50*time.Millisecond, nil).SpanID
		case i%3 == 0:
			llm(b, agent, "gpt-4o", at, 100, 20, 0.0004, map[string]any{"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "step"})
		default:
			b.span(agent, semconv.KindTool, "tool", at, 2*time.Millisecond, nil)
		}
	}
	if err := st.WriteSpans(context.Background(), b.spans, now); err != nil {
		t.Fatal(err)
	}
	return b.trace
}
