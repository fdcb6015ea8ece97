// Package storetest is the conformance suite of store.Store: every backend's
// tests call Run. It checks the contract written in internal/store, and the
// session aggregates against the reference semantics of model.Summarize and
// model.Session.Merge.
package storetest

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// Run runs the suite. open must return a new, empty store for each subtest
// and arrange for its Close (t.Cleanup).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"SpansRoundTrip", testSpansRoundTrip},
		{"SpansOrderAcrossChunks", testSpansOrder},
		{"EmptyWrite", testEmptyWrite},
		{"NotFound", testNotFound},
		{"MergeMatchesReference", testMergeReference},
		{"LargeBatch", testLargeBatch},
		{"RetryDedup", testRetryDedup},
		{"EndState", testEndState},
		{"Tags", testTags},
		{"ProjectIsolation", testProjectIsolation},
		{"SpanTrace", testSpanTrace},
		{"SessionsPagination", testSessionsPagination},
		{"SessionsFilters", testSessionsFilters},
		{"SessionsArrivalOrder", testSessionsArrivalOrder},
		{"SessionsLimit", testSessionsLimit},
		{"SessionsSortAndModel", testSessionsSortAndModel},
		{"Overview", testOverview},
		{"Projects", testProjects},
		{"Keys", testKeys},
		{"Prices", testPrices},
		{"ConcurrentReaders", testConcurrentReaders},
		{"Logs", testLogs},
		{"Prune", testPrune},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// base is the start time of the test data: 2024-01-01.
const base = int64(1_704_067_200_000_000_000)

// now is the server clock given to WriteSpans.
var now = time.Unix(0, base+int64(time.Hour))

func write(t *testing.T, s store.Store, spans []model.Span, at time.Time) {
	t.Helper()
	if err := s.WriteSpans(context.Background(), spans, at); err != nil {
		t.Fatalf("WriteSpans(%d spans): %v", len(spans), err)
	}
}

func session(t *testing.T, s store.Store, project string, id model.TraceID) model.Session {
	t.Helper()
	sess, err := s.Session(context.Background(), project, id)
	if err != nil {
		t.Fatalf("Session(%s, %s): %v", project, id, err)
	}
	return sess
}

func spansOf(t *testing.T, s store.Store, project string, id model.TraceID) []model.Span {
	t.Helper()
	spans, err := s.Spans(context.Background(), project, id)
	if err != nil {
		t.Fatalf("Spans(%s, %s): %v", project, id, err)
	}
	return spans
}

// Reference is the session that chunks (each the spans of one trace written
// by one WriteSpans call at nows[i]) must aggregate to.
func Reference(chunks [][]model.Span, nows []time.Time) model.Session {
	var s model.Session
	for i, c := range chunks {
		d := model.Summarize(c, nows[i].UnixNano())
		s.Merge(&d)
	}
	return s
}

func checkSession(t *testing.T, got, want model.Session) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("session %s:\n got %+v\nwant %+v", want.ID, got, want)
	}
}

// checkSpans checks that got is ordered by start time then span id and
// holds the spans of want. Spans equal in both (two versions of one span,
// sent in flight and ended) may come in any order.
func checkSpans(t *testing.T, got, want []model.Span) {
	t.Helper()
	for i := 1; i < len(got); i++ {
		if spanOrder(got[i-1], got[i]) > 0 {
			t.Errorf("spans %d and %d are out of order: %d %s, %d %s", i-1, i, got[i-1].Start, got[i-1].SpanID, got[i].Start, got[i].SpanID)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d spans, want %d", len(got), len(want))
	}
	got, want = slices.Clone(got), slices.Clone(want)
	for _, spans := range [][]model.Span{got, want} {
		slices.SortStableFunc(spans, func(a, b model.Span) int {
			if c := spanOrder(a, b); c != 0 {
				return c
			}
			return cmp.Compare(fmt.Sprintf("%+v", a), fmt.Sprintf("%+v", b))
		})
	}
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("span %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func spanOrder(a, b model.Span) int {
	if c := cmp.Compare(a.Start, b.Start); c != 0 {
		return c
	}
	return bytes.Compare(a.SpanID[:], b.SpanID[:])
}

func traceID(n uint64) model.TraceID {
	var id model.TraceID
	for i := range 8 {
		id[i] = byte(n >> (56 - 8*i))
	}
	id[15] = 0x42
	return id
}

func spanID(n uint64) model.SpanID {
	var id model.SpanID
	for i := range 8 {
		id[i] = byte(n >> (56 - 8*i))
	}
	return id
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }
