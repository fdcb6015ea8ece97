package agentops

import (
	"context"
	"encoding/binary"
	"math/rand/v2"

	"go.opentelemetry.io/otel/trace"
)

// rootDerivedIDs generates OpenTelemetry ids such that a root span's id is
// the second half of its trace id. Knowing a session id (the trace id) is
// then knowing its root span, so another process that inherits the session
// parents its spans under the owner's root without being told more.
type rootDerivedIDs struct{}

func (rootDerivedIDs) NewIDs(context.Context) (trace.TraceID, trace.SpanID) {
	for {
		var tid trace.TraceID
		binary.BigEndian.PutUint64(tid[:8], rand.Uint64())
		binary.BigEndian.PutUint64(tid[8:], rand.Uint64())
		if sid := rootSpanID(tid); sid.IsValid() && tid.IsValid() {
			return tid, sid
		}
	}
}

func (rootDerivedIDs) NewSpanID(_ context.Context, tid trace.TraceID) trace.SpanID {
	root := rootSpanID(tid)
	for {
		var sid trace.SpanID
		binary.BigEndian.PutUint64(sid[:], rand.Uint64())
		if sid.IsValid() && sid != root {
			return sid
		}
	}
}

// rootSpanID is the id of the root span of the session tid.
func rootSpanID(tid trace.TraceID) trace.SpanID {
	var sid trace.SpanID
	copy(sid[:], tid[8:])
	return sid
}
