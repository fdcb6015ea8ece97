package exporter

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// authTransport adds the credential to every OTLP request: the bearer token
// when one can be had, else the API key header. A 401 to a bearer token
// drops that token and sends the request once more with a fresh one.
type authTransport struct {
	base   http.RoundTripper
	tokens *tokenSource
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.send(req)
	if rec := attemptFrom(req.Context()); rec != nil {
		if err != nil {
			rec.unanswered(err)
		} else {
			rec.record(resp)
		}
	}
	return resp, err
}

func (t *authTransport) send(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	cred := t.tokens.credential(ctx)
	resp, err := t.base.RoundTrip(cred.apply(req))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusUnauthorized && cred.bearer && req.GetBody != nil {
		if body, err := req.GetBody(); err == nil {
			discard(resp.Body)
			t.tokens.invalidate(cred.value)
			retry := t.tokens.credential(ctx).apply(req)
			retry.Body = body
			return t.base.RoundTrip(retry)
		}
	}
	return resp, nil
}

// credential is what authenticates one request.
type credential struct {
	bearer bool   // value is a token, else an API key (or nothing)
	value  string // "" sends no credential
}

// apply returns a copy of req carrying c; req itself is not modified, as a
// RoundTripper must not.
func (c credential) apply(req *http.Request) *http.Request {
	r := req.Clone(req.Context())
	r.Header.Del("Authorization")
	r.Header.Del(apiKeyHeader)
	switch {
	case c.value == "":
	case c.bearer:
		r.Header.Set("Authorization", "Bearer "+c.value)
	default:
		r.Header.Set(apiKeyHeader, c.value)
	}
	return r
}

const apiKeyHeader = "X-Agentops-Api-Key"

// attempt is what the transport saw of the last request of one export: the
// answer, so a failure can be reported with the server's own words, or the
// error when no answer came, so the export can be tried again.
type attempt struct {
	status     int
	statusText string // "503 Service Unavailable"
	message    string // the server's error message, or partial success message
	rejected   int64  // spans refused by a partial success
	err        error  // no answer came: connection refused or reset, DNS failure, timeout
}

type attemptKey struct{}

func withAttempt(ctx context.Context, a *attempt) context.Context {
	return context.WithValue(ctx, attemptKey{}, a)
}

func attemptFrom(ctx context.Context) *attempt {
	a, _ := ctx.Value(attemptKey{}).(*attempt)
	return a
}

func (a *attempt) delivered() bool { return a.status >= 200 && a.status < 300 }

// maxPeek bounds what is read of an answer to learn its message; the rest
// still reaches the OTLP client.
const maxPeek = 64 << 10

// unanswered records a request that got no answer.
func (a *attempt) unanswered(err error) { *a = attempt{err: err} }

func (a *attempt) record(resp *http.Response) {
	*a = attempt{status: resp.StatusCode, statusText: resp.Status}
	body := peek(resp, maxPeek)
	if a.delivered() {
		if len(body) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/x-protobuf") {
			var r coltracepb.ExportTraceServiceResponse
			if proto.Unmarshal(body, &r) == nil && r.PartialSuccess != nil {
				a.rejected = r.PartialSuccess.RejectedSpans
				a.message = r.PartialSuccess.ErrorMessage
			}
		}
		return
	}
	a.message = errorMessage(body)
}

// errorMessage extracts the text of an error body: our server's
// {"error","code","message"} or any google.rpc.Status as JSON, else the
// body itself, shortened.
func errorMessage(body []byte) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		if e.Message != "" {
			return e.Message
		}
		if e.Error != "" {
			return e.Error
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// peek reads up to limit bytes of resp.Body and puts them back in front of
// the rest, so the caller can still read the whole body.
func peek(resp *http.Response, limit int64) []byte {
	if resp.Body == nil || resp.Body == http.NoBody {
		return nil
	}
	head, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	return head
}

// discard drains a little of body, so its connection can be reused, and
// closes it.
func discard(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, maxPeek))
	_ = body.Close()
}

// newTransport is the default HTTP transport: bounded dial and TLS
// handshakes; whole requests are bounded by ExportTimeout.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
