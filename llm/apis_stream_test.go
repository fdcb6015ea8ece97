// This file tests the stream parsers of the llm-apis branch end to end,
// through the streaming transport of the llm-stream branch. It was checked
// against a local merge of both; remove the build constraint when merging.

package llm_test

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	goopenai "github.com/sashabaranov/go-openai"

	"github.com/agentops-go/agentops/llm"
	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

func TestStreamedCallsRecorded(t *testing.T) {
	ctx := context.Background()
	readAll := func(t *testing.T, hc *http.Client, url, body string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadAll(resp.Body); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	tests := []struct {
		name     string
		routes   map[string]string
		opts     []llm.Option
		do       func(t *testing.T, hc *http.Client, f *fakeProviders)
		spanName string
		provider string
		model    string
		usage    *pricing.Usage // nil: the provider sent none
		chunks   int64
		want     map[string]any
	}{
		{
			name:   "openai-go Responses.NewStreaming",
			routes: map[string]string{"api.openai.com/v1/responses": "openai_responses_stream.sse"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				c := openai.NewClient(option.WithHTTPClient(hc), option.WithAPIKey("k"), option.WithMaxRetries(0))
				s := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{
					Model: "gpt-4.1",
					Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Paris?")},
				})
				n := 0
				for s.Next() {
					n++
				}
				if err := s.Err(); err != nil || n != 14 {
					t.Fatalf("client read %d events, err %v", n, err)
				}
				s.Close()
			},
			spanName: "chat gpt-4.1", provider: "openai", model: "gpt-4.1-2025-04-14",
			usage: &pricing.Usage{Input: 37, Output: 24}, chunks: 14,
			want: map[string]any{
				semconv.GenAIResponseID:                      "resp_stream_1",
				"gen_ai.completion.0.content":                "Checking Paris.",
				"gen_ai.completion.0.tool_calls.0.id":        "call_abc",
				"gen_ai.completion.0.tool_calls.0.arguments": `{"location":"Paris"}`,
				"gen_ai.completion.0.finish_reason":          "tool_calls",
			},
		},
		{
			name:   "openai-go Completions.NewStreaming with usage",
			routes: map[string]string{"api.openai.com/v1/completions": "openai_completions_stream.sse"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				c := openai.NewClient(option.WithHTTPClient(hc), option.WithAPIKey("k"), option.WithMaxRetries(0))
				s := c.Completions.NewStreaming(ctx, openai.CompletionNewParams{
					Model:         openai.CompletionNewParamsModelGPT3_5TurboInstruct,
					Prompt:        openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say this is a test")},
					StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
				})
				for s.Next() {
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				s.Close()
			},
			spanName: "text_completion gpt-3.5-turbo-instruct", provider: "openai", model: "gpt-3.5-turbo-instruct",
			usage: &pricing.Usage{Input: 5, Output: 4}, chunks: 4, // [DONE] is the framing's, not an event
			want: map[string]any{"gen_ai.completion.0.content": "This is a test", "gen_ai.completion.0.finish_reason": "stop"},
		},
		{
			name:   "go-openai CreateCompletionStream on vLLM",
			routes: map[string]string{"gpu-box:8000/v1/completions": "openai_completions_stream.sse"},
			opts:   []llm.Option{llm.WithHostProvider("gpu-box:8000", llm.ProviderVLLM)},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				cfg := goopenai.DefaultConfig("k")
				cfg.BaseURL, cfg.HTTPClient = "http://gpu-box:8000/v1", hc
				s, err := goopenai.NewClientWithConfig(cfg).CreateCompletionStream(ctx, goopenai.CompletionRequest{
					Model: "gpt-3.5-turbo-instruct", Prompt: "Say this is a test", Stream: true})
				if err != nil {
					t.Fatal(err)
				}
				for {
					if _, err := s.Recv(); errors.Is(err, io.EOF) {
						break
					} else if err != nil {
						t.Fatal(err)
					}
				}
				s.Close()
			},
			spanName: "text_completion gpt-3.5-turbo-instruct", provider: "vllm", model: "gpt-3.5-turbo-instruct",
			usage: &pricing.Usage{Input: 5, Output: 4}, chunks: 4,
			want: map[string]any{"gen_ai.completion.0.content": "This is a test"},
		},
		{
			name:   "net/http Gemini streamGenerateContent alt=sse",
			routes: map[string]string{"generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent": "gemini_stream.sse"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				readAll(t, hc, "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse",
					`{"contents":[{"parts":[{"text":"Write a story about a magic backpack."}]}]}`)
			},
			spanName: "generate_content gemini-2.0-flash", provider: "gcp.gemini", model: "gemini-2.0-flash",
			usage: &pricing.Usage{Input: 9, Output: 11}, chunks: 3,
			want: map[string]any{"gen_ai.completion.0.content": "Once upon a time, a tiny robot woke up.", semconv.GenAIResponseID: "Zk3JaKq8Bq7gz7IPp4G1mAE"},
		},
		{
			name:   "net/http Vertex AI streamGenerateContent as a JSON array",
			routes: map[string]string{"us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:streamGenerateContent": "gemini_stream_array.json"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				readAll(t, hc, "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:streamGenerateContent",
					`{"contents":[{"role":"user","parts":[{"text":"Weather in Boston?"}]}]}`)
			},
			spanName: "generate_content gemini-2.0-flash-001", provider: "gcp.vertex_ai", model: "gemini-2.0-flash-001",
			usage: &pricing.Usage{Input: 30, Output: 12}, chunks: 2,
			want: map[string]any{"gen_ai.completion.0.content": "Let me check.", "gen_ai.completion.0.tool_calls.0.name": "get_current_weather"},
		},
		{
			name:   "net/http Ollama /api/chat streams by default",
			routes: map[string]string{"localhost:11434/api/chat": "ollama_chat_stream.ndjson"},
			do: func(t *testing.T, hc *http.Client, f *fakeProviders) {
				readAll(t, hc, "http://localhost:11434/api/chat", `{"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}]}`)
			},
			spanName: "chat llama3.2", provider: "ollama", model: "llama3.2",
			usage: &pricing.Usage{Input: 26, Output: 282}, chunks: 4,
			want: map[string]any{"gen_ai.completion.0.content": "The sky is blue.", "gen_ai.completion.0.finish_reason": "stop"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := recordOne(t, tt.routes, tt.opts, tt.do, tt.spanName)
			a := attrs(s)
			want := map[string]any{
				semconv.GenAIProviderName:  tt.provider,
				semconv.GenAIRequestStream: true,
				semconv.LLMStreamChunks:    tt.chunks,
			}
			if tt.usage != nil {
				want[semconv.GenAIInputTokens] = tt.usage.Input
				want[semconv.GenAIOutputTokens] = tt.usage.Output
			}
			for k, v := range tt.want {
				want[k] = v
			}
			for k, w := range want {
				got, ok := a[k]
				if b, isBool := w.(bool); isBool {
					if !ok || got.AsBool() != b {
						t.Errorf("%s = %v, want %v", k, got.Emit(), b)
					}
					continue
				}
				if !ok || !sameValue(got, w) {
					t.Errorf("%s = %v (present %v), want %v", k, got.Emit(), ok, w)
				}
			}
			for _, k := range []string{semconv.LLMTimeToFirstToken, semconv.GenAITimeToFirstChunk} {
				if _, ok := a[k]; !ok {
					t.Errorf("%s missing", k)
				}
			}
			if _, ok := a[semconv.LLMStreamAbandoned]; ok {
				t.Errorf("stream read to its end recorded as abandoned")
			}
			if tt.usage != nil {
				wantCost, priced := cost(tt.provider, tt.model, *tt.usage)
				got, recorded := a[semconv.GenAITotalCost]
				if priced != recorded || (priced && math.Abs(got.AsFloat64()-wantCost) > 1e-12) {
					t.Errorf("cost %v (recorded %v), want %v (priced %v)", got.AsFloat64(), recorded, wantCost, priced)
				}
			}
		})
	}
}
