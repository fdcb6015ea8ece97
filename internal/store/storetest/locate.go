package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// testSpanTrace: every stored span is found by its id alone, in its own
// project only, however many chunks were stored after it.
func testSpanTrace(t *testing.T, s store.Store) {
	ctx := context.Background()
	old := Payload(newRand(7), "A", 3, 5, base)
	write(t, s, old, now)
	// Many newer chunks: one span each in 5,000 traces, in one call then in
	// 100 calls of their own, then a second chunk of an old trace.
	var newer []model.Span
	for i := range 5100 {
		newer = append(newer, span("A", traceID(uint64(1000+i)), uint64(1_000_000+i), 0, base+int64(i)))
	}
	write(t, s, newer[:5000], now)
	for i := 5000; i < len(newer); i++ {
		write(t, s, newer[i:i+1], now)
	}
	later := span("A", old[0].TraceID, 77, 0, base+5)
	write(t, s, []model.Span{later}, now)
	write(t, s, []model.Span{later}, now) // a retry: skipped, still found once

	// Project B holds one of A's span ids in a trace of its own.
	shared := old[3]
	bSpan := span("B", traceID(5), 0, 0, base)
	bSpan.SpanID = shared.SpanID
	write(t, s, []model.Span{bSpan}, now)

	for _, sp := range slices.Concat(old, newer[:3], newer[len(newer)-3:], []model.Span{later}) {
		got, err := s.SpanTrace(ctx, "A", sp.SpanID)
		if err != nil || got != sp.TraceID {
			t.Errorf("SpanTrace(A, %s) = %s, %v; want %s", sp.SpanID, got, err, sp.TraceID)
		}
	}
	if got, err := s.SpanTrace(ctx, "B", shared.SpanID); err != nil || got != bSpan.TraceID {
		t.Errorf("SpanTrace(B, shared id) = %s, %v; want B's trace %s", got, err, bSpan.TraceID)
	}
	if _, err := s.SpanTrace(ctx, "B", old[0].SpanID); !isNotFound(err) {
		t.Errorf("SpanTrace(B, a span of A) error = %v, want ErrNotFound", err)
	}
	if _, err := s.SpanTrace(ctx, "A", spanID(0xdead_beef_0000)); !isNotFound(err) {
		t.Errorf("SpanTrace(A, unknown) error = %v, want ErrNotFound", err)
	}
	if _, err := s.SpanTrace(ctx, "nobody", old[0].SpanID); !isNotFound(err) {
		t.Errorf("SpanTrace(unknown project) error = %v, want ErrNotFound", err)
	}
}
