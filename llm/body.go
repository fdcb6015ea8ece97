package llm

import (
	"bytes"
	"io"
	"net/http"
	"sync"
)

// DefaultMaxRequestBytes caps the request body the transport reads to
// record a call. A larger body is sent untouched, never buffered, and the
// call is recorded without its request (see WithMaxRequestBytes).
const DefaultMaxRequestBytes = 8 << 20

// requestBody is a recognised request's body as the transport handles it:
// the bytes to parse, and the Body and GetBody to send in their place.
//
// The body is copied at most once. When the request has GetBody (requests
// made by http.NewRequest from a bytes.Buffer, bytes.Reader or
// strings.Reader, and by the OpenAI and Anthropic clients), a fresh copy
// from GetBody is read into a pooled buffer for parsing and the request's
// own Body and GetBody are sent unchanged. Otherwise Body is read once and
// both the sent Body and GetBody replay those bytes, so redirects and the
// client's retries can resend it.
type requestBody struct {
	parse    []byte // the bytes to parse; nil when too large or unreadable
	tooLarge bool   // the body is over the cap
	body     io.ReadCloser
	getBody  func() (io.ReadCloser, error)
	same     bool    // body and getBody are the request's own
	pooled   *[]byte // parse's storage, returned by release
}

var bodyPool = sync.Pool{New: func() any { return new([]byte) }}

// maxPooled keeps buffers of unusually large bodies out of the pool.
const maxPooled = 4 << 20

func readRequestBody(req *http.Request, max int64) requestBody {
	own := requestBody{body: req.Body, getBody: req.GetBody, same: true}
	if req.ContentLength > max {
		own.tooLarge = true
		return own
	}
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			buf := bodyPool.Get().(*[]byte)
			b, err := readUpTo(rc, req.ContentLength, max, (*buf)[:0])
			rc.Close()
			*buf = b
			switch {
			case err == nil && int64(len(b)) <= max:
				own.parse, own.pooled = b, buf
			case err == nil:
				own.tooLarge = true
				putBuffer(buf)
			default:
				putBuffer(buf) // the send fails alike, or GetBody is broken: pass through
			}
			return own
		}
	}

	b, err := readUpTo(req.Body, req.ContentLength, max, nil)
	switch {
	case err != nil: // the base transport meets the same error after these bytes
		return requestBody{body: readCloser{io.MultiReader(bytes.NewReader(b), errReader{err}), req.Body}}
	case int64(len(b)) > max:
		return requestBody{tooLarge: true, body: readCloser{io.MultiReader(bytes.NewReader(b), req.Body), req.Body}}
	}
	req.Body.Close()
	return requestBody{
		parse:   b,
		body:    io.NopCloser(bytes.NewReader(b)),
		getBody: func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
	}
}

// readUpTo appends r to b until EOF or until b has more than max bytes. A
// known content length sizes b once (+1: EOF is seen without growing).
func readUpTo(r io.Reader, contentLength, max int64, b []byte) ([]byte, error) {
	size := int64(512)
	if contentLength > 0 {
		size = contentLength + 1
	}
	if size = min(size, max+1); int64(cap(b)) < size {
		b = make([]byte, 0, size)
	}
	for {
		if len(b) == cap(b) { // unknown length: double, so the bytes are copied about once more in all
			nb := make([]byte, len(b), min(2*int64(cap(b)), max+1))
			copy(nb, b)
			b = nb
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > max {
			return b, nil
		}
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// release returns the parse buffer to the pool; parse must not be used after.
func (rb *requestBody) release() {
	if rb.pooled != nil {
		putBuffer(rb.pooled)
		rb.pooled, rb.parse = nil, nil
	}
}

func putBuffer(b *[]byte) {
	if cap(*b) <= maxPooled {
		bodyPool.Put(b)
	}
}

// request returns the request to send: req itself when its body is sent
// as it is, otherwise a shallow copy with the body to send (req is never
// modified).
func (rb *requestBody) request(req *http.Request) *http.Request {
	if rb.same {
		return req
	}
	r := new(http.Request)
	*r = *req
	r.Body, r.GetBody = rb.body, rb.getBody
	return r
}

type readCloser struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
