package demo

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/otlp"
	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// testNow is the Now of the tests' generated data.
var testNow = time.Date(2026, 11, 26, 9, 30, 0, 0, time.UTC)

func marshal(t *testing.T, td ptrace.Traces) []byte {
	t.Helper()
	var m ptrace.ProtoMarshaler
	b, err := m.MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGenerateIsDeterministic(t *testing.T) {
	cfg := Config{Seed: 7, Sessions: 40, Now: testNow, Days: 10, BigSession: 300}
	a, b := marshal(t, Generate(cfg)), marshal(t, Generate(cfg))
	if !bytes.Equal(a, b) {
		t.Fatal("the same Config gave different traces")
	}

	other := cfg
	other.Seed = 8
	if bytes.Equal(a, marshal(t, Generate(other))) {
		t.Error("another seed gave the same traces")
	}

	// Another Now: new ids, so that a second run adds sessions instead of
	// merging into the first's.
	later := cfg
	later.Now = testNow.Add(time.Hour)
	x, y := byTrace(t, Generate(cfg)), byTrace(t, Generate(later))
	if len(x) != len(y) {
		t.Fatalf("%d sessions, then %d", len(x), len(y))
	}
	for id := range x {
		if _, shared := y[id]; shared {
			t.Fatalf("session %s generated again at another Now", id)
		}
	}
}

// normSession is one generated session, normalized as the server does.
type normSession struct {
	root  *model.Span
	spans []model.Span
}

// byTrace encodes td as an export request, decodes it as the server does,
// normalizes it and groups its spans by session.
func byTrace(t *testing.T, td ptrace.Traces) map[model.TraceID]*normSession {
	t.Helper()
	decoded, err := otlp.DecodeProto(marshal(t, td))
	if err != nil {
		t.Fatal(err)
	}
	spans, rej := otlp.Normalize(decoded, "project", otlp.Limits{MaxAttrValueBytes: 64 << 10})
	if rej.Count != 0 {
		t.Fatalf("normalization rejected spans: %s", rej.Message)
	}
	out := map[model.TraceID]*normSession{}
	for _, sp := range spans {
		s := out[sp.TraceID]
		if s == nil {
			s = &normSession{}
			out[sp.TraceID] = s
		}
		s.spans = append(s.spans, sp)
	}
	for id, s := range out {
		for i := range s.spans {
			if s.spans[i].IsRoot() {
				if s.root != nil {
					t.Fatalf("session %s has two roots", id)
				}
				s.root = &s.spans[i]
			}
		}
		if s.root == nil {
			t.Fatalf("session %s has no root", id)
		}
	}
	return out
}

func TestGenerateNormalizesAsTheSDKsWrite(t *testing.T) {
	cfg := Config{Seed: 3, Now: testNow}
	td, notable := generate(cfg)
	sessions := byTrace(t, td)
	if len(sessions) != DefaultSessions {
		t.Fatalf("%d sessions, want %d", len(sessions), DefaultSessions)
	}
	oldest := testNow.Add(-DefaultDays * 24 * time.Hour).UnixNano()
	kinds := map[model.Kind]int{}
	names := map[string]int{}
	providers := map[string]bool{}
	states := map[string]int{}
	for id, s := range sessions {
		root := s.root
		if root.Kind != semconv.KindSession || root.Name == "" {
			t.Errorf("session %s: root is a %q named %q, want a named session span", id, root.Kind, root.Name)
		}
		if root.Tags == nil || !strings.Contains(string(root.Attributes)+string(root.Resource), `"host.name"`) {
			t.Errorf("session %s: root lacks tags or host environment: %s", id, root.Attributes)
		}
		names[root.Name]++
		if strings.Contains(string(root.Resource), `"telemetry.sdk.language":"python"`) {
			names["python"]++
		}
		states[root.EndState]++
		byID := map[model.SpanID]*model.Span{}
		for i := range s.spans {
			byID[s.spans[i].SpanID] = &s.spans[i]
		}
		for i := range s.spans {
			sp := &s.spans[i]
			kinds[sp.Kind]++
			if sp.Kind == semconv.KindUnknown {
				t.Errorf("session %s: span %q has no kind", id, sp.Name)
			}
			if sp.Start < oldest || sp.Start > testNow.UnixNano() || sp.End > testNow.UnixNano() {
				t.Errorf("session %s: span %q (%d..%d) outside the period", id, sp.Name, sp.Start, sp.End)
			}
			if sp.IsRoot() {
				continue
			}
			parent := byID[sp.ParentID]
			if parent == nil {
				t.Fatalf("session %s: span %q has no parent in the session", id, sp.Name)
			}
			if sp.Start < parent.Start || (parent.End != 0 && (sp.End == 0 || sp.End > parent.End)) {
				t.Errorf("session %s: span %q (%d..%d) not inside its parent %q (%d..%d)", id, sp.Name, sp.Start, sp.End, parent.Name, parent.Start, parent.End)
			}
			if sp.Kind == semconv.KindLLM {
				providers[sp.Provider] = true
				if sp.RequestModel == "" || sp.Operation == "" {
					t.Errorf("session %s: LLM span %q lacks model or operation", id, sp.Name)
				}
				if sp.Status != model.StatusError && (sp.Usage.Input == 0 || sp.ResponseModel == "") {
					t.Errorf("session %s: LLM span %q lacks usage or response model", id, sp.Name)
				}
				if sp.Status != model.StatusError && sp.Operation == semconv.OpChat && !strings.Contains(string(sp.Attributes), `"gen_ai.completion.0.finish_reason"`) {
					t.Errorf("session %s: chat span %q lacks its completion", id, sp.Name)
				}
			}
		}
	}
	for _, k := range []model.Kind{semconv.KindAgent, semconv.KindWorkflow, semconv.KindTask, semconv.KindTool, semconv.KindLLM, semconv.KindGuardrail} {
		if kinds[k] == 0 {
			t.Errorf("no span of kind %s: %v", k, kinds)
		}
	}
	// Sessions of both SDKs' dialects: the pipeline is a Python program, whose
	// root span "data-pipeline.session" names the session "data-pipeline".
	for _, n := range []string{"research-assistant", "support-triage", "code-reviewer", "data-pipeline", "python"} {
		if names[n] == 0 {
			t.Errorf("no %s session: %v", n, names)
		}
	}
	for _, p := range []string{"openai", "anthropic", "gemini"} {
		if !providers[p] {
			t.Errorf("no LLM call through %s: %v", p, providers)
		}
	}
	if states[semconv.EndStateSuccess] < DefaultSessions/2 || states[semconv.EndStateFailure] == 0 || states[semconv.EndStateIndeterminate] == 0 || states[""] != 1 {
		t.Errorf("end states %v: want mostly Success, some Failure and Indeterminate, one running", states)
	}

	// The notable sessions.
	failed := sessions[model.TraceID(notable[notableFailure])]
	if failed.root.EndState != semconv.EndStateFailure || !strings.Contains(failed.root.EndStateReason, "context deadline exceeded") {
		t.Errorf("failed session ended %q (%q)", failed.root.EndState, failed.root.EndStateReason)
	}
	tool := find(failed, func(sp *model.Span) bool { return sp.Kind == semconv.KindTool && sp.Status == model.StatusError })
	if tool == nil || tool.ErrorType != "*url.Error" || tool.ErrorMessage != failed.root.EndStateReason || !strings.Contains(tool.ErrorStack, "goroutine") {
		t.Errorf("failed session's tool error: %+v", tool)
	}

	ind := sessions[model.TraceID(notable[notableIndeterminate])]
	if ind.root.EndState != semconv.EndStateIndeterminate || ind.root.EndStateReason == "" || ind.root.Status != model.StatusUnset {
		t.Errorf("indeterminate session: %q (%q), status %v", ind.root.EndState, ind.root.EndStateReason, ind.root.Status)
	}

	run := sessions[model.TraceID(notable[notableRunning])]
	latestEnd := int64(0)
	for _, sp := range run.spans {
		latestEnd = max(latestEnd, sp.End)
	}
	if run.root.End != 0 || run.root.EndState != "" || testNow.UnixNano()-latestEnd > int64(time.Minute) {
		t.Errorf("running session: root end %d, state %q, last span ended %v before now", run.root.End, run.root.EndState, time.Duration(testNow.UnixNano()-latestEnd))
	}

	retry := sessions[model.TraceID(notable[notableRetry])]
	var llms []*model.Span
	for i := range retry.spans {
		if retry.spans[i].Kind == semconv.KindLLM {
			llms = append(llms, &retry.spans[i])
		}
	}
	slices.SortFunc(llms, func(a, b *model.Span) int { return int(a.Start - b.Start) })
	if len(llms) != 2 || llms[0].Status != model.StatusError || llms[0].ErrorType != "rate_limit_error" ||
		!strings.Contains(string(llms[0].Attributes), `"http.response.status_code":429`) || llms[1].Status == model.StatusError || llms[1].Start < llms[0].End {
		t.Errorf("retried session's LLM calls: %d, first %+v", len(llms), llms[0])
	}
	if retry.root.EndState != semconv.EndStateSuccess {
		t.Errorf("retried session ended %q", retry.root.EndState)
	}

	// Only the self-hosted model is missing from the price table.
	unpriced := 0
	for id, s := range sessions {
		for _, sp := range s.spans {
			if sp.Kind != semconv.KindLLM {
				continue
			}
			if _, ok := pricing.Default().Find(sp.Provider, cmpOr(sp.ResponseModel, sp.RequestModel)); !ok {
				unpriced++
				if id != model.TraceID(notable[notableUnpriced]) {
					t.Errorf("session %s: model %q is not in the price table", id, sp.RequestModel)
				}
			}
		}
	}
	if unpriced != 1 {
		t.Errorf("%d LLM calls of unknown models, want 1", unpriced)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func find(s *normSession, f func(*model.Span) bool) *model.Span {
	for i := range s.spans {
		if f(&s.spans[i]) {
			return &s.spans[i]
		}
	}
	return nil
}

// OTLP/JSON carries the same spans (hex ids, every value type used).
func TestGenerateDecodesFromJSON(t *testing.T) {
	td := Generate(Config{Seed: 6, Sessions: 30, Now: testNow})
	var m ptrace.JSONMarshaler
	b, err := m.MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	back, err := otlp.DecodeJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(marshal(t, back), marshal(t, td)) {
		t.Error("the JSON round trip changed the traces")
	}
}

func TestGenerateKeepsTheNotableSessionsAndOrder(t *testing.T) {
	td, notable := generate(Config{Seed: 1, Sessions: 2, Now: testNow, Days: 1})
	if n := td.ResourceSpans().Len(); n != numNotable {
		t.Fatalf("%d sessions, want the %d notable ones", n, numNotable)
	}
	for i, id := range notable {
		if id.IsEmpty() {
			t.Errorf("notable session %d missing", i)
		}
	}
	// Oldest first: the server lists sessions in the order it first sees
	// them, so the newest must arrive last.
	var prev uint64
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		start := uint64(rss.At(i).ScopeSpans().At(0).Spans().At(0).StartTimestamp())
		if start < prev {
			t.Fatalf("session %d starts before the one delivered before it", i)
		}
		prev = start
	}
}

func TestGenerateBigSession(t *testing.T) {
	const big = 10_000
	td := Generate(Config{Seed: 5, Sessions: 5, Now: testNow, BigSession: big})
	sessions := byTrace(t, td)
	var found *normSession
	for _, s := range sessions {
		if len(s.spans) == big {
			found = s
		}
	}
	if found == nil {
		t.Fatalf("no session of %d spans: %v", big, shapesLen(sessions))
	}
	if found.root.End == 0 || found.root.End > testNow.UnixNano() || found.root.EndState != semconv.EndStateSuccess {
		t.Errorf("big session: end %d, state %q", found.root.End, found.root.EndState)
	}
	byID := map[model.SpanID]*model.Span{}
	for i := range found.spans {
		byID[found.spans[i].SpanID] = &found.spans[i]
	}
	for _, sp := range found.spans {
		if p := byID[sp.ParentID]; p != nil && (sp.Start < p.Start || sp.End > p.End) {
			t.Fatalf("span %q not inside its parent %q", sp.Name, p.Name)
		}
	}
}

func shapesLen(m map[model.TraceID]*normSession) []int {
	var out []int
	for _, s := range m {
		out = append(out, len(s.spans))
	}
	return out
}

func TestBatches(t *testing.T) {
	td := Generate(Config{Seed: 2, Sessions: 30, Now: testNow, BigSession: 2500})
	const max = 400
	batches := Batches(td, max)
	total := 0
	whole := map[model.TraceID]int{} // trace → batches it appears in
	for _, b := range batches {
		n := b.SpanCount()
		if n == 0 || n > max {
			t.Errorf("a batch of %d spans (limit %d)", n, max)
		}
		total += n
		seen := map[model.TraceID]bool{}
		for _, id := range sessionIDs(b) {
			if !seen[id] {
				seen[id] = true
				whole[id]++
			}
		}
		// Every piece keeps its resource and scope.
		rss := b.ResourceSpans()
		for i := range rss.Len() {
			if _, ok := rss.At(i).Resource().Attributes().Get("service.name"); !ok || rss.At(i).ScopeSpans().At(0).Scope().Name() == "" {
				t.Fatal("a piece lost its resource or scope")
			}
		}
	}
	if total != td.SpanCount() {
		t.Fatalf("batches hold %d spans, want %d", total, td.SpanCount())
	}
	split := 0
	for _, n := range whole {
		if n > 1 {
			split++
		}
	}
	if split != 1 {
		t.Errorf("%d sessions split across batches, want only the big one", split)
	}
	if got := sessionIDs(td); len(got) != 31 {
		t.Errorf("%d sessions, want 31", len(got))
	}
	// Order is kept: the sessions appear in the batches as in td.
	var order []model.TraceID
	for _, b := range batches {
		for _, id := range sessionIDs(b) {
			if len(order) == 0 || order[len(order)-1] != id {
				order = append(order, id)
			}
		}
	}
	if !slices.Equal(order, sessionIDs(td)) {
		t.Error("batches reorder the sessions")
	}
}

func TestEntityJSON(t *testing.T) {
	// Inputs and outputs are JSON, as the SDK's helpers record them.
	td := Generate(Config{Seed: 9, Sessions: 10, Now: testNow})
	for _, s := range byTrace(t, td) {
		for _, sp := range s.spans {
			var attrs map[string]any
			if err := json.Unmarshal(sp.Attributes, &attrs); err != nil {
				t.Fatal(err)
			}
			in, ok := attrs[semconv.EntityInput].(string)
			if ok && strings.HasPrefix(in, "{") && !json.Valid([]byte(in)) {
				t.Errorf("span %q: input is not JSON: %s", sp.Name, in)
			}
		}
	}
}
