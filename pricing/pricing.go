// Package pricing prices LLM calls from an embedded, versioned table of model
// prices (prices.json: per-token USD for input, output, cache read, cache
// write and reasoning, with its source and date). It is a leaf package shared
// by the SDK and the server.
package pricing

// Price is a model's price in USD per token. Zero CacheRead / CacheWrite /
// Reasoning mean "same as Input / Input / Output" is NOT assumed: the table
// fills them explicitly (see Table.Lookup).
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
func (p Price) Cost(u Usage) float64 { panic("TODO") }

// Table is an immutable set of model prices.
type Table struct{}

// Default returns the embedded table.
func Default() *Table { panic("TODO") }

// Version is the table's version string (e.g. "2025-06-01.1").
func (t *Table) Version() string { panic("TODO") }

// Lookup finds a model's price: exact name first, then with provider prefixes
// ("openai/", "anthropic.", "models/") and date/version suffixes
// ("-2024-08-06", "-20241022", "@20240229", "-v1:0", "-latest") stripped.
// It returns the table entry's name and false for an unknown model.
func (t *Table) Lookup(model string) (p Price, matched string, ok bool) { panic("TODO") }

// WithOverrides returns a table where the given prices (by exact model name,
// also matched with the same prefix/suffix stripping) take precedence.
func (t *Table) WithOverrides(overrides map[string]Price) *Table { panic("TODO") }
