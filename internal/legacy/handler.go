package legacy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/ingest"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// Ingester is the write path the spans go through: ingest.Pipeline. Export
// returns nil only once the spans are durable.
type Ingester interface {
	Export(ctx context.Context, projectID string, td ptrace.Traces) (ingest.Result, error)
}

// Config sets the limits, which are those of OTLP ingest.
type Config struct {
	MaxBodyBytes int64 // a larger body is refused with 413
	MaxEvents    int   // events (spans) per request; more is refused with 413
	// Inflight, when set, is a semaphore a request holds a slot of while it
	// reads and stores its body (the server shares OTLP's): it bounds the
	// bodies in memory at once.
	Inflight chan struct{}
	Logger   *slog.Logger
	Now      func() time.Time // default time.Now
}

// Handler serves the legacy v2 JSON API. Every route authenticates like
// OTLP ingest (X-Agentops-Api-Key, or Authorization: Bearer with a key or a
// token) and writes only to the credential's project.
type Handler struct {
	auth   *auth.Authenticator
	in     Ingester
	reader store.SessionReader
	cfg    Config
	// locks serialize the check-then-write of one session (striped by trace
	// id): two requests racing to store the same span must not both see it
	// missing.
	locks [64]sync.Mutex
}

// New returns the handler; mount it with Register.
func New(a *auth.Authenticator, in Ingester, r store.SessionReader, cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{auth: a, in: in, reader: r, cfg: cfg}
}

// Register mounts the routes on mux:
//
//	POST /v2/create_session   {"session": S}           → {"status", "jwt", "session_id"}
//	POST /v2/update_session   {"session": S}           → {"status", "token_cost", "session_id"}
//	POST /v2/create_events    {"events": [E...]}       → {"status", "stored"}
//	POST /v2/update_events    {"events": [E...]}       → {"status", "stored"}
//	POST /v2/create_agent     {"id", "name"[, "session_id"]} → {"status", "stored"}
//	POST /v2/reauthorize_jwt  {"session_id"}           → {"status", "jwt"}
//	POST /v2/developer_errors {"type", "message", ...} → {"status"} (logged, not stored)
//
// "jwt" is a token naming the project and the session, tied to the
// request's API key: later calls may authenticate with it alone. token_cost is the session's known cost in
// USD, as a decimal string. Errors are 4xx/5xx with {"error", "message"}.
func (h *Handler) Register(mux *http.ServeMux) {
	for path, serve := range map[string]func(http.ResponseWriter, *http.Request, string){
		"/v2/create_session":   h.createSession,
		"/v2/update_session":   h.updateSession,
		"/v2/create_events":    h.events,
		"/v2/update_events":    h.events,
		"/v2/create_agent":     h.createAgent,
		"/v2/reauthorize_jwt":  h.reauthorize,
		"/v2/developer_errors": h.developerError,
	} {
		mux.HandleFunc("POST "+path, h.authenticated(serve))
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", "POST")
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use POST")
		})
	}
}

func (h *Handler) authenticated(serve func(http.ResponseWriter, *http.Request, string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		projectID, err := h.auth.FromRequest(r)
		if err != nil {
			status, msg := auth.HTTPStatus(err)
			if status == http.StatusInternalServerError {
				h.cfg.Logger.Error("legacy API: authenticating", "path", r.URL.Path, "err", err)
			}
			writeError(w, status, msg)
			return
		}
		if h.cfg.Inflight != nil {
			select {
			case h.cfg.Inflight <- struct{}{}:
				defer func() { <-h.cfg.Inflight }()
			case <-r.Context().Done():
				return
			}
		}
		serve(w, r, projectID)
	}
}

type sessionBody struct {
	Session *sessionRecord `json:"session"`
}

func (h *Handler) createSession(w http.ResponseWriter, r *http.Request, projectID string) {
	s, id, ok := h.readSession(w, r)
	if !ok {
		return
	}
	if s.ended() && !h.storeRoot(w, r, projectID, id, s) {
		return
	}
	token, ok := h.token(w, r, projectID, id)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "success", "jwt": token, "session_id": id.String()})
}

func (h *Handler) updateSession(w http.ResponseWriter, r *http.Request, projectID string) {
	s, id, ok := h.readSession(w, r)
	if !ok {
		return
	}
	if s.ended() && !h.storeRoot(w, r, projectID, id, s) {
		return
	}
	cost := 0.0
	sess, err := h.reader.Session(r.Context(), projectID, id)
	switch {
	case err == nil:
		cost = sess.Cost
	case !errors.Is(err, store.ErrNotFound):
		h.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "success", "token_cost": strconv.FormatFloat(cost, 'f', -1, 64), "session_id": id.String()})
}

// readSession decodes a {"session": ...} body and its session id.
func (h *Handler) readSession(w http.ResponseWriter, r *http.Request) (*sessionRecord, model.TraceID, bool) {
	var body sessionBody
	if !h.decode(w, r, &body) {
		return nil, model.TraceID{}, false
	}
	if body.Session == nil {
		writeError(w, http.StatusBadRequest, `body must be {"session": {...}}`)
		return nil, model.TraceID{}, false
	}
	id, err := model.ParseTraceID(strings.TrimSpace(body.Session.SessionID))
	if err != nil {
		writeError(w, http.StatusBadRequest, "session.session_id must be a UUID")
		return nil, id, false
	}
	return body.Session, id, true
}

// storeRoot writes the root span of an ended session unless it is stored.
func (h *Handler) storeRoot(w http.ResponseWriter, r *http.Request, projectID string, id model.TraceID, s *sessionRecord) bool {
	b := newBatch(id)
	if err := b.addRoot(s, h.cfg.Now()); err != nil {
		writeError(w, http.StatusBadRequest, "session: "+err.Error())
		return false
	}
	_, ok := h.write(w, r, projectID, b)
	return ok
}

// token answers a token for the project that names the session, tied to
// the API key of the request's credential.
func (h *Handler) token(w http.ResponseWriter, r *http.Request, projectID string, id model.TraceID) (string, bool) {
	token, err := h.auth.SessionToken(r, projectID, id.String())
	if err != nil {
		h.cfg.Logger.Error("legacy API: issuing a token", "err", err)
		writeError(w, http.StatusInternalServerError, "internal error while issuing a token")
		return "", false
	}
	return token, true
}

type eventsBody struct {
	Events []eventRecord `json:"events"`
}

// events serves create_events and update_events: each event not stored yet
// becomes a span of its session.
func (h *Handler) events(w http.ResponseWriter, r *http.Request, projectID string) {
	var body eventsBody
	if !h.decode(w, r, &body) {
		return
	}
	if len(body.Events) > h.cfg.MaxEvents {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request carries %d events, more than the limit of %d: send smaller batches", len(body.Events), h.cfg.MaxEvents))
		return
	}
	var (
		order   []model.TraceID
		batches = map[model.TraceID]*batch{}
		now     = h.cfg.Now()
	)
	for i := range body.Events {
		e := &body.Events[i]
		id, ok := h.sessionOf(w, r, string(e.SessionID), fmt.Sprintf("events[%d]", i))
		if !ok {
			return
		}
		b := batches[id]
		if b == nil {
			b = newBatch(id)
			batches[id] = b
			order = append(order, id)
		}
		if err := b.addEvent(e, now); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("events[%d]: %v", i, err))
			return
		}
	}
	stored := 0
	for _, id := range order {
		n, ok := h.write(w, r, projectID, batches[id])
		if !ok {
			return
		}
		stored += n
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "success", "stored": stored})
}

// sessionOf is the session a record names, or else the one the request's
// token names; 400 when neither does.
func (h *Handler) sessionOf(w http.ResponseWriter, r *http.Request, named, what string) (model.TraceID, bool) {
	if named != "" {
		id, err := model.ParseTraceID(strings.TrimSpace(named))
		if err != nil {
			writeError(w, http.StatusBadRequest, what+": session_id must be a UUID")
			return id, false
		}
		return id, true
	}
	if _, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " "); ok {
		if sid, err := h.auth.TokenSession(strings.TrimSpace(token)); err == nil && sid != "" {
			if id, err := model.ParseTraceID(sid); err == nil {
				return id, true
			}
		}
	}
	writeError(w, http.StatusBadRequest, what+": no session: send session_id, or the jwt create_session answered")
	return model.TraceID{}, false
}

func (h *Handler) createAgent(w http.ResponseWriter, r *http.Request, projectID string) {
	var a agentRecord
	if !h.decode(w, r, &a) {
		return
	}
	if a.ID == "" {
		writeError(w, http.StatusBadRequest, "agent id is required")
		return
	}
	id, ok := h.sessionOf(w, r, string(a.SessionID), "agent")
	if !ok {
		return
	}
	b := newBatch(id)
	b.addAgent(&a, h.cfg.Now())
	n, ok := h.write(w, r, projectID, b)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "success", "stored": n})
}

func (h *Handler) reauthorize(w http.ResponseWriter, r *http.Request, projectID string) {
	var body struct {
		SessionID string `json:"session_id"`
	}
	if !h.decode(w, r, &body) {
		return
	}
	id, err := model.ParseTraceID(strings.TrimSpace(body.SessionID))
	if err != nil {
		writeError(w, http.StatusBadRequest, "session_id must be a UUID")
		return
	}
	token, ok := h.token(w, r, projectID, id)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "success", "jwt": token})
}

// developerError logs an SDK's report of its own failure. It is not an
// error of the agent, so it is not stored in any session.
func (h *Handler) developerError(w http.ResponseWriter, r *http.Request, projectID string) {
	var body struct {
		SDKVersion rawString `json:"sdk_version"`
		Type       rawString `json:"type"`
		Message    rawString `json:"message"`
		SessionID  rawString `json:"session_id"`
	}
	if !h.decode(w, r, &body) {
		return
	}
	h.cfg.Logger.Warn("an AgentOps SDK reported an internal error", "project", projectID, "sdk_version", string(body.SDKVersion),
		"type", string(body.Type), "message", string(body.Message), "session_id", string(body.SessionID))
	writeJSON(w, http.StatusOK, map[string]string{"status": "success"})
}

// write stores the spans of b that are not stored yet, and returns how
// many it stored. It answers the request itself on failure (ok false).
func (h *Handler) write(w http.ResponseWriter, r *http.Request, projectID string, b *batch) (n int, ok bool) {
	mu := &h.locks[int(b.trace[15])%len(h.locks)]
	mu.Lock()
	defer mu.Unlock()
	have, err := h.storedSpans(r.Context(), projectID, b.trace)
	if err != nil {
		h.storeError(w, r, err)
		return 0, false
	}
	if n = b.keep(func(id model.SpanID) bool { _, dup := have[id]; return dup }); n == 0 {
		return 0, true
	}
	if _, err := h.in.Export(r.Context(), projectID, b.td); err != nil {
		h.storeError(w, r, err)
		return 0, false
	}
	return n, true
}

func (h *Handler) storedSpans(ctx context.Context, projectID string, id model.TraceID) (map[model.SpanID]struct{}, error) {
	spans, err := h.reader.Spans(ctx, projectID, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	have := make(map[model.SpanID]struct{}, len(spans))
	for i := range spans {
		have[spans[i].SpanID] = struct{}{}
	}
	return have, nil
}

// decode reads a JSON body within the size limit; on failure it answers.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength > h.cfg.MaxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes exceeds the limit of %d bytes", r.ContentLength, h.cfg.MaxBodyBytes))
		return false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds the limit of %d bytes", h.cfg.MaxBodyBytes))
		} else {
			writeError(w, http.StatusBadRequest, "reading request body: "+err.Error())
		}
		return false
	}
	if err := json.Unmarshal(b, v); err != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON body: "+err.Error())
		return false
	}
	return true
}

// storeError answers a failure of the write or read path: retryable
// refusals (overload, shutdown, client gone) and store failures are 503
// with Retry-After, which the legacy SDKs' HTTP adapter retries.
func (h *Handler) storeError(w http.ResponseWriter, r *http.Request, err error) {
	msg := "spans could not be stored: retry later"
	switch {
	case errors.Is(err, ingest.ErrOverloaded):
		msg = "ingest queue is full: retry later"
	case errors.Is(err, ingest.ErrClosed):
		msg = "server is shutting down: retry later"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		msg = "request ended before its spans were committed"
	default:
		h.cfg.Logger.Error("legacy API: store", "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Retry-After", "1")
	writeError(w, http.StatusServiceUnavailable, msg)
}

// writeError answers {"error": msg, "message": msg}: the legacy SDKs print
// "message" of a 400.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
