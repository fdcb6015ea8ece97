package dashboard_test

import (
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/dashboard"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store/sqlite"
	"github.com/agentops-go/agentops/semconv"
)

// The benchmarks share one store of AGENTOPS_BENCH_SESSIONS sessions
// (default 1,000,000) and one session of 10,000 spans, built once per run
// into a temporary directory the first time a benchmark needs it: plain
// `go test` runs no benchmark, so it never builds it.
var bench struct {
	once    sync.Once
	dir     string
	st      *sqlite.Store
	handler http.Handler
	cookie  *http.Cookie
	// handlerAll sorts every session (Options.SortWindow < 0).
	handlerAll http.Handler
	cookieAll  *http.Cookie
	big        model.TraceID
	bigSpan    model.SpanID
	sessions   int
	err        error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.st != nil {
		bench.st.Close()
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

func benchEnv(b *testing.B) {
	b.Helper()
	bench.once.Do(func() { bench.err = buildBench(b) })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
}

func buildBench(b *testing.B) error {
	n := 1_000_000
	if s := os.Getenv("AGENTOPS_BENCH_SESSIONS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			return err
		}
	}
	bench.sessions = n
	dir, err := os.MkdirTemp("", "agentops-dashboard-bench-")
	if err != nil {
		return err
	}
	bench.dir = dir
	st, err := sqlite.Open(filepath.Join(dir, "agentops.db"), sqlite.Options{})
	if err != nil {
		return err
	}
	bench.st = st
	ctx := context.Background()
	p, err := st.CreateProject(ctx, "bench")
	if err != nil {
		return err
	}
	key, k := auth.NewKey()
	k.ProjectID = p.ID
	if err := st.AddKey(ctx, k); err != nil {
		return err
	}
	now := time.Now()
	began := time.Now()
	// Sessions of two spans (a root and an LLM call) over the last 30
	// days, written in batches of 20,000 spans.
	r := rand.New(rand.NewPCG(1, 2))
	states := []string{semconv.EndStateSuccess, semconv.EndStateSuccess, semconv.EndStateSuccess, semconv.EndStateFailure, semconv.EndStateIndeterminate}
	tags := [][]string{{"prod"}, {"prod", "support"}, {"dev"}, {"research"}, nil}
	models := []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-pro"}
	batch := make([]model.Span, 0, 20_000)
	for i := range n {
		var t model.TraceID
		binary.BigEndian.PutUint64(t[:8], r.Uint64())
		binary.BigEndian.PutUint64(t[8:], r.Uint64())
		// Arrival order is write order: starts grow with i, as in life.
		start := now.Add(-30 * 24 * time.Hour).Add(time.Duration(float64(30*24*time.Hour) * float64(i) / float64(n))).UnixNano()
		dur := int64(r.ExpFloat64() * float64(20*time.Second))
		root := model.Span{ProjectID: p.ID, TraceID: t, SpanID: model.SpanID{1}, Name: "agent-run-" + strconv.Itoa(i%97),
			Kind: semconv.KindSession, Start: start, End: start + dur + 1, Status: model.StatusOK,
			EndState: states[i%len(states)], Tags: tags[i%len(tags)]}
		if root.EndState == semconv.EndStateFailure {
			root.EndStateReason = "tool failed"
		}
		in, out := r.Int64N(4000), r.Int64N(800)
		call := model.Span{ProjectID: p.ID, TraceID: t, SpanID: model.SpanID{2}, ParentID: root.SpanID, Name: "chat",
			Kind: semconv.KindLLM, Start: start + 1, End: start + dur, RequestModel: models[i%len(models)],
			Usage: model.Usage{Input: in, Output: out, Total: in + out}, Cost: float64(in)*2.5e-6 + float64(out)*1e-5, CostSource: model.CostTable}
		if i%23 == 0 {
			call.Status, call.ErrorType, call.ErrorMessage = model.StatusError, "RateLimitError", "429 Too Many Requests"
		}
		batch = append(batch, root, call)
		if len(batch) == cap(batch) || i == n-1 {
			if err := st.WriteSpans(ctx, batch, now); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	bench.big = bigSession(b, st, p.ID, 10_000, now)
	spans, err := st.Spans(ctx, p.ID, bench.big)
	if err != nil {
		return err
	}
	bench.bigSpan = spans[len(spans)/2].SpanID
	b.Logf("built %d sessions (+1 of 10,000 spans) in %v", n, time.Since(began).Round(time.Millisecond))

	if bench.handler, bench.cookie, err = benchDashboard(st, key, dashboard.Options{}); err != nil {
		return err
	}
	// The same, sorting every session (no sort window), for comparison.
	bench.handlerAll, bench.cookieAll, err = benchDashboard(st, key, dashboard.Options{SortWindow: -1})
	return err
}

// benchDashboard builds a dashboard on st and logs in to it with key.
func benchDashboard(st *sqlite.Store, key string, opts dashboard.Options) (http.Handler, *http.Cookie, error) {
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	d, err := dashboard.New(st, auth.New(st, []byte("0123456789abcdef0123456789abcdef")), opts)
	if err != nil {
		return nil, nil, err
	}
	mux := http.NewServeMux()
	d.Register(mux)
	// Log in once through the handler.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/login", nil))
	pre := rec.Result().Cookies()[0]
	m := csrfField.FindStringSubmatch(rec.Body.String())
	form := url.Values{"csrf": {m[1]}, "api_key": {key}}
	req := httptest.NewRequest("POST", "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre)
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "agentops_login" {
			return mux, c, nil
		}
	}
	return nil, nil, io.ErrUnexpectedEOF
}

func benchGet(b *testing.B, path string) {
	benchEnv(b)
	benchGetOn(b, bench.handler, bench.cookie, path)
}

func benchGetOn(b *testing.B, handler http.Handler, cookie *http.Cookie, path string) {
	b.ReportAllocs()
	var size int
	for b.Loop() {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
		}
		size = rec.Body.Len()
	}
	b.ReportMetric(float64(size), "bytes/page")
}

// BenchmarkSessionsPage renders the first page of the sessions table of a
// project of 1M sessions, unfiltered and with the filters a user picks.
func BenchmarkSessionsPage(b *testing.B) {
	for _, c := range []struct{ name, query string }{
		{"all", ""},
		{"tag", "?tag=support"},
		{"end_state", "?end_state=Failure"},
		{"tag+state+model", "?tag=prod&end_state=Success&model=gpt-4o"},
		{"has_errors", "?has_errors=true"},
		{"search", "?q=agent-run-42"},
		{"running", "?end_state=running"},
	} {
		b.Run(c.name, func(b *testing.B) { benchGet(b, "/sessions"+c.query) })
	}
}

// BenchmarkSessionsPageSorted sorts by columns no index holds: in the
// dashboard's sort window (the 100,000 sessions that arrived last), and,
// for comparison, over the whole project ("all sessions").
func BenchmarkSessionsPageSorted(b *testing.B) {
	for _, c := range []struct{ name, query string }{
		{"cost", "?sort=cost"},
		{"tokens asc", "?sort=tokens&order=asc"},
		{"duration", "?sort=duration"},
		{"cost+has_errors", "?sort=cost&has_errors=true"},
		{"cost+tag", "?sort=cost&tag=support"},
		{"cost+range=7d", "?sort=cost&range=7d"},
	} {
		b.Run(c.name, func(b *testing.B) { benchGet(b, "/sessions"+c.query) })
	}
	b.Run("cost, all sessions", func(b *testing.B) {
		benchEnv(b)
		benchGetOn(b, bench.handlerAll, bench.cookieAll, "/sessions?sort=cost")
	})
}

// BenchmarkSessionsPageDeep follows the next-page cursor 20 pages deep.
func BenchmarkSessionsPageDeep(b *testing.B) {
	benchEnv(b)
	path := "/sessions"
	for range 20 {
		req := httptest.NewRequest("GET", path, nil)
		req.AddCookie(bench.cookie)
		rec := httptest.NewRecorder()
		bench.handler.ServeHTTP(rec, req)
		m := nextPage.FindStringSubmatch(rec.Body.String())
		if m == nil {
			b.Fatal("no next page")
		}
		path = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	benchGet(b, path)
}

// BenchmarkOverview renders the overview of 30 days of 1M sessions.
func BenchmarkOverview(b *testing.B) {
	benchGet(b, "/?days=30")
}

// BenchmarkSessionPage10k renders the page of a session of 10,000 spans
// (the first 500 rows of its tree, the waterfall drawn on the server).
func BenchmarkSessionPage10k(b *testing.B) {
	benchEnv(b)
	benchGet(b, "/sessions/"+bench.big.String())
}

// BenchmarkSpanDetail10k loads one span's details from that session.
func BenchmarkSpanDetail10k(b *testing.B) {
	benchEnv(b)
	benchGet(b, "/sessions/"+bench.big.String()+"/spans/"+bench.bigSpan.String())
}

var nextPage = regexp.MustCompile(`href="([^"]+)" id="next-page"`)
