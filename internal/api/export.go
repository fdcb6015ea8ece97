package api

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// GenAI tool attributes read for the tools section (OpenTelemetry GenAI
// semantic conventions).
const (
	attrToolName       = "gen_ai.tool.name"
	attrToolCallID     = "gen_ai.tool.call.id"
	attrToolCallArgs   = "gen_ai.tool.call.arguments"
	attrToolCallResult = "gen_ai.tool.call.result"
	// The AgentOps Python SDK 0.4's @tool records its arguments and result
	// under a key of the span's kind instead of agentops.entity.*.
	attrToolInput  = "agentops.tool.input"
	attrToolOutput = "agentops.tool.output"
)

// Other dialects' names of a tool's name, input and output: OpenLLMetry's
// (traceloop.entity.*) and OpenInference's (tool.name, input.value,
// output.value).
const (
	attrTraceloopName   = "traceloop.entity.name"
	attrTraceloopInput  = "traceloop.entity.input"
	attrTraceloopOutput = "traceloop.entity.output"
	attrOIToolName      = "tool.name"
	attrOIInput         = "input.value"
	attrOIOutput        = "output.value"
)

// Export returns the complete export of one session of a project: its
// metadata, statistics (as Stats), every action, LLM call, tool call and
// error, every span with all its raw data, and (when r also implements
// store.Logs) the uploaded terminal logs. An unknown session, and a session
// of another project, is store.ErrNotFound.
func Export(ctx context.Context, r store.SessionReader, projectID string, id model.TraceID, now time.Time, timeout time.Duration) (*SessionExport, error) {
	timeout = orDefault(timeout)
	s, err := r.Session(ctx, projectID, id)
	if err != nil {
		return nil, fmt.Errorf("api: session %s: %w", id, err)
	}
	spans, err := r.Spans(ctx, projectID, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("api: spans of session %s: %w", id, err)
	}
	x := &SessionExport{
		Session: SessionInfo{
			ID:           s.ID.String(),
			ProjectID:    s.ProjectID,
			Name:         s.Name,
			SessionState: stateOf(&s, now, timeout),
			LastSeen:     Timestamp(s.LastSeen),
			Tags:         tagsOf(s.Tags),
			HostEnv:      rawOr(s.Host, nil),
		},
		Stats:   statsOf(&s, now, timeout),
		Actions: []Action{},
		LLMs:    []LLMCall{},
		Tools:   []ToolCall{},
		Errors:  []ErrorRecord{},
		Spans:   make([]Span, 0, len(spans)),
		Logs:    []Log{},
	}
	if l, ok := r.(store.Logs); ok {
		if x.Logs, err = logsOf(ctx, l, projectID, id); err != nil {
			return nil, err
		}
	}
	for i := range spans {
		sp := &spans[i]
		x.Spans = append(x.Spans, spanOf(sp))
		var attrs attributes
		if sp.Kind == semconv.KindAction || sp.Kind == semconv.KindLLM || sp.Kind == semconv.KindTool {
			attrs = parseAttributes(sp.Attributes)
		}
		switch sp.Kind {
		case semconv.KindAction:
			x.Actions = append(x.Actions, actionOf(sp, attrs))
		case semconv.KindLLM:
			x.LLMs = append(x.LLMs, LLMCall{
				SpanRef:    refOf(sp),
				LLMInfo:    llmOf(sp),
				Prompt:     messages(attrs, sp.Events, promptSide),
				Completion: messages(attrs, sp.Events, completionSide),
			})
		case semconv.KindTool:
			x.Tools = append(x.Tools, toolOf(sp, attrs))
		}
		if sp.IsError() {
			e := errorOf(sp)
			x.Errors = append(x.Errors, ErrorRecord{
				SpanID:     sp.SpanID.String(),
				SpanName:   sp.Name,
				Kind:       string(sp.Kind),
				Time:       errorTime(sp),
				Type:       e.Type,
				Message:    e.Message,
				Stacktrace: e.Stacktrace,
			})
		}
	}
	return x, nil
}

func refOf(sp *model.Span) SpanRef {
	return SpanRef{
		SpanID:       sp.SpanID.String(),
		ParentSpanID: parentOf(sp),
		SpanName:     sp.Name,
		StartTime:    Timestamp(sp.Start),
		EndTime:      Timestamp(sp.End),
		DurationMs:   spanMillis(sp),
		Status:       sp.Status.String(),
	}
}

func spanOf(sp *model.Span) Span {
	out := Span{
		TraceID:        sp.TraceID.String(),
		SpanID:         sp.SpanID.String(),
		ParentSpanID:   parentOf(sp),
		Name:           sp.Name,
		Kind:           string(sp.Kind),
		SpanKind:       otelSpanKind(sp.SpanKind),
		StartTime:      Timestamp(sp.Start),
		EndTime:        Timestamp(sp.End),
		DurationMs:     spanMillis(sp),
		Status:         Status{Code: sp.Status.String(), Message: sp.StatusMessage},
		EndState:       sp.EndState,
		EndStateReason: sp.EndStateReason,
		Tags:           sp.Tags,
		Attributes:     rawOr(sp.Attributes, emptyObject),
		Resource:       rawOr(sp.Resource, emptyObject),
		Scope:          rawOr(sp.Scope, nil),
		Events:         rawOr(sp.Events, emptyArray),
		Links:          rawOr(sp.Links, emptyArray),
		Truncated:      sp.Truncated,
	}
	if sp.IsError() || sp.ErrorType != "" || sp.ErrorMessage != "" || sp.ErrorStack != "" {
		e := errorOf(sp)
		out.Error = &e
	}
	if sp.Kind == semconv.KindLLM || sp.Provider != "" || sp.RequestModel != "" || sp.ResponseModel != "" ||
		!sp.Usage.IsZero() || sp.CostSource != model.CostNone {
		llm := llmOf(sp)
		out.LLM = &llm
	}
	return out
}

func parentOf(sp *model.Span) *string {
	if sp.IsRoot() {
		return nil
	}
	p := sp.ParentID.String()
	return &p
}

func spanMillis(sp *model.Span) float64 {
	if sp.End <= sp.Start {
		return 0
	}
	return millis(time.Duration(sp.End - sp.Start))
}

func llmOf(sp *model.Span) LLMInfo {
	info := LLMInfo{
		Model:               sp.ResponseModel,
		RequestModel:        sp.RequestModel,
		ResponseModel:       sp.ResponseModel,
		Provider:            sp.Provider,
		Operation:           sp.Operation,
		PromptTokens:        sp.Usage.Input,
		CompletionTokens:    sp.Usage.Output,
		CacheReadTokens:     sp.Usage.CacheRead,
		CacheCreationTokens: sp.Usage.CacheWrite,
		ReasoningTokens:     sp.Usage.Reasoning,
		TotalTokens:         sp.Usage.Total,
		CostSource:          sp.CostSource.String(),
	}
	if info.Model == "" {
		info.Model = sp.RequestModel
	}
	if sp.CostSource == model.CostSpan || sp.CostSource == model.CostTable {
		cost := sp.Cost
		info.CostUSD = &cost
	}
	return info
}

// errorOf is the error a span records; the message falls back to the
// status message, as the error of an error-status span without an
// exception is its status.
func errorOf(sp *model.Span) SpanError {
	e := SpanError{Type: sp.ErrorType, Message: sp.ErrorMessage, Stacktrace: sp.ErrorStack}
	if e.Message == "" {
		e.Message = sp.StatusMessage
	}
	return e
}

// errorTime is when a span's error happened: its last exception event,
// else its end, else its start.
func errorTime(sp *model.Span) Timestamp {
	var events []struct {
		Time int64  `json:"time_unix_nano"`
		Name string `json:"name"`
	}
	if len(sp.Events) > 0 && json.Unmarshal(sp.Events, &events) == nil {
		for i := len(events) - 1; i >= 0; i-- {
			if events[i].Name == semconv.ExceptionEvent && events[i].Time > 0 {
				return Timestamp(events[i].Time)
			}
		}
	}
	if sp.End > 0 {
		return Timestamp(sp.End)
	}
	return Timestamp(sp.Start)
}

var otelSpanKinds = [...]string{"UNSPECIFIED", "INTERNAL", "SERVER", "CLIENT", "PRODUCER", "CONSUMER"}

func otelSpanKind(k int32) string {
	if k >= 0 && int(k) < len(otelSpanKinds) {
		return otelSpanKinds[k]
	}
	return strconv.Itoa(int(k))
}

var (
	emptyObject = json.RawMessage(`{}`)
	emptyArray  = json.RawMessage(`[]`)
)

// rawOr returns raw, or def when raw is empty. Stored data that is not
// valid JSON (which ingest never writes) is given as a JSON string of its
// bytes rather than failing the whole export.
func rawOr(raw, def json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return def
	}
	if !json.Valid(raw) {
		b, _ := json.Marshal(string(raw))
		return b
	}
	return raw
}

// actionOf reads an action span's type, input and output.
func actionOf(sp *model.Span, attrs attributes) Action {
	return Action{
		SpanRef:    refOf(sp),
		ActionType: cmp.Or(attrs.firstString(semconv.OperationName), sp.Name),
		Input:      attrs.raw(semconv.EntityInput),
		Output:     attrs.raw(semconv.EntityOutput),
	}
}

// toolOf reads a tool span's name, call id, input and output, in every
// dialect's names.
func toolOf(sp *model.Span, attrs attributes) ToolCall {
	return ToolCall{
		SpanRef: refOf(sp),
		Name:    cmp.Or(attrs.firstString(attrToolName, semconv.OperationName, attrTraceloopName, attrOIToolName), sp.Name),
		CallID:  attrs.firstString(attrToolCallID),
		Input:   attrs.firstRaw(semconv.EntityInput, attrToolInput, attrToolCallArgs, attrTraceloopInput, attrOIInput),
		Output:  attrs.firstRaw(semconv.EntityOutput, attrToolOutput, attrToolCallResult, attrTraceloopOutput, attrOIOutput),
	}
}
