package dashboard_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/dashboard"
	"github.com/agentops-go/agentops/internal/demo"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/internal/store/sqlite"
)

// env is a dashboard on a real SQLite store, served on loopback.
type env struct {
	t        *testing.T
	st       *sqlite.Store
	srv      *httptest.Server
	key1     string // API key of project one
	key2     string // API key of project two
	keyDemo  string // API key of the demo project
	p1, p2   store.Project
	pDemo    store.Project
	f        fixture
	demo     demo.Result
	now      time.Time
	password string
	auth     *auth.Authenticator
	handler  atomic.Pointer[http.ServeMux] // what srv serves; restart replaces it
}

func newEnv(t *testing.T, mutate ...func(*dashboard.Options)) *env {
	t.Helper()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "agentops.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	e := &env{t: t, st: st, now: time.Now(), password: "correct horse battery"}
	keys := []*string{&e.key1, &e.key2, &e.keyDemo}
	for i, p := range []*store.Project{&e.p1, &e.p2, &e.pDemo} {
		*p, err = st.CreateProject(ctx, []string{"alpha-project", "beta-project", "demo-project"}[i])
		if err != nil {
			t.Fatal(err)
		}
		key, k := auth.NewKey()
		k.ProjectID = p.ID
		if err := st.AddKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		*keys[i] = key
	}
	e.f = fill(t, st, e.p1.ID, e.p2.ID, e.now)
	e.demo = fillDemo(t, st, e.pDemo.ID, e.now)
	e.auth = auth.New(st, []byte("0123456789abcdef0123456789abcdef"), auth.WithCacheTTL(0))
	e.restart(mutate...)
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.handler.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// restart builds a new dashboard on the same store, as a server restart
// does (nothing kept in memory survives), and serves it from now on.
func (e *env) restart(mutate ...func(*dashboard.Options)) {
	e.t.Helper()
	opts := dashboard.Options{Password: e.password, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, m := range mutate {
		m(&opts)
	}
	d, err := dashboard.New(e.st, e.auth, opts)
	if err != nil {
		e.t.Fatal(err)
	}
	mux := http.NewServeMux()
	d.Register(mux)
	// The REST API beside it, as the server mounts it, for the figures the
	// pages must match.
	rest := api.New(e.st, api.Options{Logger: opts.Logger})
	mux.Handle("/v2/sessions", restAuth(e.auth, rest))
	mux.Handle("/v2/sessions/", restAuth(e.auth, rest))
	e.handler.Store(mux)
}

func restAuth(a *auth.Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		project, err := a.FromRequest(r)
		if err != nil {
			http.Error(w, `{"error":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(api.WithProject(r.Context(), project)))
	})
}

// client is a browser-like client: a cookie jar, redirects not followed.
type client struct {
	e    *env
	http *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type answer struct {
	status int
	header http.Header
	body   string
}

func (c *client) do(method, path string, form url.Values, header ...string) answer {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, string(b)}
}

func (c *client) get(path string, header ...string) answer { return c.do("GET", path, nil, header...) }

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf reads the CSRF token of the forms of a page.
func (c *client) csrf(path string) string {
	c.e.t.Helper()
	a := c.get(path)
	m := csrfField.FindStringSubmatch(a.body)
	if m == nil {
		c.e.t.Fatalf("GET %s: no CSRF token in the page (status %d)", path, a.status)
	}
	return m[1]
}

// login logs in with an API key or the password.
func (c *client) login(field, value string) answer {
	c.e.t.Helper()
	token := c.csrf("/login")
	return c.do("POST", "/login", url.Values{"csrf": {token}, field: {value}, "next": {"/"}})
}

func (e *env) loggedIn(key string) *client {
	e.t.Helper()
	c := e.client()
	if a := c.login("api_key", key); a.status != http.StatusSeeOther {
		e.t.Fatalf("login: status %d: %s", a.status, a.body)
	}
	return c
}

func TestNothingReadableWithoutLogin(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for _, path := range []string{"/", "/sessions", "/sessions/" + e.f.success.String(), "/sessions/" + e.f.success.String() + "/spans/" + e.f.llmSpan.String(),
		"/sessions/" + e.f.success.String() + "/export", "/traces/" + e.f.success.String(), "/sessions?trace_id=" + e.f.success.String()} {
		a := c.get(path)
		if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/login?next=") {
			t.Errorf("GET %s without login: %d, Location %q; want 303 to /login", path, a.status, a.header.Get("Location"))
		}
		if strings.Contains(a.body, "support-chat") {
			t.Errorf("GET %s without login shows session data", path)
		}
		if a := c.get(path, "X-Fragment", "span"); a.status != http.StatusUnauthorized {
			t.Errorf("GET %s (fragment) without login: %d, want 401", path, a.status)
		}
	}
	if a := c.get("/static/app.css"); a.status != http.StatusOK {
		t.Errorf("static assets: %d", a.status)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	c := e.loggedIn(e.key1)
	for _, path := range []string{"/login", "/", "/sessions", "/sessions/" + e.f.xss.String()} {
		h := c.get(path).header
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	if a := c.login("api_key", "not-a-key"); a.status != http.StatusBadRequest || !strings.Contains(a.body, "not an API key") {
		t.Errorf("malformed key: %d", a.status)
	}
	if a := c.login("api_key", "123e4567-e89b-42d3-a456-426614174000"); a.status != http.StatusUnauthorized || !strings.Contains(a.body, "Unknown or revoked") {
		t.Errorf("unknown key: %d", a.status)
	}
	if a := c.login("password", "wrong"); a.status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", a.status)
	}
	a := c.login("api_key", e.key1)
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/" {
		t.Fatalf("good key: %d, Location %q", a.status, a.header.Get("Location"))
	}
	cookie := a.header.Get("Set-Cookie")
	for _, want := range []string{"agentops_login=", "HttpOnly", "SameSite=Strict", "Max-Age="} {
		if !strings.Contains(cookie, want) {
			t.Errorf("login cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("cookie over plain HTTP is Secure (the browser would drop it): %q", cookie)
	}
	if a := c.get("/"); a.status != http.StatusOK || !strings.Contains(a.body, "Overview") {
		t.Errorf("overview after login: %d", a.status)
	}
	// next stays on this site.
	c2 := e.client()
	token := c2.csrf("/login")
	a = c2.do("POST", "/login", url.Values{"csrf": {token}, "api_key": {e.key1}, "next": {"//evil.example/x"}})
	if loc := a.header.Get("Location"); loc != "/" {
		t.Errorf("next=//evil.example: redirected to %q", loc)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.get("/login") // the pre-login cookie
	if a := c.do("POST", "/login", url.Values{"api_key": {e.key1}}); a.status != http.StatusForbidden {
		t.Errorf("login without CSRF token: %d, want 403", a.status)
	}
	if a := c.do("POST", "/login", url.Values{"api_key": {e.key1}, "csrf": {"forged"}}); a.status != http.StatusForbidden {
		t.Errorf("login with a forged CSRF token: %d, want 403", a.status)
	}
	c = e.loggedIn(e.key1)
	if a := c.do("POST", "/logout", url.Values{}); a.status != http.StatusForbidden {
		t.Errorf("logout without CSRF token: %d, want 403", a.status)
	}
	if a := c.do("POST", "/project", url.Values{"project": {e.p1.ID}, "csrf": {"nope"}}); a.status != http.StatusForbidden {
		t.Errorf("project switch with a wrong CSRF token: %d, want 403", a.status)
	}
	if a := c.get("/"); a.status != http.StatusOK {
		t.Fatalf("still logged in after refused logout: %d", a.status)
	}
	token := c.csrf("/")
	if a := c.do("POST", "/logout", url.Values{"csrf": {token}}); a.status != http.StatusSeeOther {
		t.Errorf("logout: %d", a.status)
	}
	if a := c.get("/"); a.status != http.StatusSeeOther {
		t.Errorf("after logout: %d, want a redirect to login", a.status)
	}
}

func TestLoginRateLimited(t *testing.T) {
	e := newEnv(t, func(o *dashboard.Options) { o.LoginBurst, o.LoginInterval = 3, time.Hour })
	c := e.client()
	for i := range 3 {
		if a := c.login("password", "wrong"); a.status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d", i+1, a.status)
		}
	}
	a := c.login("password", e.password) // right, but over the limit
	if a.status != http.StatusTooManyRequests || a.header.Get("Retry-After") == "" {
		t.Errorf("4th attempt: %d, want 429 with Retry-After", a.status)
	}
}

func TestRevokedKeyEndsLogin(t *testing.T) {
	e := newEnv(t)
	c := e.loggedIn(e.key1)
	hash, _ := auth.HashKey(e.key1)
	if err := e.st.RevokeKey(context.Background(), hash, time.Now()); err != nil {
		t.Fatal(err)
	}
	if a := c.get("/sessions"); a.status != http.StatusSeeOther {
		t.Errorf("after the key was revoked: %d, want a redirect to login", a.status)
	}
}

func TestOverview(t *testing.T) {
	e := newEnv(t)
	c := e.loggedIn(e.key1)
	a := c.get("/")
	if a.status != http.StatusOK {
		t.Fatalf("overview: %d", a.status)
	}
	// The figures are the sums over the project's sessions.
	page, err := e.st.Sessions(context.Background(), e.p1.ID, store.SessionQuery{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var sessions, llmCalls, errs, in, out int64
	var cost float64
	for _, s := range page.Sessions {
		sessions++
		llmCalls += s.Counts.LLMCalls
		errs += s.Counts.Errors
		in += s.Usage.Input
		out += s.Usage.Output
		cost += s.Cost
	}
	for id, want := range map[string]string{
		"kpi-sessions": itoa(sessions), "kpi-llm": itoa(llmCalls), "kpi-errors": itoa(errs),
		"kpi-success": "1", "kpi-failure": "1", "kpi-indeterminate": "1", "kpi-running": "1",
	} {
		if got := textOf(a.body, id); got != want {
			t.Errorf("%s = %q, want %q", id, got, want)
		}
	}
	if got := attrOf(a.body, "kpi-input", "data-n"); got != strconv.FormatInt(in, 10) {
		t.Errorf("input tokens %s, want %d", got, in)
	}
	if got := attrOf(a.body, "kpi-output", "data-n"); got != strconv.FormatInt(out, 10) {
		t.Errorf("output tokens %s, want %d", got, out)
	}
	if got, want := attrOf(a.body, "kpi-cost", "data-usd"), strconv.FormatFloat(cost, 'f', 6, 64); got != want {
		t.Errorf("cost %s, want %s", got, want)
	}
	for _, want := range []string{"TimeoutError", "search timed out after 30s", "search tool crashed", "answered the customer", "gpt-4o", "claude-sonnet-4", "Sessions per day", "Cost per day by model"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("overview lacks %q", want)
		}
	}
	if strings.Contains(a.body, "other-project") || strings.Contains(a.body, xssImg) || strings.Contains(a.body, "<script>window") {
		t.Error("overview shows another project's data or unescaped markup")
	}
	for _, days := range []string{"1", "7", "90"} {
		if a := c.get("/?days=" + days); a.status != http.StatusOK {
			t.Errorf("days=%s: %d", days, a.status)
		}
	}
	if a := c.get("/?days=3"); a.status != http.StatusBadRequest {
		t.Errorf("days=3: %d, want 400", a.status)
	}
}

func TestSessionsPage(t *testing.T) {
	e := newEnv(t)
	c := e.loggedIn(e.key1)
	rowsOf := func(path string) []string {
		t.Helper()
		a := c.get(path)
		if a.status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, a.status, a.body)
		}
		var ids []string
		for _, m := range regexp.MustCompile(`<tr class="[^"]*" data-id="([0-9a-f]{32})"`).FindAllStringSubmatch(a.body, -1) {
			ids = append(ids, m[1])
		}
		return ids
	}
	f := e.f
	s, fl, x, r := f.success.String(), f.failure.String(), f.xss.String(), f.running.String()
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/sessions", []string{r, x, fl, s}},
		{"/sessions?tag=prod", []string{fl, s}},
		{"/sessions?q=tag%3Aresearch", []string{fl}},
		{"/sessions?end_state=Failure", []string{fl}},
		{"/sessions?end_state=running", []string{r}},
		{"/sessions?tag=prod&end_state=Success", []string{s}},
		{"/sessions?has_errors=true", []string{fl}},
		{"/sessions?model=claude-sonnet-4", []string{s}},
		{"/sessions?q=research", []string{fl}},
		{"/sessions?q=" + s[:20], []string{s}},
		{"/sessions?range=1h", []string{r}},
		{"/sessions?sort=cost", []string{s, r, fl, x}},
		{"/sessions?sort=cost&order=asc", []string{x, fl, r, s}},
		{"/sessions?sort=name&order=asc", []string{r, fl, s, x}},
		{"/sessions?q=other-project", nil},
	} {
		if got := rowsOf(c.path); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: got %v, want %v", c.path, got, c.want)
		}
	}
	a := c.get("/sessions")
	for _, want := range []string{"support-chat", "answered the customer", `class="live"`, "data-live", "&lt;img src=x onerror=", "/sessions?tag=prod"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("sessions page lacks %q", want)
		}
	}
	if strings.Contains(a.body, xssImg) || strings.Contains(a.body, xssScript) {
		t.Error("sessions page holds unescaped markup from spans")
	}
	if a := c.get("/sessions", "X-Fragment", "rows"); a.status != http.StatusOK || strings.Contains(a.body, "<html") || !strings.Contains(a.body, "live-agent") {
		t.Errorf("rows fragment: %d %q", a.status, a.body[:min(80, len(a.body))])
	}
	for _, bad := range []string{"?end_state=bogus", "?sort=nope", "?order=up", "?cursor=xyz", "?range=2y", "?has_errors=maybe"} {
		if a := c.get("/sessions" + bad); a.status != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", bad, a.status)
		}
	}
	// Cursor pagination walks every session once.
	seen := map[string]bool{}
	path := "/sessions?sort=start"
	for pages := 0; path != ""; pages++ {
		if pages > 10 {
			t.Fatal("too many pages")
		}
		a := c.get(strings.Replace(path, "&amp;", "&", -1))
		for _, m := range regexp.MustCompile(`data-id="([0-9a-f]{32})"`).FindAllStringSubmatch(a.body, -1) {
			seen[m[1]] = true
		}
		m := regexp.MustCompile(`href="([^"]+)" id="next-page"`).FindStringSubmatch(a.body)
		path = ""
		if m != nil {
			path = m[1]
		}
	}
	if len(seen) != 4 {
		t.Errorf("pages listed %d sessions, want 4", len(seen))
	}
	// The URL the AgentOps SDKs print.
	if a := c.get("/sessions?trace_id=" + s); a.status != http.StatusFound || a.header.Get("Location") != "/sessions/"+s {
		t.Errorf("trace_id link: %d %q", a.status, a.header.Get("Location"))
	}
	if a := c.get("/sessions?trace_id=" + f.other.String()); a.status != http.StatusNotFound {
		t.Errorf("trace_id of another project: %d, want 404", a.status)
	}
	if a := c.get("/sessions?trace_id=zz"); a.status != http.StatusBadRequest {
		t.Errorf("bad trace_id: %d, want 400", a.status)
	}
}

func TestSessionPage(t *testing.T) {
	e := newEnv(t)
	c := e.loggedIn(e.key1)
	s := e.f.success.String()
	a := c.get("/sessions/" + s)
	if a.status != http.StatusOK {
		t.Fatalf("session page: %d", a.status)
	}
	for _, want := range []string{"support-chat", "answered the customer", "Success", "triage.agent", "lookup_order.tool", "openai.chat",
		"worker-1", "host.<wbr>arch", "/sessions/" + s + "/export", "/v2/sessions/" + s + "/export", "gpt-4o", "$0.0171", `data-depth="2"`, "k-llm", "k-tool"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("session page lacks %q", want)
		}
	}
	if n := strings.Count(a.body, `class="wf-row `); n != 5 {
		t.Errorf("%d waterfall rows, want 5", n)
	}
	if a := c.get("/traces/" + s); a.status != http.StatusOK || !strings.Contains(a.body, "support-chat") {
		t.Errorf("/traces/{id}: %d", a.status)
	}
	// The failed session marks its error.
	if a := c.get("/sessions/" + e.f.failure.String()); !strings.Contains(a.body, `class="errmark"`) || !strings.Contains(a.body, "search tool crashed") {
		t.Error("failed session: no error mark or reason")
	}
	// Markup from spans is text.
	a = c.get("/sessions/" + e.f.xss.String())
	if strings.Contains(a.body, xssImg) || strings.Contains(a.body, xssScript) || !strings.Contains(a.body, "&lt;script&gt;") {
		t.Error("xss session: markup not escaped")
	}
	// Another project's session is a 404 like a missing one.
	for _, id := range []string{e.f.other.String(), "0123456789abcdef0123456789abcdef"} {
		a := c.get("/sessions/" + id)
		if a.status != http.StatusNotFound || strings.Contains(a.body, "other-project-secret") {
			t.Errorf("session %s: %d, want 404", id, a.status)
		}
		if a := c.get("/sessions/" + id + "/spans/0000000000000001"); a.status != http.StatusNotFound {
			t.Errorf("span of session %s: %d, want 404", id, a.status)
		}
		if a := c.get("/sessions/" + id + "/export"); a.status != http.StatusNotFound {
			t.Errorf("export of session %s: %d, want 404", id, a.status)
		}
	}
	if a := c.get("/sessions/nothex"); a.status != http.StatusBadRequest {
		t.Errorf("bad id: %d, want 400", a.status)
	}
	if a := c.get("/sessions/" + s + "?page=9"); a.status != http.StatusBadRequest {
		t.Errorf("page out of range: %d, want 400", a.status)
	}
	// The browser export.
	a = c.get("/sessions/" + s + "/export")
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/json" || !strings.Contains(a.body, `"llms"`) {
		t.Errorf("export: %d %s", a.status, a.header.Get("Content-Type"))
	}
	// A running session is shown live.
	if a := c.get("/sessions/" + e.f.running.String()); !strings.Contains(a.body, `data-live="1"`) || !strings.Contains(a.body, "Running") {
		t.Error("running session: not shown live")
	}
}

func TestSpanDetail(t *testing.T) {
	e := newEnv(t)
	c := e.loggedIn(e.key1)
	s := e.f.success.String()
	a := c.get("/sessions/" + s + "/spans/" + e.f.llmSpan.String())
	if a.status != http.StatusOK {
		t.Fatalf("span detail: %d", a.status)
	}
	for _, want := range []string{"Transcript", "system", "You are a helpful support agent.", "Where is my order #4411?", "Let me look that order up for you.",
		"finish: tool_calls", "lookup_order", "call_1", `&#34;order&#34;: &#34;4411&#34;`, "1,200 in", "$0.0105", "gen_ai.<wbr>prompt.<wbr>1.<wbr>content"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("LLM span detail lacks %q", want)
		}
	}
	if strings.Contains(a.body, "<html") {
		t.Error("span detail is a whole page, want a fragment")
	}
	a = c.get("/sessions/" + e.f.failure.String() + "/spans/" + e.f.errorSpan.String())
	for _, want := range []string{"TimeoutError", "search timed out after 30s", "Traceback (most recent call last):", `File &#34;agent.py&#34;, line 42`} {
		if !strings.Contains(a.body, want) {
			t.Errorf("error span detail lacks %q", want)
		}
	}
	a = c.get("/sessions/" + e.f.xss.String() + "/spans/" + e.f.xssSpan.String())
	if strings.Contains(a.body, xssImg) || strings.Contains(a.body, xssScript) || !strings.Contains(a.body, "&lt;img src=x onerror=") {
		t.Error("xss span detail: markup not escaped")
	}
	// The span must be in the session asked for.
	if a := c.get("/sessions/" + e.f.failure.String() + "/spans/" + e.f.llmSpan.String()); a.status != http.StatusNotFound {
		t.Errorf("a span of another session: %d, want 404", a.status)
	}
	if a := c.get("/sessions/" + s + "/spans/xyz"); a.status != http.StatusBadRequest {
		t.Errorf("bad span id: %d, want 400", a.status)
	}
}

func TestProjectSwitcher(t *testing.T) {
	e := newEnv(t)
	c := e.loggedIn(e.key1)
	other := "/sessions/" + e.f.other.String()
	if a := c.get(other); a.status != http.StatusNotFound {
		t.Fatalf("project two's session with project one's key: %d", a.status)
	}
	if a := c.get("/sessions?project=" + e.p2.ID); strings.Contains(a.body, "other-project-secret") {
		t.Fatal("?project= of a project the login does not hold shows its data")
	}
	// Logging in with a second key adds its project.
	if a := c.login("api_key", e.key2); a.status != http.StatusSeeOther {
		t.Fatalf("second key: %d", a.status)
	}
	a := c.get("/sessions")
	if !strings.Contains(a.body, "other-project-secret") || !strings.Contains(a.body, "alpha-project") || !strings.Contains(a.body, "beta-project") {
		t.Error("after adding key two: not on project two, or the switcher lacks a project")
	}
	token := csrfField.FindStringSubmatch(a.body)[1]
	if a := c.do("POST", "/project", url.Values{"csrf": {token}, "project": {e.p1.ID}, "next": {"/sessions"}}); a.status != http.StatusSeeOther {
		t.Fatalf("switch: %d", a.status)
	}
	if a := c.get("/sessions"); !strings.Contains(a.body, "support-chat") || strings.Contains(a.body, "other-project-secret") {
		t.Error("after switching back: wrong project shown")
	}
	if a := c.do("POST", "/project", url.Values{"csrf": {token}, "project": {"not-mine"}}); a.status != http.StatusNotFound {
		t.Errorf("switch to a project not held: %d, want 404", a.status)
	}
	// The SDK's link finds the session in whichever project holds it.
	if a := c.get("/sessions?trace_id=" + e.f.other.String()); a.status != http.StatusFound || !strings.Contains(a.header.Get("Location"), "project="+e.p2.ID) {
		t.Errorf("trace_id in project two: %d %q", a.status, a.header.Get("Location"))
	}
	// The password sees every project.
	pc := e.client()
	if a := pc.login("password", e.password); a.status != http.StatusSeeOther {
		t.Fatalf("password login: %d", a.status)
	}
	if a := pc.get("/sessions?project=" + e.p2.ID); !strings.Contains(a.body, "other-project-secret") {
		t.Error("password login cannot read project two")
	}
}

func TestOpenMode(t *testing.T) {
	e := newEnv(t, func(o *dashboard.Options) { o.Open = true })
	c := e.client()
	if a := c.get("/sessions"); a.status != http.StatusOK || !strings.Contains(a.body, "open access") {
		t.Errorf("open mode without login: %d", a.status)
	}
	token := csrfField.FindStringSubmatch(c.get("/sessions").body)[1]
	if a := c.do("POST", "/project", url.Values{"csrf": {"x" + token}, "project": {e.p2.ID}}); a.status != http.StatusForbidden {
		t.Errorf("open mode, forged CSRF: %d, want 403", a.status)
	}
	if a := c.do("POST", "/project", url.Values{"csrf": {token}, "project": {e.p2.ID}, "next": {"/sessions"}}); a.status != http.StatusSeeOther {
		t.Errorf("open mode, switch: %d", a.status)
	}
	if a := c.get("/sessions"); !strings.Contains(a.body, "other-project-secret") {
		t.Error("open mode: switch to project two did not take")
	}
}

// itoa writes n as the dashboard does: 1,234,567.
func itoa(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// textOf is the text of the element with the id (no nested elements).
func textOf(body, id string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func attrOf(body, id, attr string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*` + attr + `="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestBigSessionPaged: a session of 10,000 spans is drawn 500 spans a page,
// every span on exactly one page, in tree order.
func TestBigSessionPaged(t *testing.T) {
	e := newEnv(t)
	big := bigSession(t, e.st, e.p1.ID, 10_000, e.now)
	c := e.loggedIn(e.key1)
	seen := map[string]bool{}
	rowRE := regexp.MustCompile(`class="wf-row [^"]*" role="treeitem" tabindex="0" data-span="([0-9a-f]{16})"`)
	for page := 1; page <= 20; page++ {
		a := c.get("/sessions/" + big.String() + "?page=" + strconv.Itoa(page))
		rows := rowRE.FindAllStringSubmatch(a.body, -1)
		if a.status != http.StatusOK || len(rows) != 500 {
			t.Fatalf("page %d: %d, %d rows", page, a.status, len(rows))
		}
		for _, m := range rows {
			if seen[m[1]] {
				t.Fatalf("span %s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		if page == 1 && !strings.Contains(a.body, `data-depth="0"`) {
			t.Error("page 1 does not start with the root")
		}
	}
	if len(seen) != 10_000 {
		t.Errorf("%d spans over the pages, want 10,000", len(seen))
	}
	if a := c.get("/sessions/" + big.String() + "?page=21"); a.status != http.StatusBadRequest {
		t.Errorf("page 21: %d, want 400", a.status)
	}
}

// TestSessionLogs: the terminal output uploaded for a session (POST
// /v4/logs/upload/) is shown on its page as text, without terminal escape
// codes, bounded to its tail, and only the project's own.
func TestSessionLogs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	at := e.now.Add(-time.Hour)
	for _, l := range []struct {
		project string
		id      model.TraceID
		text    string
	}{
		{e.p1.ID, e.f.success, "\x1b[32mINFO\x1b[0m starting agent\r\nprogress 10%\rprogress 100%\n" + xssScript + "\n"},
		{e.p1.ID, e.f.success, "second upload: done\n"},
		// The same trace id in another project: never shown in this one.
		{e.p2.ID, e.f.success, "other-project-log-secret\n"},
		{e.p1.ID, e.f.failure, strings.Repeat("noise line of a chatty agent\n", 20_000) + "the very last line\n"},
	} {
		if err := e.st.AddLog(ctx, l.project, l.id, store.Log{At: at, Text: l.text}); err != nil {
			t.Fatal(err)
		}
	}
	c := e.loggedIn(e.key1)
	a := c.get("/sessions/" + e.f.success.String())
	if a.status != http.StatusOK {
		t.Fatalf("session page: %d", a.status)
	}
	logs := sectionOf(a.body, "logs")
	for _, want := range []string{"Terminal log", "2 uploads", "INFO starting agent\nprogress 100%\n", "&lt;script&gt;window.__xss", "second upload: done", `href="#logs"`} {
		if !strings.Contains(logs+a.body[:strings.Index(a.body, `id="trace"`)], want) {
			t.Errorf("logs panel lacks %q:\n%s", want, logs)
		}
	}
	for _, bad := range []string{"\x1b", "[32m", "progress 10%", xssScript, "other-project-log-secret", "logs-truncated"} {
		if strings.Contains(a.body, bad) {
			t.Errorf("session page holds %q", bad)
		}
	}
	if i, j := strings.Index(logs, "starting agent"), strings.Index(logs, "second upload"); i < 0 || j < i {
		t.Error("uploads not in upload order")
	}
	// A huge log shows its tail, and says so.
	a = c.get("/sessions/" + e.f.failure.String())
	logs = sectionOf(a.body, "logs")
	if !strings.Contains(logs, "the very last line") || !strings.Contains(logs, `id="logs-truncated"`) || !strings.Contains(logs, "/v2/sessions/"+e.f.failure.String()+"/logs") {
		t.Error("huge log: tail or truncation note missing")
	}
	if n := len(a.body); n > 400<<10 {
		t.Errorf("huge log: page of %d bytes, want it bounded", n)
	}
	// A session without uploads has no panel.
	if a := c.get("/sessions/" + e.f.xss.String()); strings.Contains(a.body, `id="logs"`) {
		t.Error("a session without uploads shows a logs panel")
	}
}

// sectionOf is the HTML of the <section> with the id, "" when there is none.
func sectionOf(body, id string) string {
	i := strings.Index(body, `<section class="card logs" id="`+id+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</section>")
	if j < 0 {
		return body[i:]
	}
	return body[i : i+j]
}

// TestSortWindow: a sorted table orders the sessions that arrived last
// (Options.SortWindow) and says so when it leaves older ones out; the
// default order lists every session.
func TestSortWindow(t *testing.T) {
	e := newEnv(t, func(o *dashboard.Options) { o.SortWindow = 3 })
	c := e.loggedIn(e.key1)
	ids := func(body string) []string {
		var out []string
		for _, m := range regexp.MustCompile(`<tr class="[^"]*" data-id="([0-9a-f]{32})"`).FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	f := e.f
	a := c.get("/sessions?sort=cost")
	if got, want := ids(a.body), []string{f.running.String(), f.failure.String(), f.xss.String()}; !slices.Equal(got, want) {
		t.Errorf("sorted by cost in a window of 3: %v, want %v (the first session to arrive left out)", got, want)
	}
	if !strings.Contains(a.body, `id="sort-window"`) || !strings.Contains(a.body, "Sorted among the 3 sessions that arrived last") {
		t.Error("a windowed sort does not say so")
	}
	if a := c.get("/sessions"); len(ids(a.body)) != 4 || strings.Contains(a.body, `id="sort-window"`) {
		t.Errorf("default order: %d rows, or a window note", len(ids(a.body)))
	}
	// A window as large as the project says nothing.
	e2 := newEnv(t, func(o *dashboard.Options) { o.SortWindow = 4 })
	if a := e2.loggedIn(e2.key1).get("/sessions?sort=cost"); len(ids(a.body)) != 4 || strings.Contains(a.body, `id="sort-window"`) {
		t.Errorf("window of 4 over 4 sessions: %d rows, or a window note", len(ids(a.body)))
	}
}

// TestLoginsSurviveRestart: logins are kept in the store: after a restart
// (a new dashboard on the same database) a browser is still logged in,
// with the projects it held and the one it was showing; a logout ends the
// login for good; a password login lasts only while the password is the
// same. The store holds no token in clear.
func TestLoginsSurviveRestart(t *testing.T) {
	e := newEnv(t)
	c := e.loggedIn(e.key1)
	if a := c.login("api_key", e.key2); a.status != http.StatusSeeOther {
		t.Fatalf("second key: %d", a.status)
	}
	token := csrfField.FindStringSubmatch(c.get("/sessions").body)[1]
	if a := c.do("POST", "/project", url.Values{"csrf": {token}, "project": {e.p1.ID}, "next": {"/sessions"}}); a.status != http.StatusSeeOther {
		t.Fatalf("switch: %d", a.status)
	}
	pc := e.client()
	if a := pc.login("password", e.password); a.status != http.StatusSeeOther {
		t.Fatalf("password login: %d", a.status)
	}

	e.restart()
	a := c.get("/sessions")
	if a.status != http.StatusOK || !strings.Contains(a.body, "support-chat") || !strings.Contains(a.body, "beta-project") {
		t.Fatalf("after a restart the key login is gone, lost a project or the current one (%d)", a.status)
	}
	if a := c.get("/sessions?project=" + e.p2.ID); !strings.Contains(a.body, "other-project-secret") {
		t.Error("after a restart the second key's project is not readable")
	}
	if a := pc.get("/sessions?project=" + e.p2.ID); a.status != http.StatusOK || !strings.Contains(a.body, "other-project-secret") {
		t.Errorf("after a restart with the same password, the password login is gone (%d)", a.status)
	}

	// The database has token hashes, never a cookie's token.
	var cookies []string
	for _, cl := range []*client{c, pc} {
		u, _ := url.Parse(e.srv.URL)
		for _, k := range cl.http.Jar.Cookies(u) {
			if k.Name == "agentops_login" {
				cookies = append(cookies, k.Value)
			}
		}
	}
	if len(cookies) != 2 {
		t.Fatalf("%d login cookies", len(cookies))
	}
	for _, v := range cookies {
		if _, err := e.st.Login(context.Background(), []byte(v), time.Now()); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a login is stored under its token in clear (%v)", err)
		}
		h := sha256.Sum256([]byte(v))
		if _, err := e.st.Login(context.Background(), h[:], time.Now()); err != nil {
			t.Errorf("a login is not stored under its token's SHA-256: %v", err)
		}
	}

	// A logout is for good, across restarts too.
	token = csrfField.FindStringSubmatch(c.get("/sessions").body)[1]
	if a := c.do("POST", "/logout", url.Values{"csrf": {token}}); a.status != http.StatusSeeOther {
		t.Fatalf("logout: %d", a.status)
	}
	stolen := cookies[0]
	e.restart()
	replay := e.client()
	u, _ := url.Parse(e.srv.URL)
	replay.http.Jar.SetCookies(u, []*http.Cookie{{Name: "agentops_login", Value: stolen, Path: "/"}})
	if a := replay.get("/sessions"); a.status != http.StatusSeeOther {
		t.Errorf("a logged-out token still works after a restart: %d", a.status)
	}

	// A new password ends the password logins.
	e.restart(func(o *dashboard.Options) { o.Password = "a new password" })
	if a := pc.get("/sessions"); a.status != http.StatusSeeOther {
		t.Errorf("a password login survived a password change: %d", a.status)
	}
	e.restart(func(o *dashboard.Options) { o.Password = e.password }) // and does not come back with the old one
	if a := pc.get("/sessions"); a.status != http.StatusSeeOther {
		t.Errorf("a password login came back: %d", a.status)
	}
}
