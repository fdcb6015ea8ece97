// Package demo makes realistic sample data for a new AgentOps server and
// delivers it: Generate builds weeks of agent sessions as OTLP traces
// (deterministic for a seed), Send posts them to a running server over
// OTLP/HTTP, and Write ingests them straight into a data directory through
// the server's own ingest pipeline. `agentops demo` is the command line.
//
// The sessions are written attribute for attribute the way the AgentOps SDKs
// write them (see semconv) — the Go SDK's form, and the official Python
// SDK's for the data pipeline (root "<name>.session", host environment on
// the resource, tags as an array, older GenAI usage names only, LLM spans in
// their own instrumentation scope): a root span of kind session with tags, end state,
// reason and host environment; agents, workflows, tasks, tools and guardrails
// with their JSON input and output; LLM calls with gen_ai.* models, token
// usage and prompt/completion messages, tool calls and finish reasons. Costs
// are left for the server to price from its table, as it does for the
// official SDKs' spans.
package demo
