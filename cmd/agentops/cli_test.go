package main

import (
	"encoding/json"
	"math"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/semconv"
)

func TestHelpAtEveryLevel(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string // in the usage printed
	}{
		{[]string{"--help"}, []string{"Usage:", "serve", "keys", "sessions", "export", "prices", "loadgen"}},
		{[]string{"-h"}, []string{"Usage:", "serve"}},
		{[]string{"help"}, []string{"Usage:", "serve"}},
		{[]string{"serve", "--help"}, []string{"agentops serve", "-addr", "AGENTOPS_ADDR", "-data", "-shutdown-timeout"}},
		{[]string{"keys", "--help"}, []string{"agentops keys create", "agentops keys list", "agentops keys revoke"}},
		{[]string{"keys", "create", "--help"}, []string{"agentops keys create", "-project", "-data"}},
		{[]string{"keys", "list", "--help"}, []string{"agentops keys list", "-data"}},
		{[]string{"keys", "revoke", "--help"}, []string{"agentops keys revoke KEY", "-data"}},
		{[]string{"sessions", "--help"}, []string{"agentops sessions list", "agentops sessions show"}},
		{[]string{"sessions", "list", "--help"}, []string{"agentops sessions list", "-state", "-tag", "-limit", "-json"}},
		{[]string{"sessions", "show", "--help"}, []string{"agentops sessions show ID", "-json"}},
		{[]string{"export", "--help"}, []string{"agentops export ID", "-project"}},
		{[]string{"prices", "--help"}, []string{"agentops prices list", "agentops prices set", "agentops prices delete"}},
		{[]string{"prices", "list", "--help"}, []string{"agentops prices list", "-project"}},
		{[]string{"prices", "set", "--help"}, []string{"agentops prices set MODEL", "-input", "-output"}},
		{[]string{"prices", "delete", "--help"}, []string{"agentops prices delete MODEL"}},
		{[]string{"loadgen", "--help"}, []string{"agentops loadgen", "-endpoint", "-api-key"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := cli(t, c.args...)
			if r.code != 0 {
				t.Fatalf("want exit 0: %s", r)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stdout+r.stderr, w) {
					t.Errorf("usage lacks %q: %s", w, r)
				}
			}
		})
	}
}

func TestUnknownCommandsAndBadUsage(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		want string // in stderr
	}{
		{[]string{}, "Usage:"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"keys", "frobnicate"}, `unknown subcommand "frobnicate"`},
		{[]string{"sessions", "frobnicate"}, `unknown subcommand "frobnicate"`},
		{[]string{"prices", "frobnicate"}, `unknown subcommand "frobnicate"`},
		{[]string{"keys"}, "agentops keys create"},
		{[]string{"keys", "list", "--frobnicate", "--data", dir}, "-frobnicate"},
		{[]string{"serve", "--frobnicate"}, "-frobnicate"},
		{[]string{"keys", "create", "--data", dir}, "--project NAME is required"},
		{[]string{"keys", "revoke", "--data", dir}, "exactly one KEY"},
		{[]string{"export", "--data", dir}, "exactly one session ID"},
		{[]string{"prices", "set", "gpt-4o", "--input", "1", "--data", dir}, "both --input and --output"},
		{[]string{"loadgen", "extra"}, `unexpected argument "extra"`},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			r := cli(t, c.args...)
			if r.code != 2 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("want exit 2 and %q on stderr: %s", c.want, r)
			}
		})
	}
}

// keyRow finds the `keys list` row of a key: its prefix, project and revoked
// column.
func keyRow(t *testing.T, list, key string) (project, revoked string) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key[:8]) + `…\s+(\S+)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+(-|\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\s*$`)
	m := re.FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("keys list has no row for %s…:\n%s", key[:8], list)
	}
	return m[1], m[2]
}

func TestKeys(t *testing.T) {
	dir := t.TempDir()
	r := mustCLI(t, "keys", "create", "--project", "alpha", "--data", dir)
	key1 := strings.TrimSpace(r.stdout)
	if !uuidV4.MatchString(key1) || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("keys create printed %q, want one UUIDv4 line", r.stdout)
	}
	if !strings.Contains(r.stderr, `created project "alpha"`) {
		t.Errorf("keys create did not say it created the project: %s", r)
	}
	r = mustCLI(t, "keys", "create", "--project", "alpha", "--data", dir)
	key2 := strings.TrimSpace(r.stdout)
	if key2 == key1 || !uuidV4.MatchString(key2) {
		t.Fatalf("second key %q (first %q)", key2, key1)
	}
	if strings.Contains(r.stderr, "created project") {
		t.Errorf("a second key for alpha created the project again: %s", r)
	}
	if strings.Contains(mustCLI(t, "keys", "list", "--data", dir).stdout, key1) {
		t.Errorf("keys list prints a whole key; only its prefix may be shown")
	}

	list := mustCLI(t, "keys", "list", "--data", dir).stdout
	for _, k := range []string{key1, key2} {
		if p, rev := keyRow(t, list, k); p != "alpha" || rev != "-" {
			t.Errorf("row of %s…: project %q revoked %q, want alpha and -", k[:8], p, rev)
		}
	}

	r = mustCLI(t, "keys", "revoke", key1, "--data", dir)
	if !strings.Contains(r.stderr, "revoked") {
		t.Errorf("revoke said nothing: %s", r)
	}
	list = mustCLI(t, "keys", "list", "--data", dir).stdout
	if _, rev := keyRow(t, list, key1); rev == "-" {
		t.Errorf("revoked key is listed as not revoked:\n%s", list)
	}
	if _, rev := keyRow(t, list, key2); rev != "-" {
		t.Errorf("the other key got revoked too:\n%s", list)
	}

	r = cli(t, "keys", "revoke", "3f0c6a2e-9d1b-4c57-8a44-2b7e8f1d9c30", "--data", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "no such key") {
		t.Errorf("revoking an unknown key: %s", r)
	}
	r = cli(t, "keys", "revoke", "not-a-key", "--data", dir)
	if r.code != 1 || !strings.Contains(r.stderr, `"not-a-key" is not an API key`) {
		t.Errorf("revoking a non-UUID: %s", r)
	}

	// A server on the same directory takes the live key and refuses the
	// revoked one.
	s := serveInProcess(t, dir, false)
	if status, body := getREST(t, s.URL, key2, "/v2/sessions"); status != http.StatusOK {
		t.Errorf("GET /v2/sessions with the live key = %d %s", status, body)
	}
	if status, body := getREST(t, s.URL, key1, "/v2/sessions"); status != http.StatusForbidden || !strings.Contains(string(body), "revoked") {
		t.Errorf("GET /v2/sessions with the revoked key = %d %s", status, body)
	}
	s.shutdown(t)
	if out := s.stdout.String(); anyUUID.MatchString(out) {
		t.Errorf("serve created a key although project alpha exists:\n%s", out)
	}
}

// agentSession is one agent session as an instrumented client would send it:
// a session root, an LLM call and a tool call.
type agentSession struct {
	id            model.TraceID
	name          string
	tags          []string
	endState      string // "" while running
	start         time.Time
	model         string
	input, output int64
	toolFails     bool
}

func (s agentSession) traces() ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "cli-test")
	spans := rs.ScopeSpans().AppendEmpty().Spans()
	span := func(n byte, parent byte, name, kind string, from, to time.Duration) ptrace.Span {
		sp := spans.AppendEmpty()
		sp.SetTraceID(pcommon.TraceID(s.id))
		sp.SetSpanID(pcommon.SpanID{s.id[0], s.id[1], 0, 0, 0, 0, 0, n})
		if parent != 0 {
			sp.SetParentSpanID(pcommon.SpanID{s.id[0], s.id[1], 0, 0, 0, 0, 0, parent})
		}
		sp.SetName(name)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(s.start.Add(from)))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(s.start.Add(to)))
		sp.Attributes().PutStr(semconv.SpanKind, kind)
		return sp
	}
	root := span(1, 0, s.name, semconv.KindSession, 0, time.Second)
	tags, _ := json.Marshal(s.tags)
	root.Attributes().PutStr(semconv.Tags, string(tags))
	if s.endState != "" {
		root.Attributes().PutStr(semconv.EndState, s.endState)
	} else {
		root.SetEndTimestamp(0) // still running
	}
	llm := span(2, 1, "chat "+s.model, semconv.KindLLM, 100*time.Millisecond, 600*time.Millisecond)
	llm.Attributes().PutStr(semconv.GenAIProviderName, "openai")
	llm.Attributes().PutStr(semconv.GenAIRequestModel, s.model)
	llm.Attributes().PutInt(semconv.GenAIInputTokens, s.input)
	llm.Attributes().PutInt(semconv.GenAIOutputTokens, s.output)
	tool := span(3, 1, "search.tool", semconv.KindTool, 600*time.Millisecond, 900*time.Millisecond)
	if s.toolFails {
		tool.Status().SetCode(ptrace.StatusCodeError)
		tool.Status().SetMessage("timeout")
	}
	return td
}

// sessionFixture is a data directory served in-process with three sessions.
type sessionFixture struct {
	dir                        string
	srv                        *liveServer
	succeeded, failed, running agentSession
}

func newSessionFixture(t *testing.T) *sessionFixture {
	t.Helper()
	f := &sessionFixture{dir: t.TempDir()}
	f.srv = serveInProcess(t, f.dir, true)
	base := time.Now().Add(-time.Minute)
	f.succeeded = agentSession{id: model.TraceID{0xa1, 1}, name: "research", tags: []string{"alpha", "shared"}, endState: "Success",
		start: base, model: "gpt-4o-mini", input: 1000, output: 200}
	f.failed = agentSession{id: model.TraceID{0xb2, 2}, name: "booking", tags: []string{"beta"}, endState: "Failure",
		start: base.Add(time.Second), model: "gpt-4o-mini", input: 500, output: 50, toolFails: true}
	f.running = agentSession{id: model.TraceID{0xc3, 3}, name: "ongoing", tags: []string{"alpha"},
		start: base.Add(2 * time.Second), model: "gpt-4o-mini", input: 10, output: 1}
	for _, s := range []agentSession{f.succeeded, f.failed, f.running} {
		mustPost(t, f.srv.URL, f.srv.Key, s.traces())
	}
	return f
}

// listedIDs returns the session ids of a `sessions list` table, in order.
func listedIDs(t *testing.T, table string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimRight(table, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "ID ") {
		t.Fatalf("sessions list has no header:\n%s", table)
	}
	var ids []string
	for _, l := range lines[1:] {
		ids = append(ids, strings.Fields(l)[0])
	}
	return ids
}

func TestSessionsList(t *testing.T) {
	f := newSessionFixture(t)
	all := []string{f.running.id.String(), f.failed.id.String(), f.succeeded.id.String()} // newest first
	for _, c := range []struct {
		flags []string
		want  []string
	}{
		{nil, all},
		{[]string{"--limit", "2"}, all[:2]},
		{[]string{"--state", "Failure"}, []string{f.failed.id.String()}},
		{[]string{"--state", "Success"}, []string{f.succeeded.id.String()}},
		{[]string{"--state", "running"}, []string{f.running.id.String()}},
		{[]string{"--tag", "alpha"}, []string{f.running.id.String(), f.succeeded.id.String()}},
		{[]string{"--tag", "beta", "--state", "Failure"}, []string{f.failed.id.String()}},
		{[]string{"--tag", "nobody"}, nil},
	} {
		t.Run(strings.Join(c.flags, " "), func(t *testing.T) {
			r := mustCLI(t, append([]string{"sessions", "list", "--data", f.dir}, c.flags...)...)
			if got := listedIDs(t, r.stdout); !reflect.DeepEqual(got, c.want) {
				t.Errorf("listed %v, want %v:\n%s", got, c.want, r.stdout)
			}
		})
	}
	if r := mustCLI(t, "sessions", "list", "--data", f.dir, "--limit", "2"); !strings.Contains(r.stderr, "more sessions") {
		t.Errorf("a truncated list does not say so: %s", r)
	}
	if r := cli(t, "sessions", "list", "--data", f.dir, "--state", "Done"); r.code == 0 || !strings.Contains(r.stderr, "end_state must be one of") {
		t.Errorf("an unknown --state: %s", r)
	}

	// --json is the REST list.
	r := mustCLI(t, "sessions", "list", "--data", f.dir, "--json")
	_, rest := getREST(t, f.srv.URL, f.srv.Key, "/v2/sessions?limit=20")
	sameJSON(t, "sessions list --json", []byte(r.stdout), rest)
}

func TestSessionsShow(t *testing.T) {
	f := newSessionFixture(t)
	r := mustCLI(t, "sessions", "show", f.failed.id.String(), "--data", f.dir)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^Session\s+` + f.failed.id.String() + `$`),
		regexp.MustCompile(`(?m)^Name\s+booking$`),
		regexp.MustCompile(`(?m)^State\s+Failure$`),
		regexp.MustCompile(`(?m)^Tags\s+beta$`),
		regexp.MustCompile(`(?m)^Spans\s+3$`),
		regexp.MustCompile(`(?m)^LLM calls\s+1$`),
		regexp.MustCompile(`(?m)^Errors\s+1$`),
		regexp.MustCompile(`(?m)^Tokens\s+550 \(prompt 500, completion 50,`),
	} {
		if !want.MatchString(r.stdout) {
			t.Errorf("sessions show lacks %s:\n%s", want, r.stdout)
		}
	}
	// The dashed UUID form of the id is accepted too.
	h := f.failed.id.String()
	dashed := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	if r2 := mustCLI(t, "sessions", "show", dashed, "--data", f.dir); r2.stdout != r.stdout {
		t.Errorf("show by dashed id differs:\n%s\nvs\n%s", r2.stdout, r.stdout)
	}

	r = mustCLI(t, "sessions", "show", f.succeeded.id.String(), "--data", f.dir, "--json")
	_, rest := getREST(t, f.srv.URL, f.srv.Key, "/v2/sessions/"+f.succeeded.id.String()+"/stats")
	sameJSON(t, "sessions show --json", []byte(r.stdout), rest)

	unknown := model.TraceID{0xee}.String()
	r = cli(t, "sessions", "show", unknown, "--data", f.dir)
	if r.code != 1 || !strings.Contains(r.stderr, "session "+unknown+" not found") {
		t.Errorf("show of an unknown id: %s", r)
	}
	r = cli(t, "sessions", "show", "xyz", "--data", f.dir)
	if r.code == 0 || !strings.Contains(r.stderr, `"xyz" must be 32 hex digits`) {
		t.Errorf("show of a malformed id: %s", r)
	}
}

func TestExportMatchesREST(t *testing.T) {
	f := newSessionFixture(t)
	for _, s := range []agentSession{f.succeeded, f.failed, f.running} {
		r := mustCLI(t, "export", s.id.String(), "--data", f.dir)
		if !json.Valid([]byte(r.stdout)) {
			t.Fatalf("export printed invalid JSON:\n%s", r.stdout)
		}
		var exp api.SessionExport
		if err := json.Unmarshal([]byte(r.stdout), &exp); err != nil {
			t.Fatal(err)
		}
		if exp.Session.ID != s.id.String() || exp.Session.Name != s.name || len(exp.Spans) != 3 || len(exp.LLMs) != 1 || len(exp.Tools) != 1 {
			t.Errorf("export of %s: session %s %q, %d spans, %d llms, %d tools", s.name, exp.Session.ID, exp.Session.Name, len(exp.Spans), len(exp.LLMs), len(exp.Tools))
		}
		status, rest := getREST(t, f.srv.URL, f.srv.Key, "/v2/sessions/"+s.id.String()+"/export")
		if status != http.StatusOK {
			t.Fatalf("GET export = %d %s", status, rest)
		}
		sameJSON(t, "export "+s.name, []byte(r.stdout), rest)
	}
	unknown := model.TraceID{0xee}.String()
	if r := cli(t, "export", unknown, "--data", f.dir); r.code != 1 || !strings.Contains(r.stderr, "not found") || r.stdout != "" {
		t.Errorf("export of an unknown id: %s", r)
	}
}

func TestSeveralProjectsNeedProject(t *testing.T) {
	f := newSessionFixture(t)
	mustCLI(t, "keys", "create", "--project", "second", "--data", f.dir)
	for _, args := range [][]string{
		{"sessions", "list"},
		{"sessions", "show", f.failed.id.String()},
		{"export", f.failed.id.String()},
		{"prices", "list"},
	} {
		r := cli(t, append(args, "--data", f.dir)...)
		if r.code != 1 || !strings.Contains(r.stderr, "default") || !strings.Contains(r.stderr, "second") || !strings.Contains(r.stderr, "--project") {
			t.Errorf("%q with two projects and no --project: %s", args, r)
		}
	}
	if got := listedIDs(t, mustCLI(t, "sessions", "list", "--data", f.dir, "--project", "default").stdout); len(got) != 3 {
		t.Errorf("--project default lists %v", got)
	}
	if got := listedIDs(t, mustCLI(t, "sessions", "list", "--data", f.dir, "--project", "second").stdout); len(got) != 0 {
		t.Errorf("--project second lists another project's sessions: %v", got)
	}
	// A session of another project is not found, not shown.
	if r := cli(t, "export", f.failed.id.String(), "--data", f.dir, "--project", "second"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("export across projects: %s", r)
	}
	if r := cli(t, "sessions", "list", "--data", f.dir, "--project", "third"); r.code != 1 || !strings.Contains(r.stderr, `no project named "third"`) {
		t.Errorf("an unknown --project: %s", r)
	}
}

// sameJSON fails unless a and b are the same JSON document.
func sameJSON(t *testing.T, what string, a, b []byte) {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v in %s", what, err, a)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: REST: %v in %s", what, err, b)
	}
	if !reflect.DeepEqual(va, vb) {
		t.Errorf("%s differs from the REST API:\nCLI:  %s\nREST: %s", what, a, b)
	}
}

// llmCost reads the cost of a session's one LLM call from `agentops export`.
func llmCost(t *testing.T, dir string, id model.TraceID) (float64, string) {
	t.Helper()
	var exp api.SessionExport
	if err := json.Unmarshal([]byte(mustCLI(t, "export", id.String(), "--data", dir).stdout), &exp); err != nil {
		t.Fatal(err)
	}
	if len(exp.LLMs) != 1 || exp.LLMs[0].CostUSD == nil {
		t.Fatalf("session %s: want one priced LLM call, got %+v", id, exp.LLMs)
	}
	return *exp.LLMs[0].CostUSD, exp.LLMs[0].CostSource
}

func TestPriceOverride(t *testing.T) {
	dir := t.TempDir()
	key := strings.TrimSpace(mustCLI(t, "keys", "create", "--project", "default", "--data", dir).stdout)
	r := mustCLI(t, "prices", "set", "gpt-4o", "--input", "1", "--output", "2", "--data", dir)
	if !strings.Contains(r.stderr, "gpt-4o") {
		t.Errorf("prices set: %s", r)
	}

	list := mustCLI(t, "prices", "list", "gpt-4o", "--data", dir).stdout
	if !regexp.MustCompile(`(?m)^gpt-4o\s+-\s+1\s+2\s+1\s+1\s+2\s+override \(default\)$`).MatchString(list) {
		t.Errorf("prices list lacks the override row:\n%s", list)
	}
	if !regexp.MustCompile(`(?m)^gpt-4o\s+openai\s.*\stable$`).MatchString(list) || !strings.Contains(list, "gpt-4o-mini") {
		t.Errorf("prices list lacks the table rows:\n%s", list)
	}
	if strings.Contains(list, "claude") {
		t.Errorf("prices list gpt-4o shows other models:\n%s", list)
	}

	// 1000 input and 500 output tokens at $1 and $2 per million.
	const in, out = 1000, 500
	overridden := in*1e-6 + out*2e-6
	s := serveInProcess(t, dir, false)
	sess := agentSession{id: model.TraceID{0x99, 1}, name: "priced", endState: "Success", start: time.Now(), model: "gpt-4o", input: in, output: out}
	mustPost(t, s.URL, key, sess.traces())
	if cost, src := llmCost(t, dir, sess.id); math.Abs(cost-overridden) > 1e-12 || src != "table" {
		t.Errorf("gpt-4o call cost %v (%s), want %v from the override", cost, src, overridden)
	}

	// A change while the server runs applies within its 5 s cache.
	mustCLI(t, "prices", "set", "gpt-4o", "--input", "3", "--output", "4", "--data", dir)
	changed := in*3e-6 + out*4e-6
	deadline := time.Now().Add(8 * time.Second)
	for i := byte(2); ; i++ {
		sess.id = model.TraceID{0x99, i}
		sess.start = time.Now()
		mustPost(t, s.URL, key, sess.traces())
		cost, _ := llmCost(t, dir, sess.id)
		if math.Abs(cost-changed) <= 1e-12 {
			break
		}
		if math.Abs(cost-overridden) > 1e-12 {
			t.Fatalf("gpt-4o call cost %v, neither the old override %v nor the new %v", cost, overridden, changed)
		}
		if time.Now().After(deadline) {
			t.Fatalf("the changed price did not apply within 8 s")
		}
		time.Sleep(250 * time.Millisecond) // pacing of the poll, bounded by the deadline
	}

	mustCLI(t, "prices", "delete", "gpt-4o", "--data", dir)
	if list := mustCLI(t, "prices", "list", "gpt-4o", "--data", dir).stdout; strings.Contains(list, "override") {
		t.Errorf("the deleted override is still listed:\n%s", list)
	}
	if r := cli(t, "prices", "delete", "gpt-4o", "--data", dir); r.code != 1 || !strings.Contains(r.stderr, "no price override for gpt-4o") {
		t.Errorf("deleting a missing override: %s", r)
	}
}
