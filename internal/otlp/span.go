package otlp

import (
	"encoding/json"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/semconv"
)

// normalizer converts the spans of one request, reusing its encoder buffer
// and attribute table from span to span.
type normalizer struct {
	projectID string
	enc       encoder
	attrs     known
}

// reset readies the encoder for a new document.
func (e *encoder) reset() {
	e.buf, e.truncated, e.depth, e.attrs = e.buf[:0], false, 0, nil
}

// take returns a copy of the encoded bytes (nil when none).
func (e *encoder) take() json.RawMessage {
	if len(e.buf) == 0 {
		return nil
	}
	return json.RawMessage(append([]byte(nil), e.buf...))
}

// resource encodes the attributes of rs's resource, shared by its spans.
func (n *normalizer) resource(rs ptrace.ResourceSpans) (json.RawMessage, bool) {
	m := rs.Resource().Attributes()
	if m.Len() == 0 {
		return nil, false
	}
	n.enc.reset()
	n.enc.appendMap(m)
	return n.enc.take(), n.enc.truncated
}

// scope encodes ss's instrumentation scope as {"name","version","attributes"},
// shared by its spans; nil when the scope is entirely empty.
func (n *normalizer) scope(ss ptrace.ScopeSpans) (json.RawMessage, bool) {
	sc := ss.Scope()
	if sc.Name() == "" && sc.Version() == "" && sc.Attributes().Len() == 0 {
		return nil, false
	}
	e := &n.enc
	e.reset()
	e.buf = append(e.buf, `{"name":`...)
	e.buf = appendString(e.buf, sc.Name())
	e.buf = append(e.buf, `,"version":`...)
	e.buf = appendString(e.buf, sc.Version())
	e.buf = append(e.buf, `,"attributes":`...)
	e.appendMap(sc.Attributes())
	e.buf = append(e.buf, '}')
	return e.take(), e.truncated
}

// exception is what the span's exception event says.
type exception struct {
	typ, msg, stack string
}

// span fills s from sp.
func (n *normalizer) span(s *model.Span, sp ptrace.Span) {
	s.ProjectID = n.projectID
	s.TraceID = model.TraceID(sp.TraceID())
	s.SpanID = model.SpanID(sp.SpanID())
	s.ParentID = model.SpanID(sp.ParentSpanID())
	s.Name = sp.Name()
	s.SpanKind = int32(sp.Kind())
	s.Start = unixNano(sp.StartTimestamp())
	s.End = unixNano(sp.EndTimestamp())
	if s.End != 0 && s.End < s.Start {
		s.End = s.Start
	}

	// One pass over the attributes writes their JSON and collects the ones
	// normalization reads; events and links follow in the same buffer, and
	// one allocation copies all three out.
	e := &n.enc
	e.reset()
	k := &n.attrs
	k.has = 0
	if attrs := sp.Attributes(); attrs.Len() > 0 {
		e.attrs = k
		e.appendMap(attrs)
	}
	attrsEnd := len(e.buf)
	exc := n.events(sp.Events())
	eventsEnd := len(e.buf)
	n.links(sp.Links())
	if len(e.buf) > 0 {
		blob := make([]byte, len(e.buf))
		copy(blob, e.buf)
		s.Attributes = sub(blob, 0, attrsEnd)
		s.Events = sub(blob, attrsEnd, eventsEnd)
		s.Links = sub(blob, eventsEnd, len(blob))
	}
	s.Truncated = e.truncated

	s.Kind = k.kind()
	s.Operation = k.operation()
	if s.Kind == semconv.KindSession && s.ParentID.IsZero() {
		s.Name = k.sessionName(s.Name)
	}
	s.Provider = k.str(kProviderName, kSystem, kLLMProvider, kLLMSystem)
	s.RequestModel = k.str(kRequestModel, kLLMModelName)
	if s.RequestModel == "" {
		s.RequestModel = k.invocationModel()
	}
	s.ResponseModel = k.str(kResponseModel)
	s.Usage = k.usage()
	if c, ok := k.cost(); ok {
		s.Cost, s.CostSource = c, model.CostSpan
	}
	// A span no dialect names that reports a model and tokens is a model
	// call all the same; as llm it gets priced and counted.
	if s.Kind == semconv.KindUnknown && (s.RequestModel != "" || s.ResponseModel != "") && !s.Usage.IsZero() {
		s.Kind = semconv.KindLLM
	}

	switch c := sp.Status().Code(); c {
	case ptrace.StatusCodeOk, ptrace.StatusCodeError:
		s.Status = model.StatusCode(c)
	}
	s.StatusMessage = sp.Status().Message()
	// The error: an exception event says most, exception.* span attributes
	// (some SDKs flatten the event) come next; error.type wins for the type
	// as the current conventions' field for it. The status message stands in
	// for a missing exception message only on an error span.
	s.ErrorType = firstNonEmpty(k.str(kErrorType), exc.typ, k.str(kExceptionType))
	s.ErrorMessage = firstNonEmpty(exc.msg, k.str(kExceptionMessage))
	if s.ErrorMessage == "" && s.Status == model.StatusError {
		s.ErrorMessage = s.StatusMessage
	}
	s.ErrorStack = firstNonEmpty(exc.stack, k.str(kExceptionStack))

	s.EndState = endState(k.str(kEndState))
	s.EndStateReason = k.str(kEndStateReason, kLegacyEndStateReason)
	s.Tags = k.tags()
	n.clipTyped(s)
}

// clipTyped cuts the span's typed strings to the value limit, as the raw
// attributes they come from were cut: the limit bounds what is stored, and
// a free-text field (a stack trace, a message) is where a huge value lands.
func (n *normalizer) clipTyped(s *model.Span) {
	max := n.enc.max
	if max <= 0 {
		return
	}
	for _, f := range [...]*string{&s.Name, &s.StatusMessage, &s.ErrorType, &s.ErrorMessage, &s.ErrorStack,
		&s.Provider, &s.Operation, &s.RequestModel, &s.ResponseModel, &s.EndStateReason} {
		if len(*f) > max {
			*f = (*f)[:utf8Cut(*f, max)]
			s.Truncated = true
		}
	}
	for i, t := range s.Tags {
		if len(t) > max {
			s.Tags[i] = t[:utf8Cut(t, max)]
			s.Truncated = true
		}
	}
}

// events appends evs as a JSON list of {"time_unix_nano","name","attributes"}
// and returns the last exception event's details (the one that ended the
// span, when several were recorded).
func (n *normalizer) events(evs ptrace.SpanEventSlice) exception {
	var exc exception
	if evs.Len() == 0 {
		return exc
	}
	e := &n.enc
	e.buf = append(e.buf, '[')
	for i := range evs.Len() {
		ev := evs.At(i)
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(e.buf, `{"time_unix_nano":`...)
		e.buf = strconv.AppendUint(e.buf, uint64(ev.Timestamp()), 10)
		e.buf = append(e.buf, `,"name":`...)
		e.buf = appendString(e.buf, ev.Name())
		e.buf = append(e.buf, `,"attributes":`...)
		e.appendMap(ev.Attributes())
		e.buf = append(e.buf, '}')
		if ev.Name() == semconv.ExceptionEvent {
			a := ev.Attributes()
			exc = exception{typ: strAttr(a, semconv.ExceptionType), msg: strAttr(a, semconv.ExceptionMessage), stack: strAttr(a, semconv.ExceptionStacktrace)}
		}
	}
	e.buf = append(e.buf, ']')
	return exc
}

// links appends ls as a JSON list of
// {"trace_id","span_id","trace_state","attributes"}, ids in hex.
func (n *normalizer) links(ls ptrace.SpanLinkSlice) {
	if ls.Len() == 0 {
		return
	}
	e := &n.enc
	e.buf = append(e.buf, '[')
	for i := range ls.Len() {
		l := ls.At(i)
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		tid, sid := l.TraceID(), l.SpanID()
		e.buf = append(e.buf, `{"trace_id":`...)
		e.buf = appendHexID(e.buf, tid[:])
		e.buf = append(e.buf, `,"span_id":`...)
		e.buf = appendHexID(e.buf, sid[:])
		e.buf = append(e.buf, `,"trace_state":`...)
		e.buf = appendString(e.buf, l.TraceState().AsRaw())
		e.buf = append(e.buf, `,"attributes":`...)
		e.appendMap(l.Attributes())
		e.buf = append(e.buf, '}')
	}
	e.buf = append(e.buf, ']')
}

// sub returns b[i:j] with its capacity capped, so that appending to one
// field cannot overwrite the next; nil when empty.
func sub(b []byte, i, j int) json.RawMessage {
	if i == j {
		return nil
	}
	return json.RawMessage(b[i:j:j])
}

// unixNano converts an OTLP timestamp; values past the int64 range (year
// 2262) are clamped rather than wrapped negative.
func unixNano(t pcommon.Timestamp) int64 {
	if uint64(t) > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(t)
}

func strAttr(m pcommon.Map, k string) string {
	if v, ok := m.Get(k); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
