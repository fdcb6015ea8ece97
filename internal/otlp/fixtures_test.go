package otlp

import (
	"encoding/json"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/model"
)

var (
	testTraceID = pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	testSpanID  = pcommon.SpanID{1, 2, 3, 4, 5, 6, 7, 8}
)

// oneSpan builds a request of one span with the given attributes (in
// pcommon.Map.FromRaw's types) and valid ids; edit adjusts anything else.
func oneSpan(t testing.TB, attrs map[string]any, edit ...func(ptrace.Span)) ptrace.Traces {
	t.Helper()
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(testTraceID)
	sp.SetSpanID(testSpanID)
	sp.SetName("span")
	sp.SetStartTimestamp(1_000)
	sp.SetEndTimestamp(2_000)
	if err := sp.Attributes().FromRaw(attrs); err != nil {
		t.Fatal(err)
	}
	for _, f := range edit {
		f(sp)
	}
	return td
}

// normalizeOne normalizes a request that must yield exactly one span.
func normalizeOne(t testing.TB, td ptrace.Traces, lim Limits) model.Span {
	t.Helper()
	spans, rej := Normalize(td, "proj", lim)
	if rej.Count != 0 || len(spans) != 1 {
		t.Fatalf("Normalize: %d spans, rejection %+v; want 1 span", len(spans), rej)
	}
	checkSpans(t, spans)
	return spans[0]
}

// checkSpans asserts what must hold for any normalized span, whatever the
// input: ids set, no negative duration, every JSON field valid.
func checkSpans(t testing.TB, spans []model.Span) {
	t.Helper()
	for i := range spans {
		s := &spans[i]
		if s.TraceID.IsZero() || s.SpanID.IsZero() {
			t.Fatalf("span %d: zero id survived normalization", i)
		}
		if s.End != 0 && s.End < s.Start {
			t.Fatalf("span %d: end %d before start %d", i, s.End, s.Start)
		}
		if s.Kind == "" {
			t.Fatalf("span %d: empty kind", i)
		}
		for name, raw := range map[string]json.RawMessage{
			"attributes": s.Attributes, "resource": s.Resource, "scope": s.Scope,
			"events": s.Events, "links": s.Links,
		} {
			if raw != nil && !json.Valid(raw) {
				t.Fatalf("span %d: %s is not valid JSON: %q", i, name, raw)
			}
		}
	}
}

// decodeObject unmarshals a JSON object field for inspection.
func decodeObject(t testing.TB, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("unmarshal %q: %v", raw, err)
	}
	return m
}

// genAIRequest builds a realistic request of an agent run as the AgentOps
// SDKs send it: traces sessions, each a session root span followed by LLM,
// tool and agent spans; an LLM span carries about a dozen attributes with
// ~300-character prompt and completion texts.
func genAIRequest(spans, traces int) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	res.PutStr("service.name", "support-agent")
	res.PutStr("telemetry.sdk.language", "python")
	res.PutStr("telemetry.sdk.name", "agentops")
	res.PutStr("telemetry.sdk.version", "0.4.21")
	res.PutStr("host.name", "worker-7")
	res.PutStr("os.type", "linux")
	res.PutStr("agentops.project.id", "3b8e4f0a-0000-4000-8000-000000000000")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("agentops.instrumentation.openai")
	ss.Scope().SetVersion("0.4.21")

	prompt := strings.Repeat("Summarize the customer's last three tickets and propose a fix. ", 5)[:300]
	completion := strings.Repeat("The customer reports intermittent login failures after the update; ", 5)[:300]
	for i := range spans {
		// Spans of the traces interleave, as a batching exporter sends them.
		tr, pos := i%traces, i/traces
		parent := pcommon.SpanID{0xcd, byte(tr >> 8), byte(tr), 1, 2, 3, 4, 5}
		sp := ss.Spans().AppendEmpty()
		tid := pcommon.TraceID{0xab, byte(tr >> 8), byte(tr), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}
		sp.SetTraceID(tid)
		sp.SetSpanID(pcommon.SpanID{0xcd, byte(i >> 8), byte(i), 1, 2, 3, 4, 5})
		start := pcommon.Timestamp(1_760_000_000_000_000_000 + int64(i)*1_000_000)
		sp.SetStartTimestamp(start)
		sp.SetEndTimestamp(start + 750_000)
		a := sp.Attributes()
		switch {
		case pos == 0:
			sp.SetName("support-agent.session")
			a.PutStr("agentops.span.kind", "session")
			a.PutStr("agentops.tags", `["prod","support"]`)
			a.PutStr("agentops.session.end_state", "Success")
			a.PutStr("host.name", "worker-7")
			continue
		case pos%7 == 3:
			sp.SetName("lookup_ticket.tool")
			sp.SetParentSpanID(parent)
			a.PutStr("agentops.span.kind", "tool")
			a.PutStr("gen_ai.operation.name", "execute_tool")
			a.PutStr("gen_ai.tool.name", "lookup_ticket")
			a.PutStr("agentops.entity.input", `{"ticket_id": 4812}`)
			a.PutStr("agentops.entity.output", completion[:120])
			continue
		}
		sp.SetName("openai.chat")
		sp.SetKind(ptrace.SpanKindClient)
		sp.SetParentSpanID(parent)
		a.PutStr("agentops.span.kind", "llm")
		a.PutStr("gen_ai.operation.name", "chat")
		a.PutStr("gen_ai.system", "openai")
		a.PutStr("gen_ai.request.model", "gpt-4o-mini")
		a.PutStr("gen_ai.response.model", "gpt-4o-mini-2024-07-18")
		a.PutDouble("gen_ai.request.temperature", 0.2)
		a.PutInt("gen_ai.usage.prompt_tokens", 812)
		a.PutInt("gen_ai.usage.completion_tokens", 164)
		a.PutInt("gen_ai.usage.total_tokens", 976)
		a.PutStr("gen_ai.prompt.0.role", "user")
		a.PutStr("gen_ai.prompt.0.content", prompt)
		a.PutStr("gen_ai.completion.0.role", "assistant")
		a.PutStr("gen_ai.completion.0.content", completion)
		a.PutStr("gen_ai.completion.0.finish_reason", "stop")
	}
	return td
}

// exceptionSpan is a failed tool span with an exception event and a link,
// exercising events, links and status.
func exceptionSpan() ptrace.Traces {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	sp := ss.Spans().AppendEmpty()
	sp.SetTraceID(testTraceID)
	sp.SetSpanID(testSpanID)
	sp.SetName("fetch.tool")
	sp.SetStartTimestamp(10)
	sp.SetEndTimestamp(20)
	sp.Attributes().PutStr("agentops.span.kind", "tool")
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage("fetch failed")
	ev := sp.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(15)
	ev.Attributes().PutStr("exception.type", "TimeoutError")
	ev.Attributes().PutStr("exception.message", "deadline exceeded after 30s")
	ev.Attributes().PutStr("exception.stacktrace", "Traceback (most recent call last):\n  File \"agent.py\", line 3")
	l := sp.Links().AppendEmpty()
	l.SetTraceID(pcommon.TraceID{9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9})
	l.SetSpanID(pcommon.SpanID{8, 8, 8, 8, 8, 8, 8, 8})
	l.TraceState().FromRaw("vendor=1")
	l.Attributes().PutStr("link.kind", "retry-of")
	return td
}

// seedRequests are the named requests the fuzz seed corpora start from.
func seedRequests() map[string]ptrace.Traces {
	return map[string]ptrace.Traces{
		"genai":     genAIRequest(12, 2),
		"exception": exceptionSpan(),
		"alltypes":  allTypesSpan(),
	}
}

// allTypesSpan carries one attribute of every AnyValue type.
func allTypesSpan() ptrace.Traces {
	td := ptrace.NewTraces()
	sp := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty()
	sp.SetTraceID(testTraceID)
	sp.SetSpanID(testSpanID)
	sp.SetName("all-types")
	a := sp.Attributes()
	a.PutStr("str", "hé\"llo\n")
	a.PutInt("int", -42)
	a.PutDouble("double", 1.5e-9)
	a.PutBool("bool", true)
	a.PutEmptyBytes("bytes").FromRaw([]byte{0, 1, 2, 0xff})
	s := a.PutEmptySlice("slice")
	s.AppendEmpty().SetStr("x")
	s.AppendEmpty().SetInt(1)
	m := a.PutEmptyMap("map")
	m.PutStr("k", "v")
	m.PutEmptyMap("nested").PutBool("deep", false)
	a.PutEmpty("empty")
	a.PutStr("agentops.tags", "a,b")
	return td
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
