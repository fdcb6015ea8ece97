package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// Overview implements store.Overviewer from the per-day rollups: a few
// rows per day, whatever the number of sessions. The sessions stored
// without an end state (the only ones whose state the clock changes) are
// read one by one through the partial index sessions_open, and those silent
// since before q.StaleBefore move from "" to Indeterminate.
func (s *Store) Overview(ctx context.Context, projectID string, q store.OverviewQuery) (store.Overview, error) {
	var ov store.Overview
	first, last := dayOf(q.Since), dayOf(q.Until-1) // the days overlapping [Since, Until)
	top := q.TopErrors
	if top <= 0 {
		top = 10
	}
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}
	defer conn.Close()
	var project int64
	err = conn.QueryRowContext(ctx, `SELECT n FROM project_ids WHERE id = ?`, projectID).Scan(&project)
	if err == sql.ErrNoRows {
		return ov, nil // a project that never sent a span
	}
	if err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}

	days := map[dayKey]*store.DayState{}
	rows, err := conn.QueryContext(ctx, `SELECT day, state, sessions, spans, llm_calls, tool_calls, actions, agents, errors,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, total_tokens, cost, unpriced,
	d0, d1, d2, d3, d4, d5, d6
FROM session_days WHERE project = ? AND day BETWEEN ? AND ?`, project, first, last)
	if err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}
	for rows.Next() {
		var d store.DayState
		var day int64
		c, u, b := &d.Counts, &d.Usage, &d.Durations
		if err := rows.Scan(&day, &d.State, &d.Sessions, &c.Spans, &c.LLMCalls, &c.ToolCalls, &c.Actions, &c.Agents, &c.Errors,
			&u.Input, &u.Output, &u.CacheRead, &u.CacheWrite, &u.Reasoning, &u.Total, &d.Cost, &d.Unpriced,
			&b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &b[6]); err != nil {
			rows.Close()
			return ov, fmt.Errorf("sqlite: overview: %w", err)
		}
		d.Day = day * nanosPerDay
		days[dayKey{day: day, state: d.State}] = &d
	}
	if err := closeRows(rows); err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}

	// Stale sessions without an end state read Indeterminate (with no reason).
	stale := int64(0)
	rows, err = conn.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions s INDEXED BY sessions_open
WHERE s.project = ? AND s.end_state = '' AND s.last_seen < ?`, project, q.StaleBefore)
	if err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}
	for rows.Next() {
		var sess model.Session
		if err := scanSession(rows, projectID, &sess); err != nil {
			rows.Close()
			return ov, fmt.Errorf("sqlite: overview: %w", err)
		}
		day := dayOf(sess.Start)
		if day < first || day > last {
			continue
		}
		stale++
		var r rollup
		r.reset()
		r.session(0, &sess, -1)
		sess.EndState = semconv.EndStateIndeterminate
		r.session(0, &sess, +1)
		for k, delta := range r.days {
			d := days[dayKey{day: k.day, state: k.state}]
			if d == nil {
				d = &store.DayState{Day: k.day * nanosPerDay, State: k.state}
				days[dayKey{day: k.day, state: k.state}] = d
			}
			d.Sessions += delta.Sessions
			addCounts(&d.Counts, delta.Counts, 1)
			addUsage(&d.Usage, delta.Usage, 1)
			d.Cost += delta.Cost
			d.Unpriced += delta.Unpriced
			for i := range d.Durations {
				d.Durations[i] += delta.Durations[i]
			}
		}
	}
	if err := closeRows(rows); err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}
	for _, d := range days {
		if d.Sessions != 0 {
			ov.Days = append(ov.Days, *d)
		}
	}
	slices.SortFunc(ov.Days, func(a, b store.DayState) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.State, b.State))
	})

	rows, err = conn.QueryContext(ctx, `SELECT day, model, calls, input_tokens, output_tokens, cache_read_tokens,
	cache_write_tokens, reasoning_tokens, total_tokens, cost, unpriced
FROM model_days WHERE project = ? AND day BETWEEN ? AND ? ORDER BY day, model`, project, first, last)
	if err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}
	for rows.Next() {
		var m store.ModelDay
		u := &m.Usage
		if err := rows.Scan(&m.Day, &m.Model, &m.Calls, &u.Input, &u.Output, &u.CacheRead, &u.CacheWrite, &u.Reasoning, &u.Total, &m.Cost, &m.Unpriced); err != nil {
			rows.Close()
			return ov, fmt.Errorf("sqlite: overview: %w", err)
		}
		m.Day *= nanosPerDay
		ov.Models = append(ov.Models, m)
	}
	if err := closeRows(rows); err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}

	rows, err = conn.QueryContext(ctx, `SELECT type, message, sum(errors) n FROM error_days
WHERE project = ? AND day BETWEEN ? AND ? GROUP BY type, message ORDER BY n DESC, type, message LIMIT ?`, project, first, last, top)
	if err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}
	for rows.Next() {
		var e store.ErrorGroup
		if err := rows.Scan(&e.Type, &e.Message, &e.Count); err != nil {
			rows.Close()
			return ov, fmt.Errorf("sqlite: overview: %w", err)
		}
		ov.Errors = append(ov.Errors, e)
	}
	if err := closeRows(rows); err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}

	rows, err = conn.QueryContext(ctx, `SELECT state, reason, sum(sessions) n FROM reason_days
WHERE project = ? AND day BETWEEN ? AND ? GROUP BY state, reason HAVING n > 0 ORDER BY n DESC, state, reason`, project, first, last)
	if err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}
	for rows.Next() {
		var r store.ReasonGroup
		if err := rows.Scan(&r.State, &r.Reason, &r.Sessions); err != nil {
			rows.Close()
			return ov, fmt.Errorf("sqlite: overview: %w", err)
		}
		if r.State == semconv.EndStateIndeterminate && r.Reason == "" {
			r.Sessions += stale
			stale = 0
		}
		ov.Reasons = append(ov.Reasons, r)
	}
	if err := closeRows(rows); err != nil {
		return ov, fmt.Errorf("sqlite: overview: %w", err)
	}
	if stale > 0 {
		ov.Reasons = append(ov.Reasons, store.ReasonGroup{State: semconv.EndStateIndeterminate, Sessions: stale})
	}
	slices.SortStableFunc(ov.Reasons, func(a, b store.ReasonGroup) int { return cmp.Compare(b.Sessions, a.Sessions) })
	return ov, nil
}

func closeRows(rows *sql.Rows) error {
	err := rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	return err
}
