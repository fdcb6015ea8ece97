package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"

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
		return fmt.Errorf("%w%s", err, fromEnvironment(fs))
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
		return fmt.Errorf("%w%s", err, fromEnvironment(fs, "addr"))
	}
	var grpcLn net.Listener
	if addr, _ := cfg.GRPCListenAddr(); addr != "" { // Validate checked it
		if grpcLn, err = net.Listen("tcp", addr); err != nil {
			ln.Close()
			srv.Close()
			return fmt.Errorf("OTLP/gRPC: %w%s", err, fromEnvironment(fs, "grpc-addr", "addr"))
		}
	}
	grpcAddr := ""
	if grpcLn != nil {
		grpcAddr = grpcLn.Addr().String()
	}
	server.Banner(stdout, srv.Scheme(), ln.Addr().String(), grpcAddr, cfg.DataDir, firstKey)
	err = srv.ServeWithGRPC(ctx, ln, grpcLn)
	if err == nil {
		log.Info("stopped cleanly")
	}
	return err
}

// envOf reads the variable a serve flag defaults to from its usage, which
// ends in "(env AGENTOPS_...)".
var envOf = regexp.MustCompile(`\(env (AGENTOPS_[A-Z0-9_]+)\)`)

// fromEnvironment names the AGENTOPS_* variables that set the named flags
// (every flag if none is named) because the command line did not: an error
// about a value must point at where the value came from, and a variable is
// easily forgotten.
func fromEnvironment(fs *flag.FlagSet, names ...string) string {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var set []string
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] || (len(names) > 0 && !slices.Contains(names, f.Name)) {
			return
		}
		if m := envOf.FindStringSubmatch(f.Usage); m != nil && os.Getenv(m[1]) != "" {
			set = append(set, fmt.Sprintf("%s=%q", m[1], os.Getenv(m[1])))
		}
	})
	if len(set) == 0 {
		return ""
	}
	return " (set in the environment: " + strings.Join(set, ", ") + ")"
}
