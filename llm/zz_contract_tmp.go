package llm

// This file holds the llm-stream branch's contract (llm/stream.go) so this
// branch builds and tests alone; it is deleted when the branches are merged.
// The two fields of the contract, call.stream and api.newStream, are declared
// in transport.go: Go cannot add fields to a struct from another file.

// streamParser assembles one streamed response from its events, in order.
// It must not retain data after event returns (the buffer is reused).
type streamParser interface {
	// event is called once per event: for SSE, name is the "event:" field ("" when absent) and
	// data the "data:" lines joined by "\n"; for NDJSON, one line; for a streamed JSON array,
	// one element. It returns true when the event carried output (text, tool-call or
	// reasoning delta) — the first such event fixes time to first token.
	event(name string, data []byte) (output bool)
	// result returns what has been assembled so far; result.usage is nil when the
	// provider sent no usage.
	result() result
}

// The llm-stream branch's stream.go also declares these (identically); the
// parsers here use them, and result.failure is declared in transport.go.

// streamCompleter is implemented by a streamParser that recognises its
// provider's last event (Anthropic's message_stop, Ollama's "done": true).
// A stream closed by the caller after that event is complete, not abandoned:
// clients stop reading at the last event and close without waiting for EOF.
// SSE's "data: [DONE]" (OpenAI) is recognised by the framing itself.
type streamCompleter interface {
	complete() bool
}

// failure is an error the provider reported inside a successful response,
// such as an SSE error event, or a response that could not be parsed.
type failure struct{ typ, message string }
