package loadgen

import (
	"bytes"
	"compress/gzip"
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
)

// gzipLevel favours client speed: with unique ids every request is
// re-compressed.
const gzipLevel = gzip.BestSpeed

// pool holds the request bodies encoded before the run. It is read-only once
// built and shared by every worker.
type pool struct {
	bodies      []encodedBody
	encoding    Encoding
	gzip        bool
	unique      bool
	spans       int // per body
	contentType string
}

type encodedBody struct {
	raw    []byte // encoded request, uncompressed; nil when wire is all we need
	rawLen int
	wire   []byte // sent as is when ids are not patched
	ids    idOffsets
}

// newPool encodes cfg.PoolSize distinct bodies on all cores. Content is
// reproducible; ids are random per run.
func newPool(cfg *Config) (*pool, error) {
	p := &pool{
		bodies:      make([]encodedBody, cfg.PoolSize),
		encoding:    cfg.Encoding,
		gzip:        cfg.Gzip,
		unique:      cfg.UniqueIDs,
		spans:       cfg.SpansPerRequest,
		contentType: "application/x-protobuf",
	}
	if p.encoding == EncodingJSON {
		p.contentType = "application/json"
	}
	shape := payloadShape{spans: cfg.SpansPerRequest, traces: cfg.TracesPerRequest}
	now := time.Now()
	runSeed := randomSeed()

	var (
		wg   sync.WaitGroup
		next atomic.Int64
		errs = make([]error, len(p.bodies))
	)
	for range min(runtime.GOMAXPROCS(0), len(p.bodies)) {
		wg.Go(func() {
			for i := int(next.Add(1) - 1); i < len(p.bodies); i = int(next.Add(1) - 1) {
				seed := runSeed
				seed[0] ^= byte(i)
				seed[1] ^= byte(i >> 8)
				ids := rand.New(rand.NewChaCha8(seed))
				content := rand.New(rand.NewPCG(uint64(i), 0x5eed))
				p.bodies[i], errs[i] = p.encode(buildTraces(shape, i, ids, content, now))
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("loadgen: encode body %d: %w", i, err)
		}
	}
	return p, nil
}

func (p *pool) encode(td ptrace.Traces) (encodedBody, error) {
	req := ptraceotlp.NewExportRequestFromTraces(td)
	var (
		b   encodedBody
		err error
	)
	if p.encoding == EncodingJSON {
		if b.raw, err = req.MarshalJSON(); err != nil {
			return b, err
		}
		b.ids, err = jsonIDOffsets(b.raw)
	} else {
		if b.raw, err = req.MarshalProto(); err != nil {
			return b, err
		}
		b.ids, err = protoIDOffsets(b.raw)
	}
	if err != nil {
		return b, fmt.Errorf("locate ids: %w", err)
	}
	if n := td.SpanCount(); len(b.ids.trace) != n {
		return b, fmt.Errorf("found %d trace ids for %d spans", len(b.ids.trace), n)
	}
	b.rawLen, b.wire = len(b.raw), b.raw
	if p.gzip && !p.unique {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzipLevel)
		if _, err := zw.Write(b.raw); err != nil {
			return b, err
		}
		if err := zw.Close(); err != nil {
			return b, err
		}
		b.wire, b.raw = buf.Bytes(), nil
	}
	if !p.unique {
		b.ids = idOffsets{}
	}
	return b, nil
}

// meanRawSize is the mean size of an encoded body before compression.
func (p *pool) meanRawSize() int {
	total := 0
	for _, b := range p.bodies {
		total += b.rawLen
	}
	return total / len(p.bodies)
}

func randomSeed() [32]byte {
	var s [32]byte
	crand.Read(s[:]) // never fails, per crypto/rand
	return s
}

// request is one body ready to send.
type request struct {
	body   []byte
	rawLen int // before gzip
	spans  int
	lease  *lease // nil when body is a shared, immutable pool body
}

// stream hands one worker its successive request bodies. It is not safe for
// concurrent use.
type stream struct {
	p    *pool
	next int
	rng  *rand.Rand

	buf  []byte // patched copy of a pool body
	zbuf *bytes.Buffer
	zw   *gzip.Writer
	lent *lease // the last body handed out, while the transport may read it
}

func (p *pool) stream(start int) *stream {
	s := &stream{p: p, next: start % len(p.bodies), rng: rand.New(rand.NewChaCha8(randomSeed()))}
	if p.gzip && p.unique {
		s.zbuf = new(bytes.Buffer)
		s.zw, _ = gzip.NewWriterLevel(s.zbuf, gzipLevel)
	}
	return s
}

// nextRequest returns the next body, with fresh ids when the pool promises
// unique ones. The body stays valid until its lease is fully released; if the
// previous one is still held (the transport may read a body after the
// response arrived) a new buffer is used instead of waiting.
func (s *stream) nextRequest() request {
	b := &s.p.bodies[s.next]
	s.next = (s.next + 1) % len(s.p.bodies)
	r := request{body: b.wire, rawLen: b.rawLen, spans: s.p.spans}
	if !s.p.unique {
		return r
	}
	if s.lent != nil && !s.lent.returned() {
		s.buf = nil
		if s.zbuf != nil {
			s.zbuf = new(bytes.Buffer)
		}
	}
	s.buf = append(s.buf[:0], b.raw...)
	m := idMask{trace: [2]uint64{s.rng.Uint64(), s.rng.Uint64()}, span: s.rng.Uint64()}
	if s.p.encoding == EncodingJSON {
		patchJSON(s.buf, b.ids, m)
	} else {
		patchProto(s.buf, b.ids, m)
	}
	r.body = s.buf
	if s.zw != nil {
		s.zbuf.Reset()
		s.zw.Reset(s.zbuf)
		// Writing to a bytes.Buffer cannot fail.
		_, _ = s.zw.Write(s.buf)
		_ = s.zw.Close()
		r.body = s.zbuf.Bytes()
	}
	r.lease = newLease()
	s.lent = r.lease
	return r
}

// lease counts the readers of a lent body: the worker holds one reference
// until its response is handled, and every body reader the transport opens
// holds one until the transport closes it.
type lease struct {
	refs atomic.Int32
	done chan struct{}
}

func newLease() *lease {
	l := &lease{done: make(chan struct{})}
	l.refs.Store(1)
	return l
}

func (l *lease) acquire() { l.refs.Add(1) }

func (l *lease) release() {
	if l.refs.Add(-1) == 0 {
		close(l.done)
	}
}

func (l *lease) returned() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// leasedBody is a request body that releases its lease when closed.
type leasedBody struct {
	bytes.Reader
	lease *lease
	once  sync.Once
}

func newLeasedBody(b []byte, l *lease) *leasedBody {
	if l != nil {
		l.acquire()
	}
	lb := &leasedBody{lease: l}
	lb.Reset(b)
	return lb
}

func (b *leasedBody) Close() error {
	b.once.Do(func() {
		if b.lease != nil {
			b.lease.release()
		}
	})
	return nil
}
