package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store/sqlite"
	"github.com/agentops-go/agentops/semconv"
)

// base is the start of every test session: 2025-01-02T03:04:05Z.
var base = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// now is the clock of the handlers: an hour after base.
var now = base.Add(time.Hour)

const testTimeout = 30 * time.Minute

// at is base+d in Unix nanoseconds.
func at(d time.Duration) int64 { return base.Add(d).UnixNano() }

func traceID(b byte) model.TraceID { return model.TraceID{0: b, 15: b} }
func spanID(b byte) model.SpanID   { return model.SpanID{0: b, 7: 1} }

// newStore opens a real SQLite store in a temporary directory.
func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "agentops.db"), sqlite.Options{})
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// write stores spans as ingested at the server time ingestedAt.
func write(t *testing.T, s *sqlite.Store, ingestedAt time.Time, spans ...model.Span) {
	t.Helper()
	if err := s.WriteSpans(context.Background(), spans, ingestedAt); err != nil {
		t.Fatalf("WriteSpans: %v", err)
	}
}

func attrs(t *testing.T, m map[string]any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The full session of the export tests: a root, an agent, two LLM calls
// (one priced with indexed prompt attributes, one unpriced with structured
// messages), two tools (one failing), an action and an error span.
var (
	fullID    = traceID(0xa1)
	rootID    = spanID(1)
	agentID   = spanID(2)
	llm1ID    = spanID(3)
	toolID    = spanID(4)
	llm2ID    = spanID(5)
	actionID  = spanID(6)
	refundID  = spanID(7)
	errSpanID = spanID(8)
)

func fullSession(t *testing.T, project string) []model.Span {
	span := func(id, parent model.SpanID, kind, name string, start, end time.Duration) model.Span {
		return model.Span{
			ProjectID: project, TraceID: fullID, SpanID: id, ParentID: parent,
			Kind: model.Kind(kind), Name: name, SpanKind: 1,
			Start: at(start), End: at(end), Status: model.StatusOK,
		}
	}
	root := span(rootID, model.SpanID{}, semconv.KindSession, "support-run", 0, 10*time.Second)
	root.EndState, root.EndStateReason = semconv.EndStateSuccess, "done"
	root.Tags = []string{"prod", "eu"}
	root.Attributes = attrs(t, map[string]any{semconv.SpanKind: "session", "host.name": "worker-1", semconv.Tags: `["prod","eu"]`})
	root.Resource = attrs(t, map[string]any{"service.name": "support", "os.type": "linux"})
	root.Scope = json.RawMessage(`{"name":"agentops","version":"0.4.9"}`)

	agent := span(agentID, rootID, semconv.KindAgent, "triage.agent", time.Second, 9*time.Second)

	llm1 := span(llm1ID, agentID, semconv.KindLLM, "openai.chat", 2*time.Second, 3500*time.Millisecond)
	llm1.SpanKind = 3
	llm1.Provider, llm1.Operation, llm1.RequestModel, llm1.ResponseModel = "openai", "chat", "gpt-4o", "gpt-4o-2024-08-06"
	llm1.Usage = model.Usage{Input: 100, Output: 50, CacheRead: 20, Reasoning: 10, Total: 150}
	llm1.Cost, llm1.CostSource = 0.0015, model.CostTable
	llm1.Attributes = attrs(t, map[string]any{
		"gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "You are helpful.",
		"gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "Where is my order?",
		"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "Checking.",
		"gen_ai.completion.0.finish_reason":          "tool_calls",
		"gen_ai.completion.0.tool_calls.0.id":        "call_1",
		"gen_ai.completion.0.tool_calls.0.name":      "lookup_order",
		"gen_ai.completion.0.tool_calls.0.arguments": `{"id":42}`,
	})

	tool := span(toolID, agentID, semconv.KindTool, "lookup_order.tool", 4*time.Second, 4250*time.Millisecond)
	tool.Attributes = attrs(t, map[string]any{
		semconv.OperationName: "lookup_order",
		semconv.EntityInput:   `{"id":42}`,
		semconv.EntityOutput:  `"shipped"`,
	})

	llm2 := span(llm2ID, agentID, semconv.KindLLM, "acme.chat", 5*time.Second, 6*time.Second)
	llm2.Provider, llm2.RequestModel = "acme", "acme-1"
	llm2.Usage = model.Usage{Input: 30, Output: 5, Total: 35}
	llm2.CostSource = model.CostUnpriced
	llm2.Attributes = attrs(t, map[string]any{
		// A string holding the JSON list, as most SDKs send it ...
		semconv.GenAIInputMessages: `[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]`,
		// ... or the list itself.
		semconv.GenAIOutputMessages: []any{map[string]any{
			"role": "assistant", "finish_reason": "stop",
			"parts": []any{
				map[string]any{"type": "text", "content": "Hello"},
				map[string]any{"type": "tool_call", "id": "c2", "name": "f", "arguments": map[string]any{"a": 1}},
			},
		}},
	})

	action := span(actionID, agentID, semconv.KindAction, "send_email", 7*time.Second, 7500*time.Millisecond)
	action.Attributes = attrs(t, map[string]any{semconv.EntityInput: `{"to":"a@example.com"}`})

	refund := span(refundID, agentID, semconv.KindTool, "refund.tool", 8*time.Second, 8500*time.Millisecond)
	refund.Status, refund.StatusMessage = model.StatusError, "refund failed"
	refund.ErrorType, refund.ErrorMessage, refund.ErrorStack = "ValueError", "amount must be positive", "Traceback (most recent call last): ..."
	refund.Events = json.RawMessage(`[{"time_unix_nano":` + itoa(at(8400*time.Millisecond)) + `,"name":"exception","attributes":{"exception.type":"ValueError"}}]`)
	refund.Attributes = attrs(t, map[string]any{
		"gen_ai.tool.name": "refund", "gen_ai.tool.call.id": "call_9", "gen_ai.tool.call.arguments": `{"amount":-1}`,
	})

	errSpan := span(errSpanID, rootID, semconv.KindError, "error", 9500*time.Millisecond, 9500*time.Millisecond)
	errSpan.Status = model.StatusUnset
	errSpan.ErrorType, errSpan.ErrorMessage = "TimeoutError", "upstream timed out"

	return []model.Span{root, agent, llm1, tool, llm2, action, refund, errSpan}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// serve runs one request through New's handler, with project in the
// context unless it is "".
func serve(t *testing.T, h http.Handler, method, target, project string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	if project != "" {
		req = req.WithContext(WithProject(req.Context(), project))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func newHandler(s *sqlite.Store) http.Handler {
	return New(s, Options{SessionTimeout: testTimeout, Now: func() time.Time { return now }})
}

// decode decodes an answer, checking it is JSON.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decoding %s: %v", rec.Body.String(), err)
	}
	return v
}

func ptr[T any](v T) *T { return &v }
