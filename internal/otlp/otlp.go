// Package otlp decodes OTLP trace requests (protobuf and OTLP/JSON) and
// normalizes every span into a model.Span.
//
// Normalization reads every attribute dialect the server accepts (AgentOps',
// the OTel GenAI conventions old and new, OpenLLMetry's and OpenInference's)
// into the span's typed fields, and keeps all raw attributes, resource,
// scope, events and links losslessly as JSON (up to Limits).
package otlp

import (
	"errors"
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/model"
)

// ErrMalformed wraps every decoding error: the request body is not a valid
// OTLP trace request, and the client should get a 400.
var ErrMalformed = errors.New("malformed OTLP trace request")

// Limits bound what one request may carry.
type Limits struct {
	// MaxAttrValueBytes: a longer string/bytes attribute value is cut to this
	// many bytes and marked (see Normalize). Zero or negative: no limit.
	MaxAttrValueBytes int
}

// DecodeProto decodes an OTLP ExportTraceServiceRequest in protobuf.
func DecodeProto(b []byte) (ptrace.Traces, error) {
	var u ptrace.ProtoUnmarshaler
	td, err := u.UnmarshalTraces(b)
	if err != nil {
		return ptrace.Traces{}, fmt.Errorf("%w: protobuf: %w", ErrMalformed, err)
	}
	return td, nil
}

// DecodeJSON decodes an OTLP/JSON ExportTraceServiceRequest. Trace and span
// ids must be hex, as the OTLP specification requires; base64 ids (the
// generic protobuf JSON mapping) are an error. Unknown fields are ignored.
func DecodeJSON(b []byte) (ptrace.Traces, error) {
	if jsonTooDeep(b, maxJSONDepth) {
		return ptrace.Traces{}, fmt.Errorf("%w: JSON nested deeper than %d levels", ErrMalformed, maxJSONDepth)
	}
	var u ptrace.JSONUnmarshaler
	td, err := u.UnmarshalTraces(b)
	if err != nil {
		return ptrace.Traces{}, fmt.Errorf("%w: JSON: %w", ErrMalformed, err)
	}
	return td, nil
}

// Rejection counts spans refused by Normalize and says why.
type Rejection struct {
	Count   int
	Message string // human-readable, for partial_success.error_message; "" when Count is 0
}

// rejections tallies rejected spans by reason.
type rejections struct {
	emptyTrace, emptySpan int
}

func (r rejections) rejection() Rejection {
	n := r.emptyTrace + r.emptySpan
	if n == 0 {
		return Rejection{}
	}
	var reasons []string
	if r.emptyTrace > 0 {
		reasons = append(reasons, fmt.Sprintf("%d with an empty trace id", r.emptyTrace))
	}
	if r.emptySpan > 0 {
		reasons = append(reasons, fmt.Sprintf("%d with an empty span id", r.emptySpan))
	}
	noun := "spans"
	if n == 1 {
		noun = "span"
	}
	return Rejection{Count: n, Message: fmt.Sprintf("%d %s rejected: %s", n, noun, strings.Join(reasons, ", "))}
}

// Normalize converts every span of td into a model.Span of projectID, in
// request order. The project always comes from the argument (the
// credential); an agentops.project.id attribute is kept in the raw
// attributes and otherwise ignored.
//
// Spans with an all-zero (empty) trace or span id are rejected (not
// returned) and counted in the Rejection; malformed ids never get here, as
// decoding fails on them. Cost is set only when the span carries one
// (CostSpan); pricing from the table is the caller's job.
//
// Times: End stays 0 for a span still in flight; an End before Start is
// raised to Start, so durations are never negative. The OTLP span kind
// number is kept as sent, known or not; a status code other than the three
// OTLP defines reads as unset.
//
// Raw data: a string or bytes value longer than lim.MaxAttrValueBytes, in
// any attribute map (span, resource, scope, events, links), is cut at a
// UTF-8 boundary and marked by a twin key `<key>.truncated` holding its
// original length in bytes; Span.Truncated is then set. Such a span is never
// rejected. Spans of one resource (or scope) share its JSON document: treat
// the RawMessage fields as read-only.
func Normalize(td ptrace.Traces, projectID string, lim Limits) ([]model.Span, Rejection) {
	out := make([]model.Span, 0, td.SpanCount())
	n := normalizer{projectID: projectID, enc: encoder{max: lim.MaxAttrValueBytes}}
	var rej rejections
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		rs := rss.At(i)
		resource, resTrunc := n.resource(rs)
		sss := rs.ScopeSpans()
		for j := range sss.Len() {
			ss := sss.At(j)
			scope, scopeTrunc := n.scope(ss)
			spans := ss.Spans()
			for k := range spans.Len() {
				sp := spans.At(k)
				switch {
				case sp.TraceID().IsEmpty():
					rej.emptyTrace++
					continue
				case sp.SpanID().IsEmpty():
					rej.emptySpan++
					continue
				}
				out = append(out, model.Span{})
				s := &out[len(out)-1]
				n.span(s, sp)
				s.Resource, s.Scope = resource, scope
				s.Truncated = s.Truncated || resTrunc || scopeTrunc
			}
		}
	}
	return out, rej.rejection()
}

// maxJSONDepth bounds the nesting of an OTLP/JSON body. The JSON decoder
// recurses once per level without a limit of its own: a body of 64 MiB of
// nested arrays (the default decompressed limit, well under 100 KB gzipped)
// takes most of a gigabyte of stack per request, and 80 MiB overflows Go's
// 1 GB stack limit, which kills the process. The protobuf decoder stops at
// 100 nested messages, which is at most about 200 JSON levels; this bound
// keeps JSON at least as permissive.
const maxJSONDepth = 256

// jsonTooDeep reports whether the JSON text b nests objects and arrays more
// than limit levels deep. b need not be valid: the decoder judges that.
func jsonTooDeep(b []byte, limit int) bool {
	depth, inString := 0, false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			if c == '\\' {
				i++ // skip the escaped byte, which may be a quote
			} else if c == '"' {
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > limit {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}
