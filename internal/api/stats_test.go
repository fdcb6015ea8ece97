package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/semconv"
)

// twoSpans is a session root and one LLM child, the root ended at rootEnd
// (0: not ended), the child ending at 3s.
func twoSpans(project string, id model.TraceID, rootEnd time.Duration, root func(*model.Span)) []model.Span {
	r := model.Span{
		ProjectID: project, TraceID: id, SpanID: spanID(1), Kind: semconv.KindSession, Name: "run",
		Start: at(0), Status: model.StatusOK,
	}
	if rootEnd > 0 {
		r.End = at(rootEnd)
	}
	if root != nil {
		root(&r)
	}
	child := model.Span{
		ProjectID: project, TraceID: id, SpanID: spanID(2), ParentID: spanID(1), Kind: semconv.KindLLM, Name: "chat",
		Start: at(time.Second), End: at(3 * time.Second), RequestModel: "gpt-4o-mini",
		Usage: model.Usage{Input: 10, Output: 4, Total: 14}, Cost: 0.25, CostSource: model.CostSpan,
	}
	return []model.Span{r, child}
}

func TestStats(t *testing.T) {
	s := newStore(t)
	h := newHandler(s)
	childStats := func(id model.TraceID, st SessionState) SessionStats {
		return SessionStats{
			SessionID:    id.String(),
			SessionState: st,
			Events:       EventCounts{LLMCalls: 1, Total: 2},
			Tokens:       TokenCounts{Prompt: 10, Completion: 4, Total: 14},
			Cost:         CostSummary{TotalUSD: 0.25, Complete: true},
		}
	}
	tests := []struct {
		name       string
		spans      []model.Span
		ingestedAt time.Time
		want       SessionStats
	}{
		{
			name:       "full session: counts, tokens, partial cost, explicit end state",
			spans:      fullSession(t, "p1"),
			ingestedAt: now.Add(-5 * time.Minute),
			want: SessionStats{
				SessionID: fullID.String(),
				SessionState: SessionState{
					EndState: ptr("Success"), EndStateReason: "done",
					StartTime: Timestamp(at(0)), EndTime: Timestamp(at(10 * time.Second)), DurationMs: 10000,
				},
				Events: EventCounts{LLMCalls: 2, ToolCalls: 2, Actions: 1, Agents: 1, Errors: 2, Total: 8},
				Tokens: TokenCounts{Prompt: 130, Completion: 55, CacheRead: 20, Reasoning: 10, Total: 185},
				Cost:   CostSummary{TotalUSD: 0.0015, UnpricedCalls: 1, Complete: false},
			},
		},
		{
			name: "end state derived from an error status",
			spans: twoSpans("p1", traceID(0xb1), 2*time.Second, func(r *model.Span) {
				r.Status, r.StatusMessage = model.StatusError, "boom"
			}),
			ingestedAt: now.Add(-time.Minute),
			want: func() SessionStats {
				st := childStats(traceID(0xb1), SessionState{
					EndState: ptr("Failure"), EndStateReason: "boom",
					StartTime: Timestamp(at(0)), EndTime: Timestamp(at(3 * time.Second)), DurationMs: 3000,
				})
				// A session root's error status is its Failure end state, not
				// an error event: without a recorded exception it is not counted.
				st.Events.Errors = 0
				return st
			}(),
		},
		{
			name: "explicit end state on a child wins over the root's status",
			spans: func() []model.Span {
				sp := twoSpans("p1", traceID(0xb2), 4*time.Second, nil)
				sp[1].EndState, sp[1].EndStateReason = semconv.EndStateFailure, "SIGINT"
				return sp
			}(),
			ingestedAt: now.Add(-time.Minute),
			want: childStats(traceID(0xb2), SessionState{
				EndState: ptr("Failure"), EndStateReason: "SIGINT",
				StartTime: Timestamp(at(0)), EndTime: Timestamp(at(4 * time.Second)), DurationMs: 4000,
			}),
		},
		{
			name:       "root ended without status or end state: Indeterminate",
			spans:      twoSpans("p1", traceID(0xb3), 5*time.Second, func(r *model.Span) { r.Status = model.StatusUnset }),
			ingestedAt: now.Add(-time.Minute),
			want: childStats(traceID(0xb3), SessionState{
				EndState:  ptr("Indeterminate"),
				StartTime: Timestamp(at(0)), EndTime: Timestamp(at(5 * time.Second)), DurationMs: 5000,
			}),
		},
		{
			name:       "running: root not ended, seen within the timeout",
			spans:      twoSpans("p1", traceID(0xb4), 0, nil),
			ingestedAt: now.Add(-testTimeout + time.Minute),
			want: childStats(traceID(0xb4), SessionState{
				Running:   true,
				StartTime: Timestamp(at(0)), EndTime: Timestamp(at(3 * time.Second)), DurationMs: 3000,
			}),
		},
		{
			name:       "stale: root not ended, silent past the timeout",
			spans:      twoSpans("p1", traceID(0xb5), 0, nil),
			ingestedAt: now.Add(-testTimeout - time.Minute),
			want: childStats(traceID(0xb5), SessionState{
				EndState:  ptr("Indeterminate"),
				StartTime: Timestamp(at(0)), EndTime: Timestamp(at(3 * time.Second)), DurationMs: 3000,
			}),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			write(t, s, tc.ingestedAt, tc.spans...)
			rec := serve(t, h, http.MethodGet, "/v2/sessions/"+tc.want.SessionID+"/stats", "p1")
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, body %s", rec.Code, rec.Body)
			}
			if got := decode[SessionStats](t, rec); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("stats:\n got %+v\nwant %+v", got, tc.want)
			}

			// The CLI prints what the API answers.
			id, _ := model.ParseTraceID(tc.want.SessionID)
			st, err := Stats(context.Background(), s, "p1", id, now, testTimeout)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(st)
			if !bytes.Equal(append(b, '\n'), rec.Body.Bytes()) {
				t.Errorf("Stats() JSON differs from the API answer:\n%s\n%s", b, rec.Body)
			}
		})
	}
}

// TestStatsJSON pins the field names and formats of the stats document.
func TestStatsJSON(t *testing.T) {
	s := newStore(t)
	write(t, s, now.Add(-time.Minute), twoSpans("p1", traceID(0xc1), 0, nil)...)
	rec := serve(t, newHandler(s), http.MethodGet, "/v2/sessions/"+traceID(0xc1).String()+"/stats", "p1")
	var got map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"session_id":       traceID(0xc1).String(),
		"end_state":        nil,
		"end_state_reason": "",
		"running":          true,
		"start_time":       "2025-01-02T03:04:05.000000000Z",
		"end_time":         "2025-01-02T03:04:08.000000000Z",
		"duration_ms":      3000.0,
		"events":           map[string]any{"llm_calls": 1.0, "tool_calls": 0.0, "actions": 0.0, "agents": 0.0, "errors": 0.0, "total": 2.0},
		"tokens":           map[string]any{"prompt": 10.0, "completion": 4.0, "cache_read": 0.0, "cache_creation": 0.0, "reasoning": 0.0, "total": 14.0},
		"cost":             map[string]any{"total_usd": 0.25, "unpriced_calls": 0.0, "complete": true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stats JSON:\n got %v\nwant %v", got, want)
	}
}

func TestTimestampJSON(t *testing.T) {
	tests := []struct {
		ts   Timestamp
		json string
	}{
		{0, `null`},
		{Timestamp(at(0)), `"2025-01-02T03:04:05.000000000Z"`},
		{Timestamp(at(1500 * time.Microsecond)), `"2025-01-02T03:04:05.001500000Z"`},
		{Timestamp(at(0) + 7), `"2025-01-02T03:04:05.000000007Z"`},
	}
	for _, tc := range tests {
		b, err := json.Marshal(tc.ts)
		if err != nil || string(b) != tc.json {
			t.Errorf("Marshal(%d) = %s, %v; want %s", tc.ts, b, err, tc.json)
		}
		var back Timestamp
		if err := json.Unmarshal(b, &back); err != nil || back != tc.ts {
			t.Errorf("Unmarshal(%s) = %d, %v; want %d", b, back, err, tc.ts)
		}
	}
}
