package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// SessionLogs is GET /v2/sessions/{id}/logs: the terminal output uploaded
// for a session (POST /v4/logs/upload/), one entry per upload, oldest first.
type SessionLogs struct {
	SessionID string `json:"session_id"`
	Logs      []Log  `json:"logs"` // [] when none
}

// Log is one upload. Text is exactly what the client sent: whoever shows it
// must escape it.
type Log struct {
	UploadedAt Timestamp `json:"uploaded_at"`
	Text       string    `json:"text"`
}

// Logs returns the uploads of one session of a project. A session that has
// neither spans nor uploads is store.ErrNotFound; one with spans and no
// upload has an empty list.
func Logs(ctx context.Context, r store.SessionReader, l store.Logs, projectID string, id model.TraceID) (*SessionLogs, error) {
	logs, err := logsOf(ctx, l, projectID, id)
	if err != nil {
		return nil, err
	}
	if len(logs) == 0 {
		if _, err := r.Session(ctx, projectID, id); err != nil {
			return nil, fmt.Errorf("api: session %s: %w", id, err)
		}
	}
	return &SessionLogs{SessionID: id.String(), Logs: logs}, nil
}

func logsOf(ctx context.Context, l store.Logs, projectID string, id model.TraceID) ([]Log, error) {
	stored, err := l.Logs(ctx, projectID, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("api: logs of session %s: %w", id, err)
	}
	out := make([]Log, 0, len(stored))
	for _, s := range stored {
		out = append(out, Log{UploadedAt: Timestamp(s.At.UnixNano()), Text: s.Text})
	}
	return out, nil
}

func (h *handler) logs(w http.ResponseWriter, r *http.Request, projectID string) {
	id, ok := sessionID(w, r)
	if !ok {
		return
	}
	x, err := Logs(r.Context(), h.r, h.logStore, projectID, id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}
