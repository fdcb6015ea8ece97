package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// rangeChoices are the sessions page's time ranges.
var rangeChoices = []struct{ Value, Label string }{
	{"", "Any time"}, {"1h", "Last hour"}, {"24h", "Last 24 hours"}, {"7d", "Last 7 days"}, {"30d", "Last 30 days"},
}

var rangeDurations = map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "7d": 7 * 24 * time.Hour, "30d": 30 * 24 * time.Hour}

type sessionsData struct {
	Form    url.Values // the filters as given, to refill the form
	Rows    []sessionRow
	Next    string // URL of the next page, "" on the last
	First   string // URL of the first page when not on it
	Live    bool   // some row is running: the page refreshes them
	Models  []string
	Ranges  []struct{ Value, Label string }
	States  []string
	Columns []column
	Search  string
	Tag     string
	// Window is the sort window when it left older sessions out of the
	// order shown (0: every session is in it).
	Window int
}

type sessionRow struct {
	ID, Name      string
	Start         time.Time
	Duration      string
	State, Reason string
	Class         string
	Running       bool
	Tags          []string
	LLMCalls      int64
	ToolCalls     int64
	Errors        int64
	Tokens        int64
	Cost          string
	CostTitle     string
}

// column is a sortable header: its link toggles the order.
type column struct {
	Label, Sort string
	URL         string
	Arrow       string // ▲ or ▼ on the sorted column
	Num         bool
}

func (d *Dashboard) sessions(w http.ResponseWriter, r *http.Request, v *viewer) {
	params := r.URL.Query()
	if tid := params.Get("trace_id"); tid != "" { // the URL the AgentOps SDKs print
		d.redirectToSession(w, r, v, tid)
		return
	}
	if len(v.projects) == 0 {
		d.render(w, r, http.StatusOK, "sessions.html", d.page(v, "Sessions", "sessions", sessionsData{Form: params, Ranges: rangeChoices}))
		return
	}
	now := d.opts.Now()
	q := url.Values{}
	for _, k := range []string{"tag", "end_state", "model", "has_errors", "sort", "order", "cursor", "since", "until"} {
		if s := strings.TrimSpace(params.Get(k)); s != "" {
			q.Set(k, s)
		}
	}
	search := strings.TrimSpace(params.Get("q"))
	if tag, ok := strings.CutPrefix(search, "tag:"); ok {
		q.Set("tag", strings.TrimSpace(tag))
	} else if search != "" {
		q.Set("q", search)
	}
	if rg := params.Get("range"); rg != "" {
		dur, ok := rangeDurations[rg]
		if !ok {
			d.errorPage(w, r, v, http.StatusBadRequest, "Unknown time range.")
			return
		}
		q.Set("since", now.Add(-dur).UTC().Format(time.RFC3339))
	}
	q.Set("limit", "50")
	sq, err := api.ParseQuery(q)
	sq.SortWindow = d.opts.SortWindow
	if err == nil {
		var list api.SessionList
		list, err = api.List(r.Context(), d.st, v.current.ID, sq, now, d.opts.SessionTimeout)
		if err == nil {
			d.renderSessions(w, r, v, params, list)
			return
		}
	}
	if errors.Is(err, api.ErrInvalidQuery) || errors.Is(err, store.ErrNotFound) {
		d.errorPage(w, r, v, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "invalid query: "))
		return
	}
	d.storeError(w, r, v, err)
}

func (d *Dashboard) renderSessions(w http.ResponseWriter, r *http.Request, v *viewer, params url.Values, list api.SessionList) {
	data := sessionsData{Form: params, Ranges: rangeChoices, States: []string{"Success", "Failure", "Indeterminate", "running"}}
	data.Search, data.Tag = params.Get("q"), params.Get("tag")
	if list.Windowed {
		data.Window = d.opts.SortWindow
	}
	for _, s := range list.Sessions {
		row := sessionRow{
			ID: s.ID, Name: s.Name, Start: s.StartTime.Time(), Tags: s.Tags,
			Reason: s.EndStateReason, Running: s.Running,
			LLMCalls: s.Events.LLMCalls, ToolCalls: s.Events.ToolCalls, Errors: s.Events.Errors, Tokens: s.Tokens.Total,
			Duration: formatDuration(time.Duration(s.DurationMs * float64(time.Millisecond))),
			Cost:     formatUSD(s.Cost.TotalUSD),
		}
		if s.EndState != nil {
			row.State = *s.EndState
		} else {
			row.State = "Running"
			data.Live = true
		}
		row.Class = stateClass(strings.Replace(row.State, "Running", "", 1))
		if s.Cost.UnpricedCalls > 0 {
			row.Cost += "+"
			row.CostTitle = "plus unpriced LLM calls: the total is a lower bound"
		}
		data.Rows = append(data.Rows, row)
	}
	base := url.Values{}
	for k, vs := range params {
		if k != "cursor" && len(vs) > 0 && vs[0] != "" {
			base.Set(k, vs[0])
		}
	}
	if list.NextCursor != nil {
		next := cloneValues(base)
		next.Set("cursor", *list.NextCursor)
		data.Next = "/sessions?" + next.Encode()
	}
	if params.Get("cursor") != "" {
		data.First = "/sessions?" + base.Encode()
	}
	sort, order := params.Get("sort"), params.Get("order")
	for _, c := range []column{
		{Label: "Session", Sort: store.SortName}, {Label: "Started", Sort: store.SortStart},
		{Label: "Duration", Sort: store.SortDuration, Num: true}, {Label: "State"}, {Label: "Tags"},
		{Label: "LLM", Sort: store.SortLLMCalls, Num: true}, {Label: "Tools", Sort: store.SortToolCalls, Num: true},
		{Label: "Errors", Sort: store.SortErrors, Num: true}, {Label: "Tokens", Sort: store.SortTokens, Num: true},
		{Label: "Cost", Sort: store.SortCost, Num: true},
	} {
		if c.Sort != "" {
			u := cloneValues(base)
			u.Set("sort", c.Sort)
			u.Del("order")
			if sort == c.Sort {
				if order == "asc" {
					c.Arrow = "▲"
				} else {
					c.Arrow = "▼"
					u.Set("order", "asc")
				}
			}
			c.URL = "/sessions?" + u.Encode()
		}
		data.Columns = append(data.Columns, c)
	}
	if ov, err := d.st.Overview(r.Context(), v.current.ID, store.OverviewQuery{
		Since: d.opts.Now().Add(-90 * 24 * time.Hour).UnixNano(), Until: d.opts.Now().Add(24 * time.Hour).UnixNano(),
	}); err == nil {
		seen := map[string]bool{}
		for _, m := range ov.Models {
			if m.Model != "" && !seen[m.Model] {
				seen[m.Model] = true
				data.Models = append(data.Models, m.Model)
			}
		}
	}
	name := "sessions.html"
	if r.Header.Get("X-Fragment") == "rows" {
		name = "session_rows.html"
	}
	d.render(w, r, http.StatusOK, name, d.page(v, "Sessions", "sessions", data))
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// redirectToSession sends /sessions?trace_id=ID to the session's page, in
// whichever of the viewer's projects holds it.
func (d *Dashboard) redirectToSession(w http.ResponseWriter, r *http.Request, v *viewer, tid string) {
	id, err := model.ParseTraceID(strings.TrimSpace(tid))
	if err != nil {
		d.errorPage(w, r, v, http.StatusBadRequest, "trace_id must be 32 hex digits (or a UUID).")
		return
	}
	projects := append([]store.Project{v.current}, v.projects...)
	for _, p := range projects {
		_, err := d.st.Session(r.Context(), p.ID, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			d.storeError(w, r, v, err)
			return
		}
		target := "/sessions/" + id.String()
		if p.ID != v.current.ID {
			target += "?project=" + url.QueryEscape(p.ID)
		}
		http.Redirect(w, r, target, http.StatusFound)
		return
	}
	d.errorPage(w, r, v, http.StatusNotFound, "Session not found.")
}

func formatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	case d < time.Hour:
		return d.Round(time.Second).String()
	}
	return d.Round(time.Minute).String()
}
