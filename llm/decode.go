package llm

import (
	"errors"
	"io"
	"sync"
)

// decoders holds the eventDecoders of unmarshal. A decoder keeps its read
// buffer between calls (sized to the largest body it decoded), so one that
// decoded a body over maxPooledDecode is not kept.
var decoders = sync.Pool{New: func() any { return new(eventDecoder) }}

const maxPooledDecode = 256 << 10

// unmarshal decodes b, one whole JSON value, into v like json.Unmarshal,
// with a pooled decoder: json.Unmarshal allocates its decode state on
// every call. The request and response parsers of every API use it.
func unmarshal(b []byte, v any) error {
	d := decoders.Get().(*eventDecoder)
	err := d.decode(b, v)
	d.r.Reset(nil)
	if len(b) <= maxPooledDecode {
		decoders.Put(d)
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF { // as json.Unmarshal says it
		err = errEndOfInput
	}
	return err
}

var errEndOfInput = errors.New("unexpected end of JSON input")
