package llm

import (
	"context"
	"go.opentelemetry.io/otel/attribute"
	"os"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// BenchmarkCallParts splits a non-streamed call's added cost: the request
// and answer parses and the span with its attributes (no network).
func BenchmarkCallParts(b *testing.B) {
	const request = `{"model":"gpt-4o","temperature":0.2,"top_p":0.9,"max_tokens":256,` +
		`"messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Weather in Boston?"}],` +
		`"tools":[{"type":"function","function":{"name":"get_current_weather","parameters":{"type":"object"}}}]}`
	answer, err := os.ReadFile("testdata/openai_chat_tool_calls.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse-request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			parseOpenAIRequest([]byte(request))
		}
	})
	b.Run("parse-answer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			parseOpenAIResponse(answer)
		}
	})
	tr := Transport(nil, WithTracerProvider(sdktrace.NewTracerProvider())).(*transport)
	c, _ := parseOpenAIRequest([]byte(request))
	r, _ := parseOpenAIResponse(answer)
	b.Run("span", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, span := tr.tracer.Start(context.Background(), "chat gpt-4o", trace.WithSpanKind(trace.SpanKindClient))
			attrs := tr.requestAttrs(make([]attribute.KeyValue, 0, 64), "openai", c)
			span.SetAttributes(tr.responseAttrs(attrs, "openai", c, r)...)
			span.End()
		}
	})
}
