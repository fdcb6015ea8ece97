package pricing

import (
	"errors"
	"fmt"
	"math"
)

// Price is a model's price in USD per token. Every field is explicit: a zero
// CacheRead, CacheWrite or Reasoning means those tokens are free, not "same as
// Input / Input / Output" (the embedded table fills them; see WithDefaults for
// user-entered prices).
type Price struct {
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cache_read"`
	CacheWrite float64 `json:"cache_write"`
	Reasoning  float64 `json:"reasoning"`
}

// Usage is the token usage of one call. Input includes CacheRead and
// CacheWrite; Output includes Reasoning (OpenTelemetry GenAI convention).
type Usage struct {
	Input, Output, CacheRead, CacheWrite, Reasoning int64
}

// Cost prices u: uncached input at Input, cached input at CacheRead, cache
// creation at CacheWrite, non-reasoning output at Output, reasoning at
// Reasoning — every token counted exactly once.
//
// Inconsistent usage is clamped rather than trusted: negative counts count as
// zero, cache reads are capped at Input and cache writes at what remains of it,
// reasoning is capped at Output. The result is never negative.
func (p Price) Cost(u Usage) float64 {
	in := max(u.Input, 0)
	out := max(u.Output, 0)
	cacheRead := min(max(u.CacheRead, 0), in)
	cacheWrite := min(max(u.CacheWrite, 0), in-cacheRead)
	reasoning := min(max(u.Reasoning, 0), out)

	c := float64(in-cacheRead-cacheWrite)*p.Input +
		float64(cacheRead)*p.CacheRead +
		float64(cacheWrite)*p.CacheWrite +
		float64(out-reasoning)*p.Output +
		float64(reasoning)*p.Reasoning
	if c < 0 { // only with negative prices, which Validate rejects
		return 0
	}
	return c
}

// ErrInvalidPrice is returned (wrapped) for a negative, NaN or infinite price.
var ErrInvalidPrice = errors.New("invalid price")

// Validate reports whether every field is a finite, non-negative number. Check
// user-entered prices with it before passing them to WithOverrides.
func (p Price) Validate() error {
	for _, f := range [...]struct {
		name string
		v    float64
	}{
		{"input", p.Input}, {"output", p.Output}, {"cache_read", p.CacheRead},
		{"cache_write", p.CacheWrite}, {"reasoning", p.Reasoning},
	} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return fmt.Errorf("%w: %s is %v, want a finite number >= 0", ErrInvalidPrice, f.name, f.v)
		}
	}
	return nil
}

// WithDefaults fills the fields a user typically leaves out: a zero CacheRead
// or CacheWrite becomes Input, a zero Reasoning becomes Output (no discount,
// no surcharge). The embedded table never needs it.
func (p Price) WithDefaults() Price {
	if p.CacheRead == 0 {
		p.CacheRead = p.Input
	}
	if p.CacheWrite == 0 {
		p.CacheWrite = p.Input
	}
	if p.Reasoning == 0 {
		p.Reasoning = p.Output
	}
	return p
}

// Tier is a long-context price: it prices a whole call whose input (cached
// tokens included) exceeds AboveInputTokens. The zero Tier means none.
type Tier struct {
	AboveInputTokens int64 `json:"above_input_tokens"`
	Price            Price `json:"price"`
}

// Match is the table entry a model name resolved to.
type Match struct {
	Model       string // the entry's name as listed (or the override's key)
	Provider    string // the entry's provider ("openai", "anthropic", ...); "" for an override
	Price       Price
	LongContext Tier // zero unless the model charges more for long inputs
	Override    bool // the price is a project override, not the table's
}

// Cost prices u at the match's price, or at its long-context price when u's
// input exceeds the tier's threshold.
func (m Match) Cost(u Usage) float64 {
	if m.LongContext.AboveInputTokens > 0 && u.Input > m.LongContext.AboveInputTokens {
		return m.LongContext.Price.Cost(u)
	}
	return m.Price.Cost(u)
}
