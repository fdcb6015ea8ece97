// Package exporter is the Go SDK's delivery of spans to an AgentOps server:
// an OpenTelemetry span processor with a bounded, never-blocking queue,
// batching, OTLP/HTTP protobuf export with retries, the /v3/auth/token JWT
// exchange, and counters of everything it had to drop.
//
// It is an SDK package: it never imports server packages.
package exporter

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-go/agentops/semconv"
)

// Defaults of Config's zero values.
const (
	DefaultAPIEndpoint   = "http://localhost:4318"
	DefaultMaxQueueSize  = 2048
	DefaultMaxBatchSize  = 512
	DefaultMaxWaitTime   = 5 * time.Second
	DefaultExportTimeout = 30 * time.Second
)

// Timing that is not worth a setting; tests shorten some through Config's
// unexported fields.
const (
	defaultWarnInterval  = 30 * time.Second // at most one warning of a kind per interval
	defaultExchangeRetry = 5 * time.Second  // first wait after a failed token exchange, doubling
	maxExchangeRetry     = 5 * time.Minute
	exchangeTimeout      = 10 * time.Second
	retryInitialInterval = time.Second // the server asks for Retry-After: 1
	retryMaxInterval     = 10 * time.Second
)

// Config configures a Processor. Zero values take the documented defaults.
type Config struct {
	APIKey           string        // sent for the token exchange, and as X-Agentops-Api-Key when no token can be had
	APIEndpoint      string        // base URL of the server's API (token exchange), default http://localhost:4318
	ExporterEndpoint string        // OTLP traces URL, default APIEndpoint + "/v1/traces"
	MaxQueueSize     int           // spans waiting for export; beyond, new spans are dropped and counted (default 2048)
	MaxBatchSize     int           // spans per export request (default 512)
	MaxWaitTime      time.Duration // longest a span waits before its batch is sent (default 5s)
	ExportTimeout    time.Duration // per batch, every attempt and the waits between them included (default 30s)
	HTTPClient       *http.Client  // nil: a client with sane timeouts
	Logger           *slog.Logger  // warnings (drops, export failures); nil: slog.Default()

	warnInterval  time.Duration         // tests: spacing of rate-limited warnings
	exchangeRetry time.Duration         // tests: first backoff after a failed exchange
	spanExporter  sdktrace.SpanExporter // tests and benchmarks: replaces the OTLP exporter
}

func (c Config) withDefaults() Config {
	if c.APIEndpoint == "" {
		c.APIEndpoint = DefaultAPIEndpoint
	}
	c.APIEndpoint = strings.TrimRight(c.APIEndpoint, "/")
	if c.ExporterEndpoint == "" {
		c.ExporterEndpoint = c.APIEndpoint + "/v1/traces"
	}
	if c.MaxQueueSize <= 0 {
		c.MaxQueueSize = DefaultMaxQueueSize
	}
	if c.MaxBatchSize <= 0 {
		c.MaxBatchSize = DefaultMaxBatchSize
	}
	if c.MaxWaitTime <= 0 {
		c.MaxWaitTime = DefaultMaxWaitTime
	}
	if c.ExportTimeout <= 0 {
		c.ExportTimeout = DefaultExportTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.warnInterval <= 0 {
		c.warnInterval = defaultWarnInterval
	}
	if c.exchangeRetry <= 0 {
		c.exchangeRetry = defaultExchangeRetry
	}
	return c
}

// Stats counts what the processor did with spans since it started.
// Queued = Exported + Failed + Pending at every moment.
type Stats struct {
	Queued   int64 // spans accepted into the queue
	Exported int64 // spans the server acknowledged
	Dropped  int64 // spans refused because the queue was full, or because they ended after Shutdown
	Failed   int64 // spans lost after an export failed for good (retries exhausted, a non-retryable status, a partial success's rejected spans, or still queued when Shutdown gave up)
	Pending  int64 // spans accepted and not yet settled: in the queue or in the batch being sent (or waiting to be sent again)
}

// Processor is an sdktrace.SpanProcessor. OnEnd never blocks: a full queue
// drops the span and counts it. A root span's end, or a session span's,
// triggers an early flush.
//
// One goroutine exports: it sends a batch when MaxBatchSize spans are
// queued, when MaxWaitTime has passed, when a root or session span ends,
// and on ForceFlush. A batch the server did not answer (it is down or
// restarting) is sent again, backing off, for up to ExportTimeout; OnEnd
// goes on queuing meanwhile. Queue memory is bounded by MaxQueueSize spans
// plus the batch being sent.
type Processor struct {
	cfg       Config
	log       *slog.Logger
	batchSize int // MaxBatchSize, at most MaxQueueSize so a full queue also triggers a send

	mu       sync.Mutex
	queue    ring
	closed   bool          // Shutdown has begun: OnEnd drops
	enqueued uint64        // spans ever accepted; ForceFlush waits for settled to reach it
	settled  uint64        // spans ever taken out of the queue and counted Exported or Failed
	progress chan struct{} // closed and replaced whenever settled advances

	queued, exported, dropped, failed atomic.Int64

	kick   chan struct{} // capacity 1: "send what is queued now"
	stop   chan struct{} // closed by Shutdown
	done   chan struct{} // closed when the export goroutine has returned
	cancel context.CancelFunc

	shutdownOnce sync.Once
	shutdownDone chan struct{}

	exp          sdktrace.SpanExporter
	endpointErr  error // an unusable ExporterEndpoint: every export fails with it
	tokens       *tokenSource
	ownTransport *http.Transport // made here, so its idle connections are closed at Shutdown

	dropWarn, failWarn warner
	noKeyWarn          sync.Once
	batch              []sdktrace.ReadOnlySpan // the export goroutine's reusable batch
	unreachable        bool                    // export goroutine: the last batch's last attempt got no answer
}

var _ sdktrace.SpanProcessor = (*Processor)(nil)

// New builds a processor and starts its export goroutine. It does not
// contact the server: a missing key or an unreachable server shows up as
// failures in Stats and warnings in the log, never as an error here.
func New(cfg Config) *Processor {
	cfg = cfg.withDefaults()
	p := &Processor{
		cfg:          cfg,
		log:          cfg.Logger,
		batchSize:    min(cfg.MaxBatchSize, cfg.MaxQueueSize),
		queue:        newRing(cfg.MaxQueueSize),
		progress:     make(chan struct{}),
		kick:         make(chan struct{}, 1),
		stop:         make(chan struct{}),
		done:         make(chan struct{}),
		shutdownDone: make(chan struct{}),
		dropWarn:     warner{every: cfg.warnInterval},
		failWarn:     warner{every: cfg.warnInterval},
	}
	p.batch = make([]sdktrace.ReadOnlySpan, 0, p.batchSize)

	base := cfg.HTTPClient
	if base == nil {
		p.ownTransport = newTransport()
		base = &http.Client{Transport: p.ownTransport, Timeout: cfg.ExportTimeout}
	}
	p.tokens = newTokenSource(cfg.APIKey, cfg.APIEndpoint+"/v3/auth/token", base, cfg.Logger, cfg.exchangeRetry)

	p.exp = cfg.spanExporter
	if p.exp == nil {
		if err := checkEndpoint(cfg.ExporterEndpoint); err != nil {
			p.endpointErr = err
			p.log.Warn("agentops: spans will not be delivered", "error", err)
		}
		p.exp = p.newOTLPExporter(base)
	}

	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go p.run(ctx)
	return p
}

// newOTLPExporter builds the otlptracehttp exporter: protobuf, gzip, its own
// retry of 429/502/503/504 (honouring Retry-After) bounded by ExportTimeout,
// and a client whose transport adds the credential to every request and
// records what came back (send retries the requests that got no answer).
func (p *Processor) newOTLPExporter(base *http.Client) sdktrace.SpanExporter {
	client := *base
	rt := client.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	client.Transport = &authTransport{base: rt, tokens: p.tokens}

	exp := otlptracehttp.NewUnstarted(
		otlptracehttp.WithEndpointURL(p.cfg.ExporterEndpoint),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression),
		otlptracehttp.WithHTTPClient(&client),
		otlptracehttp.WithTimeout(p.cfg.ExportTimeout),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{
			Enabled:         true,
			InitialInterval: retryInitialInterval,
			MaxInterval:     retryMaxInterval,
			MaxElapsedTime:  p.cfg.ExportTimeout,
		}),
	)
	// Start only sets up the exporter's optional self-observability; the
	// exporter works without it.
	if err := exp.Start(context.Background()); err != nil {
		p.log.Debug("agentops: OTLP exporter self-observability unavailable", "error", err)
	}
	return exp
}

func checkEndpoint(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid exporter endpoint %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid exporter endpoint %q: want an http:// or https:// URL", raw)
	}
	return nil
}

// OnStart does nothing: spans are handled when they end.
func (p *Processor) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues s for export, or drops and counts it when the queue is full
// or the processor is shut down. It never blocks on the network.
func (p *Processor) OnEnd(s sdktrace.ReadOnlySpan) {
	urgent := endsSession(s)

	p.mu.Lock()
	if p.closed || p.queue.full() {
		closed := p.closed
		p.mu.Unlock()
		p.drop(closed)
		return
	}
	p.queue.push(s)
	p.enqueued++
	p.queued.Add(1) // under mu, so Stats never sees a span settled before it was queued
	n := p.queue.len()
	p.mu.Unlock()

	if urgent || n == p.batchSize {
		p.signal()
	}
}

// endsSession reports whether s closes a unit worth sending at once: a root
// span (no parent at all), or a span marked as a session.
func endsSession(s sdktrace.ReadOnlySpan) bool {
	if !s.Parent().IsValid() {
		return true
	}
	for _, kv := range s.Attributes() {
		if kv.Key == semconv.SpanKind && kv.Value.Type() == attribute.STRING && kv.Value.AsString() == semconv.KindSession {
			return true
		}
	}
	return false
}

func (p *Processor) drop(afterShutdown bool) {
	total := p.dropped.Add(1)
	if !p.dropWarn.allow() {
		return
	}
	if afterShutdown {
		p.log.Warn("agentops: span ended after Shutdown; dropped", "dropped_total", total)
		return
	}
	p.log.Warn("agentops: span queue full; dropping spans (the server is slow or unreachable)",
		"dropped_total", total, "max_queue_size", p.cfg.MaxQueueSize)
}

// signal asks the export goroutine to send what is queued now. It never
// blocks: one pending signal covers every span queued before it is taken.
func (p *Processor) signal() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// ForceFlush exports everything queued so far, waiting until done or ctx
// ends (then it returns ctx's error; the export goes on in the background).
// A span that was sent but refused counts as Failed: ForceFlush reports
// only whether it waited to the end.
func (p *Processor) ForceFlush(ctx context.Context) error {
	p.mu.Lock()
	target := p.enqueued
	p.mu.Unlock()
	p.signal()
	for {
		p.mu.Lock()
		reached, progress := p.settled >= target, p.progress
		p.mu.Unlock()
		if reached {
			return nil
		}
		select {
		case <-progress:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Shutdown flushes, then stops the export goroutine; later spans are dropped.
// When ctx ends first, the export in flight (or its wait before another
// attempt) is abandoned and the spans still queued are counted as Failed;
// Shutdown returns ctx's error. Without a deadline on ctx, an unreachable
// server keeps it waiting about one ExportTimeout: the batch in flight is
// retried, the later ones get one attempt each. Either way no goroutine of
// the processor is left running. Calling it again returns nil once the
// first call has finished.
func (p *Processor) Shutdown(ctx context.Context) error {
	first := false
	p.shutdownOnce.Do(func() { first = true })
	if !first {
		select {
		case <-p.shutdownDone:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer close(p.shutdownDone)

	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()

	err := p.ForceFlush(ctx)
	close(p.stop)
	if err != nil {
		p.cancel() // abort the request in flight so the goroutine returns now
	}
	<-p.done
	p.cancel()

	// The OTLP exporter's Shutdown only marks it stopped; it does not wait.
	if serr := p.exp.Shutdown(context.WithoutCancel(ctx)); serr != nil && err == nil {
		err = fmt.Errorf("agentops: shut down exporter: %w", serr)
	}
	if p.ownTransport != nil {
		p.ownTransport.CloseIdleConnections()
	}
	return err
}

// Stats returns the counters. It takes no lock.
func (p *Processor) Stats() Stats {
	// Settled counters first: whatever they include was queued before, so
	// Pending is never negative.
	exported, failed := p.exported.Load(), p.failed.Load()
	queued := p.queued.Load()
	return Stats{
		Queued:   queued,
		Exported: exported,
		Dropped:  p.dropped.Load(),
		Failed:   failed,
		Pending:  queued - exported - failed,
	}
}

// Token returns a valid bearer token for the API (exchanging the key if
// needed), or "" when none can be had; callers then send the key header.
// After a failed exchange it returns "" at once until the retry backoff has
// passed, so it is cheap to call per request.
func (p *Processor) Token(ctx context.Context) string {
	return p.tokens.get(ctx)
}
