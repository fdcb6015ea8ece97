package sqlite

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/agentops-go/agentops/internal/model"
)

// The filter never misses a span it holds, and its false positives stay
// near the ~1% its size is chosen for.
func TestSpanFilter(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	randomID := func() model.SpanID {
		var id model.SpanID
		binary.BigEndian.PutUint64(id[:], r.Uint64())
		return id
	}
	for _, n := range []int{1, 10, 512} {
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
		if rate := float64(fp) / probes; rate > 0.025 {
			t.Errorf("filter of %d spans: %.2f%% false positives, want about 1%%", n, 100*rate)
		}
	}
	if filterHas(nil, randomID()) {
		t.Error("an empty filter holds an id")
	}
}
