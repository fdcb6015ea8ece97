package llm

import "testing"

const benchChunk = `{"id":"chatcmpl-AyPNinnUqUDYo9SAdA52NobMflmj2","object":"chat.completion.chunk","created":1738960610,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_72ed7ab54c","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}],"usage":null}`

// BenchmarkOpenAIChunk: the parse of one streamed chat completion chunk.
func BenchmarkOpenAIChunk(b *testing.B) {
	p := newOpenAIStream()
	data := []byte(benchChunk)
	b.ReportAllocs()
	for b.Loop() {
		p.event("", data)
	}
}
