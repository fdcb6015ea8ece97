package otlp

import (
	"encoding/base64"
	"encoding/hex"
	"math"
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/agentops-go/agentops/semconv"
)

// encoder appends OTLP attribute maps and values to buf as JSON, without
// reflection. One encoder serves all spans of a request: callers encode into
// buf, copy the result out and reset buf, so the steady state allocates only
// the copies.
//
// Mapping of AnyValue: string → JSON string (invalid UTF-8 replaced by
// U+FFFD, so the output is always valid JSON), int → number, double → number
// (NaN and ±Inf, which JSON cannot express, → the strings "NaN", "Infinity",
// "-Infinity"), bool → bool, bytes → base64 string, array → array, kvlist →
// object, empty → null.
//
// Duplicate keys in one map: the first occurrence wins and later ones are
// dropped, as pcommon.Map.Get resolves them; the typed fields of a span are
// read from the same surviving entries, so the two never disagree.
//
// A string or bytes value longer than max bytes is cut to max bytes (strings
// at a UTF-8 boundary). In a map the entry gets a twin key
// `<key>.truncated` holding the original length in bytes; inside an array
// the value is cut without a twin. Either way truncated is set.
type encoder struct {
	buf       []byte
	max       int  // longest string/bytes value kept; <= 0: no limit
	truncated bool // some value was cut (or nested too deep) since the last reset

	keys []string // keys of the maps being encoded, a stack: duplicate detection
	// attrs, when set, receives every surviving entry of the next top-level
	// map encoded (the span's own attributes), saving a second pass.
	attrs *known
	depth int
}

// maxDepth bounds the nesting of arrays and kvlists the encoder follows.
// Real attributes nest a few levels; a deeper value is replaced by null and
// the span marked truncated, so hostile input cannot exhaust the stack.
const maxDepth = 64

// dupScanLimit is the map size up to which duplicate keys are found by a
// linear scan of the keys seen; larger maps use a set.
const dupScanLimit = 32

// appendMap appends m as a JSON object.
func (e *encoder) appendMap(m pcommon.Map) {
	collect := e.attrs
	e.attrs = nil
	e.buf = append(e.buf, '{')
	base := len(e.keys)
	var set map[string]struct{}
	if m.Len() > dupScanLimit {
		set = make(map[string]struct{}, m.Len())
	}
	first := true
	for k, v := range m.All() {
		if e.seen(base, set, k) {
			continue
		}
		e.remember(set, k)
		if collect != nil {
			collect.add(k, v)
		}
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.buf = appendString(e.buf, k)
		e.buf = append(e.buf, ':')
		if n, cut := e.appendValue(v); cut {
			twin := k + semconv.TruncatedSuffix
			if !e.seen(base, set, twin) {
				e.remember(set, twin)
				e.buf = append(e.buf, ',')
				e.buf = appendString(e.buf, twin)
				e.buf = append(e.buf, ':')
				e.buf = strconv.AppendInt(e.buf, int64(n), 10)
			}
		}
	}
	e.keys = e.keys[:base]
	e.buf = append(e.buf, '}')
}

func (e *encoder) seen(base int, set map[string]struct{}, k string) bool {
	if set != nil {
		_, ok := set[k]
		return ok
	}
	for _, s := range e.keys[base:] {
		if s == k {
			return true
		}
	}
	return false
}

func (e *encoder) remember(set map[string]struct{}, k string) {
	if set != nil {
		set[k] = struct{}{}
		return
	}
	e.keys = append(e.keys, k)
}

// appendValue appends v. When a string or bytes value was cut it returns
// the original length in bytes and true.
func (e *encoder) appendValue(v pcommon.Value) (origLen int, cut bool) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := v.Str()
		if e.max > 0 && len(s) > e.max {
			e.truncated = true
			e.buf = appendString(e.buf, s[:utf8Cut(s, e.max)])
			return len(s), true
		}
		e.buf = appendString(e.buf, s)
	case pcommon.ValueTypeInt:
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		e.buf = appendFloat(e.buf, v.Double())
	case pcommon.ValueTypeBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case pcommon.ValueTypeBytes:
		b := v.Bytes().AsRaw()
		n := len(b)
		if e.max > 0 && n > e.max {
			e.truncated, cut, origLen = true, true, n
			b = b[:e.max]
		}
		e.buf = append(e.buf, '"')
		e.buf = base64.StdEncoding.AppendEncode(e.buf, b)
		e.buf = append(e.buf, '"')
	case pcommon.ValueTypeSlice:
		if !e.enter() {
			break
		}
		e.buf = append(e.buf, '[')
		s := v.Slice()
		for i := range s.Len() {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.appendValue(s.At(i))
		}
		e.buf = append(e.buf, ']')
		e.depth--
	case pcommon.ValueTypeMap:
		if !e.enter() {
			break
		}
		e.appendMap(v.Map())
		e.depth--
	default:
		e.buf = append(e.buf, "null"...)
	}
	return origLen, cut
}

// enter descends one nesting level, or writes null and reports false when
// the value is nested too deep.
func (e *encoder) enter() bool {
	if e.depth >= maxDepth {
		e.truncated = true
		e.buf = append(e.buf, "null"...)
		return false
	}
	e.depth++
	return true
}

// utf8Cut returns the largest n <= max such that s[:n] does not end inside a
// multi-byte UTF-8 sequence. (A sequence that is invalid anyway may be cut;
// the encoder replaces what remains of it.)
func utf8Cut(s string, max int) int {
	n := max
	for n > 0 && n > max-utf8.UTFMax && !utf8.RuneStart(s[n]) {
		n--
	}
	if !utf8.RuneStart(s[n]) { // no boundary within reach: invalid input
		return max
	}
	return n
}

// safeASCII marks the ASCII bytes a JSON string may hold unescaped.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// U+2028 and U+2029 are escaped, as encoding/json does, so the output is
// safe to embed in JavaScript too.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Skip 8 bytes at a time while none needs attention.
		for i+8 <= len(s) && !needsEscape8(load8(s, i)) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if safeASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// load8 reads s[i:i+8] as a little-endian word (the compiler merges the
// byte loads into one).
func load8(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// needsEscape8 reports whether any byte of w is a control character, '"',
// '\\' or not ASCII, by the classic SWAR byte tests: a borrow can flag a
// byte falsely only above a byte that is a true hit, so the answer is exact.
func needsEscape8(w uint64) bool {
	const (
		lo = 0x0101010101010101
		hi = 0x8080808080808080
	)
	quote := w ^ (lo * '"')
	bslash := w ^ (lo * '\\')
	return ((w-lo*0x20)|(quote-lo)|(bslash-lo)|w)&hi != 0
}

// appendFloat appends f as a JSON number, formatted as encoding/json does;
// NaN and infinities, which JSON lacks, become strings.
func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendHexID appends id as a JSON string of lowercase hex digits.
func appendHexID(b []byte, id []byte) []byte {
	b = append(b, '"')
	b = hex.AppendEncode(b, id)
	return append(b, '"')
}
