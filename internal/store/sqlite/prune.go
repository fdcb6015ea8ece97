package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"
)

// pruneMargin: PruneSessions walks sessions in arrival order (rowid) and
// stops at the first one that started this long after the cutoff. Arrival
// order follows start closely (a session arrives when its first span is
// exported), so past that point no session can have been last seen before
// the cutoff — except one whose spans were held back longer than the
// margin, which a later pass, once its last span is older still, deletes.
const pruneMargin = 24 * time.Hour

// PruneSessions implements store.Pruner in one transaction, holding the
// span writer's lock (a commit of spans waits for at most one call: keep
// limit to a few hundred). Per session: its chunks, by the ids its row
// lists; its tag entries, from the tags its row holds; its row; its logs.
// Then the span filter rows that only covered deleted chunks.
func (s *Store) PruneSessions(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		limit = 500
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.wdb.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune: begin: %w", err)
	}
	defer tx.Rollback()

	cut, stop := before.UnixNano(), before.Add(pruneMargin).UnixNano()
	type victim struct {
		id, project int64
		projectID   string
		trace       []byte
		tags        sql.NullString
		chunks      []byte
	}
	var victims []victim
	rows, err := tx.QueryContext(ctx, `SELECT s.id, s.project, p.id, s.trace_id, s.tags, s.chunks, s.start, s.last_seen
FROM sessions s JOIN project_ids p ON p.n = s.project ORDER BY s.id`)
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune: %w", err)
	}
	for rows.Next() && len(victims) < limit {
		var (
			v               victim
			start, lastSeen int64
		)
		if err := rows.Scan(&v.id, &v.project, &v.projectID, &v.trace, &v.tags, &v.chunks, &start, &lastSeen); err != nil {
			rows.Close()
			return 0, fmt.Errorf("sqlite: prune: %w", err)
		}
		if start >= stop {
			break
		}
		if lastSeen < cut {
			victims = append(victims, v)
		}
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune: %w", err)
	}
	for _, v := range victims {
		refs, err := parseChunkrefs(v.chunks)
		if err != nil {
			return 0, fmt.Errorf("sqlite: prune: session %x: %w", v.trace, err)
		}
		for i := range refs {
			if _, err := tx.ExecContext(ctx, `DELETE FROM span_chunks WHERE id = ?`, refs[i].id()); err != nil {
				return 0, fmt.Errorf("sqlite: prune: %w", err)
			}
		}
		if v.tags.Valid {
			var tags []string
			if err := json.Unmarshal([]byte(v.tags.String), &tags); err != nil {
				return 0, fmt.Errorf("sqlite: prune: session %x: tags: %w", v.trace, err)
			}
			for _, tag := range tags {
				if _, err := tx.ExecContext(ctx, deleteTagSQL, v.project, tag, v.id); err != nil {
					return 0, fmt.Errorf("sqlite: prune: %w", err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, v.id); err != nil {
			return 0, fmt.Errorf("sqlite: prune: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM session_logs WHERE project = ? AND trace_id = ?`, v.projectID, v.trace); err != nil {
			return 0, fmt.Errorf("sqlite: prune: %w", err)
		}
	}
	// A filter row covers its project's chunks after the previous row's up
	// to its own: below the oldest chunk left, it covers deleted chunks
	// only. Per project (the key's prefix), for the projects pruned.
	done := map[int64]bool{}
	for _, v := range victims {
		if done[v.project] {
			continue
		}
		done[v.project] = true
		if _, err := tx.ExecContext(ctx, `DELETE FROM span_filters WHERE project = ?
AND chunk < coalesce((SELECT min(id) FROM span_chunks), 9223372036854775807)`, v.project); err != nil {
			return 0, fmt.Errorf("sqlite: prune: span filters: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("sqlite: prune: commit: %w", err)
	}
	return len(victims), nil
}
