package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// testPrune checks store.Pruner: sessions last seen before the cutoff go,
// in batches of the limit, with their spans, tag entries, logs and span
// lookups, in every project; a session that started before the cutoff but
// was seen after it stays, whole, as does a newer one; the overview's
// per-day figures do not change.
func testPrune(t *testing.T, s store.Store) {
	p, ok := s.(store.Pruner)
	if !ok {
		t.Skip("the backend does not prune")
	}
	ctx := context.Background()
	cutoff := now.Add(10 * 24 * time.Hour)
	old1, old2, active, newer := traceID(1), traceID(2), traceID(3), traceID(4)
	tagged := func(sp model.Span, tags ...string) model.Span { sp.Tags = tags; return sp }

	write(t, s, []model.Span{tagged(rootSpan("p1", old1, base, "old"), "keep-me", "x"), span("p1", old1, 2, 1, base+1)}, now)
	write(t, s, []model.Span{rootSpan("p2", old2, base+1, "old-other-project")}, now)
	write(t, s, []model.Span{tagged(rootSpan("p1", active, base+2, "active"), "x")}, now)
	write(t, s, []model.Span{span("p1", active, 2, 1, base+3)}, cutoff.Add(time.Hour)) // seen after the cutoff
	newStart := cutoff.Add(3 * 24 * time.Hour).UnixNano()
	write(t, s, []model.Span{rootSpan("p1", newer, newStart, "newer")}, time.Unix(0, newStart))
	if err := s.AddLog(ctx, "p1", old1, store.Log{At: now, Text: "old log"}); err != nil {
		t.Fatal(err)
	}
	var before store.Overview
	ov, hasOverview := s.(store.Overviewer)
	overview := func() store.Overview {
		o, err := ov.Overview(ctx, "p1", store.OverviewQuery{Since: base - int64(24*time.Hour), Until: newStart + int64(24*time.Hour), StaleBefore: base})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	if hasOverview {
		before = overview()
	}

	for i, want := range []int{1, 1, 0} {
		n, err := p.PruneSessions(ctx, cutoff, 1)
		if err != nil || n != want {
			t.Fatalf("PruneSessions #%d = %d, %v; want %d", i+1, n, err, want)
		}
	}

	for _, gone := range []struct {
		project string
		id      model.TraceID
	}{{"p1", old1}, {"p2", old2}} {
		if _, err := s.Session(ctx, gone.project, gone.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Session(%s, %s) after pruning: %v", gone.project, gone.id, err)
		}
		if _, err := s.Spans(ctx, gone.project, gone.id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Spans(%s, %s) after pruning: %v", gone.project, gone.id, err)
		}
	}
	if logs, err := s.Logs(ctx, "p1", old1); err != nil || len(logs) != 0 {
		t.Errorf("logs of a pruned session: %v, %v", logs, err)
	}
	if _, err := s.SpanTrace(ctx, "p1", spanID(2)); err != nil {
		t.Errorf("SpanTrace of the active session's span: %v", err)
	}
	if tr, err := s.SpanTrace(ctx, "p2", spanID(1)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SpanTrace of a pruned span = %s, %v", tr, err)
	}
	for tag, want := range map[string][]model.TraceID{"keep-me": nil, "x": {active}} {
		page, err := s.Sessions(ctx, "p1", store.SessionQuery{Tag: tag})
		if err != nil {
			t.Fatal(err)
		}
		var got []model.TraceID
		for _, sess := range page.Sessions {
			got = append(got, sess.ID)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("tag %q lists %v, want %v", tag, got, want)
		}
	}
	if got := spansOf(t, s, "p1", active); len(got) != 2 {
		t.Errorf("the active session kept %d of its 2 spans", len(got))
	}
	if got := session(t, s, "p1", newer); got.Name != "newer" {
		t.Errorf("the newer session: %+v", got)
	}
	page, err := s.Sessions(ctx, "p1", store.SessionQuery{})
	if err != nil || len(page.Sessions) != 2 {
		t.Errorf("p1 lists %d sessions after pruning (%v), want 2", len(page.Sessions), err)
	}
	if hasOverview && !reflect.DeepEqual(overview(), before) {
		t.Errorf("the overview changed with pruning:\nbefore %+v\nafter  %+v", before, overview())
	}
}
