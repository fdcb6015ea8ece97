package demo

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/semconv"
)

// The instrumentation scope the Go SDK reports.
const (
	scopeName    = "github.com/agentops-go/agentops"
	scopeVersion = "0.1.0"
)

// The official Python SDK, as it reports itself.
const (
	pythonSDKName    = "agentops"
	pythonSDKVersion = "0.4.21"
)

// service is the program a session runs in: its OTel resource and the host
// environment the SDK records on the root span.
type service struct {
	name, version, env string
	hosts              []string
	cwd                string
	// python: the program uses the official Python SDK, whose dialect
	// differs from the Go SDK's: the root span is named "<name>.session",
	// the host environment sits on the resource, tags are an array, and
	// LLM spans (from its instrumentation scope) carry the older GenAI
	// names only (gen_ai.system, gen_ai.usage.prompt_tokens, ...).
	python bool
}

// session builds the spans of one trace.
type session struct {
	g        *gen
	python   bool
	trace    pcommon.TraceID
	spans    ptrace.SpanSlice // the SDK's own spans
	llmSpans ptrace.SpanSlice // LLM calls: the same slice, or the instrumentation's scope
	root     ptrace.Span
	tags     []string
}

// newSession starts a session: a ResourceSpans for svc and a root span of
// kind session named name, started at start, with the host environment.
func (g *gen) newSession(svc service, name string, start time.Time) *session {
	rs := g.out.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	res.PutStr("service.name", svc.name)
	res.PutStr("service.version", svc.version)
	res.PutStr("deployment.environment.name", svc.env)
	ss := rs.ScopeSpans().AppendEmpty()
	s := &session{g: g, python: svc.python, trace: g.traceID(), spans: ss.Spans(), llmSpans: ss.Spans()}
	s.root = s.spans.AppendEmpty()
	s.root.SetTraceID(s.trace)
	s.root.SetSpanID(rootSpanID(s.trace))
	s.root.SetName(name)
	s.root.SetKind(ptrace.SpanKindInternal)
	s.root.SetStartTimestamp(ts(start))
	s.root.Attributes().PutStr(semconv.SpanKind, semconv.KindSession)
	s.root.Attributes().PutStr(semconv.OperationName, name)
	// The host environment: on the root span (Go SDK), on the resource
	// (Python SDK).
	a := s.root.Attributes()
	if svc.python {
		res.PutStr("telemetry.sdk.language", "python")
		res.PutStr("telemetry.sdk.name", pythonSDKName)
		res.PutStr("telemetry.sdk.version", pythonSDKVersion)
		ss.Scope().SetName(pythonSDKName)
		ss.Scope().SetVersion(pythonSDKVersion)
		s.root.SetName(name + ".session")
		inst := rs.ScopeSpans().AppendEmpty()
		inst.Scope().SetName("agentops.instrumentation.llm")
		inst.Scope().SetVersion(pythonSDKVersion)
		s.llmSpans = inst.Spans()
		a = res
		a.PutStr(semconv.OSType, "linux")
		a.PutStr(semconv.HostArch, "amd64")
		a.PutInt(semconv.HostCPUCount, 8)
		a.PutStr(semconv.ProcessRuntimeName, "cpython")
		a.PutStr(semconv.ProcessRuntimeVersion, "3.12.7")
		a.PutStr(semconv.HostName, pick(g, svc.hosts))
		a.PutStr(semconv.ProcessRuntimeCwd, svc.cwd)
		return s
	}
	res.PutStr("telemetry.sdk.language", "go")
	res.PutStr("telemetry.sdk.name", "opentelemetry")
	res.PutStr("telemetry.sdk.version", "1.39.0")
	ss.Scope().SetName(scopeName)
	ss.Scope().SetVersion(scopeVersion)
	a.PutStr(semconv.OSType, "linux")
	a.PutStr(semconv.HostArch, pick(g, []string{"amd64", "amd64", "arm64"}))
	cpus := pick(g, []int64{2, 4, 8, 16})
	a.PutInt(semconv.HostCPUCount, cpus)
	a.PutStr(semconv.ProcessRuntimeName, "go")
	a.PutStr(semconv.ProcessRuntimeVersion, "go1.26.0")
	a.PutInt(semconv.ProcessRuntimeGoMaxProc, cpus)
	a.PutStr(semconv.ProcessRuntimeSDK, scopeVersion)
	a.PutStr(semconv.HostName, pick(g, svc.hosts))
	a.PutStr(semconv.OSVersion, pick(g, []string{"6.8.0-1021-aws", "6.1.0-28-cloud-amd64", "6.11.5-300.fc41.x86_64"}))
	a.PutInt(semconv.HostMemoryTotal, cpus*4<<30)
	a.PutStr(semconv.ProcessRuntimeCwd, svc.cwd)
	return s
}

// end ends the session as the SDK does: final tags, end state and reason
// on the root, status Ok for Success and Error for Failure.
func (s *session) end(at time.Time, state, reason string) {
	s.setTags()
	a := s.root.Attributes()
	a.PutStr(semconv.EndState, state)
	if reason != "" {
		a.PutStr(semconv.EndStateReason, reason)
	}
	switch state {
	case semconv.EndStateSuccess:
		s.root.Status().SetCode(ptrace.StatusCodeOk)
	case semconv.EndStateFailure:
		s.root.Status().SetCode(ptrace.StatusCodeError)
		s.root.Status().SetMessage(reason)
	}
	s.root.SetEndTimestamp(ts(at))
}

// setTags writes the tags as the SDK does: a JSON list in a string (Go),
// an array (Python).
func (s *session) setTags() {
	tags := s.tags
	if tags == nil {
		tags = []string{}
	}
	if s.python {
		list := s.root.Attributes().PutEmptySlice(semconv.Tags)
		for _, t := range tags {
			list.AppendEmpty().SetStr(t)
		}
		return
	}
	b, _ := json.Marshal(tags)
	s.root.Attributes().PutStr(semconv.Tags, string(b))
}

// span starts a child of parent named "<name>.<kind>", as the SDK's span
// helpers (Agent, Tool, ...) name them.
func (s *session) span(parent ptrace.Span, kind, name string, start time.Time) ptrace.Span {
	sp := s.spans.AppendEmpty()
	sp.SetTraceID(s.trace)
	sp.SetSpanID(s.g.spanID(rootSpanID(s.trace)))
	sp.SetParentSpanID(parent.SpanID())
	sp.SetName(name + "." + kind)
	sp.SetKind(ptrace.SpanKindInternal)
	sp.SetStartTimestamp(ts(start))
	sp.Attributes().PutStr(semconv.SpanKind, kind)
	sp.Attributes().PutStr(semconv.OperationName, name)
	return sp
}

// entity records v as JSON (strings as they are) under key, as WithInput
// and the helpers' output recording do.
func entity(sp ptrace.Span, key string, v any) {
	if str, ok := v.(string); ok {
		sp.Attributes().PutStr(key, str)
		return
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // the generator's own values always encode
	}
	sp.Attributes().PutStr(key, string(b))
}

// finish ends sp at end with its output recorded.
func finish(sp ptrace.Span, end time.Time, output any) time.Time {
	if output != nil {
		entity(sp, semconv.EntityOutput, output)
	}
	sp.SetEndTimestamp(ts(end))
	return end
}

// failure is an error as the Go SDK records it: an exception event with
// the error's type, message and (when recorded with a stack) the stack.
type failure struct {
	typ, msg, stack string
}

func (f failure) Error() string { return f.msg }

// fail ends sp at end with status Error and f as an exception event.
func fail(sp ptrace.Span, end time.Time, f failure) time.Time {
	ev := sp.Events().AppendEmpty()
	ev.SetName(semconv.ExceptionEvent)
	ev.SetTimestamp(ts(end))
	ev.Attributes().PutStr(semconv.ExceptionType, f.typ)
	ev.Attributes().PutStr(semconv.ExceptionMessage, f.msg)
	if f.stack != "" {
		ev.Attributes().PutStr(semconv.ExceptionStacktrace, f.stack)
	}
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage(f.msg)
	sp.SetEndTimestamp(ts(end))
	return end
}

// llmModel is a model as the recorder sees it: the provider it is called
// through, the name asked for and the name the provider answers with.
type llmModel struct {
	provider  string // gen_ai.provider.name
	system    string // gen_ai.system, the older name
	operation string
	request   string
	response  string
	perToken  time.Duration // generation time per output token
	idPrefix  string        // response ids: chatcmpl-, msg_, ...
}

var (
	gpt4o        = llmModel{"openai", "openai", semconv.OpChat, "gpt-4o", "gpt-4o-2024-08-06", 14 * time.Millisecond, "chatcmpl-"}
	gpt4oMini    = llmModel{"openai", "openai", semconv.OpChat, "gpt-4o-mini", "gpt-4o-mini-2024-07-18", 7 * time.Millisecond, "chatcmpl-"}
	o4Mini       = llmModel{"openai", "openai", semconv.OpChat, "o4-mini", "o4-mini-2025-04-16", 6 * time.Millisecond, "chatcmpl-"}
	embedSmall   = llmModel{"openai", "openai", semconv.OpEmbeddings, "text-embedding-3-small", "text-embedding-3-small", 0, ""}
	claudeSonnet = llmModel{"anthropic", "anthropic", semconv.OpChat, "claude-sonnet-4-20250514", "claude-sonnet-4-20250514", 18 * time.Millisecond, "msg_"}
	claudeHaiku  = llmModel{"anthropic", "anthropic", semconv.OpChat, "claude-haiku-4-5", "claude-haiku-4-5-20251001", 8 * time.Millisecond, "msg_"}
	geminiFlash  = llmModel{"gcp.gemini", "gemini", semconv.OpGenerateContent, "gemini-2.5-flash", "gemini-2.5-flash", 5 * time.Millisecond, ""}
	// A fine-tuned model served by vLLM's OpenAI-compatible API: no price
	// table knows it, so its calls show as unpriced.
	selfHosted = llmModel{"openai", "openai", semconv.OpChat, "acme-support-8b-ft", "acme-support-8b-ft", 11 * time.Millisecond, "cmpl-"}
)

// message is one chat message of a prompt or completion.
type message struct {
	role, content string
	toolCalls     []toolCall
	finish        string // completions only
}

type toolCall struct{ id, name, arguments string }

// call is one LLM call to record.
type call struct {
	model       llmModel
	temperature float64
	maxTokens   int64
	prompt      []message
	reply       message
	// Token usage in the OTel convention: input includes the cache reads,
	// output includes the reasoning tokens.
	input, output, cacheRead, reasoning int64
}

// llm records c as a child of parent starting at start, as the llm
// package's recorder does, and returns when it ended. Latency is time to
// first token plus the output tokens at the model's speed.
//
// Token counts follow the text: the output is the reply's tokens (about
// four bytes each) plus the reasoning tokens, unless c sets it; the input
// is at least the prompt's tokens (c.input adds context the recorder
// summarizes: documents, a diff).
func (s *session) llm(parent ptrace.Span, start time.Time, c call) time.Time {
	if c.output == 0 && c.model.operation != semconv.OpEmbeddings {
		c.output = approxTokens(c.reply) + c.reasoning
	}
	c.input = max(c.input, approxTokens(c.prompt...))
	sp := s.llmSpan(parent, start, c)
	end := start.Add(s.g.between(250*time.Millisecond, 900*time.Millisecond) + time.Duration(c.output)*c.model.perToken)
	if c.model.operation == semconv.OpEmbeddings {
		end = start.Add(s.g.between(80*time.Millisecond, 300*time.Millisecond))
	}
	a := sp.Attributes()
	a.PutStr(semconv.GenAIResponseModel, c.model.response)
	if c.model.idPrefix != "" {
		a.PutStr(semconv.GenAIResponseID, c.model.idPrefix+s.randomHex(12))
	}
	if c.reply.finish != "" {
		a.PutEmptySlice(semconv.GenAIResponseFinish).AppendEmpty().SetStr(c.reply.finish)
	}
	a.PutInt(semconv.GenAIPromptTokens, c.input)
	a.PutInt(semconv.GenAICompletionTokens, c.output)
	a.PutInt(semconv.GenAITotalTokens, c.input+c.output)
	a.PutInt(semconv.GenAICacheReadTokens, c.cacheRead)
	if !s.python {
		a.PutInt(semconv.GenAIInputTokens, c.input)
		a.PutInt(semconv.GenAIOutputTokens, c.output)
		a.PutInt(semconv.GenAICacheReadLegacy, c.cacheRead)
		a.PutInt(semconv.GenAICacheCreationTokens, 0)
		a.PutInt(semconv.GenAICacheWriteLegacy, 0)
		a.PutInt(semconv.GenAIReasoningTokens, c.reasoning)
		a.PutInt(semconv.HTTPResponseStatusCode, 200)
	}
	if c.model.operation != semconv.OpEmbeddings {
		putMessages(a, semconv.GenAICompletionPrefix, []message{c.reply})
	}
	sp.SetEndTimestamp(ts(end))
	return end
}

// refused records c answered with an HTTP error (a 429 rate limit, a 529
// overload) the way the recorder does: status code, error.type and
// error.message from the provider's error body, status Error, no usage.
func (s *session) refused(parent ptrace.Span, start time.Time, c call, status int, typ, msg string) time.Time {
	sp := s.llmSpan(parent, start, c)
	end := start.Add(s.g.between(120*time.Millisecond, 450*time.Millisecond))
	a := sp.Attributes()
	a.PutInt(semconv.HTTPResponseStatusCode, int64(status))
	a.PutStr(semconv.ErrorType, typ)
	a.PutStr(semconv.ErrorMessage, msg)
	sp.Status().SetCode(ptrace.StatusCodeError)
	sp.Status().SetMessage(msg)
	sp.SetEndTimestamp(ts(end))
	return end
}

func (s *session) llmSpan(parent ptrace.Span, start time.Time, c call) ptrace.Span {
	sp := s.llmSpans.AppendEmpty()
	sp.SetTraceID(s.trace)
	sp.SetSpanID(s.g.spanID(rootSpanID(s.trace)))
	sp.SetParentSpanID(parent.SpanID())
	sp.SetName(c.model.operation + " " + c.model.request)
	if s.python {
		sp.SetName(c.model.system + "." + c.model.operation)
	}
	sp.SetKind(ptrace.SpanKindClient)
	sp.SetStartTimestamp(ts(start))
	a := sp.Attributes()
	a.PutStr(semconv.SpanKind, semconv.KindLLM)
	a.PutStr(semconv.GenAIOperationName, c.model.operation)
	if !s.python {
		a.PutStr(semconv.GenAIProviderName, c.model.provider)
	}
	a.PutStr(semconv.GenAISystem, c.model.system)
	a.PutStr(semconv.GenAIRequestModel, c.model.request)
	if c.model.operation != semconv.OpEmbeddings {
		a.PutDouble(semconv.GenAIRequestTemperature, c.temperature)
		if c.maxTokens > 0 {
			a.PutInt(semconv.GenAIRequestMaxTokens, c.maxTokens)
		}
	}
	putMessages(a, semconv.GenAIPromptPrefix, c.prompt)
	return sp
}

// putMessages records msgs as prefix.N.role / .content / .finish_reason and
// prefix.N.tool_calls.M.id / .name / .arguments.
func putMessages(a pcommon.Map, prefix string, msgs []message) {
	for i, m := range msgs {
		p := prefix + strconv.Itoa(i) + "."
		a.PutStr(p+"role", m.role)
		if m.content != "" {
			a.PutStr(p+"content", m.content)
		}
		if m.finish != "" {
			a.PutStr(p+"finish_reason", m.finish)
		}
		for j, tc := range m.toolCalls {
			q := prefix + strconv.Itoa(i) + semconv.GenAIToolCallsInfix + strconv.Itoa(j) + "."
			a.PutStr(q+"id", tc.id)
			a.PutStr(q+"name", tc.name)
			a.PutStr(q+"arguments", tc.arguments)
		}
	}
}

// approxTokens estimates the tokens of msgs: about four bytes a token, a
// few more per message for the role and framing.
func approxTokens(msgs ...message) int64 {
	var n int64
	for _, m := range msgs {
		n += 4 + int64(len(m.content)+3)/4
		for _, tc := range m.toolCalls {
			n += 8 + int64(len(tc.name)+len(tc.arguments)+3)/4
		}
	}
	return n
}

// randomHex returns n random bytes in hex, from the id stream (response
// and tool call ids are ids, not content).
func (s *session) randomHex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(s.g.ids.Uint32())
	}
	return hex.EncodeToString(b)
}

// toolCallID is an id in the provider's style.
func (s *session) toolCallID(m llmModel) string {
	if m.provider == "anthropic" {
		return "toolu_" + s.randomHex(12)
	}
	return "call_" + s.randomHex(12)
}

// jsonArgs encodes tool call arguments.
func jsonArgs(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("demo: tool arguments: %v", err))
	}
	return string(b)
}
