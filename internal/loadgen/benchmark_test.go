package loadgen

import (
	"testing"
)

// BenchmarkNextRequest measures what the generator costs per request: the
// work a worker does before handing a body to net/http. spans/s is what one
// core could feed.
func BenchmarkNextRequest(b *testing.B) {
	tests := []struct {
		name     string
		encoding Encoding
		gzip     bool
		unique   bool
	}{
		{"proto/unique", EncodingProto, false, true},
		{"json/unique", EncodingJSON, false, true},
		{"proto/gzip/unique", EncodingProto, true, true},
		{"proto/repeating", EncodingProto, false, false},
		{"proto/gzip/repeating", EncodingProto, true, false},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Encoding, cfg.Gzip, cfg.UniqueIDs = tt.encoding, tt.gzip, tt.unique
			cfg.PoolSize = 8
			p, err := newPool(&cfg)
			if err != nil {
				b.Fatal(err)
			}
			s := p.stream(0)
			var bytes int
			for b.Loop() {
				r := s.nextRequest()
				bytes += len(r.body)
				if r.lease != nil {
					r.lease.release() // as the worker does once the response is in
				}
			}
			b.ReportMetric(float64(b.N*cfg.SpansPerRequest)/b.Elapsed().Seconds(), "spans/s")
			b.ReportMetric(float64(bytes)/float64(b.N), "B/request")
		})
	}
}

// BenchmarkBuildPool measures encoding the pool before a run.
func BenchmarkBuildPool(b *testing.B) {
	cfg := DefaultConfig()
	for b.Loop() {
		if _, err := newPool(&cfg); err != nil {
			b.Fatal(err)
		}
	}
}
