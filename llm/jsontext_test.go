package llm

import (
	"encoding/json"
	"testing"
)

var jsonTextCases = []string{
	`""`, `"plain text"`, `"line\nbreak\ttab \"quoted\" back\\slash \/ \b\f\r"`,
	`"caf\u00e9 \u20ac"`, `"emoji \ud83d\ude00 pair"`, `"lone \ud83d surrogate"`, `"lone low \ude00"`,
	`"high then escape \ud83d\n"`, `"high then bad pair \ud83d\u0041"`, "\"raw UTF-8 é 😀\"",
	"\"invalid \xff byte\"", "\"truncated \xe2\x82\"", `"bad \x escape"`, `"short \u12"`,
	`"unterminated`, `null`, `12`, `"control ` + "\x01" + `"`, `"ends with backslash\"`,
}

// TestJSONTextMatchesDecode: jsonText decodes every case to what
// encoding/json decodes into a string, and fails where it fails.
func TestJSONTextMatchesDecode(t *testing.T) {
	for _, c := range jsonTextCases {
		checkJSONText(t, []byte(c))
	}
}

func FuzzJSONText(f *testing.F) {
	for _, c := range jsonTextCases {
		f.Add([]byte(c))
	}
	f.Fuzz(checkJSONText)
}

func checkJSONText(t *testing.T, b []byte) {
	var want string
	wantErr := json.Unmarshal(b, &want)
	got := jsonText("left over from the last event")
	err := got.UnmarshalJSON(b)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%q: error %v, encoding/json %v", b, err, wantErr)
	}
	if err == nil && string(got) != want {
		t.Fatalf("%q: got %q, encoding/json %q", b, got, want)
	}
}

// BenchmarkJSONText: a streamed delta's text, plain and with escapes; no
// allocation once the buffer has grown.
func BenchmarkJSONText(b *testing.B) {
	for _, c := range []string{`" word"`, `"a line\nand \"quotes\" \u00e9"`} {
		b.Run(c, func(b *testing.B) {
			var t jsonText
			raw := []byte(c)
			b.ReportAllocs()
			for b.Loop() {
				if err := t.UnmarshalJSON(raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
