// Package agentops makes an AI agent observable: it records the agent's
// sessions (traces), the agents, tools, tasks and LLM calls they run, and
// every error, as OpenTelemetry spans, and delivers them over OTLP/HTTP to
// an AgentOps server.
//
// # One session
//
// The package-level default client serves the common case, as slog.Default
// does:
//
//	session, err := agentops.Init() // AGENTOPS_API_KEY etc. from the environment
//	...
//	session.Record(agentops.LLMEvent{Model: "gpt-4o", PromptTokens: 1000, CompletionTokens: 500})
//	cost, err := agentops.EndSession(agentops.Success, "done")
//
// Init reads the environment under the official SDKs' names
// (AGENTOPS_API_KEY, AGENTOPS_API_ENDPOINT, ... see the Env constants);
// explicit options win. A missing key or an unreachable server is a logged
// warning, never an error: the program runs on, and nothing it calls
// blocks on the server longer than the documented flush bounds.
//
// # Traces
//
// A Session is a Trace (one type, two names). StartTrace starts any number
// of them, from any goroutines; each carries a context.Context, and every
// span made from it (by this package's helpers or any OpenTelemetry
// tracer) belongs to that trace and no other. EndTrace ends one,
// EndAllTraces all.
//
// # Spans
//
// Python's decorators (@agent, @tool, @task, @operation, @workflow,
// @guardrail, @trace) are generic wrappers here: Agent, Tool, Task,
// Operation, Workflow, Guardrail, Span and RunTrace run a function in a
// span named "<name>.<kind>", recording its input (WithInput), output,
// error and duration. StartSpan gives manual control.
//
// # LLM calls
//
// Every LLM client library takes an *http.Client: HTTPClient (or
// Client.HTTPClient) returns one whose transport (package llm) records each
// call to OpenAI, Anthropic and the other recognised APIs, streamed or not,
// as an llm span of the trace in the call's context, with tokens and cost.
// These calls count in Session.Analytics as they do on the server.
//
// # Sessions across processes
//
// A session's id is its trace id, and its root span's id is derived from
// it. Pass the id to another process (WithInheritedSessionID or
// AGENTOPS_INHERITED_SESSION_ID): its spans join the same session, under
// the owner's root. Only the owner ends the session.
//
// # Ending
//
// Shutdown ends the open sessions as Indeterminate ("shutdown") and
// flushes; WithSignalHandler ends them as Failure ("interrupted") on
// SIGINT/SIGTERM. A process that ends with neither leaves its sessions
// open; the server shows them as Indeterminate once they time out.
package agentops
