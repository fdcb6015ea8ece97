// Package legacy serves the JSON API of the AgentOps SDKs before
// OpenTelemetry (Python agentops 0.3.x and older): sessions, their events
// (actions, LLM calls, tools, errors) and agents, posted to /v2/... .
//
// It turns them into OTLP spans in the AgentOps attribute dialect and hands
// them to the same ingest pipeline as POST /v1/traces (normalize, price,
// group commit, answer after commit), so a legacy session is stored, priced,
// listed and exported like any other:
//
//   - A session (a UUID) is the trace of the same 16 bytes. Its root span
//     (kind session, with tags, end state, host environment) is written once,
//     when an update_session says the session ended; until then the session
//     shows its events (and reads Indeterminate if it never ends).
//   - An event is a span under the root, kind by event type: actions →
//     action, llms → llm, tools → tool, errors → error (under the span of its
//     trigger event when it names one), apis → http. An agent is a span of
//     kind agent.
//   - Span ids are derived from the event, agent and session ids, and a span
//     already stored is never written again: a retried or repeated event,
//     and an update_events of an event already stored, changes nothing and
//     counts once. (The store keeps spans append-only, so an update cannot
//     replace what is stored; the legacy SDKs send each event once, ended.)
package legacy
