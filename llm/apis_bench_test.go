package llm

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkStreamEvent measures one text-delta event through each stream
// parser of this file's APIs: the cost per streamed chunk, which must not
// grow with the chunks already seen.
func BenchmarkStreamEvent(b *testing.B) {
	tests := []struct {
		name      string
		newStream func() streamParser
		event     string
		data      string
	}{
		{"chat", newOpenAIStream, "",
			`{"id":"chatcmpl-AyPNinnUqUDYo9SAdA52NobMflmj2","object":"chat.completion.chunk","created":1738960610,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_72ed7ab54c","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}],"usage":null}`},
		{"anthropic", newAnthropicStream, "content_block_delta",
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ello frien"}}`},
		{"responses", newResponsesStream, "response.output_text.delta",
			`{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Checking "}`},
		{"completions", newCompletionsStream, "",
			`{"id":"cmpl-7iA7iJjj8V2zOkCGvWF2hAkDWBQZe","object":"text_completion","created":1690759702,"choices":[{"text":" is a test","index":0,"logprobs":null,"finish_reason":null}],"model":"gpt-3.5-turbo-instruct"}`},
		{"gemini", newGeminiStream, "",
			`{"candidates": [{"content": {"parts": [{"text": " a time, a tiny robot"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 9,"totalTokenCount": 9},"modelVersion": "gemini-2.0-flash","responseId": "Zk3JaKq8Bq7gz7IPp4G1mAE"}`},
		{"ollama", newOllamaStream, "",
			`{"model":"llama3.2","created_at":"2023-08-04T08:52:19.412345678-07:00","message":{"role":"assistant","content":" sky is"},"done":false}`},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			data := []byte(tt.data)
			p := tt.newStream()
			b.ReportAllocs()
			for b.Loop() {
				if !p.event(tt.event, data) {
					b.Fatal("no output")
				}
			}
		})
	}
}

// BenchmarkRecognise measures naming a request's API and provider, paid by
// every request through the transport.
func BenchmarkRecognise(b *testing.B) {
	tr := Transport(nil, WithHostProvider("gpu-box:8000", ProviderVLLM)).(*transport)
	for _, u := range []string{
		"https://api.openai.com/v1/chat/completions",
		"https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
		"http://gpu-box:8000/v1/completions",
		"https://api.openai.com/v1/files",
	} {
		req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader("{}"))
		b.Run(req.URL.Host+req.URL.Path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tr.recognise(req)
			}
		})
	}
}
