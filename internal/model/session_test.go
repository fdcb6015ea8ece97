package model

import (
	"testing"
	"time"

	"github.com/agentops-go/agentops/semconv"
)

func span(id byte, parent byte, kind string, start, end int64) Span {
	s := Span{ProjectID: "p", TraceID: TraceID{1}, SpanID: SpanID{id}, Kind: Kind(kind), Name: kind + "-span", Start: start, End: end}
	if parent != 0 {
		s.ParentID = SpanID{parent}
	}
	return s
}

func TestSummarizeCountsAndTokens(t *testing.T) {
	llm := span(2, 1, "llm", 10, 20)
	llm.Usage = Usage{Input: 100, Output: 10, Total: 110}
	llm.Cost, llm.CostSource = 0.5, CostTable
	unpriced := span(3, 1, "llm", 11, 21)
	unpriced.CostSource = CostUnpriced
	agent := span(4, 1, "agent", 5, 30)
	agent.Usage = Usage{Input: 100, Output: 10, Total: 110} // a parent repeating its children's totals
	failing := span(5, 4, "tool", 12, 13)
	failing.Status = StatusError
	d := Summarize([]Span{llm, unpriced, agent, failing, span(6, 4, "action", 14, 15)}, 99)

	want := Counts{Spans: 5, LLMCalls: 2, ToolCalls: 1, Actions: 1, Agents: 1, Errors: 1}
	if d.Counts != want {
		t.Errorf("counts = %+v, want %+v", d.Counts, want)
	}
	if d.Usage != llm.Usage {
		t.Errorf("usage = %+v, want only the LLM span's %+v", d.Usage, llm.Usage)
	}
	if d.Cost != 0.5 || d.Unpriced != 1 {
		t.Errorf("cost = %v unpriced = %d", d.Cost, d.Unpriced)
	}
	if d.Start != 5 || d.End != 30 || d.LastSeen != 99 {
		t.Errorf("start/end/last seen = %d/%d/%d", d.Start, d.End, d.LastSeen)
	}
	if d.NameRank != 1 || d.Name != "agent-span" || d.RootEnded {
		t.Errorf("without a root: name %q rank %d rootEnded %v; want the earliest span's name", d.Name, d.NameRank, d.RootEnded)
	}
}

func TestSummarizeRoot(t *testing.T) {
	root := span(1, 0, semconv.KindSession, 1, 50)
	root.Tags = []string{"a"}
	root.Attributes = []byte(`{"host.name":"h","gen_ai.x":1}`)
	root.Resource = []byte(`{"os.type":"linux","service.name":"s","host.name":"resource-loses"}`)
	root.Status = StatusError
	root.StatusMessage = "boom"
	d := Summarize([]Span{span(2, 1, "tool", 0, 0), root}, 0)
	if d.Name != "session-span" || d.NameRank != 3 || !d.RootEnded {
		t.Errorf("name %q rank %d rootEnded %v", d.Name, d.NameRank, d.RootEnded)
	}
	if d.EndState != semconv.EndStateFailure || d.EndStateExplicit || d.EndStateReason != "boom" {
		t.Errorf("derived end state = %q explicit=%v reason=%q", d.EndState, d.EndStateExplicit, d.EndStateReason)
	}
	if !d.HasTags || len(d.Tags) != 1 {
		t.Errorf("tags = %v %v", d.Tags, d.HasTags)
	}
	if string(d.Host) != `{"host.name":"h","os.type":"linux"}` {
		t.Errorf("host = %s", d.Host)
	}

	explicit := root
	explicit.EndState, explicit.EndStateReason = semconv.EndStateSuccess, "done"
	d = Summarize([]Span{explicit}, 0)
	if d.EndState != semconv.EndStateSuccess || !d.EndStateExplicit || d.EndStateReason != "done" {
		t.Errorf("explicit end state must win over the error status: %q %v %q", d.EndState, d.EndStateExplicit, d.EndStateReason)
	}
}

func TestMerge(t *testing.T) {
	var s Session
	child := Summarize([]Span{span(2, 1, "tool", 20, 30)}, 100)
	s.Merge(&child)
	if s.Name != "tool-span" || s.Start != 20 {
		t.Fatalf("after a child: %q start %d", s.Name, s.Start)
	}
	earlier := Summarize([]Span{span(3, 1, "llm", 10, 15)}, 90)
	s.Merge(&earlier)
	if s.Name != "llm-span" || s.Start != 10 || s.End != 30 || s.LastSeen != 100 {
		t.Fatalf("an earlier span of the same rank names the session: %q start %d end %d last %d", s.Name, s.Start, s.End, s.LastSeen)
	}
	later := Summarize([]Span{span(4, 1, "agent", 12, 13)}, 0)
	s.Merge(&later)
	if s.Name != "llm-span" {
		t.Fatalf("a later span of the same rank must not rename: %q", s.Name)
	}

	root := span(1, 0, semconv.KindSession, 5, 40)
	root.EndState = semconv.EndStateSuccess
	rd := Summarize([]Span{root}, 0)
	s.Merge(&rd)
	if s.Name != "session-span" || s.EndState != semconv.EndStateSuccess || !s.EndStateExplicit {
		t.Fatalf("root: %q %q %v", s.Name, s.EndState, s.EndStateExplicit)
	}
	// A derived state never replaces an explicit one; a later explicit one does.
	derived := Delta{EndState: semconv.EndStateFailure}
	s.Merge(&derived)
	if s.EndState != semconv.EndStateSuccess {
		t.Fatalf("derived replaced explicit: %q", s.EndState)
	}
	again := Delta{EndState: semconv.EndStateIndeterminate, EndStateExplicit: true, EndStateReason: "r"}
	s.Merge(&again)
	if s.EndState != semconv.EndStateIndeterminate || s.EndStateReason != "r" {
		t.Fatalf("later explicit: %q %q", s.EndState, s.EndStateReason)
	}
	if s.Counts.Spans != 4 || s.Counts.ToolCalls != 1 || s.Counts.LLMCalls != 1 || s.Counts.Agents != 1 {
		t.Fatalf("counts = %+v", s.Counts)
	}
}

func TestState(t *testing.T) {
	now := time.Unix(1000, 0)
	for _, c := range []struct {
		s    Session
		want string
	}{
		{Session{EndState: "Success"}, "Success"},
		{Session{LastSeen: now.Add(-time.Minute).UnixNano()}, ""},
		{Session{LastSeen: now.Add(-time.Hour).UnixNano()}, semconv.EndStateIndeterminate},
		{Session{RootEnded: true, LastSeen: now.UnixNano()}, semconv.EndStateIndeterminate},
	} {
		if got := c.s.State(now, 30*time.Minute); got != c.want {
			t.Errorf("State(%+v) = %q, want %q", c.s, got, c.want)
		}
	}
}

func TestParseIDs(t *testing.T) {
	if _, err := ParseTraceID("0af7651916cd43dd8448eb211c80319c"); err != nil {
		t.Error(err)
	}
	if id, err := ParseTraceID("0af76519-16cd-43dd-8448-eb211c80319c"); err != nil || id.String() != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("dashed UUID: %v %v", id, err)
	}
	for _, bad := range []string{"", "0af7", "zzf7651916cd43dd8448eb211c80319c", "0af7651916cd43dd8448eb211c80319c00"} {
		if _, err := ParseTraceID(bad); err == nil {
			t.Errorf("ParseTraceID(%q) accepted", bad)
		}
	}
	if _, err := ParseSpanID("00f067aa0ba902b7"); err != nil {
		t.Error(err)
	}
	if _, err := ParseSpanID("00f067aa0ba902"); err == nil {
		t.Error("short span id accepted")
	}
}

func TestIsError(t *testing.T) {
	for _, c := range []struct {
		span Span
		want bool
	}{
		{Span{Kind: "error"}, true},
		{Span{Kind: "tool", Status: StatusError}, true},
		{Span{Kind: "tool", Status: StatusOK}, false},
		{Span{Kind: "session", Status: StatusError, EndState: "Failure", ErrorMessage: "reason"}, false},
		{Span{Kind: "session", Status: StatusError, ErrorType: "panic"}, true},
	} {
		if got := c.span.IsError(); got != c.want {
			t.Errorf("IsError(%+v) = %v, want %v", c.span, got, c.want)
		}
	}
}
