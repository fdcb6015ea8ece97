package demo

import (
	"testing"
)

// BenchmarkGenerate is the default demo: 120 sessions over 14 days.
func BenchmarkGenerate(b *testing.B) {
	cfg := Config{Seed: 1, Now: testNow}
	var spans int
	for b.Loop() {
		spans = Generate(cfg).SpanCount()
	}
	b.ReportMetric(float64(spans), "spans/op")
}

// BenchmarkGenerateBigSession is one session of 10,000 spans.
func BenchmarkGenerateBigSession(b *testing.B) {
	cfg := Config{Seed: 1, Sessions: numNotable, Now: testNow, BigSession: 10_000}
	for b.Loop() {
		Generate(cfg)
	}
}
