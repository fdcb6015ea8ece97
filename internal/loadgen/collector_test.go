package loadgen

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// collector is a fake OTLP/HTTP receiver that decodes and keeps every request.
type collector struct {
	t   *testing.T
	srv *httptest.Server

	// respond answers the n-th request (from 0); nil answers 200 with an
	// empty protobuf ExportTraceServiceResponse.
	respond func(n int, w http.ResponseWriter, r *http.Request)

	mu   sync.Mutex
	reqs []received
}

type received struct {
	at       time.Time
	header   http.Header
	raw      []byte // after gunzip
	wireSize int
	td       ptrace.Traces
}

func newCollector(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *collector {
	t.Helper()
	c := &collector{t: t, respond: respond}
	c.srv = httptest.NewServer(http.HandlerFunc(c.handle))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *collector) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/traces" || r.Method != http.MethodPost {
		c.t.Errorf("got %s %s, want POST /v1/traces", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	wire, err := io.ReadAll(r.Body)
	if err != nil {
		c.t.Errorf("read body: %v", err)
		return
	}
	raw := wire
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(wire))
		if err == nil {
			raw, err = io.ReadAll(zr)
		}
		if err != nil {
			c.t.Errorf("gunzip: %v", err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	var td ptrace.Traces
	switch ct := r.Header.Get("Content-Type"); ct {
	case "application/x-protobuf":
		req := ptraceotlp.NewExportRequest()
		err = req.UnmarshalProto(raw)
		td = req.Traces()
	case "application/json":
		td, err = (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
	default:
		c.t.Errorf("Content-Type %q", ct)
		http.Error(w, "bad content type", http.StatusUnsupportedMediaType)
		return
	}
	if err != nil {
		c.t.Errorf("decode: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	n := len(c.reqs)
	c.reqs = append(c.reqs, received{at: time.Now(), header: r.Header.Clone(), raw: raw, wireSize: len(wire), td: td})
	c.mu.Unlock()
	if c.respond != nil {
		c.respond(n, w, r)
		return
	}
	body, _ := ptraceotlp.NewExportResponse().MarshalProto()
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.Write(body)
}

func (c *collector) received() []received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]received(nil), c.reqs...)
}

// testConfig is a short run against c: n measured requests, no warmup.
func testConfig(c *collector, n int) Config {
	cfg := DefaultConfig()
	cfg.Endpoint = c.srv.URL
	cfg.Connections = 2
	cfg.Requests = n
	cfg.Warmup = 0
	cfg.PoolSize = 4
	cfg.Timeout = 10 * time.Second
	return cfg
}

// eachSpan calls fn for every span of td.
func eachSpan(td ptrace.Traces, fn func(ptrace.Span)) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				fn(sp)
			}
		}
	}
}

// checkStructure fails unless every span has ids, every trace has exactly
// one root, and every parent is a span of the same trace.
func checkStructure(t *testing.T, td ptrace.Traces) {
	t.Helper()
	type key struct {
		trace pcommon.TraceID
		span  pcommon.SpanID
	}
	spans := map[key]bool{}
	roots := map[pcommon.TraceID]int{}
	eachSpan(td, func(sp ptrace.Span) {
		if sp.TraceID().IsEmpty() || sp.SpanID().IsEmpty() {
			t.Fatalf("span %q has an empty id", sp.Name())
		}
		spans[key{sp.TraceID(), sp.SpanID()}] = true
		if sp.ParentSpanID().IsEmpty() {
			roots[sp.TraceID()]++
		} else {
			roots[sp.TraceID()] += 0
		}
	})
	eachSpan(td, func(sp ptrace.Span) {
		if p := sp.ParentSpanID(); !p.IsEmpty() && !spans[key{sp.TraceID(), p}] {
			t.Fatalf("span %q: parent %s is not in trace %s", sp.Name(), p, sp.TraceID())
		}
	})
	for tid, n := range roots {
		if n != 1 {
			t.Fatalf("trace %s has %d roots, want 1", tid, n)
		}
	}
}
