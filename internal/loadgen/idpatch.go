package loadgen

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// idOffsets says where the ids sit in one encoded request body: byte offsets
// of raw ids in protobuf, of their hex digits in OTLP/JSON.
type idOffsets struct {
	trace []int32 // 16 bytes (proto) or 32 hex digits (JSON) each
	span  []int32 // span and parent span ids: 8 bytes or 16 hex digits each
}

// Field numbers along the path to a span's ids in ExportTraceServiceRequest.
const (
	fieldResourceSpans = 1 // ExportTraceServiceRequest.resource_spans
	fieldScopeSpans    = 2 // ResourceSpans.scope_spans
	fieldSpans         = 2 // ScopeSpans.spans
	fieldTraceID       = 1 // Span.trace_id
	fieldSpanID        = 2 // Span.span_id
	fieldParentSpanID  = 4 // Span.parent_span_id
)

// protoIDOffsets walks an encoded ExportTraceServiceRequest down to its spans
// and records where each id's bytes are. Empty parent ids (roots) are skipped.
func protoIDOffsets(b []byte) (idOffsets, error) {
	var off idOffsets
	err := eachLenField(b, 0, len(b), func(f uint64, s, e int) error {
		if f != fieldResourceSpans {
			return nil
		}
		return eachLenField(b, s, e, func(f uint64, s, e int) error {
			if f != fieldScopeSpans {
				return nil
			}
			return eachLenField(b, s, e, func(f uint64, s, e int) error {
				if f != fieldSpans {
					return nil
				}
				return eachLenField(b, s, e, func(f uint64, s, e int) error {
					switch {
					case f == fieldTraceID && e-s == 16:
						off.trace = append(off.trace, int32(s))
					case (f == fieldSpanID || f == fieldParentSpanID) && e-s == 8:
						off.span = append(off.span, int32(s))
					case f == fieldTraceID || f == fieldSpanID:
						return fmt.Errorf("span id field %d has %d bytes", f, e-s)
					}
					return nil
				})
			})
		})
	})
	return off, err
}

// eachLenField calls fn with the bounds of every length-delimited field of
// the message b[start:end] and skips the other wire types.
func eachLenField(b []byte, start, end int, fn func(field uint64, s, e int) error) error {
	for i := start; i < end; {
		key, n := binary.Uvarint(b[i:end])
		if n <= 0 {
			return errors.New("bad protobuf field key")
		}
		i += n
		switch key & 7 {
		case 0: // varint
			if _, n = binary.Uvarint(b[i:end]); n <= 0 {
				return errors.New("bad protobuf varint")
			}
			i += n
		case 1: // fixed64
			i += 8
		case 5: // fixed32
			i += 4
		case 2: // length-delimited
			l, n := binary.Uvarint(b[i:end])
			if n <= 0 || l > uint64(end-i-n) {
				return errors.New("bad protobuf length")
			}
			i += n
			if err := fn(key>>3, i, i+int(l)); err != nil {
				return err
			}
			i += int(l)
		default:
			return fmt.Errorf("unsupported protobuf wire type %d", key&7)
		}
		if i > end {
			return errors.New("protobuf field runs past its message")
		}
	}
	return nil
}

// JSON keys of the ids. Inside string values a quote is escaped, so these
// patterns, quotes included, only match real keys.
var (
	jsonTraceIDKey      = []byte(`"traceId":"`)
	jsonSpanIDKey       = []byte(`"spanId":"`)
	jsonParentSpanIDKey = []byte(`"parentSpanId":"`)
)

// jsonIDOffsets records where the hex digits of each id are in an OTLP/JSON
// body. Empty parent ids (roots) are skipped.
func jsonIDOffsets(b []byte) (idOffsets, error) {
	var off idOffsets
	var err error
	if off.trace, err = jsonHexOffsets(b, jsonTraceIDKey, 32); err != nil {
		return off, err
	}
	spans, err := jsonHexOffsets(b, jsonSpanIDKey, 16)
	if err != nil {
		return off, err
	}
	parents, err := jsonHexOffsets(b, jsonParentSpanIDKey, 16)
	if err != nil {
		return off, err
	}
	off.span = append(spans, parents...)
	return off, nil
}

func jsonHexOffsets(b, key []byte, digits int) ([]int32, error) {
	var offs []int32
	for i := 0; ; {
		j := bytes.Index(b[i:], key)
		if j < 0 {
			return offs, nil
		}
		s := i + j + len(key)
		e := bytes.IndexByte(b[s:], '"')
		switch {
		case e == 0 && bytes.Equal(key, jsonParentSpanIDKey):
		case e != digits:
			return nil, fmt.Errorf("%s value has %d characters, want %d", key, e, digits)
		default:
			offs = append(offs, int32(s))
		}
		i = s
	}
}

// idMask is what one request XORs its ids with.
type idMask struct {
	trace [2]uint64
	span  uint64
}

// patchProto XORs every id of a protobuf body in place.
func patchProto(b []byte, off idOffsets, m idMask) {
	le := binary.LittleEndian
	for _, o := range off.trace {
		id := b[o : o+16]
		le.PutUint64(id[:8], le.Uint64(id[:8])^m.trace[0])
		le.PutUint64(id[8:], le.Uint64(id[8:])^m.trace[1])
	}
	for _, o := range off.span {
		id := b[o : o+8]
		le.PutUint64(id, le.Uint64(id)^m.span)
	}
}

// patchJSON XORs every hex id of a JSON body in place; hex stays lowercase.
func patchJSON(b []byte, off idOffsets, m idMask) {
	for _, o := range off.trace {
		xorHex(b[o:o+16], m.trace[0])
		xorHex(b[o+16:o+32], m.trace[1])
	}
	for _, o := range off.span {
		xorHex(b[o:o+16], m.span)
	}
}

const hexDigits = "0123456789abcdef"

// unhex maps an ASCII hex digit to its value; the ids were written by us, so
// other bytes cannot occur.
var unhex = func() (t [256]byte) {
	for i, c := range []byte(hexDigits) {
		t[c] = byte(i)
		if c >= 'a' {
			t[c-'a'+'A'] = byte(i) // tolerate uppercase
		}
	}
	return t
}()

// xorHex XORs the 8 bytes written as 16 hex digits in h with the bytes of m
// taken little-endian, as patchProto does.
func xorHex(h []byte, m uint64) {
	for i := range 8 {
		v := unhex[h[2*i]]<<4 | unhex[h[2*i+1]]
		v ^= byte(m >> (8 * i))
		h[2*i], h[2*i+1] = hexDigits[v>>4], hexDigits[v&15]
	}
}
