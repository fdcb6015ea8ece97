// Package exporter is the Go SDK's delivery of spans to an AgentOps server:
// an OpenTelemetry span processor with a bounded, never-blocking queue,
// batching, OTLP/HTTP protobuf export with retries, the /v3/auth/token JWT
// exchange, and counters of everything it had to drop.
//
// It is an SDK package: it never imports server packages.
package exporter

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Config configures a Processor. Zero values take the documented defaults.
type Config struct {
	APIKey           string        // sent for the token exchange, and as X-Agentops-Api-Key when no token can be had
	APIEndpoint      string        // base URL of the server's API (token exchange), default http://localhost:4318
	ExporterEndpoint string        // OTLP traces URL, default APIEndpoint + "/v1/traces"
	MaxQueueSize     int           // spans waiting for export; beyond, new spans are dropped and counted (default 2048)
	MaxBatchSize     int           // spans per export request (default 512)
	MaxWaitTime      time.Duration // longest a span waits before its batch is sent (default 5s)
	ExportTimeout    time.Duration // per export attempt, retries included (default 30s)
	HTTPClient       *http.Client  // nil: a client with sane timeouts
	Logger           *slog.Logger  // warnings (drops, export failures); nil: slog.Default()
}

// Stats counts what the processor did with spans since it started.
type Stats struct {
	Queued   int64 // spans accepted into the queue
	Exported int64 // spans the server acknowledged
	Dropped  int64 // spans refused because the queue was full
	Failed   int64 // spans lost after an export failed for good (retries exhausted or a non-retryable status)
	Pending  int64 // spans in the queue now
}

// Processor is an sdktrace.SpanProcessor. OnEnd never blocks: a full queue
// drops the span and counts it. A root span's end triggers an early flush.
type Processor struct{}

var _ sdktrace.SpanProcessor = (*Processor)(nil)

// New builds a processor and starts its export goroutine. It does not
// contact the server: a missing key or an unreachable server shows up as
// failures in Stats and warnings in the log, never as an error here.
func New(cfg Config) *Processor { panic("TODO") }

func (p *Processor) OnStart(ctx context.Context, s sdktrace.ReadWriteSpan) {}
func (p *Processor) OnEnd(s sdktrace.ReadOnlySpan)                         { panic("TODO") }

// ForceFlush exports everything queued so far, waiting until done or ctx ends.
func (p *Processor) ForceFlush(ctx context.Context) error { panic("TODO") }

// Shutdown flushes, then stops the export goroutine; later spans are dropped.
func (p *Processor) Shutdown(ctx context.Context) error { panic("TODO") }

// Stats returns the counters.
func (p *Processor) Stats() Stats { panic("TODO") }

// Token returns a valid bearer token for the API (exchanging the key if
// needed), or "" when none can be had; callers then send the key header.
func (p *Processor) Token(ctx context.Context) string { panic("TODO") }
