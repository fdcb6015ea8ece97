// Package otlp decodes OTLP trace requests (protobuf and OTLP/JSON) and
// normalizes every span into a model.Span.
package otlp

import (
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/model"
)

// Limits bound what one request may carry.
type Limits struct {
	MaxAttrValueBytes int // a longer string/bytes value is cut to this many bytes and marked
}

// DecodeProto decodes an OTLP ExportTraceServiceRequest in protobuf.
func DecodeProto(b []byte) (ptrace.Traces, error) { panic("TODO") }

// DecodeJSON decodes an OTLP/JSON ExportTraceServiceRequest (ids in hex).
func DecodeJSON(b []byte) (ptrace.Traces, error) { panic("TODO") }

// Rejection counts spans refused by Normalize and says why.
type Rejection struct {
	Count   int
	Message string // human-readable, for partial_success.error_message
}

// Normalize converts every span of td into a model.Span of projectID. Spans
// with a zero or malformed trace or span id are rejected (not returned) and
// counted in the Rejection. Cost is set only when the span carries one
// (CostSpan); pricing from the table is the caller's job.
func Normalize(td ptrace.Traces, projectID string, lim Limits) ([]model.Span, Rejection) {
	panic("TODO")
}
