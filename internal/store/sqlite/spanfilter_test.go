package sqlite

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/agentops-go/agentops/internal/model"
)

// The filter never misses a span it holds, and a span it does not hold
// matches practically never (a 32-bit fingerprint per span).
func TestSpanFilter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randomID := func() model.SpanID {
		var id model.SpanID
		binary.BigEndian.PutUint64(id[:], r.Uint64())
		return id
	}
	for _, n := range []int{1, 10, 512, 4096} {
		spans := make([]model.Span, n)
		for i := range spans {
			spans[i].SpanID = randomID()
		}
		f := spanFilter(spans)
		for _, sp := range spans {
			if !filterHas(f, sp.SpanID) {
				t.Fatalf("filter of %d spans misses %s", n, sp.SpanID)
			}
		}
		const probes = 20000
		fp := 0
		for range probes {
			if filterHas(f, randomID()) {
				fp++
			}
		}
		if fp > 2 {
			t.Errorf("filter of %d spans: %d false positives in %d probes, want about %.3f", n, fp, probes, float64(n*probes)/(1<<32))
		}
	}
	if filterHas(nil, randomID()) {
		t.Error("an empty filter holds an id")
	}
	// Sequential ids (a client's counter) fingerprint apart too.
	seq := make([]model.Span, 1000)
	for i := range seq {
		binary.BigEndian.PutUint64(seq[i].SpanID[:], uint64(i+1))
	}
	f := spanFilter(seq)
	for i := 1001; i < 50000; i++ {
		var id model.SpanID
		binary.BigEndian.PutUint64(id[:], uint64(i))
		if filterHas(f, id) {
			t.Errorf("sequential id %d matches a filter of ids 1..1000", i)
		}
	}
}
