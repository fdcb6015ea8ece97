// Package servertest starts a real agentops server on a loopback socket for
// tests outside internal/server (the SDK's integration tests, for one).
package servertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"

	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/server"
)

// Server is a running server with a fresh data directory and a default
// project whose API key is Key.
type Server struct {
	URL     string // http://127.0.0.1:PORT
	Key     string
	DataDir string
}

// Start runs a server until the test ends. mutate adjusts the config
// (limits, session timeout) before it starts.
func Start(t testing.TB, mutate ...func(*server.Config)) *Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	for _, m := range mutate {
		m(&cfg)
	}
	st, err := server.OpenStore(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := server.EnsureDefaultProject(context.Background(), st)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	secret, err := auth.LoadOrCreateSecret(cfg.DataDir)
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	srv, err := server.New(cfg, st, secret, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server shutdown: %v", err)
		}
	})
	return &Server{URL: "http://" + ln.Addr().String(), Key: key, DataDir: cfg.DataDir}
}
