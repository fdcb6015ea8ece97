package llm

import (
	"context"
	"testing"
)

type funcJob func()

func (f funcJob) run()           { f() }
func (f funcJob) heldBytes() int { return 0 }

// sizedJob is a job holding n bytes.
type sizedJob struct {
	n int
	f func()
}

func (j sizedJob) run()           { j.f() }
func (j sizedJob) heldBytes() int { return j.n }

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

// TestRecorderBoundsQueuedBytes: with the recorder busy, jobs queue until
// the bytes they hold would pass maxQueuedBytes; the next runs inline. A
// job holding more than the bound alone is queued when nothing waits.
func TestRecorderBoundsQueuedBytes(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	background.submit(funcJob(func() { close(started); <-release }))
	<-started
	queued := 0
	for range 3 {
		background.submit(sizedJob{maxQueuedBytes / 4, func() { queued++ }})
	}
	before := InlineRecordings()
	inline := false
	background.submit(sizedJob{maxQueuedBytes/4 + 1, func() { inline = true }}) // 3/4 + 1/4 + 1 > the bound
	if !inline || InlineRecordings() != before+1 {
		t.Errorf("a job past the byte bound ran inline: %v, counted %d", inline, InlineRecordings()-before)
	}
	small := false
	background.submit(sizedJob{maxQueuedBytes / 4, func() { small = true }}) // exactly at the bound: queued
	if small {
		t.Error("a job within the bound ran inline")
	}
	close(release)
	if err := Flush(context.Background()); err != nil || queued != 3 || !small {
		t.Errorf("Flush: %v; %d of 3 queued ran, the last %v", err, queued, small)
	}
	background.mu.Lock()
	left := background.queuedBytes
	background.mu.Unlock()
	if left != 0 {
		t.Errorf("%d bytes counted as queued after Flush", left)
	}
	before = InlineRecordings()
	background.submit(sizedJob{maxQueuedBytes * 2, func() {}})
	if InlineRecordings() != before {
		t.Error("a job over the bound with nothing queued ran inline")
	}
	if err := Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
}
