package pricing

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestLookup(t *testing.T) {
	tests := []struct {
		model string
		want  string // the entry's name; "" for unknown
	}{
		// Exact, case-insensitive.
		{"gpt-4o", "gpt-4o"},
		{"GPT-4o", "gpt-4o"},
		{" gpt-4o\n", "gpt-4o"},
		{"o1", "o1"},
		{"o1-mini", "o1-mini"},
		{"o3-mini", "o3-mini"},
		{"gpt-4.1-nano", "gpt-4.1-nano"},
		{"gpt-5-nano", "gpt-5-nano"},
		{"claude-haiku-4-5", "claude-haiku-4-5"},
		{"gemini-2.5-flash-lite", "gemini-2.5-flash-lite"},
		{"text-embedding-004", "text-embedding-004"},
		{"text-embedding-ada-002", "text-embedding-ada-002"},
		{"gemini-embedding-001", "gemini-embedding-001"},
		{"mistral-embed", "mistral-embed"},
		{"deepseek-v4-pro", "deepseek-v4-pro"},
		{"grok-3-mini", "grok-3-mini"},
		{"llama-3.1-8b-instant", "llama-3.1-8b-instant"},
		{"gpt-4o-2024-05-13", "gpt-4o-2024-05-13"}, // a snapshot with its own price
		{"chatgpt-4o-latest", "chatgpt-4o-latest"},
		{"gemini-2.5-flash-preview-04-17", "gemini-2.5-flash-preview-04-17"},
		{"claude-3.5-sonnet", "claude-3-5-sonnet"}, // dotted spelling

		// Date and version suffixes, never landing on a different model.
		{"gpt-4o-2024-08-06", "gpt-4o"},
		{"gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
		{"o1-2024-12-17", "o1"},
		{"o1-mini-2024-09-12", "o1-mini"},
		{"o1-preview-2024-09-12", "o1"},
		{"o3-mini-2025-01-31", "o3-mini"},
		{"o4-mini-2025-04-16", "o4-mini"},
		{"gpt-4.1-2025-04-14", "gpt-4.1"},
		{"gpt-4.1-mini-2025-04-14", "gpt-4.1-mini"},
		{"gpt-4.1-nano-2025-04-14", "gpt-4.1-nano"},
		{"gpt-5-2025-08-07", "gpt-5"},
		{"gpt-5-mini-2025-08-07", "gpt-5-mini"},
		{"gpt-5-chat-latest", "gpt-5"},
		{"gpt-4.5-preview-2025-02-27", "gpt-4.5-preview"},
		{"gpt-4-turbo-2024-04-09", "gpt-4-turbo"},
		{"gpt-4-1106-preview", "gpt-4-turbo"}, // not gpt-4
		{"gpt-4-0125-preview", "gpt-4-turbo"},
		{"gpt-4-0613", "gpt-4"},
		{"gpt-4-32k-0613", "gpt-4-32k"},
		{"gpt-3.5-turbo-0125", "gpt-3.5-turbo"},
		{"gpt-3.5-turbo-1106", "gpt-3.5-turbo-1106"},
		{"gpt-3.5-turbo-16k-0613", "gpt-3.5-turbo-16k"},
		{"gpt-3.5-turbo-instruct-0914", "gpt-3.5-turbo-instruct"},
		{"claude-3-5-sonnet-20241022", "claude-3-5-sonnet"},
		{"claude-3-5-sonnet-latest", "claude-3-5-sonnet"},
		{"claude-3-5-haiku-20241022", "claude-3-5-haiku"},
		{"claude-3-7-sonnet-20250219", "claude-3-7-sonnet"},
		{"claude-opus-4-1-20250805", "claude-opus-4-1"}, // not claude-opus-4
		{"claude-opus-4-20250514", "claude-opus-4"},
		{"claude-opus-4-5-20251101", "claude-opus-4-5"},
		{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"},
		{"claude-haiku-4-5-20251001", "claude-haiku-4-5"},
		{"claude-3-opus@20240229", "claude-3-opus"},            // Vertex
		{"claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet"}, // Vertex
		{"claude-sonnet-4-5@20250929", "claude-sonnet-4-5"},
		{"gemini-1.5-pro-002", "gemini-1.5-pro"},
		{"gemini-1.5-pro-latest", "gemini-1.5-pro"},
		{"gemini-1.5-flash-8b-001", "gemini-1.5-flash-8b"}, // not gemini-1.5-flash
		{"gemini-2.0-flash-001", "gemini-2.0-flash"},
		{"gemini-2.0-flash-lite-001", "gemini-2.0-flash-lite"},
		{"gemini-2.5-flash-preview-05-20", "gemini-2.5-flash"},
		{"gemini-2.5-flash-preview-09-2025", "gemini-2.5-flash"},
		{"gemini-2.5-flash-preview-04-17-0613", "gemini-2.5-flash-preview-04-17"},
		{"gpt-4o-2024-05-13-0613", "gpt-4o-2024-05-13"},
		{"gemini-2.5-flash-lite-preview-06-17", "gemini-2.5-flash-lite"},
		{"gemini-2.5-pro-preview-06-05", "gemini-2.5-pro"},
		{"gemini-3-pro-preview", "gemini-3-pro"},
		{"mistral-large-2411", "mistral-large"},
		{"mistral-large-latest", "mistral-large"},
		{"mistral-medium-2505", "mistral-medium"},
		{"mistral-medium-2312", "mistral-medium-2312"},
		{"mistral-small-2506", "mistral-small"},
		{"codestral-2501", "codestral"},
		{"ministral-8b-latest", "ministral-8b"},
		{"ministral-3b-2410", "ministral-3b"},
		{"open-mistral-nemo-2407", "mistral-nemo"},
		{"grok-4-0709", "grok-4"},
		{"grok-4-latest", "grok-4"},
		{"grok-4-fast-reasoning", "grok-4-fast"},
		{"grok-3-beta", "grok-3"},
		{"grok-3-mini-beta", "grok-3-mini"},
		{"grok-2-1212", "grok-2"},
		{"grok-2-vision-1212", "grok-2"},

		// Provider prefixes and resource paths.
		{"openai/gpt-4o", "gpt-4o"},
		{"openai/gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
		{"azure/gpt-4o", "gpt-4o"},
		{"anthropic/claude-3-5-sonnet-20241022", "claude-3-5-sonnet"},
		{"anthropic/claude-3.7-sonnet", "claude-3-7-sonnet"},
		{"anthropic/claude-sonnet-4.5", "claude-sonnet-4-5"},
		{"openrouter/anthropic/claude-opus-4.1", "claude-opus-4-1"},
		{"anthropic.claude-3-5-sonnet-20241022-v2:0", "claude-3-5-sonnet"}, // Bedrock
		{"anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"},
		{"us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"},
		{"eu.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"},
		{"global.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-sonnet-4-5"},
		{"bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"},
		{"arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0", "claude-3-haiku"},
		{"mistral.mistral-large-2407-v1:0", "mistral-large"},
		{"models/gemini-1.5-pro", "gemini-1.5-pro"}, // Gemini API
		{"models/gemini-2.0-flash-001", "gemini-2.0-flash"},
		{"models/text-embedding-004", "text-embedding-004"},
		{"google/gemini-2.5-pro", "gemini-2.5-pro"},
		{"vertex_ai/gemini-2.5-flash", "gemini-2.5-flash"},
		{"projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash-001", "gemini-2.0-flash"},
		{"publishers/anthropic/models/claude-3-5-haiku@20241022", "claude-3-5-haiku"},
		{"x-ai/grok-4", "grok-4"},
		{"xai/grok-3-mini", "grok-3-mini"},
		{"mistralai/mistral-large-latest", "mistral-large"},
		{"deepseek/deepseek-v4-flash", "deepseek-flash"}, // a legacy name, billed as Flash
		{"groq/llama-3.3-70b-versatile", "llama-3.3-70b-versatile"},
		{"meta-llama/llama-3.1-8b-instant", "llama-3.1-8b-instant"}, // stripped: no exact entry
		{"meta-llama/Llama-3.3-70B-Instruct-Turbo", "meta-llama/Llama-3.3-70B-Instruct-Turbo"},
		{"together_ai/meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo", "meta-llama/Meta-Llama-3.1-405B-Instruct-Turbo"},
		{"meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8", "meta-llama/Llama-4-Maverick-17B-128E-Instruct-FP8"},
		{"meta-llama/llama-4-maverick-17b-128e-instruct", "meta-llama/llama-4-maverick-17b-128e-instruct"},
		{"accounts/fireworks/models/llama-v3p3-70b-instruct", "accounts/fireworks/models/llama-v3p3-70b-instruct"},
		{"fireworks_ai/accounts/fireworks/models/llama-v3p1-405b-instruct", "accounts/fireworks/models/llama-v3p1-405b-instruct"},

		// Unknown: unpriced, never free, never a near miss.
		{"", ""},
		{"   ", ""},
		{"my-custom-model", ""},
		{"gpt", ""},
		{"claude", ""},
		{"latest", ""},
		{"-latest", ""},
		{"ft:gpt-4o-mini-2024-07-18:acme::abc123", ""},
		{"gpt-4o-audio-preview-2024-12-17", ""},
		{"gpt-4o-mini-realtime-preview", ""},
		{"gpt-4o-mini-search-preview", ""},
		{"gemini-2.0-flash-exp", ""},
		{"gemini-exp-1206", ""},
		{"text-embedding-005", ""},
		{"llama3.1:8b", ""},
		{"meta-llama/Llama-3.3-70B-Instruct-Turbo-Free", ""},
		{"openai/", ""},
		{"/", ""},
		{strings.Repeat("a/", 300) + "gpt-4o", ""}, // longer than any real name
	}
	table := Default()
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			for range 2 { // the second time from the cache
				p, matched, ok := table.Lookup(tt.model)
				if matched != tt.want || ok != (tt.want != "") {
					t.Fatalf("Lookup(%q) = %q, %v; want %q", tt.model, matched, ok, tt.want)
				}
				if !ok && p != (Price{}) {
					t.Fatalf("Lookup(%q) found nothing but returned %+v", tt.model, p)
				}
			}
		})
	}
}

func TestFindProviderHint(t *testing.T) {
	const (
		groqScout     = "meta-llama/llama-4-scout-17b-16e-instruct"
		togetherScout = "meta-llama/Llama-4-Scout-17B-16E-Instruct"
	)
	tests := []struct {
		provider, model string
		want            string // provider of the match
		wantModel       string
	}{
		// Groq and Together list the same name (case aside) at different prices.
		{"groq", togetherScout, "groq", groqScout},
		{"together", groqScout, "together", togetherScout},
		{"together_ai", groqScout, "together", togetherScout},
		{"", groqScout, "groq", groqScout},             // as written
		{"", togetherScout, "together", togetherScout}, // as written
		{"", strings.ToUpper(groqScout), "groq", groqScout},
		{"", "together/" + groqScout, "together", togetherScout}, // hint from the path
		{"", "groq/" + togetherScout, "groq", groqScout},
		// A hint that does not fit the model is ignored.
		{"openai", "claude-3-5-haiku-20241022", "anthropic", "claude-3-5-haiku"},
		{"openai", "llama-3.3-70b-versatile", "groq", "llama-3.3-70b-versatile"},
		{"aws.bedrock", "anthropic.claude-3-opus-20240229-v1:0", "anthropic", "claude-3-opus"},
		{"gcp.vertex_ai", "claude-3-opus@20240229", "anthropic", "claude-3-opus"},
		{"gcp.gemini", "gemini-2.5-pro", "google", "gemini-2.5-pro"},
		{"no-such-provider", "gpt-4o", "openai", "gpt-4o"},
		{"OpenAI", "gpt-4o", "openai", "gpt-4o"},
	}
	for _, tt := range tests {
		t.Run(tt.provider+"|"+tt.model, func(t *testing.T) {
			m, ok := Default().Find(tt.provider, tt.model)
			if !ok || m.Provider != tt.want || m.Model != tt.wantModel {
				t.Errorf("Find(%q, %q) = %s/%s, %v; want %s/%s", tt.provider, tt.model, m.Provider, m.Model, ok, tt.want, tt.wantModel)
			}
		})
	}
}

// TestEveryEntryFoundUnderEveryDecoration checks the stripping rules against
// the whole table: with its provider known, every name and alias is found
// under each decoration SDKs and gateways add, and resolves to its own entry,
// not a neighbour's. Without a provider, so is every name no other provider
// lists.
func TestEveryEntryFoundUnderEveryDecoration(t *testing.T) {
	table := Default()
	owners := map[string]int{}
	for _, e := range table.Entries() {
		for _, name := range append([]string{e.Model}, e.Aliases...) {
			owners[normalize(strings.ToLower(name))]++
		}
	}
	for _, e := range table.Entries() {
		for _, name := range append([]string{e.Model}, e.Aliases...) {
			for _, decorated := range []string{
				name,
				strings.ToUpper(name),
				name + "-latest",
				name + "-preview",
				name + "-2099-12-31",
				name + "-20991231",
				name + "-9912",
				name + "-001",
				name + "@20991231",
				name + "-20991231-v2:0",
				e.Provider + "/" + name,
				"openrouter/" + e.Provider + "/" + name + "-2099-12-31",
				"models/" + name,
			} {
				m, ok := table.Find(e.Provider, decorated)
				if !ok || m.Model != e.Model || m.Provider != e.Provider {
					t.Errorf("Find(%q, %q) = %s/%s, %v; want %s/%s", e.Provider, decorated, m.Provider, m.Model, ok, e.Provider, e.Model)
				}
				if owners[normalize(strings.ToLower(name))] > 1 {
					continue
				}
				if _, matched, ok := table.Lookup(decorated); !ok || matched != e.Model {
					t.Errorf("Lookup(%q) = %q, %v; want %q", decorated, matched, ok, e.Model)
				}
			}
		}
	}
}

func TestWithOverrides(t *testing.T) {
	base := Default()
	mine := Price{Input: 1e-6, Output: 2e-6, CacheRead: 0.5e-6, CacheWrite: 1e-6, Reasoning: 2e-6}
	custom := Price{Input: 3e-6, Output: 3e-6, CacheRead: 3e-6, CacheWrite: 3e-6, Reasoning: 3e-6}
	table := base.WithOverrides(map[string]Price{"gpt-4o": mine, "acme-llm": custom})

	tests := []struct {
		provider, model string
		want            Price
		wantModel       string
		wantOverride    bool
	}{
		{"", "gpt-4o", mine, "gpt-4o", true},
		{"", "GPT-4o-2024-08-06", mine, "gpt-4o", true},
		{"", "openai/gpt-4o", mine, "gpt-4o", true},
		{"openai", "azure/gpt-4o-2024-11-20", mine, "gpt-4o", true},
		// An override takes precedence over a more specific table entry too.
		{"", "gpt-4o-2024-05-13", mine, "gpt-4o", true},
		// Stripping never widens an override to a different model.
		{"", "gpt-4o-mini", mustPrice(t, base, "gpt-4o-mini"), "gpt-4o-mini", false},
		{"", "acme-llm", custom, "acme-llm", true},
		{"", "acme-llm-latest", custom, "acme-llm", true},
		{"", "vendor/acme-llm-2025-01-01", custom, "acme-llm", true},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			m, ok := table.Find(tt.provider, tt.model)
			if !ok || m.Price != tt.want || m.Model != tt.wantModel || m.Override != tt.wantOverride {
				t.Errorf("Find(%q, %q) = %+v, %v; want %s at %+v (override %v)", tt.provider, tt.model, m, ok, tt.wantModel, tt.want, tt.wantOverride)
			}
		})
	}

	if _, _, ok := base.Lookup("acme-llm"); ok {
		t.Error("WithOverrides changed the table it was called on")
	}
	if p := mustPrice(t, base, "gpt-4o"); p == mine {
		t.Error("WithOverrides changed the table it was called on")
	}
	if table.Version() != base.Version() || table.Date() != base.Date() {
		t.Error("an overridden table lost the table's version or date")
	}

	// Overrides of overrides: the newer price wins, the others stay.
	newer := Price{Input: 9e-6, Output: 9e-6, CacheRead: 9e-6, CacheWrite: 9e-6, Reasoning: 9e-6}
	again := table.WithOverrides(map[string]Price{"gpt-4o": newer})
	if p := mustPrice(t, again, "gpt-4o"); p != newer {
		t.Errorf("second override: gpt-4o = %+v, want %+v", p, newer)
	}
	if p := mustPrice(t, again, "acme-llm"); p != custom {
		t.Errorf("second override lost acme-llm: %+v", p)
	}
	if p := mustPrice(t, table, "gpt-4o"); p != mine {
		t.Errorf("second override changed the first table: %+v", p)
	}
	if base.WithOverrides(nil) != base {
		t.Error("WithOverrides(nil) should return the table itself")
	}

	var listed []string
	for _, e := range again.Entries() {
		if e.Override {
			listed = append(listed, fmt.Sprintf("%s=%g", e.Model, e.Price.Input))
		}
	}
	if got, want := strings.Join(listed, " "), "acme-llm=3e-06 gpt-4o=9e-06"; got != want {
		t.Errorf("Entries overrides = %q, want %q", got, want)
	}
}

func mustPrice(t *testing.T, table *Table, model string) Price {
	t.Helper()
	p, _, ok := table.Lookup(model)
	if !ok {
		t.Fatalf("Lookup(%q) found nothing", model)
	}
	return p
}

func TestLookupCacheIsBounded(t *testing.T) {
	table, err := Parse(embedded) // a fresh table, with a fresh cache
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 * maxCached {
		if _, _, ok := table.Lookup(fmt.Sprintf("no-such-model-%d", i)); ok {
			t.Fatalf("no-such-model-%d found", i)
		}
	}
	if n := table.cache.Load().n.Load(); n >= maxCached {
		t.Errorf("cache holds %d names, want < %d", n, maxCached)
	}
	if _, matched, ok := table.Lookup("gpt-4o-2024-08-06"); !ok || matched != "gpt-4o" {
		t.Errorf("after filling the cache: Lookup = %q, %v", matched, ok)
	}
}

func TestLookupConcurrent(t *testing.T) {
	table := Default().WithOverrides(map[string]Price{"acme-llm": {Input: 1e-6, Output: 1e-6}})
	names := []string{"gpt-4o", "gpt-4o-mini-2024-07-18", "claude-3-opus@20240229", "acme-llm", "unknown-model"}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				name := names[(g+i)%len(names)]
				if i%7 == 0 {
					name = fmt.Sprintf("%s-%d", name, i) // misses, filling the cache
				}
				table.Find("openai", name)
				table.Lookup(name)
			}
		})
	}
	wg.Wait()
}
