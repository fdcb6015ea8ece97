package otlp

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

func TestAppendValue(t *testing.T) {
	tests := []struct {
		name string
		set  func(pcommon.Value)
		want string
	}{
		{"string", func(v pcommon.Value) { v.SetStr("hi") }, `"hi"`},
		{"string escapes", func(v pcommon.Value) { v.SetStr("q\"b\\n\n\r\t\x01\x1f</>&") }, `"q\"b\\n\n\r\t\u0001\u001f</>&"`},
		{"string unicode kept", func(v pcommon.Value) { v.SetStr("héllo, 世界 🙂") }, `"héllo, 世界 🙂"`},
		{"string line separators escaped", func(v pcommon.Value) { v.SetStr("a\u2028b\u2029c") }, `"a\u2028b\u2029c"`},
		{"invalid UTF-8 replaced", func(v pcommon.Value) { v.SetStr("a\xffb\xc3") }, `"a\ufffdb\ufffd"`},
		{"int", func(v pcommon.Value) { v.SetInt(math.MinInt64) }, `-9223372036854775808`},
		{"double", func(v pcommon.Value) { v.SetDouble(0.25) }, `0.25`},
		{"double integral", func(v pcommon.Value) { v.SetDouble(3) }, `3`},
		{"double tiny", func(v pcommon.Value) { v.SetDouble(1e-9) }, `1e-9`},
		{"double huge", func(v pcommon.Value) { v.SetDouble(-2e21) }, `-2e+21`},
		{"double NaN", func(v pcommon.Value) { v.SetDouble(math.NaN()) }, `"NaN"`},
		{"double +Inf", func(v pcommon.Value) { v.SetDouble(math.Inf(1)) }, `"Infinity"`},
		{"double -Inf", func(v pcommon.Value) { v.SetDouble(math.Inf(-1)) }, `"-Infinity"`},
		{"bool", func(v pcommon.Value) { v.SetBool(false) }, `false`},
		{"bytes", func(v pcommon.Value) { v.SetEmptyBytes().FromRaw([]byte("hi?")) }, `"aGk/"`},
		{"empty bytes", func(v pcommon.Value) { v.SetEmptyBytes() }, `""`},
		{"empty", func(v pcommon.Value) {}, `null`},
		{"array", func(v pcommon.Value) {
			s := v.SetEmptySlice()
			s.AppendEmpty().SetInt(1)
			s.AppendEmpty().SetStr("two")
			s.AppendEmpty()
			s.AppendEmpty().SetEmptySlice()
		}, `[1,"two",null,[]]`},
		{"kvlist", func(v pcommon.Value) {
			m := v.SetEmptyMap()
			m.PutStr("a", "b")
			m.PutEmptyMap("c").PutInt("d", 1)
			m.PutEmptyMap("e")
		}, `{"a":"b","c":{"d":1},"e":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := pcommon.NewValueEmpty()
			tt.set(v)
			var e encoder
			e.appendValue(v)
			if string(e.buf) != tt.want {
				t.Errorf("got %s, want %s", e.buf, tt.want)
			}
			if !json.Valid(e.buf) {
				t.Fatalf("invalid JSON: %s", e.buf)
			}
		})
	}
}

// TestAppendMapRoundTrip checks that every AnyValue type survives a trip
// through encoding/json with the meaning the encoder documents.
func TestAppendMapRoundTrip(t *testing.T) {
	m := allTypesSpan().ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
	var e encoder
	e.appendMap(m)
	var got map[string]any
	if err := json.Unmarshal(e.buf, &got); err != nil {
		t.Fatalf("unmarshal %s: %v", e.buf, err)
	}
	want := map[string]any{
		"str":           "hé\"llo\n",
		"int":           -42.0,
		"double":        1.5e-9,
		"bool":          true,
		"bytes":         "AAEC/w==",
		"slice":         []any{"x", 1.0},
		"map":           map[string]any{"k": "v", "nested": map[string]any{"deep": false}},
		"empty":         nil,
		"agentops.tags": "a,b",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %#v\nwant %#v", got, want)
	}
}

func TestAppendMapDuplicateKeysFirstWins(t *testing.T) {
	for _, n := range []int{3, dupScanLimit + 5} { // linear scan, then set
		// pcommon.Map.Put* replaces, but a decoded request can carry true
		// duplicates: build them through the decoder.
		var kvs []string
		for i := range n {
			kvs = append(kvs, fmt.Sprintf(`{"key":"k%d","value":{"intValue":"%d"}}`, i, i))
		}
		kvs = append(kvs, `{"key":"k0","value":{"stringValue":"second"}}`)
		m := decodedAttributes(t, strings.Join(kvs, ","))

		var e encoder
		e.appendMap(m)
		var got map[string]any
		if err := json.Unmarshal(e.buf, &got); err != nil {
			t.Fatal(err)
		}
		if strings.Count(string(e.buf), `"k0":`) != 1 || got["k0"] != 0.0 || len(got) != n {
			t.Errorf("n=%d: %s: want one \"k0\" holding the first value, 0", n, e.buf)
		}
	}
}

// decodedAttributes decodes an OTLP/JSON span whose attribute list is kvs.
func decodedAttributes(t *testing.T, kvs string) pcommon.Map {
	t.Helper()
	td, err := DecodeJSON([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","attributes":[` + kvs + `]}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes()
}

func TestEncoderDepthLimit(t *testing.T) {
	v := pcommon.NewValueEmpty()
	cur := v
	for range maxDepth + 10 {
		cur = cur.SetEmptySlice().AppendEmpty()
	}
	cur.SetStr("bottom")
	var e encoder
	e.appendValue(v)
	if !json.Valid(e.buf) || !e.truncated || strings.Contains(string(e.buf), "bottom") {
		t.Errorf("deep value: valid %v truncated %v: %.80s...", json.Valid(e.buf), e.truncated, e.buf)
	}
}

func TestUTF8Cut(t *testing.T) {
	tests := []struct {
		s    string
		max  int
		want int
	}{
		{"abcdef", 3, 3},
		{"aé", 2, 1}, // é is 2 bytes at 1..2
		{"a€", 2, 1}, // € is 3 bytes
		{"a€", 3, 1},
		{"a🙂b", 4, 1},                      // 🙂 is 4 bytes
		{"\x80\x80\x80\x80\x80\x80", 5, 5}, // no boundary: cut where asked
		{"é", 1, 0},
	}
	for _, tt := range tests {
		if got := utf8Cut(tt.s, tt.max); got != tt.want {
			t.Errorf("utf8Cut(%q, %d) = %d, want %d", tt.s, tt.max, got, tt.want)
		}
	}
}

func TestNeedsEscape8(t *testing.T) {
	ref := func(w uint64) bool {
		for i := range 8 {
			c := byte(w >> (8 * i))
			if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
				return true
			}
		}
		return false
	}
	safe := uint64(0x6161616161616161) // "aaaaaaaa"
	for pos := range 8 {
		for c := range 256 {
			w := safe&^(0xff<<(8*pos)) | uint64(c)<<(8*pos)
			if got := needsEscape8(w); got != ref(w) {
				t.Fatalf("needsEscape8(%#x) = %v, want %v", w, got, ref(w))
			}
		}
	}
	r := uint64(0x9e3779b97f4a7c15)
	for range 100000 {
		r ^= r << 13
		r ^= r >> 7
		r ^= r << 17
		w := r & 0x7f7f7f7f7f7f7f7f // mostly ASCII, to reach the interesting cases
		if r&1 == 0 {
			w = r
		}
		if got := needsEscape8(w); got != ref(w) {
			t.Fatalf("needsEscape8(%#x) = %v, want %v", w, got, ref(w))
		}
	}
}
