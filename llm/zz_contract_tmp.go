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
