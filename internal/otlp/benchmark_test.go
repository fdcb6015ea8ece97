package otlp

import (
	"runtime"
	"testing"
)

// BenchmarkNormalize normalizes a realistic GenAI request: 512 spans of 50
// sessions, LLM spans with ~12 attributes including ~300-character prompt
// and completion texts. ns/span and allocs/span are the figures to watch;
// the ingest path budget is ~60,000 spans/s on 2 cores for everything.
func BenchmarkNormalize(b *testing.B) {
	const spans = 512
	td := genAIRequest(spans, 50)
	lim := Limits{MaxAttrValueBytes: 64 << 10}
	benchPerSpan(b, spans, func() {
		out, _ := Normalize(td, "project", lim)
		if len(out) != spans {
			b.Fatalf("%d spans", len(out))
		}
	})
}

// BenchmarkDecodeProtoNormalize adds protobuf decoding, the whole of this
// package's share of an ingest request.
func BenchmarkDecodeProtoNormalize(b *testing.B) {
	const spans = 512
	body := marshalProto(b, genAIRequest(spans, 50))
	lim := Limits{MaxAttrValueBytes: 64 << 10}
	b.SetBytes(int64(len(body)))
	benchPerSpan(b, spans, func() {
		td, err := DecodeProto(body)
		if err != nil {
			b.Fatal(err)
		}
		out, _ := Normalize(td, "project", lim)
		if len(out) != spans {
			b.Fatalf("%d spans", len(out))
		}
	})
}

func benchPerSpan(b *testing.B, spans int, op func()) {
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for b.Loop() {
		op()
	}
	runtime.ReadMemStats(&after)
	n := float64(b.N) * float64(spans)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/span")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/span")
}

func BenchmarkAppendString(b *testing.B) {
	s := genAIRequest(2, 1).ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(1).Attributes()
	v, _ := s.Get("gen_ai.prompt.0.content")
	str := v.Str()
	buf := make([]byte, 0, 1024)
	b.SetBytes(int64(len(str)))
	for b.Loop() {
		buf = appendString(buf[:0], str)
	}
}
