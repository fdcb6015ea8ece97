package demo

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/server/servertest"
	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// getJSON GETs path from the server with its key and decodes the answer.
func getJSON(t *testing.T, srv *servertest.Server, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("X-Agentops-Api-Key", srv.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// expectedCost prices a session's LLM calls from the embedded table, as
// the server should.
func expectedCost(t *testing.T, s *normSession) float64 {
	t.Helper()
	var c float64
	for _, sp := range s.spans {
		if sp.Kind != semconv.KindLLM {
			continue
		}
		m, ok := pricing.Default().Find(sp.Provider, cmpOr(sp.ResponseModel, sp.RequestModel))
		if !ok {
			continue
		}
		u := sp.Usage
		c += m.Cost(pricing.Usage{Input: u.Input, Output: u.Output, CacheRead: u.CacheRead, CacheWrite: u.CacheWrite, Reasoning: u.Reasoning})
	}
	return c
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// The demo sent to a real server over OTLP/HTTP reads back through the
// REST API as generated: end states, counts, tokens, costs priced from the
// table, the unknown model unpriced, tags filterable.
func TestSendToServer(t *testing.T) {
	srv := servertest.Start(t)
	now := time.Now() // the server's clock decides what is still running
	cfg := Config{Seed: 11, Sessions: 60, Now: now}
	td, notable := generate(cfg)
	sessions := byTrace(t, td)

	res, err := Send(t.Context(), SendConfig{Endpoint: srv.URL, APIKey: srv.Key, MaxSpans: 150}, td)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sessions != 60 || res.Spans != td.SpanCount() || len(res.SessionIDs) != 60 {
		t.Fatalf("result %d sessions, %d spans; want 60, %d", res.Sessions, res.Spans, td.SpanCount())
	}
	var want float64
	for _, s := range sessions {
		want += expectedCost(t, s)
	}
	if !near(res.CostUSD, want) || res.Unpriced != 1 {
		t.Errorf("result cost $%v + %d unpriced; want $%v + 1", res.CostUSD, res.Unpriced, want)
	}

	stats := func(id pcommon.TraceID) api.SessionStats {
		var st api.SessionStats
		getJSON(t, srv, "/v2/sessions/"+model.TraceID(id).String()+"/stats", &st)
		return st
	}
	state := func(st api.SessionStats) string {
		if st.EndState == nil {
			return "<nil>"
		}
		return *st.EndState
	}

	// Every session: counts and tokens as generated, cost to the table's price.
	for id, s := range sessions {
		st := stats(pcommon.TraceID(id))
		var llm, answered, tools, in, out, cached, reasoning int64
		for _, sp := range s.spans {
			switch sp.Kind {
			case semconv.KindLLM:
				llm++
				if sp.Status != model.StatusError {
					answered++
				}
				in += sp.Usage.Input
				out += sp.Usage.Output
				cached += sp.Usage.CacheRead
				reasoning += sp.Usage.Reasoning
			case semconv.KindTool:
				tools++
			}
		}
		if st.Events.Total != int64(len(s.spans)) || st.Events.LLMCalls != llm || st.Events.ToolCalls != tools {
			t.Errorf("session %s: events %+v; want %d spans, %d LLM, %d tool", id, st.Events, len(s.spans), llm, tools)
		}
		if st.Tokens.Prompt != in || st.Tokens.Completion != out || st.Tokens.CacheRead != cached || st.Tokens.Reasoning != reasoning || (in == 0) != (answered == 0) {
			t.Errorf("session %s: tokens %+v; want in %d out %d cached %d reasoning %d", id, st.Tokens, in, out, cached, reasoning)
		}
		if c := expectedCost(t, s); !near(st.Cost.TotalUSD, c) || (c > 0) != (answered > 0) {
			t.Errorf("session %s: cost $%v, want $%v from the price table", id, st.Cost.TotalUSD, c)
		}
		if s.root.EndState != "" && state(st) != s.root.EndState {
			t.Errorf("session %s: end state %s, want %s", id, state(st), s.root.EndState)
		}
	}

	failed := stats(notable[notableFailure])
	if state(failed) != semconv.EndStateFailure || !strings.Contains(failed.EndStateReason, "context deadline exceeded") || failed.Events.Errors < 1 {
		t.Errorf("failed session: %s (%q), %d errors", state(failed), failed.EndStateReason, failed.Events.Errors)
	}
	var exp api.SessionExport
	getJSON(t, srv, "/v2/sessions/"+model.TraceID(notable[notableFailure]).String()+"/export", &exp)
	i := slices.IndexFunc(exp.Errors, func(e api.ErrorRecord) bool { return e.Kind == semconv.KindTool })
	if i < 0 || exp.Errors[i].Type != "*url.Error" || !strings.Contains(exp.Errors[i].Message, "context deadline exceeded") || !strings.Contains(exp.Errors[i].Stacktrace, "goroutine") {
		t.Errorf("failed session's errors: %+v", exp.Errors)
	}

	if ind := stats(notable[notableIndeterminate]); state(ind) != semconv.EndStateIndeterminate || ind.Running || ind.EndStateReason == "" {
		t.Errorf("indeterminate session: %s (%q), running %v", state(ind), ind.EndStateReason, ind.Running)
	}
	if run := stats(notable[notableRunning]); run.EndState != nil || !run.Running {
		t.Errorf("running session: %s, running %v", state(run), run.Running)
	}
	if retry := stats(notable[notableRetry]); state(retry) != semconv.EndStateSuccess || retry.Events.LLMCalls != 2 || retry.Events.Errors != 1 {
		t.Errorf("retried session: %s, %d LLM calls, %d errors; want Success, 2, 1", state(retry), retry.Events.LLMCalls, retry.Events.Errors)
	}
	if up := stats(notable[notableUnpriced]); up.Cost.UnpricedCalls != 1 || up.Cost.Complete || up.Cost.TotalUSD <= 0 {
		t.Errorf("unpriced session: cost %+v; want 1 unpriced call besides priced ones", up.Cost)
	}

	// Tags: ?tag= lists exactly the sessions that carry it.
	for _, tag := range []string{"support", "code-review", "live"} {
		want := 0
		for _, s := range sessions {
			if slices.Contains(s.root.Tags, tag) {
				want++
			}
		}
		var list api.SessionList
		getJSON(t, srv, "/v2/sessions?limit=1000&tag="+url.QueryEscape(tag), &list)
		if len(list.Sessions) != want || want == 0 {
			t.Errorf("?tag=%s: %d sessions, want %d", tag, len(list.Sessions), want)
		}
		for _, s := range list.Sessions {
			if !slices.Contains(s.Tags, tag) {
				t.Errorf("?tag=%s listed %s tagged %v", tag, s.ID, s.Tags)
			}
		}
	}
}

func TestSendErrors(t *testing.T) {
	td := Generate(Config{Seed: 1, Sessions: 5, Now: testNow})

	// Nothing listening.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Send(t.Context(), SendConfig{Endpoint: addr, APIKey: "k"}, td)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "agentops serve") {
		t.Errorf("unreachable server: %v", err)
	}

	srv := servertest.Start(t)
	for _, key := range []string{"", "not-a-key", "5c4e2f1a-3b6d-4e8f-9a0b-1c2d3e4f5a6b"} {
		_, err := Send(t.Context(), SendConfig{Endpoint: srv.URL, APIKey: key}, td)
		if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "--api-key") {
			t.Errorf("key %q: %v", key, err)
		}
	}

	// A request over the server's span limit is refused with its message.
	tight := servertest.Start(t, func(c *server.Config) { c.MaxSpansPerRequest = 10 })
	_, err = Send(t.Context(), SendConfig{Endpoint: tight.URL, APIKey: tight.Key, MaxSpans: 50}, td)
	if err == nil || !strings.Contains(err.Error(), "413") || !strings.Contains(err.Error(), "more than the limit of 10") {
		t.Errorf("over the span limit: %v", err)
	}

	// Spans refused inside a 200 (partial success) are an error too.
	partial := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		er := ptraceotlp.NewExportResponse()
		er.PartialSuccess().SetRejectedSpans(3)
		er.PartialSuccess().SetErrorMessage("3 spans rejected: 3 with an empty span id")
		b, _ := er.MarshalProto()
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(b)
	}))
	defer partial.Close()
	_, err = Send(t.Context(), SendConfig{Endpoint: partial.URL, APIKey: "k"}, td)
	if err == nil || !strings.Contains(err.Error(), "refused 3 spans: 3 spans rejected") {
		t.Errorf("partial success: %v", err)
	}

	for _, ep := range []string{"", "ftp://x", "http://"} {
		if _, err := Send(t.Context(), SendConfig{Endpoint: ep, APIKey: "k"}, td); err == nil {
			t.Errorf("endpoint %q accepted", ep)
		}
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:4318":             "http://127.0.0.1:4318",
		"127.0.0.1:4318":                    "http://127.0.0.1:4318",
		"http://127.0.0.1:4318/":            "http://127.0.0.1:4318",
		"http://127.0.0.1:4318/v1/traces":   "http://127.0.0.1:4318",
		"https://obs.example.com/agentops/": "https://obs.example.com/agentops",
	} {
		got, err := SendConfig{Endpoint: in}.BaseURL()
		if err != nil || got != want {
			t.Errorf("BaseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// A 503 (ingest queue full) is retried after its Retry-After.
func TestSendRetriesUnavailable(t *testing.T) {
	srv := servertest.Start(t)
	target, _ := url.Parse(srv.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	var refused atomic.Int32
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" && refused.Add(1) <= 2 {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":"ingest queue is full: retry later"}`))
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	td := Generate(Config{Seed: 1, Sessions: 5, Now: testNow})
	res, err := Send(t.Context(), SendConfig{Endpoint: front.URL, APIKey: srv.Key}, td)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sessions != 5 || refused.Load() < 3 {
		t.Errorf("%d sessions after %d tries", res.Sessions, refused.Load())
	}
}

// Write goes through the server's own pipeline into a store: the same
// sessions, priced the same, as a server would have stored.
func TestWriteIntoStore(t *testing.T) {
	ctx := context.Background()
	st, err := server.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := server.EnsureDefaultProject(ctx, st); err != nil {
		t.Fatal(err)
	}
	ps, err := st.ListProjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pipe, committer := server.NewPipeline(server.DefaultConfig(), st, st, nil)
	defer committer.Close()

	now := time.Now()
	td, notable := generate(Config{Seed: 4, Sessions: 20, Now: now, BigSession: 2000})
	sessions := byTrace(t, td)
	res, err := Write(ctx, pipe, st, ps[0].ID, td, 500)
	if err != nil {
		t.Fatal(err)
	}
	if res.Sessions != 21 || res.Spans != td.SpanCount() || res.Unpriced != 1 {
		t.Fatalf("result %+v", res)
	}
	var want float64
	for id, s := range sessions {
		want += expectedCost(t, s)
		got, err := st.Session(ctx, ps[0].ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Counts.Spans != int64(len(s.spans)) {
			t.Errorf("session %s: %d spans stored, want %d", id, got.Counts.Spans, len(s.spans))
		}
	}
	if !near(res.CostUSD, want) {
		t.Errorf("cost $%v, want $%v", res.CostUSD, want)
	}
	stats, err := api.Stats(ctx, st, ps[0].ID, model.TraceID(notable[notableRunning]), time.Now(), time.Hour)
	if err != nil || !stats.Running {
		t.Errorf("running session: %+v, %v", stats, err)
	}
	// Another project sees none of it.
	other, err := st.CreateProject(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Session(ctx, other.ID, model.TraceID(notable[notableFailure])); err == nil {
		t.Error("another project reads the demo's session")
	}
}
