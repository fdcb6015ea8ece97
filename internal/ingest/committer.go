// Package ingest is the server's write path: it prices normalized spans and
// commits them to the store in groups, answering each caller only once its
// spans are durable.
package ingest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// ErrOverloaded is returned by Submit when the queue of spans waiting for a
// commit is full. The caller should answer with a retryable status.
var ErrOverloaded = errors.New("ingest queue full")

// ErrClosed is returned by Submit after Close.
var ErrClosed = errors.New("ingest stopped")

// CommitterConfig sizes the group commit.
type CommitterConfig struct {
	// MaxBatchSpans caps the spans written in one transaction. Requests are
	// never split: one larger than the cap is written alone.
	MaxBatchSpans int
	// MaxQueuedSpans caps the spans accepted but not yet committed; beyond it
	// Submit fails fast with ErrOverloaded.
	MaxQueuedSpans int
}

// DefaultCommitterConfig suits the embedded SQLite store on a small machine.
var DefaultCommitterConfig = CommitterConfig{MaxBatchSpans: 8192, MaxQueuedSpans: 262144}

// Committer groups the spans of concurrent Submit calls into shared
// transactions: one goroutine writes while the next group gathers, so
// throughput does not collapse to one fsync per request.
type Committer struct {
	w       store.SpanWriter
	prep    store.Preparer // w's optional ability, nil without it
	cfg     CommitterConfig
	obs     Observer
	now     func() time.Time
	queue   chan *pending
	queued  atomic.Int64 // spans submitted, not yet answered
	mu      sync.RWMutex // held for reading by Submit's enqueue, for writing by Close
	closed  bool
	done    chan struct{}
	stopped chan struct{}
}

type pending struct {
	spans    []model.Span
	prepared store.Prepared // set instead of spans when the writer prepares
	err      chan error     // buffered(1): the writer never blocks on a caller gone away
}

// Observer receives the committer's measurements (metrics). Methods must be
// cheap and safe for concurrent use.
type Observer interface {
	Committed(spans, requests int, took time.Duration, err error)
	QueueDepth(spans int64)
}

type nopObserver struct{}

func (nopObserver) Committed(int, int, time.Duration, error) {}
func (nopObserver) QueueDepth(int64)                         {}

// NewCommitter starts the writer goroutine; Close stops it.
func NewCommitter(w store.SpanWriter, cfg CommitterConfig, obs Observer) *Committer {
	if cfg.MaxBatchSpans <= 0 {
		cfg.MaxBatchSpans = DefaultCommitterConfig.MaxBatchSpans
	}
	if cfg.MaxQueuedSpans <= 0 {
		cfg.MaxQueuedSpans = DefaultCommitterConfig.MaxQueuedSpans
	}
	if obs == nil {
		obs = nopObserver{}
	}
	c := &Committer{
		w: w, cfg: cfg, obs: obs, now: time.Now,
		queue:   make(chan *pending, 4096),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	c.prep, _ = w.(store.Preparer)
	go c.run()
	return c
}

// Submit queues spans for the next group commit and waits until they are
// durable (nil) or failed. If ctx ends first, Submit returns ctx.Err() but
// the spans may still be committed: the store's chunk dedup makes the
// client's retry harmless.
func (c *Committer) Submit(ctx context.Context, spans []model.Span) error {
	if len(spans) == 0 {
		return nil
	}
	n := int64(len(spans))
	// A request larger than the whole queue is still taken when it is alone.
	if q := c.queued.Add(n); q > int64(c.cfg.MaxQueuedSpans) && q != n {
		c.queued.Add(-n)
		return ErrOverloaded
	}
	p := &pending{spans: spans, err: make(chan error, 1)}
	if c.prep != nil {
		// The CPU part of storing runs here, on the caller's goroutine, in
		// parallel with other requests; the writer only does database work.
		prepared, err := c.prep.Prepare(spans, c.now())
		if err != nil {
			c.queued.Add(-n)
			return err
		}
		p.spans, p.prepared = nil, prepared
	}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		c.queued.Add(-n)
		return ErrClosed
	}
	select {
	case c.queue <- p:
		c.mu.RUnlock()
	default:
		c.mu.RUnlock()
		c.queued.Add(-n)
		return ErrOverloaded
	}
	c.obs.QueueDepth(c.queued.Load())
	select {
	case err := <-p.err:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting, commits everything already queued, and waits for
// the writer to finish. It does not close the store.
func (c *Committer) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.stopped
		return
	}
	c.closed = true
	close(c.queue) // no Submit can send any more: they check closed under mu
	c.mu.Unlock()
	<-c.stopped
}

func (c *Committer) run() {
	defer close(c.stopped)
	var (
		group    []*pending
		spans    []model.Span
		prepared []store.Prepared
	)
	for first := range c.queue {
		group = append(group[:0], first)
		size := first.len()
	gather: // take whatever else is already waiting, up to the cap
		for size < c.cfg.MaxBatchSpans {
			select {
			case p, ok := <-c.queue:
				if !ok {
					break gather
				}
				group = append(group, p)
				size += p.len()
			default:
				break gather
			}
		}
		start := time.Now()
		var err error
		if c.prep != nil {
			prepared = prepared[:0]
			for _, p := range group {
				prepared = append(prepared, p.prepared)
			}
			err = c.prep.WritePrepared(context.Background(), prepared)
			clear(prepared)
		} else {
			spans = spans[:0]
			for _, p := range group {
				spans = append(spans, p.spans...)
			}
			err = c.w.WriteSpans(context.Background(), spans, c.now())
			clear(spans) // drop references to attribute data
		}
		c.obs.Committed(size, len(group), time.Since(start), err)
		// The queue shrinks before anyone is answered, so a caller that
		// reads the metrics after its answer never sees its own spans queued.
		c.obs.QueueDepth(c.queued.Add(-int64(size)))
		for _, p := range group {
			p.err <- err
			p.spans, p.prepared = nil, nil
		}
		clear(group)
	}
}

// len is the number of spans p carries.
func (p *pending) len() int {
	if p.prepared != nil {
		return p.prepared.Len()
	}
	return len(p.spans)
}
