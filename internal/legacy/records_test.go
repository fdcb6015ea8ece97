package legacy

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/agentops-go/agentops/internal/model"
)

func TestParseTime(t *testing.T) {
	want := time.Date(2025, 3, 1, 10, 0, 0, 123456000, time.UTC)
	for _, v := range []string{"2025-03-01T10:00:00.123456+00:00", "2025-03-01T10:00:00.123456Z", "2025-03-01T12:00:00.123456+02:00", "2025-03-01T10:00:00.123456", "2025-03-01 10:00:00.123456"} {
		if got, err := parseTime("t", v); err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", v, got, err, want)
		}
	}
	if got, err := parseTime("t", ""); err != nil || !got.IsZero() {
		t.Errorf(`parseTime("") = %v, %v; want zero`, got, err)
	}
	if _, err := parseTime("t", "March 1st"); err == nil {
		t.Error("parseTime accepted a non-ISO time")
	}
}

func TestTagList(t *testing.T) {
	tests := []struct {
		raw  string
		want []string
	}{
		{`["a", " b ", "", 3]`, []string{"a", "b", "3"}},
		{`"a, b,,c"`, []string{"a", "b", "c"}},
		{`[]`, []string{}},
		{`null`, nil},
		{``, nil},
	}
	for _, tt := range tests {
		if got := tagList(json.RawMessage(tt.raw)); !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("tagList(%s) = %#v, want %#v", tt.raw, got, tt.want)
		}
	}
}

func TestJSONInt(t *testing.T) {
	tests := []struct {
		raw  string
		want int64
		ok   bool
	}{{`12`, 12, true}, {`"12"`, 12, true}, {`12.0`, 12, true}, {`null`, 0, false}, {`-1`, 0, false}, {`"x"`, 0, false}, {``, 0, false}}
	for _, tt := range tests {
		if got, ok := jsonInt(json.RawMessage(tt.raw)); got != tt.want || ok != tt.ok {
			t.Errorf("jsonInt(%s) = %d, %v; want %d, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

func TestEventSpans(t *testing.T) {
	trace := model.TraceID{1}
	tests := []struct {
		name     string
		event    string
		wantKind string
		wantName string
		attrs    map[string]any
	}{
		{"action", `{"id":"1","event_type":"actions","action_type":"click","params":{"x":1},"returns":"ok"}`, "action", "click",
			map[string]any{"agentops.action.type": "click", "agentops.entity.input": `{"x":1}`, "agentops.entity.output": "ok"}},
		{"tool by tool_name", `{"id":"2","event_type":"tools","tool_name":"search"}`, "tool", "search", map[string]any{"gen_ai.tool.name": "search"}},
		{"llm with ChatML prompt and cost", `{"id":"3","event_type":"llms","model":"gpt-4o","prompt":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"}],"completion":"hello","prompt_tokens":"7","completion_tokens":3,"cost":0.5}`,
			"llm", "gpt-4o", map[string]any{"gen_ai.request.model": "gpt-4o", "gen_ai.usage.prompt_tokens": int64(7), "gen_ai.usage.completion_tokens": int64(3), "gen_ai.usage.cost": 0.5,
				"gen_ai.prompt.0.role": "system", "gen_ai.prompt.1.content": "hi", "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "hello"}},
		{"error with a trigger object", `{"id":"4","event_type":"errors","error_type":"KeyError","details":{"k":"v"},"code":42,"trigger_event":{"id":"2","event_type":"tools"}}`,
			"error", "KeyError", map[string]any{"error.type": "KeyError", "exception.message": `{"k":"v"}`, "agentops.error.code": "42", "agentops.error.trigger_event": "tools"}},
		{"llm with a chatml wrapper", `{"id":"7","event_type":"llms","model":"claude-3-5-sonnet","prompt":{"type":"chatml","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]},"completion":{"role":"assistant","content":"yo"}}`,
			"llm", "claude-3-5-sonnet", map[string]any{"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": `[{"type":"text","text":"hi"}]`, "gen_ai.completion.0.content": "yo"}},
		{"api", `{"id":"5","event_type":"apis","name":"GET /x"}`, "http", "GET /x", nil},
		{"unknown type is an action", `{"id":"6","event_type":"custom"}`, "action", "custom", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e eventRecord
			if err := json.Unmarshal([]byte(tt.event), &e); err != nil {
				t.Fatal(err)
			}
			b := newBatch(trace)
			if err := b.addEvent(&e, time.Unix(100, 0)); err != nil {
				t.Fatal(err)
			}
			sp := b.spans.At(0)
			a := sp.Attributes().AsRaw()
			if a["agentops.span.kind"] != tt.wantKind || sp.Name() != tt.wantName {
				t.Errorf("kind %v name %q, want %s %q", a["agentops.span.kind"], sp.Name(), tt.wantKind, tt.wantName)
			}
			for k, v := range tt.attrs {
				if a[k] != v {
					t.Errorf("%s = %#v, want %#v", k, a[k], v)
				}
			}
			wantParent := rootSpanID(trace)
			if tt.wantKind == "error" {
				wantParent = eventSpanID("2")
			}
			if model.SpanID(sp.ParentSpanID()) != wantParent || model.SpanID(sp.SpanID()) != eventSpanID(string(e.ID)) {
				t.Errorf("ids: span %s parent %s", sp.SpanID(), sp.ParentSpanID())
			}
			if sp.StartTimestamp() != pcommon.Timestamp(100e9) || sp.EndTimestamp() != pcommon.Timestamp(100e9) {
				t.Errorf("an event without times is at the server clock: %v..%v", sp.StartTimestamp(), sp.EndTimestamp())
			}
		})
	}
}
