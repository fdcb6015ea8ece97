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

-- One row per (project, trace) per WriteSpans call: the chunk's spans in the
-- binary encoding of codec.go. The one index serves reading a trace and the
-- dedup of retried chunks (hash of the blob).
CREATE TABLE span_chunks (
	id         INTEGER PRIMARY KEY,
	project_id TEXT NOT NULL,
	trace_id   BLOB NOT NULL,
	hash       BLOB NOT NULL,
	span_count INTEGER NOT NULL,
	data       BLOB NOT NULL
);
CREATE UNIQUE INDEX span_chunks_trace ON span_chunks (project_id, trace_id, hash);

-- The aggregate of each trace (model.Session), merged at every stored chunk.
-- tags is a JSON array (NULL: never set), host a JSON object (NULL: none).
CREATE TABLE sessions (
	project_id         TEXT NOT NULL,
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
	PRIMARY KEY (project_id, trace_id)
) WITHOUT ROWID;
CREATE INDEX sessions_start ON sessions (project_id, start DESC, trace_id DESC);

-- The sessions carrying each tag, ordered like the listing so that a tag
-- filter pages through an index. Kept in step by the triggers below, which
-- fire only when a session's tags or start change (rarely: the root span
-- sets the tags once).
CREATE TABLE session_tags (
	project_id TEXT NOT NULL,
	tag        TEXT NOT NULL,
	start      INTEGER NOT NULL,
	trace_id   BLOB NOT NULL,
	PRIMARY KEY (project_id, tag, start, trace_id)
) WITHOUT ROWID;

CREATE TRIGGER sessions_tags_insert AFTER INSERT ON sessions
WHEN new.tags IS NOT NULL AND new.tags != '[]'
BEGIN
	INSERT OR IGNORE INTO session_tags (project_id, tag, start, trace_id)
	SELECT new.project_id, value, new.start, new.trace_id FROM json_each(new.tags);
END;

CREATE TRIGGER sessions_tags_update AFTER UPDATE OF tags, start ON sessions
WHEN old.tags IS NOT new.tags OR (old.start != new.start AND new.tags IS NOT NULL AND new.tags != '[]')
BEGIN
	DELETE FROM session_tags
	WHERE project_id = old.project_id AND tag IN (SELECT value FROM json_each(old.tags))
		AND start = old.start AND trace_id = old.trace_id;
	INSERT OR IGNORE INTO session_tags (project_id, tag, start, trace_id)
	SELECT new.project_id, value, new.start, new.trace_id FROM json_each(new.tags);
END;
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
