package compat

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/server/servertest"
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
		t.Fatalf("GET export of %s: %d", id, code)
	}
	return x
}

func TestPythonSDK04Dump(t *testing.T) {
	py := python(t, "AGENTOPS_PYTHON_04")
	srv := servertest.Start(t)
	oai := newFakeOpenAI(t)
	out := runScript(t, py, "agentops04.py", map[string]string{
		"AGENTOPS_API_KEY":           srv.Key,
		"AGENTOPS_API_ENDPOINT":      srv.URL,
		"AGENTOPS_EXPORTER_ENDPOINT": srv.URL + "/v1/traces",
		"AGENTOPS_APP_URL":           srv.URL,
		"OPENAI_BASE_URL":            oai.URL + "/v1",
		"OPENAI_API_KEY":             "sk-compat-test",
	})
	t.Logf("script output:\n%s", out)
	waitFor(t, "4 sessions", func() (bool, string) {
		s := sessionsByName(t, srv)
		return len(s) >= 4, fmt.Sprint(len(s))
	})
	for name, s := range sessionsByName(t, srv) {
		x := exportOf(t, srv, s.ID)
		b, _ := json.MarshalIndent(x, "", " ")
		t.Logf("== %s\n%s", name, b)
	}
}
