package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	collectorpb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// Limits of the bad-input server: small enough that the oversize rows send
// little, large enough for the 10 MB attribute row.
const (
	badMaxBody     = 12 << 20
	badMaxSpans    = 100
	badMaxQueued   = 4
	badMaxAttr     = 64 << 10
	bigAttrBytes   = 10_000_000
	manyAttributes = 10_000
)

// response is what one request got.
type response struct {
	status int
	body   []byte
	header http.Header
}

// TestBadInput sends one bad request per row to one live server and holds it
// to docs/API.md ("POST /v1/traces"). After every row a fresh valid session
// must still be accepted and stored: no bad input may leave the server
// unable to serve.
func TestBadInput(t *testing.T) {
	gate := &gatedWriter{}
	ts := startServerOn(t, func(st store.Store) store.Store { gate.Store = st; return gate }, func(c *Config) {
		c.MaxBodyBytes = badMaxBody
		c.MaxDecompressedBytes = badMaxBody
		c.MaxSpansPerRequest = badMaxSpans
		c.MaxQueuedSpans = badMaxQueued
		c.MaxAttrValueBytes = badMaxAttr
	})

	post := func(contentType string, body func() io.Reader, header ...string) func(*testing.T) response {
		return func(t *testing.T) response {
			status, b, h := ts.do(t, "POST", "/v1/traces", contentType, body(), header...)
			return response{status, b, h}
		}
	}
	fixed := func(b []byte) func() io.Reader { return func() io.Reader { return bytes.NewReader(b) } }
	// chunked hides the length, so the client sends Transfer-Encoding: chunked.
	chunked := func(b []byte) func() io.Reader {
		return func() io.Reader { return struct{ io.Reader }{bytes.NewReader(b)} }
	}

	validProto := protoRequest(t, func(ss ptrace.SpanSlice) { addSpan(ss, traceID(0xa1, 1), spanID(1), "root") })
	validJSON := []byte(spanJSON(hexTrace(0xa1, 2), "0000000000000001", "root"))
	oversize := bytes.Repeat([]byte{'x'}, badMaxBody+1024)

	zeroIDs := func(ss ptrace.SpanSlice) {
		tid := traceID(0xa2, 1)
		addSpan(ss, tid, spanID(1), "root")
		addSpan(ss, tid, spanID(2), "child")
		addSpan(ss, pcommon.TraceID{}, spanID(3), "zero trace id")
		addSpan(ss, tid, pcommon.SpanID{}, "zero span id")
	}
	zeroIDsJSON := `{"resourceSpans":[{"scopeSpans":[{"spans":[` +
		spanObject(hexTrace(0xa3, 1), "0000000000000001", "root") + `,` +
		spanObject(hexTrace(0xa3, 1), "0000000000000002", "child") + `,` +
		spanObject(strings.Repeat("0", 32), "0000000000000003", "zero trace id") + `,` +
		spanObject(hexTrace(0xa3, 1), "", "empty span id") + `]}]}]}`
	shortIDsJSON := `{"resourceSpans":[{"scopeSpans":[{"spans":[` +
		spanObject(hexTrace(0xa4, 1), "0000000000000001", "root") + `,` +
		spanObject("0102030405060708", "0000000000000002", "short trace id") + `,` +
		spanObject(hexTrace(0xa4, 1), "01020304", "short span id") + `]}]}]}`
	b64Trace := traceID(0xa5, 1)
	base64IDs := spanJSON(base64.StdEncoding.EncodeToString(b64Trace[:]), "AAAAAAAAAAE=", "root")

	rows := []struct {
		name   string
		send   func(*testing.T) response
		status int
		// notStored are sessions the request named that must not exist after it.
		notStored []string
		check     func(*testing.T, response)
	}{
		{name: "truncated protobuf", status: 400, send: post(contentProto, fixed(validProto[:len(validProto)/2])),
			notStored: []string{hexTrace(0xa1, 1)}},
		{name: "invalid JSON", status: 400, send: post(contentJSON, fixed([]byte(`{"resourceSpans":[{"scopeSpans":[`)))},
		{name: "OTLP/JSON with base64 ids", status: 400, send: post(contentJSON, fixed([]byte(base64IDs))),
			notStored: []string{hexTrace(0xa5, 1)}},
		{name: "Content-Type text/plain", status: 415, send: post("text/plain", fixed(validJSON)),
			notStored: []string{hexTrace(0xa1, 2)}},
		{name: "no Content-Type", status: 415, send: post("", fixed(validJSON)),
			notStored: []string{hexTrace(0xa1, 2)}},
		{name: "Content-Encoding br", status: 415, send: post(contentProto, fixed(validProto), "Content-Encoding", "br"),
			notStored: []string{hexTrace(0xa1, 1)}},
		{name: "oversize body with Content-Length", status: 413, send: post(contentProto, fixed(oversize))},
		{name: "oversize body chunked", status: 413, send: post(contentProto, chunked(oversize))},
		{name: "gzip bomb", status: 413, send: func(t *testing.T) response {
			// Gzip members concatenated are one valid gzip stream: 13
			// members of 1 MiB of zeros each inflate past the limit.
			member := gzipBytes(t, make([]byte, 1<<20))
			bomb := bytes.Repeat(member, badMaxBody>>20+1)
			if len(bomb) > 16<<10 {
				t.Fatalf("the bomb is %d bytes compressed; want a few KB", len(bomb))
			}
			return post(contentProto, fixed(bomb), "Content-Encoding", "gzip")(t)
		}, check: func(t *testing.T, r response) {
			if !bytes.Contains(r.body, []byte("decompressed")) {
				t.Errorf("413 for %s, want it for the decompressed size", r.body)
			}
		}},
		// Content codings are case-insensitive, and x-gzip is gzip (RFC 9110 8.4.1).
		{name: "Content-Encoding GZIP", status: 200, send: post(contentProto, fixed(gzipBytes(t, protoRequest(t, func(ss ptrace.SpanSlice) {
			addSpan(ss, traceID(0xab, 1), spanID(1), "root")
		}))), "Content-Encoding", "GZIP"), check: func(t *testing.T, _ response) { checkStored(t, ts, hexTrace(0xab, 1), 1) }},
		{name: "Content-Encoding x-gzip", status: 200, send: post(contentProto, fixed(gzipBytes(t, protoRequest(t, func(ss ptrace.SpanSlice) {
			addSpan(ss, traceID(0xab, 2), spanID(1), "root")
		}))), "Content-Encoding", "x-gzip"), check: func(t *testing.T, _ response) { checkStored(t, ts, hexTrace(0xab, 2), 1) }},
		{name: "empty protobuf body", status: 200, send: post(contentProto, fixed(nil)), check: func(t *testing.T, r response) {
			resp := ptraceotlp.NewExportResponse()
			if err := resp.UnmarshalProto(r.body); err != nil || resp.PartialSuccess().RejectedSpans() != 0 {
				t.Errorf("answer %x (%v): want an ExportTraceServiceResponse without rejections", r.body, err)
			}
		}},
		{name: "attribute nested 1,000 deep, protobuf", status: 400, send: post(contentProto, fixed(protoRequest(t, func(ss ptrace.SpanSlice) {
			m := addSpan(ss, traceID(0xac, 1), spanID(1), "deep").Attributes()
			for range 1000 {
				m = m.PutEmptyMap("n")
			}
		}))), notStored: []string{hexTrace(0xac, 1)}},
		{name: "attribute nested 20 deep, protobuf", status: 200, send: post(contentProto, fixed(protoRequest(t, func(ss ptrace.SpanSlice) {
			m := addSpan(ss, traceID(0xac, 3), spanID(1), "deep").Attributes()
			for range 20 {
				m = m.PutEmptyMap("n")
			}
			m.PutStr("leaf", "x")
		}))), check: func(t *testing.T, _ response) { checkNested(t, ts, hexTrace(0xac, 3), 20) }},
		{name: "attribute nested 20 deep, JSON", status: 200, send: post(contentJSON, fixed([]byte(nestedJSON(hexTrace(0xac, 4), 20)))),
			check: func(t *testing.T, _ response) { checkNested(t, ts, hexTrace(0xac, 4), 20) }},
		{name: "attribute nested 100,000 deep, JSON", status: 400, send: post(contentJSON, fixed([]byte(nestedJSON(hexTrace(0xac, 2), 100_000)))),
			notStored: []string{hexTrace(0xac, 2)}},
		{name: "malformed gzip", status: 400, send: post(contentProto, fixed(validProto), "Content-Encoding", "gzip"),
			notStored: []string{hexTrace(0xa1, 1)}},
		{name: "truncated gzip", status: 400, send: func(t *testing.T) response {
			gz := gzipBytes(t, validProto)
			return post(contentProto, fixed(gz[:len(gz)-10]), "Content-Encoding", "gzip")(t)
		}, notStored: []string{hexTrace(0xa1, 1)}},
		{name: "zero trace id and zero span id, protobuf", status: 200, send: post(contentProto, fixed(protoRequest(t, zeroIDs))),
			check: func(t *testing.T, r response) {
				resp := ptraceotlp.NewExportResponse()
				if err := resp.UnmarshalProto(r.body); err != nil {
					t.Fatalf("answer is not an ExportTraceServiceResponse: %v", err)
				}
				checkPartial(t, resp, 2, "empty trace id", "empty span id")
				checkStored(t, ts, hexTrace(0xa2, 1), 2)
			}},
		{name: "zero trace id and empty span id, JSON", status: 200, send: post(contentJSON, fixed([]byte(zeroIDsJSON))),
			check: func(t *testing.T, r response) {
				resp := ptraceotlp.NewExportResponse()
				if err := resp.UnmarshalJSON(r.body); err != nil {
					t.Fatalf("answer is not an OTLP/JSON ExportTraceServiceResponse: %v: %s", err, r.body)
				}
				checkPartial(t, resp, 2, "empty trace id", "empty span id")
				checkStored(t, ts, hexTrace(0xa3, 1), 2)
			}},
		// A wrong-length id cannot be decoded (pdata refuses it), so the
		// whole request is malformed: nothing of it is stored.
		{name: "short ids, JSON", status: 400, send: post(contentJSON, fixed([]byte(shortIDsJSON))),
			notStored: []string{hexTrace(0xa4, 1)}},
		{name: "short ids, protobuf", status: 400, send: post(contentProto, fixed(shortIDsProto(t, traceID(0xa4, 2)))),
			notStored: []string{hexTrace(0xa4, 2)}},
		{name: "invalid UTF-8 in name and attribute", status: 200, send: post(contentProto, fixed(protoRequest(t, func(ss ptrace.SpanSlice) {
			sp := addSpan(ss, traceID(0xa6, 1), spanID(1), "bad\xffname")
			sp.Attributes().PutStr("note", "caf\xc3")
			sp.Attributes().PutStr("ok", "fine")
		}))), check: func(t *testing.T, _ response) {
			exp, raw := getExport(t, ts, hexTrace(0xa6, 1))
			if !json.Valid(raw) || !utf8.Valid(raw) {
				t.Fatalf("export is not valid JSON in UTF-8")
			}
			if len(exp.Spans) != 1 {
				t.Fatalf("export has %d spans, want 1", len(exp.Spans))
			}
			if got := exp.Spans[0].Name; got != "bad\uFFFDname" {
				t.Errorf("span name = %q, want %q", got, "bad\uFFFDname")
			}
			attrs := attributes(t, exp.Spans[0])
			if got := attrs["note"]; got != "caf\uFFFD" {
				t.Errorf("attribute note = %q, want %q", got, "caf\uFFFD")
			}
			if got := attrs["ok"]; got != "fine" {
				t.Errorf("attribute ok = %q, want fine", got)
			}
		}},
		{name: "invalid UTF-8 everywhere else", status: 200, send: post(contentProto, fixed(protoRequest(t, func(ss ptrace.SpanSlice) {
			sp := addSpan(ss, traceID(0xa6, 2), spanID(1), "root")
			sp.Attributes().PutStr("k\xfeey", "v")
			sp.Attributes().PutEmptySlice("list").AppendEmpty().SetStr("\xc0\x80")
			sp.Status().SetMessage("st\xffatus")
			ev := sp.Events().AppendEmpty()
			ev.SetName("ev\xff")
			ev.Attributes().PutStr("ek", "\xed\xa0\x80") // a UTF-16 surrogate: invalid in UTF-8
		}))), check: func(t *testing.T, _ response) {
			exp, raw := getExport(t, ts, hexTrace(0xa6, 2))
			if !json.Valid(raw) || !utf8.Valid(raw) {
				t.Fatalf("export is not valid JSON in UTF-8")
			}
			if got := exp.Spans[0].Status.Message; got != "st\uFFFDatus" {
				t.Errorf("status message = %q", got)
			}
			attrs := attributes(t, exp.Spans[0])
			if got, ok := attrs["k\uFFFDey"]; !ok || got != "v" {
				t.Errorf("attributes = %v, want key k\uFFFDey = v", attrs)
			}
			if got := attrs["list"]; got != "[\uFFFD\uFFFD]" && got != "[\uFFFD]" {
				t.Errorf("list = %q, want its invalid bytes replaced by U+FFFD", got)
			}
			var ev []struct{ Name string }
			if err := json.Unmarshal(exp.Spans[0].Events, &ev); err != nil || len(ev) != 1 || ev[0].Name != "ev\uFFFD" {
				t.Errorf("events = %s (%v), want one named ev\uFFFD", exp.Spans[0].Events, err)
			}
		}},
		{name: "invalid UTF-8 in OTLP/JSON", status: 200, send: post(contentJSON, fixed(bytes.Replace([]byte(spanJSON(hexTrace(0xa6, 3), "0000000000000001", "na<>me")), []byte("<>"), []byte{0xff}, 1))),
			check: func(t *testing.T, _ response) {
				exp, raw := getExport(t, ts, hexTrace(0xa6, 3))
				if !json.Valid(raw) || !utf8.Valid(raw) {
					t.Fatalf("export is not valid JSON in UTF-8")
				}
				if got := exp.Spans[0].Name; got != "na\uFFFDme" {
					t.Errorf("span name = %q, want %q", got, "na\uFFFDme")
				}
			}},
		{name: "10,000 attributes", status: 200, send: post(contentProto, fixed(protoRequest(t, func(ss ptrace.SpanSlice) {
			sp := addSpan(ss, traceID(0xa7, 1), spanID(1), "wide")
			for i := range manyAttributes {
				sp.Attributes().PutStr(fmt.Sprintf("attr.%05d", i), fmt.Sprintf("value-%d", i))
			}
		}))), check: func(t *testing.T, _ response) {
			exp, _ := getExport(t, ts, hexTrace(0xa7, 1))
			attrs := attributes(t, exp.Spans[0])
			if len(attrs) != manyAttributes {
				t.Errorf("export has %d attributes, want %d", len(attrs), manyAttributes)
			}
			for i := range manyAttributes {
				k := fmt.Sprintf("attr.%05d", i)
				if got, want := attrs[k], fmt.Sprintf("value-%d", i); got != want {
					t.Fatalf("attribute %s = %q, want %q", k, got, want)
				}
			}
			if exp.Spans[0].Truncated {
				t.Error("span marked truncated, but no value was long")
			}
		}},
		{name: "10 MB attribute value", status: 200, send: func(t *testing.T) response {
			body := protoRequest(t, func(ss ptrace.SpanSlice) {
				sp := addSpan(ss, traceID(0xa8, 1), spanID(1), "big")
				sp.Attributes().PutStr("payload", strings.Repeat("y", bigAttrBytes))
				sp.Attributes().PutStr("small", "kept")
			})
			if len(body) > badMaxBody {
				t.Fatalf("request is %d bytes, over the server's body limit", len(body))
			}
			return post(contentProto, fixed(body))(t)
		}, check: func(t *testing.T, _ response) {
			exp, _ := getExport(t, ts, hexTrace(0xa8, 1))
			sp := exp.Spans[0]
			if !sp.Truncated {
				t.Error("span not marked truncated")
			}
			var attrs map[string]json.RawMessage
			if err := json.Unmarshal(sp.Attributes, &attrs); err != nil {
				t.Fatal(err)
			}
			var payload string
			if err := json.Unmarshal(attrs["payload"], &payload); err != nil || payload != strings.Repeat("y", badMaxAttr) {
				t.Errorf("payload is %d bytes (%v), want cut to %d", len(payload), err, badMaxAttr)
			}
			if got := string(attrs["payload.truncated"]); got != fmt.Sprint(bigAttrBytes) {
				t.Errorf("payload.truncated = %s, want %d (the original length)", got, bigAttrBytes)
			}
			if got := string(attrs["small"]); got != `"kept"` {
				t.Errorf("small = %s, want \"kept\"", got)
			}
		}},
		{name: "too many spans", status: 413, send: post(contentProto, fixed(protoRequest(t, func(ss ptrace.SpanSlice) {
			for i := range badMaxSpans + 1 {
				addSpan(ss, traceID(0xa9, 1), spanID(uint64(i+1)), "many")
			}
		}))), notStored: []string{hexTrace(0xa9, 1)}},
		{name: "GET /v1/traces", status: 405, send: func(t *testing.T) response {
			status, b, h := ts.do(t, "GET", "/v1/traces", "", nil)
			return response{status, b, h}
		}, check: checkAllowPost},
		{name: "PUT /v1/traces", status: 405, send: func(t *testing.T) response {
			status, b, h := ts.do(t, "PUT", "/v1/traces", contentJSON, bytes.NewReader(validJSON))
			return response{status, b, h}
		}, check: checkAllowPost, notStored: []string{hexTrace(0xa1, 2)}},
		{name: "ingest queue full", status: 503, send: func(t *testing.T) response {
			return overload(t, ts, gate)
		}, notStored: []string{hexTrace(0xaa, 2)}},
	}

	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			r := row.send(t)
			if r.status != row.status {
				t.Errorf("status = %d, want %d; body %.300s", r.status, row.status, r.body)
			}
			if r.status != 200 {
				checkErrorBody(t, r)
			}
			if got := r.header.Get("Retry-After"); (r.status == 503) != (got != "") || (got != "" && got != "1") {
				t.Errorf("Retry-After = %q on a %d; docs/API.md: \"1\" on 503 only", got, r.status)
			}
			if row.check != nil && r.status == row.status {
				row.check(t, r)
			}
			for _, id := range row.notStored {
				if status, body, _ := ts.do(t, "GET", "/v2/sessions/"+id+"/stats", "", nil); status != 404 {
					t.Errorf("session %s of a refused request: GET stats = %d %s, want 404", id, status, body)
				}
			}
			// The server still serves: a fresh session is accepted and stored.
			id := hexTrace(0xf0, uint64(i))
			status, body, _ := ts.do(t, "POST", "/v1/traces", contentJSON, strings.NewReader(spanJSON(id, "00000000000000f1", "after")))
			if status != 200 {
				t.Fatalf("valid request after the row = %d %s", status, body)
			}
			checkStored(t, ts, id, 1)
		})
	}
}

// overload fills the ingest queue deterministically: it holds the writer,
// sends one request that stays queued behind it, then a second that would
// take the queue past MaxQueuedSpans and must be refused with 503. The held
// request must still be answered 200 once the writer goes on.
func overload(t *testing.T, ts *testServer, gate *gatedWriter) response {
	entered, release := gate.hold()
	defer release()
	first := make(chan response, 1)
	go func() {
		// ts.do would call t.Fatal off the test goroutine; report instead.
		req, _ := http.NewRequest("POST", ts.URL+"/v1/traces", strings.NewReader(spanJSON(hexTrace(0xaa, 1), "0000000000000001", "queued")))
		req.Header.Set("X-Agentops-Api-Key", ts.Key)
		req.Header.Set("Content-Type", contentJSON)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			first <- response{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		first <- response{resp.StatusCode, b, resp.Header}
	}()
	select {
	case <-entered:
	case r := <-first:
		t.Fatalf("the first request was answered %d %s while the writer was held", r.status, r.body)
	case <-time.After(10 * time.Second):
		t.Fatal("the writer was never called")
	}
	// One span waits for its commit; badMaxQueued more exceed the queue.
	body := protoRequest(t, func(ss ptrace.SpanSlice) {
		for i := range badMaxQueued {
			addSpan(ss, traceID(0xaa, 2), spanID(uint64(i+1)), "overflow")
		}
	})
	status, b, h := ts.do(t, "POST", "/v1/traces", contentProto, bytes.NewReader(body))
	release()
	select {
	case r := <-first:
		if r.status != 200 {
			t.Errorf("the queued request = %d %s, want 200 once the writer goes on", r.status, r.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the queued request was never answered")
	}
	checkStored(t, ts, hexTrace(0xaa, 1), 1)
	return response{status, b, h}
}

// gatedWriter passes writes to the store, except while held: then WriteSpans
// signals that it was called and waits for the release.
type gatedWriter struct {
	store.Store
	mu      sync.Mutex
	gate    chan struct{} // nil: not held
	entered chan struct{}
}

func (g *gatedWriter) hold() (entered <-chan struct{}, release func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	gate, ent := make(chan struct{}), make(chan struct{}, 1)
	g.gate, g.entered = gate, ent
	var once sync.Once
	return ent, func() {
		once.Do(func() {
			g.mu.Lock()
			g.gate, g.entered = nil, nil
			g.mu.Unlock()
			close(gate)
		})
	}
}

func (g *gatedWriter) WriteSpans(ctx context.Context, spans []model.Span, now time.Time) error {
	g.mu.Lock()
	gate, entered := g.gate, g.entered
	g.mu.Unlock()
	if gate != nil {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-gate
	}
	return g.Store.WriteSpans(ctx, spans, now)
}

// startServerOn is startServer with the store wrapped by wrap.
func startServerOn(t *testing.T, wrap func(store.Store) store.Store, mutate ...func(*Config)) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.GRPCAddr = "127.0.0.1:0"
	for _, m := range mutate {
		m(&cfg)
	}
	st, err := OpenStore(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := EnsureDefaultProject(context.Background(), st)
	if err != nil || key == "" {
		t.Fatalf("EnsureDefaultProject = %q, %v", key, err)
	}
	secret, err := auth.LoadOrCreateSecret(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(cfg, wrap(st), secret, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	var grpcLn net.Listener
	if cfg.GRPCAddr != "" {
		if grpcLn, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{URL: srv.Scheme() + "://" + ln.Addr().String(), Key: key, DataDir: cfg.DataDir, srv: srv, stop: cancel, done: make(chan error, 1)}
	if grpcLn != nil {
		ts.GRPCAddr = grpcLn.Addr().String()
	}
	go func() { ts.done <- srv.ServeWithGRPC(ctx, ln, grpcLn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-ts.done; err != nil {
			t.Errorf("Serve returned %v after a clean shutdown", err)
		}
	})
	return ts
}

// checkErrorBody holds an error answer of POST /v1/traces to docs/API.md:
// JSON {"error", "code", "message"}, code the google.rpc.Code of the status.
func checkErrorBody(t *testing.T, r response) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q, want application/json", ct)
	}
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
		Code    int    `json:"code"`
	}
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %q", err, r.body)
	}
	if e.Error == "" || e.Message != e.Error {
		t.Errorf("error body %s: want a non-empty error and the same message", r.body)
	}
	want := map[int]int{400: 3, 401: 16, 403: 7, 404: 5, 405: 12, 413: 8, 415: 12, 503: 14}[r.status]
	if e.Code != want {
		t.Errorf("code = %d for status %d, want google.rpc.Code %d", e.Code, r.status, want)
	}
}

func checkAllowPost(t *testing.T, r response) {
	t.Helper()
	if got := r.header.Get("Allow"); got != "POST" {
		t.Errorf("Allow = %q, want POST", got)
	}
}

func checkPartial(t *testing.T, resp ptraceotlp.ExportResponse, rejected int64, reasons ...string) {
	t.Helper()
	ps := resp.PartialSuccess()
	if ps.RejectedSpans() != rejected {
		t.Errorf("rejected_spans = %d, want %d", ps.RejectedSpans(), rejected)
	}
	for _, r := range reasons {
		if !strings.Contains(ps.ErrorMessage(), r) {
			t.Errorf("error_message %q does not mention %q", ps.ErrorMessage(), r)
		}
	}
}

// checkStored polls (bounded) until the session exists, then checks its span
// count. The answer of POST comes after the commit, so the first look
// normally succeeds; the poll only guards against a slow reader.
func checkStored(t *testing.T, ts *testServer, id string, spans int64) {
	t.Helper()
	var (
		status int
		body   []byte
	)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		status, body, _ = ts.do(t, "GET", "/v2/sessions/"+id+"/stats", "", nil)
		if status != 404 || time.Now().After(deadline) {
			break
		}
	}
	if status != 200 {
		t.Fatalf("GET stats of %s = %d %s, want 200", id, status, body)
	}
	var stats api.SessionStats
	if err := json.Unmarshal(body, &stats); err != nil {
		t.Fatal(err)
	}
	if stats.Events.Total != spans {
		t.Errorf("session %s has %d spans, want %d", id, stats.Events.Total, spans)
	}
}

func getExport(t *testing.T, ts *testServer, id string) (api.SessionExport, []byte) {
	t.Helper()
	status, body, _ := ts.do(t, "GET", "/v2/sessions/"+id+"/export", "", nil)
	if status != 200 {
		t.Fatalf("GET export of %s = %d %.300s", id, status, body)
	}
	var exp api.SessionExport
	if err := json.Unmarshal(body, &exp); err != nil {
		t.Fatalf("export: %v", err)
	}
	if len(exp.Spans) == 0 {
		t.Fatalf("export of %s has no spans", id)
	}
	return exp, body
}

// attributes returns a span's string attributes.
func attributes(t *testing.T, sp api.Span) map[string]string {
	t.Helper()
	var raw map[string]any
	if err := json.Unmarshal(sp.Attributes, &raw); err != nil {
		t.Fatalf("attributes: %v", err)
	}
	out := make(map[string]string, len(raw))
	for k, v := range raw {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// protoRequest is a real OTLP protobuf ExportTraceServiceRequest holding the
// spans fill adds.
func protoRequest(t *testing.T, fill func(ptrace.SpanSlice)) []byte {
	t.Helper()
	req := ptraceotlp.NewExportRequest()
	rs := req.Traces().ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "badinput")
	fill(rs.ScopeSpans().AppendEmpty().Spans())
	b, err := req.MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func addSpan(ss ptrace.SpanSlice, tid pcommon.TraceID, sid pcommon.SpanID, name string) ptrace.Span {
	now := time.Now()
	sp := ss.AppendEmpty()
	sp.SetTraceID(tid)
	sp.SetSpanID(sid)
	sp.SetName(name)
	sp.SetStartTimestamp(pcommon.NewTimestampFromTime(now.Add(-time.Second)))
	sp.SetEndTimestamp(pcommon.NewTimestampFromTime(now))
	return sp
}

// shortIDsProto is a protobuf request with one valid span and spans whose
// ids are 8 and 4 bytes long, which pdata cannot build.
func shortIDsProto(t *testing.T, tid pcommon.TraceID) []byte {
	t.Helper()
	now := uint64(time.Now().UnixNano())
	span := func(trace, span []byte) *tracepb.Span {
		return &tracepb.Span{TraceId: trace, SpanId: span, Name: "s", StartTimeUnixNano: now - 1e9, EndTimeUnixNano: now}
	}
	sid := spanID(1)
	req := &collectorpb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{
			span(tid[:], sid[:]),
			span(tid[:8], sid[:]),
			span(tid[:], sid[:4]),
		}}},
	}}}
	b, err := proto.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func traceID(tag byte, n uint64) pcommon.TraceID {
	var id pcommon.TraceID
	id[0] = tag
	binary.BigEndian.PutUint64(id[8:], n)
	return id
}

func hexTrace(tag byte, n uint64) string {
	id := traceID(tag, n)
	return hex.EncodeToString(id[:])
}

func spanID(n uint64) pcommon.SpanID {
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], n)
	return id
}

// spanJSON is an OTLP/JSON request with one span; ids are put in as given.
func spanJSON(traceID, spanID, name string) string {
	return `{"resourceSpans":[{"scopeSpans":[{"spans":[` + spanObject(traceID, spanID, name) + `]}]}]}`
}

func spanObject(traceID, spanID, name string) string {
	now := time.Now().UnixNano()
	return fmt.Sprintf(`{"traceId":%q,"spanId":%q,"name":%q,"startTimeUnixNano":"%d","endTimeUnixNano":"%d"}`,
		traceID, spanID, name, now-1e9, now)
}

func gzipBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// nestedJSON is a one-span OTLP/JSON request whose attribute "n" is a map
// nested depth levels deep.
func nestedJSON(trace string, depth int) string {
	var b strings.Builder
	now := time.Now().UnixNano()
	fmt.Fprintf(&b, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":%q,"spanId":"0000000000000001","name":"deep","startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[`, trace, now-1e9, now)
	for range depth {
		b.WriteString(`{"key":"n","value":{"kvlistValue":{"values":[`)
	}
	b.WriteString(`{"key":"leaf","value":{"stringValue":"x"}}`)
	for range depth {
		b.WriteString(`]}}}`)
	}
	b.WriteString(`]}]}]}]}`)
	return b.String()
}

// checkNested checks that the attribute "n" of the session's span holds
// maps depth deep with the leaf "leaf": "x" at the bottom.
func checkNested(t *testing.T, ts *testServer, id string, depth int) {
	t.Helper()
	exp, _ := getExport(t, ts, id)
	var v any
	if err := json.Unmarshal(exp.Spans[0].Attributes, &v); err != nil {
		t.Fatal(err)
	}
	for i := range depth {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("level %d of the attributes is %T, want a map", i, v)
		}
		v = m["n"]
	}
	if m, ok := v.(map[string]any); !ok || m["leaf"] != "x" {
		t.Errorf("at depth %d: %v, want {\"leaf\": \"x\"}", depth, v)
	}
}
