package agentops

import (
	"fmt"
	"net/http"

	"go.opentelemetry.io/otel/attribute"

	"github.com/agentops-go/agentops/semconv"
)

// Middleware traces every request handled by next in a trace of its own,
// on the default client (see Client.Middleware).
func Middleware(next http.Handler) http.Handler { return Default().Middleware(next) }

// Middleware starts one trace per request, named "METHOD route" (the
// ServeMux pattern that matched, else just the method), and passes it in
// the request's context: spans and events made from r.Context() belong to
// that request's trace, so concurrent requests never mix. The root span
// records http.request.method, url.path, http.route and
// http.response.status_code; a 5xx status or a panic ends the trace as
// Failure, anything else as Success. A panic continues after it is
// recorded.
func (c *Client) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := c.StartTrace(r.Context(), r.Method)
		r = r.WithContext(t.Context())
		rw := &statusWriter{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				c.endRequest(t, r, http.StatusInternalServerError, fmt.Sprintf("panic: %v", p))
				panic(p)
			}
			c.endRequest(t, r, rw.code(), "")
		}()
		next.ServeHTTP(rw, r)
	})
}

func (c *Client) endRequest(t *Trace, r *http.Request, status int, reason string) {
	if t.root != nil {
		name := r.Method
		if r.Pattern != "" {
			name = r.Method + " " + routeOf(r.Pattern)
		}
		attrs := []attribute.KeyValue{
			attribute.String(semconv.HTTPRequestMethod, r.Method),
			attribute.String(semconv.URLPath, r.URL.Path),
			attribute.Int(semconv.HTTPResponseStatusCode, status),
		}
		if r.Pattern != "" {
			attrs = append(attrs, attribute.String(semconv.HTTPRoute, routeOf(r.Pattern)))
		}
		_ = safely(func() {
			t.root.SetName(name)
			t.root.SetAttributes(attrs...)
		})
	}
	if status >= 500 {
		if reason == "" {
			reason = fmt.Sprintf("HTTP %d", status)
		}
		t.finish(Failure, reason)
		return
	}
	t.finish(Success, "")
}

// routeOf strips a ServeMux pattern's method and host ("GET example.com/x"
// → "/x").
func routeOf(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] == '/' {
			return pattern[i:]
		}
	}
	return pattern
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer (Flush,
// Hijack, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
