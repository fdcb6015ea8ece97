package ingest

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// Pricer sets the cost of LLM spans from the price table and the project's
// overrides. Overrides are re-read at most every TTL, so a price set with the
// CLI while the server runs applies to spans ingested a few seconds later.
type Pricer struct {
	base  *pricing.Table
	store store.Prices
	ttl   time.Duration
	now   func() time.Time

	mu    sync.Mutex
	cache map[string]cachedTable
}

type cachedTable struct {
	table  *pricing.Table
	loaded time.Time
}

// NewPricer prices from base, with per-project overrides read from s (nil:
// no overrides).
func NewPricer(base *pricing.Table, s store.Prices, ttl time.Duration) *Pricer {
	return &Pricer{base: base, store: s, ttl: ttl, now: time.Now, cache: map[string]cachedTable{}}
}

// Price fills Cost and CostSource of every LLM span that does not carry its
// own cost: from the table when its model is known, else CostUnpriced (an
// unknown cost, never a silent $0). Other spans are left alone.
func (p *Pricer) Price(ctx context.Context, projectID string, spans []model.Span) {
	var table *pricing.Table
	for i := range spans {
		sp := &spans[i]
		if sp.Kind != semconv.KindLLM || sp.CostSource == model.CostSpan {
			continue
		}
		if table == nil {
			table = p.table(ctx, projectID)
		}
		// The response model names the exact version that ran; the request
		// model is the fallback when the provider did not echo one.
		name := sp.ResponseModel
		if name == "" {
			name = sp.RequestModel
		}
		m, ok := table.Find(sp.Provider, name)
		if !ok && sp.RequestModel != "" && sp.RequestModel != name {
			m, ok = table.Find(sp.Provider, sp.RequestModel)
		}
		if !ok {
			sp.Cost, sp.CostSource = 0, model.CostUnpriced
			continue
		}
		u := sp.Usage
		sp.Cost = m.Cost(pricing.Usage{
			Input: u.Input, Output: u.Output,
			CacheRead: u.CacheRead, CacheWrite: u.CacheWrite, Reasoning: u.Reasoning,
		})
		sp.CostSource = model.CostTable
	}
}

func (p *Pricer) table(ctx context.Context, projectID string) *pricing.Table {
	if p.store == nil {
		return p.base
	}
	now := p.now()
	p.mu.Lock()
	c, ok := p.cache[projectID]
	p.mu.Unlock()
	if ok && now.Sub(c.loaded) < p.ttl {
		return c.table
	}
	table := p.base
	overrides, err := p.store.ProjectPrices(ctx, projectID)
	switch {
	case err != nil:
		// Keep pricing with what we had: a transient read error must not
		// make every span unpriced or fail the ingest.
		slog.Warn("reading price overrides", "project", projectID, "err", err)
		if ok {
			table = c.table
		}
	case len(overrides) > 0:
		m := make(map[string]pricing.Price, len(overrides))
		for _, o := range overrides {
			m[o.Model] = pricing.Price{Input: o.Input, Output: o.Output, CacheRead: o.CacheRead, CacheWrite: o.CacheWrite, Reasoning: o.Reasoning}
		}
		table = p.base.WithOverrides(m)
	}
	p.mu.Lock()
	p.cache[projectID] = cachedTable{table: table, loaded: now}
	p.mu.Unlock()
	return table
}
