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
	"github.com/agentops-go/agentops/internal/store"
)

// Server is a running server with a fresh data directory and a default
// project whose API key is Key.
type Server struct {
	URL      string // http://127.0.0.1:PORT (https:// when a mutate set TLSCert)
	GRPCAddr string // 127.0.0.1:PORT of OTLP/gRPC; "" when a mutate disabled it
	Key      string
	DataDir  string
	store    store.Store // the server's own; its admin methods are safe to call while it serves
}

// Start runs a server, with OTLP/gRPC on a port of its own, until the test
// ends. mutate adjusts the config (limits, session timeout; GRPCAddr ""
// turns gRPC off) before it starts.
func Start(t testing.TB, mutate ...func(*server.Config)) *Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.GRPCAddr = "127.0.0.1:0"
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
	var grpcLn net.Listener
	grpcAddr := ""
	if cfg.GRPCAddr != "" {
		if grpcLn, err = net.Listen("tcp", cfg.GRPCAddr); err != nil {
			ln.Close()
			srv.Close()
			t.Fatal(err)
		}
		grpcAddr = grpcLn.Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ServeWithGRPC(ctx, ln, grpcLn) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server shutdown: %v", err)
		}
	})
	return &Server{URL: srv.Scheme() + "://" + ln.Addr().String(), GRPCAddr: grpcAddr, Key: key, DataDir: cfg.DataDir, store: st}
}

// AddProject creates another project in the running server's store and
// returns its API key (for isolation tests).
func (s *Server) AddProject(t testing.TB, name string) string {
	t.Helper()
	p, err := s.store.CreateProject(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	key, k := auth.NewKey()
	k.ProjectID = p.ID
	if err := s.store.AddKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return key
}
