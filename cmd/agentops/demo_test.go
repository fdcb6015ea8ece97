package main

import (
	"encoding/json"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/server/servertest"
)

var (
	demoWrote = regexp.MustCompile(`Wrote (\d+) sessions \((\d+) spans\) of the last (\d+) days`)
	demoCost  = regexp.MustCompile(`Total cost: \$(\d+\.\d{4}) \+ 1 unpriced LLM call`)
)

// listed runs `agentops sessions list --json` on dataDir with extra flags.
func listed(t *testing.T, dataDir string, extra ...string) api.SessionList {
	t.Helper()
	r := mustCLI(t, append([]string{"sessions", "list", "--data", dataDir, "--limit", "1000", "--json"}, extra...)...)
	var list api.SessionList
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("sessions list --json: %v\n%s", err, r.stdout)
	}
	return list
}

// `agentops demo` fills a running server over OTLP/HTTP; `agentops
// sessions` then lists what it wrote.
func TestDemoAgainstServer(t *testing.T) {
	t.Setenv("AGENTOPS_API_KEY", "")
	srv := servertest.Start(t)
	r := mustCLI(t, "demo", "--endpoint", srv.URL, "--api-key", srv.Key, "--sessions", "30", "--days", "5", "--seed", "3", "--batch-spans", "100")
	m := demoWrote.FindStringSubmatch(r.stdout)
	if m == nil || m[1] != "30" || m[3] != "5" || !demoCost.MatchString(r.stdout) || !strings.Contains(r.stdout, "Open the dashboard: "+srv.URL+"/\n") {
		t.Fatalf("demo output:\n%s", r)
	}
	if demoCost.FindStringSubmatch(r.stdout)[1] == "0.0000" {
		t.Errorf("no cost: %s", r.stdout)
	}

	list := listed(t, srv.DataDir)
	if len(list.Sessions) != 30 {
		t.Fatalf("sessions list: %d sessions, want 30", len(list.Sessions))
	}
	states := map[string]int{}
	spans := int64(0)
	for _, s := range list.Sessions {
		spans += s.Events.Total
		switch {
		case s.Running:
			states["running"]++
		case s.EndState != nil:
			states[*s.EndState]++
		}
	}
	if states["running"] != 1 || states["Failure"] == 0 || states["Indeterminate"] == 0 || states["Success"] == 0 {
		t.Errorf("end states %v", states)
	}
	if m[2] != itoa(spans) {
		t.Errorf("demo said %s spans, the sessions hold %d", m[2], spans)
	}
	for _, s := range listed(t, srv.DataDir, "--tag", "support").Sessions {
		if s.Name != "support-triage" {
			t.Errorf("--tag support lists %s (%s)", s.ID, s.Name)
		}
	}
	text := mustCLI(t, "sessions", "list", "--data", srv.DataDir, "--state", "running")
	if !strings.Contains(text.stdout, "research-assistant") || strings.Count(text.stdout, "\n") != 2 {
		t.Errorf("sessions list --state running:\n%s", text.stdout)
	}
}

// `agentops demo --data DIR` writes into a fresh data directory through the
// ingest pipeline, creating the project and printing its key; a server
// started on the directory afterwards serves the sessions with that key.
func TestDemoIntoDataDir(t *testing.T) {
	dir := t.TempDir()
	r := mustCLI(t, "demo", "--data-dir", dir, "--sessions", "12", "--big-session", "3000")
	key := anyUUID.FindString(r.stdout)
	if key == "" || !strings.Contains(r.stdout, `Created project "default"`) || !demoWrote.MatchString(r.stdout) || !strings.Contains(r.stdout, "agentops serve --data "+dir) {
		t.Fatalf("demo --data output:\n%s", r)
	}
	list := listed(t, dir)
	if len(list.Sessions) != 13 {
		t.Fatalf("sessions list: %d sessions, want 12 and the big one", len(list.Sessions))
	}
	big := false
	for _, s := range list.Sessions {
		big = big || s.Events.Total == 3000
	}
	if !big {
		t.Error("no session of 3000 spans")
	}
	keys := mustCLI(t, "keys", "list", "--data", dir)
	if !strings.Contains(keys.stdout, key[:8]) {
		t.Errorf("keys list lacks the printed key %s…:\n%s", key[:8], keys.stdout)
	}

	// A second run into the same directory adds sessions and no key.
	again := mustCLI(t, "demo", "--data", dir, "--sessions", "5")
	if anyUUID.MatchString(again.stdout) {
		t.Errorf("second run printed a key:\n%s", again.stdout)
	}
	if n := len(listed(t, dir).Sessions); n != 18 {
		t.Errorf("%d sessions after the second run, want 18", n)
	}

	srv := serveInProcess(t, dir, false)
	status, body := getREST(t, srv.URL, key, "/v2/sessions?limit=1000")
	var rest api.SessionList
	if status != 200 || json.Unmarshal(body, &rest) != nil || len(rest.Sessions) != 18 {
		t.Fatalf("GET /v2/sessions with the printed key: %d %s", status, body)
	}
}

// A data directory a server has open is refused (a second writer); the
// message points at sending to that server instead.
func TestDemoRefusesADataDirInUse(t *testing.T) {
	dir := t.TempDir()
	srv := startServeChild(t, dir, true)
	r := cli(t, "demo", "--data", dir, "--sessions", "5")
	if r.code != 1 || !strings.Contains(r.stderr, "open in another process") || !strings.Contains(r.stderr, "--api-key") {
		t.Fatalf("demo --data on a served directory: %s", r)
	}
	mustCLI(t, "demo", "--endpoint", srv.URL, "--api-key", srv.Key, "--sessions", "5")
	status, body := getREST(t, srv.URL, srv.Key, "/v2/sessions?limit=1000")
	var list api.SessionList
	if status != 200 || json.Unmarshal(body, &list) != nil || len(list.Sessions) != 5 {
		t.Errorf("after the demo: %d %s", status, body)
	}
}

func TestDemoErrors(t *testing.T) {
	t.Setenv("AGENTOPS_API_KEY", "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	srv := servertest.Start(t)
	fresh := t.TempDir()
	for _, c := range []struct {
		args []string
		code int
		want string // in stderr
	}{
		{[]string{"demo"}, 2, "an API key is needed"},
		{[]string{"demo", "extra", "--api-key", "k"}, 2, `unexpected argument "extra"`},
		{[]string{"demo", "--sessions", "0", "--api-key", "k"}, 2, "--sessions must be between"},
		{[]string{"demo", "--days", "-1", "--api-key", "k"}, 2, "--days must be between"},
		{[]string{"demo", "--batch-spans", "50000", "--api-key", "k"}, 2, "--batch-spans must be between"},
		{[]string{"demo", "--project", "p", "--api-key", "k"}, 2, "--project goes with --data"},
		{[]string{"demo", "--frobnicate"}, 2, "-frobnicate"},
		{[]string{"demo", "--endpoint", closed, "--api-key", srv.Key}, 1, "no AgentOps server answers at " + closed},
		{[]string{"demo", "--endpoint", srv.URL, "--api-key", "0b7c3d9e-1f2a-4b5c-8d6e-7f8091a2b3c4"}, 1, `403 "unknown API key"`},
		{[]string{"demo", "--endpoint", "ftp://x", "--api-key", "k"}, 1, "not http or https"},
		{[]string{"demo", "--data", fresh, "--project", "nope"}, 1, `no project named "nope"`},
		{[]string{"demo", "--sessions", "10001", "--api-key", "k"}, 2, "--sessions must be between"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := cli(t, c.args...)
			if r.code != c.code || !strings.Contains(r.stderr, c.want) {
				t.Errorf("want exit %d and %q in stderr: %s", c.code, c.want, r)
			}
		})
	}

	// The misspelt project created nothing in the fresh directory.
	if keys := mustCLI(t, "keys", "list", "--data", fresh); strings.Count(keys.stdout, "\n") != 1 {
		t.Errorf("keys after a refused demo:\n%s", keys.stdout)
	}

	// The key may come from the environment, as for the SDKs.
	t.Setenv("AGENTOPS_API_KEY", srv.Key)
	t.Setenv("AGENTOPS_API_ENDPOINT", srv.URL)
	if r := mustCLI(t, "demo", "--sessions", "5"); !demoWrote.MatchString(r.stdout) {
		t.Errorf("demo with the environment's key and endpoint: %s", r)
	}
}

func TestDemoHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"demo", "--help"}} {
		r := cli(t, args...)
		if r.code != 0 {
			t.Fatalf("%v: %s", args, r)
		}
		for _, w := range map[bool][]string{
			true:  {"demo", "sample sessions"},
			false: {"agentops demo", "-endpoint", "AGENTOPS_API_ENDPOINT", "-api-key", "AGENTOPS_API_KEY", "-data", "-sessions", "-days", "-seed", "-big-session"},
		}[len(args) == 1] {
			if !strings.Contains(r.stdout+r.stderr, w) {
				t.Errorf("%v: usage lacks %q: %s", args, w, r)
			}
		}
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
