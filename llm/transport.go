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

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	api := t.recognise(req)
	if api == nil || req.Body == nil || req.Body == http.NoBody {
		return t.base.RoundTrip(req)
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close() // a RoundTripper closes the body, even on error
	if err != nil {
		return nil, err
	}
	c, ok := api.parseRequest(body)
	if !ok || c.stream { // not JSON, or streaming: not recorded yet
		return t.base.RoundTrip(withBody(req, req.Context(), body))
	}

	ctx, span := t.tracer.Start(req.Context(), spanName(c),
		trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	t.recordRequest(span, api.name, c)

	resp, err := t.base.RoundTrip(withBody(req, ctx, body))
	if err != nil {
		span.RecordError(err)
		span.SetAttributes(attribute.String(semconv.ErrorType, errorType(err)))
		span.SetStatus(codes.Error, err.Error())
		return resp, err
	}
	span.SetAttributes(attribute.Int(semconv.HTTPResponseStatusCode, resp.StatusCode))
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
	r, err := api.parseResponse(respBody)
	if err != nil {
		span.SetAttributes(attribute.String(semconv.ErrorType, "malformed_response"))
		span.SetStatus(codes.Error, fmt.Sprintf("parse %s response: %v", api.name, err))
		return resp, nil
	}
	t.recordResponse(span, api.name, c, r)
	return resp, nil
}

// withBody clones req with ctx and a body replaying b; the caller's request
// is left as it was.
func withBody(req *http.Request, ctx context.Context, b []byte) *http.Request {
	r := req.Clone(ctx)
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return r
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
	parseRequest  func([]byte) (call, bool) // false: pass through unrecorded
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
