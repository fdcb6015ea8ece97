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
// Recognised calls, by method and path:
//
//   - OpenAI Chat Completions: POST .../chat/completions
//   - Anthropic Messages: POST .../v1/messages
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
