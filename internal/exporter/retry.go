package exporter

import (
	"context"
	"crypto/tls"
	"errors"
	"math/rand/v2"
	"time"
)

// otlptracehttp retries the answers that ask for it (429, 502, 503, 504)
// but gives up at once when no answer comes: connection refused or reset,
// a DNS failure, a dial timeout. A server restarting, or started a moment
// after the program, would then cost every span sent meanwhile. So a batch
// that got no answer is sent again, backing off, until ExportTimeout.
const (
	unansweredRetryInitial = 500 * time.Millisecond
	unansweredRetryMax     = 10 * time.Second
	// The last wait ends this long before the batch's deadline, so that the
	// batch gets one more attempt rather than none.
	lastAttemptRoom = 100 * time.Millisecond
)

// backoff spaces the attempts of one batch: 500 ms doubling to 10 s, each
// wait jittered by ±25% so that programs cut off by the same restart do not
// come back in step.
type backoff struct{ interval time.Duration }

// next returns how long to wait before the next attempt, or false when the
// deadline leaves no room for one.
func (b *backoff) next(deadline time.Time) (time.Duration, bool) {
	if b.interval == 0 {
		b.interval = unansweredRetryInitial
	}
	d := b.interval*3/4 + rand.N(b.interval/2)
	b.interval = min(2*b.interval, unansweredRetryMax)
	if !deadline.IsZero() {
		left := time.Until(deadline) - lastAttemptRoom
		if left <= 0 {
			return 0, false
		}
		d = min(d, left)
	}
	return d, true
}

// sleep waits d, or less when ctx ends first; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retryable reports whether an export that got no answer, failing with
// err, may succeed when sent again. A certificate the client refuses, or a
// server that does not speak TLS, will not change in the next seconds.
func retryable(err error) bool {
	var cert *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	return !errors.As(err, &cert) && !errors.As(err, &header)
}
