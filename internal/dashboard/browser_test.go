package dashboard_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/store"
)

// browserEnv is a real agentops server (API, OTLP and dashboard) on a
// loopback socket, its store filled by fill, and a headless Chromium.
type browserEnv struct {
	url       string
	key1      string
	keyDemo   string // of the demo project, filled by fillDemo
	f         fixture
	ctx       context.Context
	artifacts string
	mu        sync.Mutex
	jsErrors  []string
}

// startBrowser runs the server and the browser, or skips the test unless
// AGENTOPS_BROWSER_TEST=1; then a missing browser fails it.
// extra, when given, writes more into the store before the server starts.
func startBrowser(t *testing.T, extra ...func(st store.SpanWriter, project string)) *browserEnv {
	t.Helper()
	if os.Getenv("AGENTOPS_BROWSER_TEST") != "1" {
		t.Skip("browser test: set AGENTOPS_BROWSER_TEST=1 (and AGENTOPS_CHROMIUM if Chromium is not /usr/bin/chromium) to run it")
	}
	exe := os.Getenv("AGENTOPS_CHROMIUM")
	if exe == "" {
		exe = "/usr/bin/chromium"
	}
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("AGENTOPS_BROWSER_TEST=1 but no browser at %s (set AGENTOPS_CHROMIUM): %v", exe, err)
	}
	e := &browserEnv{artifacts: os.Getenv("AGENTOPS_ARTIFACTS")}
	if e.artifacts == "" {
		e.artifacts = t.TempDir()
	}
	if err := os.MkdirAll(e.artifacts, 0o755); err != nil {
		t.Fatal(err)
	}

	cfg := server.DefaultConfig()
	cfg.DataDir, cfg.Addr = t.TempDir(), "127.0.0.1:0"
	st, err := server.OpenStore(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var projects [3]store.Project
	for i, name := range []string{"alpha-project", "beta-project", "demo-project"} {
		if projects[i], err = st.CreateProject(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []struct {
		project string
		key     *string
	}{{projects[0].ID, &e.key1}, {projects[2].ID, &e.keyDemo}} {
		key, stored := auth.NewKey()
		stored.ProjectID = k.project
		if err := st.AddKey(ctx, stored); err != nil {
			t.Fatal(err)
		}
		*k.key = key
	}
	e.f = fill(t, st, projects[0].ID, projects[1].ID, time.Now())
	fillDemo(t, st, projects[2].ID, time.Now())
	for _, x := range extra {
		x(st, projects[0].ID)
	}
	srv, err := server.New(cfg, st, []byte("0123456789abcdef0123456789abcdef"), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
	})
	e.url = "http://" + ln.Addr().String()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1440, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Listen(bctx, func(ev any) {
		if ex, ok := ev.(*runtime.EventExceptionThrown); ok {
			e.mu.Lock()
			d := ex.ExceptionDetails
			msg := fmt.Sprintf("%s at %s:%d", d.Text, d.URL, d.LineNumber+1)
			if d.Exception != nil {
				msg += ": " + d.Exception.Description
			}
			e.jsErrors = append(e.jsErrors, msg)
			e.mu.Unlock()
		}
	}); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	e.ctx = bctx
	t.Cleanup(func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, msg := range e.jsErrors {
			t.Errorf("JavaScript exception in the page: %s", msg)
		}
	})
	return e
}

func (e *browserEnv) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func run[T any](t *testing.T, e *browserEnv, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func (e *browserEnv) text(t *testing.T, sel string) string {
	t.Helper()
	return strings.TrimSpace(run(t, e, "text of "+sel, chromedp.TextContent(chromedp.CSS(sel))))
}

// screenshot writes the page as NAME.png to the artifacts directory.
func (e *browserEnv) screenshot(t *testing.T, name string) {
	t.Helper()
	png := run(t, e, "screenshot "+name, chromedp.FullScreenshot(100))
	path := filepath.Join(e.artifacts, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// assetsLoaded fails unless the page's stylesheet and script ran: the
// Content-Security-Policy must not block the dashboard's own assets.
func (e *browserEnv) assetsLoaded(t *testing.T, page string) {
	t.Helper()
	ok := run(t, e, "assets of "+page, chromedp.Evaluate[bool](`document.documentElement.classList.contains("js") && getComputedStyle(document.body).margin === "0px"`))
	if !ok {
		t.Errorf("%s: app.js or app.css did not load (blocked by the CSP?)", page)
	}
}

// rest reads a JSON document of the REST API with a project's key.
func (e *browserEnv) rest(t *testing.T, key, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	req.Header.Set("X-Agentops-Api-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// uploadLog posts a session's terminal output as the official Python SDK
// does (POST /v4/logs/upload/ with the Trace-Id header and {"body": text}).
func (e *browserEnv) uploadLog(t *testing.T, id model.TraceID, text string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"body": text})
	req, _ := http.NewRequest("POST", e.url+"/v4/logs/upload/", bytes.NewReader(body))
	req.Header.Set("X-Agentops-Api-Key", e.key1)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Trace-Id", id.String())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("log upload: %d %s", resp.StatusCode, b)
	}
}

// checkOverview compares the KPIs of the overview shown with the sums of
// the REST stats of every session of key's project, and returns how many
// sessions REST lists.
func (e *browserEnv) checkOverview(t *testing.T, key string) int64 {
	t.Helper()
	var list struct {
		Sessions []struct {
			ID string `json:"id"`
		} `json:"sessions"`
	}
	e.rest(t, key, "/v2/sessions?limit=1000", &list)
	var sessions, llmCalls, toolCalls, errs, prompt, completion, cached, reasoning int64
	var cost float64
	for _, s := range list.Sessions {
		var st struct {
			Events struct {
				LLMCalls  int64 `json:"llm_calls"`
				ToolCalls int64 `json:"tool_calls"`
				Errors    int64 `json:"errors"`
			} `json:"events"`
			Tokens struct {
				Prompt     int64 `json:"prompt"`
				Completion int64 `json:"completion"`
				CacheRead  int64 `json:"cache_read"`
				Reasoning  int64 `json:"reasoning"`
			} `json:"tokens"`
			Cost struct {
				TotalUSD float64 `json:"total_usd"`
			} `json:"cost"`
		}
		e.rest(t, key, "/v2/sessions/"+s.ID+"/stats", &st)
		sessions++
		llmCalls += st.Events.LLMCalls
		toolCalls += st.Events.ToolCalls
		errs += st.Events.Errors
		prompt += st.Tokens.Prompt
		completion += st.Tokens.Completion
		cached += st.Tokens.CacheRead
		reasoning += st.Tokens.Reasoning
		cost += st.Cost.TotalUSD
	}
	for sel, want := range map[string]int64{
		"#kpi-sessions": sessions, "#kpi-llm": llmCalls, "#kpi-tools": toolCalls, "#kpi-errors": errs,
		"#kpi-input": prompt, "#kpi-output": completion, "#kpi-cached": cached, "#kpi-reasoning": reasoning,
	} {
		if got := strings.ReplaceAll(e.text(t, sel), ",", ""); got != strconv.FormatInt(want, 10) {
			t.Errorf("overview %s = %s, REST stats sum to %d", sel, got, want)
		}
	}
	usd := run(t, e, "cost shown", chromedp.Evaluate[string](`document.getElementById("kpi-cost").dataset.usd`))
	if got, err := strconv.ParseFloat(usd, 64); err != nil || max(got-cost, cost-got) > 1e-6 {
		t.Errorf("overview cost = %s, REST stats sum to %.6f", usd, cost)
	}
	return sessions
}

// clickToLoad clicks an element and waits for the page it leads to to load.
func clickToLoad(sel string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))(ctx, t)
		return chromedp.Void{}, err
	}
}

func TestBrowser(t *testing.T) {
	e := startBrowser(t)

	// Log in: the dashboard sends a visitor to the login page first.
	e.do(t, "open the dashboard", chromedp.Navigate(e.url+"/"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
	e.assetsLoaded(t, "login")
	e.screenshot(t, "01-login")
	e.do(t, "log in",
		chromedp.SetValue(chromedp.CSS("#api_key"), e.key1),
		clickToLoad(`#login-form button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS("#kpis")),
	)
	e.assetsLoaded(t, "overview")
	e.screenshot(t, "02-overview")

	// The overview's figures are the sums of the REST stats of every session.
	if n := e.checkOverview(t, e.key1); n != 4 {
		t.Fatalf("REST lists %d sessions, want 4", n)
	}

	// Filter sessions by tag and end state with the form.
	e.do(t, "open sessions", chromedp.Navigate(e.url+"/sessions"), chromedp.WaitVisible(chromedp.CSS("#sessions-table")))
	e.assetsLoaded(t, "sessions")
	e.screenshot(t, "03-sessions")
	if n := run(t, e, "live rows", chromedp.Evaluate[int](`document.querySelectorAll("#session-rows tr.live").length`)); n != 1 {
		t.Errorf("%d live rows, want 1 (the running session)", n)
	}
	e.do(t, "filter by tag and end state",
		chromedp.SetValue(chromedp.CSS(`#filters input[name=tag]`), "prod"),
		chromedp.SetValue(chromedp.CSS(`#filters select[name=end_state]`), "Failure"),
		clickToLoad(`#filters button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS("#sessions-table")),
	)
	if loc := run(t, e, "location", chromedp.Location()); !strings.Contains(loc, "tag=prod") || !strings.Contains(loc, "end_state=Failure") {
		t.Errorf("filtered page is %s", loc)
	}
	ids := run(t, e, "filtered rows", chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("#session-rows tr[data-id]"), r => r.dataset.id)`))
	if len(ids) != 1 || ids[0] != e.f.failure.String() {
		t.Errorf("tag=prod, end_state=Failure lists %v, want [%s]", ids, e.f.failure)
	}
	e.screenshot(t, "04-sessions-filtered")

	// Open a session from the list, click an LLM span, read the transcript.
	e.do(t, "open the success session",
		chromedp.Navigate(e.url+"/sessions?tag=support"),
		clickToLoad(`a[href="/sessions/`+e.f.success.String()+`"]`),
		chromedp.WaitVisible(chromedp.CSS("#waterfall")),
	)
	e.assetsLoaded(t, "session")
	e.do(t, "click the LLM span",
		chromedp.Click(chromedp.CSS(`.wf-row[data-span="`+e.f.llmSpan.String()+`"] .sname`)),
		chromedp.WaitVisible(chromedp.CSS("#transcript")),
	)
	transcript := e.text(t, "#transcript")
	for _, want := range []string{"system", "You are a helpful support agent.", "Where is my order #4411?", "Let me look that order up for you.", "finish: tool_calls", "lookup_order"} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q: %s", want, transcript)
		}
	}
	e.screenshot(t, "05-session-llm-span")

	// Collapse the root: only it stays visible.
	e.do(t, "collapse the tree", chromedp.Click(chromedp.CSS(`.wf-row[data-depth="0"] .tog`)))
	if n := run(t, e, "visible rows", chromedp.Evaluate[int](`Array.from(document.querySelectorAll(".wf-row")).filter(r => r.offsetParent !== null).length`)); n != 1 {
		t.Errorf("%d rows visible after collapsing the root, want 1", n)
	}
	e.do(t, "expand the tree", chromedp.Click(chromedp.CSS(`#expand-all`)))

	// An error span shows its message.
	e.do(t, "open the failed session and its error span",
		chromedp.Navigate(e.url+"/sessions/"+e.f.failure.String()),
		chromedp.Click(chromedp.CSS(`.wf-row[data-span="`+e.f.errorSpan.String()+`"] .sname`)),
		chromedp.WaitVisible(chromedp.CSS("#detail-error-message")),
	)
	if got := e.text(t, "#detail-error-message"); got != "search timed out after 30s" {
		t.Errorf("error message = %q", got)
	}
	if got := e.text(t, "#detail-error h3"); got != "TimeoutError" {
		t.Errorf("error type = %q", got)
	}
	e.screenshot(t, "06-session-error-span")

	// Markup in spans is shown as text and runs nothing.
	e.do(t, "open the xss session",
		chromedp.Navigate(e.url+"/sessions/"+e.f.xss.String()),
		chromedp.Click(chromedp.CSS(`.wf-row[data-span="`+e.f.xssSpan.String()+`"] .sname`)),
		chromedp.WaitVisible(chromedp.CSS("#detail-attrs")),
	)
	if set := run(t, e, "window.__xss", chromedp.Evaluate[bool](`window.__xss !== undefined`)); set {
		t.Error("a payload from a span ran: window.__xss is set")
	}
	if n := run(t, e, "injected elements", chromedp.Evaluate[int](`document.querySelectorAll("main img, main script").length`)); n != 0 {
		t.Errorf("%d img/script elements from span data in the page", n)
	}
	for sel, want := range map[string]string{"#session-name": "xss " + xssImg, "#detail-name": "llm " + xssScript} {
		if got := e.text(t, sel); got != want {
			t.Errorf("%s text = %q, want %q", sel, got, want)
		}
	}
	if attrs := e.text(t, "#detail-attrs"); !strings.Contains(attrs, xssScript+xssImg) {
		t.Errorf("attributes do not show the payload as text: %s", attrs)
	}
	if tr := e.text(t, "#transcript"); !strings.Contains(tr, xssScript) || !strings.Contains(tr, xssImg) {
		t.Errorf("transcript does not show the payloads as text: %s", tr)
	}
	e.screenshot(t, "07-xss-session-as-text")
	e.do(t, "sessions list with the payloads", chromedp.Navigate(e.url+"/sessions?tag=xss"), chromedp.WaitVisible(chromedp.CSS("#sessions-table")))
	if set := run(t, e, "window.__xss", chromedp.Evaluate[bool](`window.__xss !== undefined`)); set {
		t.Error("a payload ran on the sessions page")
	}
	e.screenshot(t, "08-xss-sessions-list")

	// The terminal log uploaded for a session shows on its page, as text.
	e.uploadLog(t, e.f.success, "\x1b[1;32mINFO\x1b[0m agent started\r\n"+xssScript+"\n"+xssImg+"\nDownloading 10%\rDownloading 100%\nagent finished: answered the customer\n")
	e.do(t, "open the session with its log",
		chromedp.Navigate(e.url+"/sessions/"+e.f.success.String()),
		chromedp.WaitVisible(chromedp.CSS("#logs pre.log-text")),
		chromedp.Click(chromedp.CSS("#logs-link")),
	)
	log := run(t, e, "log text", chromedp.Evaluate[string](`document.querySelector("#logs pre.log-text").textContent`))
	if want := "INFO agent started\n" + xssScript + "\n" + xssImg + "\nDownloading 100%\nagent finished: answered the customer\n"; log != want {
		t.Errorf("log panel shows %q, want %q", log, want)
	}
	if set := run(t, e, "window.__xss", chromedp.Evaluate[bool](`window.__xss !== undefined`)); set {
		t.Error("a payload in the uploaded log ran: window.__xss is set")
	}
	if n := run(t, e, "injected elements", chromedp.Evaluate[int](`document.querySelectorAll("#logs img, #logs script").length`)); n != 0 {
		t.Errorf("%d img/script elements from the log in the page", n)
	}
	e.screenshot(t, "10-session-terminal-log")
}

// TestBrowserDemo: the pages filled by `agentops demo`'s data, as a new
// user first sees them: the overview's figures agree with REST, sessions
// sort, a failed session shows its error, an LLM call its transcript.
func TestBrowserDemo(t *testing.T) {
	e := startBrowser(t)
	e.do(t, "log in to the demo project",
		chromedp.Navigate(e.url+"/login"),
		chromedp.SetValue(chromedp.CSS("#api_key"), e.keyDemo),
		clickToLoad(`#login-form button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS("#kpis")),
	)
	if n := e.checkOverview(t, e.keyDemo); n != demoSessions {
		t.Errorf("REST lists %d demo sessions, want %d", n, demoSessions)
	}
	e.screenshot(t, "11-demo-overview")

	e.do(t, "sessions", chromedp.Navigate(e.url+"/sessions"), chromedp.WaitVisible(chromedp.CSS("#sessions-table")))
	e.screenshot(t, "12-demo-sessions")
	e.do(t, "sessions by cost", chromedp.Navigate(e.url+"/sessions?sort=cost"), chromedp.WaitVisible(chromedp.CSS("#sessions-table")))
	costs := run(t, e, "cost column", chromedp.Evaluate[[]float64](`Array.from(document.querySelectorAll("#session-rows tr[data-id] td:last-child"), td => parseFloat(td.textContent.trim().replace("$", "")) || 0)`))
	if len(costs) < 2 {
		t.Fatalf("sorted by cost: %d rows", len(costs))
	}
	for i := 1; i < len(costs); i++ {
		if costs[i] > costs[i-1] {
			t.Errorf("sorted by cost, row %d ($%g) costs more than row %d ($%g)", i+1, costs[i], i, costs[i-1])
		}
	}
	e.screenshot(t, "13-demo-sessions-by-cost")

	e.do(t, "open a failed session and its error span",
		chromedp.Navigate(e.url+"/sessions?end_state=Failure"),
		clickToLoad(`#session-rows tr[data-id] td.name a`),
		chromedp.WaitVisible(chromedp.CSS("#waterfall")),
		chromedp.Click(chromedp.CSS(`.wf-row.err .sname`)),
		chromedp.WaitVisible(chromedp.CSS("#detail-error")),
	)
	if msg := e.text(t, "#detail-error"); msg == "" {
		t.Error("the failed demo session's error span shows no error")
	}
	e.screenshot(t, "14-demo-failed-session")

	// The newest failed session may have no LLM call (which one is newest
	// depends on the time of day the demo data was made); the most
	// expensive session has some.
	e.do(t, "open an LLM call of the most expensive session",
		chromedp.Navigate(e.url+"/sessions?sort=cost"),
		clickToLoad(`#session-rows tr[data-id] td.name a`),
		chromedp.WaitVisible(chromedp.CSS("#waterfall")),
		chromedp.Click(chromedp.CSS(`.wf-row.k-llm .sname`)),
		chromedp.WaitVisible(chromedp.CSS("#transcript")),
	)
	if tr := e.text(t, "#transcript"); !strings.Contains(strings.ToLower(tr), "user") {
		t.Errorf("demo LLM transcript has no user message: %s", tr)
	}
	e.screenshot(t, "15-demo-llm-transcript")
}

// TestBrowserBigSession: a session of 10,000 spans opens on its first page
// of 500 spans, pages on, and a span's details load on click.
func TestBrowserBigSession(t *testing.T) {
	var big model.TraceID
	e := startBrowser(t, func(st store.SpanWriter, project string) { big = bigSession(t, st, project, 10_000, time.Now()) })
	e.do(t, "log in",
		chromedp.Navigate(e.url+"/login"),
		chromedp.SetValue(chromedp.CSS("#api_key"), e.key1),
		clickToLoad(`#login-form button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS("#kpis")),
	)
	began := time.Now()
	e.do(t, "open the big session", chromedp.Navigate(e.url+"/sessions/"+big.String()), chromedp.WaitVisible(chromedp.CSS("#waterfall")))
	t.Logf("10,000-span session page loaded in the browser in %v", time.Since(began).Round(time.Millisecond))
	if n := run(t, e, "rows", chromedp.Evaluate[int](`document.querySelectorAll(".wf-row").length`)); n != 500 {
		t.Errorf("%d rows on the first page, want 500", n)
	}
	if n := run(t, e, "page links", chromedp.Evaluate[int](`document.querySelectorAll(".spans-pager a").length`)); n != 6 {
		t.Errorf("%d links to other pages, want 6 (2-4 and 18-20)", n)
	}
	e.do(t, "click a span of page one",
		chromedp.Click(chromedp.CSS(`.wf-row:nth-child(300) .sname`)),
		chromedp.WaitVisible(chromedp.CSS("#span-detail")),
	)
	e.screenshot(t, "09-session-10k-spans")
	e.do(t, "open the last page",
		clickToLoad(`.spans-pager a:last-of-type`),
		chromedp.WaitVisible(chromedp.CSS("#waterfall")),
	)
	if n := run(t, e, "rows", chromedp.Evaluate[int](`document.querySelectorAll(".wf-row").length`)); n != 500 {
		t.Errorf("%d rows on the last page, want 500", n)
	}
}
