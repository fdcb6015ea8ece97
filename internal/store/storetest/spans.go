package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// fullSpans sets every field of model.Span, with the edge values a
// backend's encoding could lose.
func fullSpans(project string, trace model.TraceID) []model.Span {
	root := model.Span{
		ProjectID: project, TraceID: trace, SpanID: spanID(1),
		Name: "support session ✓", Kind: semconv.KindSession, SpanKind: 1,
		Start: base, End: base + 5_000_000_000,
		Status: model.StatusOK, StatusMessage: "all good",
		EndState: semconv.EndStateSuccess, EndStateReason: "finished",
		Tags:       []string{"prod", "tag with spaces", "ünïcode", `quote"s`, ""},
		Attributes: json.RawMessage(`{"host.name":"box","agentops.span.kind":"session","n":1.5,"b":true,"nested":{"a":[1,"x",null]}}`),
		Resource:   json.RawMessage(`{"service.name":"svc","os.type":"linux"}`),
		Scope:      json.RawMessage(`{"name":"agentops","version":"0.4"}`),
		Events:     json.RawMessage(`[{"time_unix_nano":1704067200000000001,"name":"start","attributes":{}}]`),
		Links:      json.RawMessage(`[{"trace_id":"0102030405060708090a0b0c0d0e0f10","span_id":"0102030405060708","trace_state":"a=b","attributes":{"k":"v"}}]`),
	}
	llm := model.Span{
		ProjectID: project, TraceID: trace, SpanID: spanID(2), ParentID: spanID(1),
		Name: "openai.chat", Kind: semconv.KindLLM, SpanKind: 3,
		Start: base + 1, End: base + 2_000_000_000,
		Provider: "openai", Operation: "chat", RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06",
		Usage:      model.Usage{Input: 1200, Output: 300, CacheRead: 1000, CacheWrite: 100, Reasoning: 50, Total: 1500},
		Cost:       0.1 + 0.2, // not a short decimal: must round-trip bit for bit
		CostSource: model.CostTable,
		Tags:       []string{}, // empty, not nil
		Attributes: json.RawMessage(`{"gen_ai.prompt.0.content":"` + strings.Repeat("long prompt ", 10000) + `"}`),
		Resource:   json.RawMessage(`{"service.name":"svc","os.type":"linux"}`),
		Scope:      json.RawMessage(`{"name":"agentops","version":"0.4"}`),
		Truncated:  true,
	}
	failed := model.Span{
		ProjectID: project, TraceID: trace, SpanID: spanID(3), ParentID: spanID(2),
		Name: "tool failed", Kind: semconv.KindError, SpanKind: -7,
		Start:  base + 1, // same start as llm: ordered by span id
		End:    0,        // in flight
		Status: model.StatusError, StatusMessage: "boom",
		ErrorType: "ValueError", ErrorMessage: "bad value\nline 2", ErrorStack: "Traceback:\n  file.py:1\x00binary",
		Cost: -1e-300, CostSource: model.CostSpan,
		Usage: model.Usage{Input: -1, Total: 1 << 62},
	}
	unpriced := model.Span{
		ProjectID: project, TraceID: trace, SpanID: spanID(4), ParentID: spanID(1),
		Name: "mystery-model", Kind: semconv.KindLLM, Start: base + 7, End: base + 8,
		RequestModel: "mystery", CostSource: model.CostUnpriced,
		Usage:     model.Usage{Input: 5, Output: 6, Total: 11},
		Resource:  json.RawMessage(`{"service.name":"other"}`), // another process
		Truncated: false,
	}
	bare := model.Span{ProjectID: project, TraceID: trace, SpanID: spanID(5), ParentID: spanID(1), Start: base + 9}
	return []model.Span{root, llm, failed, unpriced, bare}
}

func testSpansRoundTrip(t *testing.T, s store.Store) {
	trace := traceID(1)
	want := fullSpans("p1", trace)
	write(t, s, want, now)
	checkSpans(t, spansOf(t, s, "p1", trace), want)
	checkSession(t, session(t, s, "p1", trace), Reference([][]model.Span{want}, []time.Time{now}))
}

func testSpansOrder(t *testing.T, s store.Store) {
	trace := traceID(2)
	spans := fullSpans("p1", trace)
	// Later spans first, one per call.
	for i := len(spans) - 1; i >= 0; i-- {
		write(t, s, spans[i:i+1], now)
	}
	checkSpans(t, spansOf(t, s, "p1", trace), spans)
}

func testEmptyWrite(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.WriteSpans(ctx, nil, now); err != nil {
		t.Fatalf("WriteSpans(nil): %v", err)
	}
	if err := s.WriteSpans(ctx, []model.Span{}, now); err != nil {
		t.Fatalf("WriteSpans(empty): %v", err)
	}
	page, err := s.Sessions(ctx, "p1", store.SessionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Sessions) != 0 || page.Next != "" {
		t.Errorf("Sessions after empty writes = %+v, want none", page)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.Session(ctx, "p1", traceID(99)); !isNotFound(err) {
		t.Errorf("Session(unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := s.Spans(ctx, "p1", traceID(99)); !isNotFound(err) {
		t.Errorf("Spans(unknown) error = %v, want ErrNotFound", err)
	}
}
