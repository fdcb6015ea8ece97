package otlp

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/model"
)

func TestNormalizeKind(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]any
		want  model.Kind
	}{
		{"agentops kind", map[string]any{"agentops.span.kind": "session"}, "session"},
		{"agentops kind any case", map[string]any{"agentops.span.kind": "LLM"}, "llm"},
		{"agentops older llm.call", map[string]any{"agentops.span.kind": "llm.call"}, "llm"},
		{"agentops older agent.action", map[string]any{"agentops.span.kind": "agent.action"}, "action"},
		{"agentops older workflow.step", map[string]any{"agentops.span.kind": "workflow.step"}, "task"},
		{"agentops team", map[string]any{"agentops.span.kind": "team"}, "workflow"},
		{"agentops kind wins over operation", map[string]any{"agentops.span.kind": "agent", "gen_ai.operation.name": "chat"}, "agent"},
		{"unrecognized agentops kind falls through", map[string]any{"agentops.span.kind": "text", "gen_ai.operation.name": "chat"}, "llm"},
		{"operation chat", map[string]any{"gen_ai.operation.name": "chat"}, "llm"},
		{"operation text_completion", map[string]any{"gen_ai.operation.name": "text_completion"}, "llm"},
		{"operation generate_content", map[string]any{"gen_ai.operation.name": "generate_content"}, "llm"},
		{"operation embeddings", map[string]any{"gen_ai.operation.name": "embeddings"}, "llm"},
		{"operation execute_tool", map[string]any{"gen_ai.operation.name": "execute_tool"}, "tool"},
		{"operation invoke_agent", map[string]any{"gen_ai.operation.name": "invoke_agent"}, "agent"},
		{"operation create_agent", map[string]any{"gen_ai.operation.name": "create_agent"}, "agent"},
		{"traceloop workflow", map[string]any{"traceloop.span.kind": "workflow"}, "workflow"},
		{"traceloop task", map[string]any{"traceloop.span.kind": "task"}, "task"},
		{"traceloop tool", map[string]any{"traceloop.span.kind": "tool"}, "tool"},
		{"openllmetry request type", map[string]any{"llm.request.type": "chat"}, "llm"},
		{"openinference LLM", map[string]any{"openinference.span.kind": "LLM"}, "llm"},
		{"openinference EMBEDDING", map[string]any{"openinference.span.kind": "EMBEDDING"}, "llm"},
		{"openinference CHAIN", map[string]any{"openinference.span.kind": "CHAIN"}, "workflow"},
		{"openinference AGENT", map[string]any{"openinference.span.kind": "AGENT"}, "agent"},
		{"openinference RETRIEVER", map[string]any{"openinference.span.kind": "RETRIEVER"}, "tool"},
		{"openinference RERANKER", map[string]any{"openinference.span.kind": "reranker"}, "tool"},
		{"openinference GUARDRAIL", map[string]any{"openinference.span.kind": "GUARDRAIL"}, "guardrail"},
		{"openinference EVALUATOR", map[string]any{"openinference.span.kind": "EVALUATOR"}, "task"},
		{"nothing", map[string]any{"http.method": "GET"}, "unknown"},
		{"non-string kind ignored", map[string]any{"agentops.span.kind": 3}, "unknown"},
		{"unnamed span with model and tokens is a model call", map[string]any{"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 3}, "llm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalizeOne(t, oneSpan(t, tt.attrs), Limits{}).Kind; got != tt.want {
				t.Errorf("kind = %q, want %q", got, tt.want)
			}
		})
	}
}

// llmFields is the projection of a span that the LLM dialect tests check.
type llmFields struct {
	Provider, Operation, RequestModel, ResponseModel string
	Usage                                            model.Usage
}

func llmOf(s model.Span) llmFields {
	return llmFields{s.Provider, s.Operation, s.RequestModel, s.ResponseModel, s.Usage}
}

func TestNormalizeLLMDialects(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]any
		want  llmFields
	}{
		{
			name: "current OTel GenAI names",
			attrs: map[string]any{
				"gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
				"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
				"gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 20,
				"gen_ai.usage.cache_read_input_tokens": 40, "gen_ai.usage.reasoning_tokens": 5,
			},
			want: llmFields{"openai", "chat", "gpt-4o", "gpt-4o-2024-08-06",
				model.Usage{Input: 100, Output: 20, CacheRead: 40, Reasoning: 5, Total: 120}},
		},
		{
			name: "AgentOps SDK names (prompt/completion tokens, gen_ai.system)",
			attrs: map[string]any{
				"agentops.span.kind": "llm", "gen_ai.system": "OpenAI", "gen_ai.request.model": "gpt-4o-mini",
				"gen_ai.usage.prompt_tokens": 812, "gen_ai.usage.completion_tokens": 164, "gen_ai.usage.total_tokens": 976,
				"gen_ai.usage.cache_read_tokens": 12, "gen_ai.usage.cache_creation_tokens": 3,
			},
			want: llmFields{"OpenAI", "", "gpt-4o-mini", "",
				model.Usage{Input: 812, Output: 164, CacheRead: 12, CacheWrite: 3, Total: 976}},
		},
		{
			name:  "provider.name wins over legacy system",
			attrs: map[string]any{"gen_ai.provider.name": "azure.ai.openai", "gen_ai.system": "openai"},
			want:  llmFields{Provider: "azure.ai.openai"},
		},
		{
			name:  "current names win over older ones",
			attrs: map[string]any{"gen_ai.usage.input_tokens": 7, "gen_ai.usage.prompt_tokens": 9, "gen_ai.usage.output_tokens": 1, "gen_ai.usage.completion_tokens": 2},
			want:  llmFields{Usage: model.Usage{Input: 7, Output: 1, Total: 8}},
		},
		{
			name: "OpenLLMetry total (and the request type as the operation)",
			attrs: map[string]any{
				"llm.request.type": "chat", "gen_ai.system": "Anthropic", "gen_ai.request.model": "claude-sonnet-4",
				"gen_ai.usage.prompt_tokens": 10, "gen_ai.usage.completion_tokens": 5, "llm.usage.total_tokens": 15,
			},
			want: llmFields{"Anthropic", "chat", "claude-sonnet-4", "", model.Usage{Input: 10, Output: 5, Total: 15}},
		},
		{
			name: "OpenInference token counts and model",
			attrs: map[string]any{
				"openinference.span.kind": "LLM", "llm.provider": "openai", "llm.model_name": "gpt-4.1",
				"llm.token_count.prompt": 30, "llm.token_count.completion": 12, "llm.token_count.total": 42,
				"llm.token_count.prompt_details.cache_read": 10, "llm.token_count.completion_details.reasoning": 4,
			},
			want: llmFields{"openai", "", "gpt-4.1", "", model.Usage{Input: 30, Output: 12, CacheRead: 10, Reasoning: 4, Total: 42}},
		},
		{
			name:  "numeric strings",
			attrs: map[string]any{"gen_ai.usage.input_tokens": " 120 ", "gen_ai.usage.output_tokens": "30.0", "gen_ai.usage.total_tokens": "150"},
			want:  llmFields{Usage: model.Usage{Input: 120, Output: 30, Total: 150}},
		},
		{
			name:  "doubles",
			attrs: map[string]any{"gen_ai.usage.input_tokens": 120.0, "gen_ai.usage.output_tokens": 29.6},
			want:  llmFields{Usage: model.Usage{Input: 120, Output: 30, Total: 150}},
		},
		{
			name:  "absurd counts are capped",
			attrs: map[string]any{"gen_ai.usage.input_tokens": 1e300, "gen_ai.usage.output_tokens": int64(math.MaxInt64)},
			want:  llmFields{Usage: model.Usage{Input: maxTokens, Output: maxTokens, Total: maxTokens}},
		},
		{
			name:  "garbage and negative counts read as zero",
			attrs: map[string]any{"gen_ai.usage.input_tokens": "many", "gen_ai.usage.output_tokens": -5, "gen_ai.usage.reasoning_tokens": true},
			want:  llmFields{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := llmOf(normalizeOne(t, oneSpan(t, tt.attrs), Limits{}))
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNormalizeTokenConvention(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]any
		want  model.Usage
	}{
		{
			name:  "OpenAI style: input already includes cached tokens",
			attrs: map[string]any{"gen_ai.usage.input_tokens": 1000, "gen_ai.usage.cache_read_input_tokens": 800, "gen_ai.usage.output_tokens": 50},
			want:  model.Usage{Input: 1000, CacheRead: 800, Output: 50, Total: 1050},
		},
		{
			name: "Anthropic style: input excludes cached tokens, which are added",
			attrs: map[string]any{"gen_ai.usage.input_tokens": 12, "gen_ai.usage.cache_read_input_tokens": 2000,
				"gen_ai.usage.cache_creation_input_tokens": 300, "gen_ai.usage.output_tokens": 40},
			want: model.Usage{Input: 2312, CacheRead: 2000, CacheWrite: 300, Output: 40, Total: 2352},
		},
		{
			name: "Anthropic style total that excluded the cache is recomputed",
			attrs: map[string]any{"gen_ai.usage.input_tokens": 12, "gen_ai.usage.cache_read_input_tokens": 2000,
				"gen_ai.usage.output_tokens": 40, "gen_ai.usage.total_tokens": 52},
			want: model.Usage{Input: 2012, CacheRead: 2000, Output: 40, Total: 2052},
		},
		{
			name:  "reported total larger than input+output is kept",
			attrs: map[string]any{"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5, "gen_ai.usage.total_tokens": 20},
			want:  model.Usage{Input: 10, Output: 5, Total: 20},
		},
		{
			name:  "reasoning excluded from output is added",
			attrs: map[string]any{"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 5, "gen_ai.usage.reasoning_tokens": 64},
			want:  model.Usage{Input: 10, Output: 69, Reasoning: 64, Total: 79},
		},
		{
			name:  "cache only",
			attrs: map[string]any{"gen_ai.usage.cache_read_input_tokens": 5},
			want:  model.Usage{Input: 5, CacheRead: 5, Total: 5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := normalizeOne(t, oneSpan(t, tt.attrs), Limits{}).Usage; got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNormalizeCost(t *testing.T) {
	tests := []struct {
		name       string
		attrs      map[string]any
		wantCost   float64
		wantSource model.CostSource
	}{
		{"total_cost", map[string]any{"gen_ai.usage.total_cost": 0.0125}, 0.0125, model.CostSpan},
		{"cost", map[string]any{"gen_ai.usage.cost": 0.5}, 0.5, model.CostSpan},
		{"total_cost wins", map[string]any{"gen_ai.usage.total_cost": 1.0, "gen_ai.usage.cost": 2.0}, 1, model.CostSpan},
		{"numeric string", map[string]any{"gen_ai.usage.cost": "0.002"}, 0.002, model.CostSpan},
		{"int", map[string]any{"gen_ai.usage.cost": 3}, 3, model.CostSpan},
		{"zero is a cost", map[string]any{"gen_ai.usage.cost": 0.0}, 0, model.CostSpan},
		{"negative ignored", map[string]any{"gen_ai.usage.cost": -1.0}, 0, model.CostNone},
		{"absurd ignored", map[string]any{"gen_ai.usage.cost": 1e300}, 0, model.CostNone},
		{"garbage ignored", map[string]any{"gen_ai.usage.cost": "free"}, 0, model.CostNone},
		{"none: the ingest layer prices", map[string]any{"gen_ai.request.model": "gpt-4o", "gen_ai.usage.input_tokens": 3}, 0, model.CostNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := normalizeOne(t, oneSpan(t, tt.attrs), Limits{})
			if s.Cost != tt.wantCost || s.CostSource != tt.wantSource {
				t.Errorf("cost = %v (%v), want %v (%v)", s.Cost, s.CostSource, tt.wantCost, tt.wantSource)
			}
		})
	}
}

func TestNormalizeError(t *testing.T) {
	type errFields struct {
		Status                    model.StatusCode
		StatusMessage             string
		ErrorType, Message, Stack string
	}
	withStatus := func(c ptrace.StatusCode, msg string) func(ptrace.Span) {
		return func(sp ptrace.Span) { sp.Status().SetCode(c); sp.Status().SetMessage(msg) }
	}
	withException := func(typ, msg, stack string) func(ptrace.Span) {
		return func(sp ptrace.Span) {
			ev := sp.Events().AppendEmpty()
			ev.SetName("exception")
			ev.Attributes().PutStr("exception.type", typ)
			ev.Attributes().PutStr("exception.message", msg)
			ev.Attributes().PutStr("exception.stacktrace", stack)
		}
	}
	tests := []struct {
		name  string
		attrs map[string]any
		edit  []func(ptrace.Span)
		want  errFields
	}{
		{"ok span", nil, []func(ptrace.Span){withStatus(ptrace.StatusCodeOk, "")}, errFields{Status: model.StatusOK}},
		{"status only: message from status", nil,
			[]func(ptrace.Span){withStatus(ptrace.StatusCodeError, "rate limited")},
			errFields{model.StatusError, "rate limited", "", "rate limited", ""}},
		{"exception event", nil,
			[]func(ptrace.Span){withStatus(ptrace.StatusCodeError, "boom"), withException("ValueError", "bad input", "trace...")},
			errFields{model.StatusError, "boom", "ValueError", "bad input", "trace..."}},
		{"last exception event wins", nil,
			[]func(ptrace.Span){withException("First", "1", ""), withException("Second", "2", "")},
			errFields{ErrorType: "Second", Message: "2"}},
		{"error.type wins for the type", map[string]any{"error.type": "timeout"},
			[]func(ptrace.Span){withStatus(ptrace.StatusCodeError, ""), withException("TimeoutError", "slow", "")},
			errFields{model.StatusError, "", "timeout", "slow", ""}},
		{"exception attributes on the span", map[string]any{"exception.type": "KeyError", "exception.message": "'x'", "exception.stacktrace": "st"},
			[]func(ptrace.Span){withStatus(ptrace.StatusCodeError, "failed")},
			errFields{model.StatusError, "failed", "KeyError", "'x'", "st"}},
		{"status message of an unset span is no error message", nil,
			[]func(ptrace.Span){withStatus(ptrace.StatusCodeUnset, "note")},
			errFields{StatusMessage: "note"}},
		{"unknown status code reads as unset", nil,
			[]func(ptrace.Span){withStatus(ptrace.StatusCode(7), "")},
			errFields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := normalizeOne(t, oneSpan(t, tt.attrs, tt.edit...), Limits{})
			got := errFields{s.Status, s.StatusMessage, s.ErrorType, s.ErrorMessage, s.ErrorStack}
			if got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestNormalizeEndState(t *testing.T) {
	tests := []struct {
		value, want string
	}{
		{"Success", "Success"},
		{"success", "Success"},
		{"SUCCEEDED", "Success"},
		{"Fail", "Failure"},
		{"fail", "Failure"},
		{"failure", "Failure"},
		{"Failed", "Failure"},
		{"indeterminate", "Indeterminate"},
		{" Indeterminate ", "Indeterminate"},
		{"exploded", ""}, // unknown: kept in the raw attributes only
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			s := normalizeOne(t, oneSpan(t, map[string]any{
				"agentops.session.end_state": tt.value, "agentops.session.end_state_reason": "done",
			}), Limits{})
			if s.EndState != tt.want || s.EndStateReason != "done" {
				t.Errorf("end state = %q (%q), want %q (\"done\")", s.EndState, s.EndStateReason, tt.want)
			}
			if got := decodeObject(t, s.Attributes)["agentops.session.end_state"]; got != tt.value {
				t.Errorf("raw attribute = %v, want %q", got, tt.value)
			}
		})
	}
}

func TestNormalizeTags(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]any
		want  []string
	}{
		{"absent: nil", map[string]any{}, nil},
		{"JSON list", map[string]any{"agentops.tags": `["prod","beta"]`}, []string{"prod", "beta"}},
		{"Python list repr", map[string]any{"agentops.tags": `['prod', 'beta']`}, []string{"prod", "beta"}},
		{"OTLP string array", map[string]any{"agentops.tags": []any{"prod", "beta"}}, []string{"prod", "beta"}},
		{"comma-separated", map[string]any{"agentops.tags": "prod, beta,,"}, []string{"prod", "beta"}},
		{"single tag", map[string]any{"agentops.tags": "prod"}, []string{"prod"}},
		{"duplicates dropped", map[string]any{"agentops.tags": `["a","a","b"]`}, []string{"a", "b"}},
		{"explicit empty JSON list", map[string]any{"agentops.tags": `[]`}, []string{}},
		{"explicit empty array", map[string]any{"agentops.tags": []any{}}, []string{}},
		{"JSON list with escapes", map[string]any{"agentops.tags": `["a\"b", "\u00e9"]`}, []string{`a"b`, "é"}},
		{"many tags deduplicated in linear time", map[string]any{"agentops.tags": strings.Repeat("x,y,", 50_000) + "z"}, []string{"x", "y", "z"}},
		{"non-string array elements", map[string]any{"agentops.tags": []any{"x", int64(2)}}, []string{"x", "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := normalizeOne(t, oneSpan(t, tt.attrs), Limits{}).Tags
			if !reflect.DeepEqual(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("tags = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestNormalizeProjectFromArgument(t *testing.T) {
	td := oneSpan(t, map[string]any{"agentops.project.id": "someone-else"})
	td.ResourceSpans().At(0).Resource().Attributes().PutStr("agentops.project.id", "someone-else")
	spans, _ := Normalize(td, "mine", Limits{})
	if len(spans) != 1 || spans[0].ProjectID != "mine" {
		t.Fatalf("project = %q, want %q", spans[0].ProjectID, "mine")
	}
	if got := decodeObject(t, spans[0].Attributes)["agentops.project.id"]; got != "someone-else" {
		t.Errorf("raw agentops.project.id = %v, want it kept", got)
	}
}

func TestNormalizeRejectsEmptyIDs(t *testing.T) {
	td := ptrace.NewTraces()
	spans := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	add := func(tid pcommon.TraceID, sid pcommon.SpanID) {
		sp := spans.AppendEmpty()
		sp.SetTraceID(tid)
		sp.SetSpanID(sid)
	}
	add(testTraceID, testSpanID)
	add(pcommon.TraceID{}, testSpanID)
	add(pcommon.TraceID{}, pcommon.SpanID{})
	add(testTraceID, pcommon.SpanID{})

	got, rej := Normalize(td, "p", Limits{})
	if len(got) != 1 {
		t.Fatalf("kept %d spans, want 1", len(got))
	}
	want := Rejection{Count: 3, Message: "3 spans rejected: 2 with an empty trace id, 1 with an empty span id"}
	if rej != want {
		t.Errorf("rejection = %+v, want %+v", rej, want)
	}

	_, rej = Normalize(oneSpan(t, nil, func(sp ptrace.Span) { sp.SetSpanID(pcommon.SpanID{}) }), "p", Limits{})
	if want := (Rejection{Count: 1, Message: "1 span rejected: 1 with an empty span id"}); rej != want {
		t.Errorf("rejection = %+v, want %+v", rej, want)
	}
	if _, rej = Normalize(oneSpan(t, nil), "p", Limits{}); rej != (Rejection{}) {
		t.Errorf("rejection of a valid request = %+v, want none", rej)
	}
}

func TestNormalizeSpanFields(t *testing.T) {
	tests := []struct {
		name               string
		edit               func(ptrace.Span)
		wantStart, wantEnd int64
		wantSpanKind       int32
	}{
		{"times as sent", func(sp ptrace.Span) {}, 1_000, 2_000, 0},
		{"end before start is raised to start", func(sp ptrace.Span) { sp.SetEndTimestamp(500) }, 1_000, 1_000, 0},
		{"in flight: end stays 0", func(sp ptrace.Span) { sp.SetEndTimestamp(0) }, 1_000, 0, 0},
		{"client span kind", func(sp ptrace.Span) { sp.SetKind(ptrace.SpanKindClient) }, 1_000, 2_000, 3},
		{"unknown span kind number kept", func(sp ptrace.Span) { sp.SetKind(ptrace.SpanKind(42)) }, 1_000, 2_000, 42},
		{"timestamps past int64 are clamped", func(sp ptrace.Span) { sp.SetStartTimestamp(1 << 63); sp.SetEndTimestamp(1<<63 + 1) }, 1<<63 - 1, 1<<63 - 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := normalizeOne(t, oneSpan(t, nil, tt.edit), Limits{})
			if s.Start != tt.wantStart || s.End != tt.wantEnd || s.SpanKind != tt.wantSpanKind {
				t.Errorf("start, end, kind = %d, %d, %d; want %d, %d, %d", s.Start, s.End, s.SpanKind, tt.wantStart, tt.wantEnd, tt.wantSpanKind)
			}
		})
	}

	s := normalizeOne(t, oneSpan(t, nil, func(sp ptrace.Span) { sp.SetParentSpanID(pcommon.SpanID{7}) }), Limits{})
	if s.TraceID.String() != "0102030405060708090a0b0c0d0e0f10" || s.SpanID.String() != "0102030405060708" ||
		s.ParentID.String() != "0700000000000000" || s.Name != "span" || s.ProjectID != "proj" {
		t.Errorf("identity = %s %s %s %q %q", s.TraceID, s.SpanID, s.ParentID, s.Name, s.ProjectID)
	}
}

func TestNormalizeRawData(t *testing.T) {
	td := exceptionSpan()
	rs := td.ResourceSpans().At(0)
	rs.Resource().Attributes().PutStr("service.name", "agent")
	ss := rs.ScopeSpans().At(0)
	ss.Scope().SetName("agentops")
	ss.Scope().SetVersion("1.0")
	ss.Scope().Attributes().PutBool("x", true)
	second := ss.Spans().AppendEmpty()
	second.SetTraceID(testTraceID)
	second.SetSpanID(pcommon.SpanID{2})

	spans, _ := Normalize(td, "p", Limits{})
	checkSpans(t, spans)
	s := spans[0]
	for _, c := range []struct {
		field string
		got   json.RawMessage
		want  string
	}{
		{"attributes", s.Attributes, `{"agentops.span.kind":"tool"}`},
		{"resource", s.Resource, `{"service.name":"agent"}`},
		{"scope", s.Scope, `{"name":"agentops","version":"1.0","attributes":{"x":true}}`},
		{"events", s.Events, `[{"time_unix_nano":15,"name":"exception","attributes":{"exception.type":"TimeoutError","exception.message":"deadline exceeded after 30s","exception.stacktrace":"Traceback (most recent call last):\n  File \"agent.py\", line 3"}}]`},
		{"links", s.Links, `[{"trace_id":"09090909090909090909090909090909","span_id":"0808080808080808","trace_state":"vendor=1","attributes":{"link.kind":"retry-of"}}]`},
	} {
		if string(c.got) != c.want {
			t.Errorf("%s =\n %s\nwant\n %s", c.field, c.got, c.want)
		}
	}
	// A span without attributes, events or links has nil fields; resource
	// and scope are shared with its siblings.
	b := spans[1]
	if b.Attributes != nil || b.Events != nil || b.Links != nil {
		t.Errorf("empty span: attributes %q events %q links %q, want nil", b.Attributes, b.Events, b.Links)
	}
	if string(b.Resource) != string(s.Resource) || string(b.Scope) != string(s.Scope) {
		t.Errorf("sibling resource/scope differ: %s %s", b.Resource, b.Scope)
	}

	// Empty resource and scope are nil.
	s = normalizeOne(t, oneSpan(t, nil), Limits{})
	if s.Resource != nil || s.Scope != nil {
		t.Errorf("empty resource/scope = %q %q, want nil", s.Resource, s.Scope)
	}
}

func TestNormalizeTruncation(t *testing.T) {
	long := strings.Repeat("a", 20)
	tests := []struct {
		name          string
		limit         int
		attrs         map[string]any
		want          string // the span's attributes JSON
		wantTruncated bool
	}{
		{"within the limit", 20, map[string]any{"s": long}, `{"s":"` + long + `"}`, false},
		{"string cut and marked", 8, map[string]any{"s": long}, `{"s":"aaaaaaaa","s.truncated":20}`, true},
		{"no limit", 0, map[string]any{"s": long}, `{"s":"` + long + `"}`, false},
		{"cut at a UTF-8 boundary", 8, map[string]any{"s": "aaaaaaé€b"}, `{"s":"aaaaaaé","s.truncated":12}`, true},
		{"bytes cut and marked", 2, map[string]any{"b": []byte{1, 2, 3, 4}}, `{"b":"AQI=","b.truncated":4}`, true},
		{"nested map value cut with a twin inside", 3, map[string]any{"m": map[string]any{"k": "abcdef"}}, `{"m":{"k":"abc","k.truncated":6}}`, true},
		{"array element cut without twin", 3, map[string]any{"a": []any{"abcdef", "ab"}}, `{"a":["abc","ab"]}`, true},
		{"client twin key does not duplicate ours", 3, map[string]any{"s": "abcdef", "s.truncated": "mine"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := normalizeOne(t, oneSpan(t, tt.attrs), Limits{MaxAttrValueBytes: tt.limit})
			if tt.want != "" && string(s.Attributes) != tt.want {
				t.Errorf("attributes = %s, want %s", s.Attributes, tt.want)
			}
			if strings.Count(string(s.Attributes), `"s.truncated"`) > 1 {
				t.Errorf("duplicate twin key: %s", s.Attributes)
			}
			if s.Truncated != tt.wantTruncated {
				t.Errorf("Truncated = %v, want %v", s.Truncated, tt.wantTruncated)
			}
		})
	}

	t.Run("events and resource", func(t *testing.T) {
		td := oneSpan(t, nil, func(sp ptrace.Span) {
			ev := sp.Events().AppendEmpty()
			ev.SetName("log")
			ev.Attributes().PutStr("msg", long)
		})
		spans, _ := Normalize(td, "p", Limits{MaxAttrValueBytes: 4})
		if want := `[{"time_unix_nano":0,"name":"log","attributes":{"msg":"aaaa","msg.truncated":20}}]`; string(spans[0].Events) != want || !spans[0].Truncated {
			t.Errorf("events = %s (truncated %v), want %s", spans[0].Events, spans[0].Truncated, want)
		}

		td = oneSpan(t, nil)
		td.ResourceSpans().At(0).Resource().Attributes().PutStr("process.command_line", long)
		spans, _ = Normalize(td, "p", Limits{MaxAttrValueBytes: 4})
		if want := `{"process.command_line":"aaaa","process.command_line.truncated":20}`; string(spans[0].Resource) != want || !spans[0].Truncated {
			t.Errorf("resource = %s (truncated %v), want %s", spans[0].Resource, spans[0].Truncated, want)
		}
	})

	t.Run("typed fields are cut to the same limit", func(t *testing.T) {
		td := oneSpan(t, map[string]any{"gen_ai.request.model": "gpt-4o-mini", "agentops.tags": `["short","lengthy"]`},
			func(sp ptrace.Span) {
				sp.SetName("a-long-span-name")
				ev := sp.Events().AppendEmpty()
				ev.SetName("exception")
				ev.Attributes().PutStr("exception.stacktrace", long)
			})
		s := normalizeOne(t, td, Limits{MaxAttrValueBytes: 5})
		if s.RequestModel != "gpt-4" || s.Name != "a-lon" || s.ErrorStack != "aaaaa" || !reflect.DeepEqual(s.Tags, []string{"short", "lengt"}) || !s.Truncated {
			t.Errorf("model %q name %q stack %q tags %q truncated %v", s.RequestModel, s.Name, s.ErrorStack, s.Tags, s.Truncated)
		}
	})
}

func TestNormalizeRealisticRequest(t *testing.T) {
	spans, rej := Normalize(genAIRequest(512, 50), "p", Limits{MaxAttrValueBytes: 64 << 10})
	if len(spans) != 512 || rej.Count != 0 {
		t.Fatalf("%d spans, rejection %+v", len(spans), rej)
	}
	checkSpans(t, spans)
	var counts = map[model.Kind]int{}
	for _, s := range spans {
		counts[s.Kind]++
	}
	traces := map[model.TraceID]bool{}
	for _, s := range spans {
		traces[s.TraceID] = true
	}
	if counts["session"] != 50 || len(traces) != 50 || counts["tool"] == 0 || counts["llm"] == 0 {
		t.Errorf("kinds %v over %d traces", counts, len(traces))
	}
	llm := spans[50]
	if llm.Kind != "llm" || llm.Usage.Total != 976 || llm.Provider != "openai" || llm.CostSource != model.CostNone {
		t.Errorf("llm span = %+v", llm)
	}
	if root := spans[0]; !reflect.DeepEqual(root.Tags, []string{"prod", "support"}) || root.EndState != "Success" {
		t.Errorf("root tags %q end state %q", root.Tags, root.EndState)
	}
}

func TestSimpleJSONStrings(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{`[]`, []string{}, true},
		{`[ ]`, []string{}, true},
		{`["a"]`, []string{"a"}, true},
		{`[ "a" , "b c" ]`, []string{"a", "b c"}, true},
		{`["a\"b"]`, nil, false}, // escapes: left to encoding/json
		{`["a",]`, nil, false},
		{`["a" "b"]`, nil, false},
		{`["a"`, nil, false},
		{`[1]`, nil, false},
		{`["a"] x`, nil, false},
		{`["`, nil, false},
	}
	for _, tt := range tests {
		got, ok := simpleJSONStrings([]string{}, tt.in)
		if ok != tt.ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("simpleJSONStrings(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
		if ok {
			var std []string
			if err := json.Unmarshal([]byte(tt.in), &std); err != nil || len(std) != len(got) {
				t.Errorf("%q: encoding/json disagrees: %q, %v", tt.in, std, err)
			}
		}
	}
}
