package dashboard_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/agentops-go/agentops/internal/api"
)

// restJSON reads a document of the REST API beside the dashboard with key.
func (e *env) restJSON(key, path string, v any) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
	req.Header.Set("X-Agentops-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		e.t.Fatalf("GET %s: %v", path, err)
	}
}

// demoStats lists the demo project's sessions and their stats over REST.
func (e *env) demoStats() []api.SessionStats {
	e.t.Helper()
	var list api.SessionList
	e.restJSON(e.keyDemo, "/v2/sessions?limit=1000", &list)
	out := make([]api.SessionStats, 0, len(list.Sessions))
	for _, s := range list.Sessions {
		var st api.SessionStats
		e.restJSON(e.keyDemo, "/v2/sessions/"+s.ID+"/stats", &st)
		out = append(out, st)
	}
	return out
}

// TestDemoOverview: on the data `agentops demo` writes, every figure of the
// overview is the sum of the REST stats of the project's sessions.
func TestDemoOverview(t *testing.T) {
	e := newEnv(t)
	stats := e.demoStats()
	if len(stats) != demoSessions {
		t.Fatalf("REST lists %d demo sessions, want %d", len(stats), demoSessions)
	}
	var sum struct {
		sessions, success, failure, indeterminate, running   int64
		llm, tools, errors, input, output, cached, reasoning int64
		cost                                                 float64
	}
	for _, s := range stats {
		sum.sessions++
		switch {
		case s.Running:
			sum.running++
		case s.EndState == nil:
			t.Errorf("session %s: no end state and not running", s.SessionID)
		case *s.EndState == "Success":
			sum.success++
		case *s.EndState == "Failure":
			sum.failure++
		case *s.EndState == "Indeterminate":
			sum.indeterminate++
		}
		sum.llm += s.Events.LLMCalls
		sum.tools += s.Events.ToolCalls
		sum.errors += s.Events.Errors
		sum.input += s.Tokens.Prompt
		sum.output += s.Tokens.Completion
		sum.cached += s.Tokens.CacheRead
		sum.reasoning += s.Tokens.Reasoning
		sum.cost += s.Cost.TotalUSD
	}
	// The demo always has a failure, an indeterminate and a running session.
	if sum.failure == 0 || sum.indeterminate == 0 || sum.running != 1 || sum.llm == 0 || sum.errors == 0 {
		t.Fatalf("demo data lacks its notable sessions: %+v", sum)
	}
	c := e.loggedIn(e.keyDemo)
	a := c.get("/")
	if a.status != http.StatusOK {
		t.Fatalf("overview: %d", a.status)
	}
	for id, want := range map[string]int64{
		"kpi-sessions": sum.sessions, "kpi-success": sum.success, "kpi-failure": sum.failure, "kpi-indeterminate": sum.indeterminate,
		"kpi-running": sum.running, "kpi-llm": sum.llm, "kpi-tools": sum.tools, "kpi-errors": sum.errors,
	} {
		if got := textOf(a.body, id); got != itoa(want) {
			t.Errorf("%s = %q, REST stats sum to %d", id, got, want)
		}
	}
	for id, want := range map[string]int64{"kpi-input": sum.input, "kpi-output": sum.output, "kpi-cached": sum.cached, "kpi-reasoning": sum.reasoning} {
		if got := attrOf(a.body, id, "data-n"); got != strconv.FormatInt(want, 10) {
			t.Errorf("%s = %s, REST stats sum to %d", id, got, want)
		}
	}
	got, _ := strconv.ParseFloat(attrOf(a.body, "kpi-cost", "data-usd"), 64)
	if diff := got - sum.cost; diff > 1e-6 || diff < -1e-6 || sum.cost <= 0 {
		t.Errorf("cost %.6f, REST stats sum to %.6f", got, sum.cost)
	}
	if d := got - e.demo.CostUSD; diff(d) > 1e-6 {
		t.Errorf("cost %.6f, the demo wrote %.6f", got, e.demo.CostUSD)
	}
	if got, want := textOf(a.body, "kpi-unpriced"), itoa(e.demo.Unpriced)+" unpriced call"; got != want && got != want+"s" {
		t.Errorf("unpriced %q, the demo wrote %d", got, e.demo.Unpriced)
	}
	// Charts and lists are drawn from it; nothing of the other projects.
	for _, want := range []string{"Sessions per day", "<svg", "Most frequent errors", `id="top-errors"`, `id="reasons"`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("demo overview lacks %q", want)
		}
	}
	if strings.Contains(a.body, "support-chat") || strings.Contains(a.body, "other-project-secret") {
		t.Error("demo overview shows another project's sessions")
	}
}

func diff(d float64) float64 { return max(d, -d) }

// TestDemoPages: every page renders the demo data: the sessions list and
// its filters agree with REST, each session's page and every span's
// details load, the failed session shows its error.
func TestDemoPages(t *testing.T) {
	e := newEnv(t)
	stats := e.demoStats()
	c := e.loggedIn(e.keyDemo)
	rowRE := regexp.MustCompile(`<tr class="[^"]*" data-id="([0-9a-f]{32})"`)
	ids := map[string]bool{}
	next := "/sessions"
	for pages := 0; next != ""; pages++ {
		if pages > demoSessions {
			t.Fatal("sessions pages do not end")
		}
		a := c.get(strings.ReplaceAll(next, "&amp;", "&"))
		if a.status != http.StatusOK {
			t.Fatalf("GET %s: %d", next, a.status)
		}
		for _, m := range rowRE.FindAllStringSubmatch(a.body, -1) {
			ids[m[1]] = true
		}
		next = ""
		if m := regexp.MustCompile(`href="([^"]+)" id="next-page"`).FindStringSubmatch(a.body); m != nil {
			next = m[1]
		}
	}
	if len(ids) != demoSessions {
		t.Errorf("the sessions pages list %d sessions, want %d", len(ids), demoSessions)
	}
	var failures []string
	for _, s := range stats {
		if s.EndState != nil && *s.EndState == "Failure" {
			failures = append(failures, s.SessionID)
		}
	}
	a := c.get("/sessions?end_state=Failure")
	if got := rowRE.FindAllStringSubmatch(a.body, -1); len(got) != len(failures) {
		t.Errorf("end_state=Failure lists %d sessions, REST stats have %d", len(got), len(failures))
	}
	for _, sort := range []string{"cost", "tokens", "duration", "llm_calls", "errors", "name", "start"} {
		if a := c.get("/sessions?sort=" + sort); a.status != http.StatusOK || len(rowRE.FindAllString(a.body, -1)) == 0 {
			t.Errorf("sort=%s: %d", sort, a.status)
		}
	}
	// Each session page, and the details of its spans.
	spanRE := regexp.MustCompile(`data-span="([0-9a-f]{16})"`)
	sawError, spans, transcripts := false, 0, 0
	for _, s := range stats {
		a := c.get("/sessions/" + s.SessionID)
		if a.status != http.StatusOK {
			t.Fatalf("session %s: %d", s.SessionID, a.status)
		}
		if got := strings.Count(a.body, `class="wf-row `); int64(got) != min(s.Events.Total, 500) {
			t.Errorf("session %s: %d waterfall rows, REST counts %d spans", s.SessionID, got, s.Events.Total)
		}
		if s.EndState != nil && *s.EndState == "Failure" && strings.Contains(a.body, `class="errmark"`) {
			sawError = true
		}
		for _, m := range spanRE.FindAllStringSubmatch(a.body, 50) {
			spans++
			if d := c.get("/sessions/" + s.SessionID + "/spans/" + m[1]); d.status != http.StatusOK || !strings.Contains(d.body, `id="span-detail"`) {
				t.Fatalf("span %s of %s: %d", m[1], s.SessionID, d.status)
			} else if strings.Contains(d.body, `id="transcript"`) {
				transcripts++
			}
		}
	}
	if !sawError || spans == 0 || transcripts == 0 {
		t.Errorf("no failed demo session marks its error (%v), or no spans (%d) or LLM transcripts (%d)", sawError, spans, transcripts)
	}
}
