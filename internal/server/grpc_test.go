package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/pricing"
)

// newGRPCProvider is newProvider over OTLP/gRPC: the official exporter,
// gzip, with headers sent as gRPC metadata.
func newGRPCProvider(t *testing.T, ts *testServer, headers map[string]string) *sdktrace.TracerProvider {
	t.Helper()
	exp, err := otlptracegrpc.New(context.Background(),
		otlptracegrpc.WithEndpoint(ts.GRPCAddr),
		otlptracegrpc.WithInsecure(),
		otlptracegrpc.WithHeaders(headers),
		otlptracegrpc.WithCompressor("gzip"),
		otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}),
	)
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "e2e-agent"))
	return sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
}

// accessToken trades key for a bearer token at the public API's
// POST /public/v1/auth/access_token.
func accessToken(t *testing.T, ts *testServer, key string) string {
	t.Helper()
	status, body, _ := ts.do(t, "POST", "/public/v1/auth/access_token", contentJSON, strings.NewReader(`{"api_key":"`+key+`"}`), "X-Agentops-Api-Key", "")
	var tok struct{ Bearer string }
	if status != 200 || json.Unmarshal(body, &tok) != nil || tok.Bearer == "" {
		t.Fatalf("POST /public/v1/auth/access_token = %d %s", status, body)
	}
	return tok.Bearer
}

// TestEndToEndOTelGRPC: the real otlptracegrpc exporter against the gRPC
// port, with the API key and with a bearer token in metadata; the session
// reads back to the token and the cent, through /v2 and the public API.
func TestEndToEndOTelGRPC(t *testing.T) {
	for _, cred := range []string{"api-key", "bearer"} {
		t.Run(cred, func(t *testing.T) {
			ts := startServer(t)
			headers := map[string]string{"x-agentops-api-key": ts.Key}
			bearer := accessToken(t, ts, ts.Key)
			if cred == "bearer" {
				headers = map[string]string{"authorization": "Bearer " + bearer}
			}
			var exportErrs []error
			otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { exportErrs = append(exportErrs, err) }))
			tp := newGRPCProvider(t, ts, headers)
			traceID := agentRun(t, tp)
			if err := tp.Shutdown(context.Background()); err != nil {
				t.Fatalf("exporter: %v", err)
			}
			if len(exportErrs) > 0 {
				t.Fatalf("the exporter reported %d errors, first: %v", len(exportErrs), exportErrs[0])
			}
			checkSession(t, ts, traceID.String())
			checkPublicMetrics(t, ts, bearer, traceID.String())
		})
	}
}

// checkPublicMetrics reads agentRun's session through the public API with
// a bearer token alone.
func checkPublicMetrics(t *testing.T, ts *testServer, bearer, id string) {
	t.Helper()
	get := func(path string, v any) {
		t.Helper()
		status, body, _ := ts.do(t, "GET", path, "", nil, "X-Agentops-Api-Key", "", "Authorization", "Bearer "+bearer)
		if status != 200 {
			t.Fatalf("GET %s = %d %s", path, status, body)
		}
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatal(err)
		}
	}
	var p api.PublicProject
	get("/public/v1/project", &p)
	if p.Name != "default" || p.ID == "" {
		t.Errorf("project = %+v", p)
	}
	var m api.PublicTraceMetrics
	get("/public/v1/traces/"+id+"/metrics", &m)
	m4o, _ := pricing.Default().Find("openai", "gpt-4o-mini-2024-07-18")
	mo3, _ := pricing.Default().Find("openai", "o3-mini")
	want := m4o.Cost(pricing.Usage{Input: 1200, Output: 300}) + mo3.Cost(pricing.Usage{Input: 2000, CacheRead: 1500, Output: 800, Reasoning: 500})
	if m.SpanCount != 6 || m.FailCount != 1 || m.SuccessCount != 1 || m.IndeterminateCount != 4 || m.TotalTokens != 4300 || m.PromptTokens != 3200 || m.CacheReadInputTokens != 1500 {
		t.Errorf("trace metrics = %+v", m)
	}
	if got, wantStr := m.TotalCost, strconv.FormatFloat(want, 'f', 7, 64); got != wantStr {
		t.Errorf("total_cost = %s, want %s", got, wantStr)
	}
	var tr api.PublicTrace
	get("/public/v1/traces/"+id, &tr)
	if len(tr.Spans) != 6 || strings.Join(tr.Tags, ",") != "e2e,research" {
		t.Fatalf("trace = %+v", tr)
	}
	for _, sp := range tr.Spans {
		var one api.PublicSpan
		get("/public/v1/spans/"+sp.SpanID, &one)
		if one.TraceID != id || one.SpanName != sp.SpanName || one.ServiceName != "e2e-agent" {
			t.Errorf("span %s = %+v", sp.SpanID, one.PublicSpanSummary)
		}
	}
}

// rawGRPC is a plain OTLP/gRPC client for the refusals the official
// exporter would hide behind its retries.
func rawGRPC(t *testing.T, ts *testServer) ptraceotlp.GRPCClient {
	t.Helper()
	conn, err := grpc.NewClient(ts.GRPCAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ptraceotlp.NewGRPCClient(conn)
}

func grpcRequest(fill func(ptrace.SpanSlice)) ptraceotlp.ExportRequest {
	req := ptraceotlp.NewExportRequest()
	rs := req.Traces().ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "grpc-test")
	fill(rs.ScopeSpans().AppendEmpty().Spans())
	return req
}

func withMD(kv ...string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), kv...)
}

// retryDelayOf is the RetryInfo delay of a status; ok false without one.
func retryDelayOf(err error) (time.Duration, bool) {
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok {
			return ri.GetRetryDelay().AsDuration(), true
		}
	}
	return 0, false
}

func TestGRPCCredentials(t *testing.T) {
	ts := startServer(t)
	client := rawGRPC(t, ts)
	token := exchange(t, ts, ts.Key)
	one := func(n uint64) ptraceotlp.ExportRequest {
		return grpcRequest(func(ss ptrace.SpanSlice) { addSpan(ss, traceID(0xc0, n), spanID(1), "root") })
	}
	for i, tc := range []struct {
		name string
		md   []string
		want codes.Code
	}{
		{"none", nil, codes.Unauthenticated},
		{"bad token", []string{"authorization", "Bearer not-a-jwt"}, codes.Unauthenticated},
		{"other scheme", []string{"authorization", "Basic dXNlcjpwYXNz"}, codes.Unauthenticated},
		{"key not a UUID", []string{"x-agentops-api-key", "nope"}, codes.PermissionDenied},
		{"unknown key", []string{"x-agentops-api-key", "6f1f3c1e-4b5d-4c3a-9f1e-2a3b4c5d6e7f"}, codes.PermissionDenied},
		{"key", []string{"x-agentops-api-key", ts.Key}, codes.OK},
		{"key as bearer", []string{"authorization", "Bearer " + ts.Key}, codes.OK},
		{"token", []string{"authorization", "Bearer " + token}, codes.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client.Export(withMD(tc.md...), one(uint64(i)))
			if got := status.Code(err); got != tc.want {
				t.Fatalf("code %v (%v), want %v", got, err, tc.want)
			}
			stored, _, _ := ts.do(t, "GET", "/v2/sessions/"+hexTrace(0xc0, uint64(i))+"/stats", "", nil)
			if (stored == http.StatusOK) != (tc.want == codes.OK) {
				t.Errorf("stats of the session = %d after %v", stored, tc.want)
			}
		})
	}
	// Every request above is in the latency histogram, by status code.
	_, body, _ := ts.do(t, "GET", "/metrics", "", nil)
	for code, n := range map[string]int{"OK": 3, "Unauthenticated": 3, "PermissionDenied": 2} {
		line := `agentops_grpc_request_duration_seconds_count{code="` + code + `",method="/opentelemetry.proto.collector.trace.v1.TraceService/Export"} ` + strconv.Itoa(n) + "\n"
		if !strings.Contains(string(body), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
}

func TestGRPCLimits(t *testing.T) {
	const maxBody = 64 << 10
	ts := startServer(t, func(c *Config) {
		c.MaxBodyBytes, c.MaxDecompressedBytes = maxBody, maxBody
		c.MaxSpansPerRequest = 3
		c.MaxAttrValueBytes = 1000
	})
	client := rawGRPC(t, ts)
	ctx := withMD("x-agentops-api-key", ts.Key)

	big := grpcRequest(func(ss ptrace.SpanSlice) {
		addSpan(ss, traceID(0xd0, 1), spanID(1), "big").Attributes().PutStr("blob", strings.Repeat("x", maxBody))
	})
	for _, opts := range [][]grpc.CallOption{nil, {grpc.UseCompressor(gzip.Name)}} {
		_, err := client.Export(ctx, big, opts...)
		if status.Code(err) != codes.ResourceExhausted {
			t.Errorf("a %d-byte message (opts %v): %v, want ResourceExhausted", maxBody, opts, err)
		}
		if _, retry := retryDelayOf(err); retry {
			t.Errorf("an oversized message carries RetryInfo: it can never succeed")
		}
	}

	four := grpcRequest(func(ss ptrace.SpanSlice) {
		for i := range 4 {
			addSpan(ss, traceID(0xd0, 2), spanID(uint64(i+1)), "s")
		}
	})
	_, err := client.Export(ctx, four)
	if status.Code(err) != codes.ResourceExhausted || !strings.Contains(status.Convert(err).Message(), "limit of 3") {
		t.Errorf("4 spans over a limit of 3: %v", err)
	}
	if _, retry := retryDelayOf(err); retry {
		t.Errorf("too many spans carries RetryInfo")
	}

	// Zero ids: refused in partial_success, the rest stored; a long value
	// is cut, not refused.
	mixed := grpcRequest(func(ss ptrace.SpanSlice) {
		addSpan(ss, traceID(0xd0, 3), spanID(1), "ok").Attributes().PutStr("long", strings.Repeat("y", 5000))
		addSpan(ss, traceID(0xd0, 3), pcommon.SpanID{}, "no span id")
		addSpan(ss, pcommon.TraceID{}, spanID(2), "no trace id")
	})
	resp, err := client.Export(ctx, mixed, grpc.UseCompressor(gzip.Name))
	if err != nil {
		t.Fatalf("mixed request: %v", err)
	}
	checkPartial(t, resp, 2, "empty trace id", "empty span id")
	checkStored(t, ts, hexTrace(0xd0, 3), 1)
	exp, _ := getExport(t, ts, hexTrace(0xd0, 3))
	if !exp.Spans[0].Truncated || len(attributes(t, exp.Spans[0])["long"]) >= 5000 {
		t.Errorf("a 5000-byte value over a cap of 1000 was not cut")
	}
}

// TestGRPCOverload: with the writer held and the queue full, a request is
// refused ResourceExhausted with RetryInfo (retried by OTLP exporters), and
// the request already queued is answered OK once the writer goes on.
func TestGRPCOverload(t *testing.T) {
	gate := &gatedWriter{}
	ts := startServerOn(t, func(st store.Store) store.Store { gate.Store = st; return gate }, func(c *Config) {
		c.MaxQueuedSpans = 4
	})
	client := rawGRPC(t, ts)
	ctx := withMD("x-agentops-api-key", ts.Key)
	entered, release := gate.hold()
	defer release()
	first := make(chan error, 1)
	go func() {
		_, err := client.Export(ctx, grpcRequest(func(ss ptrace.SpanSlice) { addSpan(ss, traceID(0xe0, 1), spanID(1), "queued") }))
		first <- err
	}()
	select {
	case <-entered:
	case err := <-first:
		t.Fatalf("the first request was answered (%v) while the writer was held", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the writer was never called")
	}
	_, err := client.Export(ctx, grpcRequest(func(ss ptrace.SpanSlice) {
		for i := range 4 {
			addSpan(ss, traceID(0xe0, 2), spanID(uint64(i+1)), "overflow")
		}
	}))
	release()
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("overloaded: %v, want ResourceExhausted", err)
	}
	if d, ok := retryDelayOf(err); !ok || d != retryDelay {
		t.Errorf("overloaded: RetryInfo %v %v, want %v", d, ok, retryDelay)
	}
	select {
	case err := <-first:
		if err != nil {
			t.Errorf("the queued request: %v, want OK once the writer goes on", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the queued request was never answered")
	}
	checkStored(t, ts, hexTrace(0xe0, 1), 1)
	if status, _, _ := ts.do(t, "GET", "/v2/sessions/"+hexTrace(0xe0, 2)+"/stats", "", nil); status != http.StatusNotFound {
		t.Errorf("the refused request's session exists: %d", status)
	}
}

// TestGRPCShutdownAnswersInFlight: a request whose commit is under way when
// the server is told to stop is answered OK (its spans are committed)
// before Serve returns.
func TestGRPCShutdownAnswersInFlight(t *testing.T) {
	gate := &gatedWriter{}
	ts := startServerOn(t, func(st store.Store) store.Store { gate.Store = st; return gate })
	client := rawGRPC(t, ts)
	entered, release := gate.hold()
	defer release()
	answered := make(chan error, 1)
	go func() {
		_, err := client.Export(withMD("x-agentops-api-key", ts.Key), grpcRequest(func(ss ptrace.SpanSlice) { addSpan(ss, traceID(0xf0, 1), spanID(1), "in flight") }))
		answered <- err
	}()
	<-entered
	ts.stop()
	release()
	if err := <-answered; err != nil {
		t.Errorf("the request in flight at shutdown: %v, want OK", err)
	}
	if err := <-ts.done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	ts.done <- nil // for the cleanup
	if _, err := client.Export(withMD("x-agentops-api-key", ts.Key), grpcRequest(func(ss ptrace.SpanSlice) { addSpan(ss, traceID(0xf0, 2), spanID(1), "late") })); status.Code(err) != codes.Unavailable {
		t.Errorf("after shutdown: %v, want Unavailable", err)
	}
}
