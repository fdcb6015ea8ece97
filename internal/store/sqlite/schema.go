package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// migrations[i] brings the schema from version i to i+1 (PRAGMA
// user_version). Append only: a released step is never edited.
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE projects (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL UNIQUE,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE api_keys (
	hash       BLOB PRIMARY KEY,
	prefix     TEXT NOT NULL,
	project_id TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	revoked_at INTEGER
) WITHOUT ROWID;

CREATE TABLE prices (
	project_id  TEXT NOT NULL,
	model       TEXT NOT NULL,
	input       REAL NOT NULL,
	output      REAL NOT NULL,
	cache_read  REAL NOT NULL,
	cache_write REAL NOT NULL,
	reasoning   REAL NOT NULL,
	PRIMARY KEY (project_id, model)
) WITHOUT ROWID;

-- The small integer that stands for a project id in the keys below (8 bytes
-- instead of a 36-byte UUID in every key: more entries per page). A row is
-- added by WriteSpans at the first span of a project, and never changes.
CREATE TABLE project_ids (
	n  INTEGER PRIMARY KEY,
	id TEXT NOT NULL UNIQUE
);

-- One row per (project, trace) per WriteSpans call: the chunk's spans in the
-- binary encoding of codec.go. Append only, and no index but the rowid: a
-- chunk goes to the right edge of the B-tree, on pages the next commit
-- continues, whatever its trace (an index keyed by trace id would dirty a
-- random leaf per chunk, and the log receives every dirty page whole). The
-- session row lists its chunks.
CREATE TABLE span_chunks (
	id   INTEGER PRIMARY KEY,
	data BLOB NOT NULL
);

-- The aggregate of each trace (model.Session), merged in Go (write.go) at
-- every stored chunk. A new row appends at the rowid's edge; the unique
-- index sessions_trace, of small entries, is the only B-tree keyed by the
-- random trace id, so a new session dirties one random leaf (holding ~100
-- entries: fewer splits than leaves of whole rows). project is
-- project_ids.n. tags is a JSON array (NULL: never set), host a JSON object
-- (NULL: none). chunks lists the trace's span_chunks rows in the order
-- stored, 16 bytes each (chunkref in write.go): the xxhash64 of the chunk's
-- body, which de-duplicates retried chunks and checks a chunk read back,
-- then its id.
CREATE TABLE sessions (
	id                 INTEGER PRIMARY KEY,
	project            INTEGER NOT NULL,
	trace_id           BLOB NOT NULL,
	name               TEXT NOT NULL,
	name_rank          INTEGER NOT NULL,
	start              INTEGER NOT NULL,
	end_time           INTEGER NOT NULL,
	last_seen          INTEGER NOT NULL,
	root_ended         INTEGER NOT NULL,
	end_state          TEXT NOT NULL,
	end_state_explicit INTEGER NOT NULL,
	end_state_reason   TEXT NOT NULL,
	tags               TEXT,
	host               BLOB,
	spans              INTEGER NOT NULL,
	llm_calls          INTEGER NOT NULL,
	tool_calls         INTEGER NOT NULL,
	actions            INTEGER NOT NULL,
	agents             INTEGER NOT NULL,
	errors             INTEGER NOT NULL,
	input_tokens       INTEGER NOT NULL,
	output_tokens      INTEGER NOT NULL,
	cache_read_tokens  INTEGER NOT NULL,
	cache_write_tokens INTEGER NOT NULL,
	reasoning_tokens   INTEGER NOT NULL,
	total_tokens       INTEGER NOT NULL,
	cost               REAL NOT NULL,
	unpriced           INTEGER NOT NULL,
	chunks             BLOB NOT NULL
);
CREATE UNIQUE INDEX sessions_trace ON sessions (project, trace_id);
-- The listing's order: a project's sessions by rowid, that is by first
-- arrival, newest first. Entries (project, id) of a new session append at
-- the edge of its project's range, as the rows do. There is deliberately no
-- index on start: starts of new sessions land at random points of the recent
-- window, so such an index dirties a random leaf per new session; since and
-- until filter the rowid-ordered scan instead.
CREATE INDEX sessions_project ON sessions (project);

-- The sessions carrying each tag, keyed in the listing's order (session is
-- sessions.id) so that a tag filter pages through it and a new session's
-- entries append at the edge of each tag's range. WriteSpans keeps it in
-- step with each session's tags, from the row it merged; a change of start
-- does not touch it.
CREATE TABLE session_tags (
	project INTEGER NOT NULL,
	tag     TEXT NOT NULL,
	session INTEGER NOT NULL,
	PRIMARY KEY (project, tag, session)
) WITHOUT ROWID;
`,
	// 2: the dashboard's reads. models (a JSON array of model.Session.Models,
	// '' when none) for the model filter; sessions_open, a partial index of
	// the sessions without an end state (few at any time: a session gets its
	// end state when its root ends), for the running filter and to tell the
	// stale ones in the overview; and per-day rollups the overview reads
	// instead of scanning sessions, kept in step by WriteSpans in the same
	// transaction (rollup.go): a handful of upserts per commit, on rows that
	// stay in the cache. session_days and reason_days are backfilled here
	// from existing sessions; model_days and error_days, which need the
	// spans, start empty for data written before this version.
	`
ALTER TABLE sessions ADD COLUMN models TEXT NOT NULL DEFAULT '';
CREATE INDEX sessions_open ON sessions (project, id) WHERE end_state = '';

-- The sessions that started on a UTC day (day = start / 86400e9), by end
-- state as stored ('' while none), added up. d0..d6 count sessions per
-- duration bucket (store.DurationBuckets).
CREATE TABLE session_days (
	project INTEGER NOT NULL,
	day     INTEGER NOT NULL,
	state   TEXT NOT NULL,
	sessions INTEGER NOT NULL, spans INTEGER NOT NULL, llm_calls INTEGER NOT NULL,
	tool_calls INTEGER NOT NULL, actions INTEGER NOT NULL, agents INTEGER NOT NULL, errors INTEGER NOT NULL,
	input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
	cache_write_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL, total_tokens INTEGER NOT NULL,
	cost REAL NOT NULL, unpriced INTEGER NOT NULL,
	d0 INTEGER NOT NULL, d1 INTEGER NOT NULL, d2 INTEGER NOT NULL, d3 INTEGER NOT NULL,
	d4 INTEGER NOT NULL, d5 INTEGER NOT NULL, d6 INTEGER NOT NULL,
	PRIMARY KEY (project, day, state)
) WITHOUT ROWID;

-- Sessions per (start day, end state, end-state reason); state is never ''.
CREATE TABLE reason_days (
	project  INTEGER NOT NULL,
	day      INTEGER NOT NULL,
	state    TEXT NOT NULL,
	reason   TEXT NOT NULL,
	sessions INTEGER NOT NULL,
	PRIMARY KEY (project, day, state, reason)
) WITHOUT ROWID;

-- LLM calls per (day of the span's start, model).
CREATE TABLE model_days (
	project INTEGER NOT NULL,
	day     INTEGER NOT NULL,
	model   TEXT NOT NULL,
	calls INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
	cache_read_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL, reasoning_tokens INTEGER NOT NULL,
	total_tokens INTEGER NOT NULL, cost REAL NOT NULL, unpriced INTEGER NOT NULL,
	PRIMARY KEY (project, day, model)
) WITHOUT ROWID;

-- Error spans per (day of the span's start, error type, message cut to
-- store.MaxErrorMessage bytes).
CREATE TABLE error_days (
	project INTEGER NOT NULL,
	day     INTEGER NOT NULL,
	type    TEXT NOT NULL,
	message TEXT NOT NULL,
	errors  INTEGER NOT NULL,
	PRIMARY KEY (project, day, type, message)
) WITHOUT ROWID;

INSERT INTO session_days
SELECT project, start / 86400000000000, end_state, count(*), sum(spans), sum(llm_calls),
	sum(tool_calls), sum(actions), sum(agents), sum(errors),
	sum(input_tokens), sum(output_tokens), sum(cache_read_tokens),
	sum(cache_write_tokens), sum(reasoning_tokens), sum(total_tokens),
	sum(cost), sum(unpriced),
	sum(end_time - start < 1000000000), 
	sum(end_time - start >= 1000000000 AND end_time - start < 5000000000),
	sum(end_time - start >= 5000000000 AND end_time - start < 30000000000),
	sum(end_time - start >= 30000000000 AND end_time - start < 120000000000),
	sum(end_time - start >= 120000000000 AND end_time - start < 600000000000),
	sum(end_time - start >= 600000000000 AND end_time - start < 3600000000000),
	sum(end_time - start >= 3600000000000)
FROM sessions GROUP BY 1, 2, 3;

INSERT INTO reason_days
SELECT project, start / 86400000000000, end_state, end_state_reason, count(*)
FROM sessions WHERE end_state != '' GROUP BY 1, 2, 3, 4;
`,
	// 3: the terminal logs uploaded per session (store.Logs). Keyed by the
	// project's id as text, not project_ids.n: a log may come before the
	// trace's first span, and uploads are rare (one per trace at most).
	`
CREATE TABLE session_logs (
	id       INTEGER PRIMARY KEY,
	project  TEXT NOT NULL,
	trace_id BLOB NOT NULL,
	at       INTEGER NOT NULL,
	body     TEXT NOT NULL
);
CREATE INDEX session_logs_trace ON session_logs (project, trace_id, id);
`,
	// 4: span lookup by span id alone (store.SpanLocator).
	`
-- Span filters: per transaction and project, one row holding each stored
-- chunk's trace id and a 32-bit fingerprint of each of its span ids
-- (spanfilter.go); chunk is the last span_chunks id the row covers. Keyed (project, chunk): a row appends at the edge of its
-- project's range. The write path gains one small append per commit,
-- never a random leaf per span, which an index keyed by span id would
-- cost. A lookup scans the project's rows newest first and reads the traces
-- whose filter matches.
CREATE TABLE span_filters (
	project INTEGER NOT NULL,
	chunk   INTEGER NOT NULL,
	filters BLOB NOT NULL,
	PRIMARY KEY (project, chunk)
) WITHOUT ROWID;
`,
	// 5: the dashboard's logins (store.Logins), by the SHA-256 of their
	// token; expires in Unix nanoseconds.
	`
CREATE TABLE dashboard_logins (
	token_hash BLOB PRIMARY KEY,
	expires    INTEGER NOT NULL,
	data       BLOB NOT NULL
) WITHOUT ROWID;
CREATE INDEX dashboard_logins_expires ON dashboard_logins (expires);
`,
}

// schemaVersion is the version Open brings a database to.
var schemaVersion = len(migrations)

// migrate brings the schema of the database behind conn up to date, in one
// immediate transaction so that two processes opening a new file at once
// do not both create it.
func migrate(ctx context.Context, conn *sql.Conn) error {
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		return fmt.Errorf("begin migration: %w", err)
	}
	err := func() error {
		var v int
		if err := conn.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		if v > schemaVersion {
			return fmt.Errorf("database schema version %d is newer than this program's %d: upgrade agentops", v, schemaVersion)
		}
		for ; v < schemaVersion; v++ {
			if _, err := conn.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate schema to version %d: %w", v+1, err)
			}
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", schemaVersion)); err != nil {
			return fmt.Errorf("set schema version: %w", err)
		}
		return nil
	}()
	if err != nil {
		_, _ = conn.ExecContext(ctx, "ROLLBACK")
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit migration: %w", err)
	}
	return nil
}
