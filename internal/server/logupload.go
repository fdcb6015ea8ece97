package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// handleLogUpload is POST /v4/logs/upload/: the terminal output of a
// session, as the official Python SDK uploads it when a trace's root span
// ends. The session is named by the Trace-Id header and the text is the
// "body" of a JSON object (what the SDK sends), or the whole body of any
// other content type. It answers 200 {"status": "ok", "trace_id": HEX} once
// the upload is durable; uploads are kept in order and shown with the
// session (GET /v2/sessions/{id}/logs, and its export).
func (s *Server) handleLogUpload(w http.ResponseWriter, r *http.Request) {
	projectID, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	id, err := parseTraceIDHeader(r.Header.Get("Trace-Id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes exceeds the limit of %d bytes", r.ContentLength, s.cfg.MaxBodyBytes))
		return
	}
	// Bodies in memory at once are bounded by the same semaphore as OTLP's.
	select {
	case s.inflight <- struct{}{}:
		defer func() { <-s.inflight }()
	case <-r.Context().Done():
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		status, msg := tooLargeOr(err, http.StatusBadRequest, "reading request body: "+err.Error(), s.cfg.MaxBodyBytes)
		writeError(w, status, msg)
		return
	}
	text := string(body)
	if mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mediaType == contentJSON {
		var in struct {
			Body *string `json:"body"`
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		if err := dec.Decode(&in); err != nil || in.Body == nil {
			writeError(w, http.StatusBadRequest, `a JSON log upload must be an object {"body": "<log text>"}`)
			return
		}
		text = *in.Body
	}
	if err := s.store.AddLog(r.Context(), projectID, id, store.Log{At: time.Now(), Text: text}); err != nil {
		if r.Context().Err() == nil {
			s.log.Error("storing a log upload", "trace_id", id.String(), "err", err)
		}
		writeRetryable(w, "log could not be stored: retry later")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "trace_id": id.String()})
}

// maxTraceID is 2^128: a decimal Trace-Id must be below it.
var maxTraceID = new(big.Int).Lsh(big.NewInt(1), 128)

// parseTraceIDHeader reads a Trace-Id header. The Python SDK sends the
// trace id as Python prints an int: in decimal. 32 hex digits and a UUID are
// accepted too; a 32-character value is read as hex, so the (one in three
// million) decimal trace id that happens to have exactly 32 digits is
// misread — the SDK leaves no way to tell them apart.
func parseTraceIDHeader(v string) (model.TraceID, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return model.TraceID{}, errors.New("missing Trace-Id header: name the session the log belongs to")
	}
	if len(v) == 32 || len(v) == 36 {
		id, err := model.ParseTraceID(v)
		if err != nil {
			return id, fmt.Errorf("invalid Trace-Id %q: send the trace id in decimal, as 32 hex digits or as a UUID", v)
		}
		return id, nil
	}
	n, ok := new(big.Int).SetString(v, 10)
	if !ok || n.Sign() <= 0 || n.Cmp(maxTraceID) >= 0 || strings.TrimLeft(v, "0123456789") != "" {
		return model.TraceID{}, fmt.Errorf("invalid Trace-Id %q: send the trace id in decimal, as 32 hex digits or as a UUID", v)
	}
	var id model.TraceID
	n.FillBytes(id[:])
	return id, nil
}
