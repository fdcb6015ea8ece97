package exporter

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/semconv"
)

// nopExporter accepts everything at once; block, when set, holds every
// export until closed.
type nopExporter struct{ block chan struct{} }

func (e nopExporter) ExportSpans(ctx context.Context, _ []sdktrace.ReadOnlySpan) error {
	if e.block != nil {
		select {
		case <-e.block:
		case <-ctx.Done():
		}
	}
	return nil
}
func (nopExporter) Shutdown(context.Context) error { return nil }

// childSpan is a typical ended span: it has a parent and a few attributes,
// so OnEnd scans them for the session kind.
func childSpan() sdktrace.ReadOnlySpan {
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{2}, TraceFlags: trace.FlagsSampled})
	parent := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled})
	return tracetest.SpanStub{
		Name: "chat gpt-4o", SpanContext: sc, Parent: parent,
		StartTime: time.Now(), EndTime: time.Now(),
		Attributes: []attribute.KeyValue{
			attribute.String(semconv.SpanKind, semconv.KindLLM),
			attribute.String("gen_ai.request.model", "gpt-4o"),
			attribute.Int("gen_ai.usage.input_tokens", 120),
			attribute.Int("gen_ai.usage.output_tokens", 40),
		},
	}.Snapshot()
}

// BenchmarkOnEnd measures what ending a span costs the caller: "queued"
// with an exporter that keeps up, "dropped" with the queue full.
func BenchmarkOnEnd(b *testing.B) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	span := childSpan()
	run := func(b *testing.B, exp nopExporter, parallel bool) {
		p := New(Config{
			MaxQueueSize: 1 << 16, MaxBatchSize: 512, MaxWaitTime: time.Millisecond,
			Logger: quiet, spanExporter: exp,
		})
		b.ReportAllocs()
		b.ResetTimer()
		if parallel {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					p.OnEnd(span)
				}
			})
		} else {
			for b.Loop() {
				p.OnEnd(span)
			}
		}
		b.StopTimer()
		if exp.block != nil {
			close(exp.block)
		}
		_ = p.Shutdown(context.Background())
		s := p.Stats()
		b.ReportMetric(float64(s.Dropped)/float64(s.Dropped+s.Queued), "dropped/op")
	}
	b.Run("queued", func(b *testing.B) { run(b, nopExporter{}, false) })
	b.Run("queued-parallel", func(b *testing.B) { run(b, nopExporter{}, true) })
	b.Run("dropped", func(b *testing.B) {
		run(b, nopExporter{block: make(chan struct{})}, false)
	})
}
