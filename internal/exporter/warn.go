package exporter

import (
	"sync/atomic"
	"time"
)

// warner rate-limits one kind of warning: allow reports true at most once
// per interval, so a dead server or a full queue logs a line with the
// running count now and then instead of one per span.
type warner struct {
	every time.Duration
	next  atomic.Int64 // UnixNano before which warnings are suppressed
}

func (w *warner) allow() bool {
	now := time.Now().UnixNano()
	next := w.next.Load()
	if now < next {
		return false
	}
	return w.next.CompareAndSwap(next, now+int64(w.every))
}
