package loadgen

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/agentops-go/agentops/semconv"
)

func TestPayloadShape(t *testing.T) {
	c := newCollector(t, nil)
	cfg := testConfig(c, 8)
	cfg.PoolSize = 8
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	reqs := c.received()
	if len(reqs) != 8 || res.Requests != 8 || res.OK != 8 {
		t.Fatalf("server got %d requests, result says %d sent, %d ok; want 8", len(reqs), res.Requests, res.OK)
	}
	realModels := map[string]bool{}
	for _, m := range models {
		realModels[m.request] = true
	}
	var wire, spans, attrs int
	seenModels := map[string]bool{}
	for _, r := range reqs {
		if got := r.td.SpanCount(); got != 512 {
			t.Fatalf("request has %d spans, want 512", got)
		}
		checkStructure(t, r.td)
		traces := map[pcommon.TraceID]bool{}
		eachSpan(r.td, func(sp ptrace.Span) {
			traces[sp.TraceID()] = true
			a := sp.Attributes()
			attrs += a.Len()
			kind, _ := a.Get(semconv.SpanKind)
			switch kind.Str() {
			case semconv.KindSession:
				if !sp.ParentSpanID().IsEmpty() {
					t.Errorf("session span %q has a parent", sp.Name())
				}
				tags, _ := a.Get(semconv.Tags)
				var list []string
				if err := json.Unmarshal([]byte(tags.Str()), &list); err != nil || len(list) == 0 {
					t.Errorf("agentops.tags = %q, want a JSON list of strings", tags.Str())
				}
				if _, ok := a.Get(semconv.HostPrefix + "name"); !ok {
					t.Errorf("session span has no host.name")
				}
			case semconv.KindLLM:
				op, _ := a.Get(semconv.GenAIOperationName)
				model, _ := a.Get(semconv.GenAIRequestModel)
				prompt, _ := a.Get(semconv.GenAIPromptPrefix + "0.content")
				completion, _ := a.Get(semconv.GenAICompletionPrefix + "0.content")
				in, _ := a.Get(semconv.GenAIInputTokens)
				out, _ := a.Get(semconv.GenAIOutputTokens)
				_, hasProvider := a.Get(semconv.GenAIProviderName)
				_, hasResponseModel := a.Get(semconv.GenAIResponseModel)
				switch {
				case op.Str() != semconv.OpChat, !realModels[model.Str()], !hasProvider, !hasResponseModel:
					t.Errorf("llm span: operation %q, model %q, provider %v, response model %v", op.Str(), model.Str(), hasProvider, hasResponseModel)
				case len(prompt.Str()) < 250 || len(prompt.Str()) > 350 || len(completion.Str()) < 250 || len(completion.Str()) > 350:
					t.Errorf("prompt %d and completion %d characters, want about 300", len(prompt.Str()), len(completion.Str()))
				case in.Int() <= 0 || out.Int() <= 0:
					t.Errorf("token counts %d and %d", in.Int(), out.Int())
				}
				seenModels[model.Str()] = true
			case semconv.KindAgent, semconv.KindTool:
			default:
				t.Errorf("span %q has kind %q", sp.Name(), kind.Str())
			}
		})
		if len(traces) != 50 {
			t.Fatalf("request has %d distinct traces, want 50", len(traces))
		}
		wire += r.wireSize
		spans += r.td.SpanCount()
	}
	if len(seenModels) != len(models) {
		t.Errorf("models used: %v, want all %d", slices.Sorted(maps.Keys(seenModels)), len(models))
	}
	if mean := float64(attrs) / float64(spans); mean < 11 || mean > 13 {
		t.Errorf("%.1f attributes per span, want about 12", mean)
	}
	perSpan := float64(wire) / float64(spans)
	if perSpan < 900 || perSpan > 1400 {
		t.Errorf("%.0f bytes per span on the wire, want 900-1400", perSpan)
	}
	if res.BytesPerSpan != perSpan {
		t.Errorf("result says %.1f bytes per span, server saw %.1f", res.BytesPerSpan, perSpan)
	}
	t.Logf("%.0f bytes/span, %.1f attributes/span", perSpan, float64(attrs)/float64(spans))
}

func TestHeaders(t *testing.T) {
	c := newCollector(t, nil)
	cfg := testConfig(c, 2)
	cfg.APIKey = "sk-test"
	cfg.Headers = map[string]string{"X-Tenant": "acme"}
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	for _, r := range c.received() {
		if got := r.header.Get(APIKeyHeader); got != "sk-test" {
			t.Errorf("%s = %q", APIKeyHeader, got)
		}
		if got := r.header.Get("X-Tenant"); got != "acme" {
			t.Errorf("X-Tenant = %q", got)
		}
	}
}

func TestAcceptedSpansSubtractPartialSuccess(t *testing.T) {
	partial := func(contentType string, marshal func(ptraceotlp.ExportResponse) ([]byte, error)) func(int, http.ResponseWriter, *http.Request) {
		return func(n int, w http.ResponseWriter, _ *http.Request) {
			resp := ptraceotlp.NewExportResponse()
			resp.PartialSuccess().SetRejectedSpans(int64(n%2) * 12) // every other request rejects 12
			resp.PartialSuccess().SetErrorMessage("span too large")
			body, _ := marshal(resp)
			w.Header().Set("Content-Type", contentType)
			w.Write(body)
		}
	}
	tests := []struct {
		name    string
		respond func(int, http.ResponseWriter, *http.Request)
		reject  int64
	}{
		{"proto response", partial("application/x-protobuf", ptraceotlp.ExportResponse.MarshalProto), 5 * 12},
		{"json response", partial("application/json; charset=utf-8", ptraceotlp.ExportResponse.MarshalJSON), 5 * 12},
		{"empty response", func(int, http.ResponseWriter, *http.Request) {}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector(t, tt.respond)
			res, err := Run(context.Background(), testConfig(c, 10))
			if err != nil {
				t.Fatal(err)
			}
			if res.SpansSent != 10*512 || res.SpansRejected != tt.reject || res.SpansAccepted != 10*512-tt.reject {
				t.Errorf("sent %d, rejected %d, accepted %d; want %d, %d, %d",
					res.SpansSent, res.SpansRejected, res.SpansAccepted, 10*512, tt.reject, 10*512-tt.reject)
			}
			if res.BadResponses != 0 {
				t.Errorf("%d bad responses", res.BadResponses)
			}
		})
	}
}

func TestThrottlingIsCountedAndBackedOff(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		header    string
		wantPause time.Duration
	}{
		{"503 with Retry-After", http.StatusServiceUnavailable, "1", time.Second},
		{"429 without Retry-After", http.StatusTooManyRequests, "", minBackoff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector(t, func(n int, w http.ResponseWriter, _ *http.Request) {
				if n == 0 {
					if tt.header != "" {
						w.Header().Set("Retry-After", tt.header)
					}
					w.WriteHeader(tt.status)
				}
			})
			cfg := testConfig(c, 3)
			cfg.Connections = 1
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			throttled := res.Throttled + res.Unavailable
			if throttled != 1 || res.OK != 2 || res.SpansAccepted != 2*512 {
				t.Errorf("429: %d, 503: %d, ok: %d, accepted %d; want one throttled, 2 ok", res.Throttled, res.Unavailable, res.OK, res.SpansAccepted)
			}
			if (tt.status == 503) != (res.Unavailable == 1) {
				t.Errorf("503 counted %d times for status %d", res.Unavailable, tt.status)
			}
			reqs := c.received()
			if gap := reqs[1].at.Sub(reqs[0].at); gap < tt.wantPause {
				t.Errorf("next request came %s after the %d, want at least %s", gap, tt.status, tt.wantPause)
			}
			if res.Backoff < tt.wantPause-10*time.Millisecond {
				t.Errorf("backoff %s, want at least %s", res.Backoff, tt.wantPause)
			}
		})
	}
}

func TestFailuresByStatus(t *testing.T) {
	c := newCollector(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n%2 == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
		}
	})
	res, err := Run(context.Background(), testConfig(c, 6))
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed[500] != 3 || res.OK != 3 || res.SpansAccepted != 3*512 || res.Requests != 6 {
		t.Errorf("failed %v, ok %d, accepted %d, requests %d", res.Failed, res.OK, res.SpansAccepted, res.Requests)
	}
}

var hexTraceID = regexp.MustCompile(`"traceId":"[0-9a-f]{32}"`)

func TestJSONEncodingSendsHexIDs(t *testing.T) {
	c := newCollector(t, nil)
	cfg := testConfig(c, 3)
	cfg.Encoding = EncodingJSON
	if _, err := Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	for _, r := range c.received() {
		if got := r.header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type %q", got)
		}
		if n := len(hexTraceID.FindAll(r.raw, -1)); n != 512 {
			t.Errorf("%d hex trace ids in the body, want 512", n)
		}
		if r.td.SpanCount() != 512 {
			t.Errorf("%d spans decoded", r.td.SpanCount())
		}
		checkStructure(t, r.td)
	}
}

func TestGzip(t *testing.T) {
	for _, unique := range []bool{true, false} {
		t.Run(map[bool]string{true: "unique ids", false: "repeating ids"}[unique], func(t *testing.T) {
			c := newCollector(t, nil)
			cfg := testConfig(c, 4)
			cfg.Gzip = true
			cfg.UniqueIDs = unique
			res, err := Run(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range c.received() {
				if r.header.Get("Content-Encoding") != "gzip" {
					t.Fatalf("Content-Encoding %q", r.header.Get("Content-Encoding"))
				}
				if r.wireSize*2 > len(r.raw) {
					t.Errorf("gzip made %d bytes of %d", r.wireSize, len(r.raw))
				}
				checkStructure(t, r.td)
			}
			if res.OK != 4 || res.WireBytes*2 > res.RawBytes {
				t.Errorf("ok %d, wire %d bytes, raw %d bytes", res.OK, res.WireBytes, res.RawBytes)
			}
		})
	}
}

func TestIDsAcrossRequests(t *testing.T) {
	tests := []struct {
		name     string
		encoding Encoding
		gzip     bool
		unique   bool
	}{
		{"proto", EncodingProto, false, true},
		{"json", EncodingJSON, false, true},
		{"proto gzip", EncodingProto, true, true},
		{"json gzip", EncodingJSON, true, true},
		{"proto repeating", EncodingProto, false, false},
	}
	const requests, pool = 12, 3
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector(t, nil)
			cfg := testConfig(c, requests)
			cfg.PoolSize = pool
			cfg.Encoding, cfg.Gzip, cfg.UniqueIDs = tt.encoding, tt.gzip, tt.unique
			if _, err := Run(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			traces := map[pcommon.TraceID]bool{}
			spans := map[pcommon.SpanID]bool{}
			for _, r := range c.received() {
				checkStructure(t, r.td)
				eachSpan(r.td, func(sp ptrace.Span) {
					traces[sp.TraceID()] = true
					spans[sp.SpanID()] = true
				})
			}
			wantTraces, wantSpans := requests*50, requests*512
			if !tt.unique {
				wantTraces, wantSpans = pool*50, pool*512
			}
			if len(traces) != wantTraces || len(spans) != wantSpans {
				t.Errorf("%d distinct trace ids and %d span ids, want %d and %d", len(traces), len(spans), wantTraces, wantSpans)
			}
		})
	}
}

func TestDurationAndWarmup(t *testing.T) {
	c := newCollector(t, nil)
	cfg := testConfig(c, 0)
	cfg.Requests = 0
	cfg.Warmup = 200 * time.Millisecond
	cfg.Duration = 300 * time.Millisecond
	start := time.Now()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if res.Requests == 0 || res.SpansPerSecond <= 0 || res.Latency.P50 <= 0 || res.Latency.Max < res.Latency.P99 {
		t.Fatalf("nothing measured: %+v", res)
	}
	if got := int64(len(c.received())); got <= res.Requests {
		t.Errorf("server got %d requests, result counts %d: warmup not left out", got, res.Requests)
	}
	if res.Elapsed < cfg.Duration || res.Elapsed > cfg.Duration+5*time.Second || took > 10*time.Second {
		t.Errorf("measured %s of a %s run, took %s", res.Elapsed, cfg.Duration, took)
	}
}

func TestCancelStopsCleanly(t *testing.T) {
	c := newCollector(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n >= 4 {
			<-r.Context().Done() // hang until the client gives up
		}
	})
	cfg := testConfig(c, 0)
	cfg.Requests = 0
	cfg.Duration = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Run took %s after cancel", took)
	}
	if !res.Interrupted || res.OK != 4 || res.TransportErrors != 0 {
		t.Errorf("interrupted %v, ok %d, transport errors %d; want true, 4, 0", res.Interrupted, res.OK, res.TransportErrors)
	}
}

func TestTransportErrors(t *testing.T) {
	c := newCollector(t, nil)
	cfg := testConfig(c, 2)
	c.srv.Close()
	res, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.TransportErrors != 2 || res.LastTransportError == "" || res.SpansAccepted != 0 {
		t.Errorf("transport errors %d (%q), accepted %d", res.TransportErrors, res.LastTransportError, res.SpansAccepted)
	}
}

func TestReports(t *testing.T) {
	c := newCollector(t, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 0 {
			w.WriteHeader(http.StatusBadGateway)
		}
	})
	for _, asJSON := range []bool{false, true} {
		var out strings.Builder
		cfg := testConfig(c, 3)
		cfg.Connections = 1
		cfg.JSON = asJSON
		cfg.Out = &out
		if _, err := Run(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		if asJSON {
			var got map[string]any
			if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
				t.Fatalf("--json output: %v\n%s", err, out.String())
			}
			for _, k := range []string{"spans_per_second", "spans_accepted", "mb_per_second", "bytes_per_span", "latency_ms", "failed_by_status"} {
				if _, ok := got[k]; !ok {
					t.Errorf("--json output has no %q", k)
				}
			}
		} else {
			for _, want := range []string{"spans/s accepted", "MB/s on the wire", "p99", "1 × 502", "bytes/span"} {
				if !strings.Contains(out.String(), want) {
					t.Errorf("report lacks %q:\n%s", want, out.String())
				}
			}
		}
	}
}
