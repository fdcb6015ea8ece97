package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/agentops-go/agentops/internal/testcert"
)

// TestTLS: with --tls-cert and --tls-key both listeners serve TLS only: the
// official OTel exporters over HTTPS and over gRPC with TLS deliver an
// agent run to the token and the cent; plain HTTP and plaintext gRPC to
// the same ports are refused.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := testcert.Write(t, t.TempDir(), "server", 1)
	start := func(t *testing.T) *testServer { // one per agent run: checkSession finds the run by its tag
		ts := startServer(t, func(c *Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
		if !strings.HasPrefix(ts.URL, "https://") {
			t.Fatalf("URL %s", ts.URL)
		}
		ts.client = &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
		return ts
	}

	t.Run("OTLP/HTTP over HTTPS", func(t *testing.T) {
		ts := start(t)
		tp := newProvider(t, ts, ts.client)
		id := agentRun(t, tp)
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		checkSession(t, ts, id.String())
	})
	t.Run("OTLP/gRPC over TLS", func(t *testing.T) {
		ts := start(t)
		exp, err := otlptracegrpc.New(context.Background(),
			otlptracegrpc.WithEndpoint(ts.GRPCAddr),
			otlptracegrpc.WithTLSCredentials(credentials.NewClientTLSFromCert(pool, "")),
			otlptracegrpc.WithHeaders(map[string]string{"x-agentops-api-key": ts.Key}),
			otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: false}))
		if err != nil {
			t.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp),
			sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "e2e-agent"))))
		id := agentRun(t, tp)
		if err := tp.Shutdown(context.Background()); err != nil {
			t.Fatal(err)
		}
		checkSession(t, ts, id.String())
	})
	ts := start(t)
	t.Run("HTTP/2", func(t *testing.T) {
		c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
		resp, err := c.Get(ts.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.ProtoMajor != 2 {
			t.Errorf("GET /healthz: %d over %s, want 200 over HTTP/2", resp.StatusCode, resp.Proto)
		}
	})
	t.Run("plain HTTP refused", func(t *testing.T) {
		resp, err := http.Get("http" + strings.TrimPrefix(ts.URL, "https") + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP to the TLS port: %d, want 400", resp.StatusCode)
		}
	})
	t.Run("plaintext gRPC refused", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ctx = metadata.AppendToOutgoingContext(ctx, "x-agentops-api-key", ts.Key)
		_, err := rawGRPC(t, ts).Export(ctx, grpcRequest(func(ss ptrace.SpanSlice) {
			addSpan(ss, traceID(9, 1), spanID(1), "plaintext")
		}))
		if status.Code(err) != codes.Unavailable || ctx.Err() != nil {
			t.Errorf("plaintext gRPC to the TLS port: %v, want Unavailable at once", err)
		}
	})
	t.Run("dashboard cookies are Secure", func(t *testing.T) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Transport: ts.client.Transport, Jar: jar,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(ts.URL + "/login")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		checkSecure(t, resp, "agentops_prelogin")
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
		if m == nil {
			t.Fatalf("no CSRF token in the login page")
		}
		resp, err = c.PostForm(ts.URL+"/login", url.Values{"csrf": {string(m[1])}, "api_key": {ts.Key}, "next": {"/"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("login: %d", resp.StatusCode)
		}
		checkSecure(t, resp, "agentops_login")
	})
	t.Run("an untrusted certificate is refused by clients", func(t *testing.T) {
		_, err := http.Get(ts.URL + "/healthz") // the system roots do not know the test certificate
		if err == nil {
			t.Error("a client without the certificate connected")
		}
	})
}

// checkSecure checks that resp sets the cookie name, Secure.
func checkSecure(t *testing.T, resp *http.Response, name string) {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == name {
			if !c.Secure {
				t.Errorf("cookie %s is not Secure over TLS", name)
			}
			return
		}
	}
	t.Errorf("no cookie %s set (%q)", name, resp.Header.Values("Set-Cookie"))
}

// TestTLSSettings: the pair goes together, and a file that cannot be read
// stops the server at start with a message naming the flags.
func TestTLSSettings(t *testing.T) {
	certFile, keyFile, _ := testcert.Write(t, t.TempDir(), "server", 1)
	for _, c := range []struct {
		name      string
		cert, key string
		want      string
	}{
		{"cert alone", certFile, "", "--tls-cert and --tls-key go together"},
		{"key alone", "", keyFile, "--tls-cert and --tls-key go together"},
		{"missing file", certFile + ".missing", keyFile, "--tls-cert " + certFile + ".missing"},
		{"key of another certificate", certFile, writeOtherKey(t), "private key does not match public key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.DataDir = t.TempDir()
			cfg.TLSCert, cfg.TLSKey = c.cert, c.key
			st, err := OpenStore(cfg.DataDir)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			_, err = New(cfg, st, []byte("0123456789abcdef0123456789abcdef"), slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("New: %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func writeOtherKey(t *testing.T) string {
	_, keyFile, _ := testcert.Write(t, t.TempDir(), "other", 2)
	return keyFile
}

// TestCertificateReload: a renewed certificate is served at the next
// handshake after the recheck; a broken file is not taken, the certificate
// in use stays and the log says why.
func TestCertificateReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _ := testcert.Write(t, dir, "server", 1)
	var logs bytes.Buffer
	c, err := loadCertificate(certFile, keyFile, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	c.recheck = 0
	serial := func() int64 {
		t.Helper()
		cert, err := c.get(nil)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return leaf.SerialNumber.Int64()
	}
	if s := serial(); s != 1 {
		t.Fatalf("serial %d, want 1", s)
	}
	// renewed: a new pair written over the old files, as certbot does
	newCert, newKey, _ := testcert.Write(t, t.TempDir(), "renewed", 2)
	replace := func(from, to string, at time.Time) {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(to, at, at); err != nil {
			t.Fatal(err)
		}
	}
	later := time.Now().Add(time.Minute)
	replace(newCert, certFile, later)
	replace(newKey, keyFile, later)
	if s := serial(); s != 2 {
		t.Fatalf("after renewal serial %d, want 2", s)
	}
	if !strings.Contains(logs.String(), "TLS certificate reloaded") {
		t.Errorf("log %q", logs.String())
	}
	if err := os.WriteFile(certFile, []byte("half written"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(certFile, later.Add(time.Minute), later.Add(time.Minute))
	if s := serial(); s != 2 {
		t.Fatalf("after a broken write serial %d, want 2 (the one in use)", s)
	}
	if !strings.Contains(logs.String(), "not reloaded") {
		t.Errorf("log %q", logs.String())
	}
}

// TestPlainHTTPWarning: plain HTTP on a non-loopback address is logged as
// a warning at start; on loopback, or with TLS, it is not.
func TestPlainHTTPWarning(t *testing.T) {
	certFile, keyFile, _ := testcert.Write(t, t.TempDir(), "server", 1)
	for _, c := range []struct {
		addr string
		tls  bool
		warn bool
	}{{"0.0.0.0:4318", false, true}, {"127.0.0.1:4318", false, false}, {"0.0.0.0:4318", true, false}} {
		cfg := DefaultConfig()
		cfg.DataDir, cfg.Addr = t.TempDir(), c.addr
		if c.tls {
			cfg.TLSCert, cfg.TLSKey = certFile, keyFile
		}
		st, err := OpenStore(cfg.DataDir)
		if err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		srv, err := New(cfg, st, []byte("0123456789abcdef0123456789abcdef"), slog.New(slog.NewTextHandler(&logs, nil)))
		if err != nil {
			t.Fatal(err)
		}
		srv.Close()
		if got := strings.Contains(logs.String(), "serving plain HTTP on a non-loopback address"); got != c.warn {
			t.Errorf("addr %s, TLS %v: warned %v, want %v\n%s", c.addr, c.tls, got, c.warn, logs.String())
		}
	}
}
