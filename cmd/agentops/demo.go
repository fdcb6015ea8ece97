package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/agentops-go/agentops/internal/demo"
	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/store"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", "demo [--api-key KEY] [--endpoint URL] | --data DIR   [--sessions N] [--days N] [--seed N]", stderr)
	defaultEndpoint := "http://" + server.DefaultConfig().Addr
	endpoint := fs.String("endpoint", envOr("AGENTOPS_API_ENDPOINT", defaultEndpoint), "the running server to fill (env AGENTOPS_API_ENDPOINT)")
	apiKey := fs.String("api-key", os.Getenv("AGENTOPS_API_KEY"), "an API key of that server's project (env AGENTOPS_API_KEY)")
	var dataDir string
	fs.StringVar(&dataDir, "data", "", fmt.Sprintf("instead of sending to a server, write straight into this data directory (no server may be running on it; serve's default is %s); a fresh one gets a project and a first API key", server.DefaultDataDir()))
	fs.StringVar(&dataDir, "data-dir", "", "same as --data")
	project := fs.String("project", "", "with --data: the project to fill (default: the only project)")
	sessions := fs.Int("sessions", demo.DefaultSessions, "sessions to make")
	days := fs.Int("days", demo.DefaultDays, "days the sessions are spread over, ending now")
	seed := fs.Int64("seed", 1, "chooses the content; the same seed makes the same sessions (under new ids each run)")
	big := fs.Int("big-session", 0, "add one session of this many spans, to see a large one")
	batch := fs.Int("batch-spans", demo.DefaultBatchSpans, "most spans per request")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "agentops demo: unexpected argument %q\n", pos[0])
		return errUsage
	}
	for _, n := range []struct {
		name      string
		v, lo, hi int
	}{{"sessions", *sessions, 1, 10_000}, {"days", *days, 1, 3650}, {"big-session", *big, 0, 100_000}, {"batch-spans", *batch, 1, server.DefaultConfig().MaxSpansPerRequest}} {
		if n.v < n.lo || n.v > n.hi {
			fmt.Fprintf(stderr, "agentops demo: --%s must be between %d and %d\n", n.name, n.lo, n.hi)
			return errUsage
		}
	}
	cfg := demo.Config{Seed: *seed, Sessions: *sessions, Days: *days, Now: time.Now(), BigSession: *big}

	if dataDir != "" {
		return demoIntoDir(ctx, dataDir, *project, cfg, *batch, stdout)
	}
	if *project != "" {
		fmt.Fprintln(stderr, "agentops demo: --project goes with --data; a server takes the project from the API key")
		return errUsage
	}
	if *apiKey == "" {
		fmt.Fprintln(stderr, "agentops demo: an API key is needed: pass --api-key KEY or set AGENTOPS_API_KEY ('agentops serve' prints one when it creates the project), or write into a data directory with --data DIR")
		return errUsage
	}
	sc := demo.SendConfig{Endpoint: *endpoint, APIKey: *apiKey, MaxSpans: *batch}
	base, err := sc.BaseURL()
	if err != nil {
		return err
	}
	res, err := demo.Send(ctx, sc, demo.Generate(cfg))
	if err != nil {
		return err
	}
	printDemo(stdout, res, cfg, "to "+base)
	fmt.Fprintf(stdout, "Open the dashboard: %s/\n", base)
	return nil
}

// demoIntoDir writes the demo into dataDir through the server's ingest
// pipeline, creating the project and its first key in a fresh store.
func demoIntoDir(ctx context.Context, dataDir, project string, cfg demo.Config, batch int, stdout io.Writer) error {
	inUse, err := server.DataDirInUse(dataDir)
	if err != nil {
		return err
	}
	if inUse {
		return fmt.Errorf("%s is open in another process (a running 'agentops serve'?): send the demo to that server with --api-key instead of --data", filepath.Join(dataDir, server.DBFile))
	}
	st, err := server.OpenStore(dataDir)
	if err != nil {
		return err
	}
	defer st.Close()
	// A fresh store gets the project and key serve would create; a named
	// project must exist (nothing is created for a typo).
	if project == "" {
		firstKey, err := server.EnsureDefaultProject(ctx, st)
		if err != nil {
			return fmt.Errorf("creating the default project: %w", err)
		}
		if firstKey != "" {
			fmt.Fprintf(stdout, "Created project \"default\". Its API key (shown only this once):\n\n    %s\n\n", firstKey)
		}
	}
	f := storeFlags{dataDir: dataDir, project: project}
	p, err := f.resolveProject(ctx, st)
	if err != nil {
		return err
	}
	res, err := writeDemo(ctx, st, p, cfg, batch)
	if err != nil {
		return err
	}
	printDemo(stdout, res, cfg, fmt.Sprintf("into project %q in %s", p.Name, filepath.Join(dataDir, server.DBFile)))
	fmt.Fprintf(stdout, "Open the dashboard: run 'agentops serve --data %s' and open http://%s/\n", dataDir, server.DefaultConfig().Addr)
	return nil
}

// writeDemo runs the server's ingest pipeline on st for the demo's spans.
func writeDemo(ctx context.Context, st store.Store, p store.Project, cfg demo.Config, batch int) (demo.Result, error) {
	pipe, committer := server.NewPipeline(server.DefaultConfig(), st, st, nil)
	defer committer.Close()
	return demo.Write(ctx, pipe, st, p.ID, demo.Generate(cfg), batch)
}

func printDemo(w io.Writer, res demo.Result, cfg demo.Config, where string) {
	fmt.Fprintf(w, "Wrote %d sessions (%d spans) of the last %d days %s.\n", res.Sessions, res.Spans, cfg.Days, where)
	cost := fmt.Sprintf("$%.4f", res.CostUSD)
	if res.Unpriced > 0 {
		cost += fmt.Sprintf(" + %d unpriced LLM call(s) of a model without a price", res.Unpriced)
	}
	fmt.Fprintf(w, "Total cost: %s\n", cost)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
