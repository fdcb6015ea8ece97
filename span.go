package agentops

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/semconv"
)

// Kind is the kind of a span (agentops.span.kind), as the AgentOps
// dashboard groups them.
type Kind string

// Span kinds.
const (
	KindSession   Kind = semconv.KindSession
	KindAgent     Kind = semconv.KindAgent
	KindWorkflow  Kind = semconv.KindWorkflow
	KindTask      Kind = semconv.KindTask
	KindOperation Kind = semconv.KindOperation
	KindTool      Kind = semconv.KindTool
	KindLLM       Kind = semconv.KindLLM
	KindGuardrail Kind = semconv.KindGuardrail
	KindAction    Kind = semconv.KindAction
	KindError     Kind = semconv.KindError
	KindHTTP      Kind = semconv.KindHTTP
)

// MaxEntityBytes caps the JSON of a span's recorded input and output; a
// longer value is cut (at a UTF-8 boundary) and the span gets
// agentops.entity.input.truncated (or output) = true.
const MaxEntityBytes = 64 << 10

// A SpanOption adds to a span made by Span, its kind-named variants or
// StartSpan.
type SpanOption func(*spanConfig)

type spanConfig struct {
	input    any
	hasInput bool
	attrs    []attribute.KeyValue
}

// WithInput records v, JSON-encoded (strings as they are), as the span's
// input (agentops.entity.input).
func WithInput(v any) SpanOption {
	return func(c *spanConfig) { c.input, c.hasInput = v, true }
}

// WithAttributes adds attributes to the span.
func WithAttributes(kv ...attribute.KeyValue) SpanOption {
	return func(c *spanConfig) { c.attrs = append(c.attrs, kv...) }
}

// Span runs fn in a span of kind named "<name>.<kind>" (the AgentOps
// convention; operation.name is name), a child of the span in ctx, in the
// trace ctx carries. It records fn's output (agentops.entity.output, JSON,
// capped at MaxEntityBytes), its error (status Error and an exception
// event) and its duration. A panic in fn is recorded and continues: it is
// never swallowed.
//
// Span is what Python does with decorators; Agent, Tool, Task, Operation,
// Workflow and Guardrail are Span with their kind.
func Span[T any](ctx context.Context, kind Kind, name string, fn func(context.Context) (T, error), opts ...SpanOption) (result T, err error) {
	ctx, h := startSpan(ctx, kind, name, opts)
	defer func() {
		if r := recover(); r != nil {
			h.endPanic(r)
			panic(r)
		}
	}()
	result, err = fn(ctx)
	if err == nil {
		h.setEntity(semconv.EntityOutput, result)
	}
	h.End(err)
	return result, err
}

// Agent runs fn in a span of kind agent (Python's @agent). See Span.
func Agent[T any](ctx context.Context, name string, fn func(context.Context) (T, error), opts ...SpanOption) (T, error) {
	return Span(ctx, KindAgent, name, fn, opts...)
}

// Tool runs fn in a span of kind tool (Python's @tool). See Span.
func Tool[T any](ctx context.Context, name string, fn func(context.Context) (T, error), opts ...SpanOption) (T, error) {
	return Span(ctx, KindTool, name, fn, opts...)
}

// Task runs fn in a span of kind task (Python's @task). See Span.
func Task[T any](ctx context.Context, name string, fn func(context.Context) (T, error), opts ...SpanOption) (T, error) {
	return Span(ctx, KindTask, name, fn, opts...)
}

// Operation runs fn in a span of kind operation (Python's @operation). See
// Span.
func Operation[T any](ctx context.Context, name string, fn func(context.Context) (T, error), opts ...SpanOption) (T, error) {
	return Span(ctx, KindOperation, name, fn, opts...)
}

// Workflow runs fn in a span of kind workflow (Python's @workflow). See
// Span.
func Workflow[T any](ctx context.Context, name string, fn func(context.Context) (T, error), opts ...SpanOption) (T, error) {
	return Span(ctx, KindWorkflow, name, fn, opts...)
}

// Guardrail runs fn in a span of kind guardrail (Python's @guardrail). See
// Span.
func Guardrail[T any](ctx context.Context, name string, fn func(context.Context) (T, error), opts ...SpanOption) (T, error) {
	return Span(ctx, KindGuardrail, name, fn, opts...)
}

// RunTrace runs fn in a trace of its own (Python's @trace): it starts a
// trace named name on the client of the session ctx carries (else the
// default client), and ends it Success when fn returns nil, Failure with
// the error as the reason otherwise, or Failure on a panic (which
// continues).
func RunTrace[T any](ctx context.Context, name string, fn func(context.Context) (T, error), opts ...Option) (result T, err error) {
	c := clientFor(ctx)
	t := c.StartTrace(ctx, name, opts...)
	defer func() {
		if r := recover(); r != nil {
			t.finish(Failure, fmt.Sprintf("panic: %v", r))
			panic(r)
		}
	}()
	result, err = fn(t.Context())
	if err != nil {
		t.finish(Failure, err.Error())
	} else {
		t.finish(Success, "")
	}
	return result, err
}

// StartSpan starts a span of kind named "<name>.<kind>" for manual
// control, as Span does; the returned context carries it. End the handle
// exactly once.
func StartSpan(ctx context.Context, kind Kind, name string, opts ...SpanOption) (context.Context, *SpanHandle) {
	ctx, h := startSpan(ctx, kind, name, opts)
	return ctx, &h
}

// A SpanHandle is a span started by StartSpan.
type SpanHandle struct {
	span trace.Span
	sess *Session // the session the span belongs to, for its tally; may be nil
	kind Kind
}

// clientFor returns the client of the session ctx carries, else the
// default client.
func clientFor(ctx context.Context) *Client {
	if s := sessionFrom(ctx); s != nil {
		return s.c
	}
	return Default()
}

func startSpan(ctx context.Context, kind Kind, name string, opts []SpanOption) (context.Context, SpanHandle) {
	if ctx == nil {
		ctx = context.Background()
	}
	sess := sessionFrom(ctx)
	var c *Client
	if sess != nil {
		c = sess.c
	} else {
		c = Default()
	}
	meta := spanMetaFor(kind, name)
	attrs := meta.attrs
	if len(opts) > 0 {
		cfg := new(spanConfig)
		for _, o := range opts {
			if o != nil {
				o(cfg)
			}
		}
		if len(cfg.attrs) > 0 || cfg.hasInput {
			attrs = make([]attribute.KeyValue, 0, len(meta.attrs)+len(cfg.attrs)+2)
			attrs = append(append(attrs, meta.attrs...), cfg.attrs...)
			if cfg.hasInput {
				attrs = appendEntity(attrs, semconv.EntityInput, cfg.input)
			}
		}
	}
	ctx, span := c.tracer.Start(ctx, meta.name, trace.WithAttributes(attrs...))
	return ctx, SpanHandle{span: span, sess: sess, kind: kind}
}

// Span returns the OpenTelemetry span, for what the handle does not offer.
func (h *SpanHandle) Span() trace.Span { return h.span }

// SetAttributes sets attributes on the span.
func (h *SpanHandle) SetAttributes(kv ...attribute.KeyValue) { h.span.SetAttributes(kv...) }

// SetInput records v as the span's input (see WithInput).
func (h *SpanHandle) SetInput(v any) { h.setEntity(semconv.EntityInput, v) }

// SetOutput records v as the span's output (agentops.entity.output).
func (h *SpanHandle) SetOutput(v any) { h.setEntity(semconv.EntityOutput, v) }

// End ends the span; a non-nil err sets status Error and records it.
func (h *SpanHandle) End(err error) {
	if err != nil {
		h.span.RecordError(err)
		h.span.SetStatus(codes.Error, err.Error())
	}
	h.span.End()
	if h.sess != nil {
		h.sess.count(string(h.kind), err != nil)
	}
}

func (h *SpanHandle) endPanic(r any) {
	_ = safely(func() {
		msg := fmt.Sprint(r)
		h.span.AddEvent(semconv.ExceptionEvent, trace.WithAttributes(
			attribute.String(semconv.ExceptionType, fmt.Sprintf("panic(%T)", r)),
			attribute.String(semconv.ExceptionMessage, msg)))
		h.span.SetStatus(codes.Error, "panic: "+msg)
		h.span.End()
		if h.sess != nil {
			h.sess.count(string(h.kind), true)
		}
	})
}

func (h *SpanHandle) setEntity(key string, v any) {
	if !h.span.IsRecording() {
		return
	}
	var buf [2]attribute.KeyValue
	if kv := appendEntity(buf[:0], key, v); len(kv) > 0 {
		h.span.SetAttributes(kv...)
	}
}

// appendEntity appends v as the JSON attribute key (strings as they are),
// capped at MaxEntityBytes. nil appends nothing.
func appendEntity(attrs []attribute.KeyValue, key string, v any) []attribute.KeyValue {
	var s string
	switch x := v.(type) {
	case nil:
		return attrs
	case string:
		s = x
	case []byte:
		s = string(x)
	case fmt.Stringer:
		s = x.String()
	case error:
		s = x.Error()
	case int:
		s = strconv.Itoa(x)
	case int64:
		s = strconv.FormatInt(x, 10)
	case float64:
		s = strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default:
		b, err := json.Marshal(v)
		if err != nil {
			s = fmt.Sprintf("%+v", v)
		} else {
			s = string(b)
		}
		if s == "null" {
			return attrs
		}
	}
	if len(s) > MaxEntityBytes {
		cut := MaxEntityBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return append(attrs, attribute.String(key, s[:cut]), attribute.Bool(key+".truncated", true))
	}
	return append(attrs, attribute.String(key, s))
}

// spanMeta is what every span of one (kind, name) shares: its name and its
// identifying attributes, made once.
type spanMeta struct {
	name  string
	attrs []attribute.KeyValue // read-only: OpenTelemetry copies them
}

type metaKey struct {
	kind Kind
	name string
}

// spanMetas caches spanMeta by kind and name; it stops growing at
// maxSpanMetas entries (names made from data then cost a little more, and
// never unbounded memory).
var (
	spanMetasMu sync.RWMutex
	spanMetas   = map[metaKey]*spanMeta{}
)

const maxSpanMetas = 4096

func spanMetaFor(kind Kind, name string) *spanMeta {
	k := metaKey{kind, name}
	spanMetasMu.RLock()
	m := spanMetas[k]
	spanMetasMu.RUnlock()
	if m != nil {
		return m
	}
	m = &spanMeta{name: string(kind), attrs: []attribute.KeyValue{
		attribute.String(semconv.SpanKind, string(kind)),
		attribute.String(semconv.OperationName, name),
	}}
	if name != "" {
		m.name = name + "." + string(kind)
	}
	spanMetasMu.Lock()
	if len(spanMetas) < maxSpanMetas {
		spanMetas[k] = m
	}
	spanMetasMu.Unlock()
	return m
}
