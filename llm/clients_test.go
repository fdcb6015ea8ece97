package llm_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// These tests drive the real client libraries through the transport
// against httptest servers that answer as the providers document: the SSE
// fixtures in testdata are written from the OpenAI and Anthropic API
// references.

// sseEvents splits an SSE fixture into its events, each with its blank line.
func sseEvents(b []byte) [][]byte {
	var out [][]byte
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\n\n"))
		if i < 0 {
			return append(out, b)
		}
		out = append(out, b[:i+2])
		b = b[i+2:]
	}
	return out
}

// streamServer answers every request with the SSE fixture, one event per
// write and flush, as a provider streams. It keeps the request bodies.
type streamServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
}

func newStreamServer(t *testing.T, fixtureName string) *streamServer {
	t.Helper()
	events := sseEvents(fixture(t, fixtureName))
	s := &streamServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, string(b))
		s.mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		for _, e := range events {
			w.Write(e)
			w.(http.Flusher).Flush()
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *streamServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.bodies...)
}

// llmSpan returns the one llm span among the recorded spans.
func llmSpan(t *testing.T, exp exporter) tracetest.SpanStub {
	t.Helper()
	var found []tracetest.SpanStub
	for _, s := range exp.GetSpans() {
		if attrs(s)[semconv.SpanKind].AsString() == semconv.KindLLM {
			found = append(found, s)
		}
	}
	if len(found) != 1 {
		t.Fatalf("got %d llm spans, want 1", len(found))
	}
	return found[0]
}

// checkAttrs compares the span's attributes with want; a nil want value
// means the attribute must be absent.
func checkAttrs(t *testing.T, s tracetest.SpanStub, want map[string]any) {
	t.Helper()
	a := attrs(s)
	for k, w := range want {
		v, ok := a[k]
		switch {
		case w == nil && ok:
			t.Errorf("%s = %v, want it absent", k, v.AsInterface())
		case w == nil:
		case !ok:
			t.Errorf("%s missing", k)
		default:
			got := v.AsInterface()
			if ws, isSlice := w.([]string); isSlice {
				if fmt.Sprint(got) != fmt.Sprint(ws) {
					t.Errorf("%s = %v, want %v", k, got, ws)
				}
			} else if got != w {
				t.Errorf("%s = %v (%T), want %v (%T)", k, got, got, w, w)
			}
		}
	}
}

func checkChild(t *testing.T, s tracetest.SpanStub, parent trace.Span) {
	t.Helper()
	if s.Parent.SpanID() != parent.SpanContext().SpanID() || s.SpanContext.TraceID() != parent.SpanContext().TraceID() {
		t.Errorf("llm span is not a child of the request context's span")
	}
}

func checkCost(t *testing.T, s tracetest.SpanStub, provider, model string, u pricing.Usage) {
	t.Helper()
	m, ok := pricing.Default().Find(provider, model)
	if !ok {
		t.Fatalf("%s not in the price table", model)
	}
	want := m.Cost(u)
	got, ok := attrs(s)[semconv.GenAITotalCost]
	if !ok || want == 0 || math.Abs(got.AsFloat64()-want) > 1e-12 {
		t.Errorf("cost = %v, want %v", got.AsInterface(), want)
	}
}

// checkStreamTimes checks that time to first chunk and to first token are
// recorded, ordered, and within the span.
func checkStreamTimes(t *testing.T, s tracetest.SpanStub) {
	t.Helper()
	a := attrs(s)
	chunk, token := a[semconv.GenAITimeToFirstChunk].AsFloat64(), a[semconv.LLMTimeToFirstToken].AsFloat64()
	d := s.EndTime.Sub(s.StartTime).Seconds()
	if chunk <= 0 || token < chunk || token > d {
		t.Errorf("time to first chunk %v, to first token %v, span %v s: want 0 < chunk <= token <= span", chunk, token, d)
	}
}

func openAIClient(hc *http.Client, url string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithHTTPClient(hc), option.WithBaseURL(url + "/v1/"), option.WithAPIKey("sk-test"),
	}, opts...)...)
}

func chatParams(includeUsage bool) openai.ChatCompletionNewParams {
	p := openai.ChatCompletionNewParams{
		Model: "gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("You are terse."),
			openai.UserMessage("Weather in Boston?"),
		},
		Temperature: openai.Float(0.2),
	}
	if includeUsage {
		p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	}
	return p
}

func TestOpenAIGoStreaming(t *testing.T) {
	srv := newStreamServer(t, "openai_chat_stream.sse")
	hc, exp, tp := setup()
	client := openAIClient(hc, srv.URL)

	ctx, parent := tp.Tracer("test").Start(context.Background(), "agent")
	stream := client.Chat.Completions.NewStreaming(ctx, chatParams(true))
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	parent.End()

	if got := acc.Choices[0].Message.Content; got != "The weather in Boston is sunny." {
		t.Errorf("the client assembled %q", got)
	}
	if !strings.Contains(srv.requests()[0], `"include_usage":true`) {
		t.Errorf("request %s", srv.requests()[0])
	}
	s := llmSpan(t, exp)
	checkChild(t, s, parent)
	checkAttrs(t, s, map[string]any{
		semconv.GenAIRequestStream:                true,
		semconv.LLMStreamIncludeUsage:             true,
		semconv.GenAIRequestModel:                 "gpt-4o",
		semconv.GenAIRequestTemperature:           0.2,
		semconv.GenAIResponseModel:                "gpt-4o-2024-08-06",
		semconv.GenAIResponseID:                   "chatcmpl-AyPNinnUqUDYo9SAdA52NobMflmj2",
		semconv.LLMStreamChunks:                   int64(10),
		semconv.GenAIResponseFinish:               []string{"stop"},
		"gen_ai.prompt.1.content":                 "Weather in Boston?",
		"gen_ai.completion.0.role":                "assistant",
		"gen_ai.completion.0.content":             "The weather in Boston is sunny.",
		"gen_ai.completion.0.finish_reason":       "stop",
		semconv.GenAIInputTokens:                  int64(1117),
		semconv.GenAIOutputTokens:                 int64(7),
		semconv.GenAITotalTokens:                  int64(1124),
		semconv.GenAICacheReadTokens:              int64(1024),
		semconv.HTTPResponseStatusCode:            int64(200),
		semconv.LLMUsageUnreported:                nil,
		semconv.LLMStreamAbandoned:                nil,
		semconv.LLMStreamUnparsed:                 nil,
		semconv.ErrorType:                         nil,
		"gen_ai.completion.0.tool_calls.0.name":   nil,
		"gen_ai.completion.1.role":                nil,
		semconv.GenAIRequestMaxTokens:             nil,
		semconv.LLMRequestUnrecorded:              nil,
		semconv.GenAIPromptPrefix + "2.role":      nil,
		semconv.GenAICompletionPrefix + "0.extra": nil,
	})
	if s.Status.Code != codes.Unset {
		t.Errorf("status %v %q", s.Status.Code, s.Status.Description)
	}
	checkStreamTimes(t, s)
	checkCost(t, s, "openai", "gpt-4o-2024-08-06", pricing.Usage{Input: 1117, Output: 7, CacheRead: 1024})
}

func TestOpenAIGoStreamingToolCalls(t *testing.T) {
	srv := newStreamServer(t, "openai_chat_stream_tool_calls.sse")
	hc, exp, _ := setup()
	client := openAIClient(hc, srv.URL)

	stream := client.Chat.Completions.NewStreaming(context.Background(), chatParams(true))
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	if n := len(acc.Choices[0].Message.ToolCalls); n != 2 {
		t.Fatalf("the client assembled %d tool calls", n)
	}
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{
		semconv.LLMStreamChunks:                      int64(12),
		semconv.GenAIResponseFinish:                  []string{"tool_calls"},
		"gen_ai.completion.0.finish_reason":          "tool_calls",
		"gen_ai.completion.0.content":                nil,
		"gen_ai.completion.0.tool_calls.0.id":        "call_DdmO9pD3xa9XTPNJ32zg2hcA",
		"gen_ai.completion.0.tool_calls.0.name":      "get_weather",
		"gen_ai.completion.0.tool_calls.0.arguments": `{"location":"Boston, MA"}`,
		"gen_ai.completion.0.tool_calls.1.id":        "call_ABPsJFkHbJm3XeRvqQXp9M6F",
		"gen_ai.completion.0.tool_calls.1.name":      "get_time",
		"gen_ai.completion.0.tool_calls.1.arguments": `{"tz":"America/New_York"}`,
		semconv.GenAIInputTokens:                     int64(82),
		semconv.GenAIOutputTokens:                    int64(46),
	})
	if got := acc.Choices[0].Message.ToolCalls[0].Function.Arguments; got != `{"location":"Boston, MA"}` {
		t.Errorf("the client assembled %q", got)
	}
	checkStreamTimes(t, s)
	checkCost(t, s, "openai", "gpt-4o-2024-08-06", pricing.Usage{Input: 82, Output: 46})
}

func TestAnthropicStreaming(t *testing.T) {
	srv := newStreamServer(t, "anthropic_messages_stream.sse")
	hc, exp, tp := setup()
	client := anthropic.NewClient(anthropicoption.WithHTTPClient(hc), anthropicoption.WithBaseURL(srv.URL),
		anthropicoption.WithAPIKey("sk-ant-test"))

	ctx, parent := tp.Tracer("test").Start(context.Background(), "agent")
	stream := client.Messages.NewStreaming(ctx, anthropic.MessageNewParams{
		Model:     anthropic.ModelClaudeSonnet4_5,
		MaxTokens: 2048,
		System:    []anthropic.TextBlockParam{{Text: "You are Claude."}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in San Francisco?"))},
	})
	var msg anthropic.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	stream.Close()
	parent.End()
	if len(msg.Content) != 3 || msg.StopReason != "tool_use" {
		t.Fatalf("the client assembled %+v", msg)
	}

	s := llmSpan(t, exp)
	checkChild(t, s, parent)
	in := int64(472 + 3000 + 1200)
	checkAttrs(t, s, map[string]any{
		semconv.GenAIProviderName:                    "anthropic",
		semconv.GenAIRequestStream:                   true,
		semconv.LLMStreamIncludeUsage:                nil,
		semconv.GenAIRequestModel:                    "claude-sonnet-4-5",
		semconv.GenAIRequestMaxTokens:                int64(2048),
		semconv.GenAIResponseModel:                   "claude-sonnet-4-5-20250929",
		semconv.GenAIResponseID:                      "msg_014p7gG3wDgGV9EUtLvnow3U",
		semconv.LLMStreamChunks:                      int64(19),
		semconv.GenAIResponseFinish:                  []string{"tool_use"},
		"gen_ai.prompt.0.content":                    "You are Claude.",
		"gen_ai.prompt.1.content":                    "Weather in San Francisco?",
		"gen_ai.completion.0.content":                "Okay, let's check the weather for San Francisco, CA:",
		"gen_ai.completion.0.tool_calls.0.id":        "toolu_01T1x1fJ34qAmk2tNTrN7Up6",
		"gen_ai.completion.0.tool_calls.0.name":      "get_weather",
		"gen_ai.completion.0.tool_calls.0.arguments": `{"location": "San Francisco, CA", "unit": "fahrenheit"}`,
		semconv.GenAIInputTokens:                     in,
		semconv.GenAIOutputTokens:                    int64(89),
		semconv.GenAITotalTokens:                     in + 89,
		semconv.GenAICacheReadTokens:                 int64(3000),
		semconv.GenAICacheCreationTokens:             int64(1200),
		semconv.LLMStreamAbandoned:                   nil,
		semconv.ErrorType:                            nil,
	})
	if s.Status.Code != codes.Unset {
		t.Errorf("status %v %q", s.Status.Code, s.Status.Description)
	}
	checkStreamTimes(t, s)
	checkCost(t, s, "anthropic", "claude-sonnet-4-5-20250929",
		pricing.Usage{Input: in, Output: 89, CacheRead: 3000, CacheWrite: 1200})
}

// go-openai stops at [DONE] and closes the body before EOF: the stream is
// complete, not abandoned. Without stream_options.include_usage OpenAI
// sends no usage, and the span says so rather than inventing numbers.
func TestGoOpenAIStreamingWithoutUsage(t *testing.T) {
	srv := newStreamServer(t, "openai_chat_stream_no_usage.sse")
	hc, exp, _ := setup()
	cfg := goopenai.DefaultConfig("sk-test")
	cfg.BaseURL = srv.URL + "/v1"
	cfg.HTTPClient = hc
	client := goopenai.NewClientWithConfig(cfg)

	stream, err := client.CreateChatCompletionStream(context.Background(), goopenai.ChatCompletionRequest{
		Model:    "gpt-4o",
		Messages: []goopenai.ChatCompletionMessage{{Role: "user", Content: "Weather in Boston?"}},
		Stream:   true,
	})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(r.Choices[0].Delta.Content)
	}
	stream.Close()
	if text.String() != "The weather in Boston is sunny." {
		t.Errorf("the client assembled %q", text.String())
	}
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{
		semconv.GenAIRequestStream:          true,
		semconv.LLMStreamIncludeUsage:       false,
		semconv.LLMStreamChunks:             int64(9),
		semconv.LLMUsageUnreported:          true,
		semconv.LLMStreamAbandoned:          nil,
		semconv.GenAIInputTokens:            nil,
		semconv.GenAIOutputTokens:           nil,
		semconv.GenAIPromptTokens:           nil,
		semconv.GenAITotalTokens:            nil,
		semconv.GenAITotalCost:              nil,
		"gen_ai.completion.0.content":       "The weather in Boston is sunny.",
		"gen_ai.completion.0.finish_reason": "stop",
	})
	if s.Status.Code != codes.Unset {
		t.Errorf("status %v %q", s.Status.Code, s.Status.Description)
	}
}

// TestOpenAIGoRetry: openai-go retries a 429 by itself; each attempt is a
// call of its own, the first an error.
func TestOpenAIGoRetry(t *testing.T) {
	var mu sync.Mutex
	var bodies []string
	rateLimited := fixture(t, "openai_error_429.json")
	ok := fixture(t, "openai_chat_tool_calls.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		n := len(bodies)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if n == 1 {
			w.Header().Set("Retry-After-Ms", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write(rateLimited)
			return
		}
		w.Write(ok)
	}))
	defer srv.Close()
	hc, exp, _ := setup()
	client := openAIClient(hc, srv.URL)
	resp, err := client.Chat.Completions.New(context.Background(), chatParams(false))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("the client got %+v", resp.Choices[0])
	}
	if len(bodies) != 2 || bodies[0] != bodies[1] || !strings.Contains(bodies[0], `"Weather in Boston?"`) {
		t.Fatalf("server saw %q, want the same body twice", bodies)
	}
	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want one per attempt", len(spans))
	}
	first, second := attrs(spans[0]), attrs(spans[1])
	if spans[0].Status.Code != codes.Error || first[semconv.ErrorType].AsString() != "tokens" ||
		first[semconv.HTTPResponseStatusCode].AsInt64() != 429 {
		t.Errorf("first attempt: status %v, attributes %v", spans[0].Status, first)
	}
	if spans[1].Status.Code != codes.Unset || second[semconv.GenAIInputTokens].AsInt64() != 1117 {
		t.Errorf("second attempt: status %v, attributes %v", spans[1].Status, second)
	}
}

func TestOpenAIGoServerError(t *testing.T) {
	body := []byte(`{"error":{"message":"The server had an error while processing your request. Sorry about that!","type":"server_error","param":null,"code":null}}`)
	srv := provider(t, http.StatusInternalServerError, body)
	hc, exp, _ := setup()
	client := openAIClient(hc, srv.URL, option.WithMaxRetries(0))
	_, err := client.Chat.Completions.New(context.Background(), chatParams(false))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 || apiErr.Message != "The server had an error while processing your request. Sorry about that!" {
		t.Fatalf("the client got %v, want the 500 as the server sent it", err)
	}
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{
		semconv.ErrorType:              "server_error",
		semconv.ErrorMessage:           "The server had an error while processing your request. Sorry about that!",
		semconv.HTTPResponseStatusCode: int64(500),
		semconv.GenAITotalCost:         nil,
	})
	if s.Status.Code != codes.Error {
		t.Errorf("status %v", s.Status)
	}
}

func TestOpenAIGoMalformedJSON(t *testing.T) {
	srv := provider(t, http.StatusOK, []byte(`{"id":"chatcmpl-1","choices":[{"message":`))
	hc, exp, _ := setup()
	client := openAIClient(hc, srv.URL, option.WithMaxRetries(0))
	if _, err := client.Chat.Completions.New(context.Background(), chatParams(false)); err == nil {
		t.Fatalf("the client accepted malformed JSON")
	}
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{semconv.ErrorType: "malformed_response"})
	if s.Status.Code != codes.Error || !strings.Contains(s.Status.Description, "parse openai response") {
		t.Errorf("status %v", s.Status)
	}
}

func TestOpenAIGoMalformedStreamEvent(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: {\"id\":\n\n")
	}))
	defer srv.Close()
	hc, exp, _ := setup()
	client := openAIClient(hc, srv.URL)
	stream := client.Chat.Completions.NewStreaming(context.Background(), chatParams(false))
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Errorf("the client accepted a malformed event")
	}
	stream.Close()
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{
		semconv.ErrorType:             "malformed_response",
		"gen_ai.completion.0.content": "Hi",
	})
	if s.Status.Code != codes.Error {
		t.Errorf("status %v", s.Status)
	}
}

// TestStreamCutOff: the server sends half the stream and drops the
// connection; the client sees the read error and the span records it.
func TestStreamCutOff(t *testing.T) {
	events := sseEvents(fixture(t, "anthropic_messages_stream.sse"))
	var sent bytes.Buffer
	for _, e := range events[:9] {
		sent.Write(e)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		// Content-Length promises the whole stream: closing early is a cut, not an end.
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n", len(fixture(t, "anthropic_messages_stream.sse")))
		buf.Write(sent.Bytes())
		buf.Flush()
	}))
	defer srv.Close()
	hc, exp, _ := setup()
	client := anthropic.NewClient(anthropicoption.WithHTTPClient(hc), anthropicoption.WithBaseURL(srv.URL),
		anthropicoption.WithAPIKey("sk-ant-test"), anthropicoption.WithMaxRetries(0))
	stream := client.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{
		Model: anthropic.ModelClaudeSonnet4_5, MaxTokens: 100,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hi"))},
	})
	n := 0
	for stream.Next() {
		n++
	}
	if !errors.Is(stream.Err(), io.ErrUnexpectedEOF) {
		t.Fatalf("the client got %v, want an unexpected EOF", stream.Err())
	}
	stream.Close()
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{
		semconv.ErrorType:             "unexpected_eof",
		semconv.LLMStreamChunks:       int64(9),
		"gen_ai.completion.0.content": "Okay, let's check",
		semconv.GenAIInputTokens:      int64(472 + 3000 + 1200),
		semconv.LLMStreamAbandoned:    nil,
	})
	if s.Status.Code != codes.Error || s.Status.Description != io.ErrUnexpectedEOF.Error() {
		t.Errorf("status %v", s.Status)
	}
}

// stalledStream serves an SSE stream of events, then neither sends more nor
// ends until the client goes away.
func stalledStream(t *testing.T, events [][]byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body) // then a closed connection cancels r.Context()
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range events {
			w.Write(e)
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestStreamAbandoned: a caller that stops reading and closes the stream
// on purpose gets a span marked abandoned, with what was read, and no error.
func TestStreamAbandoned(t *testing.T) {
	events := sseEvents(fixture(t, "openai_chat_stream.sse"))
	srv := stalledStream(t, events[:4])
	hc, exp, _ := setup()
	client := openAIClient(hc, srv.URL)
	stream := client.Chat.Completions.NewStreaming(context.Background(), chatParams(true))
	for i := 0; i < 3 && stream.Next(); i++ {
	}
	stream.Close()
	s := llmSpan(t, exp)
	a := attrs(s)
	checkAttrs(t, s, map[string]any{
		semconv.LLMStreamAbandoned: true,
		semconv.LLMUsageUnreported: true,
		semconv.GenAIInputTokens:   nil,
		semconv.ErrorType:          nil,
	})
	// The client may read ahead in its buffer: at least the 3 events it
	// handed out were seen, at most the 4 sent.
	if n := a[semconv.LLMStreamChunks].AsInt64(); n < 3 || n > 4 {
		t.Errorf("chunk count %d", n)
	}
	if c := a["gen_ai.completion.0.content"].AsString(); !strings.HasPrefix(c, "The weather") {
		t.Errorf("partial completion %q", c)
	}
	if s.Status.Code != codes.Unset {
		t.Errorf("status %v, want Unset: abandoning is the caller's choice", s.Status)
	}
}

// TestStreamContextCanceled: the caller cancels the context mid-stream.
func TestStreamContextCanceled(t *testing.T) {
	events := sseEvents(fixture(t, "openai_chat_stream.sse"))
	srv := stalledStream(t, events[:2]) // the rest never comes
	hc, exp, _ := setup()
	client := openAIClient(hc, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream := client.Chat.Completions.NewStreaming(ctx, chatParams(true))
	for i := 0; stream.Next(); i++ {
		if i == 1 {
			cancel()
		}
	}
	if !errors.Is(stream.Err(), context.Canceled) {
		t.Fatalf("the client got %v, want context.Canceled", stream.Err())
	}
	stream.Close()
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{
		semconv.ErrorType:             "canceled",
		semconv.LLMStreamChunks:       int64(2),
		"gen_ai.completion.0.content": "The",
	})
	if s.Status.Code != codes.Error || s.Status.Description != context.Canceled.Error() {
		t.Errorf("status %v", s.Status)
	}
}

// TestCanceledBeforeResponse: a context canceled while the request waits
// for its response gives an error span and the client's own error.
func TestCanceledBeforeResponse(t *testing.T) {
	arrived := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		close(arrived)
		<-r.Context().Done()
	}))
	defer srv.Close()
	hc, exp, _ := setup()
	client := openAIClient(hc, srv.URL, option.WithMaxRetries(0))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	stream := client.Chat.Completions.NewStreaming(ctx, chatParams(true))
	for stream.Next() {
	}
	if !errors.Is(stream.Err(), context.Canceled) {
		t.Fatalf("the client got %v, want context.Canceled", stream.Err())
	}
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{semconv.ErrorType: "canceled", semconv.GenAIRequestStream: true})
	if s.Status.Code != codes.Error {
		t.Errorf("status %v", s.Status)
	}
}

// TestStreamBytesUnchanged: whatever the size of the caller's reads, it
// gets the provider's bytes exactly.
func TestStreamBytesUnchanged(t *testing.T) {
	for _, name := range []string{"openai_chat_stream.sse", "anthropic_messages_stream.sse"} {
		want := fixture(t, name)
		srv := newStreamServer(t, name)
		for _, size := range []int{1, 7, 4096} {
			hc, exp, _ := setup()
			path, body := "/v1/chat/completions", `{"model":"gpt-4o","stream":true,"messages":[]}`
			if strings.HasPrefix(name, "anthropic") {
				path, body = "/v1/messages", `{"model":"claude-sonnet-4-5","stream":true,"max_tokens":10,"messages":[]}`
			}
			resp, err := hc.Post(srv.URL+path, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			var got bytes.Buffer
			r := bufio.NewReaderSize(resp.Body, 16) // bufio's minimum; reads of at most size below
			buf := make([]byte, size)
			for {
				n, err := r.Read(buf)
				got.Write(buf[:n])
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			resp.Body.Close()
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("%s in reads of %d: the caller got different bytes", name, size)
			}
			s := llmSpan(t, exp)
			if n := attrs(s)[semconv.LLMStreamChunks].AsInt64(); n != int64(len(sseEvents(want))-bool2int(strings.HasPrefix(name, "openai"))) {
				t.Errorf("%s in reads of %d: %d chunks", name, size, n)
			}
		}
	}
}

func bool2int(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestStreamEventOverCap: an event over the cap stops the parsing, the
// bytes still pass, and the span says why its record is partial.
func TestStreamEventOverCap(t *testing.T) {
	big := strings.Repeat("x", 1<<20+1)
	chunk := func(content string) string {
		b, _ := json.Marshal(map[string]any{"id": "c", "choices": []any{map[string]any{"index": 0, "delta": map[string]string{"content": content}}}})
		return "data: " + string(b) + "\n\n"
	}
	stream := chunk("Hi") + chunk(big) + chunk("there") + "data: [DONE]\n\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, stream)
	}))
	defer srv.Close()
	hc, exp, _ := setup()
	resp, err := hc.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"gpt-4o","stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(got) != stream {
		t.Fatalf("the caller got %d bytes (%v), want %d", len(got), err, len(stream))
	}
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{
		semconv.LLMStreamUnparsed:     "an event exceeds 1048576 bytes",
		semconv.LLMStreamChunks:       int64(1),
		"gen_ai.completion.0.content": "Hi",
		semconv.ErrorType:             nil,
	})
}

// TestAnthropicStreamErrorEvent: an error event mid-stream (documented:
// overloaded_error) is the call's error, as the client reports it.
func TestAnthropicStreamErrorEvent(t *testing.T) {
	events := sseEvents(fixture(t, "anthropic_messages_stream.sse"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(events[0])
		io.WriteString(w, "event: error\ndata: {\"type\": \"error\", \"error\": {\"type\": \"overloaded_error\", \"message\": \"Overloaded\"}}\n\n")
	}))
	defer srv.Close()
	hc, exp, _ := setup()
	client := anthropic.NewClient(anthropicoption.WithHTTPClient(hc), anthropicoption.WithBaseURL(srv.URL),
		anthropicoption.WithAPIKey("sk-ant-test"))
	stream := client.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{
		Model: anthropic.ModelClaudeSonnet4_5, MaxTokens: 100,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hi"))},
	})
	for stream.Next() {
	}
	if err := stream.Err(); err == nil || !strings.Contains(err.Error(), "Overloaded") {
		t.Errorf("the client got %v", err)
	}
	stream.Close()
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{semconv.ErrorType: "overloaded_error", semconv.ErrorMessage: "Overloaded"})
	if s.Status.Code != codes.Error || s.Status.Description != "Overloaded" {
		t.Errorf("status %v", s.Status)
	}
}

// TestStreamCutAfterItsLastEvent: a connection lost after the provider's
// last event ([DONE]) loses nothing: the call is recorded as complete.
func TestStreamCutAfterItsLastEvent(t *testing.T) {
	stream := fixture(t, "openai_chat_stream.sse")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n", len(stream)+100)
		buf.Write(stream)
		buf.Flush()
	}))
	defer srv.Close()
	hc, exp, _ := setup()
	resp, err := hc.Post(srv.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(got, stream) {
		t.Fatalf("the caller got %d bytes and %v", len(got), err)
	}
	s := llmSpan(t, exp)
	checkAttrs(t, s, map[string]any{semconv.ErrorType: nil, semconv.LLMStreamChunks: int64(10), semconv.GenAIInputTokens: int64(1117)})
	if s.Status.Code != codes.Unset {
		t.Errorf("status %v", s.Status)
	}
}
