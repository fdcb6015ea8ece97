package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// jsonTransport re-encodes the OTLP protobuf body the official exporter
// sends as OTLP/JSON, so the same real exporter drives the JSON path too
// (otlptracehttp itself only speaks protobuf).
type jsonTransport struct{ base http.RoundTripper }

func (j jsonTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	var err error
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, zerr := gzip.NewReader(r.Body)
		if zerr != nil {
			return nil, zerr
		}
		body, err = io.ReadAll(zr)
	} else {
		body, err = io.ReadAll(r.Body)
	}
	if err != nil {
		return nil, err
	}
	td, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(body)
	if err != nil {
		return nil, fmt.Errorf("exporter sent a body that is not OTLP protobuf: %w", err)
	}
	js, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		return nil, err
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(js))
	r2.ContentLength = int64(len(js))
	r2.Header.Set("Content-Type", "application/json")
	r2.Header.Del("Content-Encoding")
	r2.GetBody = nil
	resp, err := j.base.RoundTrip(r2)
	if err != nil {
		return nil, err
	}
	// The server answers JSON to JSON; hand the exporter the protobuf form
	// it expects (an empty ExportTraceServiceResponse is an empty message).
	if resp.StatusCode == http.StatusOK {
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(nil))
		resp.ContentLength = 0
		resp.Header.Set("Content-Type", "application/x-protobuf")
	}
	return resp, nil
}

// agentRun records one realistic agent session with the OpenTelemetry SDK:
// a session root, an agent, a tool call, two LLM calls (one with cached and
// reasoning tokens) and a failing tool, and returns its trace id.
func agentRun(t *testing.T, tp *sdktrace.TracerProvider) trace.TraceID {
	t.Helper()
	tr := tp.Tracer("e2e")
	ctx, root := tr.Start(context.Background(), "research-session", trace.WithAttributes(
		attribute.String(semconv.SpanKind, semconv.KindSession),
		attribute.String(semconv.Tags, `["e2e","research"]`),
		attribute.String("host.name", "test-host"),
		attribute.String("os.type", "linux"),
		attribute.String(semconv.ProjectID, "some-other-project"), // must be ignored
	))
	actx, agent := tr.Start(ctx, "researcher.agent", trace.WithAttributes(attribute.String(semconv.SpanKind, semconv.KindAgent)))

	_, llm1 := tr.Start(actx, "openai.chat", trace.WithAttributes(
		attribute.String(semconv.SpanKind, semconv.KindLLM),
		attribute.String(semconv.GenAISystem, "openai"),
		attribute.String(semconv.GenAIRequestModel, "gpt-4o-mini"),
		attribute.String(semconv.GenAIResponseModel, "gpt-4o-mini-2024-07-18"),
		attribute.Int(semconv.GenAIPromptTokens, 1200),
		attribute.Int(semconv.GenAICompletionTokens, 300),
		attribute.String("gen_ai.prompt.0.role", "user"),
		attribute.String("gen_ai.prompt.0.content", "Find three papers on agent evaluation."),
		attribute.String("gen_ai.completion.0.role", "assistant"),
		attribute.String("gen_ai.completion.0.content", "Here are three papers..."),
	))
	llm1.End()

	_, tool := tr.Start(actx, "web_search.tool", trace.WithAttributes(
		attribute.String(semconv.SpanKind, semconv.KindTool),
		attribute.String(semconv.EntityInput, `{"q":"agent evaluation"}`),
		attribute.String(semconv.EntityOutput, `["paper-1","paper-2"]`),
	))
	tool.End()

	_, llm2 := tr.Start(actx, "chat o3-mini", trace.WithAttributes(
		attribute.String(semconv.GenAIOperationName, semconv.OpChat),
		attribute.String(semconv.GenAIProviderName, "openai"),
		attribute.String(semconv.GenAIRequestModel, "o3-mini"),
		attribute.Int(semconv.GenAIInputTokens, 2000),
		attribute.Int(semconv.GenAICacheReadTokens, 1500),
		attribute.Int(semconv.GenAIOutputTokens, 800),
		attribute.Int(semconv.GenAIReasoningTokens, 500),
	))
	llm2.End()

	_, bad := tr.Start(actx, "fetch_pdf.tool", trace.WithAttributes(attribute.String(semconv.SpanKind, semconv.KindTool)))
	bad.RecordError(errors.New("connection reset by peer"), trace.WithAttributes(attribute.String("exception.type", "ConnectionError")))
	bad.SetStatus(codes.Error, "download failed")
	bad.End()

	agent.End()
	root.SetAttributes(attribute.String(semconv.EndState, "Success"), attribute.String(semconv.EndStateReason, "all papers found"))
	root.SetStatus(codes.Ok, "")
	root.End()
	return root.SpanContext().TraceID()
}

func newProvider(t *testing.T, ts *testServer, client *http.Client) *sdktrace.TracerProvider {
	t.Helper()
	opts := []otlptracehttp.Option{
		otlptracehttp.WithEndpointURL(ts.URL + "/v1/traces"),
		otlptracehttp.WithHeaders(map[string]string{"X-Agentops-Api-Key": ts.Key}),
		otlptracehttp.WithCompression(otlptracehttp.GzipCompression),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
	}
	if client != nil {
		opts = append(opts, otlptracehttp.WithHTTPClient(client))
	}
	exp, err := otlptracehttp.New(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "e2e-agent"))
	// A synchronous exporter: every span end is one request, so spans of one
	// trace arrive over many requests, children before their root.
	return sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
}

func TestEndToEndOTelSDK(t *testing.T) {
	for _, enc := range []string{"protobuf", "json"} {
		t.Run(enc, func(t *testing.T) {
			ts := startServer(t)
			var client *http.Client
			if enc == "json" {
				client = &http.Client{Transport: jsonTransport{base: http.DefaultTransport}}
			}
			var exportErrs []error
			otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { exportErrs = append(exportErrs, err) }))
			tp := newProvider(t, ts, client)
			traceID := agentRun(t, tp)
			if err := tp.Shutdown(context.Background()); err != nil {
				t.Fatalf("exporter: %v", err)
			}
			if len(exportErrs) > 0 {
				t.Fatalf("the exporter reported %d errors, first: %v", len(exportErrs), exportErrs[0])
			}
			checkSession(t, ts, traceID.String())
		})
	}
}

func checkSession(t *testing.T, ts *testServer, id string) {
	t.Helper()
	table := pricing.Default()
	cost := func(model string, u pricing.Usage) float64 {
		m, ok := table.Find("openai", model)
		if !ok {
			t.Fatalf("%s missing from the price table", model)
		}
		return m.Cost(u)
	}
	wantCost := cost("gpt-4o-mini-2024-07-18", pricing.Usage{Input: 1200, Output: 300}) +
		cost("o3-mini", pricing.Usage{Input: 2000, CacheRead: 1500, Output: 800, Reasoning: 500})

	var stats api.SessionStats
	ts.getJSON(t, "/v2/sessions/"+id+"/stats", &stats)
	if stats.SessionID != id {
		t.Errorf("session_id = %q, want %q", stats.SessionID, id)
	}
	if stats.EndState == nil || *stats.EndState != "Success" || stats.EndStateReason != "all papers found" || stats.Running {
		t.Errorf("end state = %v %q running=%v", stats.EndState, stats.EndStateReason, stats.Running)
	}
	wantEvents := api.EventCounts{LLMCalls: 2, ToolCalls: 2, Agents: 1, Errors: 1, Total: 6}
	if stats.Events != wantEvents {
		t.Errorf("events = %+v, want %+v", stats.Events, wantEvents)
	}
	wantTokens := api.TokenCounts{Prompt: 3200, Completion: 1100, CacheRead: 1500, Reasoning: 500, Total: 4300}
	if stats.Tokens != wantTokens {
		t.Errorf("tokens = %+v, want %+v", stats.Tokens, wantTokens)
	}
	if math.Abs(stats.Cost.TotalUSD-wantCost) > 1e-12 || stats.Cost.UnpricedCalls != 0 || !stats.Cost.Complete {
		t.Errorf("cost = %+v, want %.9f complete", stats.Cost, wantCost)
	}
	if stats.DurationMs <= 0 {
		t.Errorf("duration_ms = %v", stats.DurationMs)
	}

	var exp api.SessionExport
	ts.getJSON(t, "/v2/sessions/"+id+"/export", &exp)
	if exp.Session.ID != id || exp.Session.Name != "research-session" {
		t.Errorf("session = %s %q", exp.Session.ID, exp.Session.Name)
	}
	if strings.Join(exp.Session.Tags, ",") != "e2e,research" {
		t.Errorf("tags = %v", exp.Session.Tags)
	}
	if !strings.Contains(string(exp.Session.HostEnv), `"host.name":"test-host"`) {
		t.Errorf("host_env = %s", exp.Session.HostEnv)
	}
	if !reflect.DeepEqual(exp.Stats, stats) {
		t.Errorf("export stats differ from /stats:\n%+v\n%+v", exp.Stats, stats)
	}
	if len(exp.LLMs) != 2 || len(exp.Tools) != 2 || len(exp.Errors) != 1 || len(exp.Actions) != 0 || len(exp.Spans) != 6 {
		t.Fatalf("export sections: %d llms, %d tools, %d errors, %d actions, %d spans",
			len(exp.LLMs), len(exp.Tools), len(exp.Errors), len(exp.Actions), len(exp.Spans))
	}
	if e := exp.Errors[0]; e.Type != "ConnectionError" || e.Message != "connection reset by peer" {
		t.Errorf("error = %+v", e)
	}
	var sum float64
	for _, l := range exp.LLMs {
		if l.CostUSD != nil {
			sum += *l.CostUSD
		}
	}
	if math.Abs(sum-wantCost) > 1e-12 {
		t.Errorf("sum of LLM call costs = %v, want %v", sum, wantCost)
	}
	if p := exp.LLMs[0].Prompt; len(p) != 1 || p[0].Role != "user" || !strings.Contains(p[0].Content, "agent evaluation") {
		t.Errorf("first LLM prompt = %+v", p)
	}

	var list api.SessionList
	ts.getJSON(t, "/v2/sessions?tag=research", &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != id {
		t.Errorf("list by tag = %+v", list.Sessions)
	}
}

// TestSpansOfOneTraceFromManyRequestsMerge sends one session's spans in
// reverse order, one request each, from two "processes" (two exporters).
func TestSpansOfOneTraceFromManyRequestsMerge(t *testing.T) {
	ts := startServer(t)
	traceHex := "0af7651916cd43dd8448eb211c80319c"
	rootHex := "00f067aa0ba902b7"
	now := time.Now().UnixNano()
	send := func(span string) {
		status, body, _ := ts.do(t, "POST", "/v1/traces", contentJSON, strings.NewReader(span))
		if status != 200 {
			t.Fatalf("POST = %d %s", status, body)
		}
	}
	for i := 5; i >= 1; i-- {
		send(fmt.Sprintf(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%016x","parentSpanId":"%s","name":"step-%d","startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[{"key":"agentops.span.kind","value":{"stringValue":"tool"}}]}]}]}]}`,
			traceHex, i, rootHex, i, now+int64(i)*1e6, now+int64(i)*1e6+5e5))
	}
	send(fmt.Sprintf(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"%s","spanId":"%s","name":"the-session","startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[{"key":"agentops.span.kind","value":{"stringValue":"session"}},{"key":"agentops.session.end_state","value":{"stringValue":"Fail"}}]}]}]}]}`,
		traceHex, rootHex, now, now+int64(10e6)))

	var stats api.SessionStats
	ts.getJSON(t, "/v2/sessions/"+traceHex+"/stats", &stats)
	if stats.Events.ToolCalls != 5 || stats.Events.Total != 6 {
		t.Errorf("events = %+v, want 5 tools of 6 spans", stats.Events)
	}
	if stats.EndState == nil || *stats.EndState != "Failure" {
		t.Errorf("end state = %v, want Failure (from Fail)", stats.EndState)
	}
	if got := stats.DurationMs; math.Abs(got-10) > 1e-6 {
		t.Errorf("duration_ms = %v, want 10", got)
	}
	var exp api.SessionExport
	ts.getJSON(t, "/v2/sessions/"+traceHex+"/export", &exp)
	if exp.Session.Name != "the-session" {
		t.Errorf("name = %q: the session span's name must win over earlier-arriving children", exp.Session.Name)
	}
	for i := 1; i < len(exp.Spans); i++ {
		if exp.Spans[i].StartTime < exp.Spans[i-1].StartTime {
			t.Fatalf("export spans not in start order at %d", i)
		}
	}
}
