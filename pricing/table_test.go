package pricing

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

func TestEmbeddedTable(t *testing.T) {
	table, err := Parse(embedded)
	if err != nil {
		t.Fatalf("embedded prices.json: %v", err)
	}
	if table.Version() == "" || table.Note() == "" {
		t.Errorf("version %q, note %q: both must be set", table.Version(), table.Note())
	}
	if _, err := time.Parse(time.DateOnly, table.Date()); err != nil {
		t.Errorf("date %q is not YYYY-MM-DD: %v", table.Date(), err)
	}
	if !strings.HasPrefix(table.Version(), table.Date()) {
		t.Errorf("version %q does not start with the date %q", table.Version(), table.Date())
	}
	for provider, url := range table.Sources() {
		if !strings.HasPrefix(url, "https://") {
			t.Errorf("source of %s is %q, want an https URL", provider, url)
		}
	}

	entries := table.Entries()
	if len(entries) < 50 {
		t.Errorf("the table lists %d models, want the catalogue", len(entries))
	}
	for _, e := range entries {
		p := e.Price
		embedding := strings.Contains(e.Model, "embed")
		switch {
		case !(p.Input > 0):
			t.Errorf("%s: input %g, want > 0", e.Model, p.Input)
		case p.Output < 0 || (p.Output == 0 && !embedding):
			t.Errorf("%s: output %g, want > 0 (0 only for embeddings)", e.Model, p.Output)
		case !(p.CacheRead > 0) || p.CacheRead > p.Input:
			t.Errorf("%s: cache_read %g, want in (0, input]", e.Model, p.CacheRead)
		case !(p.CacheWrite > 0):
			t.Errorf("%s: cache_write %g, want > 0", e.Model, p.CacheWrite)
		case p.Reasoning < p.Output && !embedding:
			t.Errorf("%s: reasoning %g below output %g", e.Model, p.Reasoning, p.Output)
		case e.Source == "":
			t.Errorf("%s: no source", e.Model)
		}
		// Anthropic: 5-minute cache writes at 1.25x input, cache reads at
		// 0.1x input or less (0.05x on the 5.5 models), wherever the model
		// has prompt caching. Claude 3 Haiku's published cache prices are
		// rounded ($0.30 / $0.03); TestVerifiedPrices pins them.
		if e.Provider == "anthropic" && p.CacheRead < p.Input && e.Model != "claude-3-haiku" {
			for _, p := range []Price{p, e.LongContext.Price} {
				if p == (Price{}) {
					continue
				}
				if !near(p.CacheWrite, 1.25*p.Input) || p.CacheRead > 0.1*p.Input*(1+1e-9) {
					t.Errorf("%s: cache write %g / read %g, want 1.25x / at most 0.1x input %g", e.Model, p.CacheWrite, p.CacheRead, p.Input)
				}
			}
		}
		if lc := e.LongContext; lc != (Tier{}) && !(lc.Price.Input > p.Input) {
			t.Errorf("%s: long-context input %g not above %g", e.Model, lc.Price.Input, p.Input)
		}
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Abs(b) }

// TestCatalogue lists the models the table must price (issue: "cover at
// least"), by the name their provider's API reports.
func TestCatalogue(t *testing.T) {
	for _, model := range []string{
		"gpt-5.6-terra", "gpt-5.5", "gpt-5.5-pro", "gpt-5.4", "gpt-5.4-mini", "gpt-5.4-nano", "gpt-5.4-pro",
		"gpt-5.3-codex", "gpt-5.2", "gpt-5.2-pro", "gpt-5.1", "gpt-5.1-codex-mini",
		"gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
		"gpt-4o", "gpt-4o-mini", "o1", "o1-mini", "o3", "o3-mini", "o4-mini",
		"gpt-4-turbo", "gpt-4", "gpt-3.5-turbo",
		"text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002",
		"claude-opus-5-5", "claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-5", "claude-sonnet-5",
		"claude-opus-4-8", "claude-opus-4-7", "claude-opus-4-6", "claude-sonnet-4-6",
		"claude-opus-4-5", "claude-opus-4-1", "claude-opus-4-0", "claude-sonnet-4-5", "claude-sonnet-4-0",
		"claude-haiku-4-5", "claude-3-7-sonnet-latest", "claude-3-5-sonnet-latest", "claude-3-5-haiku-latest",
		"claude-3-opus-latest", "claude-3-haiku-20240307",
		"gemini-3.8-flash", "gemini-3.5-flash", "gemini-3.5-flash-lite", "gemini-3.1-pro-preview",
		"gemini-3.1-flash-lite-preview", "gemini-3-pro-preview", "gemini-3-flash-preview",
		"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash",
		"gemini-1.5-pro", "gemini-1.5-flash", "gemini-embedding-001", "text-embedding-004",
		"mistral-large-latest", "mistral-medium-latest", "mistral-small-latest", "codestral-latest",
		"ministral-8b-latest", "ministral-3b-latest", "open-mistral-nemo", "mistral-embed",
		"deepseek-flash", "deepseek-v4-flash", "deepseek-v4-pro",
		"grok-4", "grok-4.3", "grok-4-1-fast-reasoning", "grok-3", "grok-3-mini", "grok-2",
		"llama-3.3-70b-versatile", "llama-3.1-8b-instant", "openai/gpt-oss-120b",
		"meta-llama/Llama-3.3-70B-Instruct-Turbo",
		"meta-llama/llama-4-scout-17b-16e-instruct", "meta-llama/llama-4-maverick-17b-128e-instruct",
		"meta-llama/Llama-4-Scout-17B-16E-Instruct", "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8",
		"meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo",
	} {
		if _, _, ok := Default().Lookup(model); !ok {
			t.Errorf("%s is not priced", model)
		}
	}
}

func TestParseRejects(t *testing.T) {
	const header = `"version": "v1", "date": "2025-01-01", "unit": "USD per 1M tokens", "note": "n", "sources": {"acme": "https://acme.example/pricing"}`
	const ok = `{"provider": "acme", "model": "m", "input": 1, "output": 2, "cache_read": 1, "cache_write": 1, "reasoning": 2}`
	if _, err := Parse([]byte(`{` + header + `, "models": [` + ok + `]}`)); err != nil {
		t.Fatalf("valid table: %v", err)
	}
	tests := map[string]string{
		"not json":          `{`,
		"no version":        `{"date": "2025-01-01", "unit": "USD per 1M tokens", "models": [` + ok + `]}`,
		"wrong unit":        `{"version": "v1", "date": "2025-01-01", "unit": "USD per token", "models": [` + ok + `]}`,
		"no models":         `{` + header + `, "models": []}`,
		"unknown field":     `{` + header + `, "models": [{"provider": "acme", "model": "m", "input": 1, "output": 2, "cache_read": 1, "cache_write": 1, "reasoning": 2, "cached": 1}]}`,
		"missing price":     `{` + header + `, "models": [{"provider": "acme", "model": "m", "input": 1, "output": 2, "cache_read": 1, "reasoning": 2}]}`,
		"negative price":    `{` + header + `, "models": [{"provider": "acme", "model": "m", "input": 1, "output": -2, "cache_read": 1, "cache_write": 1, "reasoning": 2}]}`,
		"zero input":        `{` + header + `, "models": [{"provider": "acme", "model": "m", "input": 0, "output": 2, "cache_read": 0, "cache_write": 0, "reasoning": 2}]}`,
		"no source":         `{` + header + `, "models": [{"provider": "other", "model": "m", "input": 1, "output": 2, "cache_read": 1, "cache_write": 1, "reasoning": 2}]}`,
		"listed twice":      `{` + header + `, "models": [` + ok + `, ` + strings.Replace(ok, `"M"`, `"m"`, 1) + `]}`,
		"twice, by case":    `{` + header + `, "models": [` + ok + `, ` + strings.Replace(ok, `"m"`, `"M"`, 1) + `]}`,
		"bad long context":  `{` + header + `, "models": [{"provider": "acme", "model": "m", "input": 1, "output": 2, "cache_read": 1, "cache_write": 1, "reasoning": 2, "long_context": {"above_input_tokens": 0, "input": 2, "output": 4, "cache_read": 2, "cache_write": 2, "reasoning": 4}}]}`,
		"upper-case vendor": `{` + header + `, "models": [{"provider": "Acme", "model": "m", "input": 1, "output": 2, "cache_read": 1, "cache_write": 1, "reasoning": 2}]}`,
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(data)); err == nil {
				t.Errorf("Parse accepted %s", data)
			}
		})
	}
}

func TestPerToken(t *testing.T) {
	// The file's per-1M prices become exactly the per-token literals a reader
	// would write, not a division's neighbour.
	for in, want := range map[string]float64{"0.34": 0.34e-6, "2.5": 2.5e-6, "0.0375": 0.0375e-6, "15": 15e-6, "1e-3": 1e-9} {
		if got, err := perToken(json.Number(in)); err != nil || got != want {
			t.Errorf("perToken(%s) = %v, %v; want %v", in, got, err, want)
		}
	}
}
