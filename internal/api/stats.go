package api

import (
	"context"
	"fmt"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// DefaultSessionTimeout is how long a session without an end state may stay
// silent before it reads Indeterminate.
const DefaultSessionTimeout = 30 * time.Minute

// Stats returns the statistics of one session of a project, as shown at
// time now: a session without an end state that has been silent for longer
// than timeout (DefaultSessionTimeout when <= 0) reads Indeterminate. An
// unknown session, and a session of another project, is store.ErrNotFound.
func Stats(ctx context.Context, r store.SessionReader, projectID string, id model.TraceID, now time.Time, timeout time.Duration) (SessionStats, error) {
	s, err := r.Session(ctx, projectID, id)
	if err != nil {
		return SessionStats{}, fmt.Errorf("api: session %s: %w", id, err)
	}
	return statsOf(&s, now, orDefault(timeout)), nil
}

func orDefault(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		return DefaultSessionTimeout
	}
	return timeout
}

func statsOf(s *model.Session, now time.Time, timeout time.Duration) SessionStats {
	return SessionStats{
		SessionID:    s.ID.String(),
		SessionState: stateOf(s, now, timeout),
		Events:       eventsOf(s.Counts),
		Tokens:       tokensOf(s.Usage),
		Cost:         costOf(s),
	}
}

func stateOf(s *model.Session, now time.Time, timeout time.Duration) SessionState {
	st := SessionState{
		EndStateReason: s.EndStateReason,
		StartTime:      Timestamp(s.Start),
		DurationMs:     millis(s.Duration()),
	}
	if s.End > 0 {
		st.EndTime = Timestamp(s.End)
	}
	if state := s.State(now, timeout); state != "" {
		st.EndState = &state
	} else {
		st.Running = true
	}
	return st
}

func eventsOf(c model.Counts) EventCounts {
	return EventCounts{
		LLMCalls:  c.LLMCalls,
		ToolCalls: c.ToolCalls,
		Actions:   c.Actions,
		Agents:    c.Agents,
		Errors:    c.Errors,
		Total:     c.Spans,
	}
}

func tokensOf(u model.Usage) TokenCounts {
	return TokenCounts{
		Prompt:        u.Input,
		Completion:    u.Output,
		CacheRead:     u.CacheRead,
		CacheCreation: u.CacheWrite,
		Reasoning:     u.Reasoning,
		Total:         u.Total,
	}
}

func costOf(s *model.Session) CostSummary {
	return CostSummary{TotalUSD: s.Cost, UnpricedCalls: s.Unpriced, Complete: s.Unpriced == 0}
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// tagsOf never returns nil, so tags are [] rather than null in JSON.
func tagsOf(tags []string) []string {
	if tags == nil {
		return []string{}
	}
	return tags
}
