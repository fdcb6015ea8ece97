package compat

import (
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/server/servertest"
	"github.com/agentops-go/agentops/pricing"
)

// sessionsByName lists the project's sessions by name.
func sessionsByName(t *testing.T, srv *servertest.Server) map[string]api.SessionSummary {
	t.Helper()
	var list api.SessionList
	if code := get(t, srv, "/v2/sessions?limit=100", &list); code != 200 {
		t.Fatalf("GET /v2/sessions: %d", code)
	}
	out := map[string]api.SessionSummary{}
	for _, s := range list.Sessions {
		out[s.Name] = s
	}
	return out
}

func exportOf(t *testing.T, srv *servertest.Server, id string) api.SessionExport {
	t.Helper()
	var x api.SessionExport
	if code := get(t, srv, "/v2/sessions/"+id+"/export", &x); code != 200 {
		t.Fatalf("GET /v2/sessions/%s/export: %d", id, code)
	}
	return x
}

// ended waits until the named sessions are listed, each with an end state.
func ended(t *testing.T, srv *servertest.Server, names ...string) map[string]api.SessionSummary {
	t.Helper()
	var got map[string]api.SessionSummary
	waitFor(t, "sessions "+strings.Join(names, ", ")+" ended", func() (bool, string) {
		got = sessionsByName(t, srv)
		for _, n := range names {
			if s, ok := got[n]; !ok || s.EndState == nil {
				return false, "listed: " + strings.Join(slices.Sorted(mapKeys(got)), ", ") + "; missing or running: " + n
			}
		}
		return true, ""
	})
	return got
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func kindsOf(x api.SessionExport) []string {
	var kinds []string
	for _, s := range x.Spans {
		kinds = append(kinds, s.Kind)
	}
	slices.Sort(kinds)
	return kinds
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// TestPythonSDK04 runs the official agentops 0.4.x SDK, unchanged, against
// the server (testdata/agentops04.py says what it does) and checks what
// the REST API then shows, to the token and the cent.
func TestPythonSDK04(t *testing.T) {
	py := python(t, "AGENTOPS_PYTHON_04")
	srv := servertest.Start(t)
	oai := newFakeOpenAI(t)
	out := runScript(t, py, "agentops04.py", sdkEnv(srv, oai))
	t.Logf("script output:\n%s", out)

	sessions := ended(t, srv, "weather-run", "decorated-run", "failing-run", "session")
	if len(sessions) != 4 {
		t.Errorf("%d sessions listed, want 4: %v", len(sessions), slices.Sorted(mapKeys(sessions)))
	}
	if n := oai.calls.Load(); n != 1 {
		t.Errorf("fake OpenAI answered %d calls, want 1", n)
	}

	llmPrice, ok := pricing.Default().Find("openai", fakeModel)
	if !ok {
		t.Fatalf("no price for %s in the embedded table", fakeModel)
	}
	llmCost := llmPrice.Cost(pricing.Usage{Input: fakePromptTokens, Output: fakeCompletionTokens})
	const toolCost = 0.25 // @tool(cost=0.25)

	t.Run("session URL", func(t *testing.T) {
		// The SDK prints AGENTOPS_APP_URL + "/sessions?trace_id=" + 32 hex.
		re := regexp.MustCompile(`Session Replay for weather-run trace: (\S+)/sessions\?trace_id=([0-9a-f]{32})`)
		m := re.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no session URL for weather-run in the output")
		}
		if m[1] != srv.URL || m[2] != sessions["weather-run"].ID {
			t.Errorf("session URL %s/sessions?trace_id=%s, want %s/sessions?trace_id=%s", m[1], m[2], srv.URL, sessions["weather-run"].ID)
		}
		// Opened in a browser, the URL asks for a login (with the
		// project's API key) and then lands on that session's page.
		printed := m[1] + "/sessions?trace_id=" + m[2]
		b := newBrowser(t)
		page := b.get(printed)
		if page.url.Path != "/login" || page.url.Query().Get("next") != "/sessions?trace_id="+m[2] {
			t.Fatalf("GET %s logged out: landed on %s, want /login?next=...", printed, page.url)
		}
		page = b.submit(page, url.Values{"api_key": {srv.Key}})
		s := sessions["weather-run"]
		if page.status != http.StatusOK || page.url.Path != "/sessions/"+s.ID {
			t.Fatalf("after logging in: %d at %s, want 200 at /sessions/%s", page.status, page.url, s.ID)
		}
		if got := textOf(page.body, "session-name"); got != "weather-run" {
			t.Errorf("session page name %q, want weather-run", got)
		}
		if got := textOf(page.body, "session-state"); got != *s.EndState {
			t.Errorf("session page end state %q, want %s", got, *s.EndState)
		}
		// Logged in, the printed URL opens the session directly, its
		// uploaded terminal log shown as text.
		page = b.get(printed)
		if page.status != http.StatusOK || page.url.Path != "/sessions/"+s.ID {
			t.Errorf("GET %s logged in: %d at %s", printed, page.status, page.url)
		}
		if !strings.Contains(page.body, "forecast: Sunny in Paris, 21°C. &lt;script&gt;alert(1)&lt;/script&gt;") || strings.Contains(page.body, "<script>alert(1)") {
			t.Errorf("session page does not show the uploaded log escaped:\n%s", page.body)
		}
	})

	t.Run("weather-run", func(t *testing.T) {
		s := sessions["weather-run"]
		x := exportOf(t, srv, s.ID)
		if *s.EndState != "Success" || !slices.Equal(s.Tags, []string{"pysdk", "weather"}) {
			t.Errorf("end state %s, tags %v; want Success, [pysdk weather]", *s.EndState, s.Tags)
		}
		if want := []string{"agent", "llm", "session", "task", "tool", "workflow"}; !slices.Equal(kindsOf(x), want) {
			t.Errorf("span kinds %v, want %v", kindsOf(x), want)
		}
		if e := s.Events; e.LLMCalls != 1 || e.ToolCalls != 1 || e.Agents != 1 || e.Errors != 0 || e.Total != 6 {
			t.Errorf("events %+v, want 1 LLM call, 1 tool call, 1 agent, no error, 6 spans", e)
		}
		if tk := s.Tokens; tk.Prompt != fakePromptTokens || tk.Completion != fakeCompletionTokens || tk.Total != fakePromptTokens+fakeCompletionTokens {
			t.Errorf("tokens %+v, want %d + %d", tk, fakePromptTokens, fakeCompletionTokens)
		}
		if c := s.Cost; !near(c.TotalUSD, toolCost+llmCost) || !c.Complete || c.UnpricedCalls != 0 {
			t.Errorf("cost %+v, want %v (tool) + %v (LLM), complete", c, toolCost, llmCost)
		}
		if len(x.LLMs) != 1 {
			t.Fatalf("%d LLM calls exported, want 1", len(x.LLMs))
		}
		llm := x.LLMs[0]
		if llm.Model != fakeModel || llm.RequestModel != "gpt-4o-mini" || !strings.EqualFold(llm.Provider, "openai") || llm.Operation != "chat" ||
			llm.CostUSD == nil || !near(*llm.CostUSD, llmCost) {
			t.Errorf("LLM call %+v, want %s (asked gpt-4o-mini) from OpenAI, chat, $%v", llm.LLMInfo, fakeModel, llmCost)
		}
		if len(llm.Prompt) != 1 || llm.Prompt[0].Content != "Summarize: sunny in Paris" || len(llm.Completion) != 1 || llm.Completion[0].Content != fakeReply {
			t.Errorf("prompt %+v, completion %+v", llm.Prompt, llm.Completion)
		}
		if len(x.Tools) != 1 || x.Tools[0].Name != "lookup" || !strings.Contains(string(x.Tools[0].Output), "sunny in Paris") {
			t.Errorf("tools %+v, want lookup → sunny in Paris", x.Tools)
		}
		// The terminal log: what the script printed, uploaded when this
		// first trace ended, kept byte for byte.
		if len(x.Logs) != 1 || !strings.Contains(x.Logs[0].Text, "forecast: "+fakeReply+" <script>alert(1)</script>") {
			t.Errorf("logs %+v, want one upload with the printed forecast", x.Logs)
		}
		var logs api.SessionLogs
		if code := get(t, srv, "/v2/sessions/"+s.ID+"/logs", &logs); code != 200 || len(logs.Logs) != 1 || logs.Logs[0].Text != x.Logs[0].Text {
			t.Errorf("GET logs: %d %+v", code, logs)
		}
	})

	t.Run("decorated-run", func(t *testing.T) {
		s := sessions["decorated-run"]
		if *s.EndState != "Success" || !slices.Equal(s.Tags, []string{"decorated"}) || s.Events.ToolCalls != 1 || !near(s.Cost.TotalUSD, toolCost) {
			t.Errorf("%+v: want Success, [decorated], 1 tool call, $%v", s, toolCost)
		}
		if x := exportOf(t, srv, s.ID); len(x.Logs) != 0 {
			t.Errorf("logs %+v, want none (the SDK uploads the first trace's only)", x.Logs)
		}
	})

	t.Run("failing-run", func(t *testing.T) {
		s := sessions["failing-run"]
		x := exportOf(t, srv, s.ID)
		if *s.EndState != "Failure" || s.Events.Errors != 1 || s.Events.ToolCalls != 1 {
			t.Errorf("%+v: want Failure with 1 error in 1 tool call", s)
		}
		if len(x.Errors) != 1 || x.Errors[0].Type != "ValueError" || x.Errors[0].Message != "no forecast for Lima" {
			t.Errorf("errors %+v, want ValueError: no forecast for Lima", x.Errors)
		}
	})

	t.Run("legacy start_session", func(t *testing.T) {
		s := sessions["session"]
		x := exportOf(t, srv, s.ID)
		if *s.EndState != "Failure" || s.EndStateReason != "rained out" || !slices.Equal(s.Tags, []string{"legacy-api"}) || s.Events.ToolCalls != 1 {
			t.Errorf("%+v: want Failure (rained out), [legacy-api], 1 tool call", s)
		}
		if !strings.Contains(string(x.Session.HostEnv), `"host.`) {
			t.Errorf("host env %s, want the host.* attributes start_session records", x.Session.HostEnv)
		}
	})
}

// TestPythonMetricsExporter sends metrics with the OTLP metric exporter of
// the Python SDK's environment: the script exits non-zero unless the
// server accepted them.
func TestPythonMetricsExporter(t *testing.T) {
	py := python(t, "AGENTOPS_PYTHON_04")
	srv := servertest.Start(t)
	out := runScript(t, py, "metrics04.py", map[string]string{"AGENTOPS_API_KEY": srv.Key, "AGENTOPS_API_ENDPOINT": srv.URL})
	if !strings.Contains(out, "metrics export: SUCCESS") {
		t.Errorf("output %q, want a successful export", out)
	}
}

// TestPythonSDK04Quickstart: agentops.init() alone starts the session
// "default", which the SDK ends with "Shutdown" at exit: Indeterminate
// here, with the LLM call and the printed output.
func TestPythonSDK04Quickstart(t *testing.T) {
	py := python(t, "AGENTOPS_PYTHON_04")
	srv := servertest.Start(t)
	oai := newFakeOpenAI(t)
	runScript(t, py, "agentops04_auto.py", sdkEnv(srv, oai))
	s := ended(t, srv, "default")["default"]
	if *s.EndState != "Indeterminate" || !slices.Equal(s.Tags, []string{"quickstart"}) || s.Events.LLMCalls != 1 ||
		s.Tokens.Total != fakePromptTokens+fakeCompletionTokens || s.Cost.UnpricedCalls != 0 || s.Cost.TotalUSD <= 0 {
		t.Errorf("%+v: want Indeterminate, [quickstart], one priced LLM call", s)
	}
	x := exportOf(t, srv, s.ID)
	if len(x.Logs) != 1 || !strings.Contains(x.Logs[0].Text, "reply: "+fakeReply) {
		t.Errorf("logs %+v, want the printed reply", x.Logs)
	}
}
