package pricing

import (
	"fmt"
	"testing"
)

// BenchmarkLookup measures the ingest hot path: names seen before are served
// from the cache; "uncached" measures the first sighting of a name.
func BenchmarkLookup(b *testing.B) {
	table := Default()
	for _, bm := range []struct{ name, model string }{
		{"exact", "gpt-4o"},
		{"suffixed", "claude-3-5-sonnet-20241022"},
		{"prefixed", "us.anthropic.claude-3-5-sonnet-20241022-v2:0"},
		{"unknown", "acme-internal-llm-7b"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				table.Lookup(bm.model)
			}
		})
		b.Run(bm.name+"/uncached", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				table.resolve("", bm.model)
			}
		})
	}
	b.Run("hinted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			table.Find("together_ai", "meta-llama/Llama-4-Scout-17B-16E-Instruct")
		}
	})
	b.Run("parallel", func(b *testing.B) {
		names := make([]string, 64)
		for i := range names {
			names[i] = fmt.Sprintf("gpt-4o-mini-2024-07-%02d", i%28+1)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				table.Lookup(names[i%len(names)])
			}
		})
	})
}

func BenchmarkCost(b *testing.B) {
	p, _, _ := Default().Lookup("claude-sonnet-4-5")
	u := Usage{Input: 10000, CacheRead: 6000, CacheWrite: 3000, Output: 800, Reasoning: 200}
	var sink float64
	for b.Loop() {
		sink += p.Cost(u)
	}
	_ = sink
}
