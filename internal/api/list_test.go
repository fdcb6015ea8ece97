package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// The sessions of the list tests, oldest first.
var (
	l1 = traceID(0xe1) // alpha-run: Success, tags prod
	l2 = traceID(0xe2) // beta-run: Failure, tags dev
	l3 = traceID(0xe3) // gamma: running, tags prod
	l4 = traceID(0xe4) // delta: silent past the timeout (Indeterminate), no tags
	l5 = traceID(0xe5) // alpha-two: explicit Indeterminate, tags prod, eu
	// Another project's session, matching most filters: never listed.
	other = traceID(0xf1)
)

func listStore(t *testing.T) store.SessionReader {
	s := newStore(t)
	sess := func(project string, id model.TraceID, name string, start time.Duration, ended bool, endState string, tags []string, ingestedAt time.Time) {
		root := model.Span{
			ProjectID: project, TraceID: id, SpanID: spanID(1), Kind: semconv.KindSession, Name: name,
			Start: at(start), Status: model.StatusOK, EndState: endState, Tags: tags,
		}
		if ended {
			root.End = at(start + 10*time.Second)
		}
		tool := model.Span{
			ProjectID: project, TraceID: id, SpanID: spanID(2), ParentID: spanID(1), Kind: semconv.KindTool, Name: "t",
			Start: at(start + time.Second), End: at(start + 2*time.Second),
		}
		write(t, s, ingestedAt, root, tool)
	}
	recent, stale := now.Add(-time.Minute), now.Add(-2*time.Hour)
	sess("p1", l1, "alpha-run", 1*time.Minute, true, semconv.EndStateSuccess, []string{"prod"}, recent)
	sess("p1", l2, "beta-run", 2*time.Minute, true, semconv.EndStateFailure, []string{"dev"}, recent)
	sess("p1", l3, "gamma", 3*time.Minute, false, "", []string{"prod"}, recent)
	sess("p1", l4, "delta", 4*time.Minute, false, "", nil, stale)
	sess("p1", l5, "alpha-two", 5*time.Minute, true, semconv.EndStateIndeterminate, []string{"prod", "eu"}, recent)
	sess("p2", other, "alpha-other", 6*time.Minute, true, semconv.EndStateSuccess, []string{"prod"}, recent)
	return s
}

func ids(list SessionList) []string {
	out := make([]string, len(list.Sessions))
	for i, s := range list.Sessions {
		out[i] = s.ID
	}
	return out
}

func idStrings(ids ...model.TraceID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

func TestListFilters(t *testing.T) {
	h := New(listStore(t), Options{SessionTimeout: testTimeout, Now: func() time.Time { return now }})
	rfc := func(d time.Duration) string { return url.QueryEscape(base.Add(d).Format(time.RFC3339)) }
	unix := func(d time.Duration) string { return strconv.FormatInt(base.Add(d).Unix(), 10) }
	tests := []struct {
		query string
		want  []model.TraceID
	}{
		{"", []model.TraceID{l5, l4, l3, l2, l1}},
		{"tag=prod", []model.TraceID{l5, l3, l1}},
		{"tag=nope", nil},
		{"end_state=Success", []model.TraceID{l1}},
		{"end_state=SUCCESS", []model.TraceID{l1}},
		{"end_state=failure", []model.TraceID{l2}},
		{"end_state=Fail", []model.TraceID{l2}},
		{"end_state=indeterminate", []model.TraceID{l5, l4}}, // explicit, and stale
		{"end_state=running", []model.TraceID{l3}},
		{"end_state=Running", []model.TraceID{l3}},
		{"end_state=", []model.TraceID{l5, l4, l3, l2, l1}}, // empty: no filter
		{"since=" + rfc(3*time.Minute), []model.TraceID{l5, l4, l3}},
		{"since=" + unix(3*time.Minute), []model.TraceID{l5, l4, l3}},
		{"until=" + rfc(3*time.Minute), []model.TraceID{l2, l1}}, // until is exclusive
		{"since=" + unix(2*time.Minute) + "&until=" + rfc(4*time.Minute), []model.TraceID{l3, l2}},
		{"since=" + url.QueryEscape(base.Add(3*time.Minute).In(time.FixedZone("CET", 3600)).Format(time.RFC3339Nano)), []model.TraceID{l5, l4, l3}},
		{"q=alpha", []model.TraceID{l5, l1}},
		{"q=" + l3.String()[:6], []model.TraceID{l3}},
		{"tag=prod&end_state=running", []model.TraceID{l3}},
		{"limit=2", []model.TraceID{l5, l4}},
		{"limit=1000&unknown=ignored", []model.TraceID{l5, l4, l3, l2, l1}},
		{"sort=name&order=asc", []model.TraceID{l1, l5, l2, l4, l3}},
		{"sort=name", []model.TraceID{l3, l4, l2, l5, l1}},
		{"sort=start&order=desc", []model.TraceID{l5, l4, l3, l2, l1}},
		{"sort=start&order=asc&tag=prod", []model.TraceID{l1, l3, l5}},
		{"has_errors=true", nil},
		{"has_errors=false", []model.TraceID{l5, l4, l3, l2, l1}},
		{"model=gpt-4o", nil},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			rec := serve(t, h, http.MethodGet, "/v2/sessions?"+tc.query, "p1")
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d, body %s", rec.Code, rec.Body)
			}
			list := decode[SessionList](t, rec)
			if got, want := ids(list), idStrings(tc.want...); !slices.Equal(got, want) {
				t.Errorf("sessions %v, want %v", got, want)
			}
			if list.Sessions == nil {
				t.Error("sessions is null, want []")
			}
		})
	}
}

func TestListRows(t *testing.T) {
	r := listStore(t)
	list, err := List(context.Background(), r, "p1", store.SessionQuery{}, now, testTimeout)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]SessionSummary{}
	for _, s := range list.Sessions {
		byID[s.ID] = s
	}
	want := SessionSummary{
		ID: l1.String(), Name: "alpha-run", Tags: []string{"prod"},
		SessionState: SessionState{
			EndState:  ptr("Success"),
			StartTime: Timestamp(at(time.Minute)), EndTime: Timestamp(at(time.Minute + 10*time.Second)), DurationMs: 10000,
		},
		Events: EventCounts{ToolCalls: 1, Total: 2},
		Cost:   CostSummary{Complete: true},
	}
	if got := byID[l1.String()]; !reflect.DeepEqual(got, want) {
		t.Errorf("row of l1:\n got %+v\nwant %+v", got, want)
	}
	if got := byID[l3.String()]; got.EndState != nil || !got.Running {
		t.Errorf("row of the running session: end_state %v running %v", got.EndState, got.Running)
	}
	if got := byID[l4.String()]; got.EndState == nil || *got.EndState != "Indeterminate" || got.Running || got.Tags == nil {
		t.Errorf("row of the stale session: %+v", got)
	}
	if list.NextCursor != nil {
		t.Errorf("single page: next_cursor %q, want null", *list.NextCursor)
	}

	// The API answers exactly what List returns.
	rec := serve(t, New(r, Options{SessionTimeout: testTimeout, Now: func() time.Time { return now }}), http.MethodGet, "/v2/sessions", "p1")
	b, _ := json.Marshal(list)
	if !bytes.Equal(append(b, '\n'), rec.Body.Bytes()) {
		t.Errorf("List() JSON differs from the API answer:\n%s\n%s", b, rec.Body)
	}
	var doc struct {
		Sessions []map[string]json.RawMessage `json:"sessions"`
		Next     json.RawMessage              `json:"next_cursor"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if string(doc.Next) != "null" {
		t.Errorf("next_cursor = %s, want null", doc.Next)
	}
	var keys []string
	for k := range doc.Sessions[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	wantKeys := []string{"cost", "duration_ms", "end_state", "end_state_reason", "end_time", "events", "id", "name", "running", "start_time", "tags", "tokens"}
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("row keys %v, want %v", keys, wantKeys)
	}
}

func TestListCursorWalk(t *testing.T) {
	h := New(listStore(t), Options{SessionTimeout: testTimeout, Now: func() time.Time { return now }})
	tests := []struct {
		query string
		pages [][]model.TraceID
	}{
		{"limit=2", [][]model.TraceID{{l5, l4}, {l3, l2}, {l1}}},
		{"limit=1&tag=prod", [][]model.TraceID{{l5}, {l3}, {l1}}},
		{"limit=5", [][]model.TraceID{{l5, l4, l3, l2, l1}}},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			cursor := ""
			for i, want := range tc.pages {
				target := "/v2/sessions?" + tc.query
				if cursor != "" {
					target += "&cursor=" + url.QueryEscape(cursor)
				}
				rec := serve(t, h, http.MethodGet, target, "p1")
				if rec.Code != http.StatusOK {
					t.Fatalf("page %d: status %d, body %s", i, rec.Code, rec.Body)
				}
				list := decode[SessionList](t, rec)
				if got := ids(list); !slices.Equal(got, idStrings(want...)) {
					t.Errorf("page %d: %v, want %v", i, got, idStrings(want...))
				}
				last := i == len(tc.pages)-1
				if last != (list.NextCursor == nil) {
					t.Fatalf("page %d: next_cursor %v, last page %v", i, list.NextCursor, last)
				}
				if !last {
					cursor = *list.NextCursor
				}
			}
		})
	}
}

func TestListBadQuery(t *testing.T) {
	h := New(listStore(t), Options{SessionTimeout: testTimeout, Now: func() time.Time { return now }})
	garbled := base64.RawURLEncoding.EncodeToString([]byte("\x00\x00\x00\x00not a cursor"))
	tests := []struct {
		query, mentions string
	}{
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"limit=-1", "limit"},
		{"limit=ten", "limit"},
		{"limit=2.5", "limit"},
		{"end_state=done", "end_state"},
		{"end_state=succeeded", "end_state"},
		{"since=yesterday", "since"},
		{"since=2025-13-01T00:00:00Z", "since"},
		{"since=2025-01-02", "since"},
		{"since=0", "since"},
		{"until=-5", "until"},
		{"until=99999999999999999", "until"},
		{"until=2300-01-01T00:00:00Z", "until"},
		{"cursor=not-a-cursor", "cursor"},
		{"cursor=" + garbled, "cursor"},
		{"sort=price", "sort"},
		{"order=up", "order"},
		{"has_errors=maybe", "has_errors"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			rec := serve(t, h, http.MethodGet, "/v2/sessions?"+tc.query, "p1")
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400; body %s", rec.Code, rec.Body)
			}
			body := decode[map[string]string](t, rec)
			if msg := body["error"]; !strings.Contains(msg, tc.mentions) || len(body) != 1 {
				t.Errorf("body %v: want only an error naming %q", body, tc.mentions)
			}
		})
	}
}

// TestListQueryErrors: List checks a query given by the CLI as the handler
// does.
func TestListQueryErrors(t *testing.T) {
	r := listStore(t)
	for _, q := range []store.SessionQuery{{Limit: -1}, {Limit: 1001}, {EndState: "nope"}, {Cursor: "xyz"}} {
		if _, err := List(context.Background(), r, "p1", q, now, testTimeout); !errors.Is(err, ErrInvalidQuery) {
			t.Errorf("List(%+v): %v, want ErrInvalidQuery", q, err)
		}
	}
	list, err := List(context.Background(), r, "p1", store.SessionQuery{EndState: "fail"}, now, testTimeout)
	if err != nil || !slices.Equal(ids(list), idStrings(l2)) {
		t.Errorf("List(end_state fail) = %v, %v", ids(list), err)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1735787045", at(0), true},
		{"2025-01-02T03:04:05Z", at(0), true},
		{"2025-01-02T04:04:05+01:00", at(0), true},
		{"2025-01-02T03:04:05.5Z", at(500 * time.Millisecond), true},
		{"0", 0, false},
		{"-1", 0, false},
		{"1e9", 0, false},
		{"2025-01-02 03:04:05", 0, false},
		{"1969-12-31T23:59:59Z", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		got, err := ParseTime(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseTime(%q) = %d, %v; want %d, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestListCursorOfAnotherOrder: a cursor is refused with a 400 under another
// sort or direction, and walks its own order to the end.
func TestListCursorOfAnotherOrder(t *testing.T) {
	h := New(listStore(t), Options{SessionTimeout: testTimeout, Now: func() time.Time { return now }})
	rec := serve(t, h, http.MethodGet, "/v2/sessions?sort=name&order=asc&limit=2", "p1")
	first := decode[SessionList](t, rec)
	if first.NextCursor == nil {
		t.Fatal("no next cursor")
	}
	for _, q := range []string{"sort=start&order=asc", "sort=name", "", "sort=name&order=desc"} {
		rec := serve(t, h, http.MethodGet, "/v2/sessions?"+q+"&limit=2&cursor="+*first.NextCursor, "p1")
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s with a cursor of sort=name&order=asc: %d, want 400", q, rec.Code)
		}
	}
	var got []string
	got = append(got, ids(first)...)
	for cursor := first.NextCursor; cursor != nil; {
		page := decode[SessionList](t, serve(t, h, http.MethodGet, "/v2/sessions?sort=name&order=asc&limit=2&cursor="+*cursor, "p1"))
		got = append(got, ids(page)...)
		cursor = page.NextCursor
	}
	if want := idStrings(l1, l5, l2, l4, l3); !slices.Equal(got, want) {
		t.Errorf("walk by name: %v, want %v", got, want)
	}
}
