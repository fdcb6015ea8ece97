package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// testLogs checks store.Logs: uploads come back in order, byte for byte,
// per (project, trace), with or without spans of the trace.
func testLogs(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := traceID(1), traceID(2)
	if got, err := s.Logs(ctx, "p1", a); err != nil || len(got) != 0 {
		t.Fatalf("Logs of a trace without uploads = %v, %v; want none, nil", got, err)
	}
	write(t, s, []model.Span{rootSpan("p1", a, base, "with-spans")}, now)
	uploads := []store.Log{
		{At: now, Text: "first line\nsecond <b>line</b> é\n"},
		{At: now.Add(time.Second), Text: strings.Repeat("x", 100_000)},
	}
	for _, l := range uploads {
		if err := s.AddLog(ctx, "p1", a, l); err != nil {
			t.Fatalf("AddLog: %v", err)
		}
	}
	// A trace no span has reached yet, and the same trace in another project.
	if err := s.AddLog(ctx, "p1", b, store.Log{At: now, Text: "before any span"}); err != nil {
		t.Fatalf("AddLog: %v", err)
	}
	if err := s.AddLog(ctx, "p2", a, store.Log{At: now, Text: "other project"}); err != nil {
		t.Fatalf("AddLog: %v", err)
	}

	got, err := s.Logs(ctx, "p1", a)
	if err != nil {
		t.Fatalf("Logs: %v", err)
	}
	if len(got) != len(uploads) {
		t.Fatalf("Logs returned %d uploads, want %d", len(got), len(uploads))
	}
	for i := range uploads {
		if got[i].Text != uploads[i].Text || !got[i].At.Equal(uploads[i].At) {
			t.Errorf("upload %d = {%v, %d bytes}, want {%v, %d bytes}", i, got[i].At, len(got[i].Text), uploads[i].At, len(uploads[i].Text))
		}
	}
	for _, c := range []struct {
		project string
		id      model.TraceID
		want    string
	}{{"p1", b, "before any span"}, {"p2", a, "other project"}} {
		got, err := s.Logs(ctx, c.project, c.id)
		if err != nil || len(got) != 1 || got[0].Text != c.want {
			t.Errorf("Logs(%s, %s) = %v, %v; want one upload %q", c.project, c.id, got, err, c.want)
		}
	}
	if got, err := s.Logs(ctx, "p3", a); err != nil || len(got) != 0 {
		t.Errorf("Logs of another project = %v, %v; want none", got, err)
	}
}
