package server

import (
	"bytes"
	"context"
	"math/big"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/auth"
)

// metricsRequest is an OTLP metrics export like the Python SDK's meters
// send: a histogram of LLM call durations and a token counter.
func metricsRequest() pmetricotlp.ExportRequest {
	md := pmetric.NewMetrics()
	rm := md.ResourceMetrics().AppendEmpty()
	rm.Resource().Attributes().PutStr("service.name", "agentops")
	sm := rm.ScopeMetrics().AppendEmpty()
	sm.Scope().SetName("agentops.instrumentation.openai")
	sum := sm.Metrics().AppendEmpty()
	sum.SetName("gen_ai.client.token.usage")
	dp := sum.SetEmptySum().DataPoints().AppendEmpty()
	dp.SetIntValue(30)
	dp.Attributes().PutStr("gen_ai.token.type", "input")
	dp.SetTimestamp(pcommon.Timestamp(1_700_000_000_000_000_000))
	h := sm.Metrics().AppendEmpty()
	h.SetName("gen_ai.operation.duration")
	hp := h.SetEmptyHistogram().DataPoints().AppendEmpty()
	hp.SetCount(1)
	hp.SetSum(0.42)
	return pmetricotlp.NewExportRequestFromMetrics(md)
}

// TestMetricsEndpoint: POST /v1/metrics answers OTLP metrics like a
// collector, under the same credentials and limits as traces.
func TestMetricsEndpoint(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxBodyBytes = 4 << 10 })
	req := metricsRequest()
	pb, err := req.MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	js, err := req.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, ct string
		body     []byte
		header   []string
	}{
		{"protobuf", contentProto, pb, nil},
		{"JSON", contentJSON, js, nil},
		{"gzip protobuf", contentProto, gzipBytes(t, pb), []string{"Content-Encoding", "gzip"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body, h := ts.do(t, "POST", "/v1/metrics", c.ct, bytes.NewReader(c.body), c.header...)
			if status != 200 || h.Get("Content-Type") != c.ct {
				t.Fatalf("%d %s (%s)", status, body, h.Get("Content-Type"))
			}
			resp := pmetricotlp.NewExportResponse()
			if c.ct == contentProto {
				err = resp.UnmarshalProto(body)
			} else {
				err = resp.UnmarshalJSON(body)
			}
			if err != nil || resp.PartialSuccess().RejectedDataPoints() != 0 {
				t.Errorf("answer %q: %v", body, err)
			}
		})
	}
	for _, c := range []struct {
		name, ct string
		body     []byte
		header   []string
		status   int
	}{
		{"malformed protobuf", contentProto, []byte{0xff, 0xff, 0xff}, nil, 400},
		{"malformed JSON", contentJSON, []byte(`{"resourceMetrics": 3}`), nil, 400},
		{"unsupported type", "text/plain", js, nil, 415},
		{"no credential", contentProto, pb, []string{"X-Agentops-Api-Key", ""}, 401},
		{"unknown key", contentProto, pb, []string{"X-Agentops-Api-Key", "00000000-0000-4000-8000-000000000000"}, 403},
		{"too large", contentJSON, []byte(`{"resourceMetrics": [], "x": "` + strings.Repeat("a", 5<<10) + `"}`), nil, 413},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body, h := ts.do(t, "POST", "/v1/metrics", c.ct, bytes.NewReader(c.body), c.header...)
			if status != c.status {
				t.Errorf("%d %s, want %d", status, body, c.status)
			}
			checkErrorBody(t, response{status, body, h})
		})
	}
	status, body, h := ts.do(t, "GET", "/v1/metrics", "", nil)
	if status != 405 {
		t.Errorf("GET: %d %s", status, body)
	}
	checkAllowPost(t, response{status, body, h})
}

// TestLogUpload: POST /v4/logs/upload/ as the Python SDK sends it (JSON
// {"body"}, Trace-Id in decimal, Bearer token), shown with the session.
func TestLogUpload(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxBodyBytes = 4 << 10 })
	tid := traceID(7, 1)
	hexID := hexTrace(7, 1)
	decimal := new(big.Int).SetBytes(tid[:]).String()
	token, _, err := ts.srv.auth.Exchange(context.Background(), ts.Key)
	if err != nil {
		t.Fatal(err)
	}
	bearer := []string{"X-Agentops-Api-Key", "", "Authorization", "Bearer " + token}
	upload := func(traceHeader, ct, body string, header ...string) (int, []byte, http.Header) {
		return ts.do(t, "POST", "/v4/logs/upload/", ct, strings.NewReader(body), append([]string{"Trace-Id", traceHeader}, header...)...)
	}

	// Before any span: kept, and shown.
	const text = "2025-01-01 10:00:00,000 - INFO - hello <b>world</b>\n"
	if status, body, _ := upload(decimal, "application/json", `{"body": "2025-01-01 10:00:00,000 - INFO - hello <b>world</b>\n"}`, bearer...); status != 200 || !strings.Contains(string(body), hexID) {
		t.Fatalf("upload: %d %s", status, body)
	}
	var logs api.SessionLogs
	ts.getJSON(t, "/v2/sessions/"+hexID+"/logs", &logs)
	if len(logs.Logs) != 1 || logs.Logs[0].Text != text || logs.SessionID != hexID {
		t.Fatalf("logs %+v, want the upload", logs)
	}
	// Hex ids and plain-text bodies too; then the session's spans arrive.
	if status, body, _ := upload(hexID, "text/plain", "second upload"); status != 200 {
		t.Fatalf("plain upload: %d %s", status, body)
	}
	if status, body, _ := ts.do(t, "POST", "/v1/traces", contentJSON, strings.NewReader(spanJSON(hexID, "0000000000000001", "root"))); status != 200 {
		t.Fatalf("traces: %d %s", status, body)
	}
	var x api.SessionExport
	ts.getJSON(t, "/v2/sessions/"+hexID+"/export", &x)
	if len(x.Logs) != 2 || x.Logs[0].Text != text || x.Logs[1].Text != "second upload" {
		t.Errorf("export logs %+v, want both uploads in order", x.Logs)
	}

	// Another project sees nothing.
	st := ts.srv.store
	p, err := st.CreateProject(context.Background(), "other")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, k := auth.NewKey()
	k.ProjectID = p.ID
	if err := st.AddKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := ts.do(t, "GET", "/v2/sessions/"+hexID+"/logs", "", nil, "X-Agentops-Api-Key", otherKey); status != 404 {
		t.Errorf("other project's GET logs: %d %s, want 404", status, body)
	}
	if status, _, _ := ts.do(t, "GET", "/v2/sessions/"+hexTrace(7, 2)+"/logs", "", nil); status != 404 {
		t.Errorf("GET logs of an unknown session: %d, want 404", status)
	}

	tooBig := new(big.Int).Lsh(big.NewInt(1), 128).String()
	for _, c := range []struct {
		name, trace, ct, body string
		header                []string
		status                int
	}{
		{"no Trace-Id", "", "application/json", `{"body": "x"}`, nil, 400},
		{"Trace-Id not a number", "12ab", "application/json", `{"body": "x"}`, nil, 400},
		{"Trace-Id of 2^128", tooBig, "application/json", `{"body": "x"}`, nil, 400},
		{"Trace-Id zero", "0", "application/json", `{"body": "x"}`, nil, 400},
		{"Trace-Id negative", "-5", "application/json", `{"body": "x"}`, nil, 400},
		{"JSON without body", decimal, "application/json", `{"text": "x"}`, nil, 400},
		{"malformed JSON", decimal, "application/json", `{"body": `, nil, 400},
		{"too large", decimal, "text/plain", strings.Repeat("x", 5<<10), nil, 413},
		{"no credential", decimal, "application/json", `{"body": "x"}`, []string{"X-Agentops-Api-Key", ""}, 401},
		{"bad token", decimal, "application/json", `{"body": "x"}`, []string{"X-Agentops-Api-Key", "", "Authorization", "Bearer x.y.z"}, 401},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body, h := upload(c.trace, c.ct, c.body, c.header...)
			if status != c.status {
				t.Errorf("%d %s, want %d", status, body, c.status)
			}
			checkErrorBody(t, response{status, body, h})
		})
	}
	ts.getJSON(t, "/v2/sessions/"+hexID+"/logs", &logs)
	if len(logs.Logs) != 2 {
		t.Errorf("%d uploads after refused requests, want 2", len(logs.Logs))
	}
}
