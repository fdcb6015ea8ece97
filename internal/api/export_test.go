package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/semconv"
)

// sameJSON reports whether a and b marshal to equal JSON values.
func sameJSON(t *testing.T, what string, got, want any) {
	t.Helper()
	var g, w any
	gb, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(gb, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(wb, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, gb, wb)
	}
}

func ref(id, parent model.SpanID, name string, start, end time.Duration, status string) SpanRef {
	p := parent.String()
	return SpanRef{
		SpanID: id.String(), ParentSpanID: &p, SpanName: name,
		StartTime: Timestamp(at(start)), EndTime: Timestamp(at(end)),
		DurationMs: float64(end-start) / float64(time.Millisecond), Status: status,
	}
}

func TestExport(t *testing.T) {
	s := newStore(t)
	spans := fullSession(t, "p1")
	write(t, s, now.Add(-5*time.Minute), spans...)
	h := newHandler(s)

	rec := serve(t, h, http.MethodGet, "/v2/sessions/"+fullID.String()+"/export", "p1")
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d, body %s", rec.Code, rec.Body)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range top {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"actions", "errors", "llms", "logs", "session", "spans", "stats", "tools"}; !slices.Equal(keys, want) {
		t.Errorf("top-level keys %v, want %v", keys, want)
	}
	x := decode[SessionExport](t, rec)

	t.Run("session", func(t *testing.T) {
		want := SessionInfo{
			ID: fullID.String(), ProjectID: "p1", Name: "support-run",
			SessionState: SessionState{
				EndState: ptr("Success"), EndStateReason: "done",
				StartTime: Timestamp(at(0)), EndTime: Timestamp(at(10 * time.Second)), DurationMs: 10000,
			},
			LastSeen: Timestamp(now.Add(-5 * time.Minute).UnixNano()),
			Tags:     []string{"prod", "eu"},
			HostEnv:  json.RawMessage(`{"host.name":"worker-1","os.type":"linux"}`),
		}
		sameJSON(t, "session", x.Session, want)
	})

	t.Run("stats equal the stats endpoint", func(t *testing.T) {
		st := serve(t, h, http.MethodGet, "/v2/sessions/"+fullID.String()+"/stats", "p1")
		if got := string(top["stats"]) + "\n"; got != st.Body.String() {
			t.Errorf("export stats %s\nstats endpoint %s", got, st.Body)
		}
		if x.Stats.Events.Total != 8 || x.Stats.Cost.UnpricedCalls != 1 {
			t.Errorf("stats %+v", x.Stats)
		}
	})

	t.Run("actions", func(t *testing.T) {
		want := []Action{{
			SpanRef:    ref(actionID, agentID, "send_email", 7*time.Second, 7500*time.Millisecond, "OK"),
			ActionType: "send_email",
			Input:      json.RawMessage(`"{\"to\":\"a@example.com\"}"`),
		}}
		sameJSON(t, "actions", x.Actions, want)
	})

	t.Run("llms", func(t *testing.T) {
		want := []LLMCall{
			{
				SpanRef: ref(llm1ID, agentID, "openai.chat", 2*time.Second, 3500*time.Millisecond, "OK"),
				LLMInfo: LLMInfo{
					Model: "gpt-4o-2024-08-06", RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06",
					Provider: "openai", Operation: "chat",
					PromptTokens: 100, CompletionTokens: 50, CacheReadTokens: 20, ReasoningTokens: 10, TotalTokens: 150,
					CostUSD: ptr(0.0015), CostSource: "table",
				},
				Prompt: []Message{
					{Role: "system", Content: "You are helpful."},
					{Role: "user", Content: "Where is my order?"},
				},
				Completion: []Message{{
					Role: "assistant", Content: "Checking.", FinishReason: "tool_calls",
					ToolCalls: []json.RawMessage{json.RawMessage(`{"arguments":"{\"id\":42}","id":"call_1","name":"lookup_order"}`)},
				}},
			},
			{
				SpanRef: ref(llm2ID, agentID, "acme.chat", 5*time.Second, 6*time.Second, "OK"),
				LLMInfo: LLMInfo{
					Model: "acme-1", RequestModel: "acme-1", Provider: "acme",
					PromptTokens: 30, CompletionTokens: 5, TotalTokens: 35,
					CostUSD: nil, CostSource: "unpriced",
				},
				Prompt: []Message{{Role: "user", Content: "Hi"}},
				Completion: []Message{{
					Role: "assistant", Content: "Hello", FinishReason: "stop",
					ToolCalls: []json.RawMessage{json.RawMessage(`{"arguments":{"a":1},"id":"c2","name":"f","type":"tool_call"}`)},
				}},
			},
		}
		sameJSON(t, "llms", x.LLMs, want)
		if !strings.Contains(string(top["llms"]), `"cost_usd":null`) {
			t.Errorf("an unpriced call must show cost_usd null, not 0: %s", top["llms"])
		}
	})

	t.Run("tools", func(t *testing.T) {
		want := []ToolCall{
			{
				SpanRef: ref(toolID, agentID, "lookup_order.tool", 4*time.Second, 4250*time.Millisecond, "OK"),
				Name:    "lookup_order",
				Input:   json.RawMessage(`"{\"id\":42}"`),
				Output:  json.RawMessage(`"\"shipped\""`),
			},
			{
				SpanRef: ref(refundID, agentID, "refund.tool", 8*time.Second, 8500*time.Millisecond, "ERROR"),
				Name:    "refund",
				CallID:  "call_9",
				Input:   json.RawMessage(`"{\"amount\":-1}"`),
			},
		}
		sameJSON(t, "tools", x.Tools, want)
	})

	t.Run("errors", func(t *testing.T) {
		want := []ErrorRecord{
			{
				SpanID: refundID.String(), SpanName: "refund.tool", Kind: "tool",
				Time: Timestamp(at(8400 * time.Millisecond)), // the exception event
				Type: "ValueError", Message: "amount must be positive", Stacktrace: "Traceback (most recent call last): ...",
			},
			{
				SpanID: errSpanID.String(), SpanName: "error", Kind: "error",
				Time: Timestamp(at(9500 * time.Millisecond)), // no exception event: the span's end
				Type: "TimeoutError", Message: "upstream timed out",
			},
		}
		sameJSON(t, "errors", x.Errors, want)
	})

	t.Run("spans", func(t *testing.T) {
		if len(x.Spans) != len(spans) {
			t.Fatalf("%d spans, want %d", len(x.Spans), len(spans))
		}
		for i, want := range spans { // fullSession lists them in start order
			got := x.Spans[i]
			if got.SpanID != want.SpanID.String() || got.TraceID != fullID.String() || got.Name != want.Name || got.Kind != string(want.Kind) {
				t.Errorf("span %d: %s %s %q %s, want %s %q %s", i, got.TraceID, got.SpanID, got.Name, got.Kind, want.SpanID, want.Name, want.Kind)
			}
			if want.IsRoot() != (got.ParentSpanID == nil) || (got.ParentSpanID != nil && *got.ParentSpanID != want.ParentID.String()) {
				t.Errorf("span %s: parent %v, want %s", got.SpanID, got.ParentSpanID, want.ParentID)
			}
			if got.StartTime != Timestamp(want.Start) || got.EndTime != Timestamp(want.End) {
				t.Errorf("span %s: times %d..%d, want %d..%d", got.SpanID, got.StartTime, got.EndTime, want.Start, want.End)
			}
			if got.Status.Code != want.Status.String() || got.Status.Message != want.StatusMessage {
				t.Errorf("span %s: status %+v", got.SpanID, got.Status)
			}
			wantAttrs := want.Attributes
			if wantAttrs == nil {
				wantAttrs = json.RawMessage(`{}`)
			}
			sameJSON(t, "attributes of "+got.SpanID, got.Attributes, wantAttrs)
			if (got.Error != nil) != want.IsError() {
				t.Errorf("span %s: error %+v, want error %v", got.SpanID, got.Error, want.IsError())
			}
			if (got.LLM != nil) != (want.Kind == "llm") {
				t.Errorf("span %s: llm %+v", got.SpanID, got.LLM)
			}
		}
		root, llm1, refund := x.Spans[0], x.Spans[2], x.Spans[6]
		sameJSON(t, "root resource", root.Resource, json.RawMessage(`{"os.type":"linux","service.name":"support"}`))
		sameJSON(t, "root scope", root.Scope, json.RawMessage(`{"name":"agentops","version":"0.4.9"}`))
		if root.EndState != "Success" || root.EndStateReason != "done" || !slices.Equal(root.Tags, []string{"prod", "eu"}) {
			t.Errorf("root session fields: %q %q %v", root.EndState, root.EndStateReason, root.Tags)
		}
		if root.SpanKind != "INTERNAL" || llm1.SpanKind != "CLIENT" {
			t.Errorf("span kinds %q, %q", root.SpanKind, llm1.SpanKind)
		}
		if llm1.LLM.TotalTokens != 150 || llm1.LLM.CostUSD == nil || *llm1.LLM.CostUSD != 0.0015 {
			t.Errorf("llm span fields: %+v", llm1.LLM)
		}
		if want := (SpanError{Type: "ValueError", Message: "amount must be positive", Stacktrace: "Traceback (most recent call last): ..."}); *refund.Error != want {
			t.Errorf("refund error %+v", *refund.Error)
		}
		sameJSON(t, "refund events", refund.Events, spans[6].Events)
		var raw []map[string]json.RawMessage
		if err := json.Unmarshal(top["spans"], &raw); err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]string{"parent_span_id": "null", "resource": `{}`, "events": `[]`, "links": `[]`, "scope": "null", "error": "null", "llm": "null"} {
			if got := string(raw[1][key]); key != "parent_span_id" && got != want { // the agent span has none of these
				t.Errorf("agent span %s = %s, want %s", key, got, want)
			}
			if got := string(raw[0][key]); key == "parent_span_id" && got != want {
				t.Errorf("root span %s = %s, want %s", key, got, want)
			}
		}
	})

	t.Run("Export() equals the API answer", func(t *testing.T) {
		got, err := Export(context.Background(), s, "p1", fullID, now, testTimeout)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(got)
		if !bytes.Equal(append(b, '\n'), rec.Body.Bytes()) {
			t.Error("Export() JSON differs from the API answer")
		}
	})
}

// TestExportEmptySections: sections without entries are [], never null.
func TestExportEmptySections(t *testing.T) {
	s := newStore(t)
	write(t, s, now, twoSpans("p1", traceID(0xd1), 0, nil)...)
	rec := serve(t, newHandler(s), http.MethodGet, "/v2/sessions/"+traceID(0xd1).String()+"/export", "p1")
	var top map[string]json.RawMessage
	if err := json.Unmarshal(rec.Body.Bytes(), &top); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"actions", "tools", "errors"} {
		if string(top[k]) != "[]" {
			t.Errorf("%s = %s, want []", k, top[k])
		}
	}
	var llms []LLMCall
	if err := json.Unmarshal(top["llms"], &llms); err != nil || len(llms) != 1 {
		t.Fatalf("llms %s: %v", top["llms"], err)
	}
	if llms[0].Prompt == nil || len(llms[0].Prompt) != 0 || llms[0].Completion == nil || len(llms[0].Completion) != 0 {
		t.Errorf("an LLM call without content: prompt %v completion %v, want [] and []", llms[0].Prompt, llms[0].Completion)
	}
	if !strings.Contains(string(top["session"]), `"host_env":null`) || !strings.Contains(string(top["session"]), `"tags":[]`) {
		t.Errorf("session %s: want host_env null and tags []", top["session"])
	}
}

// TestExportOtherDialects: tools and transcripts of OpenLLMetry,
// OpenInference and the GenAI event form fill the same export sections.
func TestExportOtherDialects(t *testing.T) {
	s := newStore(t)
	id := traceID(0xd1)
	span := func(n byte, kind, name string) model.Span {
		return model.Span{ProjectID: "p1", TraceID: id, SpanID: spanID(n), Kind: model.Kind(kind), Name: name,
			Start: at(time.Duration(n) * time.Second), End: at(time.Duration(n)*time.Second + time.Millisecond)}
	}
	traceloop := span(1, semconv.KindTool, "get_weather.tool")
	traceloop.Attributes = attrs(t, map[string]any{"traceloop.span.kind": "tool", "traceloop.entity.name": "get_weather",
		"traceloop.entity.input": `{"city":"Oslo"}`, "traceloop.entity.output": `"snow"`})
	oi := span(2, semconv.KindTool, "tool")
	oi.Attributes = attrs(t, map[string]any{"openinference.span.kind": "TOOL", "tool.name": "search", "input.value": "go", "output.value": "found"})
	events := span(3, semconv.KindLLM, "chat")
	events.Events = json.RawMessage(`[{"time_unix_nano":1,"name":"gen_ai.user.message","attributes":{"content":"hi"}},{"time_unix_nano":2,"name":"gen_ai.choice","attributes":{"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}}]`)
	write(t, s, now, traceloop, oi, events)

	x, err := Export(context.Background(), s, "p1", id, now, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Tools) != 2 {
		t.Fatalf("tools = %+v", x.Tools)
	}
	if tl := x.Tools[0]; tl.Name != "get_weather" || string(tl.Input) != `"{\"city\":\"Oslo\"}"` || string(tl.Output) != `"\"snow\""` {
		t.Errorf("traceloop tool = %s %s %s", tl.Name, tl.Input, tl.Output)
	}
	if o := x.Tools[1]; o.Name != "search" || string(o.Input) != `"go"` || string(o.Output) != `"found"` {
		t.Errorf("OpenInference tool = %s %s %s", o.Name, o.Input, o.Output)
	}
	if len(x.LLMs) != 1 {
		t.Fatalf("llms = %+v", x.LLMs)
	}
	want := `[{"role":"user","content":"hi"}] [{"role":"assistant","content":"hello","finish_reason":"stop"}]`
	p, _ := json.Marshal(x.LLMs[0].Prompt)
	c, _ := json.Marshal(x.LLMs[0].Completion)
	if got := string(p) + " " + string(c); got != want {
		t.Errorf("transcript = %s, want %s", got, want)
	}
}
