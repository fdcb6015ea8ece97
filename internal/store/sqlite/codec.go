package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/golang/snappy"

	"github.com/agentops-go/agentops/internal/model"
)

// A chunk is the spans of one (project, trace) written by one WriteSpans
// call, stored as one row. Its blob is a format byte and a body:
// formatPlain: the body itself; formatSnappy: the body compressed as one
// snappy block (about 2.5 times smaller on GenAI payloads, which halves the
// bytes SQLite writes to the log and the file). The body is:
//
//	uvarint  span count
//	span...
//
// and each span is:
//
//	[8]byte  span id
//	[8]byte  parent span id
//	byte     flags (flagTruncated, flagCost)
//	byte     status code
//	byte     cost source
//	varint   OTLP span kind
//	varint   start - previous span's start (0 for the first)
//	varint   end - start
//	6×varint usage: input, output, cache read, cache write, reasoning, total
//	[8]byte  cost, float64 bits little endian, only with flagCost
//	uvarint  tag count + 1 (0: nil tags), then each tag as uvarint length + bytes
//	field... the strings and JSON documents, in the order of fieldNames
//
// Each field is a uvarint v then bytes: v = 0 is the empty string (or a nil
// JSON document); v = 1 repeats the previous span's value of the same field,
// which stores a chunk's Resource, Scope, kinds and models once; v >= 2 is
// followed by v-2 bytes (so 2 is an empty but non-nil document).
//
// Varints are zig-zag signed (binary.AppendVarint). Nothing depends on the
// host's byte order, and the body of a given sequence of spans is
// deterministic, so its hash identifies a retried chunk.
const (
	formatPlain  = 1
	formatSnappy = 2
	// compressMin is the smallest body worth compressing.
	compressMin = 256
)

const (
	flagTruncated = 1 << iota
	flagCost
)

// Fields stored with the repeat-previous encoding, in blob order.
const (
	fName = iota
	fKind
	fStatusMessage
	fErrorType
	fErrorMessage
	fErrorStack
	fProvider
	fOperation
	fRequestModel
	fResponseModel
	fEndState
	fEndStateReason
	fAttributes // the JSON documents follow the strings
	fResource
	fScope
	fEvents
	fLinks
	numFields
)

var errCorrupt = errors.New("corrupt span chunk")

// encoder builds chunk blobs into a buffer it reuses across chunks.
type encoder struct {
	buf   []byte
	zbuf  []byte
	prevS [fAttributes]string             // previous span's strings
	prevD [numFields - fAttributes][]byte // previous span's JSON documents
}

// encode returns the body of spans, valid until the next call.
func (e *encoder) encode(spans []model.Span) []byte {
	b := binary.AppendUvarint(e.buf[:0], uint64(len(spans)))
	clear(e.prevS[:])
	clear(e.prevD[:])
	prevStart := int64(0)
	for i := range spans {
		sp := &spans[i]
		b = append(b, sp.SpanID[:]...)
		b = append(b, sp.ParentID[:]...)
		var flags byte
		if sp.Truncated {
			flags |= flagTruncated
		}
		if sp.Cost != 0 || math.Signbit(sp.Cost) {
			flags |= flagCost
		}
		b = append(b, flags, byte(sp.Status), byte(sp.CostSource))
		b = binary.AppendVarint(b, int64(sp.SpanKind))
		b = binary.AppendVarint(b, sp.Start-prevStart)
		b = binary.AppendVarint(b, sp.End-sp.Start)
		prevStart = sp.Start
		u := &sp.Usage
		b = binary.AppendVarint(b, u.Input)
		b = binary.AppendVarint(b, u.Output)
		b = binary.AppendVarint(b, u.CacheRead)
		b = binary.AppendVarint(b, u.CacheWrite)
		b = binary.AppendVarint(b, u.Reasoning)
		b = binary.AppendVarint(b, u.Total)
		if flags&flagCost != 0 {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(sp.Cost))
		}
		if sp.Tags == nil {
			b = append(b, 0)
		} else {
			b = binary.AppendUvarint(b, uint64(len(sp.Tags))+1)
			for _, t := range sp.Tags {
				b = binary.AppendUvarint(b, uint64(len(t)))
				b = append(b, t...)
			}
		}
		b = e.str(b, fName, sp.Name)
		b = e.str(b, fKind, string(sp.Kind))
		b = e.str(b, fStatusMessage, sp.StatusMessage)
		b = e.str(b, fErrorType, sp.ErrorType)
		b = e.str(b, fErrorMessage, sp.ErrorMessage)
		b = e.str(b, fErrorStack, sp.ErrorStack)
		b = e.str(b, fProvider, sp.Provider)
		b = e.str(b, fOperation, sp.Operation)
		b = e.str(b, fRequestModel, sp.RequestModel)
		b = e.str(b, fResponseModel, sp.ResponseModel)
		b = e.str(b, fEndState, sp.EndState)
		b = e.str(b, fEndStateReason, sp.EndStateReason)
		b = e.doc(b, fAttributes, sp.Attributes)
		b = e.doc(b, fResource, sp.Resource)
		b = e.doc(b, fScope, sp.Scope)
		b = e.doc(b, fEvents, sp.Events)
		b = e.doc(b, fLinks, sp.Links)
	}
	e.buf = b
	clear(e.prevS[:]) // keep no reference to the caller's spans
	clear(e.prevD[:])
	return b
}

// pack returns the stored blob of body, valid until the next call.
func (e *encoder) pack(body []byte) []byte {
	if len(body) >= compressMin {
		n := snappy.MaxEncodedLen(len(body)) + 1
		if cap(e.zbuf) < n {
			e.zbuf = make([]byte, n)
		}
		z := e.zbuf[:n]
		z[0] = formatSnappy
		if c := snappy.Encode(z[1:], body); len(c) < len(body) {
			return z[:1+len(c)]
		}
	}
	e.buf = append(e.buf, 0) // room for the format byte: shift the body
	copy(e.buf[1:], e.buf[:len(body)])
	e.buf[0] = formatPlain
	return e.buf
}

func (e *encoder) str(b []byte, f int, s string) []byte {
	switch {
	case s == "":
		e.prevS[f] = ""
		return append(b, 0)
	case s == e.prevS[f]:
		return append(b, 1)
	}
	e.prevS[f] = s
	b = binary.AppendUvarint(b, uint64(len(s))+2)
	return append(b, s...)
}

func (e *encoder) doc(b []byte, f int, d []byte) []byte {
	p := &e.prevD[f-fAttributes]
	switch {
	case d == nil:
		*p = nil
		return append(b, 0)
	case *p != nil && string(*p) == string(d):
		return append(b, 1)
	}
	*p = d
	b = binary.AppendUvarint(b, uint64(len(d))+2)
	return append(b, d...)
}

// decodeChunk appends the spans of a stored blob to dst. The spans' strings
// share one copy of the body and their JSON documents are slices of the body
// itself, which may be blob: the caller hands it over.
func decodeChunk(dst []model.Span, projectID string, trace model.TraceID, blob []byte) ([]model.Span, error) {
	body, err := unpack(blob)
	if err != nil {
		return dst, err
	}
	return decodeBody(dst, projectID, trace, body)
}

// unpack returns the body of a stored blob: blob itself or a new buffer.
func unpack(blob []byte) ([]byte, error) {
	if len(blob) == 0 {
		return nil, fmt.Errorf("%w: empty", errCorrupt)
	}
	switch blob[0] {
	case formatPlain:
		return blob[1:], nil
	case formatSnappy:
		body, err := snappy.Decode(nil, blob[1:])
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errCorrupt, err)
		}
		return body, nil
	default:
		return nil, fmt.Errorf("%w: unknown format %d", errCorrupt, blob[0])
	}
}

func decodeBody(dst []model.Span, projectID string, trace model.TraceID, blob []byte) ([]model.Span, error) {
	d := decoder{b: blob, s: string(blob)}
	n := d.uvarint()
	if n > uint64(len(blob)) { // each span takes more than one byte
		return dst, fmt.Errorf("%w: span count %d", errCorrupt, n)
	}
	dst = slices.Grow(dst, int(n)) // one allocation per chunk, not a copy per doubling
	var prev [numFields]field
	prevStart := int64(0)
	for range n {
		sp := model.Span{ProjectID: projectID, TraceID: trace}
		d.read(sp.SpanID[:])
		d.read(sp.ParentID[:])
		flags := d.byte()
		sp.Truncated = flags&flagTruncated != 0
		sp.Status = model.StatusCode(d.byte())
		sp.CostSource = model.CostSource(d.byte())
		sp.SpanKind = int32(d.varint())
		sp.Start = prevStart + d.varint()
		sp.End = sp.Start + d.varint()
		prevStart = sp.Start
		sp.Usage = model.Usage{
			Input: d.varint(), Output: d.varint(), CacheRead: d.varint(),
			CacheWrite: d.varint(), Reasoning: d.varint(), Total: d.varint(),
		}
		if flags&flagCost != 0 {
			var c [8]byte
			d.read(c[:])
			sp.Cost = math.Float64frombits(binary.LittleEndian.Uint64(c[:]))
		}
		if nt := d.uvarint(); nt > 0 {
			if nt-1 > uint64(len(blob)) {
				return dst, fmt.Errorf("%w: tag count %d", errCorrupt, nt-1)
			}
			sp.Tags = make([]string, nt-1)
			for i := range sp.Tags {
				sp.Tags[i] = d.string(d.uvarint())
			}
		}
		for f := range numFields {
			d.field(&prev[f])
		}
		sp.Name = prev[fName].s
		sp.Kind = model.Kind(prev[fKind].s)
		sp.StatusMessage = prev[fStatusMessage].s
		sp.ErrorType = prev[fErrorType].s
		sp.ErrorMessage = prev[fErrorMessage].s
		sp.ErrorStack = prev[fErrorStack].s
		sp.Provider = prev[fProvider].s
		sp.Operation = prev[fOperation].s
		sp.RequestModel = prev[fRequestModel].s
		sp.ResponseModel = prev[fResponseModel].s
		sp.EndState = prev[fEndState].s
		sp.EndStateReason = prev[fEndStateReason].s
		sp.Attributes = prev[fAttributes].b
		sp.Resource = prev[fResource].b
		sp.Scope = prev[fScope].b
		sp.Events = prev[fEvents].b
		sp.Links = prev[fLinks].b
		if d.err != nil {
			return dst, d.err
		}
		dst = append(dst, sp)
	}
	if d.err == nil && d.off != len(blob) {
		d.err = fmt.Errorf("%w: %d trailing bytes", errCorrupt, len(blob)-d.off)
	}
	return dst, d.err
}

// field is a decoded field value: s for strings, b for JSON documents.
type field struct {
	s string
	b []byte
}

type decoder struct {
	b   []byte
	s   string // the same bytes as b, copied once for the strings
	off int
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: bad %s at offset %d", errCorrupt, what, d.off)
	}
	d.off = len(d.b)
}

func (d *decoder) byte() byte {
	if d.off >= len(d.b) {
		d.fail("byte")
		return 0
	}
	c := d.b[d.off]
	d.off++
	return c
}

func (d *decoder) read(p []byte) {
	if len(d.b)-d.off < len(p) {
		d.fail("fixed field")
		return
	}
	d.off += copy(p, d.b[d.off:])
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) string(n uint64) string {
	if uint64(len(d.b)-d.off) < n {
		d.fail("length")
		return ""
	}
	s := d.s[d.off : d.off+int(n)]
	d.off += int(n)
	return s
}

func (d *decoder) field(f *field) {
	v := d.uvarint()
	switch v {
	case 0:
		*f = field{}
	case 1: // repeat: f keeps the previous span's value
	default:
		n := v - 2
		if uint64(len(d.b)-d.off) < n {
			d.fail("length")
			return
		}
		end := d.off + int(n)
		*f = field{s: d.s[d.off:end], b: d.b[d.off:end:end]}
		d.off = end
	}
}
