package exporter

import sdktrace "go.opentelemetry.io/otel/sdk/trace"

// ring is the bounded FIFO of spans waiting for export. It is not safe for
// concurrent use: Processor.mu guards it.
type ring struct {
	buf  []sdktrace.ReadOnlySpan
	head int // index of the oldest span
	n    int // spans held
}

func newRing(size int) ring { return ring{buf: make([]sdktrace.ReadOnlySpan, size)} }

func (r *ring) len() int   { return r.n }
func (r *ring) full() bool { return r.n == len(r.buf) }

// push appends s; the caller has checked that the ring is not full.
func (r *ring) push(s sdktrace.ReadOnlySpan) {
	i := r.head + r.n
	if i >= len(r.buf) {
		i -= len(r.buf)
	}
	r.buf[i] = s
	r.n++
}

// take moves up to max of the oldest spans to dst and returns it, clearing
// their slots so the ring holds no reference to a span it gave away.
func (r *ring) take(dst []sdktrace.ReadOnlySpan, max int) []sdktrace.ReadOnlySpan {
	for ; max > 0 && r.n > 0; max-- {
		dst = append(dst, r.buf[r.head])
		r.buf[r.head] = nil
		r.head++
		if r.head == len(r.buf) {
			r.head = 0
		}
		r.n--
	}
	return dst
}
