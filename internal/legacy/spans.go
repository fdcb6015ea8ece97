package legacy

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/semconv"
)

// Attributes of legacy records that have no AgentOps or GenAI convention.
const (
	attrSessionID  = "session.id"
	attrEventID    = "event.id"
	attrEventType  = "event.type"
	attrAgentID    = "agent.id"
	attrAgentName  = "agent.name"
	attrThreadID   = "gen_ai.conversation.id"
	attrVideo      = "agentops.session.video"
	attrLegacyHost = "agentops.legacy.host_env" // the SDK's host_env object, as sent
	scopeName      = "agentops.legacy.v2"
)

// batch collects the spans of one request, all of one session.
type batch struct {
	td    ptrace.Traces
	spans ptrace.SpanSlice
	trace model.TraceID
	ids   []model.SpanID // of the spans appended, in order
}

func newBatch(trace model.TraceID) *batch {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "agentops-legacy")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(scopeName)
	return &batch{td: td, spans: ss.Spans(), trace: trace}
}

// span appends a span of the batch's trace.
func (b *batch) span(id, parent model.SpanID, name string, kind model.Kind, start, end time.Time) ptrace.Span {
	sp := b.spans.AppendEmpty()
	sp.SetTraceID(pcommon.TraceID(b.trace))
	sp.SetSpanID(pcommon.SpanID(id))
	sp.SetParentSpanID(pcommon.SpanID(parent))
	sp.SetName(name)
	sp.SetKind(ptrace.SpanKindInternal)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
	if !end.IsZero() {
		if end.Before(start) {
			end = start
		}
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(end))
	}
	sp.Attributes().PutStr(semconv.SpanKind, string(kind))
	b.ids = append(b.ids, id)
	return sp
}

// keep drops the spans whose id stored reports as already there, and
// returns how many are left.
func (b *batch) keep(stored func(model.SpanID) bool) int {
	i := 0
	b.spans.RemoveIf(func(ptrace.Span) bool {
		drop := stored(b.ids[i])
		i++
		return drop
	})
	return b.spans.Len()
}

// addRoot appends the root span of an ended session.
func (b *batch) addRoot(s *sessionRecord, now time.Time) error {
	start, err := parseTime("init_timestamp", s.InitTimestamp)
	if err != nil {
		return err
	}
	var end time.Time
	if s.EndTimestamp != nil {
		if end, err = parseTime("end_timestamp", *s.EndTimestamp); err != nil {
			return err
		}
	}
	if end.IsZero() {
		end = now
	}
	if start.IsZero() {
		start = end
	}
	name := "session"
	if s.Name != nil && strings.TrimSpace(*s.Name) != "" {
		name = strings.TrimSpace(*s.Name)
	}
	sp := b.span(rootSpanID(b.trace), model.SpanID{}, name, semconv.KindSession, start, end)
	a := sp.Attributes()
	a.PutStr(attrSessionID, s.SessionID)
	a.PutStr(semconv.SessionName, name)
	if tags := tagList(s.Tags); tags != nil {
		list := a.PutEmptySlice(semconv.Tags)
		for _, t := range tags {
			list.AppendEmpty().SetStr(t)
		}
	}
	state := ""
	if s.EndState != nil {
		state = *s.EndState
	}
	if state == "" {
		state = semconv.EndStateIndeterminate
	}
	a.PutStr(semconv.EndState, state)
	if s.EndStateReason != nil && *s.EndStateReason != "" {
		a.PutStr(semconv.EndStateReason, *s.EndStateReason)
	}
	switch strings.ToLower(state) {
	case "success":
		sp.Status().SetCode(ptrace.StatusCodeOk)
	case "fail", "failure":
		sp.Status().SetCode(ptrace.StatusCodeError)
		if s.EndStateReason != nil {
			sp.Status().SetMessage(*s.EndStateReason)
		}
	}
	if s.Video != nil && *s.Video != "" {
		a.PutStr(attrVideo, *s.Video)
	}
	hostEnv(a, s.HostEnv)
	return nil
}

// hostEnv maps the SDK's host_env ({"SDK": {...}, "OS": {...}, ...}) to the
// host.*, os.* and process.runtime.* attributes sessions show, and keeps
// the object as sent.
func hostEnv(a pcommon.Map, raw json.RawMessage) {
	var env map[string]map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &env) != nil {
		return
	}
	a.PutStr(attrLegacyHost, string(raw))
	put := func(key, section, field string) {
		if v := jsonText(env[section][field]); v != "" {
			a.PutStr(key, v)
		}
	}
	put(semconv.HostName, "OS", "Hostname")
	put(semconv.OSType, "OS", "OS")
	put(semconv.OSVersion, "OS", "OS Version")
	put(semconv.ProcessRuntimeVersion, "SDK", "Python Version")
	put(semconv.ProcessRuntimeSDK, "SDK", "AgentOps SDK Version")
	if _, ok := env["SDK"]["Python Version"]; ok {
		a.PutStr(semconv.ProcessRuntimeName, "python")
	}
	if n, ok := jsonInt(env["CPU"]["Total cores"]); ok {
		a.PutInt(semconv.HostCPUCount, n)
	}
}

// eventSpanID is the span of an event, whatever its type (an error names
// its trigger by id, not always with the right type).
func eventSpanID(id string) model.SpanID { return spanIDOf("event", id) }

// addEvent appends the span of one event of the batch's session.
func (b *batch) addEvent(e *eventRecord, now time.Time) error {
	if e.ID == "" {
		return fmt.Errorf("event without an id")
	}
	start, err := parseTime("init_timestamp", e.InitTimestamp)
	if err != nil {
		return err
	}
	var end time.Time
	if e.EndTimestamp != nil {
		if end, err = parseTime("end_timestamp", *e.EndTimestamp); err != nil {
			return err
		}
	}
	switch {
	case start.IsZero() && end.IsZero():
		start, end = now, now
	case start.IsZero():
		start = end
	case end.IsZero():
		end = start // the legacy SDKs only send events that are over
	}
	parent := rootSpanID(b.trace)
	kind, name := eventKind(e)
	if kind == semconv.KindError {
		if id, _ := e.trigger(); id != "" {
			parent = eventSpanID(id)
		}
	}
	sp := b.span(eventSpanID(string(e.ID)), parent, name, kind, start, end)
	a := sp.Attributes()
	a.PutStr(attrEventID, string(e.ID))
	a.PutStr(attrEventType, e.EventType)
	putStr(a, attrAgentID, string(e.AgentID))
	putStr(a, semconv.EntityInput, jsonText(e.Params))
	putStr(a, semconv.EntityOutput, jsonText(e.Returns))
	putStr(a, semconv.EntityLogs, jsonText(e.Logs))
	switch kind {
	case semconv.KindAction:
		putStr(a, semconv.ActionType, string(e.ActionType))
		putStr(a, semconv.ActionScreenshot, string(e.Screenshot))
	case semconv.KindTool:
		putStr(a, semconv.ToolName, name)
	case semconv.KindLLM:
		llmAttributes(a, e)
	case semconv.KindError:
		sp.Status().SetCode(ptrace.StatusCodeError)
		sp.Status().SetMessage(string(e.Details))
		putStr(a, semconv.ErrorType, string(e.ErrorType))
		putStr(a, semconv.ExceptionType, string(e.ErrorType))
		putStr(a, semconv.ExceptionMessage, string(e.Details))
		putStr(a, semconv.ErrorDetails, string(e.Details))
		putStr(a, semconv.ErrorCode, string(e.Code))
		if e.Logs != nil {
			putStr(a, semconv.ExceptionStacktrace, jsonText(e.Logs))
		}
		if _, typ := e.trigger(); typ != "" {
			putStr(a, semconv.ErrorTrigger, typ)
		}
	}
	return nil
}

// eventKind is the span kind and name of an event, from its type.
func eventKind(e *eventRecord) (model.Kind, string) {
	first := func(vals ...rawString) string {
		for _, v := range vals {
			if v != "" {
				return string(v)
			}
		}
		return ""
	}
	switch strings.ToLower(e.EventType) {
	case "llms", "llm":
		return semconv.KindLLM, cmpOr(first(e.Model), "llm")
	case "tools", "tool":
		return semconv.KindTool, cmpOr(first(e.Name, e.ToolName), "tool")
	case "errors", "error":
		return semconv.KindError, cmpOr(first(e.ErrorType), "error")
	case "apis", "api":
		return semconv.KindHTTP, cmpOr(first(e.Name), "api")
	}
	return semconv.KindAction, cmpOr(first(e.ActionType, e.Name), cmpOr(e.EventType, "action"))
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// llmAttributes records an LLMEvent in the GenAI conventions: model,
// tokens, the cost it reports, and its prompt and completion as messages.
func llmAttributes(a pcommon.Map, e *eventRecord) {
	a.PutStr(semconv.GenAIOperationName, semconv.OpChat)
	putStr(a, semconv.GenAIRequestModel, string(e.Model))
	putStr(a, attrThreadID, string(e.ThreadID))
	if n, ok := jsonInt(e.PromptTokens); ok {
		a.PutInt(semconv.GenAIPromptTokens, n)
	}
	if n, ok := jsonInt(e.CompletionTokens); ok {
		a.PutInt(semconv.GenAICompletionTokens, n)
	}
	if c, ok := jsonNumber(e.Cost); ok {
		a.PutDouble(semconv.GenAICost, c)
	}
	putMessages(a, semconv.GenAIPromptPrefix, e.Prompt, "user")
	putMessages(a, semconv.GenAICompletionPrefix, e.Completion, "assistant")
}

// putMessages writes prefix.N.role/content from a string (one message of
// role def), a {role, content} object, a list of either, or a
// {"type": "chatml", "messages": [...]} wrapper as older SDKs sent.
func putMessages(a pcommon.Map, prefix string, raw json.RawMessage, def string) {
	if len(raw) == 0 || string(raw) == "null" {
		return
	}
	var wrapped struct {
		Messages json.RawMessage `json:"messages"`
	}
	if raw[0] == '{' && json.Unmarshal(raw, &wrapped) == nil && len(wrapped.Messages) > 0 && wrapped.Messages[0] == '[' {
		raw = wrapped.Messages
	}
	var list []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		list = []json.RawMessage{raw}
	}
	for i, m := range list {
		role, content := def, jsonText(m)
		var msg struct {
			Role    rawString       `json:"role"`
			Content json.RawMessage `json:"content"`
		}
		if len(m) > 0 && m[0] == '{' && json.Unmarshal(m, &msg) == nil && (msg.Role != "" || msg.Content != nil) {
			role, content = cmpOr(string(msg.Role), def), jsonText(msg.Content)
		}
		p := prefix + strconv.Itoa(i) + "."
		a.PutStr(p+"role", role)
		a.PutStr(p+"content", content)
	}
}

// addAgent appends the span of an agent created at now.
func (b *batch) addAgent(r *agentRecord, now time.Time) {
	name := cmpOr(string(r.Name), "agent")
	sp := b.span(spanIDOf("agent", string(r.ID)), rootSpanID(b.trace), name, semconv.KindAgent, now, now)
	a := sp.Attributes()
	a.PutStr(attrAgentID, string(r.ID))
	a.PutStr(attrAgentName, name)
	a.PutStr(semconv.GenAIOperationName, semconv.OpCreateAgent)
}

func putStr(a pcommon.Map, k, v string) {
	if v != "" {
		a.PutStr(k, v)
	}
}
