package agentops_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops"
)

// nopProcessor receives spans and does nothing, so the benchmarks measure
// making spans, not delivering them.
type nopProcessor struct{}

func (nopProcessor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (nopProcessor) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (nopProcessor) Shutdown(context.Context) error                  { return nil }
func (nopProcessor) ForceFlush(context.Context) error                { return nil }

// BenchmarkSpan compares a helper span with raw OpenTelemetry spans made
// by the same provider and processor, in one run: bare, and with the two
// attributes the helper adds.
func BenchmarkSpan(b *testing.B) {
	c, err := agentops.New(agentops.WithLogger(quiet), agentops.WithSpanProcessor(nopProcessor{}))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	tr := c.StartTrace(context.Background(), "bench")
	ctx := tr.Context()
	tracer := c.TracerProvider().Tracer("raw")

	b.Run("otel-raw", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, s := tracer.Start(ctx, "search.tool")
			s.End()
		}
	})
	b.Run("otel-raw-attrs", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, s := tracer.Start(ctx, "search.tool", trace.WithAttributes(
				attribute.String("agentops.span.kind", "tool"), attribute.String("operation.name", "search")))
			s.End()
		}
	})
	b.Run("otel-raw-attrs-output", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, s := tracer.Start(ctx, "search.tool", trace.WithAttributes(
				attribute.String("agentops.span.kind", "tool"), attribute.String("operation.name", "search")))
			s.SetAttributes(attribute.String("agentops.entity.output", "1"))
			s.End()
		}
	})
	b.Run("helper-Tool", func(b *testing.B) {
		b.ReportAllocs()
		fn := func(context.Context) (int, error) { return 1, nil }
		for b.Loop() {
			agentops.Tool(ctx, "search", fn)
		}
	})
	b.Run("helper-StartSpan", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, h := agentops.StartSpan(ctx, agentops.KindTool, "search")
			h.End(nil)
		}
	})
}
