package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"

	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/server"
)

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "serve [flags]", stderr)
	cfg := server.RegisterFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	st, err := server.OpenStore(cfg.DataDir)
	if err != nil {
		return err
	}
	firstKey, err := server.EnsureDefaultProject(ctx, st)
	if err != nil {
		st.Close()
		return fmt.Errorf("creating the default project: %w", err)
	}
	secret, err := auth.LoadOrCreateSecret(cfg.DataDir)
	if err != nil {
		st.Close()
		return err
	}
	srv, err := server.New(*cfg, st, secret, log)
	if err != nil {
		st.Close()
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		srv.Close()
		return err
	}
	server.Banner(stdout, ln.Addr().String(), cfg.DataDir, firstKey)
	err = srv.Serve(ctx, ln)
	if err == nil {
		log.Info("stopped cleanly")
	}
	return err
}
