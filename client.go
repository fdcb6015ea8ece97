package agentops

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/internal/exporter"
	"github.com/agentops-go/agentops/llm"
)

// Version is the SDK's version, recorded in the host environment.
const Version = "0.1.0"

// instrumentationName names the SDK's tracer.
const instrumentationName = "github.com/agentops-go/agentops"

// flushTimeout bounds the flush of Session.End and of the signal handler.
const flushTimeout = 5 * time.Second

// A Client records sessions (traces) and their spans and delivers them to
// one AgentOps server. It is safe for concurrent use. Most programs use the
// package-level default client (Init); a program talking to several
// projects or servers makes one Client each with New.
type Client struct {
	cfg      Config
	log      *slog.Logger
	proc     processor
	provider *sdktrace.TracerProvider
	tracer   trace.Tracer
	http     *http.Client

	mu       sync.Mutex
	active   map[*Session]struct{} // sessions started here and not yet ended
	shutdown bool

	stopSignals func()
	closed      atomic.Bool
}

// processor is what a Client needs of its span delivery:
// *exporter.Processor, or an in-memory one in tests.
type processor interface {
	sdktrace.SpanProcessor
}

// statser is implemented by processors that count (the exporter does).
type statser interface{ Stats() exporter.Stats }

// newExporter builds the span delivery. The exporter is contacted by no one
// here; should it fail to build (it must not), the client runs without
// delivery rather than crash the program.
var newExporter = func(cfg exporter.Config, log *slog.Logger) (p processor) {
	defer func() {
		if r := recover(); r != nil {
			log.Warn("agentops: span delivery unavailable; spans will not be sent", "panic", r)
			p = discard{}
		}
	}()
	return exporter.New(cfg)
}

// discard is a processor that delivers nothing.
type discard struct{}

func (discard) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (discard) OnEnd(sdktrace.ReadOnlySpan)                     {}
func (discard) Shutdown(context.Context) error                  { return nil }
func (discard) ForceFlush(context.Context) error                { return nil }

// New makes a Client from the defaults, the environment (AGENTOPS_*) and
// opts, in that order of precedence (last wins). It returns an error only
// for an invalid option or environment value; a missing API key or an
// unreachable server is a logged warning, and the client runs on.
//
// New starts no session, whatever WithAutoStartSession says (Init does).
func New(opts ...Option) (*Client, error) {
	s := settings{Config: defaultConfig()}
	envErr := s.Config.fromEnv()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&s); err != nil {
			return nil, fmt.Errorf("agentops: %w", err)
		}
	}
	if envErr != nil {
		return nil, fmt.Errorf("agentops: environment: %w", envErr)
	}
	if err := s.Config.validate(); err != nil {
		return nil, fmt.Errorf("agentops: %w", err)
	}
	return newClient(s), nil
}

func newClient(s settings) *Client {
	cfg := s.Config
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	c := &Client{cfg: cfg, log: log, http: hc, active: make(map[*Session]struct{})}
	c.proc = s.processor
	if c.proc == nil {
		c.proc = newExporter(exporter.Config{
			APIKey:           cfg.APIKey,
			APIEndpoint:      cfg.APIEndpoint,
			ExporterEndpoint: cfg.ExporterEndpoint,
			MaxQueueSize:     cfg.MaxQueueSize,
			MaxWaitTime:      cfg.MaxWaitTime,
			HTTPClient:       cfg.HTTPClient,
			Logger:           log,
		}, log)
		if cfg.APIKey == "" {
			log.Warn("agentops: no API key (set " + EnvAPIKey + " or use WithAPIKey); the server will refuse the spans")
		}
	}
	c.provider = sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(c.proc),
		sdktrace.WithSpanProcessor(llmTally{c}),
		sdktrace.WithIDGenerator(rootDerivedIDs{}),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
	)
	c.tracer = c.provider.Tracer(instrumentationName, trace.WithInstrumentationVersion(Version))
	if cfg.SignalHandler {
		c.stopSignals = c.handleSignals()
	}
	return c
}

// Config returns the client's resolved configuration.
func (c *Client) Config() Config {
	cfg := c.cfg
	cfg.DefaultTags = cloneTags(cfg.DefaultTags)
	return cfg
}

// TracerProvider returns the OpenTelemetry provider the client records
// with. Register it (otel.SetTracerProvider) to have instrumentation
// libraries' spans delivered with the client's, in the traces of the
// contexts they are made in.
func (c *Client) TracerProvider() trace.TracerProvider { return c.provider }

// Stats counts what the client's span delivery did since the client
// started.
type Stats struct {
	Queued   int64 // spans accepted into the export queue
	Exported int64 // spans the server acknowledged
	Dropped  int64 // spans dropped because the queue was full (or the client was shut down)
	Failed   int64 // spans lost after their export failed for good
	Pending  int64 // spans in the queue now
}

// Stats returns the export counters.
func (c *Client) Stats() Stats {
	st, ok := c.proc.(statser)
	if !ok {
		return Stats{}
	}
	var s exporter.Stats
	if err := safely(func() { s = st.Stats() }); err != nil {
		return Stats{}
	}
	return Stats{Queued: s.Queued, Exported: s.Exported, Dropped: s.Dropped, Failed: s.Failed, Pending: s.Pending}
}

// Flush delivers every span ended so far, waiting until done or ctx ends;
// LLM calls whose response has ended are recorded first (llm.Flush).
func (c *Client) Flush(ctx context.Context) error {
	if err := llm.Flush(ctx); err != nil {
		return err
	}
	var err error
	if perr := safely(func() { err = c.provider.ForceFlush(ctx) }); perr != nil {
		return perr
	}
	return err
}

// Shutdown ends the client's open sessions as Indeterminate with reason
// "shutdown", flushes and stops the delivery; later spans are not sent.
// Call it (or the package-level Shutdown) before the program exits: a
// process that ends without it leaves its sessions open, and the server
// shows them as Indeterminate once they time out.
//
// A ctx without a deadline gets one of DefaultShutdownTimeout, so a
// deferred Shutdown(context.Background()) never holds the program's exit
// for long when the server is slow or gone; what could not be sent by then
// is counted in Stats().Failed.
func (c *Client) Shutdown(ctx context.Context) error {
	if !c.closed.CompareAndSwap(false, true) {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultShutdownTimeout)
		defer cancel()
	}
	_ = llm.Flush(ctx) // LLM calls already answered count in the sessions ended below
	c.EndAllTraces(Indeterminate, "shutdown")
	c.mu.Lock()
	c.shutdown = true
	c.mu.Unlock()
	if c.stopSignals != nil {
		c.stopSignals()
	}
	var err error
	if perr := safely(func() { err = c.provider.Shutdown(ctx) }); perr != nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("agentops: shutdown: %w", err)
	}
	return nil
}

// DefaultShutdownTimeout bounds Shutdown when its context has no deadline.
const DefaultShutdownTimeout = 5 * time.Second

// safely runs f, turning a panic into an error: the SDK never panics the
// program it observes.
func safely(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("agentops: internal panic: %v", r)
		}
	}()
	f()
	return nil
}

// The package-level default client, as slog.Default. Reads are lock-free:
// span helpers look it up for every span made outside a session.
var (
	defaultMu     sync.Mutex // serializes changes
	defaultClient atomic.Pointer[Client]
)

// Init configures the default client from the environment and opts (see
// New) and, unless auto-start is off (WithAutoStartSession(false),
// AGENTOPS_AUTO_START_SESSION=false), starts a session and returns it; with
// auto-start off the session is nil and StartSession starts one later.
//
// Calling Init again replaces the default client; the previous one is shut
// down (its open sessions end as Indeterminate).
func Init(opts ...Option) (*Session, error) {
	c, err := New(opts...)
	if err != nil {
		return nil, err
	}
	if old := SetDefault(c); old != nil {
		ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
		_ = old.Shutdown(ctx)
		cancel()
	}
	if !c.cfg.AutoStartSession {
		return nil, nil
	}
	return c.StartSession(context.Background())
}

// SetDefault makes c the default client and returns the previous one (nil
// if there was none). SetDefault(nil) clears it.
func SetDefault(c *Client) (previous *Client) {
	defaultMu.Lock()
	defer defaultMu.Unlock()
	return defaultClient.Swap(c)
}

// Default returns the default client. If neither Init nor SetDefault was
// called, it is made on first use from the environment alone, with no
// session started (an invalid environment is logged and ignored, never a
// crash).
func Default() *Client {
	if c := defaultClient.Load(); c != nil {
		return c
	}
	defaultMu.Lock()
	defer defaultMu.Unlock()
	if c := defaultClient.Load(); c != nil {
		return c
	}
	c, err := New()
	if err != nil {
		s := settings{Config: defaultConfig()}
		s.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
		s.Logger.Warn("agentops: ignoring the environment", "err", err)
		c = newClient(s)
	}
	defaultClient.Store(c)
	return c
}

// Shutdown shuts the default client down (see Client.Shutdown). It does
// nothing if there is none.
func Shutdown(ctx context.Context) error {
	c := defaultClient.Load()
	if c == nil {
		return nil
	}
	return c.Shutdown(ctx)
}
