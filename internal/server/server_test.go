package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/store"
)

// testServer is a real server on a loopback socket with a fresh data
// directory, a default project and its key.
type testServer struct {
	URL      string
	GRPCAddr string // host:port of OTLP/gRPC; "" when disabled
	Key      string
	DataDir  string
	srv      *Server
	stop     context.CancelFunc
	done     chan error
	client   *http.Client // nil: http.DefaultClient (a TLS test sets one trusting its certificate)
}

func startServer(t *testing.T, mutate ...func(*Config)) *testServer {
	t.Helper()
	return startServerOn(t, func(st store.Store) store.Store { return st }, mutate...)
}

// do sends a request with the project's key and returns status and body.
func (ts *testServer) do(t *testing.T, method, path, contentType string, body io.Reader, header ...string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Agentops-Api-Key", ts.Key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i+1] == "" {
			req.Header.Del(header[i])
		} else {
			req.Header.Set(header[i], header[i+1])
		}
	}
	client := ts.client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

func (ts *testServer) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	status, body, _ := ts.do(t, "GET", path, "", nil)
	if status != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}

func TestHealthReadyAndMetrics(t *testing.T) {
	ts := startServer(t)
	for _, path := range []string{"/healthz", "/readyz"} {
		status, body, _ := ts.do(t, "GET", path, "", nil)
		if status != 200 || !strings.Contains(string(body), `"status"`) {
			t.Errorf("GET %s = %d %s", path, status, body)
		}
	}
	// One accepted request, then the counters say so.
	status, body, _ := ts.do(t, "POST", "/v1/traces", contentJSON, strings.NewReader(oneSpanJSON("aa", "01")))
	if status != 200 {
		t.Fatalf("POST /v1/traces = %d %s", status, body)
	}
	status, body, _ = ts.do(t, "GET", "/metrics", "", nil)
	if status != 200 {
		t.Fatalf("GET /metrics = %d", status)
	}
	for _, want := range []string{
		"agentops_spans_accepted_total 1",
		"agentops_commit_batch_spans_count 1",
		"agentops_commit_duration_seconds_count{result=\"ok\"} 1",
		"agentops_ingest_queue_spans 0",
		`agentops_http_request_duration_seconds_count{code="200",route="/v1/traces"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestUnknownRouteAndMethod(t *testing.T) {
	ts := startServer(t)
	status, body, _ := ts.do(t, "GET", "/nope", "", nil)
	if status != 404 || !json.Valid(body) {
		t.Errorf("GET /nope = %d %s", status, body)
	}
	status, _, h := ts.do(t, "GET", "/v1/traces", "", nil)
	if status != 405 || h.Get("Allow") != "POST" {
		t.Errorf("GET /v1/traces = %d Allow=%q", status, h.Get("Allow"))
	}
}

func TestParseBytes(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1048576", 1 << 20, true}, {"16MiB", 16 << 20, true}, {"512KiB", 512 << 10, true},
		{"1GiB", 1 << 30, true}, {"10MB", 10e6, true}, {"64 KiB", 64 << 10, true},
		{"", 0, false}, {"-1", 0, false}, {"lots", 0, false}, {"1.5MiB", 0, false},
	} {
		got, err := ParseBytes(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
	if FormatBytes(16<<20) != "16MiB" || FormatBytes(1000) != "1000" {
		t.Errorf("FormatBytes: %s %s", FormatBytes(16<<20), FormatBytes(1000))
	}
}

// oneSpanJSON is a minimal OTLP/JSON request with one root span whose ids
// are made from the given hex digits.
func oneSpanJSON(trace, span string) string {
	now := time.Now().UnixNano()
	return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"` + strings.Repeat(trace, 16)[:32] +
		`","spanId":"` + strings.Repeat(span, 8)[:16] + `","name":"root","startTimeUnixNano":"` + itoa(now-1e9) +
		`","endTimeUnixNano":"` + itoa(now) + `"}]}]}]}`
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestGRPCListenAddr(t *testing.T) {
	for _, c := range []struct {
		addr, grpc, want string
		ok               bool
	}{
		{"127.0.0.1:4318", ":4317", "127.0.0.1:4317", true},
		{"0.0.0.0:80", ":4317", "0.0.0.0:4317", true},
		{"[::1]:4318", ":4317", "[::1]:4317", true},
		{":4318", ":4317", ":4317", true},
		{"127.0.0.1:4318", "10.0.0.1:9000", "10.0.0.1:9000", true},
		{"127.0.0.1:4318", "", "", true},
		{"127.0.0.1:4318", "4317", "", false},
	} {
		cfg := Config{Addr: c.addr, GRPCAddr: c.grpc}
		got, err := cfg.GRPCListenAddr()
		if got != c.want || (err == nil) != c.ok {
			t.Errorf("Addr %q GRPCAddr %q: %q, %v; want %q ok=%v", c.addr, c.grpc, got, err, c.want, c.ok)
		}
	}
}

func TestOpenNeedsLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:4318": true, "localhost:4318": true, "[::1]:4318": true, "127.8.9.1:80": true,
		"0.0.0.0:4318": false, ":4318": false, "192.168.1.5:4318": false, "[::]:4318": false, "example.com:80": false,
	} {
		c := DefaultConfig()
		c.Addr, c.Open = addr, true
		err := c.Validate()
		if ok && err != nil {
			t.Errorf("--open --addr %s: %v", addr, err)
		}
		if !ok && (err == nil || !strings.Contains(err.Error(), "loopback")) {
			t.Errorf("--open --addr %s: %v, want a refusal naming loopback", addr, err)
		}
	}
}

func TestDashboardMounted(t *testing.T) {
	ts := startServer(t)
	// The dashboard's pages want a login; the API's routes keep answering JSON.
	req, _ := http.NewRequest("GET", ts.URL+"/sessions", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("GET /sessions without login = %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var list struct {
		Sessions []any `json:"sessions"`
	}
	ts.getJSON(t, "/v2/sessions", &list)
	status, body, h := ts.do(t, "GET", "/login", "", nil)
	if status != 200 || !strings.Contains(string(body), "Log in") || h.Get("Content-Security-Policy") == "" {
		t.Errorf("GET /login = %d", status)
	}
}
