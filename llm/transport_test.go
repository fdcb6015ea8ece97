package llm_test

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/agentops-go/agentops/llm"
	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

const (
	openAIRequest = `{"model":"gpt-4o","temperature":0.2,"top_p":0.9,"max_tokens":256,` +
		`"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Weather in Boston?"}],` +
		`"tools":[{"type":"function","function":{"name":"get_current_weather","parameters":{"type":"object"}}}]}`
	anthropicRequest = `{"model":"claude-sonnet-4-5","max_tokens":1024,"temperature":0.5,` +
		`"system":"You are Claude.","messages":[{"role":"user","content":[{"type":"text","text":"Hello, Claude"}]}]}`
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := readFixture(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readFixture(name string) ([]byte, error) { return os.ReadFile(filepath.Join("testdata", name)) }

// provider answers every request with status and body as JSON.
func provider(t *testing.T, status int, body []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func setup(opts ...llm.Option) (*http.Client, exporter, *sdktrace.TracerProvider) {
	exp := newExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	opts = append([]llm.Option{llm.WithTracerProvider(tp)}, opts...)
	return &http.Client{Transport: llm.Transport(http.DefaultTransport, opts...)}, exp, tp
}

func post(t *testing.T, ctx context.Context, c *http.Client, url, body string) []byte {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func attrs(s tracetest.SpanStub) map[string]attribute.Value {
	m := map[string]attribute.Value{}
	for _, kv := range s.Attributes {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

func TestTransportRecordsCalls(t *testing.T) {
	tests := []struct {
		name     string
		fixture  string
		status   int
		path     string
		request  string
		provider string
		model    string
		usage    pricing.Usage
		want     map[string]any
		wantErr  string // span status description; "" means Unset
	}{
		{
			name: "openai chat with tool calls", fixture: "openai_chat_tool_calls.json", status: 200,
			path: "/v1/chat/completions", request: openAIRequest, provider: "openai", model: "gpt-4o-2024-08-06",
			usage: pricing.Usage{Input: 1117, Output: 46, CacheRead: 1024, Reasoning: 12},
			want: map[string]any{
				semconv.SpanKind:                             semconv.KindLLM,
				semconv.GenAIOperationName:                   "chat",
				semconv.GenAIProviderName:                    "openai",
				semconv.GenAIRequestModel:                    "gpt-4o",
				semconv.GenAIResponseModel:                   "gpt-4o-2024-08-06",
				semconv.GenAIResponseID:                      "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
				semconv.GenAIRequestTemperature:              0.2,
				semconv.GenAIRequestTopP:                     0.9,
				semconv.GenAIRequestMaxTokens:                int64(256),
				semconv.GenAIInputTokens:                     int64(1117),
				semconv.GenAIPromptTokens:                    int64(1117),
				semconv.GenAIOutputTokens:                    int64(46),
				semconv.GenAICompletionTokens:                int64(46),
				semconv.GenAITotalTokens:                     int64(1163),
				semconv.GenAICacheReadTokens:                 int64(1024),
				semconv.GenAICacheCreationTokens:             int64(0),
				semconv.GenAIReasoningTokens:                 int64(12),
				"gen_ai.prompt.0.role":                       "system",
				"gen_ai.prompt.0.content":                    "You are terse.",
				"gen_ai.prompt.1.role":                       "user",
				"gen_ai.prompt.1.content":                    "Weather in Boston?",
				"gen_ai.completion.0.role":                   "assistant",
				"gen_ai.completion.0.finish_reason":          "tool_calls",
				"gen_ai.completion.0.tool_calls.0.id":        "call_abc123",
				"gen_ai.completion.0.tool_calls.0.name":      "get_current_weather",
				"gen_ai.completion.0.tool_calls.0.arguments": `{"location": "Boston, MA"}`,
			},
		},
		{
			name: "anthropic message with cache", fixture: "anthropic_message_cached.json", status: 200,
			path: "/v1/messages", request: anthropicRequest, provider: "anthropic", model: "claude-sonnet-4-5-20250929",
			usage: pricing.Usage{Input: 21 + 1500 + 188086, Output: 393, CacheRead: 1500, CacheWrite: 188086},
			want: map[string]any{
				semconv.SpanKind:                    semconv.KindLLM,
				semconv.GenAIProviderName:           "anthropic",
				semconv.GenAIRequestModel:           "claude-sonnet-4-5",
				semconv.GenAIResponseModel:          "claude-sonnet-4-5-20250929",
				semconv.GenAIResponseID:             "msg_013Zva2CMHLNnXjNJJKqJ2EF",
				semconv.GenAIRequestMaxTokens:       int64(1024),
				semconv.GenAIRequestTemperature:     0.5,
				semconv.GenAIInputTokens:            int64(189607),
				semconv.GenAIPromptTokens:           int64(189607),
				semconv.GenAIOutputTokens:           int64(393),
				semconv.GenAICompletionTokens:       int64(393),
				semconv.GenAITotalTokens:            int64(190000),
				semconv.GenAICacheReadTokens:        int64(1500),
				semconv.GenAICacheCreationTokens:    int64(188086),
				"gen_ai.prompt.0.role":              "system",
				"gen_ai.prompt.0.content":           "You are Claude.",
				"gen_ai.prompt.1.role":              "user",
				"gen_ai.prompt.1.content":           "Hello, Claude",
				"gen_ai.completion.0.role":          "assistant",
				"gen_ai.completion.0.content":       "Hi! My name is Claude.",
				"gen_ai.completion.0.finish_reason": "end_turn",
			},
		},
		{
			name: "openai 429", fixture: "openai_error_429.json", status: 429,
			path: "/v1/chat/completions", request: openAIRequest, provider: "openai",
			want:    map[string]any{semconv.ErrorType: "tokens", semconv.HTTPResponseStatusCode: int64(429)},
			wantErr: "Rate limit reached for gpt-4o",
		},
		{
			name: "anthropic 429", fixture: "anthropic_error_429.json", status: 429,
			path: "/v1/messages", request: anthropicRequest, provider: "anthropic",
			want:    map[string]any{semconv.ErrorType: "rate_limit_error", semconv.HTTPResponseStatusCode: int64(429)},
			wantErr: "Number of request tokens has exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := fixture(t, tt.fixture)
			srv := provider(t, tt.status, body)
			client, exp, tp := setup()

			ctx, parent := tp.Tracer("test").Start(context.Background(), "parent")
			got := post(t, ctx, client, srv.URL+tt.path, tt.request)
			parent.End()

			if !bytes.Equal(got, body) {
				t.Errorf("body changed:\n got %s\nwant %s", got, body)
			}
			spans := exp.GetSpans()
			if len(spans) != 2 {
				t.Fatalf("got %d spans, want the llm span and its parent", len(spans))
			}
			span := spans[0] // the llm span is recorded a moment after its body is read: it may end after its parent
			if span.Name == "parent" {
				span = spans[1]
			}
			if span.Parent.SpanID() != parent.SpanContext().SpanID() || span.SpanContext.TraceID() != parent.SpanContext().TraceID() {
				t.Errorf("llm span is not a child of the request context's span")
			}
			a := attrs(span)
			for k, want := range tt.want {
				v, ok := a[k]
				if !ok {
					t.Errorf("%s missing", k)
					continue
				}
				if v.AsInterface() != want {
					t.Errorf("%s = %v, want %v", k, v.AsInterface(), want)
				}
			}
			if tt.wantErr != "" {
				if span.Status.Code != codes.Error || !strings.Contains(span.Status.Description, tt.wantErr) {
					t.Errorf("status = %v %q, want Error containing %q", span.Status.Code, span.Status.Description, tt.wantErr)
				}
				if _, ok := a[semconv.GenAITotalCost]; ok {
					t.Errorf("error span has a cost")
				}
				return
			}
			if span.Status.Code != codes.Unset {
				t.Errorf("status = %v %q, want Unset", span.Status.Code, span.Status.Description)
			}
			m, ok := pricing.Default().Find(tt.provider, tt.model)
			if !ok {
				t.Fatalf("%s not in the price table", tt.model)
			}
			want := m.Cost(tt.usage)
			if c := a[semconv.GenAITotalCost].AsFloat64(); want == 0 || math.Abs(c-want) > 1e-12 {
				t.Errorf("cost = %v, want %v", c, want)
			}
		})
	}
}

func TestTransportPassesThrough(t *testing.T) {
	body := fixture(t, "openai_chat_tool_calls.json")
	srv := provider(t, 200, body)
	tests := []struct{ name, method, path, request string }{
		{"unrecognised path", http.MethodPost, "/v1/moderations", `{"model":"omni-moderation-latest","input":"hi"}`},
		{"count tokens", http.MethodPost, "/v1/messages/count_tokens", anthropicRequest},
		{"get", http.MethodGet, "/v1/chat/completions", ""},
		{"not json", http.MethodPost, "/v1/chat/completions", `model=gpt-4o`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, exp, _ := setup()
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.request))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !bytes.Equal(got, body) {
				t.Errorf("body changed")
			}
			if n := len(exp.GetSpans()); n != 0 {
				t.Errorf("got %d spans, want none", n)
			}
		})
	}
}

func TestTransportKeepsRequestReplayable(t *testing.T) {
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = append(seen, string(b))
		if len(seen) == 1 { // a redirect makes the client resend the body via GetBody
			http.Redirect(w, r, "/v1/chat/completions", http.StatusTemporaryRedirect)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(fixture(t, "openai_chat_tool_calls.json"))
	}))
	defer srv.Close()
	client, exp, _ := setup()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/openai/chat/completions", strings.NewReader(openAIRequest))
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(seen) != 2 || seen[0] != openAIRequest || seen[1] != openAIRequest {
		t.Errorf("server saw %q", seen)
	}
	if n := len(exp.GetSpans()); n != 2 {
		t.Errorf("got %d spans, want one per call", n)
	}
}

func TestTransportContentCaptureOff(t *testing.T) {
	srv := provider(t, 200, fixture(t, "anthropic_message_cached.json"))
	client, exp, _ := setup(llm.WithContentCapture(false))
	post(t, context.Background(), client, srv.URL+"/v1/messages", anthropicRequest)
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans", len(spans))
	}
	for k := range attrs(spans[0]) {
		if strings.HasPrefix(k, semconv.GenAIPromptPrefix) || strings.HasPrefix(k, semconv.GenAICompletionPrefix) {
			t.Errorf("content recorded: %s", k)
		}
	}
	if _, ok := attrs(spans[0])[semconv.GenAIInputTokens]; !ok {
		t.Errorf("usage missing")
	}
}

func TestTransportError(t *testing.T) {
	srv := provider(t, 200, nil)
	srv.Close() // connection refused
	client, exp, _ := setup()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/messages", strings.NewReader(anthropicRequest))
	direct, wantErr := http.DefaultClient.Do(req.Clone(context.Background()))
	if direct != nil {
		direct.Body.Close()
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL+"/v1/messages", strings.NewReader(anthropicRequest))
	_, err := client.Do(req)
	if err == nil || wantErr == nil || err.Error() != wantErr.Error() {
		t.Errorf("err = %v, want %v", err, wantErr)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Status.Code != codes.Error {
		t.Fatalf("want one error span, got %+v", spans)
	}
}

func TestUnknownModelHasNoCost(t *testing.T) {
	body := bytes.Replace(fixture(t, "openai_chat_tool_calls.json"), []byte("gpt-4o-2024-08-06"), []byte("my-finetune-xyz"), 1)
	srv := provider(t, 200, body)
	client, exp, _ := setup()
	post(t, context.Background(), client, srv.URL+"/v1/chat/completions",
		strings.Replace(openAIRequest, `"gpt-4o"`, `"my-finetune-xyz"`, 1))
	a := attrs(exp.GetSpans()[0])
	if _, ok := a[semconv.GenAITotalCost]; ok {
		t.Errorf("unknown model priced")
	}
	if _, ok := a[semconv.GenAIInputTokens]; !ok {
		t.Errorf("usage missing")
	}
}
