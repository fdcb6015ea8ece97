package server

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/otlp"
)

const (
	contentProto = "application/x-protobuf"
	contentJSON  = "application/json"
	// retryAfter is the Retry-After (seconds) of every retryable refusal.
	retryAfter = "1"
)

// bodyPool recycles request-body buffers: the ingest path reads one per
// request and must not allocate it fresh each time at tens of thousands of
// spans per second.
var bodyPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// handleTraces is POST /v1/traces: OTLP/HTTP, protobuf or JSON, optionally
// gzip. It answers 200 only after every accepted span is committed.
func (s *Server) handleTraces(w http.ResponseWriter, r *http.Request) {
	req, ok := s.openOTLP(w, r)
	if !ok {
		return
	}
	defer req.close()
	projectID, mediaType, buf := req.projectID, req.mediaType, req.body
	var (
		td  ptrace.Traces
		err error
	)
	if mediaType == contentProto {
		td, err = otlp.DecodeProto(buf.Bytes())
	} else {
		td, err = otlp.DecodeJSON(buf.Bytes())
	}
	if err != nil {
		s.metrics.rejectRequest("malformed")
		writeError(w, http.StatusBadRequest, err.Error()) // otlp's errors name the request and the encoding
		return
	}
	rej, xerr := s.export(r.Context(), projectID, td)
	if xerr != nil {
		if xerr.retry {
			writeRetryable(w, xerr.msg)
		} else {
			writeError(w, http.StatusRequestEntityTooLarge, xerr.msg)
		}
		return
	}
	s.writeExportResponse(w, mediaType, rej)
}

// otlpRequest is an OTLP/HTTP request that passed the checks every OTLP
// route shares: its project, media type and (gunzipped) body.
type otlpRequest struct {
	projectID string
	mediaType string
	body      *bytes.Buffer
	inflight  chan struct{} // the semaphore whose slot the request holds
}

// close returns the body buffer and the in-flight slot.
func (q *otlpRequest) close() {
	if q.body.Cap() <= 4<<20 { // don't keep a giant buffer alive
		bodyPool.Put(q.body)
	}
	<-q.inflight
}

// openOTLP authenticates an OTLP request, checks its content type, encoding
// and size, takes a slot of the in-flight semaphore and reads the body. On
// failure it has answered (4xx, or nothing when the client left) and ok is
// false.
func (s *Server) openOTLP(w http.ResponseWriter, r *http.Request) (req otlpRequest, ok bool) {
	projectID, ok := s.authenticate(w, r)
	if !ok {
		s.metrics.rejectRequest("auth")
		return req, false
	}
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mediaType != contentProto && mediaType != contentJSON {
		s.metrics.rejectRequest("content_type")
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported Content-Type %q: send %s or %s", r.Header.Get("Content-Type"), contentProto, contentJSON))
		return req, false
	}
	// Content codings are case-insensitive, and x-gzip is gzip (RFC 9110 8.4.1).
	enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding")))
	gzipped := enc == "gzip" || enc == "x-gzip"
	if enc != "" && enc != "identity" && !gzipped {
		s.metrics.rejectRequest("content_encoding")
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("unsupported Content-Encoding %q: send gzip or none", r.Header.Get("Content-Encoding")))
		return req, false
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		s.metrics.rejectRequest("too_large")
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes exceeds the limit of %d bytes", r.ContentLength, s.cfg.MaxBodyBytes))
		return req, false
	}

	// Bound the requests decoded at once: memory stays flat under load and
	// the rest wait here, before their bodies are read.
	select {
	case s.inflight <- struct{}{}:
	case <-r.Context().Done():
		return req, false
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	req = otlpRequest{projectID: projectID, mediaType: mediaType, body: buf, inflight: s.inflight}
	if status, msg := s.readBody(buf, w, r, gzipped); status != 0 {
		req.close()
		reason := "malformed"
		if status == http.StatusRequestEntityTooLarge {
			reason = "too_large"
		}
		s.metrics.rejectRequest(reason)
		writeError(w, status, msg)
		return req, false
	}
	return req, true
}

// readBody reads the request body into buf, gunzipping if asked, within the
// configured limits. It returns a non-zero status and a message on failure.
func (s *Server) readBody(buf *bytes.Buffer, w http.ResponseWriter, r *http.Request, gzipped bool) (int, string) {
	// MaxBytesReader also tells net/http to close the connection after an
	// oversize body instead of reading the rest of it.
	body := io.Reader(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	var gz *gzip.Reader
	if gzipped {
		var err error
		gz, err = gzip.NewReader(body)
		if err != nil {
			return tooLargeOr(err, http.StatusBadRequest, "malformed gzip body: "+err.Error(), s.cfg.MaxBodyBytes)
		}
		defer gz.Close()
		body = io.LimitReader(gz, s.cfg.MaxDecompressedBytes+1)
	}
	if _, err := buf.ReadFrom(body); err != nil {
		if gzipped {
			return tooLargeOr(err, http.StatusBadRequest, "malformed gzip body: "+err.Error(), s.cfg.MaxBodyBytes)
		}
		return tooLargeOr(err, http.StatusBadRequest, "reading request body: "+err.Error(), s.cfg.MaxBodyBytes)
	}
	if gzipped && int64(buf.Len()) > s.cfg.MaxDecompressedBytes {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("decompressed body exceeds the limit of %d bytes", s.cfg.MaxDecompressedBytes)
	}
	return 0, ""
}

func tooLargeOr(err error, status int, msg string, limit int64) (int, string) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds the limit of %d bytes", limit)
	}
	return status, msg
}

// writeExportResponse answers an OTLP export in the request's encoding, with
// partial_success when some spans were rejected.
func (s *Server) writeExportResponse(w http.ResponseWriter, mediaType string, rej otlp.Rejection) {
	resp := ptraceotlp.NewExportResponse()
	if rej.Count > 0 {
		resp.PartialSuccess().SetRejectedSpans(int64(rej.Count))
		resp.PartialSuccess().SetErrorMessage(rej.Message)
	}
	var (
		b   []byte
		err error
	)
	if mediaType == contentProto {
		b, err = resp.MarshalProto()
	} else {
		b, err = resp.MarshalJSON()
	}
	if err != nil { // cannot happen for this message; answer something valid anyway
		s.log.Error("encoding export response", "err", err)
		b = nil
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// authStatus maps a credential error to its HTTP status and message.
func authStatus(err error) (int, string) { return auth.HTTPStatus(err) }

// writeRetryable answers 503 with Retry-After: a status every OTLP exporter
// retries.
func writeRetryable(w http.ResponseWriter, msg string) {
	w.Header().Set("Retry-After", retryAfter)
	writeError(w, http.StatusServiceUnavailable, msg)
}
