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

// A span filter lists a 32-bit fingerprint of each span id of one chunk,
// stored in span_filters beside the chunk (schema version 4). It answers
// "may this chunk hold span id X" with no false negatives and a false
// positive once in ~4 billion spans, in 4 bytes a span: the lookup by span
// id scans these rows rather than the chunks, and reads a trace only when
// it holds the id (a Bloom filter of ~10 bits a span was a third of the
// size, but its 1% false positives each cost a whole trace read, which
// dominated the lookup: BenchmarkSpanTrace). The write path appends one
// row per commit rather than dirtying a random index leaf per span.

// spanFilter builds the filter of spans' ids.
func spanFilter(spans []model.Span) []byte {
	f := make([]byte, 0, 4*len(spans))
	for i := range spans {
		f = binary.BigEndian.AppendUint32(f, fingerprint(spans[i].SpanID))
	}
	return f
}

// filterHas reports whether the filter f may hold id.
func filterHas(f []byte, id model.SpanID) bool {
	fp := fingerprint(id)
	for i := 0; i+4 <= len(f); i += 4 {
		if binary.BigEndian.Uint32(f[i:]) == fp {
			return true
		}
	}
	return false
}

// fingerprint mixes a span id (splitmix64's finalizer) into 32 bits: ids
// are random in practice, but nothing forces a client to make them so.
func fingerprint(id model.SpanID) uint32 {
	x := binary.BigEndian.Uint64(id[:])
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return uint32(x >> 32)
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
// may hold id until one does. The cost is a scan of the project's filters
// (4 bytes a span, plus ~17 bytes a chunk) for an id stored long ago;
// recent spans are found first. Spans stored before
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
