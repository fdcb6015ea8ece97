package exporter

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/semconv"
)

// testProcessor builds a processor behind a real TracerProvider, logging
// into a buffer. Short MaxWaitTime unless cfg says otherwise.
func testProcessor(t *testing.T, cfg Config) (*Processor, trace.Tracer, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if cfg.MaxWaitTime == 0 {
		cfg.MaxWaitTime = 20 * time.Millisecond
	}
	if cfg.ExportTimeout == 0 {
		cfg.ExportTimeout = 5 * time.Second
	}
	p := New(cfg)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(ctx)
	})
	return p, tp.Tracer("exporter_test"), logs
}

// endTrace ends a trace of n spans: n-1 children, then their root.
func endTrace(tr trace.Tracer, n int) {
	ctx, root := tr.Start(context.Background(), "session")
	for i := 1; i < n; i++ {
		_, s := tr.Start(ctx, fmt.Sprintf("child-%d", i))
		s.End()
	}
	root.End()
}

func flush(t *testing.T, p *Processor) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := p.ForceFlush(ctx); err != nil {
		t.Fatalf("ForceFlush: %v", err)
	}
}

// eventually polls cond every few milliseconds for at most d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func assertUnique(t *testing.T, ids []string) {
	t.Helper()
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			t.Fatalf("span %s delivered twice", id)
		}
		seen[id] = true
	}
}

func TestDelivery(t *testing.T) {
	const otherKey = "11111111-2222-4333-8444-555555555555"
	tests := []struct {
		name          string
		key           string
		setup         func(*fakeServer)
		wantExported  int64
		wantFailed    int64
		wantAuth      string // credential of every request
		wantRequests  int
		wantExchanges int
		wantLog       string        // a warning that must appear
		minGap        time.Duration // between the first two requests (Retry-After honoured)
	}{
		{
			name: "bearer token from the exchange", key: testKey,
			wantExported: 5, wantAuth: "bearer", wantRequests: 1, wantExchanges: 1,
		},
		{
			name: "no token endpoint (404): key header", key: testKey,
			setup:        func(f *fakeServer) { f.noTokenPath = true },
			wantExported: 5, wantAuth: "key", wantRequests: 1, wantExchanges: 1,
		},
		{
			name: "exchange fails (500): key header", key: testKey,
			setup:        func(f *fakeServer) { f.tokenAnswers = []answer{{status: 500, message: "internal server error"}} },
			wantExported: 5, wantAuth: "key", wantRequests: 1, wantExchanges: 1,
		},
		{
			name: "503 with Retry-After, then accepted once", key: testKey,
			setup: func(f *fakeServer) {
				f.traceAnswers = []answer{{status: 503, retryAfter: "1", message: "ingest queue full"}}
			},
			wantExported: 5, wantAuth: "bearer", wantRequests: 2, wantExchanges: 1, minGap: time.Second,
		},
		{
			name: "400 is final", key: testKey,
			setup: func(f *fakeServer) {
				f.traceAnswers = []answer{{status: 400, message: "invalid OTLP body: span id of 3 bytes"}}
			},
			wantFailed: 5, wantAuth: "bearer", wantRequests: 1, wantExchanges: 1,
			wantLog: `status="400 Bad Request" message="invalid OTLP body: span id of 3 bytes"`,
		},
		{
			name: "403 is final", key: testKey,
			setup: func(f *fakeServer) {
				f.traceAnswers = []answer{{status: 403, message: "project suspended"}}
			},
			wantFailed: 5, wantAuth: "bearer", wantRequests: 1, wantExchanges: 1,
			wantLog: `status="403 Forbidden" message="project suspended"`,
		},
		{
			name: "413 is final", key: testKey,
			setup: func(f *fakeServer) {
				f.traceAnswers = []answer{{status: 413, message: "request body too large"}}
			},
			wantFailed: 5, wantAuth: "bearer", wantRequests: 1, wantExchanges: 1,
			wantLog: `status="413 Request Entity Too Large"`,
		},
		{
			name: "401 after the re-exchange is final", key: testKey,
			setup: func(f *fakeServer) {
				f.traceAnswers = []answer{{status: 401, message: "token revoked"}, {status: 401, message: "token revoked"}}
			},
			wantFailed: 5, wantAuth: "bearer", wantRequests: 2, wantExchanges: 2,
			wantLog: `status="401 Unauthorized" message="token revoked"`,
		},
		{
			name: "key rejected by the exchange", key: otherKey,
			wantFailed: 5, wantAuth: "key", wantRequests: 1, wantExchanges: 1,
			wantLog: "AgentOps API key rejected: Unknown API key",
		},
		{
			name:       "no API key",
			wantFailed: 5, wantAuth: "none", wantRequests: 1, wantExchanges: 0,
			wantLog: "no API key configured",
		},
		{
			name: "partial success", key: testKey,
			setup:        func(f *fakeServer) { f.rejectSpans = 2 },
			wantExported: 3, wantFailed: 2, wantAuth: "bearer", wantRequests: 1, wantExchanges: 1,
			wantLog: "some spans had empty ids",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeServer(t)
			if tt.setup != nil {
				tt.setup(f)
			}
			p, tr, logs := testProcessor(t, Config{APIKey: tt.key, APIEndpoint: f.URL})
			endTrace(tr, 5)
			flush(t, p)

			got := p.Stats()
			want := Stats{Queued: 5, Exported: tt.wantExported, Failed: tt.wantFailed}
			if got != want {
				t.Errorf("Stats = %+v, want %+v", got, want)
			}
			reqs, exchanges := f.snapshot()
			if len(reqs) != tt.wantRequests || exchanges != tt.wantExchanges {
				t.Errorf("server saw %d trace requests and %d exchanges, want %d and %d",
					len(reqs), exchanges, tt.wantRequests, tt.wantExchanges)
			}
			for i, r := range reqs {
				if r.auth != tt.wantAuth {
					t.Errorf("request %d sent credential %q, want %q", i, r.auth, tt.wantAuth)
				}
			}
			accepted := f.accepted()
			assertUnique(t, accepted)
			if tt.wantFailed == 0 && int64(len(accepted)) != tt.wantExported {
				t.Errorf("server accepted %d spans, want %d", len(accepted), tt.wantExported)
			}
			if tt.minGap > 0 && len(reqs) >= 2 {
				if gap := reqs[1].at.Sub(reqs[0].at); gap < tt.minGap-50*time.Millisecond {
					t.Errorf("retried after %v, want at least %v (Retry-After)", gap, tt.minGap)
				}
			}
			if tt.wantLog != "" && logs.count(tt.wantLog) != 1 {
				t.Errorf("want one warning containing %q; log:\n%s", tt.wantLog, logs)
			}
		})
	}
}

func TestTokenReexchangedAfter401(t *testing.T) {
	f := newFakeServer(t)
	p, tr, _ := testProcessor(t, Config{APIKey: testKey, APIEndpoint: f.URL})

	endTrace(tr, 3)
	flush(t, p)
	f.revokeTokens() // as after a server restart with a new secret
	endTrace(tr, 3)
	flush(t, p)

	if got, want := p.Stats(), (Stats{Queued: 6, Exported: 6}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	reqs, exchanges := f.snapshot()
	if exchanges != 2 {
		t.Errorf("exchanges = %d, want 2", exchanges)
	}
	var statuses []int
	for _, r := range reqs {
		statuses = append(statuses, r.status)
	}
	if fmt.Sprint(statuses) != "[200 401 200]" {
		t.Fatalf("statuses = %v, want [200 401 200]", statuses)
	}
	if reqs[1].token != reqs[0].token || reqs[2].token == reqs[1].token {
		t.Errorf("tokens: want the old one refused, then a new one")
	}
	assertUnique(t, f.accepted())
}

func TestQueueFullDropsExactly(t *testing.T) {
	f := newFakeServer(t)
	f.hold = make(chan struct{})
	p, tr, logs := testProcessor(t, Config{
		APIKey: testKey, APIEndpoint: f.URL,
		MaxQueueSize: 10, MaxBatchSize: 10, MaxWaitTime: time.Minute,
	})

	endTrace(tr, 1) // a root: sent at once, and the server holds it
	select {
	case <-f.arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the first request never arrived")
	}

	ctx, root := tr.Start(context.Background(), "held-session")
	for i := range 25 {
		_, s := tr.Start(ctx, fmt.Sprint("span-", i))
		s.End()
	}
	if got, want := p.Stats(), (Stats{Queued: 11, Dropped: 15, Pending: 11}); got != want {
		t.Errorf("with the server blocked: Stats = %+v, want %+v", got, want)
	}
	if n := logs.count("span queue full"); n != 1 {
		t.Errorf("queue-full warnings = %d, want 1 (rate-limited); log:\n%s", n, logs)
	}

	close(f.hold)
	flush(t, p)
	root.End()
	flush(t, p)
	if got, want := p.Stats(), (Stats{Queued: 12, Exported: 12, Dropped: 15}); got != want {
		t.Errorf("after the server answered: Stats = %+v, want %+v", got, want)
	}
	assertUnique(t, f.accepted())
}

func TestEarlyFlush(t *testing.T) {
	remote := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1}, SpanID: trace.SpanID{1}, TraceFlags: trace.FlagsSampled, Remote: true,
	})
	tests := []struct {
		name  string
		start func(tr trace.Tracer) (context.Context, trace.Span)
	}{
		{"root span", func(tr trace.Tracer) (context.Context, trace.Span) {
			return tr.Start(context.Background(), "agent-run")
		}},
		{"session span under a remote parent", func(tr trace.Tracer) (context.Context, trace.Span) {
			ctx := trace.ContextWithRemoteSpanContext(context.Background(), remote)
			return tr.Start(ctx, "session", trace.WithAttributes(attribute.String(semconv.SpanKind, semconv.KindSession)))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeServer(t)
			p, tr, _ := testProcessor(t, Config{APIKey: testKey, APIEndpoint: f.URL, MaxWaitTime: time.Minute})

			ctx, top := tt.start(tr)
			_, child := tr.Start(ctx, "llm-call")
			child.End()
			time.Sleep(100 * time.Millisecond)
			if n := len(f.accepted()); n != 0 {
				t.Fatalf("a child's end sent %d spans; it should wait", n)
			}

			top.End()
			eventually(t, 2*time.Second, "both spans delivered after the top span ended", func() bool {
				return len(f.accepted()) == 2 && p.Stats().Exported == 2
			})
		})
	}
}

func TestServerAbsent(t *testing.T) {
	t.Run("closed port", func(t *testing.T) {
		t.Parallel()
		const exportTimeout = 1500 * time.Millisecond
		unanswered := &unansweredCounter{base: newTransport()}
		p, tr, logs := testProcessor(t, Config{
			APIKey: testKey, APIEndpoint: closedPort(t), HTTPClient: &http.Client{Transport: unanswered},
			ExportTimeout: exportTimeout,
		})
		start := time.Now()
		endTrace(tr, 5)
		eventually(t, 5*time.Second, "a refused attempt", func() bool { return unanswered.n.Load() > 0 })

		// While the batch waits to be sent again, calls return at once.
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		began := time.Now()
		if err := p.ForceFlush(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ForceFlush = %v, want the deadline", err)
		}
		endTrace(tr, 3)
		if d := time.Since(began); d > 500*time.Millisecond {
			t.Errorf("ForceFlush(100ms) and 3 spans took %v while retrying", d)
		}

		eventually(t, exportTimeout+2*time.Second, "the first batch failed", func() bool { return p.Stats().Failed >= 5 })
		if d := time.Since(start); d < exportTimeout-2*lastAttemptRoom {
			t.Errorf("gave up after %v, before ExportTimeout (%v)", d, exportTimeout)
		}
		if n := unanswered.n.Load(); n < 3 {
			t.Errorf("%d attempts within ExportTimeout, want at least 3", n)
		}
		flush(t, p) // the 3 later spans: another ExportTimeout
		if got, want := p.Stats(), (Stats{Queued: 8, Failed: 8}); got != want {
			t.Errorf("Stats = %+v, want %+v", got, want)
		}
		if logs.count("spans not delivered") != 1 || logs.count("connection refused") == 0 {
			t.Errorf("want a warning naming the refused connection; log:\n%s", logs)
		}
	})

	t.Run("hung server", func(t *testing.T) {
		t.Parallel()
		url, connected := silentServer(t)
		p, tr, _ := testProcessor(t, Config{
			APIKey: testKey, APIEndpoint: url,
			MaxQueueSize: 8, MaxBatchSize: 8, ExportTimeout: 30 * time.Second,
		})
		endTrace(tr, 5) // sent at once; never answered
		select {
		case <-connected:
		case <-time.After(5 * time.Second):
			t.Fatal("the processor never connected")
		}

		start := time.Now()
		ctx, root := tr.Start(context.Background(), "stuck")
		for range 12 {
			_, s := tr.Start(ctx, "span")
			s.End()
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("ending 12 spans took %v", d)
		}
		if got, want := p.Stats(), (Stats{Queued: 13, Dropped: 4, Pending: 13}); got != want {
			t.Errorf("with 5 spans in flight and a queue of 8: Stats = %+v, want %+v", got, want)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start = time.Now()
		if err := p.ForceFlush(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("ForceFlush = %v, want the deadline", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("ForceFlush returned after %v, its deadline was 200ms", d)
		}

		ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		start = time.Now()
		if err := p.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Shutdown = %v, want the deadline", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Shutdown returned after %v, its deadline was 200ms", d)
		}
		root.End()
		if got, want := p.Stats(), (Stats{Queued: 13, Failed: 13, Dropped: 5}); got != want {
			t.Errorf("Stats = %+v, want %+v", got, want)
		}
	})
}

func TestShutdown(t *testing.T) {
	f := newFakeServer(t)
	baseline := runtime.NumGoroutine()
	p, tr, logs := testProcessor(t, Config{APIKey: testKey, APIEndpoint: f.URL, MaxWaitTime: time.Minute})

	ctx, root := tr.Start(context.Background(), "session")
	_, child := tr.Start(ctx, "tool")
	child.End()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Go(func() { errs[i] = p.Shutdown(ctx) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Shutdown call %d: %v", i, err)
		}
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown again: %v", err)
	}
	if err := p.ForceFlush(ctx); err != nil {
		t.Errorf("ForceFlush after Shutdown: %v", err)
	}

	root.End()
	endTrace(tr, 2)
	if got, want := p.Stats(), (Stats{Queued: 1, Exported: 1, Dropped: 3}); got != want {
		t.Errorf("Stats = %+v, want %+v (the queued span flushed, later ones dropped)", got, want)
	}
	if n := logs.count("ended after Shutdown"); n != 1 {
		t.Errorf("after-shutdown warnings = %d, want 1", n)
	}
	if n := len(f.accepted()); n != 1 {
		t.Errorf("server accepted %d spans, want 1", n)
	}
	eventually(t, 2*time.Second, fmt.Sprintf("goroutines back to %d", baseline), func() bool {
		return runtime.NumGoroutine() <= baseline
	})
}

func TestConcurrentEndAndFlush(t *testing.T) {
	const goroutines, traces, spansPerTrace = 50, 4, 25
	f := newFakeServer(t)
	p, tr, _ := testProcessor(t, Config{
		APIKey: testKey, APIEndpoint: f.URL,
		MaxQueueSize: 512, MaxBatchSize: 64, MaxWaitTime: 5 * time.Millisecond,
	})

	stop := make(chan struct{})
	var flushers sync.WaitGroup
	for range 2 {
		flushers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if err := p.ForceFlush(ctx); err != nil {
					t.Errorf("ForceFlush: %v", err)
				}
				cancel()
				if s := p.Stats(); s.Pending < 0 || s.Queued != s.Exported+s.Failed+s.Pending {
					t.Errorf("inconsistent Stats %+v", s)
				}
			}
		})
	}
	var enders sync.WaitGroup
	for range goroutines {
		enders.Go(func() {
			for range traces {
				endTrace(tr, spansPerTrace)
			}
		})
	}
	enders.Wait()
	close(stop)
	flushers.Wait()
	flush(t, p)

	s := p.Stats()
	if s.Queued+s.Dropped != goroutines*traces*spansPerTrace {
		t.Errorf("Queued %d + Dropped %d != %d spans ended", s.Queued, s.Dropped, goroutines*traces*spansPerTrace)
	}
	if s.Exported != s.Queued || s.Failed != 0 || s.Pending != 0 {
		t.Errorf("Stats = %+v: want every queued span exported", s)
	}
	accepted := f.accepted()
	assertUnique(t, accepted)
	if int64(len(accepted)) != s.Exported {
		t.Errorf("server accepted %d spans, Exported = %d", len(accepted), s.Exported)
	}
	t.Logf("%+v", s)
}

func TestInvalidEndpoint(t *testing.T) {
	p, tr, logs := testProcessor(t, Config{APIKey: testKey, ExporterEndpoint: "localhost:4318/v1/traces"})
	endTrace(tr, 3)
	flush(t, p)
	if got, want := p.Stats(), (Stats{Queued: 3, Failed: 3}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	if logs.count("invalid exporter endpoint") == 0 {
		t.Errorf("want a warning about the endpoint; log:\n%s", logs)
	}
}
