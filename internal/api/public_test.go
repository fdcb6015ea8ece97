package api

import (
	"context"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/store/sqlite"
)

func newPublic(s *sqlite.Store) http.Handler {
	return NewPublic(s, Options{SessionTimeout: testTimeout, Now: func() time.Time { return now }})
}

// publicFixture stores the full session in a project of its own and returns
// the project's id.
func publicFixture(t *testing.T, s *sqlite.Store) string {
	t.Helper()
	p, err := s.CreateProject(context.Background(), "support")
	if err != nil {
		t.Fatal(err)
	}
	write(t, s, now, fullSession(t, p.ID)...)
	return p.ID
}

func TestPublicProject(t *testing.T) {
	s := newStore(t)
	p := publicFixture(t, s)
	got := decode[PublicProject](t, serve(t, newPublic(s), "GET", "/public/v1/project", p))
	if want := (PublicProject{ID: p, Name: "support", Environment: "production"}); got != want {
		t.Errorf("project = %+v, want %+v", got, want)
	}
}

func TestPublicTrace(t *testing.T) {
	s := newStore(t)
	p := publicFixture(t, s)
	rec := serve(t, newPublic(s), "GET", "/public/v1/traces/"+fullID.String(), p)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	got := decode[map[string]any](t, rec)
	if got["trace_id"] != fullID.String() || got["project_id"] != p || !reflect.DeepEqual(got["tags"], []any{"prod", "eu"}) {
		t.Errorf("trace header = %v %v %v", got["trace_id"], got["project_id"], got["tags"])
	}
	spans := got["spans"].([]any)
	if len(spans) != 8 {
		t.Fatalf("%d spans, want 8", len(spans))
	}
	root := spans[0].(map[string]any)
	wantRoot := map[string]any{
		"span_id": rootID.String(), "parent_span_id": nil, "span_name": "support-run",
		"span_kind": "SPAN_KIND_INTERNAL", "start_time": "2025-01-02T03:04:05.000000000Z",
		"end_time": "2025-01-02T03:04:15.000000000Z", "duration": 10000.0,
		"status_code": "STATUS_CODE_OK", "status_message": "",
	}
	if !reflect.DeepEqual(root, wantRoot) {
		t.Errorf("root span =\n %v\nwant\n %v", root, wantRoot)
	}
	llm := spans[2].(map[string]any)
	if llm["span_id"] != llm1ID.String() || llm["span_kind"] != "SPAN_KIND_CLIENT" || llm["parent_span_id"] != agentID.String() || llm["duration"] != 1500.0 {
		t.Errorf("llm span = %v", llm)
	}
	refund := spans[6].(map[string]any)
	if refund["status_code"] != "STATUS_CODE_ERROR" || refund["status_message"] != "refund failed" {
		t.Errorf("failed span = %v", refund)
	}
}

func TestPublicTraceMetrics(t *testing.T) {
	s := newStore(t)
	p := publicFixture(t, s)
	got := decode[PublicTraceMetrics](t, serve(t, newPublic(s), "GET", "/public/v1/traces/"+fullID.String()+"/metrics", p))
	// Six spans OK, the refund ERROR, the error span UNSET; tokens of the
	// two LLM calls; only llm1 is priced.
	want := PublicTraceMetrics{
		SpanCount: 8, TraceCount: 1, SuccessCount: 6, FailCount: 1, IndeterminateCount: 1,
		PublicTokens:        PublicTokens{PromptTokens: 130, CompletionTokens: 55, CacheReadInputTokens: 20, ReasoningTokens: 10, TotalTokens: 185},
		TotalCost:           "0.0015000",
		AverageCostPerTrace: "0.0015000",
		UnpricedCalls:       1,
		PromptCost:          got.PromptCost, CompletionCost: got.CompletionCost, // checked below
	}
	if got != want {
		t.Errorf("metrics =\n %+v\nwant\n %+v", got, want)
	}
	checkSplit(t, got.PromptCost, got.CompletionCost, 0.0015)
}

// checkSplit: both shares are positive and add up to the total (to the
// 7 decimals shown).
func checkSplit(t *testing.T, prompt, completion string, total float64) {
	t.Helper()
	p, err1 := strconv.ParseFloat(prompt, 64)
	c, err2 := strconv.ParseFloat(completion, 64)
	if err1 != nil || err2 != nil || p <= 0 || c <= 0 || math.Abs(p+c-total) > 2e-7 {
		t.Errorf("prompt_cost %q + completion_cost %q, want two positive shares of %v", prompt, completion, total)
	}
}

func TestPublicSpan(t *testing.T) {
	s := newStore(t)
	p := publicFixture(t, s)
	h := newPublic(s)
	for _, target := range []string{
		"/public/v1/spans/" + llm1ID.String(),
		"/public/v1/spans/" + llm1ID.String() + "?trace_id=" + fullID.String(),
	} {
		rec := serve(t, h, "GET", target, p)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", target, rec.Code, rec.Body)
		}
		got := decode[map[string]any](t, rec)
		if got["trace_id"] != fullID.String() || got["span_id"] != llm1ID.String() || got["span_name"] != "openai.chat" || got["parent_span_id"] != agentID.String() {
			t.Errorf("%s: span = %v", target, got)
		}
		nested := got["attributes"].(map[string]any)["gen_ai"].(map[string]any)
		prompt := nested["prompt"].([]any)
		if len(prompt) != 2 || prompt[1].(map[string]any)["content"] != "Where is my order?" {
			t.Errorf("nested prompt = %v", prompt)
		}
		call := nested["completion"].([]any)[0].(map[string]any)["tool_calls"].([]any)[0].(map[string]any)
		if call["name"] != "lookup_order" {
			t.Errorf("nested tool call = %v", call)
		}
		if flat := got["span_attributes"].(map[string]any); flat["gen_ai.prompt.0.role"] != "system" {
			t.Errorf("span_attributes = %v", flat)
		}
	}
	root := decode[map[string]any](t, serve(t, h, "GET", "/public/v1/spans/"+rootID.String(), p))
	want := map[string]any{"service": map[string]any{"name": "support"}, "os": map[string]any{"type": "linux"}}
	if root["service_name"] != "support" || !reflect.DeepEqual(root["resource_attributes"], want) {
		t.Errorf("root: service_name %v, resource_attributes %v", root["service_name"], root["resource_attributes"])
	}
}

func TestPublicSpanMetrics(t *testing.T) {
	s := newStore(t)
	p := publicFixture(t, s)
	h := newPublic(s)
	got := decode[PublicSpanMetrics](t, serve(t, h, "GET", "/public/v1/spans/"+llm1ID.String()+"/metrics", p))
	want := PublicSpanMetrics{
		PublicTokens:  PublicTokens{PromptTokens: 100, CompletionTokens: 50, CacheReadInputTokens: 20, ReasoningTokens: 10, TotalTokens: 150},
		SuccessTokens: 150, TotalCost: "0.0015000", CostSource: "table",
		PromptCost: got.PromptCost, CompletionCost: got.CompletionCost,
	}
	if got != want {
		t.Errorf("llm metrics =\n %+v\nwant\n %+v", got, want)
	}
	checkSplit(t, got.PromptCost, got.CompletionCost, 0.0015)

	unpriced := decode[PublicSpanMetrics](t, serve(t, h, "GET", "/public/v1/spans/"+llm2ID.String()+"/metrics", p))
	if unpriced.TotalCost != "0.0000000" || unpriced.CostSource != "unpriced" || unpriced.SuccessTokens != 35 {
		t.Errorf("unpriced metrics = %+v", unpriced)
	}
	failed := decode[PublicSpanMetrics](t, serve(t, h, "GET", "/public/v1/spans/"+errSpanID.String()+"/metrics", p))
	if failed.CostSource != "none" || failed.TotalTokens != 0 {
		t.Errorf("error span metrics = %+v", failed)
	}
}

// TestPublicNotFoundLeaksNothing: another project's trace or span gets the
// answer of one that does not exist, byte for byte; bad ids are 400s.
func TestPublicNotFoundLeaksNothing(t *testing.T) {
	s := newStore(t)
	other := publicFixture(t, s)
	mine, err := s.CreateProject(context.Background(), "mine")
	if err != nil {
		t.Fatal(err)
	}
	h := newPublic(s)
	for _, tc := range []struct{ theirs, unknown string }{
		{"/public/v1/traces/" + fullID.String(), "/public/v1/traces/" + traceID(0xee).String()},
		{"/public/v1/traces/" + fullID.String() + "/metrics", "/public/v1/traces/" + traceID(0xee).String() + "/metrics"},
		{"/public/v1/spans/" + llm1ID.String(), "/public/v1/spans/" + spanID(0xee).String()},
		{"/public/v1/spans/" + llm1ID.String() + "/metrics", "/public/v1/spans/" + spanID(0xee).String() + "/metrics"},
		{"/public/v1/spans/" + llm1ID.String() + "?trace_id=" + fullID.String(), "/public/v1/spans/" + spanID(0xee).String() + "?trace_id=" + traceID(0xee).String()},
	} {
		theirs, unknown := serve(t, h, "GET", tc.theirs, mine.ID), serve(t, h, "GET", tc.unknown, mine.ID)
		if theirs.Code != http.StatusNotFound || theirs.Body.String() != unknown.Body.String() || unknown.Code != http.StatusNotFound {
			t.Errorf("%s: %d %s; unknown: %d %s", tc.theirs, theirs.Code, theirs.Body, unknown.Code, unknown.Body)
		}
		if own := serve(t, h, "GET", tc.theirs, other); own.Code != http.StatusOK {
			t.Errorf("%s in its own project: %d %s", tc.theirs, own.Code, own.Body)
		}
	}
	for _, target := range []string{"/public/v1/traces/xyz", "/public/v1/spans/123", "/public/v1/spans/" + llm1ID.String() + "?trace_id=nope", "/public/v1/traces/" + fullID.String() + "x/metrics"} {
		rec := serve(t, h, "GET", target, other)
		body := decode[map[string]string](t, rec)
		if rec.Code != http.StatusBadRequest || body["error"] == "" || body["detail"] != body["error"] {
			t.Errorf("%s: %d %v", target, rec.Code, body)
		}
	}
	if rec := serve(t, h, "GET", "/public/v1/project", ""); rec.Code != http.StatusUnauthorized {
		t.Errorf("no project: %d", rec.Code)
	}
	if rec := serve(t, h, "POST", "/public/v1/project", other); rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /public/v1/project: %d", rec.Code)
	}
}

func TestNest(t *testing.T) {
	for _, tc := range []struct {
		flat map[string]any
		want any
	}{
		{map[string]any{}, map[string]any{}},
		{map[string]any{"a.b": 1.0, "a.c": "x"}, map[string]any{"a": map[string]any{"b": 1.0, "c": "x"}}},
		{map[string]any{"p.0.r": "u", "p.1.r": "a"}, map[string]any{"p": []any{map[string]any{"r": "u"}, map[string]any{"r": "a"}}}},
		// Not 0..n-1: stays an object.
		{map[string]any{"p.0": "u", "p.2": "a"}, map[string]any{"p": map[string]any{"0": "u", "2": "a"}}},
		// A value and a subtree at one key: the dotted key stays whole.
		{map[string]any{"a": 1.0, "a.b": 2.0}, map[string]any{"a": 1.0, "a.b": 2.0}},
		{map[string]any{"a.b.c": 1.0, "a.b": 2.0}, map[string]any{"a": map[string]any{"b": 2.0, "b.c": 1.0}}},
		// Empty segments are not split.
		{map[string]any{"a..b": 1.0, ".x": 2.0, "y.": 3.0}, map[string]any{"a": map[string]any{".b": 1.0}, ".x": 2.0, "y.": 3.0}},
	} {
		if got := nest(tc.flat); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("nest(%v) = %v, want %v", tc.flat, got, tc.want)
		}
	}
}
