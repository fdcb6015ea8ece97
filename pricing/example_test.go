package pricing_test

import (
	"fmt"

	"github.com/agentops-go/agentops/pricing"
)

func ExampleTable_Lookup() {
	price, matched, ok := pricing.Default().Lookup("openai/gpt-4o-2024-08-06")
	if !ok {
		fmt.Println("unpriced") // record the call as unpriced, never as $0
		return
	}
	// 2,000 input tokens of which 1,500 were read from the prompt cache,
	// 300 output tokens.
	cost := price.Cost(pricing.Usage{Input: 2000, CacheRead: 1500, Output: 300})
	fmt.Printf("%s: $%.6f\n", matched, cost)
	// Output: gpt-4o: $0.006125
}

func ExampleTable_Find() {
	// On ingest: the span's gen_ai.system as the provider hint, its model, its
	// usage. Match.Cost applies long-context prices (Gemini 2.5 Pro above 200k
	// input tokens).
	m, ok := pricing.Default().Find("gcp.vertex_ai", "gemini-2.5-pro")
	if !ok {
		return
	}
	fmt.Printf("%s/%s: $%.4f\n", m.Provider, m.Model, m.Cost(pricing.Usage{Input: 300_000, Output: 2000}))
	// Output: google/gemini-2.5-pro: $0.7800
}

func ExampleTable_WithOverrides() {
	// A project's negotiated price (`agentops prices set`) wins over the table,
	// under every name that resolves to it.
	table := pricing.Default().WithOverrides(map[string]pricing.Price{
		"claude-sonnet-4-5": pricing.Price{Input: 2e-6, Output: 10e-6}.WithDefaults(),
	})
	p, matched, _ := table.Lookup("us.anthropic.claude-sonnet-4-5-20250929-v1:0")
	fmt.Println(matched, p.Cost(pricing.Usage{Input: 1000, Output: 100}))
	// Output: claude-sonnet-4-5 0.003
}
