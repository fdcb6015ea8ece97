package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"

	"github.com/agentops-go/agentops/semconv"
)

// streamParser assembles one streamed response from its events, in order.
// It must not retain data after event returns (the buffer is reused).
type streamParser interface {
	// event is called once per event: for SSE, name is the "event:" field ("" when absent) and
	// data the "data:" lines joined by "\n"; for NDJSON, one line; for a streamed JSON array,
	// one element. It returns true when the event carried output (text, tool-call or
	// reasoning delta) — the first such event fixes time to first token.
	event(name string, data []byte) (output bool)
	// result returns what has been assembled so far; result.usage is nil when the
	// provider sent no usage.
	result() result
}

// streamCompleter is implemented by a streamParser that recognises its
// provider's last event (Anthropic's message_stop, Ollama's "done": true).
// A stream closed by the caller after that event is complete, not abandoned:
// clients stop reading at the last event and close without waiting for EOF.
// SSE's "data: [DONE]" (OpenAI) is recognised by the framing itself.
type streamCompleter interface {
	complete() bool
}

// failure is an error the provider reported inside a successful response,
// such as an SSE error event, or a response that could not be parsed.
type failure struct{ typ, message string }

// DefaultMaxEventBytes caps one streamed event (an SSE event's data, an
// NDJSON line, a JSON array element). Past it the transport stops parsing
// the stream, notes why on the span, and keeps passing the bytes through.
const DefaultMaxEventBytes = 1 << 20

// eventSink receives the events a framer cuts out of a stream.
type eventSink interface {
	onEvent(name string, data []byte)
}

// framer cuts a byte stream into events incrementally: feed is given every
// chunk the caller reads, in order, and keeps only the incomplete tail.
type framer interface {
	// feed returns a non-nil error when it stops parsing (an event over the
	// cap, a framing it cannot follow); it is not called again after that.
	feed(p []byte) error
	// end is called at EOF: an event left without its terminator is
	// delivered when the framing allows it (NDJSON's last line).
	end()
	// done reports that the stream's terminal marker was seen (SSE [DONE]).
	done() bool
}

// newFramer picks the framing of a streamed response from its Content-Type:
// SSE for text/event-stream, lines for application/x-ndjson, and the
// elements of a JSON array for application/json when the request asked for
// a stream. nil: not a stream this package follows.
func newFramer(contentType string, streamRequested bool, sink eventSink, maxEvent int) framer {
	switch framing(contentType, streamRequested) {
	case "sse":
		return &sseFramer{sink: sink, max: maxEvent}
	case "lines":
		return &lineFramer{sink: sink, max: maxEvent}
	case "array":
		return &arrayFramer{sink: sink, max: maxEvent}
	}
	return nil
}

// framing names how a response of contentType is framed into events
// (newFramer): "sse", "lines" (NDJSON), "array" (a JSON array, when the
// request asked for a stream), or "" for a body that is not a stream.
func framing(contentType string, streamRequested bool) string {
	switch mediaType(contentType) {
	case "text/event-stream":
		return "sse"
	case "application/x-ndjson":
		return "lines"
	case "application/json":
		if streamRequested {
			return "array"
		}
	}
	return ""
}

func errEventTooLarge(max int) error {
	return fmt.Errorf("an event exceeds %d bytes", max)
}

// sseFramer follows the Server-Sent Events framing
// (https://html.spec.whatwg.org/multipage/server-sent-events.html): lines
// end with CRLF, LF or CR; "data:" lines accumulate, joined by "\n"; a blank
// line dispatches the event; lines starting with ":" are comments; "id" and
// "retry" are ignored. An event whose data is "[DONE]" ends the stream
// (OpenAI) and is not delivered.
type sseFramer struct {
	sink     eventSink
	max      int
	line     []byte // the incomplete line carried from the previous feed
	size     int    // bytes of the current event's complete lines (terminators aside), held to the cap
	data     []byte // data lines of the current event, joined by "\n"
	hasData  bool
	name     []byte // the current event's "event:" field
	lastName string // name as a string, reused while the name repeats
	afterCR  bool   // the previous feed ended with '\r': a leading '\n' belongs to it
	bom      int    // bytes of a leading byte order mark seen; 3 once past it
	finished bool   // [DONE] seen
}

var (
	doneData = []byte("[DONE]")
	bom      = "\xef\xbb\xbf"
)

func (f *sseFramer) done() bool { return f.finished }

func (f *sseFramer) feed(p []byte) error {
	for f.bom < len(bom) && len(p) > 0 { // a leading BOM is not part of the first line
		if p[0] != bom[f.bom] {
			f.bom = len(bom) // a BOM's first bytes and then others: not UTF-8, dropped
			break
		}
		f.bom++
		p = p[1:]
	}
	if f.afterCR && len(p) > 0 {
		f.afterCR = false
		if p[0] == '\n' {
			p = p[1:]
		}
	}
	for len(p) > 0 {
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			if f.size+len(f.line)+len(p) > f.max {
				return errEventTooLarge(f.max)
			}
			f.line = append(f.line, p...)
			return nil
		}
		ln := p[:i]
		if len(f.line) > 0 {
			f.line = append(f.line, ln...)
			ln = f.line
		}
		if p[i] == '\r' {
			if i+1 == len(p) {
				f.afterCR = true
			} else if p[i+1] == '\n' {
				i++
			}
		}
		p = p[i+1:]
		if err := f.processLine(ln); err != nil {
			return err
		}
		f.line = f.line[:0]
	}
	return nil
}

func (f *sseFramer) processLine(ln []byte) error {
	if len(ln) == 0 {
		f.dispatch()
		return nil
	}
	if f.size += len(ln); f.size > f.max {
		return errEventTooLarge(f.max)
	}
	if ln[0] == ':' {
		return nil
	}
	field, value := ln, []byte(nil)
	if i := bytes.IndexByte(ln, ':'); i >= 0 {
		field, value = ln[:i], ln[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	switch string(field) {
	case "data":
		if f.hasData {
			f.data = append(f.data, '\n')
		}
		f.data = append(f.data, value...)
		f.hasData = true
	case "event":
		f.name = append(f.name[:0], value...)
	}
	return nil
}

func (f *sseFramer) dispatch() {
	if f.hasData {
		if bytes.Equal(f.data, doneData) {
			f.finished = true
		} else {
			if string(f.name) != f.lastName {
				f.lastName = string(f.name)
			}
			f.sink.onEvent(f.lastName, f.data)
		}
	}
	f.data, f.hasData, f.name, f.size = f.data[:0], false, f.name[:0], 0
}

// end drops an event left without its blank line, as the SSE spec does.
func (f *sseFramer) end() {}

// lineFramer delivers each non-empty line of an NDJSON stream (Ollama),
// without its "\n" or "\r\n"; a last line without "\n" is delivered at EOF.
type lineFramer struct {
	sink eventSink
	max  int
	line []byte
}

func (f *lineFramer) done() bool { return false }

func (f *lineFramer) feed(p []byte) error {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(f.line)+len(p) > f.max {
				return errEventTooLarge(f.max)
			}
			f.line = append(f.line, p...)
			return nil
		}
		ln := p[:i]
		if len(f.line) > 0 {
			if len(f.line)+len(ln) > f.max {
				return errEventTooLarge(f.max)
			}
			f.line = append(f.line, ln...)
			ln = f.line
		}
		if len(ln) > f.max {
			return errEventTooLarge(f.max)
		}
		p = p[i+1:]
		f.deliver(ln)
		f.line = f.line[:0]
	}
	return nil
}

func (f *lineFramer) deliver(ln []byte) {
	ln = bytes.TrimSuffix(ln, []byte("\r"))
	if len(bytes.TrimSpace(ln)) > 0 {
		f.sink.onEvent("", ln)
	}
}

func (f *lineFramer) end() {
	f.deliver(f.line)
	f.line = f.line[:0]
}

// arrayFramer delivers the elements of a JSON array as they arrive (Gemini's
// streamGenerateContent without alt=sse sends "[{...},\r\n{...}]"). It
// tracks only nesting depth and strings; each element's bytes are delivered
// whole and unvalidated, for the parser to decode.
type arrayFramer struct {
	sink     eventSink
	max      int
	elem     []byte // the current element's bytes
	depth    int    // nesting depth inside the top-level array
	opened   bool   // '[' seen
	closed   bool   // the closing ']' seen
	inString bool
	escaped  bool
	inElem   bool
}

func (f *arrayFramer) done() bool { return f.closed }

var (
	errNotArray       = errors.New("the streamed JSON is not an array")
	errMalformedArray = errors.New("the streamed JSON array is malformed")
)

func (f *arrayFramer) feed(p []byte) error {
	start := 0 // where the current element starts in p, when it started in p
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !f.inElem {
			switch {
			case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			case !f.opened:
				if c != '[' {
					return errNotArray
				}
				f.opened = true
			case f.closed:
				return errors.New("data after the streamed JSON array")
			case c == ',':
			case c == ']':
				f.closed = true
			default:
				f.inElem, f.depth, start = true, 0, i
				f.elem = f.elem[:0]
				i-- // scan the element's first byte below
			}
			continue
		}
		end := false
		switch {
		case f.inString:
			switch {
			case f.escaped:
				f.escaped = false
			case c == '\\':
				f.escaped = true
			case c == '"':
				f.inString = false
				end = f.depth == 0
			}
		case c == '"':
			f.inString = true
		case c == '{' || c == '[':
			f.depth++
		case c == '}' || c == ']':
			if f.depth == 0 && c == '}' {
				return errMalformedArray
			}
			if f.depth == 0 { // the array's own ']' ends a scalar element
				if err := f.emit(p[start:i]); err != nil {
					return err
				}
				f.inElem = false
				i-- // the ']' again, outside the element
				continue
			}
			f.depth--
			end = f.depth == 0
		case f.depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n'):
			if err := f.emit(p[start:i]); err != nil { // a scalar element ends before its delimiter
				return err
			}
			f.inElem = false
			i--
			continue
		}
		if end {
			if err := f.emit(p[start : i+1]); err != nil {
				return err
			}
			f.inElem = false
		}
	}
	if f.inElem {
		if len(f.elem)+len(p)-start > f.max {
			return errEventTooLarge(f.max)
		}
		f.elem = append(f.elem, p[start:]...)
	}
	return nil
}

// emit delivers the element whose last part is tail (its earlier parts are
// in f.elem when it spans feeds).
func (f *arrayFramer) emit(tail []byte) error {
	if len(f.elem)+len(tail) > f.max {
		return errEventTooLarge(f.max)
	}
	if len(f.elem) > 0 {
		f.elem = append(f.elem, tail...)
		tail = f.elem
	}
	f.sink.onEvent("", tail)
	f.elem = f.elem[:0]
	return nil
}

func (f *arrayFramer) end() {}

// streamBody is a streamed response body: every Read passes through
// unchanged. Its bytes are held, with the time each Read delivered them,
// and parsed by the background recorder once the stream has ended (EOF, a
// read error or Close, whichever comes first): the caller's path costs a
// copy and a clock reading per Read, and no allocation once the held
// buffer has grown. A stream longer than maxHeldStream is parsed from there
// on as it passes (what was held first, then every Read), so memory stays
// bounded. Times (first chunk, first output) are those of the Read that
// delivered the event's last byte, whichever goroutine parses it. Read and
// Close may be called from different goroutines.
type streamBody struct {
	rc     io.ReadCloser
	rec    record
	parser streamParser
	fr     framer

	mu       sync.Mutex
	held     *[]byte     // bytes read and not parsed yet; nil before the first Read and once parsing inline
	marks    *[]readMark // where each Read's bytes end in held, and when they came
	inline   bool        // parsing as the bytes pass
	ended    bool
	sawEOF   bool
	readErr  error // the Read error that ended the stream, other than EOF
	closed   bool  // Close ended the stream (before EOF or an error)
	heldSize int   // maxHeldStream unless a test sets it

	// The parse: the caller's goroutine's while inline, the recorder's after.
	at          time.Duration // since rec.start: when the bytes being parsed came
	unparsed    error         // why parsing stopped, or nil
	events      int
	firstChunk  time.Duration // when events > 0
	firstOutput time.Duration // when output is true
	output      bool
}

// maxHeldStream caps the bytes of one stream held for the background parse.
const maxHeldStream = 1 << 20

type readMark struct {
	end int           // offset in held just past the Read's bytes
	at  time.Duration // since rec.start
}

var marksPool = sync.Pool{New: func() any { s := make([]readMark, 0, 64); return &s }}

func (s *streamBody) Read(p []byte) (int, error) {
	n, err := s.rc.Read(p)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return n, err
	}
	if n > 0 {
		s.keep(p[:n], time.Since(s.rec.start))
	}
	if err != nil {
		if err == io.EOF {
			s.sawEOF = true
		} else {
			s.readErr = err
		}
		s.finish()
	}
	return n, err
}

// keep holds p for the background parse, or parses it now once the stream
// is past maxHeldStream; s.mu is held.
func (s *streamBody) keep(p []byte, at time.Duration) {
	if s.inline {
		s.feed(p, at)
		return
	}
	if s.held == nil {
		s.held, s.marks = respPool.Get().(*[]byte), marksPool.Get().(*[]readMark)
		*s.held, *s.marks = (*s.held)[:0], (*s.marks)[:0]
	}
	max := s.heldSize
	if max == 0 {
		max = maxHeldStream
	}
	if len(*s.held)+len(p) > max {
		s.catchUp()
		s.inline = true
		s.feed(p, at)
		return
	}
	*s.held = append(*s.held, p...)
	*s.marks = append(*s.marks, readMark{end: len(*s.held), at: at})
}

// catchUp parses the held bytes, Read by Read, and releases them.
func (s *streamBody) catchUp() {
	if s.held == nil {
		return
	}
	b, start := *s.held, 0
	for _, m := range *s.marks {
		s.feed(b[start:m.end], m.at)
		start = m.end
	}
	putResp(s.held)
	if cap(*s.marks) <= 1<<16 {
		marksPool.Put(s.marks)
	}
	s.held, s.marks = nil, nil
}

func (s *streamBody) feed(p []byte, at time.Duration) {
	if s.unparsed != nil {
		return
	}
	s.at = at
	if err := s.fr.feed(p); err != nil {
		s.unparsed = err
	}
}

// Close ends the stream if it has not ended: a stream closed before its end
// is abandoned unless the provider's last event was read (see the package
// documentation).
func (s *streamBody) Close() error {
	err := s.rc.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.ended {
		s.closed = true
		s.finish()
	}
	return err
}

func (s *streamBody) complete() bool {
	if s.fr.done() {
		return true
	}
	c, ok := s.parser.(streamCompleter)
	return ok && c.complete()
}

func (s *streamBody) onEvent(name string, data []byte) {
	s.events++
	if s.events == 1 {
		s.firstChunk = s.at
	}
	if s.parser.event(name, data) && !s.output {
		s.firstOutput, s.output = s.at, true
	}
}

// finish ends the stream and hands its record over; s.mu is held. Nothing
// touches the body's parse state after: the recorder reads it alone.
func (s *streamBody) finish() {
	s.ended = true
	s.rec.end = time.Now()
	s.rec.t.submit(s)
}

// parse completes the parse, in the recorder: the held bytes, the end of
// the framing at EOF; then whether the stream was complete decides what a
// read error or an early Close mean: a read error after the provider's
// last event lost nothing, and a Close after it is no abandonment.
func (s *streamBody) parse() (abandoned bool) {
	s.catchUp()
	if s.sawEOF && s.unparsed == nil {
		s.fr.end()
	}
	complete := s.complete()
	if s.readErr != nil && !complete {
		s.rec.err = s.readErr
	}
	return s.closed && !complete
}

func (s *streamBody) heldBytes() int {
	n := len(s.rec.req.parse)
	if s.held != nil {
		n += len(*s.held)
	}
	return n
}

// run records what the stream gave and ends the span.
func (s *streamBody) run() {
	rec := &s.rec
	abandoned := s.parse()
	rec.finish(func(attrs []attribute.KeyValue, c call) []attribute.KeyValue {
		attrs = append(attrs, attribute.Int(semconv.LLMStreamChunks, s.events))
		if s.events > 0 {
			attrs = append(attrs, attribute.Float64(semconv.GenAITimeToFirstChunk, s.firstChunk.Seconds()))
		}
		if s.output {
			attrs = append(attrs, attribute.Float64(semconv.LLMTimeToFirstToken, s.firstOutput.Seconds()))
		}
		if abandoned {
			attrs = append(attrs, attribute.Bool(semconv.LLMStreamAbandoned, true))
		}
		if s.unparsed != nil {
			attrs = append(attrs, attribute.String(semconv.LLMStreamUnparsed, s.unparsed.Error()))
		}
		r := s.parser.result()
		attrs = rec.t.responseAttrs(attrs, rec.api.name, c, r)
		if rec.err == nil && r.failure != nil {
			attrs = append(attrs,
				attribute.String(semconv.ErrorType, r.failure.typ),
				attribute.String(semconv.ErrorMessage, r.failure.message),
			)
			rec.span.SetStatus(codes.Error, r.failure.message)
		}
		return attrs
	})
}

// eventDecoder decodes one JSON value per call and keeps its decoder's
// state between calls: json.Unmarshal allocates a decode state and scans
// its input twice (validation, then decoding) on every call, which is most
// of a streamed chunk's cost.
type eventDecoder struct {
	r   bytes.Reader
	dec *json.Decoder
}

var errTrailingData = errors.New("invalid data after the event's JSON value")

// decode decodes data, one whole JSON value, into v. After any error, or
// bytes after the value, the next call starts a fresh decoder: nothing of
// one event can leak into the next.
func (d *eventDecoder) decode(data []byte, v any) error {
	if d.dec == nil {
		d.dec = json.NewDecoder(&d.r)
	}
	data = bytes.TrimRight(data, " \t\r\n") // trailing space would count as trailing data and cost the decoder
	d.r.Reset(data)
	start := d.dec.InputOffset()
	err := d.dec.Decode(v)
	if n := d.dec.InputOffset() - start; err == nil && n != int64(len(data)) {
		if len(bytes.TrimSpace(data[n:])) > 0 {
			err = errTrailingData
		}
		d.dec = nil
	}
	if err != nil {
		d.dec = nil
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF { // as json.Unmarshal says it
		err = errEndOfInput
	}
	return err
}
