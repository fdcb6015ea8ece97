package otlp

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// The seed corpora under testdata/fuzz/<FuzzName>/ are written from
// seedRequests by: OTLP_WRITE_SEEDS=1 go test -run TestWriteFuzzSeeds ./internal/otlp/

func FuzzDecodeProto(f *testing.F) {
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		td, err := DecodeProto(b)
		if err != nil {
			return
		}
		fuzzNormalize(t, td)
	})
}

func FuzzDecodeJSON(f *testing.F) {
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","attributes":[{"key":"s","value":{"stringValue":"\udc00x"}},{"key":"d","value":{"doubleValue":"NaN"}}]}]}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		td, err := DecodeJSON(b)
		if err != nil {
			return
		}
		fuzzNormalize(t, td)
	})
}

// fuzzNormalize normalizes td with a small and with no value limit and
// checks the invariants of checkSpans and of the rejection count.
func fuzzNormalize(t *testing.T, td ptrace.Traces) {
	for _, lim := range []Limits{{}, {MaxAttrValueBytes: 7}} {
		spans, rej := Normalize(td, "p", lim)
		checkSpans(t, spans)
		if len(spans)+rej.Count != td.SpanCount() {
			t.Fatalf("%d spans + %d rejected != %d in the request", len(spans), rej.Count, td.SpanCount())
		}
		if (rej.Count == 0) != (rej.Message == "") {
			t.Fatalf("rejection %+v: count and message disagree", rej)
		}
	}
}

func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("OTLP_WRITE_SEEDS") == "" {
		t.Skip("set OTLP_WRITE_SEEDS=1 to rewrite testdata/fuzz seed corpora")
	}
	reqs := seedRequests()
	names := make([]string, 0, len(reqs))
	for name := range reqs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		writeSeed(t, "FuzzDecodeProto", name, marshalProto(t, reqs[name]))
		writeSeed(t, "FuzzDecodeJSON", name, marshalJSON(t, reqs[name]))
	}
}

func writeSeed(t *testing.T, fuzzName, name string, b []byte) {
	dir := filepath.Join("testdata", "fuzz", fuzzName)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))
	if err := os.WriteFile(filepath.Join(dir, "seed-"+name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
