package llm

import (
	"context"
	"os"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const benchRequest = `{"model":"gpt-4o","temperature":0.2,"top_p":0.9,"max_tokens":256,` +
	`"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Weather in Boston?"}],` +
	`"tools":[{"type":"function","function":{"name":"get_current_weather","parameters":{"type":"object"}}}]}`

func BenchmarkParts(b *testing.B) {
	resp, _ := os.ReadFile("testdata/openai_chat_tool_calls.json")
	b.Run("parseRequest", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			parseOpenAIRequest([]byte(benchRequest))
		}
	})
	b.Run("parseResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			parseOpenAIResponse(resp)
		}
	})
	tp := sdktrace.NewTracerProvider()
	tr := Transport(nil, WithTracerProvider(tp)).(*transport)
	c, _ := parseOpenAIRequest([]byte(benchRequest))
	r, _ := parseOpenAIResponse(resp)
	b.Run("span", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, span := tr.tracer.Start(context.Background(), "chat gpt-4o", trace.WithSpanKind(trace.SpanKindClient))
			tr.recordRequest(span, "openai", c)
			tr.recordResponse(span, "openai", c, r)
			span.End()
		}
	})
}
