package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/legacy"
)

// routes mounts every endpoint. Each route that reads or writes project data
// gets the project from the request's credential, never from its content.
func (s *Server) routes(reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", s.handleTraces)
	mux.HandleFunc("/v1/traces", methodNotAllowed("POST"))
	mux.HandleFunc("POST /v1/metrics", s.handleMetrics)
	mux.HandleFunc("/v1/metrics", methodNotAllowed("POST"))
	// The Python SDK posts to the path with its trailing slash; both are served.
	mux.HandleFunc("POST /v4/logs/upload/{$}", s.handleLogUpload)
	mux.HandleFunc("POST /v4/logs/upload", s.handleLogUpload)
	mux.HandleFunc("/v4/logs/upload/{$}", methodNotAllowed("POST"))
	mux.Handle("/v3/auth/token", auth.TokenHandler(s.auth))
	// The JSON API of the AgentOps SDKs before OpenTelemetry (0.3.x).
	legacy.New(s.auth, s.pipeline, s.store, legacy.Config{
		MaxBodyBytes: s.cfg.MaxBodyBytes, MaxEvents: s.cfg.MaxSpansPerRequest, Inflight: s.inflight, Logger: s.log,
	}).Register(mux)

	sessions := s.withProject(api.New(s.store, api.Options{SessionTimeout: s.cfg.SessionTimeout}))
	mux.Handle("/v2/sessions", sessions)
	mux.Handle("/v2/sessions/", sessions)

	mux.Handle("/public/v1/auth/access_token", auth.AccessTokenHandler(s.auth))
	public := s.withProjectOr(api.NewPublic(s.store, api.Options{SessionTimeout: s.cfg.SessionTimeout}), writePublicError)
	mux.Handle("/public/v1/", public)

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !s.ready.Load() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "shutting down"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	if s.dashboard != nil {
		s.dashboard.Register(mux)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such endpoint: "+r.Method+" "+r.URL.Path)
	})
	return s.metrics.instrument(recoverPanics(s.log, mux))
}

// withProject authenticates a REST request and puts its project in the context.
func (s *Server) withProject(next http.Handler) http.Handler {
	return s.withProjectOr(next, writeError)
}

// withProjectOr is withProject answering refusals with fail.
func (s *Server) withProjectOr(next http.Handler, fail func(http.ResponseWriter, int, string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		projectID, err := s.auth.FromRequest(r)
		if err != nil {
			status, msg := authStatus(err)
			if status == http.StatusInternalServerError {
				s.log.Error("authenticating a request", "err", err)
			}
			fail(w, status, msg)
			return
		}
		next.ServeHTTP(w, r.WithContext(api.WithProject(r.Context(), projectID)))
	})
}

// authenticate returns the project of the request's credential; on failure
// it has answered (401, 403, or 500 for a store failure, which it logs).
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (projectID string, ok bool) {
	projectID, err := s.auth.FromRequest(r)
	if err != nil {
		status, msg := authStatus(err)
		if status == http.StatusInternalServerError {
			s.log.Error("authenticating a request", "path", r.URL.Path, "err", err)
		}
		writeError(w, status, msg)
		return "", false
	}
	return projectID, true
}

// recoverPanics turns a handler panic into a 500 and a log line: one bad
// request never takes the server down.
func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("handler panic", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				writeError(w, http.StatusInternalServerError, "internal error")
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: use "+allow)
	}
}

// writeError answers {"error": msg}. For OTLP clients the body is also the
// JSON form of google.rpc.Status ("code", "message"), which OTLP/JSON
// exporters read and protobuf exporters log as text.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]any{"error": msg, "code": grpcCode(status), "message": msg})
}

// writePublicError answers a refusal of the public API: {"error", "detail"}
// (detail is where AgentOps' public API puts its message).
func writePublicError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg, "detail": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// grpcCode is the google.rpc.Code matching an HTTP status, per the OTLP spec's
// mapping.
func grpcCode(status int) int {
	switch status {
	case http.StatusBadRequest:
		return 3 // INVALID_ARGUMENT
	case http.StatusUnauthorized:
		return 16 // UNAUTHENTICATED
	case http.StatusForbidden:
		return 7 // PERMISSION_DENIED
	case http.StatusNotFound:
		return 5 // NOT_FOUND
	case http.StatusRequestEntityTooLarge:
		return 8 // RESOURCE_EXHAUSTED
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		return 14 // UNAVAILABLE
	case http.StatusUnsupportedMediaType, http.StatusMethodNotAllowed:
		return 12 // UNIMPLEMENTED
	}
	return 13 // INTERNAL
}
