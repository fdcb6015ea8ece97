package llm

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMatch(t *testing.T) {
	tests := []struct {
		path   string
		want   *endpoint
		model  string
		stream bool
	}{
		{"/v1/chat/completions", openAIChat, "", false},
		{"/v1/chat/completions/", openAIChat, "", false},
		{"/openai/v1/chat/completions", openAIChat, "", false},                           // Groq, Azure v1
		{"/api/v1/chat/completions", openAIChat, "", false},                              // OpenRouter
		{"/chat/completions", openAIChat, "", false},                                     // DeepSeek
		{"/openai/deployments/my-gpt4o/chat/completions", openAIChat, "my-gpt4o", false}, // Azure
		{"/openai/deployments/emb/embeddings", openAIEmbeddings, "emb", false},
		{"/v1/responses", openAIResponses, "", false},
		{"/v1/completions", openAICompletions, "", false},
		{"/v1/embeddings", openAIEmbeddings, "", false},
		{"/v1/messages", anthropicMessages, "", false},
		{"/api/chat", ollamaChat, "", false},
		{"/api/generate", ollamaGenerate, "", false},
		{"/v1beta/models/gemini-2.5-flash:generateContent", geminiGenerate, "gemini-2.5-flash", false},
		{"/v1beta/models/gemini-2.0-flash:streamGenerateContent", geminiGenerate, "gemini-2.0-flash", true},
		{"/v1beta/tunedModels/my-tune:generateContent", geminiGenerate, "my-tune", false},
		{"/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001:streamGenerateContent",
			geminiGenerate, "gemini-2.0-flash-001", true},

		{"/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict",
			anthropicMessages, "claude-sonnet-4-5@20250929", false},
		{"/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict",
			anthropicMessages, "claude-sonnet-4-5@20250929", true},
		{"/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:countTokens", nil, "", false},
		{"/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:rawPredict", nil, "", false},
		{"/v1/messages/count_tokens", nil, "", false},
		{"/v1/messages/batches", nil, "", false},
		{"/v1/responses/resp_123/cancel", nil, "", false},
		{"/v1/responses/input_tokens", nil, "", false},
		{"/v1/moderations", nil, "", false},
		{"/v1beta/models/gemini-2.0-flash:countTokens", nil, "", false},
		{"/v1beta/models/gemini-2.0-flash:embedContent", nil, "", false},
		{"/v1beta/files/abc:generateContent", nil, "", false},
		{"/api/tags", nil, "", false},
		{"/messages", nil, "", false},
		{"/", nil, "", false},
		{"", nil, "", false},
	}
	for _, tt := range tests {
		e, r := match(tt.path)
		if e != tt.want || r.model != tt.model || r.stream != tt.stream {
			t.Errorf("match(%q) = %p %+v, want %p model %q stream %v", tt.path, e, r, tt.want, tt.model, tt.stream)
		}
	}
}

func TestProviderFor(t *testing.T) {
	custom := newConfig([]Option{
		WithHostProvider("gpu-box:8000", ProviderVLLM),
		WithHostProvider("Inference.Local", "my_gateway"),
		WithHostProvider("*.models.example.com", ProviderTogether),
		WithHostProvider("api.openai.com", "proxy"), // mappings win over the built-in table
		WithHostProvider("fd00::7", "v6box"),
	})
	forced := newConfig([]Option{WithProvider(ProviderVLLM), WithHostProvider("gpu-box:8000", "other")})
	builtin := newConfig(nil)
	tests := []struct {
		cfg            *config
		host, fallback string
		want           string
	}{
		{&builtin, "api.openai.com", ProviderOpenAI, ProviderOpenAI},
		{&builtin, "API.OpenAI.com:443", ProviderOpenAI, ProviderOpenAI},
		{&builtin, "myres.openai.azure.com", ProviderOpenAI, ProviderAzureOpenAI},
		{&builtin, "myres.cognitiveservices.azure.com", ProviderOpenAI, ProviderAzureOpenAI},
		{&builtin, "api.anthropic.com", ProviderAnthropic, ProviderAnthropic},
		{&builtin, "generativelanguage.googleapis.com", ProviderGemini, ProviderGemini},
		{&builtin, "us-central1-aiplatform.googleapis.com", ProviderGemini, ProviderVertexAI},
		{&builtin, "aiplatform.googleapis.com", ProviderGemini, ProviderVertexAI},
		{&builtin, "api.groq.com", ProviderOpenAI, ProviderGroq},
		{&builtin, "api.mistral.ai", ProviderOpenAI, ProviderMistral},
		{&builtin, "api.together.xyz", ProviderOpenAI, ProviderTogether},
		{&builtin, "api.deepseek.com", ProviderOpenAI, ProviderDeepSeek},
		{&builtin, "openrouter.ai", ProviderOpenAI, ProviderOpenRouter},
		{&builtin, "api.x.ai", ProviderOpenAI, ProviderXAI},
		{&builtin, "localhost:11434", ProviderOpenAI, ProviderOllama},
		{&builtin, "ollama.com", ProviderOllama, ProviderOllama},
		{&builtin, "myproj.services.ai.azure.com", ProviderOpenAI, ProviderAzureAI},
		{&builtin, "api.cerebras.ai", ProviderOpenAI, ProviderCerebras},
		{&builtin, "api.cohere.ai", ProviderOpenAI, ProviderCohere},
		{&builtin, "10.0.0.7:11434", ProviderOllama, ProviderOllama},
		{&builtin, "127.0.0.1:8000", ProviderOpenAI, ProviderOpenAI},
		{&builtin, "[::1]:11434", ProviderOpenAI, ProviderOllama},
		{&builtin, "[::1]", ProviderOpenAI, ProviderOpenAI},
		{&custom, "[fd00::7]:8000", ProviderOpenAI, "v6box"},
		{&custom, "[fd00::7]:8001", ProviderOpenAI, "v6box"},
		{&builtin, "evil-api.openai.com.example.net", ProviderOpenAI, ProviderOpenAI},
		{&custom, "gpu-box:8000", ProviderOpenAI, ProviderVLLM},
		{&custom, "gpu-box:9000", ProviderOpenAI, ProviderOpenAI},
		{&custom, "inference.local:1234", ProviderOpenAI, "my_gateway"},
		{&custom, "a.b.models.example.com", ProviderOpenAI, ProviderTogether},
		{&custom, "models.example.com", ProviderOpenAI, ProviderOpenAI},
		{&custom, "api.openai.com", ProviderOpenAI, "proxy"},
		{&custom, "api.groq.com", ProviderOpenAI, ProviderGroq},
		{&forced, "gpu-box:8000", ProviderOpenAI, ProviderVLLM},
		{&forced, "api.anthropic.com", ProviderAnthropic, ProviderVLLM},
	}
	for _, tt := range tests {
		if got := tt.cfg.providerFor(tt.host, tt.fallback); got != tt.want {
			t.Errorf("providerFor(%q, %q) = %q, want %q", tt.host, tt.fallback, got, tt.want)
		}
	}
}

func TestRecognise(t *testing.T) {
	tr := Transport(nil, WithHostProvider("ollama.lan", ProviderOllama)).(*transport)
	tests := []struct {
		name, method, url, body string
		provider, model         string // provider "" means not recognised
		op                      string
		stream                  bool
	}{
		{"openai chat", "POST", "https://api.openai.com/v1/chat/completions", `{"model":"gpt-4o","messages":[]}`, "openai", "gpt-4o", "chat", false},
		{"azure deployment names the model", "POST", "https://r.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21",
			`{"messages":[{"role":"user","content":"hi"}]}`, ProviderAzureOpenAI, "prod-4o", "chat", false},
		{"azure body model wins", "POST", "https://r.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21",
			`{"model":"gpt-4o","messages":[]}`, ProviderAzureOpenAI, "gpt-4o", "chat", false},
		{"gemini", "POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent",
			`{"contents":[{"parts":[{"text":"hi"}]}]}`, ProviderGemini, "gemini-2.5-flash", "generate_content", false},
		{"gemini stream", "POST", "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
			`{"contents":[{"parts":[{"text":"hi"}]}]}`, ProviderGemini, "gemini-2.5-flash", "generate_content", true},
		{"vertex", "POST", "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4/publishers/google/models/gemini-2.0-flash-001:generateContent",
			`{"contents":[]}`, ProviderVertexAI, "gemini-2.0-flash-001", "generate_content", false},
		{"claude on vertex", "POST", "https://us-east5-aiplatform.googleapis.com/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict",
			`{"anthropic_version":"vertex-2023-10-16","max_tokens":256,"messages":[{"role":"user","content":"hi"}]}`, ProviderVertexAI, "claude-sonnet-4-5@20250929", "chat", false},
		{"ollama native on its port", "POST", "http://localhost:11434/api/chat", `{"model":"llama3.2","messages":[]}`, ProviderOllama, "llama3.2", "chat", true},
		{"ollama cloud", "POST", "https://ollama.com/api/chat", `{"model":"gpt-oss:120b","messages":[],"stream":false}`, ProviderOllama, "gpt-oss:120b", "chat", false},
		{"ollama native on a mapped host", "POST", "http://ollama.lan/api/generate", `{"model":"llama3.2","prompt":"hi","stream":false}`, ProviderOllama, "llama3.2", "text_completion", false},
		{"ollama openai-compatible", "POST", "http://localhost:11434/v1/chat/completions", `{"model":"llama3.2","messages":[]}`, ProviderOllama, "llama3.2", "chat", false},
		{"embeddings", "POST", "https://api.mistral.ai/v1/embeddings", `{"model":"mistral-embed","input":["a","b"]}`, ProviderMistral, "mistral-embed", "embeddings", false},

		{"someone else's /api/chat", "POST", "http://localhost:8080/api/chat", `{"model":"x","messages":[]}`, "", "", "", false},
		{"no model", "POST", "http://localhost:8080/v1/responses", `{"input":"hi"}`, "", "", "", false},
		{"not json", "POST", "https://api.openai.com/v1/embeddings", `input=hi`, "", "", "", false},
		{"count tokens", "POST", "https://api.anthropic.com/v1/messages/count_tokens", `{"model":"claude-sonnet-4-5","messages":[]}`, "", "", "", false},
		{"get", "GET", "https://api.openai.com/v1/responses", ``, "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, tt.url, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			a, ok := tr.recognise(req)
			var c call
			if ok {
				c, ok = a.parseRequest([]byte(tt.body))
			}
			if tt.provider == "" {
				if ok {
					t.Fatalf("recognised as %s %+v", a.name, c)
				}
				return
			}
			if !ok {
				t.Fatal("not recognised")
			}
			if a.name != tt.provider || c.model != tt.model || c.operation != tt.op || c.stream != tt.stream {
				t.Errorf("got %s %q %s stream=%v, want %s %q %s stream=%v", a.name, c.model, c.operation, c.stream,
					tt.provider, tt.model, tt.op, tt.stream)
			}
			if pc := a.pathCall(); pc.operation != c.operation || (pc.stream && !c.stream) {
				t.Errorf("path call %+v disagrees with the parsed call: %s stream=%v", pc, c.operation, c.stream)
			}
			if got := spanName(c); got != tt.op+" "+tt.model {
				t.Errorf("span name %q", got)
			}
		})
	}
}

func TestParseRequests(t *testing.T) {
	weatherSchema := json.RawMessage(`{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}`)
	tests := []struct {
		name  string
		parse func([]byte) (call, bool)
		body  string
		want  call
	}{
		{
			name: "openai chat params", parse: parseOpenAIRequest,
			body: `{"model":"gpt-4o","stop":"END","seed":7,"n":2,"frequency_penalty":0.5,"presence_penalty":-0.5,
				"response_format":{"type":"json_schema","json_schema":{"name":"weather_report","schema":{"type":"object"}}},
				"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather now",
					"parameters":{ "type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"] }}}],
				"messages":[{"role":"user","content":"hi"}]}`,
			want: call{operation: semconv.OpChat, model: "gpt-4o", params: params{
				stop: []string{"END"}, seed: ptr[int64](7), choiceCount: ptr[int64](2),
				frequencyPenalty: ptr(0.5), presencePenalty: ptr(-0.5),
				outputType: semconv.OutputJSON, responseFormat: "json_schema", schemaName: "weather_report",
				tools: []toolDef{{Type: "function", Name: "get_weather", Description: "Weather now", Parameters: weatherSchema}},
			}, messages: []message{{role: "user", content: "hi"}}},
		},
		{
			name: "openai chat stop list, json_object", parse: parseOpenAIRequest,
			body: `{"model":"gpt-4o","stop":["a","b"],"response_format":{"type":"json_object"},"messages":[]}`,
			want: call{operation: semconv.OpChat, model: "gpt-4o", params: params{
				stop: []string{"a", "b"}, outputType: semconv.OutputJSON, responseFormat: "json_object"}},
		},
		{
			name: "anthropic params", parse: parseAnthropicRequest,
			body: `{"model":"claude-sonnet-4-5","max_tokens":100,"stop_sequences":["\n\nHuman:"],"top_k":40,
				"tools":[{"name":"get_weather","description":"Weather now","input_schema":` + string(weatherSchema) + `},
					{"type":"web_search_20250305","name":"web_search","max_uses":5}],
				"messages":[{"role":"user","content":"hi"}]}`,
			want: call{operation: semconv.OpChat, model: "claude-sonnet-4-5", maxTokens: ptr[int64](100), params: params{
				stop: []string{"\n\nHuman:"}, topK: ptr(40.0),
				tools: []toolDef{
					{Type: "function", Name: "get_weather", Description: "Weather now", Parameters: weatherSchema},
					{Type: "web_search_20250305", Name: "web_search"},
				}}, messages: []message{{role: "user", content: "hi"}}},
		},
		{
			name: "responses items", parse: parseResponsesRequest,
			body: `{"model":"o4-mini","instructions":"Be brief.","max_output_tokens":512,"temperature":0.3,"top_p":0.8,"stream":true,
				"text":{"format":{"type":"json_schema","name":"answer","schema":{"type":"object"},"strict":true}},
				"tools":[{"type":"function","name":"get_weather","description":"Weather now","parameters":` + string(weatherSchema) + `},{"type":"web_search"}],
				"input":[
					{"role":"user","content":[{"type":"input_text","text":"Weather in "},{"type":"input_text","text":"Paris?"}]},
					{"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"location\":\"Paris\"}"},
					{"type":"function_call_output","call_id":"call_1","output":"{\"temp\":18}"},
					{"type":"message","role":"assistant","content":[{"type":"output_text","text":"18 degrees."}]}
				]}`,
			want: call{operation: semconv.OpChat, model: "o4-mini", stream: true, temperature: ptr(0.3), topP: ptr(0.8), maxTokens: ptr[int64](512),
				params: params{outputType: semconv.OutputJSON, responseFormat: "json_schema", schemaName: "answer",
					tools: []toolDef{{Type: "function", Name: "get_weather", Description: "Weather now", Parameters: weatherSchema}, {Type: "web_search"}}},
				messages: []message{
					{role: "system", content: "Be brief."},
					{role: "user", content: "Weather in Paris?"},
					{role: "assistant", toolCalls: []toolCall{{id: "call_1", name: "get_weather", arguments: `{"location":"Paris"}`}}},
					{role: "tool", content: `{"temp":18}`},
					{role: "assistant", content: "18 degrees."},
				}},
		},
		{
			name: "responses string input", parse: parseResponsesRequest,
			body: `{"model":"gpt-4.1","input":"Tell me a joke."}`,
			want: call{operation: semconv.OpChat, model: "gpt-4.1", messages: []message{{role: "user", content: "Tell me a joke."}}},
		},
		{
			name: "legacy completions", parse: parseCompletionsRequest,
			body: `{"model":"gpt-3.5-turbo-instruct","prompt":["Say this","is a test"],"max_tokens":7,"temperature":0,"stop":"\n","n":1,"stream":true}`,
			want: call{operation: semconv.OpTextCompletion, model: "gpt-3.5-turbo-instruct", stream: true, maxTokens: ptr[int64](7), temperature: ptr(0.0),
				params:   params{stop: []string{"\n"}, choiceCount: ptr[int64](1)},
				messages: []message{{role: "user", content: "Say this"}, {role: "user", content: "is a test"}}},
		},
		{
			name: "embeddings list", parse: parseEmbeddingsRequest,
			body: `{"model":"text-embedding-3-small","input":["The food was delicious","and the waiter"],"dimensions":256,"encoding_format":"float"}`,
			want: call{operation: semconv.OpEmbeddings, model: "text-embedding-3-small",
				params: params{inputCount: 2, dimensions: ptr[int64](256), encodingFormats: []string{"float"}}},
		},
		{
			name: "embeddings string", parse: parseEmbeddingsRequest,
			body: `{"model":"text-embedding-3-small","input":"hello"}`,
			want: call{operation: semconv.OpEmbeddings, model: "text-embedding-3-small", params: params{inputCount: 1}},
		},
		{
			name: "embeddings token ids", parse: parseEmbeddingsRequest,
			body: `{"model":"text-embedding-3-small","input":[1212,318,257,1332]}`,
			want: call{operation: semconv.OpEmbeddings, model: "text-embedding-3-small", params: params{inputCount: 1}},
		},
		{
			name: "embeddings token id lists", parse: parseEmbeddingsRequest,
			body: `{"model":"text-embedding-3-small","input":[[1212,318],[257],[1332]]}`,
			want: call{operation: semconv.OpEmbeddings, model: "text-embedding-3-small", params: params{inputCount: 3}},
		},
		{
			name: "gemini camelCase", parse: parseGeminiRequest,
			body: `{"systemInstruction":{"parts":[{"text":"You are a cat."}]},
				"contents":[
					{"role":"user","parts":[{"text":"Weather in Boston?"}]},
					{"role":"model","parts":[{"functionCall":{"name":"get_current_weather","args":{"location": "Boston, MA"}}}]},
					{"role":"user","parts":[{"functionResponse":{"name":"get_current_weather","response":{"temp": 18}}}]}
				],
				"tools":[{"functionDeclarations":[{"name":"get_current_weather","description":"Weather now","parameters":` + string(weatherSchema) + `}]},{"googleSearch":{}}],
				"generationConfig":{"temperature":0.9,"topP":0.95,"topK":40,"maxOutputTokens":800,"stopSequences":["Title"],
					"responseMimeType":"application/json","responseSchema":{"type":"OBJECT"},"candidateCount":1,"seed":3}}`,
			want: call{operation: semconv.OpGenerateContent, temperature: ptr(0.9), topP: ptr(0.95), maxTokens: ptr[int64](800),
				params: params{stop: []string{"Title"}, topK: ptr(40.0), seed: ptr[int64](3), choiceCount: ptr[int64](1),
					outputType: semconv.OutputJSON, responseFormat: "application/json",
					tools: []toolDef{{Type: "function", Name: "get_current_weather", Description: "Weather now", Parameters: weatherSchema}, {Type: "google_search"}}},
				messages: []message{
					{role: "system", content: "You are a cat."},
					{role: "user", content: "Weather in Boston?"},
					{role: "assistant", toolCalls: []toolCall{{name: "get_current_weather", arguments: `{"location":"Boston, MA"}`}}},
					{role: "tool", content: `{"temp":18}`},
				}},
		},
		{
			name: "gemini snake_case", parse: parseGeminiRequest,
			body: `{"system_instruction":{"parts":[{"text":"You are a cat."}]},"contents":[{"parts":[{"text":"Hello"}]}],
				"tools":[{"function_declarations":[{"name":"f","parameters_json_schema":{"type":"object"}}]}],
				"generation_config":{"max_output_tokens":100,"stop_sequences":["x"],"top_p":0.5,"response_mime_type":"text/plain"}}`,
			want: call{operation: semconv.OpGenerateContent, topP: ptr(0.5), maxTokens: ptr[int64](100),
				params: params{stop: []string{"x"}, outputType: semconv.OutputText, responseFormat: "text/plain",
					tools: []toolDef{{Type: "function", Name: "f", Parameters: json.RawMessage(`{"type":"object"}`)}}},
				messages: []message{{role: "system", content: "You are a cat."}, {content: "Hello"}}},
		},
		{
			name: "gemini single content object (Vertex AI examples)", parse: parseGeminiRequest,
			body: `{"contents": {"role": "user", "parts": [{"text": "Why is the sky blue?"}]}}`,
			want: call{operation: semconv.OpGenerateContent, messages: []message{{role: "user", content: "Why is the sky blue?"}}},
		},
		{
			name: "ollama chat streams by default", parse: parseOllamaChatRequest,
			body: `{"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}],"format":"json",
				"options":{"temperature":0.1,"top_k":20,"top_p":0.9,"num_predict":100,"stop":["\n","user:"],"seed":42},
				"tools":[{"type":"function","function":{"name":"get_current_weather","parameters":{"type":"object"}}}]}`,
			want: call{operation: semconv.OpChat, model: "llama3.2", stream: true, temperature: ptr(0.1), topP: ptr(0.9), maxTokens: ptr[int64](100),
				params: params{stop: []string{"\n", "user:"}, topK: ptr(20.0), seed: ptr[int64](42), outputType: semconv.OutputJSON, responseFormat: "json",
					tools: []toolDef{{Type: "function", Name: "get_current_weather", Parameters: json.RawMessage(`{"type":"object"}`)}}},
				messages: []message{{role: "user", content: "Why is the sky blue?"}}},
		},
		{
			name: "ollama generate", parse: parseOllamaGenerateRequest,
			body: `{"model":"llama3.2","system":"Be terse.","prompt":"Why is the sky blue?","stream":false,"format":{"type":"object"}}`,
			want: call{operation: semconv.OpTextCompletion, model: "llama3.2",
				params:   params{outputType: semconv.OutputJSON, responseFormat: "json_schema"},
				messages: []message{{role: "system", content: "Be terse."}, {role: "user", content: "Why is the sky blue?"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.parse([]byte(tt.body))
			if !ok {
				t.Fatal("not parsed")
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestParseResponses(t *testing.T) {
	tests := []struct {
		name, fixture string
		parse         func([]byte) (result, error)
		want          result
	}{
		{
			name: "responses: reasoning, text and a function call", fixture: "openai_responses_tool_call.json", parse: parseResponsesResponse,
			want: result{id: "resp_67ccd3a9da748190baa7f1570fe91ac604becb25c45c1d41", model: "o4-mini-2025-04-16",
				completions: []message{{role: "assistant", content: "Let me check the weather in Paris.", finishReason: "tool_calls",
					toolCalls: []toolCall{{id: "call_12345xyz", name: "get_weather", arguments: `{"location":"Paris, France"}`}}}},
				usage: &pricing.Usage{Input: 2048, Output: 310, CacheRead: 1792, Reasoning: 256}, total: 2358},
		},
		{
			name: "legacy completion", fixture: "openai_completions.json", parse: parseCompletionsResponse,
			want: result{id: "cmpl-uqkvlQyYK7bGYrRHQ0eXlWi7", model: "gpt-3.5-turbo-instruct",
				completions: []message{{role: "assistant", content: "\n\nThis is indeed a test", finishReason: "length"}},
				usage:       &pricing.Usage{Input: 5, Output: 7}, total: 12},
		},
		{
			name: "embeddings", fixture: "openai_embeddings.json", parse: parseEmbeddingsResponse,
			want: result{model: "text-embedding-3-small", usage: &pricing.Usage{Input: 8}, total: 8},
		},
		{
			name: "deepseek cache details", fixture: "deepseek_chat_cache.json", parse: parseOpenAIResponse,
			want: result{id: "930c60df-bf64-41c9-a88e-3ec75f81e00e", model: "deepseek-v4-pro",
				completions: []message{{role: "assistant", content: "9.11 is smaller than 9.8.", finishReason: "stop"}},
				usage:       &pricing.Usage{Input: 1200, Output: 300, CacheRead: 1024, Reasoning: 250}, total: 1500},
		},
		{
			name: "deepseek prompt_cache_hit_tokens only", fixture: "deepseek_chat_cache_hit_only.json", parse: parseOpenAIResponse,
			want: result{id: "b1e2c3d4-0000-4000-8000-000000000001", model: "deepseek-chat",
				completions: []message{{role: "assistant", content: "Hello!", finishReason: "stop"}},
				usage:       &pricing.Usage{Input: 64, Output: 3, CacheRead: 60}, total: 67},
		},
		{
			name: "gemini: thoughts, text and a function call", fixture: "gemini_generate_tool_call.json", parse: parseGeminiResponse,
			want: result{id: "mAitaLmkHPPlz7IPvtfUqQ4", model: "gemini-2.5-flash",
				completions: []message{{role: "assistant", content: "I'll look that up.", finishReason: "STOP",
					toolCalls: []toolCall{{name: "get_current_weather", arguments: `{"location":"Boston, MA"}`}}}},
				usage: &pricing.Usage{Input: 4321, Output: 121, CacheRead: 4096, Reasoning: 100}, total: 4442},
		},
		{
			name: "ollama chat tool call", fixture: "ollama_chat.json", parse: parseOllamaResponse,
			want: result{model: "llama3.2",
				completions: []message{{role: "assistant", finishReason: "stop",
					toolCalls: []toolCall{{name: "get_current_weather", arguments: `{"format":"celsius","location":"Paris, FR"}`}}}},
				usage: &pricing.Usage{Input: 122, Output: 33}, total: 155},
		},
		{
			name: "ollama generate", fixture: "ollama_generate.json", parse: parseOllamaResponse,
			want: result{model: "llama3.2",
				completions: []message{{role: "assistant", content: "The sky is blue because of Rayleigh scattering.", finishReason: "stop"}},
				usage:       &pricing.Usage{Input: 26, Output: 290}, total: 316},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(readFixture(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// streamEvent is one event as the llm-stream framing hands it to a parser.
type streamEvent struct {
	name string
	data []byte
}

// sseEvents splits an SSE fixture into events: "event:" names one, the
// "data:" lines are joined by "\n", a blank line ends it.
func splitSSE(t *testing.T, b []byte) []streamEvent {
	t.Helper()
	var out []streamEvent
	var cur streamEvent
	var data [][]byte
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if data != nil {
				cur.data = bytes.Join(data, []byte("\n"))
				out = append(out, cur)
			}
			cur, data = streamEvent{}, nil
		case bytes.HasPrefix(line, []byte("event:")):
			cur.name = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("data:")):
			d := bytes.TrimPrefix(line[len("data:"):], []byte(" "))
			data = append(data, append([]byte(nil), d...))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if data != nil {
		cur.data = bytes.Join(data, []byte("\n"))
		out = append(out, cur)
	}
	return out
}

func splitNDJSON(b []byte) []streamEvent {
	var out []streamEvent
	for _, line := range bytes.Split(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			out = append(out, streamEvent{data: line})
		}
	}
	return out
}

func splitJSONArray(t *testing.T, b []byte) []streamEvent {
	t.Helper()
	var elems []json.RawMessage
	if err := json.Unmarshal(b, &elems); err != nil {
		t.Fatal(err)
	}
	out := make([]streamEvent, len(elems))
	for i, e := range elems {
		out[i] = streamEvent{data: e}
	}
	return out
}

func TestStreamParsers(t *testing.T) {
	tests := []struct {
		name         string
		newStream    func() streamParser
		events       func(*testing.T) []streamEvent
		cut          int   // feed only the first cut events (0: all)
		wantOutput   []int // indexes of the events that carry output
		wantComplete bool  // the parser saw the provider's last event
		want         result
	}{
		{
			wantComplete: true,
			name:         "responses", newStream: newResponsesStream,
			events:     func(t *testing.T) []streamEvent { return splitSSE(t, readFixture(t, "openai_responses_stream.sse")) },
			wantOutput: []int{4, 5, 9, 10},
			want: result{id: "resp_stream_1", model: "gpt-4.1-2025-04-14",
				completions: []message{{role: "assistant", content: "Checking Paris.", finishReason: "tool_calls",
					toolCalls: []toolCall{{id: "call_abc", name: "get_weather", arguments: `{"location":"Paris"}`}}}},
				usage: &pricing.Usage{Input: 37, Output: 24}, total: 61},
		},
		{
			name: "responses cut before completed", newStream: newResponsesStream, cut: 11,
			events:     func(t *testing.T) []streamEvent { return splitSSE(t, readFixture(t, "openai_responses_stream.sse")) },
			wantOutput: []int{4, 5, 9, 10},
			want: result{id: "resp_stream_1", model: "gpt-4.1-2025-04-14",
				completions: []message{{role: "assistant", content: "Checking Paris.",
					toolCalls: []toolCall{{id: "call_abc", name: "get_weather", arguments: `{"location":"Paris"}`}}}}},
		},
		{
			name: "legacy completions with usage", newStream: newCompletionsStream,
			events:     func(t *testing.T) []streamEvent { return splitSSE(t, readFixture(t, "openai_completions_stream.sse")) },
			wantOutput: []int{0, 1},
			want: result{id: "cmpl-7iA7iJjj8V2zOkCGvWF2hAkDWBQZe", model: "gpt-3.5-turbo-instruct",
				completions: []message{{role: "assistant", content: "This is a test", finishReason: "stop"}},
				usage:       &pricing.Usage{Input: 5, Output: 4}, total: 9},
		},
		{
			name: "legacy completions without usage", newStream: newCompletionsStream, cut: 3,
			events:     func(t *testing.T) []streamEvent { return splitSSE(t, readFixture(t, "openai_completions_stream.sse")) },
			wantOutput: []int{0, 1},
			want: result{id: "cmpl-7iA7iJjj8V2zOkCGvWF2hAkDWBQZe", model: "gpt-3.5-turbo-instruct",
				completions: []message{{role: "assistant", content: "This is a test", finishReason: "stop"}}},
		},
		{
			wantComplete: true,
			name:         "gemini sse", newStream: newGeminiStream,
			events:     func(t *testing.T) []streamEvent { return splitSSE(t, readFixture(t, "gemini_stream.sse")) },
			wantOutput: []int{0, 1, 2},
			want: result{id: "Zk3JaKq8Bq7gz7IPp4G1mAE", model: "gemini-2.0-flash",
				completions: []message{{role: "assistant", content: "Once upon a time, a tiny robot woke up.", finishReason: "STOP"}},
				usage:       &pricing.Usage{Input: 9, Output: 11}, total: 20},
		},
		{
			wantComplete: true,
			name:         "gemini json array with a function call", newStream: newGeminiStream,
			events:     func(t *testing.T) []streamEvent { return splitJSONArray(t, readFixture(t, "gemini_stream_array.json")) },
			wantOutput: []int{0, 1},
			want: result{id: "vtx-resp-1", model: "gemini-2.0-flash-001",
				completions: []message{{role: "assistant", content: "Let me check.", finishReason: "STOP",
					toolCalls: []toolCall{{name: "get_current_weather", arguments: `{"location":"Boston, MA"}`}}}},
				usage: &pricing.Usage{Input: 30, Output: 12}, total: 42},
		},
		{
			wantComplete: true,
			name:         "ollama chat", newStream: newOllamaStream,
			events:     func(t *testing.T) []streamEvent { return splitNDJSON(readFixture(t, "ollama_chat_stream.ndjson")) },
			wantOutput: []int{0, 1, 2},
			want: result{model: "llama3.2",
				completions: []message{{role: "assistant", content: "The sky is blue.", finishReason: "stop"}},
				usage:       &pricing.Usage{Input: 26, Output: 282}, total: 308},
		},
		{
			name: "ollama chat cut off", newStream: newOllamaStream, cut: 2,
			events:     func(t *testing.T) []streamEvent { return splitNDJSON(readFixture(t, "ollama_chat_stream.ndjson")) },
			wantOutput: []int{0, 1},
			want:       result{model: "llama3.2", completions: []message{{role: "assistant", content: "The sky is"}}},
		},
		{
			wantComplete: true,
			name:         "ollama generate", newStream: newOllamaStream,
			events:     func(t *testing.T) []streamEvent { return splitNDJSON(readFixture(t, "ollama_generate_stream.ndjson")) },
			wantOutput: []int{0, 1},
			want: result{model: "llama3.2",
				completions: []message{{role: "assistant", content: "The sky", finishReason: "stop"}},
				usage:       &pricing.Usage{Input: 26, Output: 259}, total: 285},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events := tt.events(t)
			defer func() {
				if t.Failed() {
					t.Logf("%d events", len(events))
				}
			}()
			if tt.cut > 0 {
				events = events[:tt.cut]
			}
			p := tt.newStream()
			var outputs []int
			for i, e := range events {
				// The framing reuses its buffer: hand the parser a copy and
				// scribble over it afterwards, so retained data would show.
				buf := append([]byte(nil), e.data...)
				if p.event(e.name, buf) {
					outputs = append(outputs, i)
				}
				for j := range buf {
					buf[j] = 'x'
				}
			}
			if !reflect.DeepEqual(outputs, tt.wantOutput) {
				t.Errorf("output events %v, want %v", outputs, tt.wantOutput)
			}
			if got := p.result(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
				if got.failure != nil {
					t.Logf("failure %+v", *got.failure)
				}
			}
			c, ok := p.(streamCompleter)
			if complete := ok && c.complete(); complete != tt.wantComplete {
				t.Errorf("complete = %v, want %v", complete, tt.wantComplete)
			}
		})
	}
}

// inlineEvents lists inline events (SSE without names, NDJSON lines, array elements).
func inlineEvents(data ...string) func(*testing.T) []streamEvent {
	return func(*testing.T) []streamEvent {
		out := make([]streamEvent, len(data))
		for i, d := range data {
			out[i] = streamEvent{data: []byte(d)}
		}
		return out
	}
}

func TestStreamFailures(t *testing.T) {
	tests := []struct {
		name         string
		newStream    func() streamParser
		events       []streamEvent
		wantComplete bool
		want         result
	}{
		{
			name: "responses error event", newStream: newResponsesStream,
			events: []streamEvent{
				{"response.created", []byte(`{"type":"response.created","response":{"id":"resp_1","model":"gpt-4.1","status":"in_progress","output":[]}}`)},
				{"response.output_text.delta", []byte(`{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"Hel"}`)},
				{"error", []byte(`{"type":"error","code":"server_error","message":"The server had an error while processing your request.","param":null,"sequence_number":3}`)},
			},
			want: result{id: "resp_1", model: "gpt-4.1", completions: []message{{role: "assistant", content: "Hel"}},
				failure: &failure{typ: "server_error", message: "The server had an error while processing your request."}},
		},
		{
			name: "responses failed", newStream: newResponsesStream, wantComplete: true,
			events: []streamEvent{
				{"response.failed", []byte(`{"type":"response.failed","response":{"id":"resp_2","model":"gpt-4.1","status":"failed",` +
					`"error":{"code":"rate_limit_exceeded","message":"Slow down."},"output":[],"usage":null}}`)},
			},
			want: result{id: "resp_2", model: "gpt-4.1", completions: []message{{role: "assistant", finishReason: "failed"}},
				failure: &failure{typ: "rate_limit_exceeded", message: "Slow down."}},
		},
		{
			name: "completions error chunk", newStream: newCompletionsStream,
			events: inlineEvents(`{"id":"cmpl-1","object":"text_completion","choices":[{"text":"Hi","index":0,"finish_reason":null}],"model":"gpt-3.5-turbo-instruct"}`,
				`{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}`)(t),
			want: result{id: "cmpl-1", model: "gpt-3.5-turbo-instruct", completions: []message{{role: "assistant", content: "Hi"}},
				failure: &failure{typ: "server_error", message: "The server had an error"}},
		},
		{
			name: "gemini error element", newStream: newGeminiStream,
			events: inlineEvents(`{"candidates":[{"content":{"parts":[{"text":"Once"}],"role":"model"},"index":0}],"modelVersion":"gemini-2.0-flash","responseId":"r1"}`,
				`{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}`)(t),
			want: result{id: "r1", model: "gemini-2.0-flash", completions: []message{{role: "assistant", content: "Once"}},
				failure: &failure{typ: "UNAVAILABLE", message: "The model is overloaded. Please try again later."}},
		},
		{
			name: "ollama error line", newStream: newOllamaStream,
			events: inlineEvents(`{"model":"llama3.2","created_at":"2023-08-04T08:52:19Z","message":{"role":"assistant","content":"The"},"done":false}`,
				`{"error":"an error was encountered while running the model: unexpected EOF"}`)(t),
			want: result{model: "llama3.2", completions: []message{{role: "assistant", content: "The"}},
				failure: &failure{typ: "error", message: "an error was encountered while running the model: unexpected EOF"}},
		},
		{
			name: "malformed event", newStream: newGeminiStream,
			events: inlineEvents(`{"candidates": [`)(t),
			want:   result{failure: &failure{typ: "malformed_response", message: "parse gemini stream event: unexpected end of JSON input"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.newStream()
			for _, e := range tt.events {
				p.event(e.name, e.data)
			}
			got := p.result()
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%+v\nwant\n%+v", got, tt.want)
			}
			if got.failure != nil && tt.want.failure != nil && *got.failure != *tt.want.failure {
				t.Errorf("failure %+v, want %+v", *got.failure, *tt.want.failure)
			}
			c, ok := p.(streamCompleter)
			if complete := ok && c.complete(); complete != tt.wantComplete {
				t.Errorf("complete = %v, want %v", complete, tt.wantComplete)
			}
		})
	}
}

func TestParseError(t *testing.T) {
	tests := []struct{ name, body, typ, msg string }{
		{"openai", `{"error":{"message":"Rate limit reached","type":"tokens","param":null,"code":"rate_limit_exceeded"}}`, "tokens", "Rate limit reached"},
		{"openai code only", `{"error":{"message":"Invalid model","type":null,"param":"model","code":"model_not_found"}}`, "model_not_found", "Invalid model"},
		{"anthropic", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, "overloaded_error", "Overloaded"},
		{"google", `{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).","status":"RESOURCE_EXHAUSTED"}}`,
			"RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota)."},
		{"google code only", `{"error":{"code":400,"message":"Bad request"}}`, "400", "Bad request"},
		{"ollama", `{"error":"model \"llama9\" not found, try pulling it first"}`, "", `model "llama9" not found, try pulling it first`},
		{"not an error", `{"id":"x"}`, "", ""},
		{"not json", `<html>502 Bad Gateway</html>`, "", ""},
	}
	for _, tt := range tests {
		if typ, msg := parseError([]byte(tt.body)); typ != tt.typ || msg != tt.msg {
			t.Errorf("%s: got %q %q, want %q %q", tt.name, typ, msg, tt.typ, tt.msg)
		}
	}
}

func TestToolsJSONIsCappedAndValid(t *testing.T) {
	tools := []toolDef{
		{Type: "function", Name: "get_weather", Description: "Weather now", Parameters: json.RawMessage(`{"type":"object","properties":{"location":{"type":"string"}}}`)},
		{Type: "function", Name: "get_time", Description: "Time now", Parameters: json.RawMessage(`{"type":"object"}`)},
	}
	full := toolsJSON(tools, 1<<20)
	bare := `[{"type":"function","name":"get_weather","description":"Weather now"},{"type":"function","name":"get_time","description":"Time now"}]`
	tests := []struct {
		limit int
		want  string
	}{
		{1 << 20, full},
		{len(full) - 1, bare},
		{len(bare), bare},
		{len(bare) - 1, `[{"type":"function","name":"get_weather","description":"Weather now"}]`},
		{10, `[]`},
	}
	if !strings.Contains(full, `"parameters":{"type":"object","properties"`) {
		t.Fatalf("full definitions lack the schema: %s", full)
	}
	for _, tt := range tests {
		got := toolsJSON(tools, tt.limit)
		if got != tt.want || (tt.limit >= 2 && len(got) > tt.limit) || !json.Valid([]byte(got)) {
			t.Errorf("limit %d: got %s, want %s", tt.limit, got, tt.want)
		}
	}
}

// TestPricedWhateverTheHost checks that the price table finds a known model
// under every provider name and model spelling the transport records, and
// that an unknown model stays unpriced.
func TestPricedWhateverTheHost(t *testing.T) {
	tests := []struct {
		provider, model, want string // want "" means unpriced
	}{
		{ProviderOpenAI, "gpt-4o-2024-08-06", "gpt-4o"},
		{ProviderAzureOpenAI, "gpt-4o-2024-11-20", "gpt-4o"},
		{ProviderAzureOpenAI, "text-embedding-3-small", "text-embedding-3-small"},
		{ProviderOpenRouter, "openai/gpt-4o", "gpt-4o"},
		{ProviderOpenRouter, "anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"},
		{ProviderOpenRouter, "google/gemini-2.5-flash", "gemini-2.5-flash"},
		{ProviderGemini, "gemini-2.5-flash", "gemini-2.5-flash"},
		{ProviderVertexAI, "gemini-2.0-flash-001", "gemini-2.0-flash"},
		{ProviderVertexAI, "publishers/google/models/gemini-2.0-flash-001", "gemini-2.0-flash"},
		{ProviderGroq, "llama-3.3-70b-versatile", "llama-3.3-70b-versatile"},
		{ProviderMistral, "mistral-large-latest", "mistral-large"},
		{ProviderDeepSeek, "deepseek-v4-pro", "deepseek-v4-pro"},
		{ProviderXAI, "grok-4", "grok-4"},
		{ProviderTogether, "meta-llama/Llama-3.3-70B-Instruct-Turbo", "meta-llama/Llama-3.3-70B-Instruct-Turbo"},
		{ProviderOpenAI, "o4-mini-2025-04-16", "o4-mini"},
		{ProviderVertexAI, "claude-sonnet-4-5@20250929", "claude-sonnet-4-5"},
		{ProviderOllama, "llama3.2", ""},
		{ProviderVLLM, "my-org/my-finetune", ""},
		{ProviderOpenRouter, "meta-llama/llama-3.3-70b-instruct", ""},
	}
	for _, tt := range tests {
		m, ok := pricing.Default().Find(tt.provider, tt.model)
		switch {
		case tt.want == "" && ok:
			t.Errorf("%s %s priced as %s", tt.provider, tt.model, m.Model)
		case tt.want != "" && (!ok || m.Model != tt.want):
			t.Errorf("%s %s: got %q (found %v), want %s", tt.provider, tt.model, m.Model, ok, tt.want)
		}
	}
}
