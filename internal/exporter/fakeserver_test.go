package exporter

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

const testKey = "0b5f3c59-8a8e-4c51-9a3f-2b1f0f7e1a10"

// answer is a scripted reply of the fake server.
type answer struct {
	status     int
	retryAfter string
	message    string
}

// traceRequest is what the fake server saw of one POST /v1/traces.
type traceRequest struct {
	at     time.Time
	auth   string // "bearer", "key" or "none"
	token  string
	status int      // what it answered
	spans  []string // span ids (hex) of an accepted request
	names  []string
}

// fakeServer is an AgentOps server in miniature: POST /v3/auth/token issues
// HS256 JWTs for one key, POST /v1/traces decodes OTLP protobuf (gzip or
// not) and checks the credential as the real server does. Answers can be
// scripted, and requests held.
type fakeServer struct {
	*httptest.Server
	key    string
	secret []byte

	mu            sync.Mutex
	noTokenPath   bool          // /v3/auth/token answers 404, as a backend without it
	tokenAnswers  []answer      // scripted answers of the next exchanges
	tokenTTL      time.Duration // default 24h
	exchanges     int
	issued        int
	validTokens   map[string]bool
	traceAnswers  []answer // scripted answers of the next accepted-credential /v1/traces requests
	rejectSpans   int64    // partial success: refuse this many spans of each request
	requests      []traceRequest
	hold          chan struct{} // non-nil: /v1/traces waits for it to close
	resetNext     int           // close the connection of this many next /v1/traces requests without an answer
	arrived       chan struct{} // a signal per /v1/traces request
	exchangedWith []string
	now           func() time.Time // clock of the issued tokens' exp
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	return newFakeServerAt(t, "127.0.0.1:0")
}

// newFakeServerAt is newFakeServer listening on addr: a server appearing
// where a processor already sends.
func newFakeServerAt(t *testing.T, addr string) *fakeServer {
	t.Helper()
	f := &fakeServer{
		key:         testKey,
		secret:      []byte("test-secret"),
		validTokens: map[string]bool{},
		arrived:     make(chan struct{}, 1024),
		now:         time.Now,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/auth/token", f.token)
	mux.HandleFunc("POST /v1/traces", f.traces)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	f.Server = httptest.NewUnstartedServer(mux)
	f.Listener.Close()
	f.Listener = ln
	f.Start()
	t.Cleanup(f.Close)
	return f
}

func writeError(w http.ResponseWriter, a answer) {
	w.Header().Set("Content-Type", "application/json")
	if a.retryAfter != "" {
		w.Header().Set("Retry-After", a.retryAfter)
	}
	w.WriteHeader(a.status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": a.message, "code": 3, "message": a.message})
}

func (f *fakeServer) token(w http.ResponseWriter, r *http.Request) {
	var body struct {
		APIKey string `json:"api_key"`
	}
	err := json.NewDecoder(r.Body).Decode(&body)

	f.mu.Lock()
	defer f.mu.Unlock()
	f.exchanges++
	f.exchangedWith = append(f.exchangedWith, body.APIKey)
	switch {
	case f.noTokenPath:
		http.NotFound(w, r)
		return
	case len(f.tokenAnswers) > 0:
		a := f.tokenAnswers[0]
		f.tokenAnswers = f.tokenAnswers[1:]
		writeError(w, a)
		return
	case err != nil:
		writeError(w, answer{status: 400, message: "Invalid JSON body"})
		return
	case body.APIKey != f.key:
		writeError(w, answer{status: 403, message: "Unknown API key"})
		return
	}
	ttl := f.tokenTTL
	if ttl == 0 {
		ttl = 24 * time.Hour
	}
	f.issued++
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.RegisteredClaims{
		ID:        fmt.Sprint(f.issued),
		ExpiresAt: jwt.NewNumericDate(f.now().Add(ttl)),
	}).SignedString(f.secret)
	if err != nil {
		panic(err)
	}
	f.validTokens[tok] = true
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"token": tok, "project_id": "p1", "project_prem_status": "pro"})
}

func (f *fakeServer) traces(w http.ResponseWriter, r *http.Request) {
	select {
	case f.arrived <- struct{}{}:
	default:
	}
	f.mu.Lock()
	hold, reset := f.hold, f.resetNext > 0
	if reset {
		f.resetNext--
	}
	f.mu.Unlock()
	if hold != nil {
		select {
		case <-hold:
		case <-r.Context().Done():
			return
		}
	}

	req := traceRequest{at: time.Now(), auth: "none"}
	if reset { // status 0: no answer
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
	} else {
		req.status = f.serveTraces(w, r, &req)
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	f.mu.Unlock()
}

func (f *fakeServer) serveTraces(w http.ResponseWriter, r *http.Request, req *traceRequest) int {
	f.mu.Lock()
	var refuse *answer
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		req.auth, req.token = "bearer", tok
		if !f.validTokens[tok] {
			refuse = &answer{status: 401, message: "invalid or expired token"}
		}
	} else if key := r.Header.Get(apiKeyHeader); key != "" {
		req.auth = "key"
		if key != f.key {
			refuse = &answer{status: 403, message: "unknown API key"}
		}
	} else {
		refuse = &answer{status: 401, message: "missing credential: send X-Agentops-Api-Key: <key> or Authorization: Bearer <token>"}
	}
	if refuse == nil && len(f.traceAnswers) > 0 {
		refuse = &f.traceAnswers[0]
		f.traceAnswers = f.traceAnswers[1:]
	}
	reject := f.rejectSpans
	f.mu.Unlock()
	if refuse != nil {
		writeError(w, *refuse)
		return refuse.status
	}

	var body io.Reader = r.Body
	if strings.EqualFold(r.Header.Get("Content-Encoding"), "gzip") {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			writeError(w, answer{status: 400, message: "broken gzip"})
			return 400
		}
		body = zr
	}
	data, err := io.ReadAll(body)
	if err != nil {
		writeError(w, answer{status: 400, message: "broken body"})
		return 400
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-protobuf" {
		writeError(w, answer{status: 415, message: "unsupported content type " + ct})
		return 415
	}
	er := ptraceotlp.NewExportRequest()
	if err := er.UnmarshalProto(data); err != nil {
		writeError(w, answer{status: 400, message: "invalid OTLP protobuf"})
		return 400
	}
	rss := er.Traces().ResourceSpans()
	for i := range rss.Len() {
		sss := rss.At(i).ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				req.spans = append(req.spans, spans.At(k).SpanID().String())
				req.names = append(req.names, spans.At(k).Name())
			}
		}
	}

	resp := ptraceotlp.NewExportResponse()
	if reject > 0 {
		resp.PartialSuccess().SetRejectedSpans(reject)
		resp.PartialSuccess().SetErrorMessage("some spans had empty ids")
	}
	out, err := resp.MarshalProto()
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
	return 200
}

func (f *fakeServer) snapshot() (requests []traceRequest, exchanges int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]traceRequest(nil), f.requests...), f.exchanges
}

// accepted returns the span ids of every request answered 200, in order.
func (f *fakeServer) accepted() []string {
	reqs, _ := f.snapshot()
	var ids []string
	for _, r := range reqs {
		if r.status == 200 {
			ids = append(ids, r.spans...)
		}
	}
	return ids
}

func (f *fakeServer) revokeTokens() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.validTokens)
}

// silentServer accepts connections and never answers: a hung server. The
// channel gets a signal per accepted connection.
func silentServer(t *testing.T) (string, <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	done := make(chan struct{})
	accepted := make(chan struct{}, 100)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case accepted <- struct{}{}:
			default:
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String(), accepted
}

// unansweredCounter is an HTTP transport counting the trace requests that
// got no answer.
type unansweredCounter struct {
	base http.RoundTripper
	n    atomic.Int64
}

func (c *unansweredCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil && strings.HasSuffix(req.URL.Path, "/v1/traces") {
		c.n.Add(1)
	}
	return resp, err
}

// closedPort returns the URL of a port nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// logBuffer collects log output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// count returns how many log lines contain s.
func (l *logBuffer) count(s string) int {
	n := 0
	for line := range strings.Lines(l.String()) {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}
