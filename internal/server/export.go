package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/ingest"
	"github.com/agentops-go/agentops/internal/otlp"
)

// The OTLP path both transports share (traces.go for HTTP, grpc.go for
// gRPC): the credential, the bound on requests decoded at once, the span
// limit, the pipeline and what its errors mean. Each transport reads and
// decodes its own request and speaks its own statuses.

// exportError is a refused export.
type exportError struct {
	// retry: the refusal is temporary (overload, shutdown, a store
	// failure) and the client should send the same request again later.
	// Otherwise the request is too large to be accepted ever.
	retry bool
	// overloaded: the ingest queue is full (a retry, and a sign to slow
	// down).
	overloaded bool
	msg        string
}

// authFailed counts a refused credential and returns the HTTP status and
// message of the refusal.
func (s *Server) authFailed(err error) (int, string) {
	s.metrics.rejectRequest("auth")
	status, msg := authStatus(err)
	if status == http.StatusInternalServerError {
		s.log.Error("authenticating an OTLP request", "err", err)
	}
	return status, msg
}

// acquire takes a slot among the requests decoded at once: memory stays
// flat under load and the rest wait here, before their bodies are read. ok
// is false when ctx ended first.
func (s *Server) acquire(ctx context.Context) (release func(), ok bool) {
	select {
	case s.inflight <- struct{}{}:
		return func() { <-s.inflight }, true
	case <-ctx.Done():
		return nil, false
	}
}

// export ingests decoded spans of a project: it returns only after every
// accepted span is committed, with the spans rejected for invalid ids.
func (s *Server) export(ctx context.Context, projectID string, td ptrace.Traces) (otlp.Rejection, *exportError) {
	if n := td.SpanCount(); n > s.cfg.MaxSpansPerRequest {
		s.metrics.rejectRequest("too_many_spans")
		return otlp.Rejection{}, &exportError{msg: fmt.Sprintf("request carries %d spans, more than the limit of %d: send smaller batches", n, s.cfg.MaxSpansPerRequest)}
	}
	res, err := s.pipeline.Export(ctx, projectID, td)
	s.metrics.spansRejected("invalid_id", res.Rejected.Count)
	if err == nil {
		s.metrics.spansAccepted(res.Accepted)
		return res.Rejected, nil
	}
	switch {
	case errors.Is(err, ingest.ErrOverloaded):
		s.metrics.rejectRequest("overloaded")
		return res.Rejected, &exportError{retry: true, overloaded: true, msg: "ingest queue is full: retry later"}
	case errors.Is(err, ingest.ErrClosed):
		s.metrics.rejectRequest("shutting_down")
		return res.Rejected, &exportError{retry: true, msg: "server is shutting down: retry later"}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		s.metrics.rejectRequest("client_gone")
		return res.Rejected, &exportError{retry: true, msg: "request ended before its spans were committed"}
	default:
		s.metrics.rejectRequest("store")
		s.log.Error("committing spans", "err", err)
		return res.Rejected, &exportError{retry: true, msg: "spans could not be stored: retry later"}
	}
}
