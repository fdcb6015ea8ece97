package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/agentops-go/agentops/internal/server"
	"github.com/agentops-go/agentops/internal/store"
)

// runPrune deletes old sessions of every project once, as serve
// --retention does periodically. It may run while a server uses the
// directory: each batch is a short transaction the server's commits wait
// for.
func runPrune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("prune", "prune --older-than AGE [--data DIR]   (AGE like 30d or 12h)", stderr)
	var f storeFlags
	f.register(fs, false)
	olderThan := fs.String("older-than", "", "delete the sessions (of every project) last seen longer ago than this, e.g. 30d")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "prune takes no arguments (got %q)\n", pos)
		return errUsage
	}
	if *olderThan == "" {
		fmt.Fprintln(stderr, "prune needs --older-than, e.g. --older-than 30d")
		return errUsage
	}
	age, err := server.ParseDuration(*olderThan)
	if err != nil || age <= 0 {
		return fmt.Errorf("--older-than %q: want a positive duration like 30d or 12h", *olderThan)
	}
	st, err := f.open()
	if err != nil {
		return err
	}
	defer st.Close()
	p, ok := st.(store.Pruner)
	if !ok {
		return errors.New("this store cannot delete sessions")
	}
	before := time.Now().Add(-age)
	total := 0
	for {
		n, err := p.PruneSessions(ctx, before, 200)
		total += n
		if err != nil {
			return fmt.Errorf("deleted %d sessions, then: %w", total, err)
		}
		if n < 200 {
			break
		}
	}
	fmt.Fprintf(stdout, "deleted %d sessions last seen before %s\n", total, before.UTC().Format(time.RFC3339))
	return nil
}
