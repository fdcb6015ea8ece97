package llm_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	goopenai "github.com/sashabaranov/go-openai"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/agentops-go/agentops/llm"
	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// fakeProviders is one fake of every provider: it answers a POST with the
// fixture routed to "host/path" (or to the path alone), over TLS and plain
// HTTP, and every host name resolves to it (see base). It keeps what it was
// sent.
type fakeProviders struct {
	tls, plain *httptest.Server
	mu         sync.Mutex
	requests   []string // "METHOD host/path?query"
}

func newFakeProviders(t *testing.T, routes map[string]string) *fakeProviders {
	t.Helper()
	f := &fakeProviders{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, r.Method+" "+r.Host+r.URL.RequestURI())
		f.mu.Unlock()
		name, ok := routes[r.Host+r.URL.Path]
		if !ok {
			name, ok = routes[r.URL.Path]
		}
		if !ok || r.Method != http.MethodPost {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"error":{"type":"not_found","message":"no route"}}`))
			return
		}
		writeStreamed(w, name, fixture(t, name))
	})
	f.tls, f.plain = httptest.NewTLSServer(h), httptest.NewServer(h)
	t.Cleanup(f.tls.Close)
	t.Cleanup(f.plain.Close)
	return f
}

// base is a transport whose every connection goes to the fake: port 443 to
// its TLS server, any other port to its plain one. Host names are kept, so
// the transport under test sees the providers' real hosts.
func (f *fakeProviders) base() http.RoundTripper {
	var d net.Dialer
	return &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			target := f.plain.Listener.Addr().String()
			if _, port, _ := net.SplitHostPort(addr); port == "443" {
				target = f.tls.Listener.Addr().String()
			}
			return d.DialContext(ctx, network, target)
		},
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the fake's certificate names none of the hosts
	}
}

// writeStreamed answers with a fixture as its provider would: a .sse file as
// text/event-stream and a .ndjson file as application/x-ndjson, flushed
// event by event (line by line), anything else as application/json.
func writeStreamed(w http.ResponseWriter, name string, b []byte) {
	sep, ct := "", "application/json"
	switch {
	case strings.HasSuffix(name, ".sse"):
		sep, ct = "\n\n", "text/event-stream; charset=utf-8"
	case strings.HasSuffix(name, ".ndjson"):
		sep, ct = "\n", "application/x-ndjson"
	}
	w.Header().Set("Content-Type", ct)
	if sep == "" {
		w.Write(b)
		return
	}
	for _, part := range strings.SplitAfter(string(b), sep) {
		io.WriteString(w, part)
		w.(http.Flusher).Flush()
	}
}

func (f *fakeProviders) seen() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func postJSON(t *testing.T, c *http.Client, url, body string) {
	t.Helper()
	post(t, context.Background(), c, url, body)
}

// cost is what the span should say a call cost; ok false for an unpriced model.
func cost(provider, model string, u pricing.Usage) (float64, bool) {
	m, ok := pricing.Default().Find(provider, model)
	if !ok {
		return 0, false
	}
	return m.Cost(u), true
}

func TestClientsRecordCalls(t *testing.T) {
	ctx := context.Background()
	weather := map[string]any{"type": "object", "properties": map[string]any{"location": map[string]any{"type": "string"}}}
	tests := []struct {
		name     string
		routes   map[string]string
		opts     []llm.Option
		do       func(t *testing.T, hc *http.Client, f *fakeProviders)
		spanName string
		provider string
		model    string // priced as (response model)
		usage    pricing.Usage
		priced   bool
		want     map[string]any
		absent   []string // attribute prefixes that must not be recorded
	}{
		{
			name:   "openai-go Responses.New",
			routes: map[string]string{"/v1/responses": "openai_responses_tool_call.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				c := openai.NewClient(option.WithBaseURL(f.plain.URL+"/v1/"), option.WithHTTPClient(hc), option.WithAPIKey("k"), option.WithMaxRetries(0))
				r, err := c.Responses.New(ctx, responses.ResponseNewParams{
					Model:           "o4-mini",
					Instructions:    openai.String("You are a weather bot."),
					Input:           responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Paris?")},
					MaxOutputTokens: openai.Int(512),
					Tools: []responses.ToolUnionParam{{OfFunction: &responses.FunctionToolParam{
						Name: "get_weather", Description: openai.String("Get current temperature."), Parameters: weather, Strict: openai.Bool(true)}}},
					Text: responses.ResponseTextConfigParam{Format: responses.ResponseFormatTextConfigUnionParam{
						OfJSONSchema: &responses.ResponseFormatTextJSONSchemaConfigParam{Name: "weather", Schema: weather}}},
				})
				if err != nil {
					t.Fatal(err)
				}
				if r.OutputText() != "Let me check the weather in Paris." {
					t.Errorf("client read %q", r.OutputText())
				}
			},
			spanName: "chat o4-mini", provider: "openai", model: "o4-mini-2025-04-16", priced: true,
			usage: pricing.Usage{Input: 2048, Output: 310, CacheRead: 1792, Reasoning: 256},
			want: map[string]any{
				semconv.GenAIOperationName:                   "chat",
				semconv.GenAIRequestModel:                    "o4-mini",
				semconv.GenAIResponseModel:                   "o4-mini-2025-04-16",
				semconv.GenAIResponseID:                      "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41",
				semconv.GenAIRequestMaxTokens:                int64(512),
				semconv.GenAITotalTokens:                     int64(2358),
				semconv.GenAIOutputType:                      "json",
				semconv.GenAIRequestResponseFormat:           "json_schema",
				semconv.GenAIRequestResponseSchema:           "weather",
				semconv.GenAIToolDefinitions:                 `[{"type":"function","name":"get_weather","description":"Get current temperature.","parameters":{"properties":{"location":{"type":"string"}},"type":"object"}}]`,
				"gen_ai.prompt.0.role":                       "system",
				"gen_ai.prompt.0.content":                    "You are a weather bot.",
				"gen_ai.prompt.1.role":                       "user",
				"gen_ai.prompt.1.content":                    "Weather in Paris?",
				"gen_ai.completion.0.content":                "Let me check the weather in Paris.",
				"gen_ai.completion.0.finish_reason":          "tool_calls",
				"gen_ai.completion.0.tool_calls.0.id":        "call_12345xyz",
				"gen_ai.completion.0.tool_calls.0.name":      "get_weather",
				"gen_ai.completion.0.tool_calls.0.arguments": `{"location":"Paris, France"}`,
			},
		},
		{
			name:   "openai-go Embeddings.New at api.openai.com",
			routes: map[string]string{"api.openai.com/v1/embeddings": "openai_embeddings.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				c := openai.NewClient(option.WithHTTPClient(hc), option.WithAPIKey("k"), option.WithMaxRetries(0)) // the default base URL
				r, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{
					Model:      openai.EmbeddingModelTextEmbedding3Small,
					Input:      openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"The food was delicious", "and the waiter"}},
					Dimensions: openai.Int(256),
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Data) != 2 {
					t.Errorf("client read %d vectors", len(r.Data))
				}
			},
			spanName: "embeddings text-embedding-3-small", provider: "openai", model: "text-embedding-3-small", priced: true,
			usage: pricing.Usage{Input: 8},
			want: map[string]any{
				semconv.GenAIOperationName:        "embeddings",
				semconv.GenAIEmbeddingsInputCount: int64(2),
				semconv.GenAIEmbeddingsDimensions: int64(256),
				semconv.GenAIInputTokens:          int64(8),
				semconv.GenAIOutputTokens:         int64(0),
				semconv.GenAITotalTokens:          int64(8),
			},
			absent: []string{semconv.GenAIPromptPrefix, semconv.GenAICompletionPrefix},
		},
		{
			name:   "openai-go Completions.New",
			routes: map[string]string{"/v1/completions": "openai_completions.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				c := openai.NewClient(option.WithBaseURL(f.plain.URL+"/v1/"), option.WithHTTPClient(hc), option.WithAPIKey("k"), option.WithMaxRetries(0))
				r, err := c.Completions.New(ctx, openai.CompletionNewParams{
					Model:     openai.CompletionNewParamsModelGPT3_5TurboInstruct,
					Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say this is a test")},
					MaxTokens: openai.Int(7),
					Stop:      openai.CompletionNewParamsStopUnion{OfStringArray: []string{"\n\n\n", "END"}},
				})
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Choices) != 1 || r.Choices[0].Text != "\n\nThis is indeed a test" {
					t.Errorf("client read %+v", r.Choices)
				}
			},
			spanName: "text_completion gpt-3.5-turbo-instruct", provider: "openai", model: "gpt-3.5-turbo-instruct", priced: true,
			usage: pricing.Usage{Input: 5, Output: 7},
			want: map[string]any{
				semconv.GenAIOperationName:          "text_completion",
				semconv.GenAIRequestMaxTokens:       int64(7),
				semconv.GenAIRequestStopSequences:   []string{"\n\n\n", "END"},
				"gen_ai.prompt.0.content":           "Say this is a test",
				"gen_ai.completion.0.content":       "\n\nThis is indeed a test",
				"gen_ai.completion.0.finish_reason": "length",
			},
		},
		{
			name:   "go-openai CreateChatCompletion on Azure",
			routes: map[string]string{"myres.openai.azure.com/openai/deployments/gpt-4o/chat/completions": "azure_chat_completion.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				cfg := goopenai.DefaultAzureConfig("k", "https://myres.openai.azure.com/")
				cfg.HTTPClient = hc
				r, err := goopenai.NewClientWithConfig(cfg).CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
					Model:          "gpt-4o",
					Messages:       []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Does Azure OpenAI support customer managed keys?"}},
					Stop:           []string{"###"},
					ResponseFormat: &goopenai.ChatCompletionResponseFormat{Type: goopenai.ChatCompletionResponseFormatTypeJSONObject},
				})
				if err != nil {
					t.Fatal(err)
				}
				if r.Choices[0].Message.Content != "Yes, Azure OpenAI supports customer managed keys." {
					t.Errorf("client read %+v", r.Choices)
				}
				if s := f.seen(); len(s) != 1 || !strings.HasSuffix(s[0], "/chat/completions?api-version=2023-05-15") {
					t.Errorf("server saw %q", s)
				}
			},
			spanName: "chat gpt-4o", provider: "azure.ai.openai", model: "gpt-4o-2024-11-20", priced: true,
			usage: pricing.Usage{Input: 33, Output: 11},
			want: map[string]any{
				semconv.GenAIRequestModel:          "gpt-4o",
				semconv.GenAIResponseModel:         "gpt-4o-2024-11-20",
				semconv.GenAIRequestStopSequences:  []string{"###"},
				semconv.GenAIOutputType:            "json",
				semconv.GenAIRequestResponseFormat: "json_object",
			},
		},
		{
			name:   "go-openai CreateEmbeddings on Azure",
			routes: map[string]string{"myres.openai.azure.com/openai/deployments/text-embedding-3-small/embeddings": "openai_embeddings.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				cfg := goopenai.DefaultAzureConfig("k", "https://myres.openai.azure.com/")
				cfg.HTTPClient = hc
				r, err := goopenai.NewClientWithConfig(cfg).CreateEmbeddings(ctx, goopenai.EmbeddingRequestStrings{
					Input: []string{"a", "b"}, Model: goopenai.SmallEmbedding3})
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Data) != 2 {
					t.Errorf("client read %d vectors", len(r.Data))
				}
			},
			spanName: "embeddings text-embedding-3-small", provider: "azure.ai.openai", model: "text-embedding-3-small", priced: true,
			usage: pricing.Usage{Input: 8},
			want:  map[string]any{semconv.GenAIOperationName: "embeddings", semconv.GenAIEmbeddingsInputCount: int64(2)},
		},
		{
			name:   "go-openai CreateCompletion on a vLLM host",
			routes: map[string]string{"gpu-box:8000/v1/completions": "vllm_completions.json"},
			opts:   []llm.Option{llm.WithHostProvider("gpu-box:8000", llm.ProviderVLLM)},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				cfg := goopenai.DefaultConfig("k")
				cfg.BaseURL, cfg.HTTPClient = "http://gpu-box:8000/v1", hc
				r, err := goopenai.NewClientWithConfig(cfg).CreateCompletion(ctx, goopenai.CompletionRequest{
					Model: "meta-llama/Llama-3.1-8B-Instruct", Prompt: "San Francisco is a", MaxTokens: 16, Temperature: 0.5})
				if err != nil {
					t.Fatal(err)
				}
				if r.Choices[0].Text != " San Francisco is a city in California." {
					t.Errorf("client read %+v", r.Choices)
				}
			},
			spanName: "text_completion meta-llama/Llama-3.1-8B-Instruct", provider: "vllm", model: "meta-llama/Llama-3.1-8B-Instruct",
			usage: pricing.Usage{Input: 5, Output: 9},
			want: map[string]any{
				semconv.GenAIRequestTemperature: 0.5,
				semconv.GenAIRequestMaxTokens:   int64(16),
				semconv.GenAIInputTokens:        int64(5),
			},
		},
		{
			name:   "go-openai on Groq",
			routes: map[string]string{"api.groq.com/openai/v1/chat/completions": "groq_chat.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				cfg := goopenai.DefaultConfig("k")
				cfg.BaseURL, cfg.HTTPClient = "https://api.groq.com/openai/v1", hc
				if _, err := goopenai.NewClientWithConfig(cfg).CreateChatCompletion(ctx, goopenai.ChatCompletionRequest{
					Model:    "llama-3.3-70b-versatile",
					Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Why are fast models useful?"}},
				}); err != nil {
					t.Fatal(err)
				}
			},
			spanName: "chat llama-3.3-70b-versatile", provider: "groq", model: "llama-3.3-70b-versatile", priced: true,
			usage: pricing.Usage{Input: 18, Output: 556},
			want:  map[string]any{"gen_ai.completion.0.content": "Fast language models give low latency."},
		},
		{
			name:   "go-openai embeddings on Mistral",
			routes: map[string]string{"api.mistral.ai/v1/embeddings": "mistral_embeddings.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				cfg := goopenai.DefaultConfig("k")
				cfg.BaseURL, cfg.HTTPClient = "https://api.mistral.ai/v1", hc
				if _, err := goopenai.NewClientWithConfig(cfg).CreateEmbeddings(ctx, goopenai.EmbeddingRequestStrings{
					Input: []string{"Embed this sentence.", "As well as this one."}, Model: "mistral-embed"}); err != nil {
					t.Fatal(err)
				}
			},
			spanName: "embeddings mistral-embed", provider: "mistral_ai", model: "mistral-embed", priced: true,
			usage: pricing.Usage{Input: 15},
			want:  map[string]any{semconv.GenAIEmbeddingsInputCount: int64(2)},
		},
		{
			name:   "openai-go on DeepSeek with cache hits and reasoning",
			routes: map[string]string{"api.deepseek.com/chat/completions": "deepseek_chat_cache.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				c := openai.NewClient(option.WithBaseURL("https://api.deepseek.com/"), option.WithHTTPClient(hc), option.WithAPIKey("k"), option.WithMaxRetries(0))
				if _, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
					Model:    "deepseek-v4-pro",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("9.11 and 9.8, which is greater?")},
				}); err != nil {
					t.Fatal(err)
				}
			},
			spanName: "chat deepseek-v4-pro", provider: "deepseek", model: "deepseek-v4-pro", priced: true,
			usage: pricing.Usage{Input: 1200, Output: 300, CacheRead: 1024, Reasoning: 250},
			want:  map[string]any{semconv.GenAICacheReadTokens: int64(1024), semconv.GenAIReasoningTokens: int64(250)},
		},
		{
			name:   "openai-go streaming on DeepSeek: cache hits from prompt_cache_hit_tokens",
			routes: map[string]string{"api.deepseek.com/chat/completions": "deepseek_chat_stream.sse"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				c := openai.NewClient(option.WithBaseURL("https://api.deepseek.com/"), option.WithHTTPClient(hc), option.WithAPIKey("k"), option.WithMaxRetries(0))
				stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
					Model:         "deepseek-v4-pro",
					Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hi")},
					StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
				})
				for stream.Next() {
				}
				if err := stream.Err(); err != nil {
					t.Fatal(err)
				}
				stream.Close()
			},
			spanName: "chat deepseek-v4-pro", provider: "deepseek", model: "deepseek-v4-pro", priced: true,
			usage: pricing.Usage{Input: 64, Output: 3, CacheRead: 60},
			want: map[string]any{semconv.GenAICacheReadTokens: int64(60), semconv.GenAITotalTokens: int64(67),
				"gen_ai.completion.0.content": "Hello!"},
		},
		{
			name:   "go-openai streaming on Groq: usage from x_groq.usage",
			routes: map[string]string{"api.groq.com/openai/v1/chat/completions": "groq_chat_stream.sse"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				cfg := goopenai.DefaultConfig("k")
				cfg.BaseURL, cfg.HTTPClient = "https://api.groq.com/openai/v1", hc
				stream, err := goopenai.NewClientWithConfig(cfg).CreateChatCompletionStream(ctx, goopenai.ChatCompletionRequest{
					Model:    "llama-3.3-70b-versatile",
					Messages: []goopenai.ChatCompletionMessage{{Role: goopenai.ChatMessageRoleUser, Content: "Why are fast models useful?"}},
					Stream:   true,
				})
				if err != nil {
					t.Fatal(err)
				}
				for {
					if _, err := stream.Recv(); err != nil {
						if err != io.EOF {
							t.Fatal(err)
						}
						break
					}
				}
				stream.Close()
			},
			spanName: "chat llama-3.3-70b-versatile", provider: "groq", model: "llama-3.3-70b-versatile", priced: true,
			usage: pricing.Usage{Input: 18, Output: 6},
			want: map[string]any{semconv.GenAITotalTokens: int64(24),
				"gen_ai.completion.0.content": "Fast models keep latency low."},
			absent: []string{semconv.LLMUsageUnreported},
		},
		{
			name:   "openai-go on OpenRouter",
			routes: map[string]string{"openrouter.ai/api/v1/chat/completions": "openrouter_chat.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				c := openai.NewClient(option.WithBaseURL("https://openrouter.ai/api/v1/"), option.WithHTTPClient(hc), option.WithAPIKey("k"), option.WithMaxRetries(0))
				if _, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
					Model:    "openai/gpt-4o",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is the meaning of life?")},
				}); err != nil {
					t.Fatal(err)
				}
			},
			spanName: "chat openai/gpt-4o", provider: "openrouter", model: "openai/gpt-4o", priced: true,
			usage: pricing.Usage{Input: 14, Output: 9},
		},
		{
			name:   "net/http Gemini generateContent",
			routes: map[string]string{"generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent": "gemini_generate_tool_call.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				postJSON(t, hc, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent", `{
					"system_instruction": {"parts": [{"text": "You are a weather assistant."}]},
					"contents": [{"role": "user", "parts": [{"text": "What is the weather in Boston?"}]}],
					"tools": [{"functionDeclarations": [{"name": "get_current_weather", "description": "Weather now",
						"parameters": {"type": "object", "properties": {"location": {"type": "string"}}}}]}],
					"generationConfig": {"temperature": 0.2, "maxOutputTokens": 1024, "stopSequences": ["END"]}}`)
			},
			spanName: "generate_content gemini-2.5-flash", provider: "gcp.gemini", model: "gemini-2.5-flash", priced: true,
			usage: pricing.Usage{Input: 4321, Output: 121, CacheRead: 4096, Reasoning: 100},
			want: map[string]any{
				semconv.GenAIOperationName:                   "generate_content",
				semconv.GenAIRequestModel:                    "gemini-2.5-flash",
				semconv.GenAIResponseID:                      "mAitaLmkHPPlz7IPvtfUqQ4",
				semconv.GenAIRequestTemperature:              0.2,
				semconv.GenAIRequestMaxTokens:                int64(1024),
				semconv.GenAIRequestStopSequences:            []string{"END"},
				semconv.GenAITotalTokens:                     int64(4442),
				semconv.GenAIToolDefinitions:                 `[{"type":"function","name":"get_current_weather","description":"Weather now","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}]`,
				semconv.GenAIResponseFinish:                  []string{"STOP"},
				"gen_ai.prompt.0.role":                       "system",
				"gen_ai.prompt.0.content":                    "You are a weather assistant.",
				"gen_ai.prompt.1.content":                    "What is the weather in Boston?",
				"gen_ai.completion.0.content":                "I'll look that up.",
				"gen_ai.completion.0.tool_calls.0.name":      "get_current_weather",
				"gen_ai.completion.0.tool_calls.0.arguments": `{"location":"Boston, MA"}`,
			},
		},
		{
			name:   "net/http Vertex AI generateContent",
			routes: map[string]string{"us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:generateContent": "vertex_generate.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				postJSON(t, hc, "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:generateContent",
					`{"contents": {"role": "user", "parts": [{"text": "Why is the sky blue?"}]}}`)
			},
			spanName: "generate_content gemini-2.0-flash-001", provider: "gcp.vertex_ai", model: "gemini-2.0-flash-001", priced: true,
			usage: pricing.Usage{Input: 6, Output: 10},
			want:  map[string]any{"gen_ai.completion.0.content": "The sky appears blue due to Rayleigh scattering."},
		},
		{
			name:   "net/http Ollama /api/chat",
			routes: map[string]string{"localhost:11434/api/chat": "ollama_chat.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				postJSON(t, hc, "http://localhost:11434/api/chat", `{"model": "llama3.2", "stream": false,
					"messages": [{"role": "user", "content": "What is the weather today in Paris?"}],
					"options": {"temperature": 0, "num_predict": 128},
					"tools": [{"type": "function", "function": {"name": "get_current_weather", "parameters": {"type": "object"}}}]}`)
			},
			spanName: "chat llama3.2", provider: "ollama", model: "llama3.2",
			usage: pricing.Usage{Input: 122, Output: 33},
			want: map[string]any{
				semconv.GenAIRequestTemperature:              0.0,
				semconv.GenAIRequestMaxTokens:                int64(128),
				semconv.GenAITotalTokens:                     int64(155),
				"gen_ai.completion.0.tool_calls.0.name":      "get_current_weather",
				"gen_ai.completion.0.tool_calls.0.arguments": `{"format":"celsius","location":"Paris, FR"}`,
			},
		},
		{
			name:   "net/http Ollama /api/generate",
			routes: map[string]string{"localhost:11434/api/generate": "ollama_generate.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				postJSON(t, hc, "http://localhost:11434/api/generate", `{"model": "llama3.2", "prompt": "Why is the sky blue?", "stream": false}`)
			},
			spanName: "text_completion llama3.2", provider: "ollama", model: "llama3.2",
			usage: pricing.Usage{Input: 26, Output: 290},
			want:  map[string]any{"gen_ai.completion.0.content": "The sky is blue because of Rayleigh scattering."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := recordOne(t, tt.routes, tt.opts, tt.do, tt.spanName)
			a := attrs(s)
			want := map[string]any{
				semconv.SpanKind:          semconv.KindLLM,
				semconv.GenAIProviderName: tt.provider,
				semconv.GenAIInputTokens:  tt.usage.Input,
				semconv.GenAIOutputTokens: tt.usage.Output,
			}
			for k, v := range tt.want {
				want[k] = v
			}
			for k, w := range want {
				if got, ok := a[k]; !ok || !sameValue(got, w) {
					t.Errorf("%s = %v (present %v), want %v", k, got.Emit(), ok, w)
				}
			}
			for _, p := range tt.absent {
				for k := range a {
					if strings.HasPrefix(k, p) {
						t.Errorf("%s recorded", k)
					}
				}
			}
			wantCost, priced := cost(tt.provider, tt.model, tt.usage)
			got, recorded := a[semconv.GenAITotalCost]
			switch {
			case priced != tt.priced:
				t.Errorf("%s %s priced by the table: %v, want %v", tt.provider, tt.model, priced, tt.priced)
			case !priced && recorded:
				t.Errorf("unpriced model has cost %v", got.AsFloat64())
			case priced && (!recorded || wantCost == 0 || math.Abs(got.AsFloat64()-wantCost) > 1e-12):
				t.Errorf("cost = %v, want %v", got.AsFloat64(), wantCost)
			}
		})
	}
}

// sameValue compares a recorded attribute with a wanted Go value.
func sameValue(v attribute.Value, want any) bool {
	switch w := want.(type) {
	case string:
		if v.Type() == attribute.STRING && strings.HasPrefix(w, "[{") { // JSON: compare as values
			var a, b any
			return json.Unmarshal([]byte(v.AsString()), &a) == nil && json.Unmarshal([]byte(w), &b) == nil &&
				jsonEqual(a, b)
		}
		return v.Type() == attribute.STRING && v.AsString() == w
	case int64:
		return v.Type() == attribute.INT64 && v.AsInt64() == w
	case float64:
		return v.Type() == attribute.FLOAT64 && v.AsFloat64() == w
	case []string:
		return v.Type() == attribute.STRINGSLICE && strings.Join(v.AsStringSlice(), "\x00") == strings.Join(w, "\x00")
	}
	return false
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a) // encoding/json sorts map keys
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestAnthropicCountTokensPassesThrough(t *testing.T) {
	f := newFakeProviders(t, map[string]string{"api.anthropic.com/v1/messages/count_tokens": "anthropic_count_tokens.json"})
	exp := newExporter()
	hc := &http.Client{Transport: llm.Transport(f.base(), llm.WithTracerProvider(tracerProvider(exp)))}
	c := anthropic.NewClient(anthropicoption.WithHTTPClient(hc), anthropicoption.WithAPIKey("k"), anthropicoption.WithMaxRetries(0))
	r, err := c.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
		Model:    "claude-sonnet-4-5",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello, world"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.InputTokens != 14 {
		t.Errorf("client read %d tokens", r.InputTokens)
	}
	if s := f.seen(); len(s) != 1 || s[0] != "POST api.anthropic.com/v1/messages/count_tokens" {
		t.Errorf("server saw %q", s)
	}
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("count_tokens recorded as %d spans", n)
	}
}

// recordOne has do call the fake providers serving routes through the
// transport (with opts) and returns the one span recorded, checking its name.
func recordOne(t *testing.T, routes map[string]string, opts []llm.Option,
	do func(*testing.T, *http.Client, *fakeProviders), spanName string) tracetest.SpanStub {
	t.Helper()
	f := newFakeProviders(t, routes)
	exp := newExporter()
	hc := &http.Client{Transport: llm.Transport(f.base(), append([]llm.Option{llm.WithTracerProvider(tracerProvider(exp))}, opts...)...)}
	do(t, hc, f)
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1 (server saw %q)", len(spans), f.seen())
	}
	if spans[0].Name != spanName {
		t.Errorf("span name %q, want %q", spans[0].Name, spanName)
	}
	return spans[0]
}

func tracerProvider(exp exporter) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
}

// TestToolDefinitionsWithoutContent checks that tool definitions are
// recorded without content capture (they are the program's, not the user's)
// and are cut to the content cap by dropping schemas, staying valid JSON.
func TestToolDefinitionsWithoutContent(t *testing.T) {
	f := newFakeProviders(t, map[string]string{"/v1/chat/completions": "openai_chat_tool_calls.json"})
	exp := newExporter()
	hc := &http.Client{Transport: llm.Transport(f.base(), llm.WithTracerProvider(tracerProvider(exp)),
		llm.WithContentCapture(false), llm.WithMaxContentBytes(120))}
	postJSON(t, hc, "https://api.openai.com/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"secret"}],
		"tools":[{"type":"function","function":{"name":"get_current_weather","description":"Weather now",
			"parameters":{"type":"object","properties":{"location":{"type":"string","description":"City and state"}}}}}]}`)
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans", len(spans))
	}
	a := attrs(spans[0])
	got := a[semconv.GenAIToolDefinitions].AsString()
	if want := `[{"type":"function","name":"get_current_weather","description":"Weather now"}]`; got != want {
		t.Errorf("tool definitions %s, want %s", got, want)
	}
	for k := range a {
		if strings.HasPrefix(k, semconv.GenAIPromptPrefix) || strings.HasPrefix(k, semconv.GenAICompletionPrefix) {
			t.Errorf("content recorded: %s", k)
		}
	}
}

func TestProviderErrorsRecorded(t *testing.T) {
	tests := []struct {
		name, fixture, path, body string
		status                    int
		opts                      []llm.Option
		wantType, wantMsg         string
	}{
		{"gemini 429", "gemini_error_429.json", "/v1beta/models/gemini-2.5-flash:generateContent",
			`{"contents":[{"parts":[{"text":"hi"}]}]}`, 429, nil,
			"RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."},
		{"ollama 404", "ollama_error_404.json", "/api/chat",
			`{"model":"llama9","stream":false,"messages":[{"role":"user","content":"hi"}]}`, 404, []llm.Option{llm.WithProvider(llm.ProviderOllama)},
			"404", `model "llama9" not found, try pulling it first`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := provider(t, tt.status, fixture(t, tt.fixture))
			client, exp, _ := setup(tt.opts...)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+tt.path, strings.NewReader(tt.body))
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || string(got) != string(fixture(t, tt.fixture)) {
				t.Errorf("caller got %d %s", resp.StatusCode, got)
			}
			spans := exp.GetSpans()
			if len(spans) != 1 {
				t.Fatalf("got %d spans", len(spans))
			}
			a := attrs(spans[0])
			if a[semconv.ErrorType].AsString() != tt.wantType || a[semconv.ErrorMessage].AsString() != tt.wantMsg {
				t.Errorf("error %q %q, want %q %q", a[semconv.ErrorType].AsString(), a[semconv.ErrorMessage].AsString(), tt.wantType, tt.wantMsg)
			}
			if spans[0].Status.Code != codes.Error || spans[0].Status.Description != tt.wantMsg {
				t.Errorf("status %v %q", spans[0].Status.Code, spans[0].Status.Description)
			}
		})
	}
}
