package sqlite

import (
	"context"
	"fmt"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// AddLog implements store.Logs: one row per upload, on the writer
// connection (synchronous=FULL: durable when it returns).
func (s *Store) AddLog(ctx context.Context, projectID string, id model.TraceID, l store.Log) error {
	_, err := s.wdb.ExecContext(ctx, `INSERT INTO session_logs (project, trace_id, at, body) VALUES (?, ?, ?, ?)`,
		projectID, id[:], l.At.UnixNano(), l.Text)
	if err != nil {
		return fmt.Errorf("sqlite: add log of %s: %w", id, err)
	}
	return nil
}

// Logs implements store.Logs.
func (s *Store) Logs(ctx context.Context, projectID string, id model.TraceID) ([]store.Log, error) {
	rows, err := s.rdb.QueryContext(ctx, `SELECT at, body FROM session_logs WHERE project = ? AND trace_id = ? ORDER BY id`, projectID, id[:])
	if err != nil {
		return nil, fmt.Errorf("sqlite: logs of %s: %w", id, err)
	}
	defer rows.Close()
	var logs []store.Log
	for rows.Next() {
		var (
			at int64
			l  store.Log
		)
		if err := rows.Scan(&at, &l.Text); err != nil {
			return nil, fmt.Errorf("sqlite: logs of %s: %w", id, err)
		}
		l.At = fromNanos(at)
		logs = append(logs, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: logs of %s: %w", id, err)
	}
	return logs, nil
}
