package pricing

import (
	"errors"
	"math"
	"testing"
)

// tolerance for comparing costs in USD with hand-computed figures.
const tolerance = 1e-12

func TestCost(t *testing.T) {
	tests := []struct {
		name  string
		model string
		usage Usage
		want  float64 // computed by hand from the per-1M prices
	}{
		{"zero usage", "gpt-4o", Usage{}, 0},
		{"plain", "gpt-4o", Usage{Input: 1000, Output: 500},
			1000*2.50e-6 + 500*10e-6}, // 0.0075
		{"openai cached input", "gpt-4o", Usage{Input: 2000, CacheRead: 1500, Output: 100},
			500*2.50e-6 + 1500*1.25e-6 + 100*10e-6}, // 0.004125
		{"anthropic cache read and write", "claude-sonnet-4-5-20250929",
			Usage{Input: 10000, CacheRead: 6000, CacheWrite: 3000, Output: 800},
			1000*3e-6 + 6000*0.30e-6 + 3000*3.75e-6 + 800*15e-6}, // 0.02805
		{"anthropic haiku 3 cache", "claude-3-haiku-20240307",
			Usage{Input: 4000, CacheRead: 2000, CacheWrite: 1000, Output: 100},
			1000*0.25e-6 + 2000*0.03e-6 + 1000*0.30e-6 + 100*1.25e-6}, // 0.000735
		{"o-series reasoning at the output price", "o3-2025-04-16",
			Usage{Input: 1200, Output: 5000, Reasoning: 4500},
			1200*2e-6 + 500*8e-6 + 4500*8e-6}, // 0.0424
		{"reasoning priced apart", "gemini-2.5-flash-preview-04-17",
			Usage{Input: 1000, Output: 3000, Reasoning: 2000},
			1000*0.15e-6 + 1000*0.60e-6 + 2000*3.50e-6}, // 0.00775
		{"deepseek cache hit", "deepseek-flash", Usage{Input: 10000, CacheRead: 8000, Output: 1000},
			2000*0.30e-6 + 8000*0.006e-6 + 1000*1.20e-6}, // 0.001848
		{"embedding", "text-embedding-3-small", Usage{Input: 1_000_000}, 0.02},
		{"cache read above input is clamped", "gpt-4o", Usage{Input: 1000, CacheRead: 3000},
			1000 * 1.25e-6},
		{"cache read plus write above input is clamped, reads first", "claude-sonnet-4-5",
			Usage{Input: 1000, CacheRead: 600, CacheWrite: 600},
			600*0.30e-6 + 400*3.75e-6}, // 0.00168
		{"reasoning above output is clamped", "o4-mini", Usage{Output: 100, Reasoning: 300},
			100 * 4.40e-6},
		{"negative counts count as zero", "gpt-4o",
			Usage{Input: -5, Output: -1, CacheRead: -7, CacheWrite: -3, Reasoning: -2}, 0},
		{"negative cached counts leave input uncached", "gpt-4o", Usage{Input: 100, CacheRead: -50},
			100 * 2.50e-6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, ok := Default().Lookup(tt.model)
			if !ok {
				t.Fatalf("Lookup(%q) found nothing", tt.model)
			}
			got := p.Cost(tt.usage)
			if math.Abs(got-tt.want) > tolerance {
				t.Errorf("Cost(%+v) = %.15g, want %.15g", tt.usage, got, tt.want)
			}
			if got < 0 {
				t.Errorf("Cost(%+v) = %g < 0", tt.usage, got)
			}
		})
	}
}

func TestCostCountsEveryTokenOnce(t *testing.T) {
	// With every class at the same price, the cost is (Input+Output)*price
	// however the tokens are split.
	p := Price{Input: 1e-6, Output: 1e-6, CacheRead: 1e-6, CacheWrite: 1e-6, Reasoning: 1e-6}
	for _, u := range []Usage{
		{Input: 1000, Output: 1000},
		{Input: 1000, CacheRead: 400, CacheWrite: 600, Output: 1000, Reasoning: 1000},
		{Input: 1000, CacheRead: 999, Output: 1000, Reasoning: 1},
	} {
		if got, want := p.Cost(u), 2000e-6; math.Abs(got-want) > tolerance {
			t.Errorf("Cost(%+v) = %g, want %g", u, got, want)
		}
	}
}

func TestCostNeverNegative(t *testing.T) {
	p := Price{Input: -1e-6, Output: 1e-6}
	if got := p.Cost(Usage{Input: 1000}); got != 0 {
		t.Errorf("Cost with a negative price = %g, want 0", got)
	}
}

func TestMatchCostLongContext(t *testing.T) {
	m, ok := Default().Find("", "gemini-2.5-pro")
	if !ok {
		t.Fatal("gemini-2.5-pro not found")
	}
	tests := []struct {
		name  string
		usage Usage
		want  float64
	}{
		{"at the threshold: base price", Usage{Input: 200_000, Output: 1000},
			200_000*1.25e-6 + 1000*10e-6}, // 0.26
		{"above: the whole call at the long-context price", Usage{Input: 300_000, CacheRead: 100_000, Output: 1000},
			200_000*2.50e-6 + 100_000*0.25e-6 + 1000*15e-6}, // 0.54
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := m.Cost(tt.usage); math.Abs(got-tt.want) > tolerance {
				t.Errorf("Cost(%+v) = %.15g, want %.15g", tt.usage, got, tt.want)
			}
		})
	}
	if m, _ := Default().Find("", "gpt-4o"); m.LongContext != (Tier{}) {
		t.Errorf("gpt-4o has a long-context tier: %+v", m.LongContext)
	}
}

func TestValidate(t *testing.T) {
	ok := Price{Input: 1e-6, Output: 2e-6, CacheRead: 0, CacheWrite: 1e-6, Reasoning: 2e-6}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", ok, err)
	}
	for _, p := range []Price{
		{Input: -1e-6},
		{Output: math.NaN()},
		{CacheRead: math.Inf(1)},
		{Reasoning: math.Inf(-1)},
	} {
		if err := p.Validate(); !errors.Is(err, ErrInvalidPrice) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalidPrice", p, err)
		}
	}
}

func TestWithDefaults(t *testing.T) {
	got := Price{Input: 1e-6, Output: 4e-6}.WithDefaults()
	want := Price{Input: 1e-6, Output: 4e-6, CacheRead: 1e-6, CacheWrite: 1e-6, Reasoning: 4e-6}
	if got != want {
		t.Errorf("WithDefaults = %+v, want %+v", got, want)
	}
	set := Price{Input: 1e-6, Output: 4e-6, CacheRead: 1e-7, CacheWrite: 2e-6, Reasoning: 8e-6}
	if got := set.WithDefaults(); got != set {
		t.Errorf("WithDefaults changed explicit prices: %+v", got)
	}
}
