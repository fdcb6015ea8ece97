package otlp

import (
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The spans of the official AgentOps Python SDK 0.4.x, as it sends them
// (attribute sets copied from what agentops 0.4.21 exported in
// internal/compat's run).
func TestNormalizePythonSDK04(t *testing.T) {
	named := func(name string) func(ptrace.Span) { return func(sp ptrace.Span) { sp.SetName(name) } }
	child := func(sp ptrace.Span) { sp.SetParentSpanID(pcommon.SpanID{9, 9, 9, 9, 9, 9, 9, 9}) }
	tests := []struct {
		name      string
		attrs     map[string]any
		edit      []func(ptrace.Span)
		wantName  string
		wantKind  string
		wantOp    string
		wantState string
		reason    string
	}{
		{
			name:     "start_trace root is named as the trace, not trace.session",
			attrs:    map[string]any{"agentops.span.kind": "session", "operation.name": "weather-run", "agentops.tags": "['pysdk']"},
			edit:     []func(ptrace.Span){named("weather-run.session")},
			wantName: "weather-run", wantKind: "session",
		},
		{
			name:     "legacy start_session root",
			attrs:    map[string]any{"agentops.span.kind": "session", "operation.name": "session", "agentops.session.end_state": "Fail"},
			edit:     []func(ptrace.Span){named("session.session")},
			wantName: "session", wantKind: "session", wantState: "Failure",
		},
		{
			name:     "legacy end_session's reason",
			attrs:    map[string]any{"agentops.span.kind": "session", "agentops.session.end_state": "Fail", "agentops.legacy.end_state_reason": "gave up"},
			wantName: "span", wantKind: "session", wantState: "Failure", reason: "gave up",
		},
		{
			name: "the current reason wins over the legacy one",
			attrs: map[string]any{"agentops.span.kind": "session", "agentops.session.end_state": "Fail",
				"agentops.session.end_state_reason": "current", "agentops.legacy.end_state_reason": "legacy"},
			wantName: "span", wantKind: "session", wantState: "Failure", reason: "current",
		},
		{
			name:     "a name that does not follow the pattern is kept",
			attrs:    map[string]any{"agentops.span.kind": "session", "operation.name": "run"},
			edit:     []func(ptrace.Span){named("nightly batch")},
			wantName: "nightly batch", wantKind: "session",
		},
		{
			name:     "only a root session span is renamed",
			attrs:    map[string]any{"agentops.span.kind": "session", "operation.name": "inner"},
			edit:     []func(ptrace.Span){named("inner.session"), child},
			wantName: "inner.session", wantKind: "session",
		},
		{
			name:     "other kinds keep their span name",
			attrs:    map[string]any{"agentops.span.kind": "tool", "operation.name": "lookup", "gen_ai.usage.total_cost": 0.25},
			edit:     []func(ptrace.Span){named("lookup.tool")},
			wantName: "lookup.tool", wantKind: "tool",
		},
		{
			name: "OpenAI instrumentation: gen_ai.request.type chat is an LLM call",
			attrs: map[string]any{"gen_ai.request.type": "chat", "gen_ai.system": "OpenAI", "gen_ai.request.model": "gpt-4o-mini",
				"gen_ai.usage.prompt_tokens": 21, "gen_ai.usage.completion_tokens": 9},
			edit:     []func(ptrace.Span){named("openai.chat.completion")},
			wantName: "openai.chat.completion", wantKind: "llm", wantOp: "chat",
		},
		{
			name:     "gen_ai.request.type without a model or tokens is still an LLM call",
			attrs:    map[string]any{"gen_ai.request.type": "completion"},
			wantName: "span", wantKind: "llm", wantOp: "text_completion",
		},
		{
			name:     "llm.request.type embedding names the operation",
			attrs:    map[string]any{"llm.request.type": "embedding"},
			wantName: "span", wantKind: "llm", wantOp: "embeddings",
		},
		{
			name:     "gen_ai.operation.name wins over the request type",
			attrs:    map[string]any{"gen_ai.operation.name": "generate_content", "gen_ai.request.type": "chat"},
			wantName: "span", wantKind: "llm", wantOp: "generate_content",
		},
		{name: "end_state Error", attrs: map[string]any{"agentops.session.end_state": "Error"}, wantName: "span", wantKind: "unknown", wantState: "Failure"},
		{name: "end_state ERROR (TraceState name)", attrs: map[string]any{"agentops.session.end_state": "ERROR"}, wantName: "span", wantKind: "unknown", wantState: "Failure"},
		{name: "end_state SUCCESS (TraceState name)", attrs: map[string]any{"agentops.session.end_state": "SUCCESS"}, wantName: "span", wantKind: "unknown", wantState: "Success"},
		{name: "end_state Unknown (decorator left it open)", attrs: map[string]any{"agentops.session.end_state": "Unknown"}, wantName: "span", wantKind: "unknown", wantState: "Indeterminate"},
		{name: "end_state Shutdown (ended at exit)", attrs: map[string]any{"agentops.session.end_state": "Shutdown"}, wantName: "span", wantKind: "unknown", wantState: "Indeterminate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := normalizeOne(t, oneSpan(t, tt.attrs, tt.edit...), Limits{})
			if s.Name != tt.wantName || string(s.Kind) != tt.wantKind || s.Operation != tt.wantOp || s.EndState != tt.wantState || s.EndStateReason != tt.reason {
				t.Errorf("name %q kind %q operation %q end state %q (%q); want %q %q %q %q (%q)",
					s.Name, s.Kind, s.Operation, s.EndState, s.EndStateReason, tt.wantName, tt.wantKind, tt.wantOp, tt.wantState, tt.reason)
			}
		})
	}
}
