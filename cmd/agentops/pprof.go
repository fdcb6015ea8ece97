//go:build pprof

package main

// Built with -tags pprof, the binary serves Go's profiler on
// $AGENTOPS_PPROF_ADDR (default 127.0.0.1:6060), for performance work:
//
//	go build -tags pprof -o agentops ./cmd/agentops
//	go tool pprof http://127.0.0.1:6060/debug/pprof/profile?seconds=10

import (
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
)

func init() {
	addr := os.Getenv("AGENTOPS_PPROF_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6060"
	}
	go func() { slog.Warn("pprof stopped", "err", http.ListenAndServe(addr, nil)) }()
}
