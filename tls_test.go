package agentops_test

import (
	"context"
	"crypto/tls"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops"
	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/server/servertest"
	"github.com/agentops-go/agentops/internal/testcert"
)

// TestSDKOverTLS: the SDK exports to a server that serves TLS (its
// certificate trusted through WithHTTPClient): the token exchange, the
// spans and End's cost look-up all go over HTTPS, and the cost End returns
// is the server's.
func TestSDKOverTLS(t *testing.T) {
	certFile, keyFile, pool := testcert.Write(t, t.TempDir(), "server", 1)
	srv := servertest.Start(t, func(c *server.Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
	if !strings.HasPrefix(srv.URL, "https://") {
		t.Fatalf("server URL %s", srv.URL)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	c, err := agentops.New(agentops.WithLogger(quiet), agentops.WithAPIKey(srv.Key), agentops.WithAPIEndpoint(srv.URL),
		agentops.WithMaxWaitTime(50*time.Millisecond), agentops.WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Shutdown(context.Background())
	s, err := c.StartSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s.Record(agentops.LLMEvent{Model: "gpt-4o", Prompt: "hi", Completion: "hello", PromptTokens: 1000, CompletionTokens: 500})
	cost, err := s.End(agentops.Success, "")
	if err != nil {
		t.Fatal(err)
	}
	if want := 0.0075; math.Abs(cost-want) > 1e-9 {
		t.Errorf("End's cost %v, want the server's %v", cost, want)
	}
}
