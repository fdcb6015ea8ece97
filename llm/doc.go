// Package llm records LLM API calls made over HTTP as OpenTelemetry spans.
//
// Transport wraps an http.RoundTripper. Every LLM client library accepts an
// *http.Client, so one wrapped transport instruments them all:
//
//	client := &http.Client{Transport: llm.Transport(http.DefaultTransport)}
//
// For each recognised call the transport starts one span of kind
// agentops.span.kind=llm, a child of the span in the request's context, and
// records provider, operation, models, response id, sampling parameters,
// prompt and completion messages (gen_ai.prompt.N.*, gen_ai.completion.N.*),
// token usage under both the current OpenTelemetry GenAI names and the older
// names the AgentOps server reads, and the cost from package pricing (omitted
// when the model is not in the price table). HTTP 4xx/5xx answers and
// transport errors give the span an error status.
//
// Recognised calls, by method and path (a call whose body names no model is
// not recognised):
//
//   - OpenAI Chat Completions: POST .../chat/completions (operation chat)
//   - OpenAI Responses: POST .../responses (chat)
//   - OpenAI legacy Completions: POST .../completions (text_completion)
//   - OpenAI Embeddings: POST .../embeddings (embeddings; the number of
//     inputs is recorded, never the inputs or the vectors)
//   - Azure OpenAI: the above under /openai/deployments/{deployment}/ (the
//     deployment is the request model when the body names none) or /openai/v1/
//   - Anthropic Messages: POST .../v1/messages (chat);
//     .../v1/messages/count_tokens is not a call and passes through; Claude on
//     Vertex AI: POST .../publishers/anthropic/models/{model}:rawPredict and
//     :streamRawPredict
//   - Google Gemini and Vertex AI: POST .../models/{model}:generateContent and
//     :streamGenerateContent (generate_content; the model is the path's)
//   - Ollama's native API: POST .../api/chat (chat) and .../api/generate
//     (text_completion), on port 11434 or a host named "ollama" by
//     WithHostProvider or WithProvider
//
// The OpenAI-shaped APIs are recognised at any base URL, so every
// OpenAI-compatible server is covered. The provider (gen_ai.provider.name) is
// named from the host: api.openai.com openai, *.openai.azure.com
// azure.ai.openai, api.anthropic.com anthropic,
// generativelanguage.googleapis.com gcp.gemini, *aiplatform.googleapis.com
// gcp.vertex_ai, api.groq.com groq, api.mistral.ai mistral_ai,
// api.deepseek.com deepseek, api.x.ai x_ai, api.together.xyz together,
// openrouter.ai openrouter, port 11434 ollama (providers.go has the table).
// WithHostProvider names another host's (a vLLM box: ProviderVLLM) and
// WithProvider forces one; an unknown host is recorded as the provider whose
// API it speaks. Cost is looked up with that provider and the response model
// (else the request model), so a model in the price table is priced
// whichever host served it ("openai/gpt-4o" on OpenRouter, a Vertex AI
// "gemini-2.0-flash-001"), and a model not in it gets no cost, never zero.
//
// Besides temperature, max tokens and top_p, a call records its stop
// sequences, top_k, seed, penalties and choice count where the API has them,
// its tool definitions (gen_ai.tool.definitions: one JSON list of type, name,
// description and parameter schema, capped at WithMaxContentBytes by dropping
// schemas first, recorded even without content capture), and the response
// format it asked for (gen_ai.output.type "json" or "text", plus
// gen_ai.request.response_format: json_object, json_schema with its name in
// gen_ai.request.response_schema.name, or Gemini's responseMimeType). The span
// is named "{operation} {model}".
//
// Everything else passes through untouched and unrecorded, and so, for now,
// do streaming requests ("stream": true): they are not yet recorded.
//
// The caller sees exactly the response or error it would have seen without
// the transport. The request is cloned, never mutated; its body is read once
// and the clone's Body and GetBody replay the same bytes. A JSON response
// body is read to its end and handed back as a reader of the same bytes,
// ending with the same read error if there was one.
package llm
