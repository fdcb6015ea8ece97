package sqlite

import (
	"cmp"
	"context"
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/cespare/xxhash/v2"
	msqlite "modernc.org/sqlite"

	"github.com/agentops-go/agentops/internal/model"
)

const (
	insertChunkSQL = `INSERT INTO span_chunks (data) VALUES (?)`
	// deleteChunkSQL takes back a chunk that the session upsert found to be
	// a retry: rare, and cheaper than looking the session up before every
	// insert.
	deleteChunkSQL = `DELETE FROM span_chunks WHERE id = ?`
)

// upsertSessionSQL inserts a new session as model.Session{}.Merge(delta), or
// merges the delta (the excluded row) into the stored one with exactly the
// rules of model.Session.Merge, and appends the chunk's reference to the
// session's list (excluded.chunks is that one reference). All SET
// expressions read the old row. A chunk whose hash the list already holds
// is a retry: the WHERE leaves the row alone and the upsert changes nothing.
const upsertSessionSQL = `INSERT INTO sessions (
	project_id, trace_id, name, name_rank, start, end_time, last_seen,
	root_ended, end_state, end_state_explicit, end_state_reason, tags, host,
	spans, llm_calls, tool_calls, actions, agents, errors,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, total_tokens,
	cost, unpriced, chunks)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (project_id, trace_id) DO UPDATE SET
	chunks = CAST(sessions.chunks || excluded.chunks AS BLOB), -- || makes text of blobs, byte for byte
	start = ` + mergedStart + `,
	end_time = max(end_time, excluded.end_time),
	last_seen = max(last_seen, excluded.last_seen),
	name = CASE WHEN ` + takeName + ` THEN excluded.name ELSE name END,
	name_rank = CASE WHEN ` + takeName + ` THEN excluded.name_rank ELSE name_rank END,
	root_ended = root_ended OR excluded.root_ended,
	end_state = CASE WHEN ` + takeEndState + ` THEN excluded.end_state ELSE end_state END,
	end_state_explicit = CASE WHEN ` + takeEndState + ` THEN excluded.end_state_explicit ELSE end_state_explicit END,
	end_state_reason = CASE WHEN ` + takeEndState + ` THEN excluded.end_state_reason ELSE end_state_reason END,
	tags = coalesce(excluded.tags, tags),
	tags_start = CASE WHEN excluded.tags IS NOT NULL THEN NULL ELSE tags_start END,
	host = coalesce(excluded.host, host),
	spans = spans + excluded.spans,
	llm_calls = llm_calls + excluded.llm_calls,
	tool_calls = tool_calls + excluded.tool_calls,
	actions = actions + excluded.actions,
	agents = agents + excluded.agents,
	errors = errors + excluded.errors,
	input_tokens = input_tokens + excluded.input_tokens,
	output_tokens = output_tokens + excluded.output_tokens,
	cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens,
	cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens,
	reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
	total_tokens = total_tokens + excluded.total_tokens,
	cost = cost + excluded.cost,
	unpriced = unpriced + excluded.unpriced
WHERE NOT ` + hasChunkFunc + `(sessions.chunks, excluded.chunks)`

const (
	mergedStart = `(CASE WHEN excluded.start != 0 AND (start = 0 OR excluded.start < start) THEN excluded.start ELSE start END)`
	// Merge compares the delta's start with the start merged so far (the old row's).
	takeName     = `excluded.name != '' AND (excluded.name_rank > name_rank OR (excluded.name_rank = name_rank AND excluded.name_rank > 0 AND excluded.start != 0 AND excluded.start < start) OR name = '')`
	takeEndState = `excluded.end_state != '' AND (excluded.end_state_explicit OR NOT end_state_explicit)`
)

// indexTagsSQL brings the tags index (session_tags) of the sessions whose
// tags changed or whose start moved up to date: set-based, three statements
// per WriteSpans whatever the number of sessions, each walking the partial
// index sessions_tags_pending.
var indexTagsSQL = []string{
	`DELETE FROM session_tags WHERE (project_id, trace_id) IN (
	SELECT project_id, trace_id FROM sessions WHERE tags IS NOT NULL AND tags_start IS NOT start)`,
	`INSERT OR IGNORE INTO session_tags (project_id, trace_id, tag, start)
	SELECT s.project_id, s.trace_id, j.value, s.start FROM sessions s, json_each(s.tags) j
	WHERE s.tags IS NOT NULL AND s.tags_start IS NOT s.start`,
	`UPDATE sessions SET tags_start = start WHERE tags IS NOT NULL AND tags_start IS NOT start`,
}

// writer is WriteSpans' scratch space, reused across calls.
type writer struct {
	enc    encoder
	ref    chunkref
	index  map[chunkKey]int // chunk key → position in chunks
	chunks []chunk
	order  []int32      // span indices, grouped by chunk
	sorted []model.Span // one chunk's spans in stored order
}

type chunkKey struct {
	project string
	trace   model.TraceID
}

type chunk struct {
	key   chunkKey
	spans []int32 // indices into the call's spans
}

// WriteSpans implements store.SpanWriter: one transaction, one chunk row and
// at most one session upsert per (project, trace) of the call.
func (s *Store) WriteSpans(ctx context.Context, spans []model.Span, now time.Time) error {
	if len(spans) == 0 {
		return nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	w := &s.w
	defer w.reset()
	w.group(spans)

	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: write spans: begin: %w", err)
	}
	defer tx.Rollback() // no-op after Commit
	// Statements run without ctx: a cancellable context costs the driver a
	// goroutine per statement. ctx is checked between chunks instead.
	bg := context.WithoutCancel(ctx)
	insChunk := tx.StmtContext(bg, s.insertChunk)
	upsert := tx.StmtContext(bg, s.upsertSession)
	delChunk := tx.StmtContext(bg, s.deleteChunk)
	nowNanos := now.UnixNano()
	for i := range w.chunks {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("sqlite: write spans: %w", err)
		}
		c := &w.chunks[i]
		chunkSpans := w.chunkSpans(spans, c)
		body := w.enc.encode(chunkSpans)
		hash := xxhash.Sum64(body)
		res, err := insChunk.ExecContext(bg, w.enc.pack(body))
		if err != nil {
			return fmt.Errorf("sqlite: write spans: insert chunk: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("sqlite: write spans: insert chunk: %w", err)
		}
		d := model.Summarize(chunkSpans, nowNanos)
		var sess model.Session
		sess.Merge(&d)
		w.ref = makeChunkref(hash, id)
		res, err = upsert.ExecContext(bg, append(sessionArgs(&sess), w.ref[:])...)
		if err != nil {
			return fmt.Errorf("sqlite: write spans: upsert session: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite: write spans: upsert session: %w", err)
		} else if n == 0 { // a retry of a chunk already stored
			if _, err := delChunk.ExecContext(bg, id); err != nil {
				return fmt.Errorf("sqlite: write spans: delete retried chunk: %w", err)
			}
		}
	}
	for _, st := range s.indexTags {
		if _, err := tx.StmtContext(bg, st).ExecContext(bg); err != nil {
			return fmt.Errorf("sqlite: write spans: index tags: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: write spans: commit: %w", err)
	}
	return nil
}

// group splits spans into chunks by (project, trace), in order of first
// appearance.
func (w *writer) group(spans []model.Span) {
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
func (w *writer) chunkSpans(spans []model.Span, c *chunk) []model.Span {
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

func (w *writer) reset() {
	clear(w.index)
	for i := range w.chunks {
		w.chunks[i] = chunk{spans: w.chunks[i].spans[:0]}
	}
	// Keep the per-chunk index slices for reuse, but drop span references.
	w.chunks = w.chunks[:0]
	clear(w.sorted[:cap(w.sorted)])
	w.sorted = w.sorted[:0]
}

// sessionArgs are the upsert's arguments for s, in column order.
func sessionArgs(s *model.Session) []any {
	var tags any // NULL: the delta leaves the tags alone
	if s.Tags != nil {
		b, _ := json.Marshal(s.Tags) // []string always marshals
		tags = string(b)
	}
	var host any
	if s.Host != nil {
		host = []byte(s.Host)
	}
	return []any{
		s.ProjectID, s.ID[:], s.Name, int64(s.NameRank), s.Start, s.End, s.LastSeen,
		boolInt(s.RootEnded), s.EndState, boolInt(s.EndStateExplicit), s.EndStateReason, tags, host,
		s.Counts.Spans, s.Counts.LLMCalls, s.Counts.ToolCalls, s.Counts.Actions, s.Counts.Agents, s.Counts.Errors,
		s.Usage.Input, s.Usage.Output, s.Usage.CacheRead, s.Usage.CacheWrite, s.Usage.Reasoning, s.Usage.Total,
		s.Cost, s.Unpriced,
	}
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

// hasChunkFunc(list, ref) is the SQL function that tells whether the chunk
// list holds a chunk with the hash of ref.
const hasChunkFunc = "agentops_has_chunk"

func hasChunk(_ *msqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
	list, ref := asBytes(args[0]), asBytes(args[1])
	if len(ref) < 8 {
		return nil, fmt.Errorf("%s: reference of %d bytes", hasChunkFunc, len(ref))
	}
	for i := 0; i+len(chunkref{}) <= len(list); i += len(chunkref{}) {
		if string(list[i:i+8]) == string(ref[:8]) {
			return int64(1), nil
		}
	}
	return int64(0), nil
}

func asBytes(v driver.Value) []byte {
	switch v := v.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return nil
}
