package otlp

import (
	"strings"
	"testing"
)

func TestJSONTooDeep(t *testing.T) {
	for _, c := range []struct {
		in    string
		limit int
		want  bool
	}{
		{`{}`, 1, false},
		{`{"a":[]}`, 1, true},
		{`{"a":[]}`, 2, false},
		{`[[[]]]`, 2, true},
		{`{"a":"[[[[{{{{"}`, 1, false}, // brackets in strings do not count
		{`{"a":"\"[[[[{{"}`, 1, false}, // nor after an escaped quote
		{`{"a":"\\"}[[`, 1, true},      // an escaped backslash does not escape the quote
		{`{"a":"\\"}[]`, 1, false},
		{`]]]][[[`, 3, false}, // invalid, left to the decoder
		{strings.Repeat("[", 300), 256, true},
	} {
		if got := jsonTooDeep([]byte(c.in), c.limit); got != c.want {
			t.Errorf("jsonTooDeep(%s, %d) = %v, want %v", c.in, c.limit, got, c.want)
		}
	}
}
