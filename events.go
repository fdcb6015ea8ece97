package agentops

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// An Event is something recorded in a session with the legacy API
// (Session.Record): an ActionEvent, LLMEvent, ToolEvent or ErrorEvent
// (values or pointers). Each becomes a span of kind action, llm, tool or
// error, timed by its InitTimestamp and EndTimestamp (zero: now), so the
// server counts it as the newer API's spans.
type Event interface {
	event() *eventSpan
}

// eventSpan is what an event becomes.
type eventSpan struct {
	kind       Kind
	name       string
	start, end time.Time
	attrs      []attribute.KeyValue
	err        error // ErrorEvent: recorded as the exception, status Error
	errType    string
	errMsg     string
	trigger    Event
	// LLM tally
	llm              bool
	model            string
	prompt, complete int64
	cost             float64
}

// ActionEvent is an action the agent took (Python's ActionEvent).
type ActionEvent struct {
	ActionType    string
	Params        any    // recorded as agentops.entity.input (JSON)
	Returns       any    // recorded as agentops.entity.output (JSON)
	Logs          any    // recorded as agentops.entity.logs (JSON)
	Screenshot    string // a URL or data URI
	InitTimestamp time.Time
	EndTimestamp  time.Time
}

// Message is one chat message of an LLMEvent's prompt or completion.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// LLMEvent is one LLM call (Python's LLMEvent).
type LLMEvent struct {
	Model            string
	Prompt           any // a string, []Message, or anything JSON-encodable
	Completion       any // idem
	PromptTokens     int64
	CompletionTokens int64
	// Cost in USD as the provider reported it; 0 has the call priced from
	// the model and tokens (locally and by the server, same price table).
	Cost          float64
	InitTimestamp time.Time
	EndTimestamp  time.Time
}

// ToolEvent is one tool call (Python's ToolEvent).
type ToolEvent struct {
	Name          string
	Params        any
	Returns       any
	Logs          any
	InitTimestamp time.Time
	EndTimestamp  time.Time
}

// ErrorEvent is an error (Python's ErrorEvent), optionally caused by
// another event (TriggerEvent, recorded too and linked).
type ErrorEvent struct {
	TriggerEvent  Event
	Exception     error
	ErrorType     string // default: the Go type of Exception
	Code          string
	Details       string
	Logs          any
	InitTimestamp time.Time
	EndTimestamp  time.Time
}

func (e ActionEvent) event() *eventSpan {
	es := &eventSpan{kind: KindAction, name: e.ActionType, start: e.InitTimestamp, end: e.EndTimestamp}
	es.attrs = append(es.attrs, attribute.String(semconv.ActionType, e.ActionType))
	es.attrs = appendEntity(es.attrs, semconv.EntityInput, e.Params)
	es.attrs = appendEntity(es.attrs, semconv.EntityOutput, e.Returns)
	es.attrs = appendEntity(es.attrs, semconv.EntityLogs, e.Logs)
	if e.Screenshot != "" {
		es.attrs = append(es.attrs, attribute.String(semconv.ActionScreenshot, e.Screenshot))
	}
	return es
}

func (e LLMEvent) event() *eventSpan {
	es := &eventSpan{kind: KindLLM, name: e.Model, start: e.InitTimestamp, end: e.EndTimestamp,
		llm: true, model: e.Model, prompt: e.PromptTokens, complete: e.CompletionTokens, cost: e.Cost}
	if e.Model != "" {
		es.attrs = append(es.attrs, attribute.String(semconv.GenAIRequestModel, e.Model))
	}
	es.attrs = append(es.attrs,
		attribute.Int64(semconv.GenAIPromptTokens, e.PromptTokens),
		attribute.Int64(semconv.GenAICompletionTokens, e.CompletionTokens))
	if e.Cost > 0 {
		es.attrs = append(es.attrs, attribute.Float64(semconv.GenAITotalCost, e.Cost))
	}
	es.attrs = appendMessages(es.attrs, semconv.GenAIPromptPrefix, "user", e.Prompt)
	es.attrs = appendMessages(es.attrs, semconv.GenAICompletionPrefix, "assistant", e.Completion)
	return es
}

func (e ToolEvent) event() *eventSpan {
	es := &eventSpan{kind: KindTool, name: e.Name, start: e.InitTimestamp, end: e.EndTimestamp}
	if e.Name != "" {
		es.attrs = append(es.attrs, attribute.String(semconv.ToolName, e.Name))
	}
	es.attrs = appendEntity(es.attrs, semconv.EntityInput, e.Params)
	es.attrs = appendEntity(es.attrs, semconv.EntityOutput, e.Returns)
	es.attrs = appendEntity(es.attrs, semconv.EntityLogs, e.Logs)
	return es
}

func (e ErrorEvent) event() *eventSpan {
	es := &eventSpan{kind: KindError, name: e.ErrorType, start: e.InitTimestamp, end: e.EndTimestamp, trigger: e.TriggerEvent}
	es.errType = e.ErrorType
	if es.errType == "" && e.Exception != nil {
		es.errType = fmt.Sprintf("%T", e.Exception)
	}
	if es.name == "" {
		es.name = es.errType
	}
	switch {
	case e.Exception != nil:
		es.errMsg = e.Exception.Error()
	case e.Details != "":
		es.errMsg = e.Details
	default:
		es.errMsg = es.errType
	}
	es.err = e.Exception
	if es.errType != "" {
		es.attrs = append(es.attrs, attribute.String(semconv.ErrorType, es.errType))
	}
	if e.Code != "" {
		es.attrs = append(es.attrs, attribute.String(semconv.ErrorCode, e.Code))
	}
	if e.Details != "" {
		es.attrs = append(es.attrs, attribute.String(semconv.ErrorDetails, e.Details))
	}
	es.attrs = appendEntity(es.attrs, semconv.EntityLogs, e.Logs)
	return es
}

// appendMessages records a prompt or completion as gen_ai.prompt.N.role /
// .content (or gen_ai.completion.N...).
func appendMessages(attrs []attribute.KeyValue, prefix, role string, v any) []attribute.KeyValue {
	switch m := v.(type) {
	case nil:
		return attrs
	case string:
		if m == "" {
			return attrs
		}
		return append(attrs, attribute.String(prefix+"0.role", role), attribute.String(prefix+"0.content", m))
	case []Message:
		for i, msg := range m {
			n := prefix + strconv.Itoa(i)
			attrs = append(attrs, attribute.String(n+".role", msg.Role), attribute.String(n+".content", msg.Content))
		}
		return attrs
	}
	return appendEntity(append(attrs, attribute.String(prefix+"0.role", role)), prefix+"0.content", v)
}

// Record records e in the session, as a child of its root span.
func (s *Session) Record(e Event) {
	if s == nil || e == nil {
		return
	}
	s.record(s.ctx, e)
}

// Record records e in the session ctx carries, as a child of the span in
// ctx (so an event recorded inside a Tool helper nests under it). Without
// a session in ctx it goes to the default client's session if exactly one
// is active, and is otherwise dropped with a warning.
func Record(ctx context.Context, e Event) {
	if e == nil {
		return
	}
	s := sessionFrom(ctx)
	if s == nil {
		c := Default()
		active := c.Active()
		if len(active) != 1 {
			c.log.Warn("agentops: Record: no session in the context and not exactly one active; event dropped", "active", len(active))
			return
		}
		s, ctx = active[0], active[0].ctx
	}
	s.record(ctx, e)
}

func (s *Session) record(ctx context.Context, e Event) trace.SpanContext {
	var sc trace.SpanContext
	err := safely(func() {
		es := e.event()
		if es == nil {
			return
		}
		var links []trace.Link
		if es.trigger != nil {
			if tsc := s.record(ctx, es.trigger); tsc.IsValid() {
				links = append(links, trace.Link{SpanContext: tsc})
				es.attrs = append(es.attrs, attribute.String(semconv.ErrorTrigger, string(es.trigger.event().kind)))
			}
		}
		now := time.Now()
		if es.start.IsZero() {
			es.start = now
		}
		if es.end.IsZero() {
			es.end = now
		}
		if es.end.Before(es.start) {
			es.end = es.start
		}
		name := string(es.kind)
		if es.name != "" {
			name = es.name + "." + name
		}
		attrs := append([]attribute.KeyValue{
			attribute.String(semconv.SpanKind, string(es.kind)),
			attribute.String(semconv.OperationName, es.name),
		}, es.attrs...)
		_, span := s.c.tracer.Start(ctx, name,
			trace.WithTimestamp(es.start),
			trace.WithAttributes(attrs...),
			trace.WithLinks(links...))
		if es.kind == KindError {
			exc := []attribute.KeyValue{attribute.String(semconv.ExceptionMessage, es.errMsg)}
			if es.errType != "" {
				exc = append(exc, attribute.String(semconv.ExceptionType, es.errType))
			}
			span.AddEvent(semconv.ExceptionEvent, trace.WithTimestamp(es.start), trace.WithAttributes(exc...))
			span.SetStatus(codes.Error, es.errMsg)
		}
		span.End(trace.WithTimestamp(es.end))
		sc = span.SpanContext()
		s.count(string(es.kind), false)
		if es.llm {
			s.tallyLLM(es)
		}
	})
	if err != nil {
		s.c.log.Warn("agentops: Record failed", "err", err)
	}
	return sc
}

func (s *Session) tallyLLM(es *eventSpan) {
	cost, priced := es.cost, es.cost > 0
	if !priced {
		if m, ok := pricing.Default().Find("", es.model); ok {
			cost, priced = m.Cost(pricing.Usage{Input: es.prompt, Output: es.complete}), true
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.promptTok += es.prompt
	s.complTok += es.complete
	if priced {
		s.cost += cost
	} else {
		s.unpriced++
	}
}
