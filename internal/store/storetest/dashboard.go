package storetest

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// dashFixture is a project's sessions spread over three days, with LLM
// calls to several models, errors of a few kinds, sessions written in
// several chunks, and two sessions without an end state (one silent since
// long ago, one live). Traces are written one after another, so the
// arrival order is the order of sessions.
type dashFixture struct {
	sessions    []model.Session
	spans       []model.Span // every span written, each version once
	staleBefore int64
}

var dashModels = []string{"gpt-4o", "claude-sonnet-4", `odd "model"`}

func newDashFixture(t *testing.T, s store.Store) dashFixture {
	r := newRand(42)
	f := dashFixture{staleBefore: now.Add(-time.Minute).UnixNano()}
	for i := range 24 {
		id := traceID(500 + uint64(i))
		start := base + int64(i%3)*int64(24*time.Hour) + int64(i)*int64(time.Minute)
		chunks := chunkedTrace(r, "p1", id, start)
		for _, c := range chunks {
			for j := range c {
				sp := &c[j]
				if sp.Kind == semconv.KindLLM && r.IntN(5) > 0 {
					sp.RequestModel = dashModels[r.IntN(len(dashModels))]
				}
				if sp.IsError() {
					sp.ErrorType = []string{"TimeoutError", "ValueError", ""}[r.IntN(3)]
					sp.ErrorMessage = fmt.Sprintf("failure %d", r.IntN(2))
				}
			}
		}
		nows := make([]time.Time, len(chunks))
		for k, c := range chunks {
			nows[k] = now.Add(time.Duration(k) * time.Second)
			write(t, s, c, nows[k])
			f.spans = append(f.spans, c...)
		}
		f.sessions = append(f.sessions, Reference(chunks, nows))
	}
	for i, at := range []time.Time{now.Add(-time.Hour), now} { // stale, then live
		id := traceID(600 + uint64(i))
		root := rootSpan("p1", id, base+int64(i)*int64(time.Hour), fmt.Sprintf("open-%d", i))
		root.End = 0
		llm := span("p1", id, 2, 1, root.Start+5)
		llm.Kind, llm.RequestModel, llm.Cost, llm.CostSource = semconv.KindLLM, "gpt-4o", 0.5, model.CostTable
		write(t, s, []model.Span{root, llm}, at)
		f.spans = append(f.spans, root, llm)
		f.sessions = append(f.sessions, Reference([][]model.Span{{root, llm}}, []time.Time{at}))
	}
	other := rootSpan("p2", traceID(500), base, "other project")
	other.Kind = semconv.KindLLM
	other.RequestModel = "gpt-4o"
	write(t, s, []model.Span{other}, now)
	return f
}

func (f dashFixture) shown(sess *model.Session) string {
	return sess.State(time.Unix(0, f.staleBefore), 0)
}

// want is the reference answer to q.
func (f dashFixture) want(q store.SessionQuery) []model.TraceID {
	type row struct {
		s       *model.Session
		arrival int
	}
	var rows []row
	first := 0
	if q.Sort != "" && q.SortWindow > 0 {
		first = max(0, len(f.sessions)-q.SortWindow)
	}
	for i := first; i < len(f.sessions); i++ {
		sess := &f.sessions[i]
		if q.Model != "" && !slices.Contains(sess.Models, q.Model) {
			continue
		}
		if q.HasErrors && sess.Counts.Errors == 0 {
			continue
		}
		rows = append(rows, row{sess, i})
	}
	slices.SortStableFunc(rows, func(a, b row) int {
		c := 0
		switch q.Sort {
		case store.SortStart:
			c = cmp.Compare(a.s.Start, b.s.Start)
		case store.SortDuration:
			c = cmp.Compare(a.s.Duration(), b.s.Duration())
		case store.SortCost:
			c = cmp.Compare(a.s.Cost, b.s.Cost)
		case store.SortTokens:
			c = cmp.Compare(a.s.Usage.Total, b.s.Usage.Total)
		case store.SortLLMCalls:
			c = cmp.Compare(a.s.Counts.LLMCalls, b.s.Counts.LLMCalls)
		case store.SortToolCalls:
			c = cmp.Compare(a.s.Counts.ToolCalls, b.s.Counts.ToolCalls)
		case store.SortErrors:
			c = cmp.Compare(a.s.Counts.Errors, b.s.Counts.Errors)
		case store.SortName:
			c = cmp.Compare(a.s.Name, b.s.Name)
		}
		c = cmp.Or(c, cmp.Compare(a.arrival, b.arrival))
		if !q.Ascending || q.Sort == "" {
			c = -c
		}
		return c
	})
	ids := make([]model.TraceID, len(rows))
	for i := range rows {
		ids[i] = rows[i].s.ID
	}
	return ids
}

// testSessionsSortAndModel: the model and has-errors filters, and every
// sort column in both directions, paged.
func testSessionsSortAndModel(t *testing.T, s store.Store) {
	f := newDashFixture(t, s)
	var queries []store.SessionQuery
	for _, m := range append(dashModels, "gpt-4", "") {
		queries = append(queries, store.SessionQuery{Model: m}, store.SessionQuery{Model: m, HasErrors: true})
	}
	for _, col := range store.SortColumns {
		for _, asc := range []bool{false, true} {
			queries = append(queries, store.SessionQuery{Sort: col, Ascending: asc},
				store.SessionQuery{Sort: col, Ascending: asc, Model: "gpt-4o"},
				store.SessionQuery{Sort: col, Ascending: asc, SortWindow: 7},
				store.SessionQuery{Sort: col, Ascending: asc, SortWindow: 11, HasErrors: true})
		}
	}
	for _, q := range queries {
		want := f.want(q)
		for _, limit := range []int{0, 1, 5} {
			q.Limit = limit
			if got := walk(t, s, q); !slices.Equal(got, want) {
				t.Errorf("%+v: got\n%v\nwant\n%v", q, got, want)
			}
		}
	}
	// A sort window says when it left sessions out; the arrival order
	// ignores it.
	for _, c := range []struct {
		q    store.SessionQuery
		want bool
	}{
		{store.SessionQuery{Sort: store.SortCost, SortWindow: 7}, true},
		{store.SessionQuery{Sort: store.SortCost, SortWindow: len(f.sessions) - 1}, true},
		{store.SessionQuery{Sort: store.SortCost, SortWindow: len(f.sessions)}, false},
		{store.SessionQuery{Sort: store.SortCost}, false},
		{store.SessionQuery{SortWindow: 7}, false},
	} {
		page, err := s.Sessions(context.Background(), "p1", c.q)
		if err != nil || page.Windowed != c.want {
			t.Errorf("%+v: windowed %v (%v), want %v", c.q, page.Windowed, err, c.want)
		}
		if c.q.Sort == "" && len(page.Sessions) != min(50, len(f.sessions)) {
			t.Errorf("arrival order with a sort window: %d sessions", len(page.Sessions))
		}
	}
	if got := walk(t, s, store.SessionQuery{Model: "gpt-4o", EndState: "running", StaleBefore: f.staleBefore}); len(got) != 1 || got[0] != traceID(601) {
		t.Errorf("running sessions calling gpt-4o: %v, want [%s]", got, traceID(601))
	}
	page, err := s.Sessions(context.Background(), "p1", store.SessionQuery{Sort: store.SortCost, Limit: 2})
	if err != nil || page.Next == "" {
		t.Fatalf("first page by cost: %v, next %q", err, page.Next)
	}
	if _, err := s.Sessions(context.Background(), "p1", store.SessionQuery{Sort: store.SortName, Cursor: page.Next}); err == nil {
		t.Error("a cursor of the cost order was accepted for the name order")
	}
	if _, err := s.Sessions(context.Background(), "p1", store.SessionQuery{Sort: "nope"}); err == nil {
		t.Error("an unknown sort column was accepted")
	}
}

// testOverview compares Overview with the figures added up from the
// reference sessions and the spans written.
func testOverview(t *testing.T, s store.Store) {
	ov, ok := s.(store.Overviewer)
	if !ok {
		t.Skip("the backend has no Overview")
	}
	f := newDashFixture(t, s)
	day := int64(24 * time.Hour)
	for _, c := range []struct {
		name         string
		since, until int64
	}{
		{"all days", base - day, base + 5*day},
		{"second day only", base + day + 1, base + 2*day - 1},
		{"nothing", base + 10*day, base + 11*day},
	} {
		t.Run(c.name, func(t *testing.T) {
			first, last := c.since/day*day, (c.until-1)/day*day
			in := func(ts int64) bool { d := ts / day * day; return d >= first && d <= last }

			days := map[[2]any]*store.DayState{}
			reasons := map[[2]string]int64{}
			for i := range f.sessions {
				sess := &f.sessions[i]
				if !in(sess.Start) {
					continue
				}
				state := f.shown(sess)
				k := [2]any{sess.Start / day * day, state}
				d := days[k]
				if d == nil {
					d = &store.DayState{Day: k[0].(int64), State: state}
					days[k] = d
				}
				d.Sessions++
				d.Counts.Add(sess.Counts)
				d.Usage.Add(sess.Usage)
				d.Cost += sess.Cost
				d.Unpriced += sess.Unpriced
				b := len(store.DurationBuckets)
				for j, ub := range store.DurationBuckets {
					if sess.Duration() < ub {
						b = j
						break
					}
				}
				d.Durations[b]++
				if state != "" { // a stale session is Indeterminate, with no reason
					reasons[[2]string{state, sess.EndStateReason}]++
				}
			}
			var wantDays []store.DayState
			for _, d := range days {
				wantDays = append(wantDays, *d)
			}
			slices.SortFunc(wantDays, func(a, b store.DayState) int {
				return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.State, b.State))
			})

			models := map[[2]any]*store.ModelDay{}
			errs := map[[2]string]int64{}
			for i := range f.spans {
				sp := &f.spans[i]
				if !in(sp.Start) {
					continue
				}
				if sp.Kind == semconv.KindLLM {
					k := [2]any{sp.Start / day * day, sp.Model()}
					m := models[k]
					if m == nil {
						m = &store.ModelDay{Day: k[0].(int64), Model: sp.Model()}
						models[k] = m
					}
					m.Calls++
					m.Usage.Add(sp.Usage)
					switch sp.CostSource {
					case model.CostSpan, model.CostTable:
						m.Cost += sp.Cost
					case model.CostUnpriced:
						m.Unpriced++
					}
				}
				if sp.IsError() {
					msg := cmp.Or(sp.ErrorMessage, sp.StatusMessage)
					errs[[2]string{sp.ErrorType, msg}]++
				}
			}
			var wantModels []store.ModelDay
			for _, m := range models {
				wantModels = append(wantModels, *m)
			}
			slices.SortFunc(wantModels, func(a, b store.ModelDay) int {
				return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Model, b.Model))
			})

			if c.name == "all days" && (len(wantDays) < 4 || len(wantModels) < 4 || len(errs) < 3 || len(reasons) < 2) {
				t.Fatalf("the fixture is too thin to test anything: %d day states, %d model days, %d errors, %d reasons", len(wantDays), len(wantModels), len(errs), len(reasons))
			}
			got, err := ov.Overview(context.Background(), "p1", store.OverviewQuery{Since: c.since, Until: c.until, StaleBefore: f.staleBefore, TopErrors: 100})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Days, wantDays) {
				t.Errorf("days:\n got %+v\nwant %+v", got.Days, wantDays)
			}
			if !reflect.DeepEqual(got.Models, wantModels) {
				t.Errorf("models:\n got %+v\nwant %+v", got.Models, wantModels)
			}
			gotErrs := map[[2]string]int64{}
			for i, e := range got.Errors {
				gotErrs[[2]string{e.Type, e.Message}] = e.Count
				if i > 0 && e.Count > got.Errors[i-1].Count {
					t.Errorf("errors not most frequent first: %+v", got.Errors)
				}
			}
			if len(errs) == 0 {
				errs = map[[2]string]int64{}
			}
			if !reflect.DeepEqual(gotErrs, errs) {
				t.Errorf("errors:\n got %v\nwant %v", gotErrs, errs)
			}
			gotReasons := map[[2]string]int64{}
			for _, r := range got.Reasons {
				gotReasons[[2]string{r.State, r.Reason}] = r.Sessions
			}
			if !reflect.DeepEqual(gotReasons, reasons) {
				t.Errorf("reasons:\n got %v\nwant %v", gotReasons, reasons)
			}
		})
	}
	if got, err := ov.Overview(context.Background(), "nobody", store.OverviewQuery{Since: base, Until: base + day}); err != nil || len(got.Days)+len(got.Models)+len(got.Errors)+len(got.Reasons) != 0 {
		t.Errorf("overview of an unknown project: %+v, %v", got, err)
	}
}
