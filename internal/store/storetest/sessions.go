package storetest

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// listFixture is a project's sessions with every combination the filters
// distinguish, plus a session of another project that no query may return.
// They are written one after another, with starts in another order than
// the writes, so that a list in start order would differ from the
// listing's order (the order of arrival).
type listFixture struct {
	sessions    []model.Session // the reference aggregates, in write order
	staleBefore int64
}

func newListFixture(t *testing.T, s store.Store) listFixture {
	old := now.Add(-time.Hour) // the clock of the sessions that went silent
	var f listFixture
	f.staleBefore = now.Add(-time.Minute).UnixNano()
	names := []string{"alpha", "beta", "100% done", "100x done", "under_score", "underXscore", "back\\slash", "ünïcode"}
	for i := range 20 {
		id := traceID(100 + uint64(i))
		start := base + int64((i*7)%20/2)*int64(time.Second) // shuffled; pairs share a start
		root := rootSpan("p1", id, start, fmt.Sprintf("%s-%d", names[i%len(names)], i))
		at := now
		switch i % 6 {
		case 0:
			root.EndState = semconv.EndStateSuccess
		case 1:
			root.EndState = semconv.EndStateFailure
		case 2:
			root.Status = model.StatusError // derived Failure
		case 3: // in flight, silent for long: shown Indeterminate
			root.End = 0
			at = old
		case 4: // in flight, live: running
			root.End = 0
		case 5:
			root.EndState = semconv.EndStateIndeterminate
		}
		switch i % 3 {
		case 0:
			root.Tags = []string{"all", "third"}
		case 1:
			root.Tags = []string{"all"}
		}
		child := span("p1", id, 2, 1, start+1)
		write(t, s, []model.Span{child, root}, at)
		f.sessions = append(f.sessions, Reference([][]model.Span{{child, root}}, []time.Time{at}))
	}
	other := rootSpan("p2", traceID(100), base, "alpha-0")
	other.Tags = []string{"all"}
	write(t, s, []model.Span{other}, now)
	return f
}

// want is the reference answer to q: the sessions matching every filter,
// the latest written first.
func (f listFixture) want(q store.SessionQuery) []model.TraceID {
	var out []model.Session
	for _, sess := range f.sessions {
		if q.Tag != "" && !slices.Contains(sess.Tags, q.Tag) {
			continue
		}
		if q.EndState != "" {
			shown := sess.State(time.Unix(0, q.StaleBefore), 0)
			if shown == "" {
				shown = "running"
			}
			if shown != q.EndState {
				continue
			}
		}
		if q.Since != 0 && sess.Start < q.Since || q.Until != 0 && sess.Start >= q.Until {
			continue
		}
		if q.Text != "" && !strings.Contains(sess.Name, q.Text) &&
			!strings.HasPrefix(sess.ID.String(), strings.ToLower(q.Text)) {
			continue
		}
		out = append(out, sess)
	}
	slices.Reverse(out)
	ids := make([]model.TraceID, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	return ids
}

// walk pages through q and returns the ids in order.
func walk(t *testing.T, s store.Store, q store.SessionQuery) []model.TraceID {
	t.Helper()
	var ids []model.TraceID
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatalf("%+v: more than 100 pages", q)
		}
		page, err := s.Sessions(context.Background(), "p1", q)
		if err != nil {
			t.Fatalf("Sessions(%+v): %v", q, err)
		}
		if q.Limit > 0 && len(page.Sessions) > q.Limit {
			t.Fatalf("Sessions(%+v): %d sessions on a page", q, len(page.Sessions))
		}
		for _, sess := range page.Sessions {
			if sess.ProjectID != "p1" {
				t.Errorf("Sessions(%+v) returned a session of %q", q, sess.ProjectID)
			}
			ids = append(ids, sess.ID)
		}
		if page.Next == "" {
			return ids
		}
		if len(page.Sessions) == 0 {
			t.Fatalf("Sessions(%+v): empty page with a next cursor", q)
		}
		q.Cursor = page.Next
	}
}

func testSessionsPagination(t *testing.T, s store.Store) {
	f := newListFixture(t, s)
	for _, limit := range []int{0, 1, 3, 19, 20, 21} {
		q := store.SessionQuery{Limit: limit}
		if got, want := walk(t, s, q), f.want(q); !slices.Equal(got, want) {
			t.Errorf("limit %d: got\n%v\nwant\n%v", limit, got, want)
		}
	}
	// Whole sessions, not only ids, are listed.
	page, err := s.Sessions(context.Background(), "p1", store.SessionQuery{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := f.sessions[19] // the last written
	if len(page.Sessions) != 1 || !sameSession(page.Sessions[0], want) {
		t.Errorf("first session = %+v, want %+v", page.Sessions, want)
	}
	if _, err := s.Sessions(context.Background(), "p1", store.SessionQuery{Cursor: "not a cursor!"}); err == nil {
		t.Error("Sessions with an invalid cursor: no error")
	}
}

func sameSession(a, b model.Session) bool { return reflect.DeepEqual(a, b) }

func testSessionsFilters(t *testing.T, s store.Store) {
	f := newListFixture(t, s)
	sb := f.staleBefore
	mid := base + 5*int64(time.Second)
	queries := []store.SessionQuery{
		{Tag: "all"}, {Tag: "third"}, {Tag: "none"},
		{EndState: semconv.EndStateSuccess}, {EndState: semconv.EndStateFailure},
		{EndState: semconv.EndStateIndeterminate, StaleBefore: sb}, {EndState: "running", StaleBefore: sb},
		{EndState: semconv.EndStateIndeterminate}, {EndState: "running"}, // no staleness: every live session runs
		{Since: mid}, {Until: mid}, {Since: mid, Until: mid + 2*int64(time.Second)}, {Since: base + 100*int64(time.Second)},
		{Text: "alpha"}, {Text: "100%"}, {Text: "under_"}, {Text: "back\\"}, {Text: "ünï"}, {Text: "-1"},
		{Text: traceID(107).String()[:16]}, {Text: strings.ToUpper(traceID(107).String())}, {Text: "00000000"},
		{Tag: "all", EndState: semconv.EndStateFailure, Since: base + 2*int64(time.Second)},
		{Tag: "third", Text: "alpha", Until: mid},
		{Tag: "all", EndState: "running", StaleBefore: sb},
	}
	for _, q := range queries {
		want := f.want(q)
		for _, limit := range []int{0, 2, 3} {
			q.Limit = limit
			if got := walk(t, s, q); !slices.Equal(got, want) {
				t.Errorf("%+v: got\n%v\nwant\n%v", q, got, want)
			}
		}
	}
}

// testSessionsArrivalOrder: a session stays where it first arrived when a
// later span moves its start, and since and until see the new start.
func testSessionsArrivalOrder(t *testing.T, s store.Store) {
	a, b, c := traceID(1), traceID(2), traceID(3)
	ra := rootSpan("p1", a, base+2*int64(time.Second), "a")
	ra.Tags = []string{"x"}
	rb := rootSpan("p1", b, base+1*int64(time.Second), "b")
	rb.Tags = []string{"x"}
	rc := rootSpan("p1", c, base+3*int64(time.Second), "c")
	rc.Tags = []string{"x"}
	write(t, s, []model.Span{ra}, now)
	write(t, s, []model.Span{rb}, now)
	write(t, s, []model.Span{rc}, now)
	write(t, s, []model.Span{span("p1", a, 2, 1, base)}, now) // a now starts first
	for _, q := range []struct {
		q    store.SessionQuery
		want []model.TraceID
	}{
		{store.SessionQuery{}, []model.TraceID{c, b, a}},
		{store.SessionQuery{Tag: "x"}, []model.TraceID{c, b, a}},
		{store.SessionQuery{Limit: 1, Tag: "x"}, []model.TraceID{c, b, a}},
		{store.SessionQuery{Limit: 1, Since: base + int64(time.Second)}, []model.TraceID{c, b}},
		{store.SessionQuery{Tag: "x", Until: base + int64(time.Second)}, []model.TraceID{a}},
	} {
		if got := walk(t, s, q.q); !slices.Equal(got, q.want) {
			t.Errorf("%+v: got %v, want %v", q.q, got, q.want)
		}
	}
}

func testSessionsLimit(t *testing.T, s store.Store) {
	var spans []model.Span
	for i := range 1010 {
		spans = append(spans, rootSpan("p1", traceID(uint64(i+1)), base+int64(i), "s"))
	}
	write(t, s, spans, now)
	for _, c := range []struct{ limit, want int }{{0, 50}, {1000, 1000}, {5000, 1000}} {
		page, err := s.Sessions(context.Background(), "p1", store.SessionQuery{Limit: c.limit})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Sessions) != c.want || page.Next == "" {
			t.Errorf("limit %d: %d sessions, next %q; want %d and a next page", c.limit, len(page.Sessions), page.Next, c.want)
		}
	}
	if got := walk(t, s, store.SessionQuery{Limit: 1000}); len(got) != 1010 {
		t.Errorf("walking pages of 1000 listed %d sessions, want 1010", len(got))
	}
}
