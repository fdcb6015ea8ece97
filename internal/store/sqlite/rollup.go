package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// The per-day rollups (migration 2) are kept in step by the writer: each
// chunk written takes its session's old row out of its (day, state) and puts
// the merged row in, and adds its LLM calls and errors; the sums of a
// transaction are gathered in Go and written with one upsert per key at the
// end, so a commit of hundreds of sessions costs a few statements on pages
// that stay in the cache.

const nanosPerDay = int64(24 * time.Hour)

func dayOf(t int64) int64 {
	if t < 0 {
		return (t - nanosPerDay + 1) / nanosPerDay
	}
	return t / nanosPerDay
}

// durationBucket is the index of a session's duration in store.DurationBuckets.
func durationBucket(d time.Duration) int {
	for i, b := range store.DurationBuckets {
		if d < b {
			return i
		}
	}
	return len(store.DurationBuckets)
}

type dayKey struct {
	project, day int64
	state        string
}

type reasonKey struct {
	project, day  int64
	state, reason string
}

type modelKey struct {
	project, day int64
	model        string
}

type errorKey struct {
	project, day int64
	typ, message string
}

// modelUse and errorUse are what a prepared chunk adds to model_days and
// error_days.
type modelUse struct {
	day      int64
	model    string
	calls    int64
	usage    model.Usage
	cost     float64
	unpriced int64
}

type errorUse struct {
	day          int64
	typ, message string
	n            int64
}

// rollup gathers one transaction's changes to the rollup tables.
type rollup struct {
	days    map[dayKey]*store.DayState
	reasons map[reasonKey]int64
	models  map[modelKey]*modelUse
	errors  map[errorKey]int64
}

func (r *rollup) reset() {
	if r.days == nil {
		r.days = make(map[dayKey]*store.DayState)
		r.reasons = make(map[reasonKey]int64)
		r.models = make(map[modelKey]*modelUse)
		r.errors = make(map[errorKey]int64)
	}
	clear(r.days)
	clear(r.reasons)
	clear(r.models)
	clear(r.errors)
}

// session adds a session row's contribution to its day, times sign (+1 for
// the row written, -1 for the row it replaces).
func (r *rollup) session(project int64, s *model.Session, sign int64) {
	k := dayKey{project, dayOf(s.Start), s.EndState}
	d := r.days[k]
	if d == nil {
		d = &store.DayState{}
		r.days[k] = d
	}
	d.Sessions += sign
	addCounts(&d.Counts, s.Counts, sign)
	addUsage(&d.Usage, s.Usage, sign)
	d.Cost += float64(sign) * s.Cost
	d.Unpriced += sign * s.Unpriced
	d.Durations[durationBucket(s.Duration())] += sign
	if s.EndState != "" {
		r.reasons[reasonKey{project, k.day, s.EndState, s.EndStateReason}] += sign
	}
}

// chunk adds a written chunk's LLM calls and errors.
func (r *rollup) chunk(project int64, c *preparedChunk) {
	for i := range c.models {
		m := &c.models[i]
		k := modelKey{project, m.day, m.model}
		acc := r.models[k]
		if acc == nil {
			acc = &modelUse{}
			r.models[k] = acc
		}
		acc.calls += m.calls
		acc.usage.Add(m.usage)
		acc.cost += m.cost
		acc.unpriced += m.unpriced
	}
	for _, e := range c.errors {
		r.errors[errorKey{project, e.day, e.typ, e.message}] += e.n
	}
}

func addCounts(dst *model.Counts, c model.Counts, sign int64) {
	dst.Spans += sign * c.Spans
	dst.LLMCalls += sign * c.LLMCalls
	dst.ToolCalls += sign * c.ToolCalls
	dst.Actions += sign * c.Actions
	dst.Agents += sign * c.Agents
	dst.Errors += sign * c.Errors
}

func addUsage(dst *model.Usage, u model.Usage, sign int64) {
	dst.Input += sign * u.Input
	dst.Output += sign * u.Output
	dst.CacheRead += sign * u.CacheRead
	dst.CacheWrite += sign * u.CacheWrite
	dst.Reasoning += sign * u.Reasoning
	dst.Total += sign * u.Total
}

const (
	upsertDaySQL = `INSERT INTO session_days VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions, spans = spans + excluded.spans,
	llm_calls = llm_calls + excluded.llm_calls, tool_calls = tool_calls + excluded.tool_calls,
	actions = actions + excluded.actions, agents = agents + excluded.agents, errors = errors + excluded.errors,
	input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
	cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
	cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
	reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens, total_tokens = total_tokens + excluded.total_tokens,
	cost = cost + excluded.cost, unpriced = unpriced + excluded.unpriced,
	d0 = d0 + excluded.d0, d1 = d1 + excluded.d1, d2 = d2 + excluded.d2, d3 = d3 + excluded.d3,
	d4 = d4 + excluded.d4, d5 = d5 + excluded.d5, d6 = d6 + excluded.d6`
	upsertReasonSQL = `INSERT INTO reason_days VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions`
	upsertModelSQL = `INSERT INTO model_days VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO UPDATE SET calls = calls + excluded.calls,
	input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
	cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
	cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
	reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens, total_tokens = total_tokens + excluded.total_tokens,
	cost = cost + excluded.cost, unpriced = unpriced + excluded.unpriced`
	upsertErrorSQL = `INSERT INTO error_days VALUES (?, ?, ?, ?, ?)
ON CONFLICT DO UPDATE SET errors = errors + excluded.errors`
)

// flush writes the gathered changes in the transaction tx. Keys whose
// changes cancel out (a session row rewritten in place) cost nothing.
func (r *rollup) flush(ctx context.Context, tx *sql.Tx, stmts *rollupStmts) error {
	for k, d := range r.days {
		if d.Sessions == 0 && d.Counts == (model.Counts{}) && d.Usage.IsZero() && d.Cost == 0 && d.Unpriced == 0 && d.Durations == [store.NumDurationBuckets]int64{} {
			continue
		}
		c, u, b := &d.Counts, &d.Usage, &d.Durations
		if _, err := tx.StmtContext(ctx, stmts.day).ExecContext(ctx, k.project, k.day, k.state, d.Sessions,
			c.Spans, c.LLMCalls, c.ToolCalls, c.Actions, c.Agents, c.Errors,
			u.Input, u.Output, u.CacheRead, u.CacheWrite, u.Reasoning, u.Total, d.Cost, d.Unpriced,
			b[0], b[1], b[2], b[3], b[4], b[5], b[6]); err != nil {
			return fmt.Errorf("roll up sessions: %w", err)
		}
	}
	for k, n := range r.reasons {
		if n == 0 {
			continue
		}
		if _, err := tx.StmtContext(ctx, stmts.reason).ExecContext(ctx, k.project, k.day, k.state, k.reason, n); err != nil {
			return fmt.Errorf("roll up end-state reasons: %w", err)
		}
	}
	for k, m := range r.models {
		u := &m.usage
		if _, err := tx.StmtContext(ctx, stmts.model).ExecContext(ctx, k.project, k.day, k.model, m.calls,
			u.Input, u.Output, u.CacheRead, u.CacheWrite, u.Reasoning, u.Total, m.cost, m.unpriced); err != nil {
			return fmt.Errorf("roll up models: %w", err)
		}
	}
	for k, n := range r.errors {
		if _, err := tx.StmtContext(ctx, stmts.err).ExecContext(ctx, k.project, k.day, k.typ, k.message, n); err != nil {
			return fmt.Errorf("roll up errors: %w", err)
		}
	}
	return nil
}

type rollupStmts struct {
	day, reason, model, err *sql.Stmt
}

// chunkRollups computes what a chunk's spans add to model_days and
// error_days, in Prepare (the caller's goroutine).
func chunkRollups(spans []model.Span) (models []modelUse, errs []errorUse) {
	for i := range spans {
		sp := &spans[i]
		if sp.Kind == "llm" {
			day, name := dayOf(sp.Start), sp.Model()
			j := 0
			for j < len(models) && (models[j].day != day || models[j].model != name) {
				j++
			}
			if j == len(models) {
				models = append(models, modelUse{day: day, model: name})
			}
			m := &models[j]
			m.calls++
			m.usage.Add(sp.Usage)
			switch sp.CostSource {
			case model.CostSpan, model.CostTable:
				m.cost += sp.Cost
			case model.CostUnpriced:
				m.unpriced++
			}
		}
		if sp.IsError() {
			msg := sp.ErrorMessage
			if msg == "" {
				msg = sp.StatusMessage
			}
			e := errorUse{day: dayOf(sp.Start), typ: sp.ErrorType, message: cutUTF8(msg, store.MaxErrorMessage), n: 1}
			j := 0
			for j < len(errs) && (errs[j].day != e.day || errs[j].typ != e.typ || errs[j].message != e.message) {
				j++
			}
			if j == len(errs) {
				errs = append(errs, e)
			} else {
				errs[j].n++
			}
		}
	}
	return models, errs
}

// cutUTF8 cuts s to at most n bytes without splitting a character, and
// keeps only its first line.
func cutUTF8(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
