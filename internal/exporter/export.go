package exporter

import (
	"context"
	"net/http"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// run is the export goroutine. It sends what is queued on a signal (a full
// batch, a root span's end, ForceFlush) or when MaxWaitTime has passed, and
// returns when Shutdown closes p.stop.
func (p *Processor) run(ctx context.Context) {
	defer close(p.done)
	timer := time.NewTimer(p.cfg.MaxWaitTime)
	defer timer.Stop()
	for {
		select {
		case <-p.stop:
			p.abandon()
			return
		case <-p.kick:
		case <-timer.C:
		}
		p.exportQueued(ctx)
		timer.Reset(p.cfg.MaxWaitTime)
	}
}

// exportQueued sends, in batches, every span queued when it starts, and
// goes on while a full batch is waiting. It stops early only when ctx is
// cancelled (Shutdown gave up).
func (p *Processor) exportQueued(ctx context.Context) {
	p.mu.Lock()
	owed := p.queue.len()
	p.mu.Unlock()
	for ctx.Err() == nil {
		p.mu.Lock()
		if owed <= 0 && p.queue.len() < p.batchSize {
			p.mu.Unlock()
			return
		}
		p.batch = p.queue.take(p.batch[:0], p.batchSize)
		p.mu.Unlock()
		n := len(p.batch)
		if n == 0 {
			return
		}
		owed -= n
		p.send(ctx, p.batch)
		clear(p.batch) // the exporter has copied them; hold no reference
		p.settle(n)
	}
}

// send exports one batch and counts its spans, once, as Exported or
// Failed. A batch that got no answer is sent again until ExportTimeout (see
// retry.go); an answered one never is, so a partial success is not resent.
func (p *Processor) send(ctx context.Context, batch []sdktrace.ReadOnlySpan) {
	n := int64(len(batch))
	if p.endpointErr != nil {
		p.fail(n, &attempt{}, p.endpointErr)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.ExportTimeout)
	defer cancel()
	rec := &attempt{}
	err := p.export(ctx, rec, batch)
	p.unreachable = rec.err != nil
	switch {
	case err == nil:
		p.exported.Add(n)
	case rec.delivered():
		// The server took the request but refused some spans (partial success).
		rejected := min(max(rec.rejected, 0), n)
		p.exported.Add(n - rejected)
		if rejected > 0 {
			p.fail(rejected, rec, err)
		}
	default:
		p.fail(n, rec, err)
	}
}

// export sends batch until the server answers, the error is not worth
// another attempt, or ctx ends (ExportTimeout, or Shutdown gave up). Once
// Shutdown has begun and a whole batch went unanswered, later batches get
// one attempt each: a dead server then holds up an exiting program for one
// ExportTimeout, not one per batch. rec holds what the transport saw of the
// last attempt.
func (p *Processor) export(ctx context.Context, rec *attempt, batch []sdktrace.ReadOnlySpan) error {
	ctx = withAttempt(ctx, rec)
	deadline, _ := ctx.Deadline()
	var b backoff
	for tries := 1; ; tries++ {
		*rec = attempt{}
		err := p.exp.ExportSpans(ctx, batch)
		if err == nil || rec.err == nil || !retryable(rec.err) || (p.unreachable && p.closing()) {
			return err
		}
		wait, ok := b.next(deadline)
		if !ok {
			return err
		}
		p.log.Debug("agentops: no answer from the server; sending the batch again",
			"spans", len(batch), "attempt", tries, "retry_in", wait, "error", err)
		if !sleep(ctx, wait) {
			return err
		}
	}
}

// closing reports whether Shutdown has begun.
func (p *Processor) closing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// fail counts n spans as Failed and warns, at most once per interval,
// naming the cause: the last HTTP status and the server's message, or the
// error when no answer came.
func (p *Processor) fail(n int64, rec *attempt, err error) {
	total := p.failed.Add(n)
	if p.cfg.APIKey == "" && rec.status == http.StatusUnauthorized {
		p.noKeyWarn.Do(func() {
			p.log.Warn("agentops: no API key configured; the server refuses spans without one",
				"failed_total", total, "status", rec.statusText, "message", rec.message)
		})
		return
	}
	if !p.failWarn.allow() {
		return
	}
	attrs := []any{"spans", n, "failed_total", total, "endpoint", p.cfg.ExporterEndpoint}
	if rec.status != 0 {
		attrs = append(attrs, "status", rec.statusText, "message", rec.message)
	} else {
		attrs = append(attrs, "error", err)
	}
	p.log.Warn("agentops: spans not delivered", attrs...)
}

// settle records that n more spans left the queue for good and wakes
// ForceFlush callers.
func (p *Processor) settle(n int) {
	p.mu.Lock()
	p.settled += uint64(n)
	close(p.progress)
	p.progress = make(chan struct{})
	p.mu.Unlock()
}

// abandon counts the spans still queued when the goroutine stops as Failed:
// Shutdown ran out of time before they could be sent.
func (p *Processor) abandon() {
	p.mu.Lock()
	p.batch = p.queue.take(p.batch[:0], p.queue.len())
	n := len(p.batch)
	clear(p.batch)
	p.mu.Unlock()
	if n == 0 {
		return
	}
	total := p.failed.Add(int64(n))
	p.log.Warn("agentops: shutdown ended before these spans could be sent", "spans", n, "failed_total", total)
	p.settle(n)
}
