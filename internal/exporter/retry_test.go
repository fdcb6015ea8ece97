package exporter

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A server down when the first batch is sent, and up a moment later on the
// same port, gets every span queued meanwhile, each once.
func TestRetryUntilServerAppears(t *testing.T) {
	url := closedPort(t)
	unanswered := &unansweredCounter{base: newTransport()}
	p, tr, _ := testProcessor(t, Config{
		APIKey: testKey, APIEndpoint: url, HTTPClient: &http.Client{Transport: unanswered},
		MaxQueueSize: 8, MaxBatchSize: 8, ExportTimeout: 10 * time.Second,
	})
	endTrace(tr, 5) // sent at once, and refused
	eventually(t, 5*time.Second, "a refused attempt", func() bool { return unanswered.n.Load() > 0 })

	// The 5 spans wait to be sent again, out of the queue; it takes 8 more
	// without blocking and drops the rest.
	began := time.Now()
	endTrace(tr, 12)
	if d := time.Since(began); d > 100*time.Millisecond {
		t.Errorf("ending 12 spans took %v while the batch waited", d)
	}
	if got, want := p.Stats(), (Stats{Queued: 13, Dropped: 4, Pending: 13}); got != want {
		t.Errorf("with the server down: Stats = %+v, want %+v", got, want)
	}

	f := newFakeServerAt(t, strings.TrimPrefix(url, "http://"))
	up := time.Now()
	flush(t, p)
	t.Logf("delivered %v after the server appeared (%d refused attempts)", time.Since(up), unanswered.n.Load())

	if got, want := p.Stats(), (Stats{Queued: 13, Exported: 13, Dropped: 4}); got != want {
		t.Errorf("after the server appeared: Stats = %+v, want %+v", got, want)
	}
	accepted := f.accepted()
	assertUnique(t, accepted)
	if reqs, _ := f.snapshot(); len(accepted) != 13 || len(reqs) != 2 {
		t.Errorf("server accepted %d spans in %d requests, want 13 in 2", len(accepted), len(reqs))
	}
}

// A connection closed without an answer is sent again; the answer, a
// partial success, is final: the batch is neither resent nor counted twice.
func TestRetryAfterConnectionReset(t *testing.T) {
	f := newFakeServer(t)
	f.resetNext = 1
	f.rejectSpans = 2
	p, tr, _ := testProcessor(t, Config{APIKey: testKey, APIEndpoint: f.URL})
	endTrace(tr, 5)
	flush(t, p)

	if got, want := p.Stats(), (Stats{Queued: 5, Exported: 3, Failed: 2}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
	reqs, _ := f.snapshot()
	var statuses []int
	for _, r := range reqs {
		statuses = append(statuses, r.status)
	}
	if len(statuses) != 2 || statuses[0] != 0 || statuses[1] != 200 {
		t.Errorf("statuses = %v, want [0 200]: a reset, then one answer", statuses)
	}
	assertUnique(t, f.accepted())
}

// Shutdown's deadline cuts a wait between attempts short: it returns by
// then, the batch and the queue counted as Failed, no goroutine left.
func TestShutdownDuringRetryWait(t *testing.T) {
	unanswered := &unansweredCounter{base: newTransport()}
	p, tr, _ := testProcessor(t, Config{
		APIKey: testKey, APIEndpoint: closedPort(t), HTTPClient: &http.Client{Transport: unanswered},
		ExportTimeout: 30 * time.Second,
	})
	endTrace(tr, 5)
	eventually(t, 5*time.Second, "a refused attempt", func() bool { return unanswered.n.Load() > 0 })
	endTrace(tr, 3) // queued behind the waiting batch

	const deadline = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	began := time.Now()
	if err := p.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v, want the deadline", err)
	}
	if d := time.Since(began); d > deadline+200*time.Millisecond {
		t.Errorf("Shutdown returned after %v, its deadline was %v", d, deadline)
	}
	select {
	case <-p.done:
	default:
		t.Error("the export goroutine outlived Shutdown")
	}
	endTrace(tr, 1)
	if got, want := p.Stats(), (Stats{Queued: 8, Failed: 8, Dropped: 1}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}

func TestBackoff(t *testing.T) {
	var b backoff
	var waits []time.Duration
	for range 8 {
		d, ok := b.next(time.Time{})
		if !ok {
			t.Fatal("no deadline, yet no next attempt")
		}
		waits = append(waits, d)
	}
	base := unansweredRetryInitial
	for i, d := range waits {
		if d < base*3/4 || d >= base*5/4 {
			t.Errorf("wait %d = %v, want %v ±25%%", i, d, base)
		}
		base = min(2*base, unansweredRetryMax)
	}

	b = backoff{}
	if d, ok := b.next(time.Now().Add(300 * time.Millisecond)); !ok || d > 200*time.Millisecond {
		t.Errorf("300ms before the deadline: wait %v, %v; want at most 200ms", d, ok)
	}
	if _, ok := b.next(time.Now().Add(lastAttemptRoom / 2)); ok {
		t.Error("no room left before the deadline, yet another attempt")
	}
}

// Shutdown without a deadline against a server that stays down waits about
// one ExportTimeout, not one per queued batch.
func TestShutdownUnreachableWaitsOneExportTimeout(t *testing.T) {
	const exportTimeout = time.Second
	unanswered := &unansweredCounter{base: newTransport()}
	p, tr, _ := testProcessor(t, Config{
		APIKey: testKey, APIEndpoint: closedPort(t), HTTPClient: &http.Client{Transport: unanswered},
		MaxBatchSize: 4, MaxWaitTime: time.Minute, ExportTimeout: exportTimeout,
	})
	ctx, root := tr.Start(context.Background(), "session")
	defer root.End()
	for range 12 { // three batches; the first is sent at once
		_, s := tr.Start(ctx, "span")
		s.End()
	}
	eventually(t, 5*time.Second, "a refused attempt", func() bool { return unanswered.n.Load() > 0 })

	began := time.Now()
	if err := p.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
	if d := time.Since(began); d > exportTimeout+500*time.Millisecond {
		t.Errorf("Shutdown took %v, want about one ExportTimeout (%v)", d, exportTimeout)
	}
	if got, want := p.Stats(), (Stats{Queued: 12, Failed: 12}); got != want {
		t.Errorf("Stats = %+v, want %+v", got, want)
	}
}
