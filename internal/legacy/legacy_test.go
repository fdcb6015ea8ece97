package legacy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/server/servertest"
)

// client speaks the legacy API as the 0.3.x SDKs do.
type client struct {
	t   *testing.T
	url string
}

type answer struct {
	status int
	body   map[string]any
	raw    string
}

// post sends body (JSON-encoded unless it is a string) with the headers
// given as pairs.
func (c client) post(path string, body any, headers ...string) answer {
	c.t.Helper()
	var b []byte
	if s, ok := body.(string); ok {
		b = []byte(s)
	} else {
		var err error
		if b, err = json.Marshal(body); err != nil {
			c.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, c.url+path, bytes.NewReader(b))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=UTF-8")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

func (c client) do(req *http.Request) answer {
	c.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		c.t.Fatalf("%s %s: %d answer is not a JSON object: %q", req.Method, req.URL.Path, resp.StatusCode, raw)
	}
	return a
}

func (c client) getJSON(path, key string, v any) int {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.url+path, nil)
	req.Header.Set(auth.HeaderAPIKey, key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			c.t.Fatal(err)
		}
	}
	return resp.StatusCode
}

const (
	sessionID = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
	traceHex  = "5f0c1a2b3c4d4e5f8a9b0c1d2e3f4a5b"
)

func session(extra map[string]any) map[string]any {
	s := map[string]any{
		"session_id": sessionID, "init_timestamp": "2025-03-01T10:00:00.000000+00:00", "end_timestamp": nil,
		"end_state": "Indeterminate", "end_state_reason": nil, "tags": []string{"legacy", "test"}, "video": nil,
		"host_env": map[string]any{"SDK": map[string]any{"AgentOps SDK Version": "0.3.26", "Python Version": "3.12.1"}, "OS": map[string]any{"Hostname": "box", "OS": "Linux"}},
		"jwt":      nil, "token_cost": "", "config": "", "_lock": "", "is_running": true,
		"event_counts": map[string]int{"llms": 0},
	}
	for k, v := range extra {
		s[k] = v
	}
	return s
}

func events(evs ...map[string]any) map[string]any {
	for _, e := range evs {
		e["session_id"] = sessionID
		if _, ok := e["init_timestamp"]; !ok {
			e["init_timestamp"] = "2025-03-01T10:00:01.000000+00:00"
			e["end_timestamp"] = "2025-03-01T10:00:02.500000+00:00"
		}
	}
	return map[string]any{"events": evs}
}

func llmEvent(id string, prompt, completion int) map[string]any {
	return map[string]any{"id": id, "event_type": "llms", "model": "gpt-4o-mini", "prompt": "hi", "completion": map[string]any{"role": "assistant", "content": "hello"},
		"prompt_tokens": prompt, "completion_tokens": completion, "params": map[string]any{}, "returns": nil, "agent_id": nil, "thread_id": nil, "cost": nil}
}

// TestLegacyFlow drives a whole session, with the retries and repeats an
// SDK may send, and checks nothing counts twice.
func TestLegacyFlow(t *testing.T) {
	srv := servertest.Start(t)
	c := client{t, srv.URL}
	key := []string{auth.HeaderAPIKey, srv.Key}

	a := c.post("/v2/create_session", map[string]any{"session": session(nil)}, key...)
	jwt, _ := a.body["jwt"].(string)
	if a.status != 200 || jwt == "" {
		t.Fatalf("create_session: %d %s", a.status, a.raw)
	}
	bearer := []string{"Authorization", "Bearer " + jwt}
	both := append(append([]string{}, key...), bearer...)

	batch := events(
		llmEvent("e1000000-0000-4000-8000-000000000001", 100, 20),
		map[string]any{"id": "e1000000-0000-4000-8000-000000000002", "event_type": "tools", "name": "search", "params": map[string]any{"q": "go"}, "returns": "results", "logs": nil},
		map[string]any{"id": "e1000000-0000-4000-8000-000000000003", "event_type": "actions", "action_type": "click", "params": map[string]any{}, "returns": nil, "screenshot": "https://x/y.png"},
		map[string]any{"id": "e1000000-0000-4000-8000-000000000004", "event_type": "errors", "error_type": "Timeout", "details": "search took too long", "code": 504,
			"trigger_event_id": "e1000000-0000-4000-8000-000000000002", "trigger_event_type": "tools", "logs": "Traceback..."},
	)
	for i, want := range []float64{4, 0} { // the second is a retry: nothing new
		if a := c.post("/v2/create_events", batch, both...); a.status != 200 || a.body["stored"] != want {
			t.Fatalf("create_events #%d: %d %s, want stored %v", i+1, a.status, a.raw, want)
		}
	}
	// An update of a stored event changes nothing (spans are append-only)
	// and never counts twice.
	if a := c.post("/v2/update_events", events(llmEvent("e1000000-0000-4000-8000-000000000001", 999, 999)), bearer...); a.status != 200 || a.body["stored"] != 0.0 {
		t.Fatalf("update_events: %d %s", a.status, a.raw)
	}
	// An agent named by the session token alone (0.3.x sends no session id).
	if a := c.post("/v2/create_agent", map[string]any{"id": "a1000000-0000-4000-8000-000000000001", "name": "researcher"}, both...); a.status != 200 || a.body["stored"] != 1.0 {
		t.Fatalf("create_agent: %d %s", a.status, a.raw)
	}
	// add_tags: an update that does not end the session writes no root.
	if a := c.post("/v2/update_session", map[string]any{"session": session(map[string]any{"tags": []string{"legacy", "test", "more"}})}, bearer...); a.status != 200 {
		t.Fatalf("update_session (running): %d %s", a.status, a.raw)
	}
	var st api.SessionStats
	if c.getJSON("/v2/sessions/"+traceHex+"/stats", srv.Key, &st); st.EndState != nil || st.Events.Total != 5 {
		t.Fatalf("running session: %+v, want 5 spans and no end state", st)
	}

	// The end, sent twice: one root.
	end := map[string]any{"session": session(map[string]any{"end_timestamp": "2025-03-01T10:00:05.000000+00:00", "end_state": "Fail",
		"end_state_reason": "gave up", "tags": []string{"legacy", "test", "more"}})}
	var costs []any
	for range 2 {
		a := c.post("/v2/update_session", end, bearer...)
		if a.status != 200 {
			t.Fatalf("update_session (end): %d %s", a.status, a.raw)
		}
		costs = append(costs, a.body["token_cost"])
	}
	c.getJSON("/v2/sessions/"+traceHex+"/stats", srv.Key, &st)
	wantCost := 100*0.15e-6 + 20*0.6e-6 // gpt-4o-mini per the embedded table
	if st.EndState == nil || *st.EndState != "Failure" || st.EndStateReason != "gave up" {
		t.Errorf("end state %v (%q), want Failure (gave up)", st.EndState, st.EndStateReason)
	}
	if e := st.Events; e.Total != 6 || e.LLMCalls != 1 || e.ToolCalls != 1 || e.Actions != 1 || e.Agents != 1 || e.Errors != 1 {
		t.Errorf("events %+v, want each once and one root", e)
	}
	if st.Tokens.Prompt != 100 || st.Tokens.Completion != 20 || fmt.Sprint(st.Cost.TotalUSD) != fmt.Sprint(wantCost) {
		t.Errorf("tokens %+v, cost %v; want 100/20, %v", st.Tokens, st.Cost.TotalUSD, wantCost)
	}
	if got, err := strconv.ParseFloat(fmt.Sprint(costs[0]), 64); err != nil || got != wantCost || costs[0] != costs[1] {
		t.Errorf("token_cost answers %v, want %v twice", costs, wantCost)
	}
	if st.StartTime.Time().Format("15:04:05") != "10:00:00" {
		t.Errorf("start %v, want init_timestamp 10:00:00", st.StartTime.Time())
	}

	var x api.SessionExport
	c.getJSON("/v2/sessions/"+traceHex+"/export", srv.Key, &x)
	if x.Session.Name != "session" || strings.Join(x.Session.Tags, ",") != "legacy,test,more" || !strings.Contains(string(x.Session.HostEnv), `"host.name":"box"`) {
		t.Errorf("session %+v", x.Session)
	}
	spans := map[string]api.Span{}
	for _, s := range x.Spans {
		spans[s.Name] = s
	}
	if r := spans["session"]; r.Kind != "session" || r.DurationMs != 5000 || r.EndState != "Failure" {
		t.Errorf("root span %+v: want a session of 5 s (init to end timestamp), Failure", r)
	}
	if e := spans["Timeout"]; e.ParentSpanID == nil || *e.ParentSpanID != spans["search"].SpanID || e.Error == nil || e.Error.Message != "search took too long" {
		t.Errorf("error span %+v: want it under its trigger, the search tool", e)
	}
	if len(x.LLMs) != 1 || x.LLMs[0].PromptTokens != 100 || x.LLMs[0].Prompt[0].Content != "hi" || x.LLMs[0].Completion[0].Content != "hello" {
		t.Errorf("LLM calls %+v", x.LLMs)
	}

	// reauthorize_jwt gives a token that works like the first.
	a = c.post("/v2/reauthorize_jwt", map[string]any{"session_id": sessionID}, key...)
	if jwt2, _ := a.body["jwt"].(string); a.status != 200 || jwt2 == "" {
		t.Fatalf("reauthorize_jwt: %d %s", a.status, a.raw)
	} else if a := c.post("/v2/update_session", end, "Authorization", "Bearer "+jwt2); a.status != 200 {
		t.Errorf("update_session with the new token: %d %s", a.status, a.raw)
	}
	if a := c.post("/v2/developer_errors", map[string]any{"sdk_version": "0.3.26", "type": "KeyError", "message": "x", "stack_trace": "...", "host_env": map[string]any{}}, key...); a.status != 200 {
		t.Errorf("developer_errors: %d %s", a.status, a.raw)
	}
}

// TestLegacyBadInput: every refusal is a 4xx with a JSON error, and writes
// nothing.
func TestLegacyBadInput(t *testing.T) {
	srv := servertest.Start(t, func(c *server.Config) { c.MaxBodyBytes = 64 << 10; c.MaxSpansPerRequest = 10 })
	c := client{t, srv.URL}
	key := []string{auth.HeaderAPIKey, srv.Key}
	many := make([]map[string]any, 11)
	for i := range many {
		many[i] = map[string]any{"id": fmt.Sprintf("e%d", i), "event_type": "actions"}
	}
	tests := []struct {
		name, path string
		body       any
		headers    []string
		status     int
	}{
		{"no credential", "/v2/create_session", map[string]any{"session": session(nil)}, nil, 401},
		{"key not a UUID", "/v2/create_session", map[string]any{"session": session(nil)}, []string{auth.HeaderAPIKey, "nope"}, 403},
		{"unknown key", "/v2/create_session", map[string]any{"session": session(nil)}, []string{auth.HeaderAPIKey, "00000000-0000-4000-8000-000000000000"}, 403},
		{"forged token", "/v2/update_session", map[string]any{"session": session(nil)}, []string{"Authorization", "Bearer e30.e30.sig"}, 401},
		{"not JSON", "/v2/create_session", "{", key, 400},
		{"no session object", "/v2/create_session", map[string]any{"sesion": map[string]any{}}, key, 400},
		{"session id not a UUID", "/v2/create_session", map[string]any{"session": session(map[string]any{"session_id": "abc"})}, key, 400},
		{"bad end timestamp", "/v2/update_session", map[string]any{"session": session(map[string]any{"end_timestamp": "yesterday"})}, key, 400},
		{"event without session", "/v2/create_events", map[string]any{"events": []map[string]any{{"id": "e1", "event_type": "actions"}}}, key, 400},
		{"event without id", "/v2/create_events", events(map[string]any{"event_type": "actions"}), key, 400},
		{"event with a bad time", "/v2/create_events", events(map[string]any{"id": "e1", "event_type": "actions", "init_timestamp": "soon"}), key, 400},
		{"events not a list", "/v2/create_events", map[string]any{"events": "many"}, key, 400},
		{"too many events", "/v2/create_events", events(many...), key, 413},
		{"body too large", "/v2/create_events", `{"events": [], "pad": "` + strings.Repeat("x", 70<<10) + `"}`, key, 413},
		{"agent without id", "/v2/create_agent", map[string]any{"name": "x", "session_id": sessionID}, key, 400},
		{"agent without session", "/v2/create_agent", map[string]any{"id": "a1", "name": "x"}, key, 400},
		{"reauthorize without session", "/v2/reauthorize_jwt", map[string]any{}, key, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := c.post(tt.path, tt.body, tt.headers...)
			if msg, _ := a.body["error"].(string); a.status != tt.status || msg == "" {
				t.Errorf("%d %s, want %d with an error message", a.status, a.raw, tt.status)
			}
		})
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v2/create_session", nil)
	if a := c.do(req); a.status != http.StatusMethodNotAllowed {
		t.Errorf("GET create_session: %d, want 405", a.status)
	}
	var list api.SessionList
	if c.getJSON("/v2/sessions", srv.Key, &list); len(list.Sessions) != 0 {
		t.Errorf("%d sessions stored by refused requests", len(list.Sessions))
	}
}

// TestLegacyProjectIsolation: a project's token or key writes to its own
// project only, whatever session id it names.
func TestLegacyProjectIsolation(t *testing.T) {
	srv := servertest.Start(t)
	c := client{t, srv.URL}
	otherKey := srv.AddProject(t, "other")

	if a := c.post("/v2/create_events", events(llmEvent("e2000000-0000-4000-8000-000000000001", 1, 1)), auth.HeaderAPIKey, srv.Key); a.status != 200 {
		t.Fatalf("create_events: %d %s", a.status, a.raw)
	}
	// The other project sends the same session and event ids.
	a := c.post("/v2/create_session", map[string]any{"session": session(nil)}, auth.HeaderAPIKey, otherKey)
	if a.status != 200 {
		t.Fatalf("create_session: %d %s", a.status, a.raw)
	}
	if a := c.post("/v2/create_events", events(llmEvent("e2000000-0000-4000-8000-000000000001", 1, 1)), "Authorization", "Bearer "+a.body["jwt"].(string)); a.status != 200 || a.body["stored"] != 1.0 {
		t.Fatalf("other project's create_events: %d %s, want its own span stored", a.status, a.raw)
	}
	for _, key := range []string{srv.Key, otherKey} {
		var st api.SessionStats
		if code := c.getJSON("/v2/sessions/"+traceHex+"/stats", key, &st); code != 200 || st.Events.Total != 1 {
			t.Errorf("project of key %s…: %d, %d spans; want 1", key[:8], code, st.Events.Total)
		}
	}
}
