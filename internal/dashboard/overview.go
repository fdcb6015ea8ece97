package dashboard

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// periods are the overview's choices, in days.
var periods = []int{1, 7, 14, 30, 90}

const defaultPeriod = 14

type totals struct {
	Sessions, Success, Failure, Indeterminate, Running int64
	SuccessRate, FailureRate                           string
	Cost                                               float64
	Input, Output, Cached, Reasoning, TotalTokens      int64
	LLMCalls, ToolCalls, Errors, Unpriced              int64
}

type overviewData struct {
	Days      int
	Periods   []int
	From, To  time.Time
	T         totals
	Sessions  chart
	Cost      chart
	Tokens    chart
	Durations chart
	Errors    []hbar
	Reasons   []hbar
	Models    []string
}

// Classes of the end states in charts and badges.
func stateClass(state string) string {
	switch state {
	case semconv.EndStateSuccess:
		return "st-success"
	case semconv.EndStateFailure:
		return "st-failure"
	case semconv.EndStateIndeterminate:
		return "st-indeterminate"
	}
	return "st-running"
}

var durationLabels = []string{"< 1 s", "1–5 s", "5–30 s", "30 s–2 m", "2–10 m", "10–60 m", "≥ 1 h"}

func (d *Dashboard) overview(w http.ResponseWriter, r *http.Request, v *viewer) {
	days := defaultPeriod
	if s := r.URL.Query().Get("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || !slices.Contains(periods, n) {
			d.errorPage(w, r, v, http.StatusBadRequest, "days must be one of 1, 7, 14, 30, 90.")
			return
		}
		days = n
	}
	if len(v.projects) == 0 {
		d.render(w, r, http.StatusOK, "overview.html", d.page(v, "Overview", "overview", overviewData{Days: days, Periods: periods}))
		return
	}
	now := d.opts.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	from := today.AddDate(0, 0, -(days - 1))
	ov, err := d.st.Overview(r.Context(), v.current.ID, store.OverviewQuery{
		Since: from.UnixNano(), Until: today.AddDate(0, 0, 1).UnixNano(),
		StaleBefore: now.UnixNano() - int64(d.opts.SessionTimeout), TopErrors: 10,
	})
	if err != nil {
		d.storeError(w, r, v, err)
		return
	}
	data := overviewData{Days: days, Periods: periods, From: from, To: today}
	labels := make([]string, days)
	index := map[int64]int{}
	for i := range days {
		day := from.AddDate(0, 0, i)
		labels[i] = day.Format("Jan 2")
		index[day.UnixNano()] = i
	}
	states := []string{semconv.EndStateSuccess, semconv.EndStateFailure, semconv.EndStateIndeterminate, ""}
	byState := make([]series, len(states))
	for i, s := range states {
		byState[i] = series{Name: cmp.Or(s, "Running"), Class: stateClass(s), Values: make([]float64, days)}
	}
	tokIn := series{Name: "Input", Class: "c0", Values: make([]float64, days)}
	tokOut := series{Name: "Output", Class: "c1", Values: make([]float64, days)}
	durations := series{Name: "Sessions", Class: "c0", Values: make([]float64, store.NumDurationBuckets)}
	t := &data.T
	for _, ds := range ov.Days {
		i, ok := index[ds.Day]
		if !ok {
			continue
		}
		byState[slices.Index(states, ds.State)].Values[i] += float64(ds.Sessions)
		tokIn.Values[i] += float64(ds.Usage.Input)
		tokOut.Values[i] += float64(ds.Usage.Output)
		for b, n := range ds.Durations {
			durations.Values[b] += float64(n)
		}
		t.Sessions += ds.Sessions
		switch ds.State {
		case semconv.EndStateSuccess:
			t.Success += ds.Sessions
		case semconv.EndStateFailure:
			t.Failure += ds.Sessions
		case semconv.EndStateIndeterminate:
			t.Indeterminate += ds.Sessions
		default:
			t.Running += ds.Sessions
		}
		t.Cost += ds.Cost
		t.Input += ds.Usage.Input
		t.Output += ds.Usage.Output
		t.Cached += ds.Usage.CacheRead
		t.Reasoning += ds.Usage.Reasoning
		t.TotalTokens += ds.Usage.Total
		t.LLMCalls += ds.Counts.LLMCalls
		t.ToolCalls += ds.Counts.ToolCalls
		t.Errors += ds.Counts.Errors
		t.Unpriced += ds.Unpriced
	}
	if ended := t.Success + t.Failure + t.Indeterminate; ended > 0 {
		t.SuccessRate = strconv.FormatFloat(100*float64(t.Success)/float64(ended), 'f', 1, 64) + "%"
		t.FailureRate = strconv.FormatFloat(100*float64(t.Failure)/float64(ended), 'f', 1, 64) + "%"
	}
	data.Sessions = stackedBars(labels, byState, formatCount, true)
	data.Tokens = stackedBars(labels, []series{tokIn, tokOut}, formatCount, true)
	data.Durations = stackedBars(durationLabels, []series{durations}, formatCount, true)

	// Cost per day by model, the costliest models first, the rest as "other".
	costOf := map[string]float64{}
	for _, m := range ov.Models {
		costOf[m.Model] += m.Cost
	}
	models := make([]string, 0, len(costOf))
	for m := range costOf {
		models = append(models, m)
	}
	slices.SortFunc(models, func(a, b string) int { return cmp.Or(cmp.Compare(costOf[b], costOf[a]), cmp.Compare(a, b)) })
	data.Models = models
	const shown = 6
	var costSeries []series
	pos := map[string]int{}
	for i, m := range models {
		if i < shown {
			pos[m] = i
			costSeries = append(costSeries, series{Name: cmp.Or(m, "(no model)"), Class: "c" + strconv.Itoa(i), Values: make([]float64, days)})
		} else {
			pos[m] = shown
		}
	}
	if len(models) > shown {
		costSeries = append(costSeries, series{Name: "other models", Class: "c7", Values: make([]float64, days)})
	}
	for _, m := range ov.Models {
		if i, ok := index[m.Day]; ok {
			costSeries[pos[m.Model]].Values[i] += m.Cost
		}
	}
	data.Cost = stackedBars(labels, costSeries, formatUSD, false)

	for _, e := range ov.Errors {
		data.Errors = append(data.Errors, hbar{Label: cmp.Or(e.Type, "error"), Sub: e.Message, Count: e.Count, Class: "st-failure"})
	}
	data.Errors = hbars(data.Errors)
	for _, rg := range ov.Reasons {
		data.Reasons = append(data.Reasons, hbar{Label: rg.State, Sub: cmp.Or(rg.Reason, "(no reason given)"), Count: rg.Sessions, Class: stateClass(rg.State)})
	}
	data.Reasons = hbars(data.Reasons)
	d.render(w, r, http.StatusOK, "overview.html", d.page(v, "Overview", "overview", data))
}

// storeError answers a store failure: the details go to the log only.
func (d *Dashboard) storeError(w http.ResponseWriter, r *http.Request, v *viewer, err error) {
	if r.Context().Err() == nil {
		d.opts.Logger.Error("dashboard: store error", "path", r.URL.Path, "err", err)
	}
	d.errorPage(w, r, v, http.StatusInternalServerError, "The store could not be read. The server log has the details.")
}
