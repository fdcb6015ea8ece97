package ingest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/pricing"
)

type fakePrices struct {
	prices []store.Price
	reads  int
}

func (f *fakePrices) SetPrice(context.Context, string, store.Price) error { return nil }
func (f *fakePrices) DeletePrice(context.Context, string, string) error   { return nil }
func (f *fakePrices) ProjectPrices(context.Context, string) ([]store.Price, error) {
	f.reads++
	return f.prices, nil
}

func TestPricerPricesLLMSpans(t *testing.T) {
	table := pricing.Default()
	gpt4o, _, ok := table.Lookup("gpt-4o")
	if !ok {
		t.Fatal("gpt-4o missing from the default table")
	}
	usage := model.Usage{Input: 1000, Output: 200, CacheRead: 400}
	want := gpt4o.Cost(pricing.Usage{Input: 1000, Output: 200, CacheRead: 400})

	spans := []model.Span{
		{Kind: "llm", RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06", Usage: usage},
		{Kind: "llm", RequestModel: "my-private-model", Usage: usage},
		{Kind: "llm", RequestModel: "gpt-4o", Usage: usage, Cost: 0.5, CostSource: model.CostSpan},
		{Kind: "tool", RequestModel: "gpt-4o", Usage: usage},
		{Kind: "llm", RequestModel: "gpt-4o", ResponseModel: "unknown-echo", Usage: usage},
	}
	NewPricer(table, nil, time.Second).Price(context.Background(), "p", spans)

	checks := []struct {
		name   string
		span   model.Span
		source model.CostSource
		cost   float64
	}{
		{"dated response model priced from the table", spans[0], model.CostTable, want},
		{"unknown model is unpriced, not $0", spans[1], model.CostUnpriced, 0},
		{"cost carried by the span is kept", spans[2], model.CostSpan, 0.5},
		{"non-LLM span gets no cost", spans[3], model.CostNone, 0},
		{"unknown response model falls back to the request model", spans[4], model.CostTable, want},
	}
	for _, c := range checks {
		if c.span.CostSource != c.source || math.Abs(c.span.Cost-c.cost) > 1e-12 {
			t.Errorf("%s: got %v %.12f, want %v %.12f", c.name, c.span.CostSource, c.span.Cost, c.source, c.cost)
		}
	}
	if want <= 0 {
		t.Fatalf("expected a positive cost for gpt-4o, got %v", want)
	}
}

func TestPricerAppliesProjectOverridesAndRereadsThemAfterTTL(t *testing.T) {
	fp := &fakePrices{prices: []store.Price{{Model: "gpt-4o", Input: 1e-6, Output: 2e-6, CacheRead: 1e-6, CacheWrite: 1e-6, Reasoning: 2e-6}}}
	p := NewPricer(pricing.Default(), fp, 5*time.Second)
	now := time.Unix(1000, 0)
	p.now = func() time.Time { return now }

	price := func() float64 {
		spans := []model.Span{{Kind: "llm", RequestModel: "gpt-4o", Usage: model.Usage{Input: 100, Output: 10}}}
		p.Price(context.Background(), "p", spans)
		return spans[0].Cost
	}
	if got, want := price(), 100*1e-6+10*2e-6; math.Abs(got-want) > 1e-15 {
		t.Fatalf("override cost = %v, want %v", got, want)
	}
	fp.prices = nil // the override is deleted (by the CLI, say)
	now = now.Add(4 * time.Second)
	if got := price(); math.Abs(got-(100*1e-6+10*2e-6)) > 1e-15 {
		t.Fatalf("within the TTL the cached override still applies, got %v", got)
	}
	now = now.Add(2 * time.Second)
	gpt4o, _, _ := pricing.Default().Lookup("gpt-4o")
	if got, want := price(), gpt4o.Cost(pricing.Usage{Input: 100, Output: 10}); math.Abs(got-want) > 1e-15 {
		t.Fatalf("after the TTL the table price applies: got %v, want %v", got, want)
	}
	if fp.reads != 2 {
		t.Fatalf("override reads = %d, want 2 (one per TTL)", fp.reads)
	}
}
