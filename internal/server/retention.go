package server

import (
	"context"
	"time"

	"github.com/agentops-go/agentops/internal/store"
)

// pruneBatch is the sessions one PruneSessions call deletes: the span
// writer waits for a call, so a batch stays small.
const pruneBatch = 200

// prune deletes the sessions last seen before now − Retention, batch by
// batch, until none is left or ctx ends, and returns how many it deleted.
func prune(ctx context.Context, p store.Pruner, before time.Time) (int, error) {
	total := 0
	for {
		n, err := p.PruneSessions(ctx, before, pruneBatch)
		total += n
		if err != nil || n < pruneBatch || ctx.Err() != nil {
			return total, err
		}
	}
}

// retain runs prune at start and then every RetentionInterval until ctx
// ends (Retention 0: never). Deleted counts and errors go to the log and
// agentops_sessions_pruned_total.
func (s *Server) retain(ctx context.Context) {
	p, ok := s.store.(store.Pruner)
	if s.cfg.Retention <= 0 || !ok {
		if s.cfg.Retention > 0 {
			s.log.Warn("--retention is set but the store cannot delete sessions: nothing is pruned")
		}
		return
	}
	for {
		start := time.Now()
		n, err := prune(ctx, p, start.Add(-s.cfg.Retention))
		s.metrics.pruned.Add(float64(n))
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("retention: pruning old sessions failed; trying again next time", "deleted", n, "err", err)
		case n > 0:
			s.log.Info("retention: pruned old sessions", "deleted", n, "older_than", s.cfg.Retention, "took", time.Since(start).Round(time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.cfg.RetentionInterval):
		}
	}
}
