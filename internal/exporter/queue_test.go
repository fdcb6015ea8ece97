package exporter

import (
	"fmt"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestRing(t *testing.T) {
	spans := make([]sdktrace.ReadOnlySpan, 7)
	for i := range spans {
		spans[i] = tracetest.SpanStub{Name: fmt.Sprint(i)}.Snapshot()
	}
	names := func(ss []sdktrace.ReadOnlySpan) string {
		var s string
		for _, x := range ss {
			s += x.Name()
		}
		return s
	}

	r := newRing(4)
	for _, s := range spans[:4] {
		r.push(s)
	}
	if !r.full() {
		t.Fatal("4 spans in a ring of 4: want full")
	}
	if got := names(r.take(nil, 3)); got != "012" {
		t.Fatalf("take 3 = %s, want 012", got)
	}
	for _, s := range spans[4:] { // wraps around
		r.push(s)
	}
	if got := names(r.take(nil, 10)); got != "3456" || r.len() != 0 {
		t.Fatalf("take all = %s (len now %d), want 3456 and empty", got, r.len())
	}
	for i, s := range r.buf {
		if s != nil {
			t.Errorf("slot %d still holds a span after take", i)
		}
	}
}
