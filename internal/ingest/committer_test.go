package ingest

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// gateWriter records each WriteSpans call and blocks it until released, so a
// test can see which submissions share a transaction.
type gateWriter struct {
	mu      sync.Mutex
	calls   []int // spans per call
	entered chan struct{}
	release chan error
}

func newGateWriter() *gateWriter {
	return &gateWriter{entered: make(chan struct{}, 100), release: make(chan error, 100)}
}

func (g *gateWriter) WriteSpans(_ context.Context, spans []model.Span, _ time.Time) error {
	g.mu.Lock()
	g.calls = append(g.calls, len(spans))
	g.mu.Unlock()
	g.entered <- struct{}{}
	return <-g.release
}

func (g *gateWriter) callSizes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.calls...)
}

func spansN(n int) []model.Span { return make([]model.Span, n) }

func TestCommitterGroupsConcurrentSubmissions(t *testing.T) {
	w := newGateWriter()
	c := NewCommitter(w, CommitterConfig{MaxBatchSpans: 1000, MaxQueuedSpans: 10000}, nil)
	defer c.Close()

	errs := make(chan error, 10)
	go func() { errs <- c.Submit(context.Background(), spansN(10)) }()
	<-w.entered // the first request is being written alone

	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- c.Submit(context.Background(), spansN(20)) }()
	}
	waitFor(t, func() bool { return c.queued.Load() == 110 })
	w.release <- nil
	<-w.entered // the five waiting requests share the second transaction
	w.release <- nil
	wg.Wait()
	for range 6 {
		if err := <-errs; err != nil {
			t.Fatalf("Submit: %v", err)
		}
	}
	if got := w.callSizes(); len(got) != 2 || got[0] != 10 || got[1] != 100 {
		t.Fatalf("transactions = %v, want [10 100]", got)
	}
	if q := c.queued.Load(); q != 0 {
		t.Fatalf("queued after commit = %d, want 0", q)
	}
}

func TestCommitterCapsBatchSize(t *testing.T) {
	w := newGateWriter()
	c := NewCommitter(w, CommitterConfig{MaxBatchSpans: 50, MaxQueuedSpans: 10000}, nil)
	defer c.Close()
	go func() { _ = c.Submit(context.Background(), spansN(1)) }()
	<-w.entered
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); _ = c.Submit(context.Background(), spansN(30)) }()
	}
	waitFor(t, func() bool { return c.queued.Load() == 121 })
	for range 2 {
		w.release <- nil
		<-w.entered
	}
	w.release <- nil
	wg.Wait()
	// 1 alone, then 30+30 (reaches the cap of 50), then 30+30.
	got := w.callSizes()
	want := []int{1, 60, 60}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("transactions = %v, want %v", got, want)
	}
}

func TestCommitterReportsWriteErrorToEveryCallerOfTheGroup(t *testing.T) {
	w := newGateWriter()
	c := NewCommitter(w, CommitterConfig{}, nil)
	defer c.Close()
	go func() { _ = c.Submit(context.Background(), spansN(1)) }()
	<-w.entered
	errs := make(chan error, 3)
	for range 3 {
		go func() { errs <- c.Submit(context.Background(), spansN(2)) }()
	}
	waitFor(t, func() bool { return c.queued.Load() == 7 })
	boom := errors.New("disk full")
	w.release <- nil
	<-w.entered
	w.release <- boom
	for range 3 {
		if err := <-errs; !errors.Is(err, boom) {
			t.Fatalf("Submit = %v, want %v", err, boom)
		}
	}
}

func TestCommitterOverloadFailsFast(t *testing.T) {
	w := newGateWriter()
	c := NewCommitter(w, CommitterConfig{MaxBatchSpans: 100, MaxQueuedSpans: 100}, nil)
	defer c.Close()
	go func() { _ = c.Submit(context.Background(), spansN(60)) }()
	<-w.entered
	if err := c.Submit(context.Background(), spansN(41)); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("Submit over the queue cap = %v, want ErrOverloaded", err)
	}
	// What fits is still taken.
	done := make(chan error)
	go func() { done <- c.Submit(context.Background(), spansN(40)) }()
	waitFor(t, func() bool { return c.queued.Load() == 100 })
	w.release <- nil
	<-w.entered
	w.release <- nil
	if err := <-done; err != nil {
		t.Fatalf("Submit within the cap: %v", err)
	}
}

func TestCommitterTakesOneOversizeRequestWhenIdle(t *testing.T) {
	w := newGateWriter()
	c := NewCommitter(w, CommitterConfig{MaxBatchSpans: 10, MaxQueuedSpans: 10}, nil)
	defer c.Close()
	done := make(chan error)
	go func() { done <- c.Submit(context.Background(), spansN(25)) }()
	<-w.entered
	w.release <- nil
	if err := <-done; err != nil {
		t.Fatalf("oversize request on an idle queue: %v", err)
	}
}

func TestCommitterCloseCommitsQueuedThenRefuses(t *testing.T) {
	w := newGateWriter()
	c := NewCommitter(w, CommitterConfig{}, nil)
	go func() { _ = c.Submit(context.Background(), spansN(1)) }()
	<-w.entered
	done := make(chan error)
	go func() { done <- c.Submit(context.Background(), spansN(3)) }()
	waitFor(t, func() bool { return c.queued.Load() == 4 })

	closed := make(chan struct{})
	go func() { c.Close(); close(closed) }()
	w.release <- nil
	<-w.entered // the queued request is still written during Close
	w.release <- nil
	if err := <-done; err != nil {
		t.Fatalf("queued Submit during Close: %v", err)
	}
	<-closed
	if err := c.Submit(context.Background(), spansN(1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Submit after Close = %v, want ErrClosed", err)
	}
	if got := w.callSizes(); len(got) != 2 || got[1] != 3 {
		t.Fatalf("transactions = %v, want [1 3]", got)
	}
}

func TestCommitterSubmitReturnsWhenContextEnds(t *testing.T) {
	w := newGateWriter()
	c := NewCommitter(w, CommitterConfig{}, nil)
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Submit(ctx, spansN(1)) }()
	<-w.entered
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Submit = %v, want context.Canceled", err)
	}
	w.release <- nil // the writer finishes; nobody is left blocked
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

// prepWriter is a gateWriter that also prepares: it records the batches
// WritePrepared receives.
type prepWriter struct {
	*gateWriter
	prepares atomic.Int32
}

type fakePrepared int

func (f fakePrepared) Len() int { return int(f) }

func (p *prepWriter) Prepare(spans []model.Span, _ time.Time) (store.Prepared, error) {
	p.prepares.Add(1)
	return fakePrepared(len(spans)), nil
}

func (p *prepWriter) WritePrepared(_ context.Context, batches []store.Prepared) error {
	n := 0
	for _, b := range batches {
		n += b.Len()
	}
	p.mu.Lock()
	p.calls = append(p.calls, n)
	p.mu.Unlock()
	p.entered <- struct{}{}
	return <-p.release
}

func TestCommitterPreparesOnTheCallersGoroutine(t *testing.T) {
	w := &prepWriter{gateWriter: newGateWriter()}
	c := NewCommitter(w, CommitterConfig{}, nil)
	defer c.Close()
	go func() { _ = c.Submit(context.Background(), spansN(4)) }()
	<-w.entered
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- c.Submit(context.Background(), spansN(3)) }()
	}
	waitFor(t, func() bool { return c.queued.Load() == 10 })
	if got := w.prepares.Load(); got != 3 {
		t.Fatalf("Prepare calls before the writer took them = %d, want 3 (one per request, before queuing)", got)
	}
	w.release <- nil
	<-w.entered
	w.release <- nil
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := w.callSizes(); len(got) != 2 || got[0] != 4 || got[1] != 6 {
		t.Fatalf("WritePrepared spans per transaction = %v, want [4 6]", got)
	}
}
