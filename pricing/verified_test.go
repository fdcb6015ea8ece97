package pricing

import (
	"math"
	"testing"
)

// TestVerifiedPrices pins figures checked against a provider's page on
// 2026-11-26 (the page is named in each group's comment), so that a mistyped
// price in prices.json fails here rather than on someone's invoice. Prices are
// USD per 1M tokens, as the pages list them; the table holds USD per token.
// Third-party-sourced figures are pinned too, marked as such.
func TestVerifiedPrices(t *testing.T) {
	tests := []struct {
		provider, model                      string // as an SDK reports them; dated names resolve to their entry
		input, output, cacheRead, cacheWrite float64
	}{
		// platform.claude.com/docs/en/about-claude/pricing (model table: base input,
		// 5m cache writes, cache hits, output) and models/*/overview pages.
		{"anthropic", "claude-opus-4-5-20251101", 5, 25, 0.50, 6.25},
		{"anthropic", "claude-opus-4-6", 5, 25, 0.50, 6.25},
		{"aws.bedrock", "us.anthropic.claude-opus-4-6-v1", 5, 25, 0.50, 6.25}, // Bedrock ID, AWS model card
		{"anthropic", "claude-opus-4-8", 5, 25, 0.50, 6.25},
		{"anthropic", "claude-opus-4-1-20250805", 15, 75, 1.50, 18.75},
		{"anthropic", "claude-sonnet-4-6", 3, 15, 0.30, 3.75},
		{"anthropic", "claude-sonnet-4-5-20250929", 3, 15, 0.30, 3.75},
		{"anthropic", "claude-haiku-4-5-20251001", 1, 5, 0.10, 1.25},
		{"anthropic", "claude-3-5-haiku-20241022", 0.80, 4, 0.08, 1},
		{"anthropic", "claude-3-haiku-20240307", 0.25, 1.25, 0.03, 0.30},
		{"anthropic", "claude-sonnet-5", 2, 10, 0.20, 2.50},
		{"anthropic", "claude-opus-5", 5, 25, 0.50, 6.25},
		// models/haiku-5-5/overview: prompts up to 100,000 tokens (cache read third-party).
		{"anthropic", "claude-haiku-5-5", 0.10, 0.50, 0.01, 0.125},
		// Third-party: Opus/Sonnet 5.5 cache prices (claudit, PromptFuel, synaps).
		{"anthropic", "claude-opus-5-5", 4, 20, 0.20, 5},
		{"anthropic", "claude-sonnet-5-5", 2, 10, 0.10, 2.50},

		// developers.openai.com/api/docs/models/<model> (text tokens: input,
		// cached input, output; no charge for cache writes before GPT-5.6).
		{"openai", "gpt-5-nano-2025-08-07", 0.05, 0.40, 0.005, 0.05},
		{"openai", "gpt-5-codex", 1.25, 10, 0.125, 1.25},
		{"openai", "gpt-5.4-nano-2026-03-17", 0.20, 1.25, 0.02, 0.20},
		{"openai", "gpt-5.6-terra", 2, 12, 0.20, 2.50}, // cache writes 1.25x input
		{"openai", "gpt-4-0613", 30, 60, 30, 30},
		{"openai", "gpt-3.5-turbo-0125", 0.50, 1.50, 0.50, 0.50},
		// Third-party transcriptions of developers.openai.com/api/docs/pricing.
		{"openai", "gpt-5.5", 5, 30, 0.50, 5},
		{"openai", "gpt-5.4", 2.50, 15, 0.25, 2.50},
		{"openai", "gpt-5.4-mini", 0.75, 4.50, 0.075, 0.75},
		{"openai", "gpt-5.2-chat-latest", 1.75, 14, 0.175, 1.75},

		// api-docs.deepseek.com/quick_start/pricing, peak rates (off-peak is half).
		{"deepseek", "deepseek-flash", 0.30, 1.20, 0.006, 0.30},
		{"deepseek", "deepseek-v4-flash", 0.30, 1.20, 0.006, 0.30}, // legacy name, billed as Flash
		{"deepseek", "deepseek-v4-pro", 1.32, 3.96, 0.044, 1.32},

		// ai.google.dev/gemini-api/docs/pricing as transcribed verbatim by
		// api-evangelist on 2026-10-07 (cached input third-party).
		{"gcp.gemini", "gemini-3.5-flash", 1.50, 9, 0.15, 1.50},
		{"gcp.gemini", "gemini-3.1-pro-preview", 2, 12, 0.20, 2},
		{"gcp.gemini", "gemini-2.5-pro", 1.25, 10, 0.125, 1.25},

		// Third-party only.
		{"xai", "grok-4.3", 1.25, 2.50, 0.20, 1.25},
		{"groq", "openai/gpt-oss-120b", 0.15, 0.60, 0.15, 0.15},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m, ok := Default().Find(tt.provider, tt.model)
			if !ok {
				t.Fatalf("Find(%q, %q) found nothing", tt.provider, tt.model)
			}
			want := Price{Input: tt.input / 1e6, Output: tt.output / 1e6, CacheRead: tt.cacheRead / 1e6, CacheWrite: tt.cacheWrite / 1e6}
			got := m.Price
			got.Reasoning = 0
			if !near(got.Input, want.Input) || !near(got.Output, want.Output) ||
				!near(got.CacheRead, want.CacheRead) || !near(got.CacheWrite, want.CacheWrite) {
				t.Errorf("%s (%s) = %+v per 1M, want %+v", tt.model, m.Model, perM(got), perM(want))
			}
			if !near(m.Price.Reasoning, m.Price.Output) {
				t.Errorf("%s: reasoning %g, want the output price %g", tt.model, m.Price.Reasoning, m.Price.Output)
			}
		})
	}
}

// TestVerifiedLongContext pins the long-context tiers checked on the same
// pages: the threshold and the tier's prices per 1M tokens.
func TestVerifiedLongContext(t *testing.T) {
	tests := []struct {
		provider, model                      string
		above                                int64
		input, output, cacheRead, cacheWrite float64
	}{
		// models/haiku-5-5/overview: prompts over 100,000 tokens (cache read third-party).
		{"anthropic", "claude-haiku-5-5", 100_000, 0.50, 2.50, 0.05, 0.625},
		// developers.openai.com/api/docs/models/gpt-5.6-terra: over 272K input,
		// 2x input and 1.5x output for the whole request.
		{"openai", "gpt-5.6-terra", 272_000, 4, 18, 0.40, 5},
		// Third-party transcriptions of OpenAI's pricing page.
		{"openai", "gpt-5.5", 272_000, 10, 45, 1, 10},
		{"openai", "gpt-5.4", 272_000, 5, 22.50, 0.50, 5},
		// Gemini pricing page (api-evangelist transcription, 2026-10-07): prompts > 200k.
		{"google", "gemini-3.1-pro", 200_000, 4, 18, 0.40, 4},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m, ok := Default().Find(tt.provider, tt.model)
			if !ok {
				t.Fatalf("Find(%q, %q) found nothing", tt.provider, tt.model)
			}
			lc := m.LongContext
			want := Price{Input: tt.input / 1e6, Output: tt.output / 1e6, CacheRead: tt.cacheRead / 1e6, CacheWrite: tt.cacheWrite / 1e6, Reasoning: tt.output / 1e6}
			if lc.AboveInputTokens != tt.above || !near(lc.Price.Input, want.Input) || !near(lc.Price.Output, want.Output) ||
				!near(lc.Price.CacheRead, want.CacheRead) || !near(lc.Price.CacheWrite, want.CacheWrite) || !near(lc.Price.Reasoning, want.Reasoning) {
				t.Errorf("%s long context = above %d at %+v per 1M, want above %d at %+v", tt.model, lc.AboveInputTokens, perM(lc.Price), tt.above, perM(want))
			}
			// One token over the threshold prices the whole call at the tier.
			u := Usage{Input: tt.above + 1, Output: 1000}
			if got, wantCost := m.Cost(u), lc.Price.Cost(u); got != wantCost {
				t.Errorf("Cost(%+v) = %g, want the long-context %g", u, got, wantCost)
			}
		})
	}
}

// perM shows a per-token price per 1M tokens, as the pages list it.
func perM(p Price) Price {
	f := func(v float64) float64 { return math.Round(v*1e6*1e9) / 1e9 }
	return Price{Input: f(p.Input), Output: f(p.Output), CacheRead: f(p.CacheRead), CacheWrite: f(p.CacheWrite), Reasoning: f(p.Reasoning)}
}
