package llm

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/agentops-go/agentops/semconv"
)

// recordedEvents records what a framer delivers.
type recordedEvents []string

func (e *recordedEvents) onEvent(name string, data []byte) { *e = append(*e, name+"|"+string(data)) }

// feedAll feeds input in pieces of size n (every split point is exercised
// by the callers looping n over 1..len).
func feedAll(f framer, input string, n int) error {
	for len(input) > 0 {
		k := min(n, len(input))
		if err := f.feed([]byte(input[:k])); err != nil {
			return err
		}
		input = input[k:]
	}
	f.end()
	return nil
}

func TestFramers(t *testing.T) {
	tests := []struct {
		name, contentType string
		stream            bool
		input             string
		want              []string
		done              bool
	}{
		{
			name: "sse openai", contentType: "text/event-stream; charset=utf-8",
			input: "data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n",
			want:  []string{`|{"a":1}`, `|{"a":2}`}, done: true,
		},
		{
			name: "sse names comments multi-line crlf", contentType: "text/event-stream",
			input: ": keep-alive\r\nevent: message_start\r\ndata: {\"x\":\r\ndata:1}\r\nid: 7\r\nretry: 10\r\n\r\n" +
				"event: ping\r\ndata: {}\r\n\r\n",
			want: []string{"message_start|{\"x\":\n1}", "ping|{}"},
		},
		{
			name: "sse cr only, no space after colon, field without colon", contentType: "text/event-stream",
			input: "data:a\rdata\rdata: b\r\r",
			want:  []string{"|a\n\nb"},
		},
		{
			name: "sse event without data and unterminated last event are dropped", contentType: "text/event-stream",
			input: "event: lonely\n\ndata: 1\n\ndata: cut",
			want:  []string{"|1"},
		},
		{
			name: "sse name resets after each event", contentType: "text/event-stream",
			input: "event: a\ndata: 1\n\ndata: 2\n\n",
			want:  []string{"a|1", "|2"},
		},
		{
			name: "sse leading BOM", contentType: "text/event-stream",
			input: "\xef\xbb\xbfdata: 1\n\n",
			want:  []string{"|1"},
		},
		{
			name: "ndjson", contentType: "application/x-ndjson",
			input: "{\"a\":1}\n\n{\"a\":2}\r\n{\"a\":3}",
			want:  []string{`|{"a":1}`, `|{"a":2}`, `|{"a":3}`},
		},
		{
			name: "json array", contentType: "application/json", stream: true,
			input: "[{\"a\":\"x]}\\\"\"},\r\n{\"b\":[1,{\"c\":2}]}\n,\"s\" , 12 ,[3]]",
			want:  []string{`|{"a":"x]}\""}`, `|{"b":[1,{"c":2}]}`, `|"s"`, `|12`, `|[3]`},
			done:  true,
		},
		{
			name: "json array empty", contentType: "application/json", stream: true,
			input: " [ ] ", done: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for n := 1; n <= len(tt.input); n++ {
				var got recordedEvents
				f := newFramer(tt.contentType, tt.stream, &got, 1<<10)
				if f == nil {
					t.Fatalf("no framer for %q", tt.contentType)
				}
				if err := feedAll(f, tt.input, n); err != nil {
					t.Fatalf("pieces of %d: %v", n, err)
				}
				if strings.Join(got, "\x00") != strings.Join(tt.want, "\x00") {
					t.Fatalf("pieces of %d: got %q, want %q", n, got, tt.want)
				}
				if f.done() != tt.done {
					t.Fatalf("pieces of %d: done = %v, want %v", n, f.done(), tt.done)
				}
			}
		})
	}
}

func TestFramerChoice(t *testing.T) {
	var sink recordedEvents
	for _, tt := range []struct {
		contentType string
		stream      bool
		want        bool
	}{
		{"text/event-stream", false, true},
		{"application/x-ndjson", true, true},
		{"application/json", true, true},
		{"application/json", false, false},
		{"text/plain", true, false},
		{"", true, false},
	} {
		if got := newFramer(tt.contentType, tt.stream, &sink, 10) != nil; got != tt.want {
			t.Errorf("newFramer(%q, stream %v) = %v, want %v", tt.contentType, tt.stream, got, tt.want)
		}
	}
}

func TestFramersStopAtTheEventCap(t *testing.T) {
	big := strings.Repeat("x", 2000)
	tests := []struct{ contentType, input string }{
		{"text/event-stream", "data: 1\n\ndata: " + big + "\n\ndata: 2\n\n"},
		{"text/event-stream", "data: 1\n\n" + "data: " + big[:600] + "\ndata: " + big[:600] + "\n\n"},
		{"application/x-ndjson", "1\n" + big + "\n2\n"},
		{"application/json", "[1," + `"` + big + `"` + ",2]"},
	}
	for _, tt := range tests {
		for _, n := range []int{1, 100, len(tt.input)} {
			var got recordedEvents
			f := newFramer(tt.contentType, true, &got, 1000)
			err := feedAll(f, tt.input, n)
			if err == nil || !strings.Contains(err.Error(), "exceeds 1000 bytes") {
				t.Errorf("%s in pieces of %d: err = %v, want the cap", tt.contentType, n, err)
			}
			if len(got) != 1 || !strings.HasSuffix(got[0], "1") {
				t.Errorf("%s in pieces of %d: got %q, want only the first event", tt.contentType, n, got)
			}
		}
	}
}

func TestArrayFramerRejectsOtherJSON(t *testing.T) {
	var got recordedEvents
	f := newFramer("application/json", true, &got, 100)
	if err := f.feed([]byte(`{"error":{}}`)); err == nil {
		t.Errorf("an object was taken for an array")
	}
}

// recordingParser keeps the recordedEvents it is given; a line containing
// "done":true completes the stream, as Ollama's last line does.
type recordingParser struct {
	events []string
	done   bool
}

func (p *recordingParser) event(name string, data []byte) bool {
	p.events = append(p.events, string(data))
	p.done = p.done || strings.Contains(string(data), `"done":true`)
	return true
}
func (p *recordingParser) result() result { return result{} }
func (p *recordingParser) complete() bool { return p.done }

// TestStreamBodyFramings runs NDJSON and streamed JSON array bodies through
// streamBody, as the framings of Ollama and Gemini reach their parsers.
func TestStreamBodyFramings(t *testing.T) {
	tests := []struct {
		name, contentType, body string
		closeEarly              bool
		want                    []string
		abandoned               bool
	}{
		{name: "ndjson", contentType: "application/x-ndjson",
			body: "{\"message\":{\"content\":\"Hi\"},\"done\":false}\n{\"done\":true}\n",
			want: []string{`{"message":{"content":"Hi"},"done":false}`, `{"done":true}`}},
		{name: "ndjson closed after its last line", contentType: "application/x-ndjson", closeEarly: true,
			body: "{\"done\":false}\n{\"done\":true}\n",
			want: []string{`{"done":false}`, `{"done":true}`}},
		{name: "ndjson closed before its last line", contentType: "application/x-ndjson", closeEarly: true,
			body: "{\"done\":false}\n",
			want: []string{`{"done":false}`}, abandoned: true},
		{name: "json array", contentType: "application/json; charset=UTF-8",
			body: "[{\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]}}]}\r\n,\r\n{\"usageMetadata\":{}}]",
			want: []string{`{"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}`, `{"usageMetadata":{}}`}},
		{name: "json array closed after its end", contentType: "application/json", closeEarly: true,
			body: "[{\"a\":1}]", want: []string{`{"a":1}`}},
	}
	// The bytes are held and parsed at the end (held), parsed as they pass
	// from the first byte (inline), or held until half the body, then
	// parsed as they pass (held then inline): the same events either way.
	modes := []struct {
		name     string
		heldSize func(body string) int
		oneByte  bool
	}{
		{"held", func(string) int { return 0 }, true},
		{"held then inline", func(b string) int { return len(b) / 2 }, true},
		{"inline", func(string) int { return 1 }, false},
	}
	for _, tt := range tests {
		for _, mode := range modes {
			t.Run(tt.name+"/"+mode.name, func(t *testing.T) {
				exp := tracetest.NewInMemoryExporter()
				tr := Transport(nil, WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp)))).(*transport)
				p := &recordingParser{}
				// a request too large to read: recorded as far as its path tells (a stream)
				rec := record{t: tr, ctx: context.Background(), api: api{name: "test", operation: "chat", path: route{model: "m", stream: true}},
					req: requestBody{tooLarge: true}, start: time.Now()}
				var r io.Reader = strings.NewReader(tt.body)
				if mode.oneByte {
					r = iotest.OneByteReader(r)
				}
				s := &streamBody{rc: io.NopCloser(r), rec: rec, parser: p, heldSize: mode.heldSize(tt.body)}
				s.fr = newFramer(tt.contentType, true, s, DefaultMaxEventBytes)
				var got []byte
				if tt.closeEarly { // read every byte, but not the EOF
					got = make([]byte, len(tt.body))
					if _, err := io.ReadFull(s, got); err != nil {
						t.Fatal(err)
					}
				} else {
					got, _ = io.ReadAll(s)
				}
				s.Close()
				if string(got) != tt.body {
					t.Errorf("the caller got %q", got)
				}
				Flush(context.Background()) // the held bytes are parsed by the recorder
				if strings.Join(p.events, "\x00") != strings.Join(tt.want, "\x00") {
					t.Errorf("events %q, want %q", p.events, tt.want)
				}
				spans := exp.GetSpans()
				if len(spans) != 1 {
					t.Fatalf("%d spans", len(spans))
				}
				var abandoned bool
				var chunks int64
				for _, kv := range spans[0].Attributes {
					switch string(kv.Key) {
					case semconv.LLMStreamAbandoned:
						abandoned = kv.Value.AsBool()
					case semconv.LLMStreamChunks:
						chunks = kv.Value.AsInt64()
					}
				}
				if abandoned != tt.abandoned || chunks != int64(len(tt.want)) {
					t.Errorf("abandoned %v, chunks %d; want %v, %d", abandoned, chunks, tt.abandoned, len(tt.want))
				}
			})
		}
	}
}

// TestEventDecoder: one value per call; an error or trailing bytes never
// leak into the next event.
func TestEventDecoder(t *testing.T) {
	var d eventDecoder
	type v struct{ A int }
	for _, tt := range []struct {
		in      string
		want    int
		wantErr bool
	}{
		{`{"A":1}`, 1, false},
		{` {"A":2} `, 2, false},
		{`{"A":3} {"A":4}`, 3, true},
		{`{"A":5}`, 5, false},
		{`{"A":`, 0, true},
		{`{"A":6}`, 6, false},
		{`nope`, 0, true},
		{`{"A":7}`, 7, false},
	} {
		var got v
		err := d.decode([]byte(tt.in), &got)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got.A != tt.want) {
			t.Errorf("decode(%q) = %+v, %v; want A=%d, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

// TestOpenAIChunkIDsRepeat: id and model are kept while chunks repeat them
// and replaced when a chunk differs (escapes included).
func TestOpenAIChunkIDsRepeat(t *testing.T) {
	p := newOpenAIStream().(*openAIStream)
	for _, c := range []string{`{"id":"a","model":"m"}`, `{"id":"a","model":"m"}`, `{"id":"b\u0041","model":null}`} {
		p.event("", []byte(c))
	}
	if p.id != "a" || p.model != "m" || string(p.chunk.ID) != "bA" || p.chunk.Model != "" {
		t.Errorf("id %q model %q, last chunk %q %q", p.id, p.model, p.chunk.ID, p.chunk.Model)
	}
}

// FuzzFramers: whatever the bytes, a framer delivers the same events
// whether it is fed them at once or split at any point, and never panics.
//
//	go test -fuzz=FuzzFramers ./llm/
func FuzzFramers(f *testing.F) {
	f.Add(uint8(0), "data: {\"a\":1}\r\n\r\nevent: x\ndata: 2\n\ndata: [DONE]\n\n", uint16(5))
	f.Add(uint8(1), "{\"a\":1}\n{\"b\":2}\r\nlast", uint16(3))
	f.Add(uint8(2), "[{\"a\":\"]\\\"\"}, 1, \"s\", [2]]", uint16(7))
	f.Fuzz(func(t *testing.T, kind uint8, input string, split uint16) {
		contentType := []string{"text/event-stream", "application/x-ndjson", "application/json"}[int(kind)%3]
		run := func(pieces ...string) (recordedEvents, error, bool) {
			var got recordedEvents
			fr := newFramer(contentType, true, &got, 64)
			for _, p := range pieces {
				if err := fr.feed([]byte(p)); err != nil {
					return got, err, fr.done()
				}
			}
			fr.end()
			return got, nil, fr.done()
		}
		k := int(split) % (len(input) + 1)
		whole, errWhole, doneWhole := run(input)
		parts, errParts, doneParts := run(input[:k], input[k:])
		if (errWhole == nil) != (errParts == nil) {
			t.Fatalf("split at %d: error %v, whole: %v", k, errParts, errWhole)
		}
		if errWhole == nil && (strings.Join(whole, "\x00") != strings.Join(parts, "\x00") || doneWhole != doneParts) {
			t.Fatalf("split at %d: %q (done %v), whole: %q (done %v)", k, parts, doneParts, whole, doneWhole)
		}
	})
}

// FuzzStreamParsers: no event, however malformed, makes a parser panic.
//
//	go test -fuzz=FuzzStreamParsers ./llm/
func FuzzStreamParsers(f *testing.F) {
	for _, name := range []string{"openai_chat_stream_tool_calls.sse", "anthropic_messages_stream.sse"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		for _, ev := range strings.Split(string(b), "\n\n") {
			if i := strings.Index(ev, "data: "); i >= 0 {
				f.Add(ev[i+6:])
			}
		}
	}
	f.Add(`{"choices":[{"index":-1,"delta":{"tool_calls":[{"index":99999}]}}]}`)
	f.Add(`{"type":"content_block_delta","index":5,"delta":{"type":"input_json_delta","partial_json":"x"}}`)
	f.Fuzz(func(t *testing.T, data string) {
		for _, p := range []streamParser{newOpenAIStream(), newAnthropicStream(), newResponsesStream(),
			newCompletionsStream(), newGeminiStream(), newOllamaStream()} {
			for range 2 {
				p.event("", []byte(data))
				p.event("content_block_start", []byte(data))
			}
			p.result()
		}
	})
}

// TestStreamParsersResetBetweenEvents: the parsers decode every event into
// the same value, keeping its buffers: a text an event carries must not be
// counted again for a later event that has none (json leaves the fields
// an event lacks as they were).
func TestStreamParsersResetBetweenEvents(t *testing.T) {
	tests := []struct {
		name       string
		newStream  func() streamParser
		event      string
		withText   string
		withoutOne string
	}{
		{"chat", newOpenAIStream, "",
			`{"id":"c","model":"m","choices":[{"index":0,"delta":{"content":"x","tool_calls":[{"index":0,"id":"t","function":{"name":"f","arguments":"{"}}]}}]}`,
			`{"id":"c","model":"m","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`},
		{"anthropic", newAnthropicStream, "content_block_delta",
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}`,
			`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta"}}`},
		{"responses", newResponsesStream, "",
			`{"type":"response.output_text.delta","output_index":0,"delta":"x"}`,
			`{"type":"response.in_progress","response":{"id":"r","model":"m"}}`},
		{"completions", newCompletionsStream, "",
			`{"id":"c","model":"m","choices":[{"index":0,"text":"x"}]}`,
			`{"id":"c","model":"m","choices":[{"index":0,"finish_reason":"stop"}]}`},
		{"gemini", newGeminiStream, "",
			`{"candidates":[{"content":{"parts":[{"text":"x"}]},"index":0}],"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3}}`,
			`{"candidates":[{"content":{"parts":[{"thought":true}]},"index":0,"finishReason":"STOP"}]}`},
		{"ollama", newOllamaStream, "",
			`{"model":"m","message":{"role":"assistant","content":"x"},"done":false}`,
			`{"model":"m","message":{"role":"assistant"},"done":true,"prompt_eval_count":3,"eval_count":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.newStream()
			p.event(tt.event, []byte(tt.withText))
			if p.event(tt.event, []byte(tt.withoutOne)) {
				t.Errorf("the event without text counted as output")
			}
			r := p.result()
			if len(r.completions) != 1 || r.completions[0].content != "x" || r.failure != nil {
				t.Fatalf("result %+v", r)
			}
			if tt.name == "chat" && (len(r.completions[0].toolCalls) != 1 || r.completions[0].toolCalls[0].arguments != "{") {
				t.Errorf("tool calls %+v", r.completions[0].toolCalls)
			}
			if tt.name == "gemini" && (r.usage == nil || r.usage.Input != 3) {
				t.Errorf("usage %+v: the last event with usage is the call's", r.usage)
			}
		})
	}
}
