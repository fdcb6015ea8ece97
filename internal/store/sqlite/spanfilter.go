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

// A span_filters row holds the filters of the chunks one transaction stored
// for one project, each entry the chunk's trace id (16 bytes), the filter's
// length (uvarint) and the filter; chunk is the last chunk id of them.

// addFilter adds a stored chunk's filter to its project's row.
func (w *writer) addFilter(project, chunk int64, trace model.TraceID, filter []byte) {
	if w.filters == nil {
		w.filters = make(map[int64]*filterRow)
	}
	r := w.filters[project]
	if r == nil {
		r = &filterRow{}
		w.filters[project] = r
	}
	r.lastChunk = chunk
	r.entries = append(r.entries, trace[:]...)
	r.entries = binary.AppendUvarint(r.entries, uint64(len(filter)))
	r.entries = append(r.entries, filter...)
}

// writeFilters appends the transaction's rows of span filters.
func (w *writer) writeFilters(ctx context.Context, wt *writeTx) error {
	for project, r := range w.filters {
		if len(r.entries) == 0 {
			continue
		}
		if _, err := wt.insertFilter.ExecContext(ctx, project, r.lastChunk, r.entries); err != nil {
			return fmt.Errorf("insert span filters: %w", err)
		}
	}
	return nil
}

// resetFilters empties the rows, keeping their buffers.
func (w *writer) resetFilters() {
	for _, r := range w.filters {
		r.entries = r.entries[:0]
	}
}

// spanFiltersSQL reads a page of a project's rows of span filters, newest
// first, below a chunk id.
const spanFiltersSQL = `SELECT chunk, filters FROM span_filters
WHERE project = ` + projectN + ` AND chunk < ? ORDER BY chunk DESC LIMIT ?`

// filterPage is how many rows SpanTrace reads before it checks their
// candidates (a row holds up to a commit's chunks of a project): a recent
// span is found without scanning the rest, and no connection is held while
// the candidates' spans are read.
const filterPage = 64

// SpanTrace implements store.SpanLocator: it scans the project's span
// filters, newest chunk first, and reads the spans of each trace whose filter
// may hold id until one does. The cost is the project's filters (~1.3 bytes
// a span, plus ~17 bytes a chunk) for an id stored long ago, plus a trace
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

// filterPage reads up to filterPage rows below chunk id below and returns
// the traces whose filter may hold id, newest first, the last chunk id read
// and the number of rows read.
func (s *Store) filterPage(ctx context.Context, projectID string, id model.SpanID, below int64) (candidates []model.TraceID, last int64, n int, err error) {
	rows, err := s.rdb.QueryContext(ctx, spanFiltersSQL, projectID, below, filterPage)
	if err != nil {
		return nil, 0, 0, err
	}
	defer rows.Close()
	var entries []byte
	for ; rows.Next(); n++ {
		if err := rows.Scan(&last, &entries); err != nil {
			return nil, 0, 0, err
		}
		var inRow []model.TraceID
		for b := entries; len(b) > 0; {
			if len(b) < len(model.TraceID{}) {
				return nil, 0, 0, fmt.Errorf("%w: span filters of chunk %d cut short", errCorrupt, last)
			}
			trace := model.TraceID(b[:16])
			size, k := binary.Uvarint(b[16:])
			if k <= 0 || uint64(len(b)-16-k) < size {
				return nil, 0, 0, fmt.Errorf("%w: span filters of chunk %d cut short", errCorrupt, last)
			}
			b = b[16+k:]
			if filterHas(b[:size], id) {
				inRow = append(inRow, trace)
			}
			b = b[size:]
		}
		for i := len(inRow) - 1; i >= 0; i-- { // newest first
			candidates = append(candidates, inRow[i])
		}
	}
	return candidates, last, n, rows.Err()
}
