package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// Options tunes the handler. The zero value is a good default.
type Options struct {
	// SessionTimeout is how long a session without an end state may stay
	// silent before it reads Indeterminate (default DefaultSessionTimeout).
	SessionTimeout time.Duration
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
	// Logger receives the details of store errors, which clients only see
	// as a generic 500 (default slog.Default()).
	Logger *slog.Logger
}

// Messages of the error answers. msgNotFound is the one answer for an
// unknown session and for a session of another project.
const (
	msgNotFound     = "session not found"
	msgNoRoute      = "not found"
	msgBadID        = "invalid session id: must be 32 hex digits (or a UUID)"
	msgUnauthorized = "unauthorized: no project credential"
	msgMethod       = "method not allowed: use GET or HEAD"
	msgInternal     = "internal server error"
)

type handler struct {
	r        store.SessionReader
	logStore store.Logs // nil when r does not keep logs
	timeout  time.Duration
	now      func() time.Time
	log      *slog.Logger
}

// newSessionHandler returns a handler reading r with opts' defaults filled in.
func newSessionHandler(r store.SessionReader, opts Options) *handler {
	h := &handler{r: r, timeout: orDefault(opts.SessionTimeout), now: opts.Now, log: opts.Logger}
	if h.now == nil {
		h.now = time.Now
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h
}

// New returns the handler of the session routes, which answers requests
// whose context carries a project (WithProject), and 401 to others:
//
//	GET /v2/sessions/{id}/stats   SessionStats
//	GET /v2/sessions/{id}/export  SessionExport
//	GET /v2/sessions/{id}/logs    SessionLogs (when r also implements store.Logs)
//	GET /v2/sessions              SessionList
//
// HEAD is answered like GET; other methods get 405. Every answer is JSON;
// errors are {"error": MESSAGE}.
func New(r store.SessionReader, opts Options) http.Handler {
	h := newSessionHandler(r, opts)
	mux := http.NewServeMux()
	mux.HandleFunc("/v2/sessions", h.get(h.list))
	mux.HandleFunc("/v2/sessions/{id}/stats", h.get(h.stats))
	mux.HandleFunc("/v2/sessions/{id}/export", h.get(h.export))
	if l, ok := r.(store.Logs); ok {
		h.logStore = l
		mux.HandleFunc("/v2/sessions/{id}/logs", h.get(h.logs))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, msgNoRoute)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := ProjectFrom(r.Context()); !ok {
			writeError(w, http.StatusUnauthorized, msgUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// get restricts a route to GET and HEAD and hands it the request's project.
func (h *handler) get(serve func(w http.ResponseWriter, r *http.Request, projectID string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, msgMethod)
			return
		}
		projectID, _ := ProjectFrom(r.Context()) // checked by New's handler
		serve(w, r, projectID)
	}
}

func (h *handler) stats(w http.ResponseWriter, r *http.Request, projectID string) {
	id, ok := sessionID(w, r)
	if !ok {
		return
	}
	st, err := Stats(r.Context(), h.r, projectID, id, h.now(), h.timeout)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *handler) export(w http.ResponseWriter, r *http.Request, projectID string) {
	id, ok := sessionID(w, r)
	if !ok {
		return
	}
	x, err := Export(r.Context(), h.r, projectID, id, h.now(), h.timeout)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, x)
}

func (h *handler) list(w http.ResponseWriter, r *http.Request, projectID string) {
	q, err := ParseQuery(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	list, err := List(r.Context(), h.r, projectID, q, h.now(), h.timeout)
	if errors.Is(err, ErrInvalidQuery) {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list)
}

// sessionID parses the {id} of the path, answering 400 when it is malformed.
func sessionID(w http.ResponseWriter, r *http.Request) (model.TraceID, bool) {
	id, err := model.ParseTraceID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, msgBadID)
		return id, false
	}
	return id, true
}

// storeError answers an error of the store: 404 for a session that is not
// in the request's project, else a 500 whose detail goes to the log only.
func (h *handler) storeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, msgNotFound)
		return
	}
	if r.Context().Err() == nil { // a client that left is not a server error worth a log line
		h.log.ErrorContext(r.Context(), "session API: store error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeError(w, http.StatusInternalServerError, msgInternal)
}

type errorBody struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// writeJSON answers v as one line of JSON. It encodes before writing
// anything, so a value that cannot be encoded still gets a clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		slog.Error("session API: encoding an answer", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":"`+msgInternal+`"}`)
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Cache-Control", "no-store") // session data is private to a project
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b) // an error here is the client gone; nobody is left to tell
}
