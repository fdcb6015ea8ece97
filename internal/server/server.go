package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/dashboard"
	"github.com/agentops-go/agentops/internal/ingest"
	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/internal/store/sqlite"
)

// DBFile is the SQLite file's name inside the data directory.
const DBFile = "agentops.db"

// OpenStore opens (creating if needed) the embedded store in dataDir. It is
// the one place a storage backend is chosen.
func OpenStore(dataDir string) (*sqlite.Store, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data directory: %w", err)
	}
	st, err := sqlite.Open(filepath.Join(dataDir, DBFile), sqlite.Options{})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", filepath.Join(dataDir, DBFile), err)
	}
	return st, nil
}

// Server is a running agentops backend: build it with New, run it with Serve.
type Server struct {
	cfg       Config
	log       *slog.Logger
	store     store.Store
	auth      *auth.Authenticator
	committer *ingest.Committer
	pipeline  *ingest.Pipeline
	metrics   *metrics
	handler   http.Handler
	dashboard *dashboard.Dashboard // nil when the store cannot serve it
	ready     atomic.Bool
	inflight  chan struct{} // semaphore of OTLP requests being decoded
	cert      *certificate  // nil without TLS
}

// New builds a server on an open store; the server owns the store from now
// on and closes it when Serve returns.
func New(cfg Config, st store.Store, secret []byte, log *slog.Logger) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	s := &Server{cfg: cfg, log: log, store: st, inflight: make(chan struct{}, cfg.MaxConcurrent)}
	if cfg.TLSCert != "" {
		c, err := loadCertificate(cfg.TLSCert, cfg.TLSKey, log)
		if err != nil {
			return nil, err
		}
		s.cert = c
	} else if !IsLoopback(cfg.Addr) && cfg.TrustedProxies == "" {
		log.Warn("serving plain HTTP on a non-loopback address: API keys, the dashboard password and span contents cross the network unencrypted; use --tls-cert and --tls-key, or a TLS-terminating proxy", "addr", cfg.Addr)
	}
	reg := prometheus.NewRegistry()
	s.metrics = newMetrics(reg)
	var writer store.SpanWriter = st
	if cfg.DiscardSpans {
		writer = discard{}
		log.Warn("--discard-spans: spans are decoded and DROPPED, nothing is stored (benchmark mode)")
	}
	s.auth = auth.New(st, secret, auth.WithLogger(log))
	s.pipeline, s.committer = NewPipeline(cfg, writer, st, s.metrics)
	if ds, ok := st.(dashboard.Store); ok {
		d, err := dashboard.New(ds, s.auth, dashboard.Options{
			Password: cfg.DashboardPassword, Open: cfg.Open, SessionTimeout: cfg.SessionTimeout, SortWindow: cfg.SortWindow, Logger: log,
		})
		if err != nil {
			return nil, err
		}
		s.dashboard = d
	} else {
		log.Warn("the store has no overview: the dashboard is off")
	}
	ps, _ := parseProxies(cfg.TrustedProxies) // Validate checked it
	s.handler = ps.forwarded(s.routes(reg))
	s.ready.Store(true)
	return s, nil
}

// Handler is the server's HTTP handler (for tests that serve it themselves).
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers HTTP on ln until ctx ends; see ServeWithGRPC.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.ServeWithGRPC(ctx, ln, nil)
}

// ServeWithGRPC answers HTTP on ln and OTLP/gRPC on grpcLn (nil: none)
// until ctx ends, then shuts down in order: stop accepting, let requests in
// flight on both finish (their batch commits) within ShutdownTimeout, stop
// the committer, close the store. It returns nil after a clean shutdown;
// if either listener fails, both stop and the error is returned.
func (s *Server) ServeWithGRPC(ctx context.Context, ln, grpcLn net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 2)
	retainCtx, stopRetain := context.WithCancel(context.WithoutCancel(ctx))
	retained := make(chan struct{})
	go func() { defer close(retained); s.retain(retainCtx) }()
	if tc := s.tlsConfig(); tc != nil {
		hs.TLSConfig = tc
		go func() { errc <- hs.ServeTLS(ln, "", "") }() // the certificate comes from GetCertificate
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	var gs *grpc.Server
	if grpcLn != nil {
		gs = s.newGRPCServer()
		go func() { errc <- gs.Serve(grpcLn) }()
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	s.ready.Store(false)
	shutCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	grpcDone := make(chan struct{})
	if gs != nil {
		go func() {
			defer close(grpcDone)
			stopped := make(chan struct{})
			go func() { gs.GracefulStop(); close(stopped) }()
			select {
			case <-stopped:
			case <-shutCtx.Done():
				s.log.Warn("gRPC requests still in flight at shutdown timeout")
				gs.Stop()
				<-stopped
			}
		}()
	} else {
		close(grpcDone)
	}
	if err := hs.Shutdown(shutCtx); err != nil {
		s.log.Warn("requests still in flight at shutdown timeout", "err", err)
	}
	<-grpcDone
	stopRetain()
	<-retained // a prune in progress ends its batch before the store closes
	s.committer.Close()
	if err := s.store.Close(); err != nil {
		return fmt.Errorf("closing store: %w", err)
	}
	if serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) && !errors.Is(serveErr, grpc.ErrServerStopped) {
		return serveErr
	}
	return nil
}

// Close releases the server without serving (tests that use Handler).
func (s *Server) Close() error {
	s.ready.Store(false)
	s.committer.Close()
	return s.store.Close()
}

// discard is the --discard-spans writer.
type discard struct{}

func (discard) WriteSpans(context.Context, []model.Span, time.Time) error { return nil }

// EnsureDefaultProject creates the "default" project and its first API key
// when the store has no project yet. It returns the new key, or "" when
// projects already existed.
func EnsureDefaultProject(ctx context.Context, st store.Store) (key string, err error) {
	ps, err := st.ListProjects(ctx)
	if err != nil || len(ps) > 0 {
		return "", err
	}
	p, err := st.CreateProject(ctx, "default")
	if err != nil {
		return "", err
	}
	key, k := auth.NewKey()
	k.ProjectID = p.ID
	if err := st.AddKey(ctx, k); err != nil {
		return "", err
	}
	return key, nil
}

// Banner prints what a new user needs: where the server listens (scheme
// "http" or "https", grpcAddr "" when gRPC is off) and, once, the first
// API key.
func Banner(w io.Writer, scheme, addr, grpcAddr, dataDir, firstKey string) {
	url := scheme + "://" + addr
	fmt.Fprintf(w, "AgentOps server listening on %s\n", url)
	fmt.Fprintf(w, "  OTLP/HTTP traces: %s/v1/traces\n", url)
	if grpcAddr != "" && scheme == "https" {
		fmt.Fprintf(w, "  OTLP/gRPC traces: %s (TLS)\n", grpcAddr)
	} else if grpcAddr != "" {
		fmt.Fprintf(w, "  OTLP/gRPC traces: %s\n", grpcAddr)
	}
	fmt.Fprintf(w, "  REST API:         %s/v2/sessions\n", url)
	fmt.Fprintf(w, "  Dashboard:        %s/ (log in with a project API key)\n", url)
	fmt.Fprintf(w, "  Data:             %s\n", filepath.Join(dataDir, DBFile))
	if firstKey != "" {
		fmt.Fprintf(w, "\nCreated project \"default\". Its API key (shown only this once):\n\n    %s\n\n", firstKey)
		fmt.Fprintf(w, "Send spans with:  export AGENTOPS_API_KEY=%s AGENTOPS_API_ENDPOINT=%s\n", firstKey, url)
	}
}
