package otlp

import (
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

func marshalProto(t testing.TB, td ptrace.Traces) []byte {
	t.Helper()
	b, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func marshalJSON(t testing.TB, td ptrace.Traces) []byte {
	t.Helper()
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	req := genAIRequest(20, 3)
	pb, js := marshalProto(t, req), marshalJSON(t, req)
	const hexIDs = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"s"}]}]}]}`
	const base64IDs = `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"AQIDBAUGBwgJCgsMDQ4PEA==","spanId":"AQIDBAUGBwg=","name":"s"}]}]}]}`

	tests := []struct {
		name      string
		decode    func([]byte) (ptrace.Traces, error)
		body      []byte
		wantSpans int // -1: an error is expected
	}{
		{"protobuf", DecodeProto, pb, 20},
		{"protobuf empty body: empty request", DecodeProto, nil, 0},
		{"protobuf truncated", DecodeProto, pb[:len(pb)-7], -1},
		{"protobuf garbage", DecodeProto, []byte("\xff\xff\xff\xff"), -1},
		{"protobuf JSON body", DecodeProto, js, -1},
		{"JSON", DecodeJSON, js, 20},
		{"JSON hex ids", DecodeJSON, []byte(hexIDs), 1},
		{"JSON base64 ids", DecodeJSON, []byte(base64IDs), -1},
		{"JSON invalid", DecodeJSON, []byte(`{"resourceSpans":[`), -1},
		{"JSON not an object", DecodeJSON, []byte(`[1,2]`), -1},
		{"JSON empty body", DecodeJSON, nil, -1},
		{"JSON unknown fields ignored", DecodeJSON, []byte(`{"future":1,"resourceSpans":[]}`), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			td, err := tt.decode(tt.body)
			if tt.wantSpans < 0 {
				if err == nil || !errors.Is(err, ErrMalformed) {
					t.Fatalf("err = %v, want an ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if n := td.SpanCount(); n != tt.wantSpans {
				t.Errorf("%d spans, want %d", n, tt.wantSpans)
			}
		})
	}
}

// TestDecodeNormalizeFormatsAgree checks that the same request normalizes
// identically from protobuf and from JSON.
func TestDecodeNormalizeFormatsAgree(t *testing.T) {
	req := exceptionSpan()
	fromPB, err := DecodeProto(marshalProto(t, req))
	if err != nil {
		t.Fatal(err)
	}
	fromJS, err := DecodeJSON(marshalJSON(t, req))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Normalize(fromPB, "p", Limits{})
	b, _ := Normalize(fromJS, "p", Limits{})
	if len(a) != 1 || len(b) != 1 {
		t.Fatalf("%d and %d spans", len(a), len(b))
	}
	if got, want := mustJSON(t, b[0]), mustJSON(t, a[0]); got != want {
		t.Errorf("JSON-decoded span\n %s\ndiffers from protobuf-decoded\n %s", got, want)
	}
	if !strings.Contains(mustJSON(t, a[0]), `"error_type":"TimeoutError"`) {
		t.Errorf("span lost its error: %s", mustJSON(t, a[0]))
	}
}
