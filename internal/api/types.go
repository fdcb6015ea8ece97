package api

import (
	"encoding/json"
	"fmt"
	"time"
)

// The JSON documents of the API. docs/API.md describes every field; a change
// here is a change of the public API and goes there too.

// SessionStats is the answer of GET /v2/sessions/{id}/stats, and the "stats"
// section of an export.
type SessionStats struct {
	SessionID string `json:"session_id"`
	SessionState
	Events EventCounts `json:"events"`
	Tokens TokenCounts `json:"tokens"`
	Cost   CostSummary `json:"cost"`
}

// SessionState is the time span and end state of a session, shared by the
// stats, the export's session metadata and the list rows.
type SessionState struct {
	// EndState is Success, Failure or Indeterminate; nil (JSON null) while
	// the session is running.
	EndState       *string `json:"end_state"`
	EndStateReason string  `json:"end_state_reason"`
	// Running is true while the session has no end state and has not been
	// silent for longer than the session timeout.
	Running   bool      `json:"running"`
	StartTime Timestamp `json:"start_time"`
	// EndTime is the latest end of any span seen (so far, while running);
	// null before any span has ended.
	EndTime    Timestamp `json:"end_time"`
	DurationMs float64   `json:"duration_ms"` // EndTime - StartTime, 0 before any span has ended
}

// EventCounts counts a session's spans by meaning. Every event of the
// legacy AgentOps API is recorded as a span, so Total counts both.
type EventCounts struct {
	LLMCalls  int64 `json:"llm_calls"`  // spans of kind llm
	ToolCalls int64 `json:"tool_calls"` // spans of kind tool
	Actions   int64 `json:"actions"`    // spans of kind action
	Agents    int64 `json:"agents"`     // spans of kind agent
	Errors    int64 `json:"errors"`     // spans with an error status, or of kind error
	Total     int64 `json:"total"`      // every span of the session, of any kind
}

// TokenCounts are the tokens of a session's LLM calls. Prompt includes the
// cache_read and cache_creation shares of the input; Completion includes
// Reasoning.
type TokenCounts struct {
	Prompt        int64 `json:"prompt"`
	Completion    int64 `json:"completion"`
	CacheRead     int64 `json:"cache_read"`
	CacheCreation int64 `json:"cache_creation"`
	Reasoning     int64 `json:"reasoning"`
	Total         int64 `json:"total"`
}

// CostSummary is what a session's LLM calls cost. An LLM call whose model
// has no known price is counted in UnpricedCalls, never as $0: TotalUSD is
// then a lower bound and Complete is false.
type CostSummary struct {
	TotalUSD      float64 `json:"total_usd"`
	UnpricedCalls int64   `json:"unpriced_calls"`
	Complete      bool    `json:"complete"`
}

// SessionExport is the answer of GET /v2/sessions/{id}/export: a session's
// metadata, its statistics, and every recorded event, each section in span
// start order.
type SessionExport struct {
	Session SessionInfo   `json:"session"`
	Stats   SessionStats  `json:"stats"`
	Actions []Action      `json:"actions"`
	LLMs    []LLMCall     `json:"llms"`
	Tools   []ToolCall    `json:"tools"`
	Errors  []ErrorRecord `json:"errors"`
	Spans   []Span        `json:"spans"`
	Logs    []Log         `json:"logs"` // uploaded terminal output, oldest first; [] when none
}

// SessionInfo is a session's metadata.
type SessionInfo struct {
	ID        string `json:"id"`
	ProjectID string `json:"project_id"`
	Name      string `json:"name"`
	SessionState
	LastSeen Timestamp `json:"last_seen"` // server clock at the latest ingest of the session's spans
	Tags     []string  `json:"tags"`      // [] when none
	// HostEnv is the root span's host.*, os.* and process.runtime.*
	// attributes as one object; null when there are none.
	HostEnv json.RawMessage `json:"host_env"`
}

// SpanRef identifies the span an action, LLM call or tool call was recorded
// as.
type SpanRef struct {
	SpanID       string    `json:"span_id"`
	ParentSpanID *string   `json:"parent_span_id"` // null for a root span
	SpanName     string    `json:"span_name"`
	StartTime    Timestamp `json:"start_time"`
	EndTime      Timestamp `json:"end_time"` // null while the span has not ended
	DurationMs   float64   `json:"duration_ms"`
	Status       string    `json:"status"` // OTLP status code: UNSET, OK or ERROR
}

// Action is a span of kind action (an ActionEvent of the legacy API).
type Action struct {
	SpanRef
	ActionType string          `json:"action_type"` // operation.name, else the span name
	Input      json.RawMessage `json:"input"`       // agentops.entity.input as sent; null when absent
	Output     json.RawMessage `json:"output"`      // agentops.entity.output as sent; null when absent
}

// LLMCall is a span of kind llm.
type LLMCall struct {
	SpanRef
	LLMInfo
	Prompt     []Message `json:"prompt"`     // [] when the span carries no prompt content
	Completion []Message `json:"completion"` // [] when the span carries no completion content
}

// LLMInfo is the model call a span describes.
type LLMInfo struct {
	Model               string   `json:"model"` // the response model, else the request model
	RequestModel        string   `json:"request_model"`
	ResponseModel       string   `json:"response_model"`
	Provider            string   `json:"provider"`
	Operation           string   `json:"operation"` // gen_ai.operation.name: chat, text_completion, embeddings, ...
	PromptTokens        int64    `json:"prompt_tokens"`
	CompletionTokens    int64    `json:"completion_tokens"`
	CacheReadTokens     int64    `json:"cache_read_tokens"`
	CacheCreationTokens int64    `json:"cache_creation_tokens"`
	ReasoningTokens     int64    `json:"reasoning_tokens"`
	TotalTokens         int64    `json:"total_tokens"`
	CostUSD             *float64 `json:"cost_usd"`    // null when the cost is unknown (unpriced) or does not apply
	CostSource          string   `json:"cost_source"` // none, span, table or unpriced
}

// Message is one message of an LLM call's prompt or completion.
type Message struct {
	Role         string `json:"role"`
	Content      string `json:"content"` // the text; a non-text value is given as its JSON text
	FinishReason string `json:"finish_reason,omitempty"`
	// ToolCalls are the tool calls the model asked for, each as sent
	// (typically {"id", "name", "arguments"}).
	ToolCalls []json.RawMessage `json:"tool_calls,omitempty"`
}

// ToolCall is a span of kind tool.
type ToolCall struct {
	SpanRef
	Name   string          `json:"name"`              // gen_ai.tool.name, else operation.name, else the span name
	CallID string          `json:"call_id,omitempty"` // gen_ai.tool.call.id
	Input  json.RawMessage `json:"input"`             // agentops.entity.input, else gen_ai.tool.call.arguments, as sent; null when absent
	Output json.RawMessage `json:"output"`            // agentops.entity.output, else gen_ai.tool.call.result, as sent; null when absent
}

// ErrorRecord is an error of the session: a span with an error status or of
// kind error.
type ErrorRecord struct {
	SpanID     string    `json:"span_id"` // the span the error happened in
	SpanName   string    `json:"span_name"`
	Kind       string    `json:"kind"` // that span's kind
	Time       Timestamp `json:"time"` // the exception event's time, else the span's end, else its start
	Type       string    `json:"type"`
	Message    string    `json:"message"`
	Stacktrace string    `json:"stacktrace"`
}

// Span is one span, complete: nothing stored about it is left out.
type Span struct {
	TraceID      string     `json:"trace_id"`
	SpanID       string     `json:"span_id"`
	ParentSpanID *string    `json:"parent_span_id"` // null for a root span
	Name         string     `json:"name"`
	Kind         string     `json:"kind"`      // agentops.span.kind as normalized: session, agent, tool, llm, ...
	SpanKind     string     `json:"span_kind"` // OTLP SpanKind: UNSPECIFIED, INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER
	StartTime    Timestamp  `json:"start_time"`
	EndTime      Timestamp  `json:"end_time"` // null while the span has not ended
	DurationMs   float64    `json:"duration_ms"`
	Status       Status     `json:"status"`
	Error        *SpanError `json:"error"` // null unless the span records an error
	LLM          *LLMInfo   `json:"llm"`   // null unless the span describes a model call

	// Session fields, as the span carried them (usually on the root).
	EndState       string   `json:"end_state,omitempty"`
	EndStateReason string   `json:"end_state_reason,omitempty"`
	Tags           []string `json:"tags,omitempty"`

	Attributes json.RawMessage `json:"attributes"` // object, {} when none
	Resource   json.RawMessage `json:"resource"`   // object, {} when none
	Scope      json.RawMessage `json:"scope"`      // {"name","version","attributes"}, null when none
	Events     json.RawMessage `json:"events"`     // [{"time_unix_nano","name","attributes"}], [] when none
	Links      json.RawMessage `json:"links"`      // [{"trace_id","span_id","trace_state","attributes"}], [] when none
	Truncated  bool            `json:"truncated"`  // some attribute value was cut at ingest
}

// Status is a span's OTLP status.
type Status struct {
	Code    string `json:"code"` // UNSET, OK or ERROR
	Message string `json:"message"`
}

// SpanError is the error a span records.
type SpanError struct {
	Type       string `json:"type"`
	Message    string `json:"message"`
	Stacktrace string `json:"stacktrace"`
}

// SessionList is the answer of GET /v2/sessions.
type SessionList struct {
	Sessions   []SessionSummary `json:"sessions"`    // most recently arrived first
	NextCursor *string          `json:"next_cursor"` // null on the last page
	// Windowed: the query's SortWindow left older sessions out of the
	// order (store.SessionPage.Windowed). The REST route sets no window, so
	// it is not part of the JSON; the dashboard shows it.
	Windowed bool `json:"-"`
}

// SessionSummary is one row of a session list.
type SessionSummary struct {
	ID   string   `json:"id"`
	Name string   `json:"name"`
	Tags []string `json:"tags"`
	SessionState
	Events EventCounts `json:"events"`
	Tokens TokenCounts `json:"tokens"`
	Cost   CostSummary `json:"cost"`
}

// Timestamp is a time in Unix nanoseconds. In JSON it is RFC 3339 in UTC
// with nine fractional digits ("2025-01-02T03:04:05.123456789Z"), or null
// when zero (not known, or not yet).
type Timestamp int64

const timestampLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Time returns t as a time.Time in UTC.
func (t Timestamp) Time() time.Time { return time.Unix(0, int64(t)).UTC() }

func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t == 0 {
		return []byte("null"), nil
	}
	b := make([]byte, 0, len(timestampLayout)+2)
	b = append(b, '"')
	b = t.Time().AppendFormat(b, timestampLayout)
	return append(b, '"'), nil
}

func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = 0
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp: %w", err)
	}
	*t = Timestamp(tm.UnixNano())
	return nil
}

// The documents of the public API (/public/v1), with AgentOps' field names
// (docs.agentops.ai, "Public API"). Where that documentation is silent the
// choices are ours, and docs/API.md says which.

// PublicAccessToken is the answer of POST /public/v1/auth/access_token
// (served by internal/auth).

// PublicProject is the answer of GET /public/v1/project.
type PublicProject struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Environment string `json:"environment"` // always ProjectEnvironment
}

// PublicTrace is the answer of GET /public/v1/traces/{id}.
type PublicTrace struct {
	TraceID   string              `json:"trace_id"`
	ProjectID string              `json:"project_id"`
	Tags      []string            `json:"tags"`  // [] when none
	Spans     []PublicSpanSummary `json:"spans"` // by start time, then span id; the latest version of each span
}

// PublicSpanSummary is a span in a PublicTrace, and the first fields of a
// PublicSpan.
type PublicSpanSummary struct {
	SpanID        string    `json:"span_id"`
	ParentSpanID  *string   `json:"parent_span_id"` // null for a root span
	SpanName      string    `json:"span_name"`
	SpanKind      string    `json:"span_kind"` // SPAN_KIND_INTERNAL, _SERVER, _CLIENT, _PRODUCER, _CONSUMER or _UNSPECIFIED
	StartTime     Timestamp `json:"start_time"`
	EndTime       Timestamp `json:"end_time"`    // null while the span has not ended
	Duration      int64     `json:"duration"`    // milliseconds; 0 while the span has not ended
	StatusCode    string    `json:"status_code"` // STATUS_CODE_UNSET, STATUS_CODE_OK or STATUS_CODE_ERROR
	StatusMessage string    `json:"status_message"`
}

// PublicSpan is the answer of GET /public/v1/spans/{id}.
type PublicSpan struct {
	TraceID string `json:"trace_id"`
	PublicSpanSummary
	ServiceName string `json:"service_name"` // the resource's service.name
	// Attributes are the span's attributes nested at their dots
	// ({"gen_ai": {"prompt": [{"role": ...}]}}), as AgentOps shows them;
	// SpanAttributes the same attributes flat, as sent.
	Attributes         any            `json:"attributes"`
	ResourceAttributes any            `json:"resource_attributes"` // nested likewise
	SpanAttributes     map[string]any `json:"span_attributes"`
}

// PublicTokens are the token counts of the metrics documents.
type PublicTokens struct {
	PromptTokens         int64 `json:"prompt_tokens"`     // includes cache reads and writes
	CompletionTokens     int64 `json:"completion_tokens"` // includes reasoning
	CacheReadInputTokens int64 `json:"cache_read_input_tokens"`
	ReasoningTokens      int64 `json:"reasoning_tokens"`
	TotalTokens          int64 `json:"total_tokens"`
}

// PublicTraceMetrics is the answer of GET /public/v1/traces/{id}/metrics.
// Counts are of spans by status (OK, ERROR, anything else); tokens and cost
// are the session's (LLM spans only, as in SessionStats). Costs are USD as
// strings with 7 decimals.
type PublicTraceMetrics struct {
	SpanCount          int64 `json:"span_count"`
	TraceCount         int64 `json:"trace_count"` // always 1
	SuccessCount       int64 `json:"success_count"`
	FailCount          int64 `json:"fail_count"`
	IndeterminateCount int64 `json:"indeterminate_count"`
	PublicTokens
	PromptCost          string `json:"prompt_cost"`
	CompletionCost      string `json:"completion_cost"`
	AverageCostPerTrace string `json:"average_cost_per_trace"` // = total_cost: one trace
	TotalCost           string `json:"total_cost"`
	// UnpricedCalls counts LLM calls whose model has no price (ours: the
	// costs are then a lower bound).
	UnpricedCalls int64 `json:"unpriced_calls"`
}

// PublicSpanMetrics is the answer of GET /public/v1/spans/{id}/metrics.
// The span's total_tokens are counted in success_tokens, fail_tokens or
// indeterminate_tokens by its status (OK, ERROR, anything else).
type PublicSpanMetrics struct {
	PublicTokens
	SuccessTokens       int64  `json:"success_tokens"`
	FailTokens          int64  `json:"fail_tokens"`
	IndeterminateTokens int64  `json:"indeterminate_tokens"`
	PromptCost          string `json:"prompt_cost"`
	CompletionCost      string `json:"completion_cost"`
	TotalCost           string `json:"total_cost"`
	CostSource          string `json:"cost_source"` // ours: none, span, table or unpriced (then the costs are 0)
}
