package loadgen

import (
	"bytes"
	"testing"
)

// Patching is an XOR, so patching twice with one mask restores the body:
// every offset found is patched exactly once and nothing else is touched.
func TestPatchIsAnInvolution(t *testing.T) {
	for _, enc := range []Encoding{EncodingProto, EncodingJSON} {
		t.Run(string(enc), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Encoding, cfg.PoolSize, cfg.SpansPerRequest, cfg.TracesPerRequest = enc, 1, 40, 4
			p, err := newPool(&cfg)
			if err != nil {
				t.Fatal(err)
			}
			b := p.bodies[0]
			if len(b.ids.trace) != 40 || len(b.ids.span) != 2*40-4 {
				t.Fatalf("found %d trace ids and %d span or parent ids, want 40 and 76", len(b.ids.trace), len(b.ids.span))
			}
			patch := patchProto
			if enc == EncodingJSON {
				patch = patchJSON
			}
			buf := bytes.Clone(b.raw)
			m := idMask{trace: [2]uint64{0x0123456789abcdef, 0xfedcba9876543210}, span: 0x0f0f0f0f0f0f0f0f}
			patch(buf, b.ids, m)
			if bytes.Equal(buf, b.raw) {
				t.Fatal("patching changed nothing")
			}
			patch(buf, b.ids, m)
			if !bytes.Equal(buf, b.raw) {
				t.Fatal("patching twice did not restore the body")
			}
		})
	}
}

// A body the transport may still be reading is never overwritten.
func TestStreamDoesNotReuseLentBody(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PoolSize, cfg.SpansPerRequest, cfg.TracesPerRequest = 1, 20, 2
	p, err := newPool(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	s := p.stream(0)
	first := s.nextRequest()
	held := newLeasedBody(first.body, first.lease) // as the transport would
	first.lease.release()                          // the worker is done with it
	kept := bytes.Clone(first.body)
	second := s.nextRequest()
	if &second.body[0] == &first.body[0] || !bytes.Equal(first.body, kept) {
		t.Fatal("a body still being read was reused")
	}
	held.Close()
	second.lease.release()
	third := s.nextRequest()
	if &third.body[0] != &second.body[0] {
		t.Error("a returned body was not reused")
	}
}
