package main

import (
	"crypto/tls"
	"flag"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/testcert"
)

func TestFirstStartPrintsKeyOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-yet-created")

	first := serveInProcess(t, dir, true)
	out := first.stdout.String()
	if n := strings.Count(out, "AgentOps server listening on "); n != 1 {
		t.Errorf("first start printed the URL line %d times:\n%s", n, out)
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:[1-9]\d*$`).MatchString(first.URL) {
		t.Errorf("banner URL %q", first.URL)
	}
	if !strings.Contains(out, "Data:             "+filepath.Join(dir, server.DBFile)+"\n") {
		t.Errorf("banner does not name the database file:\n%s", out)
	}
	if !uuidV4.MatchString(first.Key) {
		t.Fatalf("first start printed no UUIDv4 key:\n%s", out)
	}
	if keys := uniq(anyUUID.FindAllString(out, -1)); len(keys) != 1 || keys[0] != first.Key {
		t.Errorf("first start printed the keys %v, want only %s", keys, first.Key)
	}
	if n := strings.Count(out, `Created project "default"`); n != 1 {
		t.Errorf("first start announced the project %d times:\n%s", n, out)
	}
	if status, body := getREST(t, first.URL, first.Key, "/v2/sessions"); status != http.StatusOK {
		t.Errorf("the printed key does not work: %d %s", status, body)
	}
	first.shutdown(t)
	if out := first.stdout.String(); strings.Count(out, "AgentOps server listening on ") != 1 || len(uniq(anyUUID.FindAllString(out, -1))) != 1 {
		t.Errorf("first start's complete output:\n%s", out)
	}

	second := serveInProcess(t, dir, false)
	if status, body := getREST(t, second.URL, first.Key, "/v2/sessions"); status != http.StatusOK {
		t.Errorf("the first start's key stopped working: %d %s", status, body)
	}
	second.shutdown(t) // its output is complete once it has stopped
	out = second.stdout.String()
	if n := strings.Count(out, "AgentOps server listening on "+second.URL+"\n"); n != 1 {
		t.Errorf("second start printed the URL line %d times:\n%s", n, out)
	}
	if keys := anyUUID.FindAllString(out, -1); len(keys) != 0 || strings.Contains(out, "Created project") {
		t.Errorf("second start printed a key or created a project:\n%s", out)
	}
	list := mustCLI(t, "keys", "list", "--data", dir).stdout
	if p, rev := keyRow(t, list, first.Key); p != "default" || rev != "-" || strings.Count(list, "\n") != 2 {
		t.Errorf("want exactly the first key, of project default, live:\n%s", list)
	}
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// serveEnv gives each serve flag a non-default value for its AGENTOPS_*
// variable, and the default --help must then show.
var serveEnv = map[string]struct{ value, shown string }{
	"addr":                    {"127.0.0.1:9", `"127.0.0.1:9"`},
	"grpc-addr":               {"127.0.0.1:14317", `"127.0.0.1:14317"`},
	"data":                    {"/tmp/agentops-env-test", `"/tmp/agentops-env-test"`},
	"max-body-bytes":          {"2MiB", "2MiB"},
	"max-decompressed-bytes":  {"3145728", "3MiB"},
	"max-spans-per-request":   {"77", "77"},
	"max-attr-value-bytes":    {"1KiB", "1KiB"},
	"max-batch-spans":         {"55", "55"},
	"max-queued-spans":        {"66", "66"},
	"max-concurrent-requests": {"3", "3"},
	"session-timeout":         {"7m", "7m0s"},
	"shutdown-timeout":        {"9s", "9s"},
	"discard-spans":           {"true", "true"},
	"dashboard-password":      {"s3cret", "***"},
	"open":                    {"true", "true"},
	"dashboard-sort-window":   {"5000", "5000"},
	"retention":               {"30d", "720h0m0s"},
	"tls-cert":                {"/etc/agentops/cert.pem", `"/etc/agentops/cert.pem"`},
	"tls-key":                 {"/etc/agentops/key.pem", `"/etc/agentops/key.pem"`},
	"trusted-proxies":         {"10.0.0.0/8", `"10.0.0.0/8"`},
}

// serveFlagEnv lists serve's flags with the variable each one reads.
func serveFlagEnv(t *testing.T) map[string]string {
	t.Helper()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	server.RegisterFlags(fs)
	envOf := regexp.MustCompile(`\(env (AGENTOPS_[A-Z_]+)\)`)
	vars := map[string]string{}
	fs.VisitAll(func(f *flag.Flag) {
		m := envOf.FindStringSubmatch(f.Usage)
		if m == nil {
			t.Errorf("serve flag --%s names no AGENTOPS_* variable in its usage", f.Name)
			return
		}
		vars[f.Name] = m[1]
	})
	return vars
}

// TestServeFlagsReadEnvironment checks every serve flag's variable through
// `serve --help`, whose defaults are the values serve would run with.
func TestServeFlagsReadEnvironment(t *testing.T) {
	vars := serveFlagEnv(t)
	for name, env := range vars {
		v, ok := serveEnv[name]
		if !ok {
			t.Errorf("serve flag --%s (%s) has no case in serveEnv", name, env)
			continue
		}
		t.Setenv(env, v.value)
	}
	help := mustCLI(t, "serve", "--help").stderr
	for name := range vars {
		want := regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(name) + `\b.*\n.*\(default ` + regexp.QuoteMeta(serveEnv[name].shown) + `\)$`)
		if !want.MatchString(help) {
			t.Errorf("with %s=%s, serve --help does not show the default %s:\n%s", vars[name], serveEnv[name].value, serveEnv[name].shown, help)
		}
	}
}

// freeAddr returns a loopback address nobody listens on at the moment.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestServeChildListensWhereTheEnvironmentSays(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "from-env")
	addr := freeAddr(t)
	c := startChild(t, []string{"AGENTOPS_ADDR=" + addr, "AGENTOPS_DATA=" + dir, "AGENTOPS_MAX_SPANS_PER_REQUEST=3", "AGENTOPS_GRPC_ADDR="}, "serve")
	c.waitBanner(t, true)
	if c.URL != "http://"+addr {
		t.Errorf("listening on %s, want http://%s from AGENTOPS_ADDR", c.URL, addr)
	}
	if _, err := os.Stat(filepath.Join(dir, server.DBFile)); err != nil {
		t.Errorf("AGENTOPS_DATA not used: %v", err)
	}
	if status, body := getREST(t, c.URL, c.Key, "/v2/sessions"); status != http.StatusOK {
		t.Errorf("GET /v2/sessions = %d %s", status, body)
	}
	// AGENTOPS_MAX_SPANS_PER_REQUEST=3: the fixture's three spans pass, six do not.
	s := agentSession{id: model.TraceID{1}, name: "s", endState: "Success", start: time.Now(), model: "gpt-4o-mini"}
	mustPost(t, c.URL, c.Key, s.traces())
	td := s.traces()
	s.id = model.TraceID{2}
	s.traces().ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	if status, body, err := postTraces(t.Context(), http.DefaultClient, c.URL, c.Key, td); status != http.StatusRequestEntityTooLarge {
		t.Errorf("6 spans with AGENTOPS_MAX_SPANS_PER_REQUEST=3: %d %s %v", status, body, err)
	}
	if code := c.signalAndWait(t, syscall.SIGTERM, 30*time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM\nstderr:\n%s", code, c.stderr)
	}
}

func TestServeFlagWinsOverEnvironment(t *testing.T) {
	taken := freeAddr(t)
	t.Setenv("AGENTOPS_ADDR", taken)
	s := serveInProcess(t, t.TempDir(), true) // with --addr 127.0.0.1:0
	if s.URL == "http://"+taken {
		t.Errorf("AGENTOPS_ADDR won over --addr")
	}
}

func TestBadEnvironmentValueIsNamed(t *testing.T) {
	bad := map[string]string{
		"AGENTOPS_MAX_BODY_BYTES":          "lots",
		"AGENTOPS_MAX_DECOMPRESSED_BYTES":  "1.5MiB",
		"AGENTOPS_MAX_SPANS_PER_REQUEST":   "many",
		"AGENTOPS_MAX_ATTR_VALUE_BYTES":    "-1",
		"AGENTOPS_MAX_BATCH_SPANS":         "8k",
		"AGENTOPS_MAX_QUEUED_SPANS":        "1e6",
		"AGENTOPS_MAX_CONCURRENT_REQUESTS": "four",
		"AGENTOPS_SESSION_TIMEOUT":         "30",
		"AGENTOPS_SHUTDOWN_TIMEOUT":        "soon",
	}
	var env []string
	for k, v := range bad {
		env = append(env, k+"="+v)
	}
	c := startChild(t, env, "serve", "--help")
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		t.Fatal("serve --help did not exit")
	}
	if c.waitErr != nil {
		t.Errorf("serve --help: %v", c.waitErr)
	}
	for k, v := range bad {
		if !strings.Contains(c.stderr.String(), k+`="`+v+`"`) {
			t.Errorf("stderr does not name %s=%q:\n%s", k, v, c.stderr)
		}
	}
}

// A value that parses but cannot work stops serve with an error that names
// the variable it came from, unless the command line gave it.
func TestUnworkableEnvironmentValueIsNamed(t *testing.T) {
	for _, c := range []struct {
		env, value string
		flags      []string
		want       string // in stderr; "" for none
	}{
		{"AGENTOPS_MAX_BATCH_SPANS", "0", nil, `span and request limits must be positive (set in the environment: AGENTOPS_MAX_BATCH_SPANS="0")`},
		{"AGENTOPS_SESSION_TIMEOUT", "-5m", nil, `--session-timeout must be positive (set in the environment: AGENTOPS_SESSION_TIMEOUT="-5m")`},
		{"AGENTOPS_ADDR", "nonsense", nil, `missing port in address (set in the environment: AGENTOPS_ADDR="nonsense")`},
		{"AGENTOPS_MAX_BATCH_SPANS", "5", []string{"--max-batch-spans", "0"}, "span and request limits must be positive\n"},
		{"AGENTOPS_TLS_CERT", "/etc/agentops/cert.pem", nil, `--tls-cert and --tls-key go together: give both (a certificate and its key) or neither (set in the environment: AGENTOPS_TLS_CERT="/etc/agentops/cert.pem")`},
	} {
		t.Run(c.env+"="+c.value, func(t *testing.T) {
			t.Setenv(c.env, c.value)
			r := cli(t, append([]string{"serve", "--data", t.TempDir()}, c.flags...)...)
			if r.code != 1 || !strings.Contains(r.stderr, c.want) {
				t.Errorf("want exit 1 and %q: %s", c.want, r)
			}
		})
	}
}

// TestServeTLS: with --tls-cert and --tls-key the banner's URLs are https
// and the gRPC line says TLS; the server answers over TLS with that
// certificate. A certificate file that cannot be read stops serve at once
// with a message naming it.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := testcert.Write(t, dir, "server", 1)
	s := serveInProcess(t, t.TempDir(), true, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Fatalf("banner URL %s", s.URL)
	}
	if m := s.stdout.waitMatch(regexp.MustCompile(`OTLP/gRPC traces: 127\.0\.0\.1:\d+ \(TLS\)`), s.exited, startupTimeout); m == nil {
		t.Errorf("the banner does not say gRPC is over TLS:\n%s", s.stdout)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(s.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Errorf("GET /healthz over TLS: %d, TLS %v", resp.StatusCode, resp.TLS != nil)
	}

	r := cli(t, "serve", "--data", t.TempDir(), "--tls-cert", filepath.Join(dir, "missing.pem"), "--tls-key", keyFile)
	if r.code != 1 || !strings.Contains(r.stderr, "--tls-cert "+filepath.Join(dir, "missing.pem")) || !strings.Contains(r.stderr, "no such file") {
		t.Errorf("want exit 1 naming the missing certificate: %s", r)
	}
}

// TestServeGRPCListener: serve opens OTLP/gRPC where --grpc-addr says and
// names it in the banner; --grpc-addr "" turns it off.
func TestServeGRPCListener(t *testing.T) {
	s := serveInProcess(t, t.TempDir(), true) // --grpc-addr 127.0.0.1:0
	m := s.stdout.waitMatch(regexp.MustCompile(`OTLP/gRPC traces: (127\.0\.0\.1:\d+)`), s.exited, startupTimeout)
	if m == nil {
		t.Fatalf("banner names no gRPC listener:\n%s", s.stdout)
	}
	conn, err := net.Dial("tcp", m[1])
	if err != nil {
		t.Fatalf("gRPC listener %s: %v", m[1], err)
	}
	conn.Close()

	off := serveInProcess(t, t.TempDir(), true, "--grpc-addr", "")
	off.stdout.waitMatch(regexp.MustCompile(`Data: `), off.exited, startupTimeout) // printed after the gRPC line
	if strings.Contains(off.stdout.String(), "OTLP/gRPC") {
		t.Errorf("--grpc-addr \"\" still serves gRPC:\n%s", off.stdout)
	}
}
