package demo

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"

	"github.com/agentops-go/agentops/internal/ingest"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// DefaultBatchSpans is how many spans one request carries at most: far
// below the server's default limits (20,000 spans, 16 MiB as sent), so
// that a server started with tighter limits takes the demo too.
const DefaultBatchSpans = 1000

// Result is what a delivery wrote, as the server recorded it.
type Result struct {
	Sessions   int
	Spans      int
	SessionIDs []string // hex trace ids, in delivery order
	CostUSD    float64  // the sessions' total cost, as the server priced it
	Unpriced   int64    // LLM calls the server could not price
}

// Batches splits td into requests of at most maxSpans spans (0:
// DefaultBatchSpans). Sessions are kept whole in one request when they fit
// and split otherwise; their order is kept.
func Batches(td ptrace.Traces, maxSpans int) []ptrace.Traces {
	if maxSpans <= 0 {
		maxSpans = DefaultBatchSpans
	}
	var out []ptrace.Traces
	cur, n := ptrace.NewTraces(), 0
	flush := func() {
		if n > 0 {
			out = append(out, cur)
			cur, n = ptrace.NewTraces(), 0
		}
	}
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		rs := rss.At(i)
		count := 0
		for j := range rs.ScopeSpans().Len() {
			count += rs.ScopeSpans().At(j).Spans().Len()
		}
		if count <= maxSpans {
			if n+count > maxSpans {
				flush()
			}
			rs.CopyTo(cur.ResourceSpans().AppendEmpty())
			n += count
			continue
		}
		// Too big for one request: the resource and scope are repeated in
		// each piece.
		for j := range rs.ScopeSpans().Len() {
			ss := rs.ScopeSpans().At(j)
			spans := ss.Spans()
			for k := 0; k < spans.Len(); {
				if n == maxSpans {
					flush()
				}
				nrs := cur.ResourceSpans().AppendEmpty()
				rs.Resource().CopyTo(nrs.Resource())
				nrs.SetSchemaUrl(rs.SchemaUrl())
				nss := nrs.ScopeSpans().AppendEmpty()
				ss.Scope().CopyTo(nss.Scope())
				nss.SetSchemaUrl(ss.SchemaUrl())
				for ; k < spans.Len() && n < maxSpans; k++ {
					spans.At(k).CopyTo(nss.Spans().AppendEmpty())
					n++
				}
			}
		}
	}
	flush()
	return out
}

// sessionIDs lists the distinct trace ids of td in order of appearance.
func sessionIDs(td ptrace.Traces) []model.TraceID {
	var ids []model.TraceID
	seen := map[model.TraceID]bool{}
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		sss := rss.At(i).ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				id := model.TraceID(spans.At(k).TraceID())
				if !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

// ErrUnreachable is returned (wrapped) when no server answers at the
// endpoint.
var ErrUnreachable = errors.New("server unreachable")

// ErrRefused is returned (wrapped) when the server refuses the API key.
var ErrRefused = errors.New("API key refused")

// SendConfig says where Send delivers.
type SendConfig struct {
	// Endpoint is the server's base URL (http://127.0.0.1:4318); a URL
	// ending in /v1/traces is accepted too. A missing scheme means http.
	Endpoint string
	APIKey   string       // sent as X-Agentops-Api-Key
	Client   *http.Client // nil: one with a 30 s timeout
	// MaxSpans is the most spans per request (0: DefaultBatchSpans).
	MaxSpans int
}

// BaseURL returns the endpoint's base URL (scheme and host, no path), or
// an error naming what is wrong with it.
func (c SendConfig) BaseURL() (string, error) {
	raw := strings.TrimSpace(c.Endpoint)
	if raw == "" {
		return "", errors.New("endpoint is empty")
	}
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("endpoint scheme %q is not http or https", u.Scheme)
	}
	if u.Host == "" {
		return "", fmt.Errorf("endpoint %q has no host", c.Endpoint)
	}
	p := strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), "/v1/traces")
	return u.Scheme + "://" + u.Host + p, nil
}

// Send posts td to a running server over OTLP/HTTP (protobuf, gzip) in
// batches of at most cfg.MaxSpans spans, one request at a time, retrying a
// 503 after its Retry-After a few times. It then reads back each session's
// statistics (GET /v2/sessions/{id}/stats) for the cost the server priced.
//
// A server that cannot be reached gives ErrUnreachable, a refused key
// (401, 403) ErrRefused, both wrapped with what the server said; any other
// refusal is an error quoting the server's {"error": ...}.
func Send(ctx context.Context, cfg SendConfig, td ptrace.Traces) (Result, error) {
	base, err := cfg.BaseURL()
	if err != nil {
		return Result{}, err
	}
	hc := cfg.Client
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	c := &client{http: hc, base: base, key: cfg.APIKey}
	for _, batch := range Batches(td, cfg.MaxSpans) {
		if err := c.export(ctx, batch); err != nil {
			return Result{}, err
		}
	}
	res := Result{Spans: td.SpanCount()}
	for _, id := range sessionIDs(td) {
		var st struct {
			Cost struct {
				TotalUSD      float64 `json:"total_usd"`
				UnpricedCalls int64   `json:"unpriced_calls"`
			} `json:"cost"`
		}
		if err := c.getJSON(ctx, "/v2/sessions/"+id.String()+"/stats", &st); err != nil {
			return Result{}, fmt.Errorf("reading back session %s: %w", id, err)
		}
		res.SessionIDs = append(res.SessionIDs, id.String())
		res.CostUSD += st.Cost.TotalUSD
		res.Unpriced += st.Cost.UnpricedCalls
	}
	res.Sessions = len(res.SessionIDs)
	return res, nil
}

type client struct {
	http      *http.Client
	base, key string
}

// maxAttempts bounds the tries of one request refused with 503.
const maxAttempts = 5

func (c *client) export(ctx context.Context, td ptrace.Traces) error {
	var m ptrace.ProtoMarshaler
	raw, err := m.MarshalTraces(td)
	if err != nil {
		return fmt.Errorf("encoding spans: %w", err)
	}
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	for attempt := 1; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/v1/traces", bytes.NewReader(body.Bytes()))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/x-protobuf")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("X-Agentops-Api-Key", c.key)
		resp, err := c.do(req)
		if err != nil {
			return err
		}
		if resp.StatusCode == http.StatusOK {
			return partialSuccess(resp)
		}
		msg := errorMessage(resp)
		switch {
		case resp.StatusCode == http.StatusServiceUnavailable && attempt < maxAttempts:
			if err := sleep(ctx, retryAfter(resp.Header.Get("Retry-After"))); err != nil {
				return err
			}
			continue
		}
		return statusError(resp.StatusCode, msg)
	}
}

func (c *client) getJSON(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("X-Agentops-Api-Key", c.key)
	resp, err := c.do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return statusError(resp.StatusCode, errorMessage(resp))
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	return nil
}

func (c *client) do(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, fmt.Errorf("%w: no AgentOps server answers at %s (%v): start one with 'agentops serve', or pass --endpoint", ErrUnreachable, c.base, err)
	}
	return resp, nil
}

// partialSuccess reads an export's answer and closes its body: an error
// when the server refused some of the spans.
func partialSuccess(resp *http.Response) error {
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading the server's answer: %w", err)
	}
	er := ptraceotlp.NewExportResponse()
	if err := er.UnmarshalProto(b); err != nil {
		return fmt.Errorf("decoding the server's answer: %w", err)
	}
	if ps := er.PartialSuccess(); ps.RejectedSpans() > 0 {
		return fmt.Errorf("the server refused %d spans: %s", ps.RejectedSpans(), ps.ErrorMessage())
	}
	return nil
}

// errorMessage reads the {"error": ...} of an answer and closes its body.
func errorMessage(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 300 {
		return ""
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		return e.Error
	}
	return strings.TrimSpace(string(b))
}

func statusError(status int, msg string) error {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%w: the server answered %d %q: pass a key of this server with --api-key or AGENTOPS_API_KEY ('agentops serve' prints one when it creates the project; 'agentops keys create' makes more)", ErrRefused, status, msg)
	}
	return fmt.Errorf("the server answered %d: %s", status, msg)
}

func retryAfter(h string) time.Duration {
	if n, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && n >= 0 && n <= 60 {
		return time.Duration(n) * time.Second
	}
	return time.Second
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Exporter is the server's ingest path: *ingest.Pipeline.
type Exporter interface {
	Export(ctx context.Context, projectID string, td ptrace.Traces) (ingest.Result, error)
}

// Write ingests td for projectID through exp, the same pipeline the server
// runs behind POST /v1/traces (normalize, price, group commit), in batches
// of at most maxSpans spans (0: DefaultBatchSpans); each returns once its
// spans are durable. It then reads each session back from r for the cost.
func Write(ctx context.Context, exp Exporter, r store.SessionReader, projectID string, td ptrace.Traces, maxSpans int) (Result, error) {
	for _, batch := range Batches(td, maxSpans) {
		res, err := exp.Export(ctx, projectID, batch)
		if err != nil {
			return Result{}, fmt.Errorf("writing spans: %w", err)
		}
		if res.Rejected.Count > 0 {
			return Result{}, fmt.Errorf("writing spans: %s", res.Rejected.Message)
		}
	}
	res := Result{Spans: td.SpanCount()}
	for _, id := range sessionIDs(td) {
		s, err := r.Session(ctx, projectID, id)
		if err != nil {
			return Result{}, fmt.Errorf("reading back session %s: %w", id, err)
		}
		res.SessionIDs = append(res.SessionIDs, id.String())
		res.CostUSD += s.Cost
		res.Unpriced += s.Unpriced
	}
	res.Sessions = len(res.SessionIDs)
	return res, nil
}
