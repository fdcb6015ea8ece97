// Command agentops is the AgentOps backend in one binary: it serves OTLP
// ingest, the REST API and (later) the dashboard, and administers the same
// data directory from the command line.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "[flags]", "run the server: OTLP ingest (HTTP, gRPC), REST API, dashboard", runServe},
		{"keys", "create|list|revoke", "manage API keys", runKeys},
		{"sessions", "list|show", "list sessions or show one's statistics", runSessions},
		{"export", "ID", "print a complete session as JSON", runExport},
		{"prices", "list|set|delete", "show model prices and manage per-project overrides", runPrices},
		{"prune", "--older-than AGE", "delete the sessions last seen longer ago than AGE (30d, 12h)", runPrune},
		{"loadgen", "[flags]", "send a standard GenAI load to an OTLP endpoint and report spans/s", runLoadgen},
		{"demo", "[flags]", "fill a server (or a data directory) with realistic sample sessions", runDemo},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks an error already explained by a usage message.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			switch {
			case err == nil, errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			fmt.Fprintf(stderr, "agentops %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "agentops: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "agentops: self-hosted observability for AI agents")
	fmt.Fprintln(w, "\nUsage:\n  agentops <command> [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %-20s %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'agentops <command> --help' for a command's flags.")
}

// newFlagSet returns a flag set whose errors are returned, not fatal, and
// whose --help prints the command's usage line first.
func newFlagSet(name, usageLine string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("agentops "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: agentops %s\n\nFlags:\n", usageLine)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses args, allowing flags after positional arguments
// ("keys revoke KEY --data DIR"), and returns the positional ones. A parse
// failure becomes errUsage (flag has already printed the message and usage).
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}
