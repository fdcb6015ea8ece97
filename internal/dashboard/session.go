package dashboard

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// rowsPerPage is how many spans of the tree one session page shows: a
// session of 10,000 spans is paged, the waterfall and tree of each page
// drawn on the server, a span's details loaded when clicked.
const rowsPerPage = 500

// maxIndent caps the drawn depth of the tree.
const maxIndent = 24

type sessionData struct {
	ID          string
	ProjectQ    string // "?project=ID" when the page shows a project other than the login's current one
	Name        string
	State       string
	StateClass  string
	Reason      string
	Running     bool
	Start       time.Time
	Duration    string
	Cost        string
	Unpriced    int64
	Tokens      api.TokenCounts
	Events      api.EventCounts
	Tags        []string
	Host        []kv
	Models      []string
	Rows        []spanRow
	Ticks       []axisTick
	Page, Pages int
	PageLinks   []pageLink
	TotalSpans  int64
	CurlExport  string
	Logs        logsData
}

type kv struct{ Key, Value string }

type axisTick struct {
	X     float64
	Label string
	End   bool
}

type pageLink struct {
	N       int
	URL     string
	Current bool
	Gap     bool // an ellipsis between page numbers
}

type spanRow struct {
	ID, Parent  string
	Name        string
	Kind        string
	Depth       int
	Indent      []struct{}
	HasChildren bool
	X, W        float64 // on a 0..1000 axis
	Error       bool
	Open        bool // not ended
	Duration    string
	Cost        string
	Model       string
}

func (d *Dashboard) loadSession(w http.ResponseWriter, r *http.Request, v *viewer) (model.Session, []model.Span, bool) {
	id, err := model.ParseTraceID(r.PathValue("id"))
	if err != nil {
		d.errorPage(w, r, v, http.StatusBadRequest, "A session id is 32 hex digits (or a UUID).")
		return model.Session{}, nil, false
	}
	if len(v.projects) == 0 {
		d.errorPage(w, r, v, http.StatusNotFound, "Session not found.")
		return model.Session{}, nil, false
	}
	s, err := d.st.Session(r.Context(), v.current.ID, id)
	if err == nil {
		var spans []model.Span
		spans, err = d.st.Spans(r.Context(), v.current.ID, id)
		if err == nil || errors.Is(err, store.ErrNotFound) {
			return s, spans, true
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		d.errorPage(w, r, v, http.StatusNotFound, "Session not found.")
	} else {
		d.storeError(w, r, v, err)
	}
	return model.Session{}, nil, false
}

func (d *Dashboard) session(w http.ResponseWriter, r *http.Request, v *viewer) {
	s, spans, ok := d.loadSession(w, r, v)
	if !ok {
		return
	}
	now := d.opts.Now()
	st := api.StateOf(&s, now, d.opts.SessionTimeout)
	data := sessionData{
		ID: s.ID.String(), Name: s.Name, Reason: s.EndStateReason, Running: st.Running,
		Start: time.Unix(0, s.Start).UTC(), Duration: formatDuration(s.Duration()),
		Cost: formatUSD(s.Cost), Unpriced: s.Unpriced, Tags: s.Tags, Models: s.Models,
		TotalSpans: int64(len(spans)),
	}
	if r.URL.Query().Get("project") != "" {
		data.ProjectQ = "?project=" + url.QueryEscape(v.current.ID)
	}
	if st.EndState != nil {
		data.State = *st.EndState
	} else {
		data.State = "Running"
	}
	data.StateClass = stateClass(cmp.Or(derefOr(st.EndState), ""))
	data.Tokens = api.TokenCounts{Prompt: s.Usage.Input, Completion: s.Usage.Output, CacheRead: s.Usage.CacheRead, CacheCreation: s.Usage.CacheWrite, Reasoning: s.Usage.Reasoning, Total: s.Usage.Total}
	data.Events = api.EventCounts{LLMCalls: s.Counts.LLMCalls, ToolCalls: s.Counts.ToolCalls, Actions: s.Counts.Actions, Agents: s.Counts.Agents, Errors: s.Counts.Errors, Total: s.Counts.Spans}
	data.Host = hostEnv(s.Host)
	data.CurlExport = "curl -H 'X-Agentops-Api-Key: $AGENTOPS_API_KEY' " + requestOrigin(r) + "/v2/sessions/" + data.ID + "/export"

	var err error
	if data.Logs, err = d.sessionLogs(r.Context(), v.current.ID, s.ID); err != nil {
		d.storeError(w, r, v, err)
		return
	}

	rows := treeRows(spans)
	data.Pages = max(1, (len(rows)+rowsPerPage-1)/rowsPerPage)
	data.Page = 1
	if p := r.URL.Query().Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > data.Pages {
			d.errorPage(w, r, v, http.StatusBadRequest, "No such page of spans.")
			return
		}
		data.Page = n
	}
	lo, hi := (data.Page-1)*rowsPerPage, min(data.Page*rowsPerPage, len(rows))
	start, end := s.Start, max(s.End, s.Start+1)
	if st.Running {
		end = max(end, now.UnixNano())
	}
	data.Rows = layoutRows(spans, rows[lo:hi], start, end)
	for i := 0; i <= 4; i++ {
		data.Ticks = append(data.Ticks, axisTick{X: float64(i) * 25, Label: formatDuration(time.Duration(float64(end-start) * float64(i) / 4)), End: i == 4})
	}
	data.Ticks[0].Label = "0"
	if data.Pages > 1 {
		// The first and last three pages and three around the current one.
		last := 0
		for n := 1; n <= data.Pages; n++ {
			if n > 3 && n <= data.Pages-3 && (n < data.Page-3 || n > data.Page+3) {
				continue
			}
			if last != 0 && n != last+1 {
				data.PageLinks = append(data.PageLinks, pageLink{Gap: true})
			}
			last = n
			q := r.URL.Query()
			q.Set("page", strconv.Itoa(n))
			data.PageLinks = append(data.PageLinks, pageLink{N: n, URL: "/sessions/" + data.ID + "?" + q.Encode(), Current: n == data.Page})
		}
	}
	d.render(w, r, http.StatusOK, "session.html", d.page(v, cmp.Or(s.Name, data.ID), "sessions", data))
}

func derefOr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// hostEnv lists a session's host environment, sorted by key.
func hostEnv(raw json.RawMessage) []kv {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := make([]kv, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, kv{k, jsonText(m[k])})
	}
	return out
}

// treeRow is a span's place in the tree: its index in spans and depth.
type treeRow struct {
	i, depth    int
	hasChildren bool
}

// treeRows orders spans depth first, children by start, each span once
// (the last version received wins, which is the ended one when a span was
// sent in flight and again ended). A span whose parent is not in the
// session is drawn as a root.
func treeRows(spans []model.Span) []treeRow {
	latest := make(map[model.SpanID]int, len(spans))
	for i := range spans {
		if j, ok := latest[spans[i].SpanID]; !ok || spans[i].End != 0 || spans[j].End == 0 {
			latest[spans[i].SpanID] = i
		}
	}
	children := make(map[model.SpanID][]int, len(latest))
	var roots []int
	for i := range spans { // spans are in start order, so children lists are too
		if latest[spans[i].SpanID] != i {
			continue
		}
		p := spans[i].ParentID
		if _, ok := latest[p]; ok && !p.IsZero() && p != spans[i].SpanID {
			children[p] = append(children[p], i)
		} else {
			roots = append(roots, i)
		}
	}
	rows := make([]treeRow, 0, len(latest))
	seen := make(map[int]bool, len(latest))
	type frame struct{ i, depth int }
	stack := make([]frame, 0, 64)
	walk := func(root int) {
		stack = append(stack[:0], frame{root, 0})
		for len(stack) > 0 {
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if seen[f.i] {
				continue
			}
			seen[f.i] = true
			kids := children[spans[f.i].SpanID]
			rows = append(rows, treeRow{i: f.i, depth: f.depth, hasChildren: len(kids) > 0})
			for k := len(kids) - 1; k >= 0; k-- {
				stack = append(stack, frame{kids[k], f.depth + 1})
			}
		}
	}
	for _, r := range roots {
		walk(r)
	}
	// Spans whose parents form a cycle (bad data) are reached from no
	// root: each is drawn as one, so that nothing stored is hidden.
	for i := range spans {
		if latest[spans[i].SpanID] == i && !seen[i] {
			walk(i)
		}
	}
	return rows
}

func layoutRows(spans []model.Span, rows []treeRow, start, end int64) []spanRow {
	out := make([]spanRow, len(rows))
	total := float64(end - start)
	for k, tr := range rows {
		sp := &spans[tr.i]
		row := spanRow{
			ID: sp.SpanID.String(), Name: sp.Name, Kind: cmp.Or(string(sp.Kind), "span"),
			Depth: tr.depth, Indent: make([]struct{}, min(tr.depth, maxIndent)), HasChildren: tr.hasChildren,
			Error: sp.IsError(), Open: sp.End == 0, Model: sp.Model(),
		}
		if !sp.IsRoot() {
			row.Parent = sp.ParentID.String()
		}
		spEnd := sp.End
		if spEnd == 0 {
			spEnd = end
		} else {
			row.Duration = formatDuration(time.Duration(sp.End - sp.Start))
		}
		row.X = clamp(1000*float64(sp.Start-start)/total, 0, 1000)
		row.W = max(clamp(1000*float64(spEnd-sp.Start)/total, 0, 1000-row.X), 2)
		if row.X+row.W > 1000 {
			row.X = 1000 - row.W
		}
		switch sp.CostSource {
		case model.CostSpan, model.CostTable:
			row.Cost = formatUSD(sp.Cost)
		case model.CostUnpriced:
			row.Cost = "unpriced"
		}
		out[k] = row
	}
	return out
}

func clamp(v, lo, hi float64) float64 { return min(max(v, lo), hi) }

// spanDetailData is the fragment shown when a span is clicked.
type spanDetailData struct {
	SessionID string
	D         api.SpanDetail
	Kind      string
	Start     string // offset from the session's start
	Duration  string
	Cost      string
	Error     bool
	Attrs     []kv
	Resource  []kv
	Events    []event
	ToolIn    string
	ToolOut   string
	ActionIn  string
	ActionOut string
	Prompt    []message
	Reply     []message
}

type message struct {
	Role, Content, FinishReason string
	ToolCalls                   []string
}

type event struct {
	At, Name string
	Attrs    []kv
}

func (d *Dashboard) spanDetail(w http.ResponseWriter, r *http.Request, v *viewer) {
	spanID, err := model.ParseSpanID(r.PathValue("span"))
	if err != nil {
		d.errorPage(w, r, v, http.StatusBadRequest, "A span id is 16 hex digits.")
		return
	}
	s, spans, ok := d.loadSession(w, r, v)
	if !ok {
		return
	}
	var sp *model.Span
	for i := range spans {
		if spans[i].SpanID == spanID && (sp == nil || spans[i].End != 0 || sp.End == 0) {
			sp = &spans[i]
		}
	}
	if sp == nil {
		d.errorPage(w, r, v, http.StatusNotFound, "Span not found in this session.")
		return
	}
	det := api.Detail(sp)
	data := spanDetailData{SessionID: s.ID.String(), D: det, Kind: cmp.Or(string(sp.Kind), "span"), Error: sp.IsError(),
		Start: "+" + formatDuration(time.Duration(sp.Start-s.Start))}
	if sp.Start == s.Start {
		data.Start = "+0"
	}
	if sp.End != 0 {
		data.Duration = formatDuration(time.Duration(sp.End - sp.Start))
	}
	if det.Span.LLM != nil && det.Span.LLM.CostUSD != nil {
		data.Cost = formatUSD(*det.Span.LLM.CostUSD)
	}
	data.Attrs = objectKVs(det.Span.Attributes)
	data.Resource = objectKVs(det.Span.Resource)
	var events []struct {
		Time  int64           `json:"time_unix_nano"`
		Name  string          `json:"name"`
		Attrs json.RawMessage `json:"attributes"`
	}
	if json.Unmarshal(det.Span.Events, &events) == nil {
		for _, e := range events {
			data.Events = append(data.Events, event{At: "+" + formatDuration(time.Duration(e.Time-sp.Start)), Name: e.Name, Attrs: objectKVs(e.Attrs)})
		}
	}
	if det.Tool != nil {
		data.ToolIn, data.ToolOut = prettyJSON(det.Tool.Input), prettyJSON(det.Tool.Output)
	}
	if det.Action != nil {
		data.ActionIn, data.ActionOut = prettyJSON(det.Action.Input), prettyJSON(det.Action.Output)
	}
	data.Prompt, data.Reply = messagesOf(det.Prompt), messagesOf(det.Completion)
	d.render(w, r, http.StatusOK, "span.html", d.page(v, sp.Name, "", data))
}

func messagesOf(ms []api.Message) []message {
	out := make([]message, 0, len(ms))
	for _, m := range ms {
		msg := message{Role: cmp.Or(m.Role, "message"), Content: m.Content, FinishReason: m.FinishReason}
		for _, c := range m.ToolCalls {
			msg.ToolCalls = append(msg.ToolCalls, prettyJSON(unwrapArguments(c)))
		}
		out = append(out, msg)
	}
	return out
}

// unwrapArguments replaces a tool call's "arguments" string (OpenAI sends
// the arguments as a JSON document inside a string) by the document it
// holds, so that it reads indented; anything else is returned as is.
func unwrapArguments(call json.RawMessage) json.RawMessage {
	var m map[string]json.RawMessage
	if json.Unmarshal(call, &m) != nil {
		return call
	}
	var args string
	if json.Unmarshal(m["arguments"], &args) != nil || !json.Valid([]byte(args)) {
		return call
	}
	m["arguments"] = json.RawMessage(args)
	b, err := json.Marshal(m)
	if err != nil {
		return call
	}
	return b
}

// objectKVs lists a JSON object's members sorted by key, each value as text.
func objectKVs(raw json.RawMessage) []kv {
	var m map[string]json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := make([]kv, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, kv{k, jsonText(m[k])})
	}
	return out
}

// jsonText is a JSON string's text, or another value's JSON.
func jsonText(v json.RawMessage) string {
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// prettyJSON indents a JSON value; a string holding JSON (as
// agentops.entity.input usually is) is unwrapped and indented too.
func prettyJSON(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		if !json.Valid([]byte(s)) {
			return s
		}
		v = json.RawMessage(s)
	}
	var buf bytes.Buffer
	if json.Indent(&buf, v, "", "  ") != nil {
		return string(v)
	}
	return buf.String()
}

// exportJSON serves a session's export for the browser (the REST route
// wants an API key header, which a link cannot send).
func (d *Dashboard) exportJSON(w http.ResponseWriter, r *http.Request, v *viewer) {
	id, err := model.ParseTraceID(r.PathValue("id"))
	if err != nil || len(v.projects) == 0 {
		d.errorPage(w, r, v, http.StatusNotFound, "Session not found.")
		return
	}
	x, err := api.Export(r.Context(), d.st, v.current.ID, id, d.opts.Now(), d.opts.SessionTimeout)
	if errors.Is(err, store.ErrNotFound) {
		d.errorPage(w, r, v, http.StatusNotFound, "Session not found.")
		return
	}
	if err != nil {
		d.storeError(w, r, v, err)
		return
	}
	b, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		d.storeError(w, r, v, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", `attachment; filename="session-`+id.String()+`.json"`)
	_, _ = w.Write(b)
}
