// Package llm records LLM API calls made over HTTP as OpenTelemetry spans.
//
// Transport wraps an http.RoundTripper. Every LLM client library accepts an
// *http.Client, so one wrapped transport instruments them all:
//
//	client := &http.Client{Transport: llm.Transport(http.DefaultTransport)}
//
// For each recognised call the transport records one span of kind
// agentops.span.kind=llm, a child of the span in the request's context, and
// records provider, operation, models, response id, sampling parameters,
// prompt and completion messages (gen_ai.prompt.N.*, gen_ai.completion.N.*),
// token usage under both the current OpenTelemetry GenAI names and the older
// names the AgentOps server reads, and the cost from package pricing (omitted
// when the model is not in the price table). When the provider reports no
// usage, agentops.llm.usage.unreported is true and no token counts or cost
// are recorded: none are invented. (agentops.HTTPClient returns a client
// recording with the AgentOps SDK's default client.)
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
// Everything else passes through untouched and unrecorded: other paths,
// request bodies that are not JSON, and streamed requests to an API whose
// stream this package cannot follow.
//
// # Streaming
//
// A successful response is followed as a stream by its Content-Type:
// text/event-stream as Server-Sent Events, application/x-ndjson line by
// line, and application/json, when the request asked for a stream, as the
// elements of a JSON array. The caller reads the stream exactly as without
// the transport: the response body is wrapped, and each Read passes the
// caller's bytes through unchanged and unbuffered. Each Read's bytes are
// also copied aside with the time they came, and the recorder frames and
// parses them when the stream has ended (see Recording): on the caller's
// path a chunk costs a copy and a clock reading, and no allocation once
// the buffers have grown. A stream longer than 1 MiB is parsed from there
// on as it passes, so memory stays bounded. The times recorded are those
// the events arrived, whichever goroutine parsed them. The span
// records gen_ai.request.stream, gen_ai.response.time_to_first_chunk (the
// first event), agentops.llm.stream.time_to_first_token (the first event
// carrying output: text, a tool call or reasoning),
// agentops.llm.stream.chunk_count (events delivered; OpenAI's [DONE]
// marker is not one), the assembled completion and tool calls, finish
// reasons and usage: OpenAI sends usage only when the request sets
// stream_options.include_usage (recorded as
// agentops.llm.request.stream_include_usage), Anthropic in message_start
// and message_delta, cache tokens included.
//
// The stream ends, and with it the span (its end time; see Recording), at
// the first of:
//
//   - EOF: the stream is complete.
//   - A read error (a connection cut mid-stream, a canceled context): error
//     status, error.type ("unexpected_eof", "canceled", "timeout", or the
//     error's Go type) and the message — unless the provider's last event
//     had already been read, in which case nothing was lost and the call is
//     recorded as complete.
//   - Close: when the provider's last event was already read (OpenAI's
//     [DONE], Anthropic's message_stop) the stream is complete — clients
//     stop reading there and close. Closed before that, the stream is
//     abandoned: agentops.llm.stream.abandoned is true and what was read is
//     recorded. Abandoning is not an error (the status stays unset): a
//     caller that stops reading on purpose should not inflate error counts.
//
// A stream that is neither read to its end nor closed is never recorded:
// its span is started only once the stream ends. The http.Client contract already
// requires closing every response body. The same holds for a non-streamed
// response (see Recording).
//
// An error event inside a successful stream (Anthropic's "error" event,
// OpenAI's {"error": ...} chunk) and an event that is not valid JSON give
// the span an error status; parsing goes on.
//
// # Recording
//
// Nothing is parsed and no span is started on the caller's path.
// RoundTrip recognises the call by its path, keeps the request's context,
// the time and the request bytes (a quick look checks that they are a JSON
// object naming a model, unless the path names it) and sends the request
// as it is. A non-streamed JSON answer is handed back at once behind a body
// that passes every Read through unchanged and keeps the bytes read (up to
// WithMaxResponseBytes, DefaultMaxResponseBytes 8 MiB; past it the bytes
// still pass, the call is recorded without its response and
// agentops.llm.response.unrecorded says why). When the response ends — read
// to EOF, a read error, Close, or no body to follow (a transport error, a
// body that is not JSON) — the call is handed to a background recorder: one
// goroutine per process, parked while idle, that parses the request, starts
// the span as a child of the request context's span with the call's start
// time, parses the answer, sets the span's attributes and status, and ends
// it with the time the response ended. So the span's start and end are
// when the call was made and when its body was read to its end or closed
// (or the error or headers arrived), not when the recording ran; its
// attributes, status and timing are as if it had been recorded inline.
// Because the span starts in the background, a transport under this one
// (otelhttp, say) sees the request context's span as the current one, not
// the llm span.
//
// A call whose parent span (in the request's context) is not sampled
// passes through untouched, nothing kept or parsed. A call without a
// parent that the tracer provider's sampler drops is followed and parsed
// as any other, and its span is not recorded.
//
// Call Flush before reading what the spans feed (an in-memory exporter,
// a session's tally) or before shutting the tracer provider down: it waits
// until every call whose response has ended is recorded. The agentops
// package's Flush, Shutdown, Session.End and Session.Analytics call it.
// At most 1,024 calls, holding at most 64 MiB of request, answer and
// stream bytes between them, wait for the recorder; past either, a call is
// recorded on the goroutine that ended its response (the caller is never
// made to wait for room, no call goes unrecorded, and memory stays bounded
// however far behind the recorder falls), counted by InlineRecordings.
//
// A non-streamed body closed before its end is parsed as far as it was
// read: a whole JSON answer (clients that decode with json.Decoder stop at
// the value's end and close) is recorded in full; otherwise the call is
// recorded with its request and agentops.llm.response.abandoned, without
// error. A body neither read to its end nor closed is never handed to the
// recorder, and the call is not recorded. Error answers (HTTP 4xx and 5xx with a JSON
// body) are read before RoundTrip returns, as clients that retry close them
// unread, and handed back as a reader of the same bytes ending with the
// same read error. A body that passed the quick look but does not parse as
// a call (not JSON, no model) starts no span: the call is unrecorded as if
// it had passed through.
//
// # Failures
//
// HTTP 4xx and 5xx answers give an error status with error.type and
// error.message from the provider's JSON error body ({"error": {"type",
// "message"}}), or the status code and text; a 200 whose JSON cannot be
// parsed gives error.type "malformed_response"; a transport error or a
// context canceled before the response gives the error's type and message.
// The caller always gets exactly the response or error it would have got
// without the transport. Each RoundTrip is one span, so a client's own
// retries appear as separate calls.
//
// # Request bodies
//
// The request is never modified: it is sent as it is, or, when its body had
// to be read (no GetBody), as a shallow copy carrying a body that replays
// the bytes read. The body is copied at most once. When the request
// has GetBody (http.NewRequest with a bytes or strings reader, and the
// OpenAI and Anthropic clients), a copy from GetBody is read into a pooled
// buffer, kept until the call is recorded, and the request's own Body and
// GetBody are sent unchanged; otherwise the body is read once, into a buffer sized from
// ContentLength when known, and the sent Body and GetBody both replay it,
// so the transport's own retries can resend it.
//
// # Limits
//
//   - Request bodies over WithMaxRequestBytes (DefaultMaxRequestBytes,
//     8 MiB) are sent as they are, never buffered, and the call is recorded
//     without its request (agentops.llm.request.unrecorded says why).
//   - A streamed event over DefaultMaxEventBytes (1 MiB) stops the parsing
//     of that stream: its bytes still pass, and
//     agentops.llm.stream.unparsed says why the record is partial.
//   - Each recorded prompt or completion value is cut at
//     WithMaxContentBytes (DefaultMaxContentBytes, 64 KiB) on a UTF-8
//     boundary; WithContentCapture(false) records no content at all.
//   - A non-streamed response body is kept up to WithMaxResponseBytes
//     (DefaultMaxResponseBytes, 8 MiB) to be recorded (see Recording).
package llm
