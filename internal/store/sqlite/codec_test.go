package sqlite

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/agentops-go/agentops/internal/model"
)

// TestCodecEdges covers what storetest does not: empty but non-nil JSON
// documents, repeats of a value after an empty one, and both formats.
func TestCodecEdges(t *testing.T) {
	trace := model.TraceID{1}
	spans := []model.Span{
		{ProjectID: "p", TraceID: trace, Name: "a", Kind: "llm", Resource: json.RawMessage(`{"r":1}`), Attributes: json.RawMessage{}},
		{ProjectID: "p", TraceID: trace, Name: "", Kind: "llm", Resource: nil, Attributes: json.RawMessage{}},
		{ProjectID: "p", TraceID: trace, Name: "a", Kind: "llm", Resource: json.RawMessage(`{"r":1}`), Start: -5, End: 3},
		{ProjectID: "p", TraceID: trace, Name: "a", Tags: []string{}, Scope: json.RawMessage(`{}`), Events: json.RawMessage(`[]`)},
	}
	for _, n := range []int{1, 2, 4} { // a few spans stay below compressMin: the plain format
		var e encoder
		blob := e.pack(e.encode(spans[:n]))
		got, err := decodeChunk(nil, "p", trace, append([]byte(nil), blob...))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, spans[:n]) {
			t.Errorf("%d spans (format %d):\n got %#v\nwant %#v", n, blob[0], got, spans[:n])
		}
	}
	var e encoder
	big := storetestPayload()
	if blob := e.pack(e.encode(big)); blob[0] != formatSnappy {
		t.Errorf("a large chunk is stored in format %d, want snappy", blob[0])
	}
}

func storetestPayload() []model.Span { return payload(3, 1, 20) }

// FuzzDecodeChunk: a corrupt blob is an error, never a panic.
func FuzzDecodeChunk(f *testing.F) {
	var e encoder
	f.Add(append([]byte(nil), e.pack(e.encode(payload(1, 1, 3)))...))
	f.Add(append([]byte(nil), e.pack(e.encode(payload(2, 1, 1)[:1]))...))
	f.Add([]byte{formatPlain, 200, 1})
	f.Fuzz(func(t *testing.T, blob []byte) {
		_, _ = decodeChunk(nil, "p", model.TraceID{}, blob)
	})
}
