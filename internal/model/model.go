// Package model holds the server's typed records: a normalized span, a
// session (the aggregate of one trace), and the small value types they share.
// Every ingest dialect is normalized into Span by internal/otlp; every store
// backend persists and returns these records; the API renders them.
//
// JSON tags serve debugging and tests; the REST API renders its own shape
// (internal/api, docs/API.md).
package model

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
)

// TraceID is an OTLP trace id, which is also the session id.
type TraceID [16]byte

// SpanID is an OTLP span id.
type SpanID [8]byte

// ErrBadID is returned when a hex id has the wrong length or characters.
var ErrBadID = errors.New("invalid id")

func (t TraceID) String() string { return hex.EncodeToString(t[:]) }
func (t TraceID) IsZero() bool   { return t == TraceID{} }
func (s SpanID) String() string  { return hex.EncodeToString(s[:]) }
func (s SpanID) IsZero() bool    { return s == SpanID{} }

// ParseTraceID parses 32 hex digits (either case). A UUID with dashes, as
// older AgentOps SDKs use for session ids, is accepted too.
func ParseTraceID(s string) (TraceID, error) {
	var t TraceID
	if len(s) == 36 && s[8] == '-' && s[13] == '-' && s[18] == '-' && s[23] == '-' {
		s = s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:]
	}
	if len(s) != 32 {
		return t, fmt.Errorf("%w: trace id %q must be 32 hex digits", ErrBadID, s)
	}
	if _, err := hex.Decode(t[:], []byte(s)); err != nil {
		return t, fmt.Errorf("%w: trace id %q is not hex", ErrBadID, s)
	}
	return t, nil
}

// ParseSpanID parses 16 hex digits.
func ParseSpanID(s string) (SpanID, error) {
	var id SpanID
	if len(s) != 16 {
		return id, fmt.Errorf("%w: span id %q must be 16 hex digits", ErrBadID, s)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("%w: span id %q is not hex", ErrBadID, s)
	}
	return id, nil
}

func (t TraceID) MarshalText() ([]byte, error) { return []byte(t.String()), nil }
func (s SpanID) MarshalText() ([]byte, error)  { return []byte(s.String()), nil }
func (t *TraceID) UnmarshalText(b []byte) (err error) {
	*t, err = ParseTraceID(string(b))
	return err
}
func (s *SpanID) UnmarshalText(b []byte) (err error) {
	*s, err = ParseSpanID(string(b))
	return err
}

// Kind is a span's AgentOps kind (semconv.Kind*).
type Kind string

// StatusCode is the OTLP span status code.
type StatusCode uint8

const (
	StatusUnset StatusCode = 0
	StatusOK    StatusCode = 1
	StatusError StatusCode = 2
)

func (c StatusCode) String() string {
	switch c {
	case StatusOK:
		return "OK"
	case StatusError:
		return "ERROR"
	}
	return "UNSET"
}

func (c StatusCode) MarshalText() ([]byte, error) { return []byte(c.String()), nil }
func (c *StatusCode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "OK":
		*c = StatusOK
	case "ERROR":
		*c = StatusError
	case "UNSET", "":
		*c = StatusUnset
	default:
		return fmt.Errorf("unknown status code %q", b)
	}
	return nil
}

// Usage counts an LLM call's tokens. Input includes CacheRead and CacheWrite
// (they are the cached and cache-creating shares of the input, as OpenAI
// reports them; normalization converts Anthropic's separate counts into this
// form), and Output includes Reasoning. Total is Input+Output unless the span
// reported its own total.
type Usage struct {
	Input      int64 `json:"input_tokens"`
	Output     int64 `json:"output_tokens"`
	CacheRead  int64 `json:"cache_read_tokens"`
	CacheWrite int64 `json:"cache_creation_tokens"`
	Reasoning  int64 `json:"reasoning_tokens"`
	Total      int64 `json:"total_tokens"`
}

// Add adds o to u.
func (u *Usage) Add(o Usage) {
	u.Input += o.Input
	u.Output += o.Output
	u.CacheRead += o.CacheRead
	u.CacheWrite += o.CacheWrite
	u.Reasoning += o.Reasoning
	u.Total += o.Total
}

// IsZero reports whether no token was counted.
func (u Usage) IsZero() bool { return u == Usage{} }

// CostSource says where a span's cost came from.
type CostSource uint8

const (
	CostNone     CostSource = iota // not an LLM call, or an LLM call with no model and no usage: no cost applies
	CostSpan                       // the span carried its own cost (gen_ai.usage.total_cost / cost)
	CostTable                      // priced at ingest from the price table (or a project override)
	CostUnpriced                   // an LLM call whose model has no price: cost is unknown, not zero
)

var costSourceNames = [...]string{"none", "span", "table", "unpriced"}

func (c CostSource) String() string {
	if int(c) < len(costSourceNames) {
		return costSourceNames[c]
	}
	return "none"
}
func (c CostSource) MarshalText() ([]byte, error) { return []byte(c.String()), nil }
func (c *CostSource) UnmarshalText(b []byte) error {
	for i, n := range costSourceNames {
		if n == string(b) {
			*c = CostSource(i)
			return nil
		}
	}
	return fmt.Errorf("unknown cost source %q", b)
}

// Span is one normalized span. Times are Unix nanoseconds; End is 0 while the
// span has not ended (clients that export spans in flight).
type Span struct {
	ProjectID string  `json:"-"`
	TraceID   TraceID `json:"trace_id"`
	SpanID    SpanID  `json:"span_id"`
	ParentID  SpanID  `json:"parent_span_id"` // zero for a root span
	Name      string  `json:"name"`
	Kind      Kind    `json:"kind"`
	SpanKind  int32   `json:"otel_span_kind"` // OTLP SpanKind number (1 internal, 2 server, 3 client, ...)
	Start     int64   `json:"start_time_unix_nano"`
	End       int64   `json:"end_time_unix_nano"`

	Status        StatusCode `json:"status_code"`
	StatusMessage string     `json:"status_message,omitempty"`
	ErrorType     string     `json:"error_type,omitempty"`
	ErrorMessage  string     `json:"error_message,omitempty"`
	ErrorStack    string     `json:"error_stacktrace,omitempty"`

	// LLM fields, set when the span describes a model call.
	Provider      string     `json:"provider,omitempty"`
	Operation     string     `json:"operation,omitempty"` // gen_ai.operation.name
	RequestModel  string     `json:"request_model,omitempty"`
	ResponseModel string     `json:"response_model,omitempty"`
	Usage         Usage      `json:"usage"`
	Cost          float64    `json:"cost_usd"` // meaningful only when CostSource is CostSpan or CostTable
	CostSource    CostSource `json:"cost_source"`

	// Session fields, read from the root span.
	EndState       string   `json:"end_state,omitempty"` // Success, Failure, Indeterminate
	EndStateReason string   `json:"end_state_reason,omitempty"`
	Tags           []string `json:"tags,omitempty"`

	// Lossless raw data, each a JSON document (nil when empty):
	// Attributes and Resource are objects of key → value (OTLP AnyValue as
	// plain JSON: string, number, bool, array, object; bytes as base64);
	// Scope is {"name","version","attributes"}; Events is a list of
	// {"time_unix_nano","name","attributes"}; Links a list of
	// {"trace_id","span_id","trace_state","attributes"}.
	Attributes json.RawMessage `json:"attributes,omitempty"`
	Resource   json.RawMessage `json:"resource,omitempty"`
	Scope      json.RawMessage `json:"scope,omitempty"`
	Events     json.RawMessage `json:"events,omitempty"`
	Links      json.RawMessage `json:"links,omitempty"`

	// Truncated is set when the server cut one or more attribute values to
	// the configured limit (the affected keys get a semconv.TruncatedSuffix twin).
	Truncated bool `json:"truncated,omitempty"`
}

// Model is the model an LLM span names: the response model, else the
// request model.
func (s *Span) Model() string {
	if s.ResponseModel != "" {
		return s.ResponseModel
	}
	return s.RequestModel
}

// IsRoot reports whether the span has no parent.
func (s *Span) IsRoot() bool { return s.ParentID.IsZero() }

// IsError reports whether the span counts as an error in session statistics:
// a span of kind error, or one with an error status — except a session's
// root, whose error status is how its Failure end state reads in OTel; it
// counts only when an exception was recorded on it.
func (s *Span) IsError() bool {
	switch {
	case s.Kind == "error":
		return true
	case s.Status != StatusError:
		return false
	}
	return s.Kind != "session" || s.ErrorType != ""
}
