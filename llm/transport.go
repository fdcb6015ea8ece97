package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

const tracerName = "github.com/agentops-go/agentops/llm"

// Transport returns a RoundTripper that records recognised LLM calls made
// through base (http.DefaultTransport when nil) as spans; see the package
// documentation for what is recognised and recorded.
func Transport(base http.RoundTripper, opts ...Option) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	cfg := newConfig(opts)
	return &transport{
		base:   base,
		cfg:    cfg,
		tracer: cfg.tracerProvider.Tracer(tracerName),
	}
}

type transport struct {
	base   http.RoundTripper
	cfg    config
	tracer trace.Tracer
}

// RoundTrip records the call when recognise and the api's parseRequest
// accept it, and passes everything else through untouched. A non-streamed
// response is read to its end before RoundTrip returns and handed back as a
// reader of the same bytes; a streamed one is wrapped (streamBody) and its
// span ends when the caller reads it to its end, gets a read error or closes
// it.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	a := t.recognise(req)
	if a == nil || req.Body == nil || req.Body == http.NoBody {
		return t.base.RoundTrip(req)
	}
	rb := readRequestBody(req, t.cfg.maxRequestBytes)
	var c call
	if rb.parse != nil {
		var ok bool
		c, ok = a.parseRequest(rb.parse)
		rb.release()
		if !ok || (c.stream && a.newStream == nil) { // not JSON, or a stream this api cannot follow
			return t.base.RoundTrip(rb.request(req, req.Context()))
		}
	} else if !rb.tooLarge { // unreadable: the base transport meets the same read error
		return t.base.RoundTrip(rb.request(req, req.Context()))
	} else {
		c = a.pathCall() // too large to read: what the URL tells
	}

	start := time.Now()
	ctx, span := t.tracer.Start(req.Context(), spanName(c),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(start))
	t.recordRequest(span, a.name, c)
	if rb.tooLarge {
		span.SetAttributes(attribute.String(semconv.LLMRequestUnrecorded,
			fmt.Sprintf("request body over %d bytes", t.cfg.maxRequestBytes)))
	}

	resp, err := t.base.RoundTrip(rb.request(req, ctx))
	if err != nil {
		span.RecordError(err)
		span.SetAttributes(attribute.String(semconv.ErrorType, errorType(err)))
		span.SetStatus(codes.Error, err.Error())
		span.End()
		return resp, err
	}
	span.SetAttributes(attribute.Int(semconv.HTTPResponseStatusCode, resp.StatusCode))
	if resp.StatusCode < 400 && a.newStream != nil && resp.Body != nil {
		s := &streamBody{rc: resp.Body, t: t, span: span, api: a, call: c, start: start}
		if s.fr = newFramer(resp.Header.Get("Content-Type"), c.stream, s, t.cfg.maxEventBytes); s.fr != nil {
			s.parser = a.newStream(c)
			resp.Body = s
			return resp, nil // the span ends with the stream
		}
	}
	defer span.End()
	if !isJSON(resp.Header.Get("Content-Type")) || resp.Body == nil {
		if resp.StatusCode >= 400 {
			span.SetAttributes(attribute.String(semconv.ErrorType, strconv.Itoa(resp.StatusCode)))
			span.SetStatus(codes.Error, resp.Status)
		}
		return resp, nil
	}
	respBody, readErr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = replay(respBody, readErr)

	if resp.StatusCode >= 400 {
		typ, msg := parseError(respBody)
		if typ == "" {
			typ = strconv.Itoa(resp.StatusCode)
		}
		if msg == "" {
			msg = resp.Status
		}
		span.SetAttributes(
			attribute.String(semconv.ErrorType, typ),
			attribute.String(semconv.ErrorMessage, msg),
		)
		span.SetStatus(codes.Error, msg)
		return resp, nil
	}
	if readErr != nil {
		span.RecordError(readErr)
		span.SetAttributes(attribute.String(semconv.ErrorType, errorType(readErr)))
		span.SetStatus(codes.Error, readErr.Error())
		return resp, nil
	}
	r, err := a.parseResponse(respBody)
	if err != nil {
		span.SetAttributes(attribute.String(semconv.ErrorType, "malformed_response"))
		span.SetStatus(codes.Error, fmt.Sprintf("parse %s response: %v", a.name, err))
		return resp, nil
	}
	t.recordResponse(span, a.name, c, r)
	return resp, nil
}

// replay returns a body yielding b and then err (io.EOF when nil), as the
// original body did.
func replay(b []byte, err error) io.ReadCloser {
	if err == nil {
		return io.NopCloser(bytes.NewReader(b))
	}
	return io.NopCloser(io.MultiReader(bytes.NewReader(b), errReader{err}))
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// spanName is "{operation} {model}", as the GenAI conventions name spans.
func spanName(c call) string {
	if c.model == "" {
		return c.operation
	}
	return c.operation + " " + c.model
}

func errorType(err error) string {
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "unexpected_eof" // the connection closed mid-response
	}
	return fmt.Sprintf("%T", err)
}

// parseError reads the error body of a response with an error status (see
// apiError for the shapes read); "" for a body that is none of them.
func parseError(b []byte) (typ, msg string) {
	f, _ := apiError(b)
	return f.typ, f.message
}

func (t *transport) recordRequest(span trace.Span, provider string, c call) {
	attrs := []attribute.KeyValue{
		attribute.String(semconv.SpanKind, semconv.KindLLM),
		attribute.String(semconv.GenAIOperationName, c.operation),
		attribute.String(semconv.GenAIProviderName, provider),
		attribute.String(semconv.GenAISystem, provider),
		attribute.String(semconv.GenAIRequestModel, c.model),
	}
	if c.temperature != nil {
		attrs = append(attrs, attribute.Float64(semconv.GenAIRequestTemperature, *c.temperature))
	}
	if c.maxTokens != nil {
		attrs = append(attrs, attribute.Int64(semconv.GenAIRequestMaxTokens, *c.maxTokens))
	}
	if c.topP != nil {
		attrs = append(attrs, attribute.Float64(semconv.GenAIRequestTopP, *c.topP))
	}
	attrs = t.appendParams(attrs, c)
	if c.stream {
		attrs = append(attrs, attribute.Bool(semconv.GenAIRequestStream, true))
		if c.streamUsage != nil {
			attrs = append(attrs, attribute.Bool(semconv.LLMStreamIncludeUsage, *c.streamUsage))
		}
	}
	if t.cfg.captureContent {
		attrs = t.appendMessages(attrs, semconv.GenAIPromptPrefix, c.messages)
	}
	span.SetAttributes(attrs...)
}

func (t *transport) recordResponse(span trace.Span, provider string, c call, r result) {
	var attrs []attribute.KeyValue
	if r.id != "" {
		attrs = append(attrs, attribute.String(semconv.GenAIResponseID, r.id))
	}
	model := c.model
	if r.model != "" {
		model = r.model
		attrs = append(attrs, attribute.String(semconv.GenAIResponseModel, r.model))
	}
	var finish []string
	for _, m := range r.completions {
		if m.finishReason != "" {
			finish = append(finish, m.finishReason)
		}
	}
	if len(finish) > 0 {
		attrs = append(attrs, attribute.StringSlice(semconv.GenAIResponseFinish, finish))
	}
	if u := r.usage; u != nil {
		attrs = append(attrs,
			attribute.Int64(semconv.GenAIInputTokens, u.Input),
			attribute.Int64(semconv.GenAIPromptTokens, u.Input),
			attribute.Int64(semconv.GenAIOutputTokens, u.Output),
			attribute.Int64(semconv.GenAICompletionTokens, u.Output),
			attribute.Int64(semconv.GenAITotalTokens, r.total),
			attribute.Int64(semconv.GenAICacheReadTokens, u.CacheRead),
			attribute.Int64(semconv.GenAICacheReadLegacy, u.CacheRead),
			attribute.Int64(semconv.GenAICacheCreationTokens, u.CacheWrite),
			attribute.Int64(semconv.GenAICacheWriteLegacy, u.CacheWrite),
			attribute.Int64(semconv.GenAIReasoningTokens, u.Reasoning),
		)
		if m, ok := t.cfg.prices.Find(provider, model); ok {
			attrs = append(attrs, attribute.Float64(semconv.GenAITotalCost, m.Cost(*u)))
		}
	} else {
		attrs = append(attrs, attribute.Bool(semconv.LLMUsageUnreported, true))
	}
	if t.cfg.captureContent {
		attrs = t.appendMessages(attrs, semconv.GenAICompletionPrefix, r.completions)
	}
	span.SetAttributes(attrs...)
}

// appendMessages records msgs as prefix.N.role / .content / .finish_reason
// and prefix.N.tool_calls.M.id / .name / .arguments.
func (t *transport) appendMessages(attrs []attribute.KeyValue, prefix string, msgs []message) []attribute.KeyValue {
	for i, m := range msgs {
		p := prefix + strconv.Itoa(i) + "."
		attrs = append(attrs, attribute.String(p+"role", m.role))
		if m.content != "" {
			attrs = append(attrs, attribute.String(p+"content", t.capped(m.content)))
		}
		if m.finishReason != "" {
			attrs = append(attrs, attribute.String(p+"finish_reason", m.finishReason))
		}
		for j, tc := range m.toolCalls {
			q := prefix + strconv.Itoa(i) + semconv.GenAIToolCallsInfix + strconv.Itoa(j) + "."
			attrs = append(attrs,
				attribute.String(q+"id", tc.id),
				attribute.String(q+"name", tc.name),
				attribute.String(q+"arguments", t.capped(tc.arguments)),
			)
		}
	}
	return attrs
}

// capped cuts s to the configured size at a UTF-8 boundary.
func (t *transport) capped(s string) string {
	n := t.cfg.maxContentBytes
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// call is what is recorded of a request.
type call struct {
	operation         string // gen_ai.operation.name: chat, text_completion, embeddings, generate_content
	model             string
	stream            bool // the response will be streamed
	temperature, topP *float64
	maxTokens         *int64
	params            params // stop sequences, tools, response format, ... (params.go)
	messages          []message
	streamUsage       *bool // OpenAI stream_options.include_usage; nil when the api has no such option
}

// result is what is recorded of a successful response.
type result struct {
	id, model   string
	completions []message
	usage       *pricing.Usage
	total       int64
	failure     *failure // an error the provider reported in the response (a stream's error event)
}

type message struct {
	role, content, finishReason string
	toolCalls                   []toolCall
}

type toolCall struct{ id, name, arguments string }

// api is one recognised call's endpoint: who serves it (name, the
// gen_ai.provider.name) and how its bodies are read. recognise (endpoints.go)
// builds it per request from the endpoint table and the provider table.
type api struct {
	name          string
	operation     string                    // gen_ai.operation.name of the endpoint
	path          route                     // what the URL says of the call (endpoints.go)
	parseRequest  func([]byte) (call, bool) // false: pass through unrecorded; must not retain its argument
	parseResponse func([]byte) (result, error)
	newStream     func(c call) streamParser // nil: streaming requests pass through
}

// text returns a message content that is a JSON string as is and joins the
// text parts of a content array; other content is kept as its JSON.
func text(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		var b strings.Builder
		all := true
		for _, p := range parts {
			if p.Type != "text" {
				all = false
				break
			}
			b.WriteString(p.Text)
		}
		if all {
			return b.String()
		}
	}
	return string(raw)
}
