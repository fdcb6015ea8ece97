package llm

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/semconv"
)

// record is one recognised call on its way to its span. RoundTrip keeps
// the request's context, the time and the request bytes; nothing is parsed
// and no span is started on the caller's path. When the response has ended
// (the body read to its end, a read error, Close, or no body to follow) the
// call is handed to the background recorder, which parses the request,
// starts the span as a child of the context's span at the call's start
// time, parses the response, sets the attributes and status and ends the
// span with the time the response ended.
type record struct {
	t     *transport
	api   api
	ctx   context.Context // the request's: its span is the parent
	start time.Time
	req   requestBody // the request bytes, released once parsed
	span  trace.Span  // started by finish, in the background

	status     int       // the response's HTTP status; 0 without a response
	statusLine string    // the response's Status ("429 Too Many Requests")
	err        error     // the transport's error, before any response
	end        time.Time // when the response ended: the span's end time
}

// job is work handed to the recorder: it runs once, after the caller is
// done with the response. heldBytes is the bytes it keeps until it has run
// (request, answer, stream), which bound the queue (maxQueuedBytes).
type job interface {
	run()
	heldBytes() int
}

// request parses the request; false when the body turns out not to be a
// call (not JSON, no model): no span is then started, as if the call had
// passed through.
func (r *record) request() (c call, ok bool) {
	switch {
	case r.req.parse != nil:
		c, ok = r.api.parseRequest(r.req.parse)
		r.req.release()
		ok = ok && (!c.stream || r.api.streams())
	case r.req.tooLarge:
		c, ok = r.api.pathCall(), true
	}
	return c, ok
}

// drop releases what r holds; no span is recorded for it.
func (r *record) drop() { r.req.release() }

// attrPool holds attribute slices of finished records: SetAttributes copies
// them into the span.
var attrPool = sync.Pool{New: func() any { s := make([]attribute.KeyValue, 0, 64); return &s }}

// finish starts the span (a sampled-out one ends at once, unrecorded),
// sets the request's attributes and those respond adds, the status and
// error, and ends the span at r.end. respond may be nil; it may use r.span.
func (r *record) finish(respond func(attrs []attribute.KeyValue, c call) []attribute.KeyValue) {
	c, ok := r.request()
	if !ok {
		r.drop()
		return
	}
	_, span := r.t.tracer.Start(r.ctx, spanName(c),
		trace.WithSpanKind(trace.SpanKindClient), trace.WithTimestamp(r.start))
	if !span.IsRecording() {
		span.End()
		return
	}
	r.span = span
	p := attrPool.Get().(*[]attribute.KeyValue)
	attrs := r.t.requestAttrs((*p)[:0], r.api.name, c)
	if r.req.tooLarge {
		attrs = append(attrs, attribute.String(semconv.LLMRequestUnrecorded,
			"request body over "+strconv.FormatInt(r.t.cfg.maxRequestBytes, 10)+" bytes"))
	}
	if r.status != 0 {
		attrs = append(attrs, attribute.Int(semconv.HTTPResponseStatusCode, r.status))
	}
	if respond != nil {
		attrs = respond(attrs, c)
	}
	if r.err != nil {
		span.RecordError(r.err, trace.WithTimestamp(r.end))
		attrs = append(attrs, attribute.String(semconv.ErrorType, errorType(r.err)))
		span.SetStatus(codes.Error, r.err.Error())
	}
	span.SetAttributes(attrs...)
	clear(attrs)
	*p = attrs[:0]
	attrPool.Put(p)
	span.End(trace.WithTimestamp(r.end))
}

// plainRecord is a call whose response is not followed (a transport error,
// no body, a body that is not JSON): recorded with its status alone.
type plainRecord struct{ record }

func (p *plainRecord) heldBytes() int { return len(p.req.parse) }

func (p *plainRecord) run() {
	p.finish(func(attrs []attribute.KeyValue, _ call) []attribute.KeyValue {
		if p.status >= 400 {
			attrs = append(attrs, attribute.String(semconv.ErrorType, strconv.Itoa(p.status)))
			p.span.SetStatus(codes.Error, p.statusLine)
		}
		return attrs
	})
}

// DefaultMaxResponseBytes caps the non-streamed response body kept to record
// a call (see WithMaxResponseBytes).
const DefaultMaxResponseBytes = 8 << 20

// responseBody is a non-streamed JSON response body: every Read passes
// through unchanged and the bytes are kept (up to the cap) to be parsed once
// the body has ended, off the caller's path. Read and Close may be called
// from different goroutines.
type responseBody struct {
	rc  io.ReadCloser
	rec record
	max int

	mu       sync.Mutex
	buf      *[]byte // the bytes read so far; nil once over max
	over     bool
	sawEOF   bool
	abandon  bool // closed before EOF
	readErr  error
	finished bool
}

var respPool = sync.Pool{New: func() any { return new([]byte) }}

func newResponseBody(rc io.ReadCloser, rec record, contentLength int64, max int) *responseBody {
	b := respPool.Get().(*[]byte)
	if n := int(min(contentLength, int64(max))) + 1; contentLength > 0 && cap(*b) < n {
		*b = make([]byte, 0, n)
	}
	*b = (*b)[:0]
	return &responseBody{rc: rc, rec: rec, max: max, buf: b}
}

func (b *responseBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.mu.Lock()
	if !b.finished {
		if n > 0 && !b.over {
			if len(*b.buf)+n > b.max {
				b.over = true
				putResp(b.buf)
				b.buf = nil
			} else {
				*b.buf = append(*b.buf, p[:n]...)
			}
		}
		if err != nil {
			b.sawEOF = err == io.EOF
			if !b.sawEOF {
				b.readErr = err
			}
			b.end()
		}
	}
	b.mu.Unlock()
	return n, err
}

// Close ends the record if the body has not ended: what was read is parsed;
// when it is not the whole answer the call is recorded as abandoned.
func (b *responseBody) Close() error {
	err := b.rc.Close()
	b.mu.Lock()
	if !b.finished {
		b.abandon = true
		b.end()
	}
	b.mu.Unlock()
	return err
}

// end hands the record to the recorder; b.mu is held.
func (b *responseBody) end() {
	b.finished = true
	b.rec.end = time.Now()
	b.rec.t.submit(b)
}

func putResp(b *[]byte) {
	if cap(*b) <= maxPooled {
		respPool.Put(b)
	}
}

func (b *responseBody) heldBytes() int {
	n := len(b.rec.req.parse)
	if b.buf != nil {
		n += len(*b.buf)
	}
	return n
}

// run parses the kept answer and ends the span (see the package
// documentation, Failures).
func (b *responseBody) run() {
	r := &b.rec
	a := r.api
	var body []byte
	if b.buf != nil {
		body = *b.buf
		defer putResp(b.buf)
	}
	r.finish(func(attrs []attribute.KeyValue, c call) []attribute.KeyValue {
		if b.over {
			attrs = append(attrs, attribute.String(semconv.LLMResponseUnrecorded,
				"response body over "+strconv.Itoa(b.max)+" bytes"))
		}
		if r.status >= 400 {
			typ, msg := "", ""
			if !b.over {
				typ, msg = parseError(body)
			}
			if typ == "" {
				typ = strconv.Itoa(r.status)
			}
			if msg == "" {
				msg = r.statusLine
			}
			attrs = append(attrs,
				attribute.String(semconv.ErrorType, typ),
				attribute.String(semconv.ErrorMessage, msg))
			r.span.SetStatus(codes.Error, msg)
			return attrs
		}
		if b.readErr != nil {
			r.err = b.readErr
			return attrs
		}
		if b.over {
			return attrs
		}
		res, err := a.parseResponse(body)
		switch {
		case err != nil && b.abandon: // closed before the whole answer was read
			return append(attrs, attribute.Bool(semconv.LLMResponseAbandoned, true))
		case err != nil:
			attrs = append(attrs, attribute.String(semconv.ErrorType, "malformed_response"))
			r.span.SetStatus(codes.Error, fmt.Sprintf("parse %s response: %v", a.name, err))
			return attrs
		}
		return r.t.responseAttrs(attrs, a.name, c, res)
	})
}

// The recorder runs jobs in order on one background goroutine, started on
// first use and parked while idle (one per process, whatever the number of
// transports; a goroutine started per burst would regrow its stack for
// every call). At most maxQueued jobs, holding at most maxQueuedBytes
// between them, wait: past either, the job runs on the caller's goroutine
// instead — the caller never waits for the queue, no call goes unrecorded,
// and memory stays bounded however far behind the recorder falls —
// counted by InlineRecordings. (A job alone may hold more: it is queued
// when the queue is empty.)
const (
	maxQueued      = 1024
	maxQueuedBytes = 64 << 20
)

type recorder struct {
	once        sync.Once
	jobs        chan job
	mu          sync.Mutex
	submitted   uint64 // jobs queued
	done        uint64 // jobs run
	queuedBytes int    // held by the jobs queued and not run
	waiters     []waiter
	inline      atomic.Uint64
}

type waiter struct {
	target uint64
	ch     chan struct{}
}

var background recorder

// submit has j run in the background (see recorder).
func (t *transport) submit(j job) { background.submit(j) }

func (r *recorder) submit(j job) {
	r.once.Do(func() {
		r.jobs = make(chan job, maxQueued)
		go r.work()
	})
	n := j.heldBytes()
	r.mu.Lock()
	if len(r.jobs) == cap(r.jobs) || (r.queuedBytes > 0 && r.queuedBytes+n > maxQueuedBytes) {
		r.mu.Unlock()
		r.inline.Add(1)
		j.run()
		return
	}
	r.submitted++
	r.queuedBytes += n
	r.jobs <- j // never blocks: only submit sends, under r.mu, and there is room
	r.mu.Unlock()
}

func (r *recorder) work() {
	for j := range r.jobs {
		n := j.heldBytes() // before run, which releases what the job holds
		j.run()
		r.mu.Lock()
		r.done++
		r.queuedBytes -= n
		w := r.waiters[:0]
		for _, x := range r.waiters {
			if x.target <= r.done {
				close(x.ch)
			} else {
				w = append(w, x)
			}
		}
		clear(r.waiters[len(w):])
		r.waiters = w
		r.mu.Unlock()
	}
}

// Flush waits until every call whose response ended before Flush was called
// has been recorded (its span ended and handed to the span processors), or
// until ctx is done. The transport records a call off the caller's path, a
// moment after its response body is read to its end or closed: call Flush
// before reading what the spans feed (an exporter, a session's tally) or
// before shutting the tracer provider down. The agentops package's Flush,
// Shutdown, Session.End and Session.Analytics call it.
func Flush(ctx context.Context) error {
	r := &background
	r.mu.Lock()
	if r.done >= r.submitted {
		r.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	r.waiters = append(r.waiters, waiter{target: r.submitted, ch: ch})
	r.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// InlineRecordings returns how many calls were recorded on the caller's
// goroutine because the background queue was full (see Flush).
func InlineRecordings() uint64 { return background.inline.Load() }
