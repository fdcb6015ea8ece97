package sqlite

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// A span filter is a Bloom filter of the span ids of one chunk, stored in
// span_filters beside the chunk (schema version 4). It answers "may this
// chunk hold span id X" with ~1% false positives and no false negatives, in
// ~10 bits a span: the lookup by span id scans these small rows rather than
// the chunks, and the write path appends one row a chunk rather than
// dirtying a random index leaf a span.
const (
	filterBitsPerSpan = 10
	filterHashes      = 7 // ≈ ln 2 · bits per span: the fewest false positives
	filterMinBytes    = 8
)

// spanFilter builds the filter of spans' ids.
func spanFilter(spans []model.Span) []byte {
	n := (len(spans)*filterBitsPerSpan + 7) / 8
	f := make([]byte, max(n, filterMinBytes))
	for i := range spans {
		h1, h2 := filterHashes2(spans[i].SpanID)
		m := uint32(len(f) * 8)
		for k := uint32(0); k < filterHashes; k++ {
			b := (h1 + k*h2) % m
			f[b/8] |= 1 << (b % 8)
		}
	}
	return f
}

// filterHas reports whether the filter f may hold id.
func filterHas(f []byte, id model.SpanID) bool {
	if len(f) == 0 {
		return false
	}
	h1, h2 := filterHashes2(id)
	m := uint32(len(f) * 8)
	for k := uint32(0); k < filterHashes; k++ {
		b := (h1 + k*h2) % m
		if f[b/8]&(1<<(b%8)) == 0 {
			return false
		}
	}
	return true
}

// filterHashes2 derives the two hashes of double hashing from a span id,
// mixed first (splitmix64's finalizer): ids are random in practice, but
// nothing forces a client to make them so.
func filterHashes2(id model.SpanID) (uint32, uint32) {
	x := binary.BigEndian.Uint64(id[:])
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return uint32(x), uint32(x>>32) | 1
}

// spanFiltersSQL reads a page of a project's span filters, newest first,
// below a chunk id.
const spanFiltersSQL = `SELECT chunk, trace_id, bits FROM span_filters
WHERE project = ` + projectN + ` AND chunk < ? ORDER BY chunk DESC LIMIT ?`

// filterPage is how many filters SpanTrace reads before it checks their
// candidates: a recent span is found without scanning the rest, and no
// connection is held while the candidates' spans are read.
const filterPage = 4096

// SpanTrace implements store.SpanLocator: it scans the project's span
// filters, newest chunk first, and reads the spans of each trace whose filter
// may hold id until one does. The cost is the project's filters (~1.3 bytes
// a span, plus ~40 bytes a chunk) for an id stored long ago, plus a trace
// read per false positive; recent spans are found first. Spans stored before
// schema version 4 have no filter and are not found.
func (s *Store) SpanTrace(ctx context.Context, projectID string, id model.SpanID) (model.TraceID, error) {
	var none model.TraceID
	checked := make(map[model.TraceID]bool)
	below := int64(math.MaxInt64)
	for {
		candidates, last, n, err := s.filterPage(ctx, projectID, id, below)
		if err != nil {
			return none, fmt.Errorf("sqlite: span %s: %w", id, err)
		}
		for _, t := range candidates {
			if checked[t] {
				continue
			}
			checked[t] = true
			spans, err := s.Spans(ctx, projectID, t)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return none, fmt.Errorf("sqlite: span %s: %w", id, err)
			}
			for i := range spans {
				if spans[i].SpanID == id {
					return t, nil
				}
			}
		}
		if n < filterPage {
			return none, store.ErrNotFound
		}
		below = last
	}
}

// filterPage reads up to filterPage filters below chunk id below and returns
// the traces whose filter may hold id, the last chunk read and the number of
// rows read.
func (s *Store) filterPage(ctx context.Context, projectID string, id model.SpanID, below int64) (candidates []model.TraceID, last int64, n int, err error) {
	rows, err := s.rdb.QueryContext(ctx, spanFiltersSQL, projectID, below, filterPage)
	if err != nil {
		return nil, 0, 0, err
	}
	defer rows.Close()
	var trace, bits []byte
	for ; rows.Next(); n++ {
		if err := rows.Scan(&last, &trace, &bits); err != nil {
			return nil, 0, 0, err
		}
		if len(trace) != len(model.TraceID{}) {
			return nil, 0, 0, fmt.Errorf("%w: filter of chunk %d has a %d-byte trace id", errCorrupt, last, len(trace))
		}
		if filterHas(bits, id) {
			candidates = append(candidates, model.TraceID(trace))
		}
	}
	return candidates, last, n, rows.Err()
}
