package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// chunkedTrace is a trace cut into chunks the way clients send them: the
// root span first in flight and later ended (from another process, with
// another resource), children in batches, in any order.
//
// Summarize's result must not depend on the order of spans inside a chunk,
// which the contract leaves to the backend: starts are distinct, at most one
// span of a chunk carries an explicit end state, and costs are multiples of
// 1/1024 so that their float sums are exact in any order.
func chunkedTrace(r *rand.Rand, project string, trace model.TraceID, start int64) [][]model.Span {
	n := 2 + r.IntN(40)
	rootID := spanID(r.Uint64() | 1)
	kinds := []model.Kind{semconv.KindLLM, semconv.KindLLM, semconv.KindTool, semconv.KindAgent,
		semconv.KindAction, semconv.KindError, semconv.KindTask, semconv.KindWorkflow, "custom"}
	var children []model.Span
	for i := range n {
		sp := model.Span{
			ProjectID: project, TraceID: trace, SpanID: spanID(r.Uint64() | 1), ParentID: rootID,
			Name: fmt.Sprintf("child-%d", i), Kind: kinds[r.IntN(len(kinds))],
			Start:    start + int64(i+1)*1_000_000 + r.Int64N(1_000_000),
			Resource: json.RawMessage(`{"service.name":"worker","host.name":"w1"}`),
		}
		if r.IntN(10) > 0 {
			sp.End = sp.Start + r.Int64N(5e9)
		}
		if r.IntN(6) == 0 {
			sp.Status = model.StatusError
		}
		if r.IntN(3) == 0 && i > 0 {
			sp.ParentID = children[r.IntN(i)].SpanID
		}
		sp.Usage = model.Usage{Input: r.Int64N(5000), Output: r.Int64N(1000), CacheRead: r.Int64N(100), Reasoning: r.Int64N(50)}
		sp.Usage.Total = sp.Usage.Input + sp.Usage.Output
		switch r.IntN(4) {
		case 0:
			sp.CostSource = model.CostTable
			sp.Cost = float64(r.IntN(4096)) / 1024
		case 1:
			sp.CostSource = model.CostSpan
			sp.Cost = float64(r.IntN(64)) / 1024
		case 2:
			sp.CostSource = model.CostUnpriced
		}
		children = append(children, sp)
	}
	root := model.Span{
		ProjectID: project, TraceID: trace, SpanID: rootID,
		Name: "session-" + trace.String()[:6], Kind: semconv.KindSession, Start: start,
		Resource:   json.RawMessage(`{"service.name":"driver","host.name":"d1","os.type":"linux"}`),
		Attributes: json.RawMessage(`{"host.arch":"amd64","agentops.span.kind":"session"}`),
		Tags:       []string{"early"},
	}
	ended := root
	ended.End = start + 10e9
	ended.Status = model.StatusCode(r.IntN(3))
	ended.Attributes = json.RawMessage(`{"host.arch":"arm64","os.version":"6.1"}`)
	switch r.IntN(3) {
	case 0:
		ended.Tags = []string{"late", "prod"}
	case 1:
		ended.Tags = nil // leaves the tags alone
	case 2:
		ended.Tags = []string{} // clears them
	}
	if r.IntN(2) == 0 {
		ended.EndState, ended.EndStateReason = semconv.EndStateFailure, "explicit reason"
	}

	r.Shuffle(len(children), func(i, j int) { children[i], children[j] = children[j], children[i] })
	k := 2 + r.IntN(4)
	chunks := make([][]model.Span, k)
	for _, sp := range children {
		i := r.IntN(k)
		chunks[i] = append(chunks[i], sp)
	}
	a := r.IntN(k)
	b := (a + 1 + r.IntN(k-1)) % k
	if r.IntN(4) > 0 { // sometimes the in-flight root never arrives
		chunks[a] = append(chunks[a], root)
	}
	chunks[b] = append(chunks[b], ended)
	r.Shuffle(k, func(i, j int) { chunks[i], chunks[j] = chunks[j], chunks[i] })
	for _, c := range chunks {
		r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	}
	return slices.DeleteFunc(chunks, func(c []model.Span) bool { return len(c) == 0 })
}

// testMergeReference writes several traces chunk by chunk, the chunks of
// different traces sharing calls, and compares every session with the
// fold of model.Summarize and Merge over its chunks.
func testMergeReference(t *testing.T, s store.Store) {
	for seed := range uint64(8) {
		r := newRand(seed)
		project := fmt.Sprintf("p%d", seed%3)
		type traceChunks struct {
			id     model.TraceID
			chunks [][]model.Span
			nows   []time.Time
			spans  []model.Span
		}
		traces := make([]*traceChunks, 1+r.IntN(5))
		for i := range traces {
			id := traceID(seed<<8 | uint64(i))
			traces[i] = &traceChunks{id: id, chunks: chunkedTrace(r, project, id, base+int64(i)*1e9)}
		}
		for call := 0; ; call++ {
			var batch []model.Span
			at := now.Add(time.Duration(call) * time.Second)
			if call%3 == 2 {
				at = now // the clock may go back: last_seen keeps the maximum
			}
			for _, tr := range traces {
				if call < len(tr.chunks) {
					batch = append(batch, tr.chunks[call]...)
					tr.nows = append(tr.nows, at)
					tr.spans = append(tr.spans, tr.chunks[call]...)
				}
			}
			if batch == nil {
				break
			}
			r.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			write(t, s, batch, at)
		}
		for _, tr := range traces {
			checkSession(t, session(t, s, project, tr.id), Reference(tr.chunks, tr.nows))
			checkSpans(t, spansOf(t, s, project, tr.id), tr.spans)
		}
	}
}

// testLargeBatch writes a group commit's worth of realistic spans in one call.
func testLargeBatch(t *testing.T, s store.Store) {
	spans := Payload(newRand(1), "p1", 50, 41, base)
	write(t, s, spans, now)
	byTrace := map[model.TraceID][]model.Span{}
	for _, sp := range spans {
		byTrace[sp.TraceID] = append(byTrace[sp.TraceID], sp)
	}
	for id, chunk := range byTrace {
		checkSession(t, session(t, s, "p1", id), Reference([][]model.Span{chunk}, []time.Time{now}))
		checkSpans(t, spansOf(t, s, "p1", id), chunk)
	}
	page, err := s.Sessions(context.Background(), "p1", store.SessionQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Sessions) != len(byTrace) {
		t.Errorf("Sessions lists %d, want %d", len(page.Sessions), len(byTrace))
	}
}

// testRetryDedup sends the same chunks again, as a client does that lost the
// answer to its request: nothing is counted twice.
func testRetryDedup(t *testing.T, s store.Store) {
	r := newRand(42)
	a := chunkedTrace(r, "p1", traceID(1), base)
	b := chunkedTrace(r, "p1", traceID(2), base)
	write(t, s, a[0], now)
	write(t, s, a[0], now.Add(time.Second)) // retry alone
	write(t, s, append(slices.Clone(a[0]), b[0]...), now.Add(time.Second))
	write(t, s, a[1], now.Add(2*time.Second))
	reversed := slices.Clone(a[1]) // the same spans in another order are the same chunk
	slices.Reverse(reversed)
	if err := s.WriteSpans(context.Background(), reversed, now.Add(3*time.Second)); err != nil {
		t.Fatal(err)
	}

	want := Reference(a[:2], []time.Time{now, now.Add(2 * time.Second)})
	got := session(t, s, "p1", traceID(1))
	// Whether a skipped retry refreshes LastSeen is not part of the contract.
	want.LastSeen = got.LastSeen
	checkSession(t, got, want)
	checkSpans(t, spansOf(t, s, "p1", traceID(1)), slices.Concat(a[0], a[1]))
	checkSession(t, session(t, s, "p1", traceID(2)), Reference(b[:1], []time.Time{now.Add(time.Second)}))
}

func span(project string, trace model.TraceID, id, parent uint64, start int64) model.Span {
	return model.Span{ProjectID: project, TraceID: trace, SpanID: spanID(id), ParentID: spanID(parent),
		Name: fmt.Sprintf("span-%d", id), Kind: semconv.KindTask, Start: start, End: start + 1000}
}

func rootSpan(project string, trace model.TraceID, start int64, name string) model.Span {
	sp := span(project, trace, 1, 0, start)
	sp.Name, sp.Kind = name, semconv.KindSession
	return sp
}

// testEndState: an explicit end state (on any span) wins over one derived
// from the root's status, and a later explicit one replaces it.
func testEndState(t *testing.T, s store.Store) {
	trace := traceID(7)
	var chunks [][]model.Span
	step := func(want string, spans ...model.Span) {
		t.Helper()
		chunks = append(chunks, spans)
		write(t, s, spans, now)
		got := session(t, s, "p1", trace)
		if got.EndState != want {
			t.Errorf("after chunk %d: end state %q, want %q", len(chunks), got.EndState, want)
		}
		nows := make([]time.Time, len(chunks))
		for i := range nows {
			nows[i] = now
		}
		checkSession(t, got, Reference(chunks, nows))
	}
	root := rootSpan("p1", trace, base, "s")
	root.End = 0
	step("", root) // in flight: nothing known yet

	failed := root
	failed.Status, failed.StatusMessage = model.StatusError, "crashed"
	failed.End = base + 1e9
	step(semconv.EndStateFailure, failed) // derived from the status

	child := span("p1", trace, 2, 1, base+5)
	child.EndState, child.EndStateReason = semconv.EndStateSuccess, "recovered"
	step(semconv.EndStateSuccess, child) // explicit, on a child span

	ok := failed
	ok.SpanID, ok.Status = spanID(3), model.StatusOK // another root, derived Success
	ok.Start++
	step(semconv.EndStateSuccess, ok) // derived never replaces explicit

	later := span("p1", trace, 4, 1, base+6)
	later.EndState, later.EndStateReason = semconv.EndStateIndeterminate, "gave up"
	step(semconv.EndStateIndeterminate, later) // a later explicit replaces
	if got := session(t, s, "p1", trace); got.EndStateReason != "gave up" || !got.EndStateExplicit {
		t.Errorf("reason %q explicit %v, want the later explicit one", got.EndStateReason, got.EndStateExplicit)
	}
}

// testTags: tags come from the root span; a root carrying tags replaces
// them, an empty list clears them, a chunk without them leaves them alone.
func testTags(t *testing.T, s store.Store) {
	ctx := context.Background()
	trace := traceID(8)
	tagged := func(tag string) []model.TraceID {
		t.Helper()
		page, err := s.Sessions(ctx, "p1", store.SessionQuery{Tag: tag})
		if err != nil {
			t.Fatal(err)
		}
		var ids []model.TraceID
		for _, sess := range page.Sessions {
			ids = append(ids, sess.ID)
		}
		return ids
	}
	root := rootSpan("p1", trace, base, "s")
	write(t, s, []model.Span{span("p1", trace, 2, 1, base+1)}, now)
	if got := session(t, s, "p1", trace).Tags; got != nil {
		t.Errorf("tags before the root = %#v, want nil", got)
	}
	root.Tags = []string{"a", "b"}
	write(t, s, []model.Span{root}, now)
	if got := session(t, s, "p1", trace).Tags; !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("tags = %q, want [a b]", got)
	}
	if got := tagged("a"); len(got) != 1 || got[0] != trace {
		t.Errorf("tag a lists %v", got)
	}
	write(t, s, []model.Span{span("p1", trace, 3, 1, base-5)}, now) // no root: tags stay; start moves earlier
	if got := tagged("b"); len(got) != 1 {
		t.Errorf("tag b after the start moved lists %v", got)
	}
	root.Tags, root.End = []string{"c", "c"}, base+100 // duplicates are kept, listed once
	write(t, s, []model.Span{root}, now)
	if got := session(t, s, "p1", trace).Tags; !slices.Equal(got, []string{"c", "c"}) {
		t.Errorf("tags = %q, want [c c]", got)
	}
	if got := tagged("a"); len(got) != 0 {
		t.Errorf("tag a still lists %v after the tags were replaced", got)
	}
	if got := tagged("c"); len(got) != 1 {
		t.Errorf("tag c lists %v", got)
	}
	root.Tags, root.Status = []string{}, model.StatusOK
	write(t, s, []model.Span{root}, now)
	if got := session(t, s, "p1", trace).Tags; got == nil || len(got) != 0 {
		t.Errorf("tags = %#v, want empty, not nil", got)
	}
	if got := tagged("c"); len(got) != 0 {
		t.Errorf("tag c still lists %v after the tags were cleared", got)
	}
}

// testProjectIsolation: the same trace id in two projects is two sessions,
// and neither project sees the other's.
func testProjectIsolation(t *testing.T, s store.Store) {
	ctx := context.Background()
	shared, onlyA := traceID(1), traceID(2)
	a := []model.Span{rootSpan("A", shared, base, "a-session"), rootSpan("A", onlyA, base, "a-only")}
	b := []model.Span{rootSpan("B", shared, base+1, "b-session"), span("B", shared, 2, 1, base+2)}
	write(t, s, slices.Concat(a, b), now)

	if got := session(t, s, "A", shared); got.Name != "a-session" || got.Counts.Spans != 1 {
		t.Errorf("A's session = %+v", got)
	}
	if got := session(t, s, "B", shared); got.Name != "b-session" || got.Counts.Spans != 2 {
		t.Errorf("B's session = %+v", got)
	}
	checkSpans(t, spansOf(t, s, "B", shared), b)
	if _, err := s.Session(ctx, "B", onlyA); !isNotFound(err) {
		t.Errorf("B reads A's session: error = %v, want ErrNotFound", err)
	}
	if _, err := s.Spans(ctx, "B", onlyA); !isNotFound(err) {
		t.Errorf("B reads A's spans: error = %v, want ErrNotFound", err)
	}
	for _, q := range []store.SessionQuery{{}, {Text: "a-only"}, {Text: onlyA.String()[:8]}} {
		page, err := s.Sessions(ctx, "B", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, sess := range page.Sessions {
			if sess.ID == onlyA || sess.ProjectID != "B" {
				t.Errorf("B's list %+v has %+v", q, sess)
			}
		}
	}
}
