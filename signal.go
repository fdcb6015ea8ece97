package agentops

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// handleSignals ends the client's open sessions as Failure ("interrupted")
// on SIGINT or SIGTERM, flushes (at most flushTimeout), then restores the
// signal's default disposition and sends it to the process again, so the
// program ends as it would have without the SDK. It returns the function
// that stops listening.
func (c *Client) handleSignals() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-done:
			return
		case sig := <-ch:
			_ = safely(func() {
				c.EndAllTraces(Failure, "interrupted")
				ctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
				defer cancel()
				_ = c.Flush(ctx)
			})
			signal.Stop(ch)
			signal.Reset(sig)
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				_ = p.Signal(sig)
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			signal.Stop(ch)
			close(done)
			wg.Wait()
		})
	}
}
