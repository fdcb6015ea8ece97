package sqlite

import (
	"context"
	"testing"
	"time"
)

// TestPruneDropsDeadSpanFilters: the span filter rows that only covered
// pruned chunks go with them; the rows of live chunks stay.
func TestPruneDropsDeadSpanFilters(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, "")
	day := 24 * time.Hour
	t0 := time.Unix(1_800_000_000, 0)
	for i := range 3 {
		at := t0.Add(time.Duration(i) * 20 * day)
		spans := payload(uint64(i+1), 1, 3)
		for j := range spans {
			spans[j].ProjectID = "p1"
			spans[j].Start, spans[j].End = at.UnixNano(), at.UnixNano()+1000
		}
		if err := s.WriteSpans(ctx, spans, at); err != nil {
			t.Fatal(err)
		}
	}
	count := func() (n int) {
		if err := s.rdb.QueryRowContext(ctx, `SELECT count(*) FROM span_filters`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(); n != 3 {
		t.Fatalf("%d filter rows before pruning, want 3 (one per commit)", n)
	}
	n, err := s.PruneSessions(ctx, t0.Add(30*day), 100)
	if err != nil || n != 2 {
		t.Fatalf("PruneSessions = %d, %v; want 2", n, err)
	}
	if n := count(); n != 1 {
		t.Errorf("%d filter rows after pruning 2 of 3 commits' sessions, want 1", n)
	}
}

// BenchmarkPruneBatch: one PruneSessions call of 200 sessions of 10 spans
// each (in 2 chunks), the span writer's wait while it runs.
//
//	go test -run '^$' -bench PruneBatch -benchtime 20x ./internal/store/sqlite/
func BenchmarkPruneBatch(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	s, err := Open(dir+"/agentops.db", Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	t0 := time.Unix(1_800_000_000, 0)
	const perBatch = 200
	for i := range b.N * perBatch / 100 {
		spans := payload(uint64(i+1), 100, 5)
		for j := range spans {
			spans[j].ProjectID = "p1"
			spans[j].Start, spans[j].End = t0.UnixNano(), t0.UnixNano()+1000
		}
		for half := range 2 { // two chunks per session
			if err := s.WriteSpans(ctx, spans, t0.Add(time.Duration(half)*time.Second)); err != nil {
				b.Fatal(err)
			}
			for j := range spans {
				spans[j].SpanID[7] ^= 0xff // new span ids, same traces
			}
		}
	}
	b.ResetTimer()
	for range b.N { // not b.Loop: the setup above is sized by b.N
		n, err := s.PruneSessions(ctx, t0.Add(time.Hour), perBatch)
		if err != nil || n != perBatch {
			b.Fatalf("pruned %d, %v", n, err)
		}
	}
}
