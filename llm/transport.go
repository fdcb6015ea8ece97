package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
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
	base     http.RoundTripper
	cfg      config
	tracer   trace.Tracer
	lastHost atomic.Pointer[hostProvider] // see providerFor
}

// RoundTrip follows a call recognise accepts and whose body looks like one
// (see callLike), and passes everything else through untouched. Nothing is
// parsed and no span is started on the caller's path: the request's
// context, the time and the request bytes are kept, the request is sent as
// it is (with the body copy readRequestBody made when it has no GetBody),
// and the response body is wrapped — a streamed one in streamBody, a JSON
// one in responseBody — to pass its bytes through and hand the record to
// the background recorder when it ends (record.go). Without a body to
// follow, the record is handed over at once. A call whose parent span is
// not sampled passes through untouched.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	a, ok := t.recognise(req)
	if !ok || req.Body == nil || req.Body == http.NoBody {
		return t.base.RoundTrip(req)
	}
	ctx := req.Context()
	if p := trace.SpanContextFromContext(ctx); p.IsValid() && !p.IsSampled() {
		return t.base.RoundTrip(req) // sampled out: nothing would be kept
	}
	rb := readRequestBody(req, t.cfg.maxRequestBytes)
	if rb.parse != nil {
		if !a.callLike(rb.parse) {
			rb.release()
			return t.base.RoundTrip(rb.request(req))
		}
	} else if !rb.tooLarge { // unreadable: the base transport meets the same read error
		return t.base.RoundTrip(rb.request(req))
	}

	rec := record{t: t, api: a, ctx: ctx, start: time.Now(), req: rb}
	resp, err := t.base.RoundTrip(rb.request(req))
	if err != nil {
		rec.err, rec.end = err, time.Now()
		t.submit(&plainRecord{rec})
		return resp, err
	}
	rec.status, rec.statusLine = resp.StatusCode, resp.Status
	var ct string
	if v := resp.Header["Content-Type"]; len(v) > 0 { // the map lookup Get does, without canonicalising the key
		ct = v[0]
	}
	if resp.StatusCode < 400 && resp.Body != nil && framing(ct, a.path.stream) != "" {
		if !a.streams() { // a stream this api cannot follow: as if passed through
			rec.drop()
			return resp, nil
		}
		s := &streamBody{rc: resp.Body, rec: rec, parser: a.ep.newStream()}
		s.fr = newFramer(ct, a.path.stream, s, t.cfg.maxEventBytes)
		resp.Body = s
		return resp, nil // recorded when the stream ends
	}
	if resp.Body == nil || resp.Body == http.NoBody || !isJSON(ct) {
		rec.end = time.Now()
		t.submit(&plainRecord{rec})
		return resp, nil
	}
	if resp.StatusCode >= 400 { // read now: clients that retry close error bodies unread
		t.submit(readError(resp, rec, t.cfg.maxRespBytes))
		return resp, nil
	}
	resp.Body = newResponseBody(resp.Body, rec, resp.ContentLength, t.cfg.maxRespBytes)
	return resp, nil
}

// readError reads an error response's JSON body (up to max bytes) before
// RoundTrip returns, replaces it with a body replaying the same bytes and
// the same read error, and returns the record to finish with those bytes.
func readError(resp *http.Response, rec record, max int) *responseBody {
	b, err := readUpTo(resp.Body, resp.ContentLength, int64(max), nil)
	rb := &responseBody{rec: rec, max: max, buf: &b, readErr: err, finished: true}
	switch {
	case len(b) > max: // the rest passes unread
		rb.over, rb.buf = true, nil
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	case err != nil:
		resp.Body.Close()
		resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(b), errReader{err}))
	default:
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(b))
	}
	rb.rec.end = time.Now()
	return rb
}

func isJSON(contentType string) bool {
	mt := mediaType(contentType)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// mediaType returns a Content-Type's media type, lower case, without its
// parameters (mime.ParseMediaType also parses the parameters, which are
// not needed here, at a cost on the caller's path).
func mediaType(contentType string) string {
	if i := strings.IndexByte(contentType, ';'); i >= 0 {
		contentType = contentType[:i]
	}
	return strings.ToLower(strings.TrimSpace(contentType))
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

// requestAttrs appends what is recorded of the request.
func (t *transport) requestAttrs(attrs []attribute.KeyValue, provider string, c call) []attribute.KeyValue {
	attrs = append(attrs,
		attribute.String(semconv.SpanKind, semconv.KindLLM),
		attribute.String(semconv.GenAIOperationName, c.operation),
		attribute.String(semconv.GenAIProviderName, provider),
		attribute.String(semconv.GenAISystem, provider),
		attribute.String(semconv.GenAIRequestModel, c.model),
	)
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
	return attrs
}

// responseAttrs appends what is recorded of a successful response.
func (t *transport) responseAttrs(attrs []attribute.KeyValue, provider string, c call, r result) []attribute.KeyValue {
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
			if finish == nil {
				finish = make([]string, 0, len(r.completions))
			}
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
	return attrs
}

// appendMessages records msgs as prefix.N.role / .content / .finish_reason
// and prefix.N.tool_calls.M.id / .name / .arguments.
func (t *transport) appendMessages(attrs []attribute.KeyValue, prefix string, msgs []message) []attribute.KeyValue {
	for i, m := range msgs {
		k := messageKeysFor(prefix, i)
		attrs = append(attrs, attribute.String(k.role, m.role))
		if m.content != "" {
			attrs = append(attrs, attribute.String(k.content, t.capped(m.content)))
		}
		if m.finishReason != "" {
			attrs = append(attrs, attribute.String(k.finish, m.finishReason))
		}
		for j, tc := range m.toolCalls {
			tk := toolCallKeysFor(prefix, i, j)
			attrs = append(attrs,
				attribute.String(tk.id, tc.id),
				attribute.String(tk.name, tc.name),
				attribute.String(tk.arguments, t.capped(tc.arguments)),
			)
		}
	}
	return attrs
}

// The attribute keys of the first messages and tool calls are made once:
// building "gen_ai.prompt.3.content" for every call costs an allocation
// per key.
const cachedKeys = 16

type messageKeys struct{ role, content, finish string }
type toolCallKeys struct{ id, name, arguments string }

var (
	keyPrefixes  = [2]string{semconv.GenAIPromptPrefix, semconv.GenAICompletionPrefix}
	messageCache [2][cachedKeys]messageKeys
	toolCache    [2][cachedKeys][cachedKeys]toolCallKeys
)

func init() {
	for x, prefix := range keyPrefixes {
		for i := range cachedKeys {
			messageCache[x][i] = newMessageKeys(prefix, i)
			for j := range cachedKeys {
				toolCache[x][i][j] = newToolCallKeys(prefix, i, j)
			}
		}
	}
}

func newMessageKeys(prefix string, i int) messageKeys {
	p := prefix + strconv.Itoa(i) + "."
	return messageKeys{p + "role", p + "content", p + "finish_reason"}
}

func newToolCallKeys(prefix string, i, j int) toolCallKeys {
	q := prefix + strconv.Itoa(i) + semconv.GenAIToolCallsInfix + strconv.Itoa(j) + "."
	return toolCallKeys{q + "id", q + "name", q + "arguments"}
}

func prefixIndex(prefix string) int {
	for x, p := range keyPrefixes {
		if p == prefix {
			return x
		}
	}
	return -1
}

func messageKeysFor(prefix string, i int) messageKeys {
	if x := prefixIndex(prefix); x >= 0 && i < cachedKeys {
		return messageCache[x][i]
	}
	return newMessageKeys(prefix, i)
}

func toolCallKeysFor(prefix string, i, j int) toolCallKeys {
	if x := prefixIndex(prefix); x >= 0 && i < cachedKeys && j < cachedKeys {
		return toolCache[x][i][j]
	}
	return newToolCallKeys(prefix, i, j)
}

// plainString reports whether b, a JSON string's inside, holds no escape,
// quote or control character: its value is then b itself.
func plainString(b []byte) bool {
	for _, c := range b {
		if c == '\\' || c == '"' || c < 0x20 {
			return false
		}
	}
	return utf8.Valid(b)
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
	name      string
	operation string    // gen_ai.operation.name of the endpoint
	path      route     // what the URL says of the call (endpoints.go)
	ep        *endpoint // the parsers (endpoints.go)
}

// text returns a message content that is a JSON string as is and joins the
// text parts of a content array; other content is kept as its JSON.
func text(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if n := len(raw); n >= 2 && raw[0] == '"' && raw[n-1] == '"' && plainString(raw[1:n-1]) {
		return string(raw[1 : n-1]) // the common case, without a decoder
	}
	var s string
	if unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if unmarshal(raw, &parts) == nil {
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
