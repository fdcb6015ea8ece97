package compat

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/server/servertest"
	"github.com/agentops-go/agentops/pricing"
)

// TestPythonSDK03 runs the official agentops 0.3.26 SDK, unchanged, against
// the server's legacy v2 JSON API (testdata/agentops03.py says what it
// does) and checks what the REST API then shows.
func TestPythonSDK03(t *testing.T) {
	py := python(t, "AGENTOPS_PYTHON_03")
	srv := servertest.Start(t)
	oai := newFakeOpenAI(t)
	out := runScript(t, py, "agentops03.py", sdkEnv(srv, oai))
	t.Logf("script output:\n%s", out)
	if n := oai.calls.Load(); n != 1 {
		t.Errorf("fake OpenAI answered %d calls, want 1", n)
	}

	// What end_session returned (update_session's token_cost), per session.
	costs := map[string]string{}
	for _, m := range regexp.MustCompile(`TOKEN_COST (\S+) (\S+)`).FindAllStringSubmatch(out, -1) {
		id, err := model.ParseTraceID(m[1])
		if err != nil {
			t.Fatalf("session id %q: %v", m[1], err)
		}
		costs[id.String()] = m[2]
	}
	if len(costs) != 2 {
		t.Fatalf("TOKEN_COST lines for %d sessions, want 2", len(costs))
	}

	// The legacy SDK answers only after each request committed: by the
	// time the script exited, everything is stored.
	var list api.SessionList
	if code := get(t, srv, "/v2/sessions", &list); code != 200 {
		t.Fatalf("GET /v2/sessions: %d", code)
	}
	if len(list.Sessions) != 2 {
		t.Fatalf("%d sessions listed, want 2", len(list.Sessions))
	}
	// 0.3.x keeps a session's tags in a set: their order varies.
	byTag := map[string]api.SessionSummary{}
	for _, s := range list.Sessions {
		if _, ok := costs[s.ID]; !ok {
			t.Errorf("session %s listed, not one the script started", s.ID)
		}
		slices.Sort(s.Tags)
		for _, tag := range s.Tags {
			byTag[tag] = s
		}
	}
	for _, tag := range []string{"weather", "failing"} {
		if _, ok := byTag[tag]; !ok {
			t.Fatalf("no session tagged %s", tag)
		}
	}

	price := func(m string, in, out int64) float64 {
		p, ok := pricing.Default().Find("", m)
		if !ok {
			t.Fatalf("no price for %s", m)
		}
		return p.Cost(pricing.Usage{Input: in, Output: out})
	}

	t.Run("weather", func(t *testing.T) {
		s := byTag["weather"]
		x := exportOf(t, srv, s.ID)
		if s.EndState == nil || *s.EndState != "Success" || !slices.Equal(s.Tags, []string{"v03", "weather"}) /* sorted */ {
			t.Errorf("end state %v, tags %v; want Success, [v03 weather]", s.EndState, s.Tags)
		}
		if want := []string{"action", "agent", "error", "llm", "llm", "session", "tool"}; !slices.Equal(kindsOf(x), want) {
			t.Errorf("span kinds %v, want %v", kindsOf(x), want)
		}
		if e := s.Events; e.LLMCalls != 2 || e.ToolCalls != 1 || e.Actions != 1 || e.Agents != 1 || e.Errors != 1 || e.Total != 7 {
			t.Errorf("events %+v", e)
		}
		if tk := s.Tokens; tk.Prompt != 100+fakePromptTokens || tk.Completion != 20+fakeCompletionTokens {
			t.Errorf("tokens %+v, want %d + %d", tk, 100+fakePromptTokens, 20+fakeCompletionTokens)
		}
		want := price("gpt-4o-mini", 100, 20) + price(fakeModel, fakePromptTokens, fakeCompletionTokens)
		if !near(s.Cost.TotalUSD, want) || !s.Cost.Complete {
			t.Errorf("cost %+v, want %v", s.Cost, want)
		}
		if got, err := strconv.ParseFloat(costs[s.ID], 64); err != nil || !near(got, want) {
			t.Errorf("end_session returned token_cost %s, want %v", costs[s.ID], want)
		}
		var prompts, replies []string
		for _, l := range x.LLMs {
			prompts = append(prompts, l.Prompt[0].Content)
			replies = append(replies, l.Completion[0].Content)
		}
		if !slices.Equal(prompts, []string{"Weather in Paris?", "Summarize: sunny in Paris"}) || !slices.Equal(replies, []string{"Sunny.", fakeReply}) {
			t.Errorf("LLM prompts %q, completions %q", prompts, replies)
		}
		if len(x.Actions) != 1 || x.Actions[0].ActionType != "plan-trip" || len(x.Tools) != 1 || x.Tools[0].Name != "lookup" ||
			!strings.Contains(string(x.Tools[0].Output), "sunny in Paris") {
			t.Errorf("actions %+v, tools %+v", x.Actions, x.Tools)
		}
		if len(x.Errors) != 1 || x.Errors[0].Type != "ConnectionError" || x.Errors[0].Message != "radar offline" {
			t.Errorf("errors %+v, want ConnectionError: radar offline", x.Errors)
		}
		if !strings.Contains(string(x.Session.HostEnv), `"process.runtime.agentops.sdk_version":"0.3.26"`) {
			t.Errorf("host env %s, want the SDK's version from its host_env", x.Session.HostEnv)
		}
	})

	t.Run("failing", func(t *testing.T) {
		s := byTag["failing"]
		if s.EndState == nil || *s.EndState != "Failure" || s.EndStateReason != "no radar" || s.Events.Actions != 1 || s.Events.Total != 2 {
			t.Errorf("%+v: want Failure (no radar) with one action", s)
		}
		if costs[s.ID] != "0" {
			t.Errorf("end_session returned token_cost %s, want 0", costs[s.ID])
		}
	})
}
