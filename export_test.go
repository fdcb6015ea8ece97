package agentops

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/internal/exporter"
)

// WithSpanProcessor replaces the client's exporter with sp (an in-memory
// recorder in tests).
func WithSpanProcessor(sp sdktrace.SpanProcessor) Option { return withSpanProcessor(sp) }

// RootSpanID is the span id of session tid's root span.
func RootSpanID(tid trace.TraceID) trace.SpanID { return rootSpanID(tid) }

// ExporterIsStub reports whether internal/exporter is still the stub whose
// methods panic; the tests then deliver with the OTel OTLP exporter
// instead, which has no drop counters.
var ExporterIsStub = func() (stub bool) {
	defer func() {
		if recover() != nil {
			stub = true
		}
	}()
	p := exporter.New(exporter.Config{APIEndpoint: "http://127.0.0.1:1"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = p.Shutdown(ctx)
	return false
}()

func init() {
	if ExporterIsStub {
		newExporter = otlpFallback
	}
}

// otlpFallback delivers with the OpenTelemetry OTLP/HTTP exporter, counting
// what it exports and fails, until internal/exporter lands.
func otlpFallback(cfg exporter.Config, _ *slog.Logger) processor {
	endpoint := cfg.ExporterEndpoint
	if endpoint == "" {
		endpoint = strings.TrimRight(cfg.APIEndpoint, "/") + "/v1/traces"
	}
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(endpoint),
		otlptracehttp.WithHeaders(map[string]string{"X-Agentops-Api-Key": cfg.APIKey}),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: 50 * time.Millisecond, MaxInterval: 500 * time.Millisecond, MaxElapsedTime: 2 * time.Second}))
	if err != nil {
		panic(err)
	}
	ce := &countingExporter{SpanExporter: exp}
	return &countingProcessor{SpanProcessor: sdktrace.NewBatchSpanProcessor(ce,
		sdktrace.WithMaxQueueSize(cfg.MaxQueueSize), sdktrace.WithBatchTimeout(cfg.MaxWaitTime)), exp: ce}
}

type countingExporter struct {
	sdktrace.SpanExporter
	exported, failed atomic.Int64
}

func (e *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := e.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		e.failed.Add(int64(len(spans)))
	} else {
		e.exported.Add(int64(len(spans)))
	}
	return err
}

type countingProcessor struct {
	sdktrace.SpanProcessor
	exp    *countingExporter
	queued atomic.Int64
}

func (p *countingProcessor) OnEnd(s sdktrace.ReadOnlySpan) {
	p.queued.Add(1)
	p.SpanProcessor.OnEnd(s)
}

func (p *countingProcessor) Stats() exporter.Stats {
	return exporter.Stats{Queued: p.queued.Load(), Exported: p.exp.exported.Load(), Failed: p.exp.failed.Load()}
}
