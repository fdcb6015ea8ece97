package loadgen

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// Backoff for 429 and 503 without Retry-After, and for transport errors:
// doubling from minBackoff up to maxBackoff, reset by a 2xx. A Retry-After is
// obeyed up to maxRetryAfter.
const (
	minBackoff    = 100 * time.Millisecond
	maxBackoff    = 5 * time.Second
	maxRetryAfter = time.Minute
)

// maxResponseBody is how much of a response is read for its partial_success;
// the rest is discarded so the connection can be reused.
const maxResponseBody = 1 << 20

// Run sends load as cfg describes until the measured run is over or ctx is
// cancelled, writes the report to cfg.Out and returns the figures. A
// cancelled ctx is a normal stop: Run reports what it measured so far, sets
// Result.Interrupted and returns a nil error. Requests in flight at that
// moment are abandoned and left out of the figures. Only a bad Config or a
// payload that cannot be built is an error.
func Run(ctx context.Context, cfg Config) (Result, error) {
	if err := cfg.Validate(); err != nil {
		return Result{}, err
	}
	target, _ := cfg.TracesURL() // validated above
	built := time.Now()
	p, err := newPool(&cfg)
	if err != nil {
		return Result{}, err
	}
	if cfg.Log != nil {
		fmt.Fprintf(cfg.Log, "loadgen: %d bodies of %d spans in %d traces, %s %s each, encoded in %s; %d connections to %s; %s\n",
			len(p.bodies), cfg.SpansPerRequest, cfg.TracesPerRequest, formatBytes(float64(p.meanRawSize())), cfg.Encoding,
			time.Since(built).Round(time.Millisecond), cfg.Connections, target, runLength(&cfg))
	}

	r := &runner{cfg: &cfg, url: target, header: requestHeader(&cfg, p)}
	start := time.Now()
	r.warmupEnd = start.Add(cfg.Warmup)
	if cfg.Requests == 0 {
		r.deadline = r.warmupEnd.Add(cfg.Duration)
	}
	workers := make([]*worker, cfg.Connections)
	var wg sync.WaitGroup
	for i := range workers {
		w := r.newWorker(p.stream(i * len(p.bodies) / len(workers)))
		workers[i] = w
		wg.Go(func() {
			defer w.transport.CloseIdleConnections()
			w.run(ctx)
		})
	}
	wg.Wait()

	res := r.result(workers, p, ctx.Err() != nil)
	if cfg.Out != nil {
		if cfg.JSON {
			err = writeJSON(cfg.Out, &res)
		} else {
			err = writeText(cfg.Out, &res)
		}
		if err != nil {
			return res, fmt.Errorf("loadgen: write report: %w", err)
		}
	}
	return res, nil
}

func runLength(cfg *Config) string {
	s := fmt.Sprintf("%d requests", cfg.Requests)
	if cfg.Requests == 0 {
		s = cfg.Duration.String()
	}
	if cfg.Warmup > 0 {
		s = cfg.Warmup.String() + " warmup, then " + s
	}
	return s
}

func requestHeader(cfg *Config, p *pool) http.Header {
	h := http.Header{"User-Agent": {"agentops-loadgen"}}
	for k, v := range cfg.Headers {
		h.Set(k, v)
	}
	// The body decides these; the API key flag wins over a --header.
	h.Set("Content-Type", p.contentType)
	if p.gzip {
		h.Set("Content-Encoding", "gzip")
	}
	if cfg.APIKey != "" {
		h.Set(APIKeyHeader, cfg.APIKey)
	}
	return h
}

// runner is what the workers share.
type runner struct {
	cfg       *Config
	url       string
	header    http.Header
	warmupEnd time.Time
	deadline  time.Time    // zero when the run is counted in requests
	claimed   atomic.Int64 // measured requests started, against cfg.Requests
}

// worker sends requests one at a time on its own keep-alive connection.
type worker struct {
	r         *runner
	transport *http.Transport
	client    *http.Client
	stream    *stream
	header    http.Header
	resp      bytes.Buffer
	backoff   time.Duration // next pause without a Retry-After
	stats     stats
}

func (r *runner) newWorker(s *stream) *worker {
	t := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: r.cfg.Insecure},        // only with --insecure
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{}, // HTTP/1.1 only
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     90 * time.Second,
	}
	return &worker{
		r:         r,
		transport: t,
		client:    &http.Client{Transport: t, Timeout: r.cfg.Timeout},
		stream:    s,
		header:    r.header.Clone(),
		backoff:   minBackoff,
		stats:     stats{statuses: map[int]int64{}},
	}
}

func (w *worker) run(ctx context.Context) {
	r := w.r
	for ctx.Err() == nil {
		now := time.Now()
		measured := !now.Before(r.warmupEnd)
		if measured {
			if !r.deadline.IsZero() && !now.Before(r.deadline) {
				return
			}
			if r.cfg.Requests > 0 && r.claimed.Add(1) > int64(r.cfg.Requests) {
				return
			}
		}
		req := w.stream.nextRequest()
		o := w.send(ctx, req)
		if ctx.Err() != nil {
			return // interrupted: the outcome is the cancellation, not the server's
		}
		if measured {
			w.stats.add(req, o)
		}
		if pause := w.pause(o); pause > 0 {
			slept := sleep(ctx, pause, r.deadline)
			if measured {
				w.stats.backoff += slept
			}
		}
	}
}

// outcome is what one request came to.
type outcome struct {
	status     int   // 0 when no response arrived
	err        error // transport error
	latency    time.Duration
	done       time.Time
	rejected   int64 // partial_success.rejected_spans of a 2xx
	badBody    bool  // a 2xx whose body is not an OTLP response
	retryAfter time.Duration
	hasRetry   bool
}

func (w *worker) send(ctx context.Context, r request) outcome {
	defer func() {
		if r.lease != nil {
			r.lease.release() // the worker's own reference
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.r.url, nil)
	if err != nil {
		return outcome{err: err, done: time.Now()}
	}
	req.Header = w.header
	req.ContentLength = int64(len(r.body))
	req.Body = newLeasedBody(r.body, r.lease)
	req.GetBody = func() (io.ReadCloser, error) { return newLeasedBody(r.body, r.lease), nil }

	start := time.Now()
	resp, err := w.client.Do(req)
	if err != nil {
		now := time.Now()
		return outcome{err: err, latency: now.Sub(start), done: now}
	}
	w.resp.Reset()
	_, rerr := w.resp.ReadFrom(io.LimitReader(resp.Body, maxResponseBody))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 16*maxResponseBody))
	resp.Body.Close()
	now := time.Now()
	o := outcome{status: resp.StatusCode, latency: now.Sub(start), done: now}
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		var perr error
		o.rejected, perr = rejectedSpans(resp.Header.Get("Content-Type"), w.resp.Bytes())
		o.badBody = perr != nil || rerr != nil
		o.rejected = min(max(o.rejected, 0), int64(r.spans))
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		o.retryAfter, o.hasRetry = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	return o
}

// pause is how long the worker waits before its next request.
func (w *worker) pause(o outcome) time.Duration {
	switch {
	case o.status >= 200 && o.status < 300:
		w.backoff = minBackoff
		return 0
	case o.hasRetry:
		return min(o.retryAfter, maxRetryAfter)
	case o.status == http.StatusTooManyRequests || o.status == http.StatusServiceUnavailable || o.err != nil:
		d := w.backoff
		w.backoff = min(2*w.backoff, maxBackoff)
		return d
	}
	return 0
}

// sleep waits for d, or less if ctx ends or the deadline (when set) passes
// first, and returns how long it waited.
func sleep(ctx context.Context, d time.Duration, deadline time.Time) time.Duration {
	start := time.Now()
	if !deadline.IsZero() {
		d = min(d, deadline.Sub(start))
	}
	if d <= 0 {
		return 0
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return time.Since(start)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(h string, now time.Time) (time.Duration, bool) {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0, false
	}
	if secs, err := strconv.Atoi(h); err == nil {
		if secs < 0 {
			return 0, false
		}
		return min(time.Duration(secs)*time.Second, maxRetryAfter), true
	}
	if t, err := http.ParseTime(h); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

var errNotOTLP = errors.New("response is not an OTLP ExportTraceServiceResponse")

// rejectedSpans reads partial_success.rejected_spans from a 2xx body, proto
// or JSON as its Content-Type says. An empty body or a body of another media
// type (some receivers answer text) rejects nothing.
func rejectedSpans(contentType string, body []byte) (int64, error) {
	if len(body) == 0 {
		return 0, nil
	}
	resp := ptraceotlp.NewExportResponse()
	mt, _, _ := mime.ParseMediaType(contentType)
	var err error
	switch mt {
	case "application/x-protobuf", "application/protobuf", "application/octet-stream":
		err = resp.UnmarshalProto(body)
	case "application/json":
		err = resp.UnmarshalJSON(body)
	case "":
		if err = resp.UnmarshalProto(body); err != nil {
			resp = ptraceotlp.NewExportResponse()
			err = resp.UnmarshalJSON(body)
		}
	default:
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %v", errNotOTLP, err)
	}
	return resp.PartialSuccess().RejectedSpans(), nil
}
