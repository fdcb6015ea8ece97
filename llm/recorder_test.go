package llm

import (
	"context"
	"testing"
)

type funcJob func()

func (f funcJob) run() { f() }

// TestRecorderFullQueueRunsInline: with the background recorder busy and
// its queue full, a job runs on the submitting goroutine (the caller never
// waits for room) and is counted; Flush then waits for the queued jobs.
func TestRecorderFullQueueRunsInline(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	background.submit(funcJob(func() { close(started); <-release }))
	<-started // the worker is busy: nothing queued now runs until release
	ran := 0
	for range maxQueued {
		background.submit(funcJob(func() { ran++ }))
	}
	before := InlineRecordings()
	inline := false
	background.submit(funcJob(func() { inline = true }))
	if !inline || InlineRecordings() != before+1 {
		t.Errorf("a job submitted to a full queue ran inline: %v, counted: %d", inline, InlineRecordings()-before)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Flush(ctx); err == nil {
		t.Errorf("Flush returned before the queued jobs ran")
	}
	close(release)
	if err := Flush(context.Background()); err != nil || ran != maxQueued {
		t.Errorf("Flush: %v, %d of %d queued jobs ran", err, ran, maxQueued)
	}
}
