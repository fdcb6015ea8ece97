package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// The statements of the write path. A session is read, merged in Go
// (model.Session.Merge, the reference semantics) and written back: the read
// brings its leaf into the cache, and the write is then the one random page
// the new row costs.
const (
	projectNSQL      = `SELECT n FROM project_ids WHERE id = ?`
	addProjectSQL    = `INSERT INTO project_ids (id) VALUES (?) ON CONFLICT DO NOTHING`
	insertChunkSQL   = `INSERT INTO span_chunks (data) VALUES (?)`
	insertFilterSQL  = `INSERT INTO span_filters (project, chunk, filters) VALUES (?, ?, ?)`
	readSessionSQL   = `SELECT ` + sessionColumns + `, s.chunks, s.id FROM sessions s WHERE s.project = ? AND s.trace_id = ?`
	insertSessionSQL = `INSERT INTO sessions (
	name, name_rank, end_time, last_seen, root_ended, end_state, end_state_explicit, end_state_reason, tags, host,
	spans, llm_calls, tool_calls, actions, agents, errors,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, total_tokens,
	cost, unpriced, models, chunks, project, trace_id, start)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	updateSessionSet = `UPDATE sessions SET
	name = ?, name_rank = ?, end_time = ?, last_seen = ?, root_ended = ?,
	end_state = ?, end_state_explicit = ?, end_state_reason = ?, tags = ?, host = ?,
	spans = ?, llm_calls = ?, tool_calls = ?, actions = ?, agents = ?, errors = ?,
	input_tokens = ?, output_tokens = ?, cache_read_tokens = ?, cache_write_tokens = ?, reasoning_tokens = ?, total_tokens = ?,
	cost = ?, unpriced = ?, models = ?, chunks = ?`
	// updateSessionSQL leaves start alone: the common case. updateStartSQL
	// sets it too (no index holds start: the listing's order is the rowid).
	updateSessionSQL = updateSessionSet + ` WHERE id = ?27`
	updateStartSQL   = updateSessionSet + `, start = ?28 WHERE id = ?27`
	addTagSQL        = `INSERT OR IGNORE INTO session_tags (project, tag, session) VALUES (?, ?, ?)`
	deleteTagSQL     = `DELETE FROM session_tags WHERE project = ? AND tag = ? AND session = ?`
)

// writer is the single writer's scratch space, reused across calls.
type writer struct {
	args     []any
	projects map[string]int64 // project id → project_ids.n, as committed
	added    map[string]int64 // project ids given a number by the open transaction
	// filters gathers, per project number, the span filters of the chunks
	// the open transaction stored (spanfilter.go), written as one row per
	// project at its end: one statement per commit, not per chunk.
	filters map[int64]*filterRow
	roll    rollup // the open transaction's changes to the per-day rollups
}

type filterRow struct {
	lastChunk int64
	entries   []byte
}

// preparer is Prepare's scratch space; a pool of them serves concurrent
// callers.
type preparer struct {
	enc    encoder
	index  map[chunkKey]int // chunk key → position in chunks
	chunks []chunk
	order  []int32      // span indices, grouped by chunk
	sorted []model.Span // one chunk's spans in stored order
}

// prepared is a store.Prepared: a call's spans as chunks ready to store.
type prepared struct {
	chunks []preparedChunk
	spans  int
}

func (p *prepared) Len() int { return p.spans }

// preparedChunk is one (project, trace) of a prepared call.
type preparedChunk struct {
	key    chunkKey
	blob   []byte // the packed body, as stored
	hash   uint64 // xxhash64 of the unpacked body: what identifies a retry
	filter []byte // fingerprints of the span ids (spanfilter.go)
	delta  model.Delta
	// What the chunk adds to model_days and error_days (rollup.go).
	models []modelUse
	errors []errorUse
}

type chunkKey struct {
	project string
	trace   model.TraceID
}

type chunk struct {
	key   chunkKey
	spans []int32 // indices into the call's spans
}

// writeTx is the prepared statements of one WriteSpans transaction.
type writeTx struct {
	tx                                                *sql.Tx
	projectN, addProject, insertChunk, readSession    *sql.Stmt
	insertSession, updateSession, updateStart, addTag *sql.Stmt
	deleteTag, insertFilter                           *sql.Stmt
}

// WriteSpans implements store.SpanWriter: Prepare, then WritePrepared.
func (s *Store) WriteSpans(ctx context.Context, spans []model.Span, now time.Time) error {
	if len(spans) == 0 {
		return nil
	}
	p, err := s.Prepare(spans, now)
	if err != nil {
		return err
	}
	return s.WritePrepared(ctx, []store.Prepared{p})
}

// Prepare implements store.Preparer: it groups spans by (project, trace) and
// encodes, compresses, hashes and summarizes each group, in the caller's
// goroutine. It keeps no reference to spans' backing array, only to the
// strings and slices inside them (the caller must not modify those).
func (s *Store) Prepare(spans []model.Span, now time.Time) (store.Prepared, error) {
	p := s.preparers.Get().(*preparer)
	defer func() {
		p.reset()
		s.preparers.Put(p)
	}()
	p.group(spans)
	out := &prepared{spans: len(spans), chunks: make([]preparedChunk, len(p.chunks))}
	nowNanos := now.UnixNano()
	for i := range p.chunks {
		c := &p.chunks[i]
		cs := p.chunkSpans(spans, c)
		body := p.enc.encode(cs)
		models, errs := chunkRollups(cs)
		out.chunks[i] = preparedChunk{
			key:    c.key,
			hash:   xxhash.Sum64(body),
			blob:   bytes.Clone(p.enc.pack(body)),
			filter: spanFilter(cs),
			delta:  model.Summarize(cs, nowNanos),
			models: models,
			errors: errs,
		}
	}
	return out, nil
}

// WritePrepared implements store.Preparer: one transaction; per chunk, one
// chunk row appended and one session row read then written; per project,
// one row of span filters appended.
func (s *Store) WritePrepared(ctx context.Context, batches []store.Prepared) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	w := &s.w
	defer clear(w.args[:cap(w.args)])
	defer clear(w.added)
	defer w.resetFilters()
	w.roll.reset()

	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: write spans: begin: %w", err)
	}
	defer tx.Rollback() // no-op after Commit
	// Statements run without ctx: a cancellable context costs the driver a
	// goroutine per statement. ctx is checked between chunks instead.
	bg := context.WithoutCancel(ctx)
	wt := writeTx{tx: tx}
	for _, p := range []struct {
		dst **sql.Stmt
		src *sql.Stmt
	}{
		{&wt.projectN, s.stmts.projectN}, {&wt.addProject, s.stmts.addProject},
		{&wt.insertChunk, s.stmts.insertChunk}, {&wt.readSession, s.stmts.readSession},
		{&wt.insertSession, s.stmts.insertSession}, {&wt.updateSession, s.stmts.updateSession},
		{&wt.updateStart, s.stmts.updateStart}, {&wt.addTag, s.stmts.addTag}, {&wt.deleteTag, s.stmts.deleteTag},
		{&wt.insertFilter, s.stmts.insertFilter},
	} {
		*p.dst = tx.StmtContext(bg, p.src)
	}
	for _, b := range batches {
		pb, ok := b.(*prepared)
		if !ok {
			return fmt.Errorf("sqlite: write spans: %T was not prepared by this store", b)
		}
		for i := range pb.chunks {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("sqlite: write spans: %w", err)
			}
			if err := w.writeChunk(bg, &wt, &pb.chunks[i]); err != nil {
				return fmt.Errorf("sqlite: write spans: %w", err)
			}
		}
	}
	if err := w.writeFilters(bg, &wt); err != nil {
		return fmt.Errorf("sqlite: write spans: %w", err)
	}
	if err := w.roll.flush(bg, tx, &s.rollStmts); err != nil {
		return fmt.Errorf("sqlite: write spans: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: write spans: commit: %w", err)
	}
	maps.Copy(w.projects, w.added)
	return nil
}

// writeChunk stores one chunk and merges it into its session.
func (w *writer) writeChunk(ctx context.Context, wt *writeTx, c *preparedChunk) error {
	project, err := w.projectN(ctx, wt, c.key.project)
	if err != nil {
		return err
	}
	hash := c.hash

	var (
		old   model.Session
		list  []byte
		rowID int64
	)
	exists := true
	err = scanSession(wt.readSession.QueryRowContext(ctx, project, c.key.trace[:]), c.key.project, &old, &list, &rowID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		exists = false
	case err != nil:
		return fmt.Errorf("read session: %w", err)
	case len(list)%len(chunkref{}) != 0:
		return fmt.Errorf("session %s: %w: chunk list of %d bytes", c.key.trace, errCorrupt, len(list))
	}
	for i := 0; i+len(chunkref{}) <= len(list); i += len(chunkref{}) {
		if binary.BigEndian.Uint64(list[i:]) == hash {
			return nil // a retry of a chunk already stored
		}
	}

	res, err := wt.insertChunk.ExecContext(ctx, c.blob)
	if err != nil {
		return fmt.Errorf("insert chunk: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("insert chunk: %w", err)
	}
	w.addFilter(project, id, c.key.trace, c.filter)
	ref := makeChunkref(hash, id)
	list = append(list, ref[:]...)

	d := &c.delta
	sess := old
	if !exists {
		sess = model.Session{}
	}
	sess.Merge(d)
	w.args = sessionArgs(w.args[:0], &sess)
	w.args = append(w.args, list)
	switch {
	case !exists:
		var res sql.Result
		res, err = wt.insertSession.ExecContext(ctx, append(w.args, project, c.key.trace[:], sess.Start)...)
		if err == nil {
			rowID, err = res.LastInsertId()
		}
	case sess.Start != old.Start:
		_, err = wt.updateStart.ExecContext(ctx, append(w.args, rowID, sess.Start)...)
	default:
		_, err = wt.updateSession.ExecContext(ctx, append(w.args, rowID)...)
	}
	if err != nil {
		return fmt.Errorf("write session: %w", err)
	}
	if exists {
		w.roll.session(project, &old, -1)
	}
	w.roll.session(project, &sess, +1)
	w.roll.chunk(project, c)
	return w.indexTags(ctx, wt, project, rowID, &old, &sess, exists)
}

// indexTags brings session_tags from the old tags of the session of rowid
// id to its new ones: nothing to do in the common case, where they did not
// change. A change of start leaves the entries where they are.
func (w *writer) indexTags(ctx context.Context, wt *writeTx, project, id int64, old, sess *model.Session, exists bool) error {
	var oldTags []string
	if exists {
		oldTags = old.Tags
	}
	if exists && slices.Equal(oldTags, sess.Tags) {
		return nil
	}
	for _, tag := range oldTags {
		if slices.Contains(sess.Tags, tag) {
			continue
		}
		if _, err := wt.deleteTag.ExecContext(ctx, project, tag, id); err != nil {
			return fmt.Errorf("unindex tag: %w", err)
		}
	}
	for _, tag := range sess.Tags {
		if slices.Contains(oldTags, tag) {
			continue
		}
		if _, err := wt.addTag.ExecContext(ctx, project, tag, id); err != nil {
			return fmt.Errorf("index tag: %w", err)
		}
	}
	return nil
}

// projectN returns the number of a project id, numbering it at its first
// span. Numbers enter the cache only once their transaction commits.
func (w *writer) projectN(ctx context.Context, wt *writeTx, id string) (int64, error) {
	if n, ok := w.projects[id]; ok {
		return n, nil
	}
	if n, ok := w.added[id]; ok {
		return n, nil
	}
	if w.projects == nil {
		w.projects, w.added = make(map[string]int64), make(map[string]int64)
	}
	if _, err := wt.addProject.ExecContext(ctx, id); err != nil {
		return 0, fmt.Errorf("number project: %w", err)
	}
	var n int64
	if err := wt.projectN.QueryRowContext(ctx, id).Scan(&n); err != nil {
		return 0, fmt.Errorf("number project: %w", err)
	}
	w.added[id] = n
	return n, nil
}

// group splits spans into chunks by (project, trace), in order of first
// appearance.
func (w *preparer) group(spans []model.Span) {
	if w.index == nil {
		w.index = make(map[chunkKey]int)
	}
	w.order = slices.Grow(w.order[:0], len(spans))[:len(spans)]
	for i := range spans {
		k := chunkKey{spans[i].ProjectID, spans[i].TraceID}
		ci, ok := w.index[k]
		if !ok {
			ci = len(w.chunks)
			w.index[k] = ci
			if ci < cap(w.chunks) { // reuse the old chunk's index slice
				w.chunks = w.chunks[:ci+1]
				w.chunks[ci].key = k
			} else {
				w.chunks = append(w.chunks, chunk{key: k})
			}
		}
		w.chunks[ci].spans = append(w.chunks[ci].spans, int32(i))
	}
}

// chunkSpans returns the spans of c sorted by start time then span id (the
// order Spans returns, and a canonical one, so that a retry of the same spans
// hashes the same whatever their order in the request).
func (w *preparer) chunkSpans(spans []model.Span, c *chunk) []model.Span {
	idx := c.spans
	slices.SortFunc(idx, func(a, b int32) int {
		x, y := &spans[a], &spans[b]
		if c := cmp.Compare(x.Start, y.Start); c != 0 {
			return c
		}
		return slices.Compare(x.SpanID[:], y.SpanID[:])
	})
	w.sorted = w.sorted[:0]
	for _, i := range idx {
		w.sorted = append(w.sorted, spans[i])
	}
	return w.sorted
}

func (w *preparer) reset() {
	clear(w.index)
	for i := range w.chunks {
		w.chunks[i] = chunk{spans: w.chunks[i].spans[:0]}
	}
	// Keep the per-chunk index slices for reuse, but drop span references.
	w.chunks = w.chunks[:0]
	clear(w.sorted[:cap(w.sorted)])
	w.sorted = w.sorted[:0]
}

// sessionArgs appends the columns of s that insertSessionSQL and
// updateSessionSet list first, in their order.
func sessionArgs(args []any, s *model.Session) []any {
	var tags any // NULL: never set
	if s.Tags != nil {
		b, _ := json.Marshal(s.Tags) // []string always marshals
		tags = string(b)
	}
	var host any
	if s.Host != nil {
		host = []byte(s.Host)
	}
	models := ""
	if len(s.Models) > 0 {
		b, _ := json.Marshal(s.Models)
		models = string(b)
	}
	return append(args,
		s.Name, int64(s.NameRank), s.End, s.LastSeen, boolInt(s.RootEnded),
		s.EndState, boolInt(s.EndStateExplicit), s.EndStateReason, tags, host,
		s.Counts.Spans, s.Counts.LLMCalls, s.Counts.ToolCalls, s.Counts.Actions, s.Counts.Agents, s.Counts.Errors,
		s.Usage.Input, s.Usage.Output, s.Usage.CacheRead, s.Usage.CacheWrite, s.Usage.Reasoning, s.Usage.Total,
		s.Cost, s.Unpriced, models)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// A chunkref is one entry of a session's chunk list: the xxhash64 of the
// chunk's body then the chunk's id, both big endian.
type chunkref [16]byte

func makeChunkref(hash uint64, id int64) chunkref {
	var r chunkref
	binary.BigEndian.PutUint64(r[:8], hash)
	binary.BigEndian.PutUint64(r[8:], uint64(id))
	return r
}

func (r *chunkref) hash() uint64 { return binary.BigEndian.Uint64(r[:8]) }
func (r *chunkref) id() int64    { return int64(binary.BigEndian.Uint64(r[8:])) }

// parseChunkrefs splits a stored chunk list.
func parseChunkrefs(list []byte) ([]chunkref, error) {
	if len(list)%len(chunkref{}) != 0 {
		return nil, fmt.Errorf("%w: chunk list of %d bytes", errCorrupt, len(list))
	}
	refs := make([]chunkref, len(list)/len(chunkref{}))
	for i := range refs {
		copy(refs[i][:], list[i*len(chunkref{}):])
	}
	return refs, nil
}
