// Package pricing prices LLM calls from an embedded, versioned table of model
// prices. It is a leaf package (standard library only) shared by the SDK and
// the server.
//
// # The table
//
// prices.json, embedded at build time, lists per provider and model the USD
// price of input, output, cache-read, cache-write and reasoning tokens (the
// file says "per 1M tokens", as the providers publish them; Price holds USD
// per token), with the table's version, the date the prices reflect, a note on
// how they were compiled and each provider's pricing page. Every price is
// explicit: a model without a caching discount lists its input price as
// cache_read, a model without separate thinking pricing lists its output price
// as reasoning. Default returns it; Parse reads another file of the same shape;
// WithOverrides layers a project's own prices (`agentops prices set`) on top.
//
// # Lookup
//
// Find, and Lookup without a provider, resolve the model names SDKs and
// gateways report, trying the most specific candidate first:
//
//   - the name as given (case-sensitively, then case-insensitively);
//   - without leading path segments ("openai/gpt-4o", "models/gemini-1.5-pro",
//     "together_ai/meta-llama/...", Vertex and Bedrock resource paths) and
//     Bedrock's region and vendor prefixes ("us.anthropic.claude-...");
//   - without version suffixes, one at a time: Vertex "@20240229", Bedrock
//     "-v2:0", "-latest", "-preview", "-beta", and dates and snapshot numbers
//     ("-2024-08-06", "-20241022", "-05-20", "-09-2025", "-0613", "-2411",
//     "-001").
//
// Only those tokens are ever removed, never a word that names a variant, so a
// name resolves to its own model, not a neighbour: "gpt-4o-mini-2024-07-18" is
// gpt-4o-mini, never gpt-4o; "o1-mini" is never o1. A dated snapshot is priced
// as its model unless the table lists it, as it does where the prices differ
// ("gpt-4o-2024-05-13"; "gpt-4-1106-preview" is GPT-4 Turbo, not GPT-4); the
// longer name is always tried first. A name the table does not know,
// fine-tuned models ("ft:...") included, is not found: the caller records the
// call as unpriced, never as free.
//
// A provider hint (Find's first argument, or a leading path segment naming a
// provider) picks that provider's entry where two providers serve a model
// under the same name (Groq's and Together's Llama 4 Scout) and is ignored
// otherwise, so a wrong or unknown provider never prevents a match.
//
// Lookups are cached per table, so a repeated name costs one map read; the
// cache is bounded and reset when full, so arbitrary names cannot grow it.
//
// # Cost
//
// Usage follows the OpenTelemetry GenAI convention: Input includes the
// cache-read and cache-write tokens, Output includes the reasoning tokens.
// Cost prices every token once: uncached input at Input, cache reads at
// CacheRead, cache writes at CacheWrite, the rest of the output at Output and
// reasoning at Reasoning. Inconsistent counts are clamped (cached tokens to
// the input, reasoning to the output, negatives to zero), so a cost is never
// negative. Match.Cost also applies a model's long-context tier (Gemini Pro
// above 200k input tokens, for instance); Price.Cost prices one tier.
package pricing
