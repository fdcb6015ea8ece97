package api

import (
	"encoding/json"
	"testing"
)

func TestMessages(t *testing.T) {
	tests := []struct {
		name  string
		attrs string
		want  string // the prompt as JSON
	}{
		{"none", `{}`, `[]`},
		{
			"indexed, ordered by number not by text",
			`{"gen_ai.prompt.10.role":"user","gen_ai.prompt.10.content":"ten","gen_ai.prompt.2.role":"system","gen_ai.prompt.2.content":"two","gen_ai.prompt.2.content.truncated":9000}`,
			`[{"role":"system","content":"two"},{"role":"user","content":"ten"}]`,
		},
		{
			"indexed, non-string content kept as JSON text",
			`{"gen_ai.prompt.0.role":"user","gen_ai.prompt.0.content":[{"type":"text","text":"hi"}]}`,
			`[{"role":"user","content":"[{\"type\":\"text\",\"text\":\"hi\"}]"}]`,
		},
		{
			"OTel parts, as a string",
			`{"gen_ai.input.messages":"[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"a\"},{\"type\":\"image\",\"uri\":\"x\"},{\"type\":\"text\",\"content\":\"b\"}]}]"}`,
			`[{"role":"user","content":"a\nb"}]`,
		},
		{
			"OpenAI style content and tool result",
			`{"gen_ai.input.messages":[{"role":"user","content":"hi"},{"role":"user","content":[{"type":"text","text":"look"}]},{"role":"tool","parts":[{"type":"tool_call_response","id":"c1","response":{"ok":true}}]}]}`,
			`[{"role":"user","content":"hi"},{"role":"user","content":"look"},{"role":"tool","content":"{\"ok\":true}"}]`,
		},
		{
			"structured wins over indexed",
			`{"gen_ai.input.messages":[{"role":"user","content":"new"}],"gen_ai.prompt.0.role":"user","gen_ai.prompt.0.content":"old"}`,
			`[{"role":"user","content":"new"}]`,
		},
		{
			"unparsable structured falls back to indexed",
			`{"gen_ai.input.messages":"not json","gen_ai.prompt.0.role":"user","gen_ai.prompt.0.content":"old"}`,
			`[{"role":"user","content":"old"}]`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := messages(parseAttributes(json.RawMessage(tc.attrs)), nil, promptSide)
			b, err := json.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got  %s\nwant %s", b, tc.want)
			}
		})
	}
}

// TestTranscriptDialects: every dialect's prompt and completion read into
// the one transcript form.
func TestTranscriptDialects(t *testing.T) {
	tests := []struct {
		name                   string
		attrs, events          string
		wantPrompt, wantOutput string // JSON
	}{
		{
			name: "OpenInference messages, contents and tool calls",
			attrs: `{"llm.input_messages.0.message.role":"system","llm.input_messages.0.message.content":"Be brief.",
				"llm.input_messages.1.message.role":"user",
				"llm.input_messages.1.message.contents.1.message_content.text":"second",
				"llm.input_messages.1.message.contents.0.message_content.text":"first",
				"llm.input_messages.1.message.contents.0.message_content.type":"text",
				"llm.output_messages.0.message.role":"assistant",
				"llm.output_messages.0.message.tool_calls.0.tool_call.id":"call_1",
				"llm.output_messages.0.message.tool_calls.0.tool_call.function.name":"search",
				"llm.output_messages.0.message.tool_calls.0.tool_call.function.arguments":"{\"q\":\"go\"}"}`,
			wantPrompt: `[{"role":"system","content":"Be brief."},{"role":"user","content":"first\nsecond"}]`,
			wantOutput: `[{"role":"assistant","content":"","tool_calls":[{"arguments":"{\"q\":\"go\"}","id":"call_1","name":"search"}]}]`,
		},
		{
			name: "OpenLLMetry indexed prompt and completion",
			attrs: `{"gen_ai.prompt.0.role":"user","gen_ai.prompt.0.content":"hi",
				"gen_ai.completion.0.role":"assistant","gen_ai.completion.0.content":"hello","gen_ai.completion.0.finish_reason":"stop"}`,
			wantPrompt: `[{"role":"user","content":"hi"}]`,
			wantOutput: `[{"role":"assistant","content":"hello","finish_reason":"stop"}]`,
		},
		{
			name: "OTel GenAI structured messages, new form",
			attrs: `{"gen_ai.input.messages":"[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hi\"}]}]",
				"gen_ai.output.messages":"[{\"role\":\"assistant\",\"parts\":[{\"type\":\"text\",\"content\":\"yo\"}],\"finish_reason\":\"stop\"}]"}`,
			wantPrompt: `[{"role":"user","content":"hi"}]`,
			wantOutput: `[{"role":"assistant","content":"yo","finish_reason":"stop"}]`,
		},
		{
			name:  "OTel GenAI span events",
			attrs: `{}`,
			events: `[{"time_unix_nano":1,"name":"gen_ai.system.message","attributes":{"content":"Be brief."}},
				{"time_unix_nano":2,"name":"gen_ai.user.message","attributes":{"content":"hi"}},
				{"time_unix_nano":3,"name":"gen_ai.tool.message","attributes":{"content":"42","id":"c1"}},
				{"time_unix_nano":4,"name":"exception","attributes":{"exception.type":"X"}},
				{"time_unix_nano":5,"name":"gen_ai.choice","attributes":{"index":0,"finish_reason":"stop","message":"{\"role\":\"assistant\",\"content\":\"hello\"}"}}]`,
			wantPrompt: `[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"},{"role":"tool","content":"42"}]`,
			wantOutput: `[{"role":"assistant","content":"hello","finish_reason":"stop"}]`,
		},
		{
			name:  "gen_ai.choice with flat fields and tool calls",
			attrs: `{}`,
			events: `[{"time_unix_nano":5,"name":"gen_ai.choice","attributes":{"finish_reason":"tool_calls",
				"tool_calls":"[{\"id\":\"c1\",\"function\":{\"name\":\"f\"}}]"}}]`,
			wantPrompt: `[]`,
			wantOutput: `[{"role":"assistant","content":"","finish_reason":"tool_calls","tool_calls":[{"id":"c1","function":{"name":"f"}}]}]`,
		},
		{
			name:       "OpenLIT single attributes: a list, and a text",
			attrs:      `{"gen_ai.prompt":"[{\"role\":\"user\",\"content\":\"hi\"}]","gen_ai.completion":"hello there"}`,
			wantPrompt: `[{"role":"user","content":"hi"}]`,
			wantOutput: `[{"role":"assistant","content":"hello there"}]`,
		},
		{
			name:  "OpenLIT content events",
			attrs: `{}`,
			events: `[{"time_unix_nano":1,"name":"gen_ai.content.prompt","attributes":{"gen_ai.prompt":"user: hi"}},
				{"time_unix_nano":2,"name":"gen_ai.content.completion","attributes":{"gen_ai.completion":"hello"}}]`,
			wantPrompt: `[{"role":"user","content":"user: hi"}]`,
			wantOutput: `[{"role":"assistant","content":"hello"}]`,
		},
		{
			name:       "attributes win over events",
			attrs:      `{"gen_ai.prompt.0.role":"user","gen_ai.prompt.0.content":"attr"}`,
			events:     `[{"time_unix_nano":1,"name":"gen_ai.user.message","attributes":{"content":"event"}}]`,
			wantPrompt: `[{"role":"user","content":"attr"}]`,
			wantOutput: `[]`,
		},
		{
			name:       "malformed events are no messages",
			attrs:      `{}`,
			events:     `{"gen_ai.user.message":1}`,
			wantPrompt: `[]`,
			wantOutput: `[]`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := parseAttributes(json.RawMessage(tc.attrs))
			if a == nil {
				t.Fatalf("attrs do not parse: %s", tc.attrs)
			}
			for _, c := range []struct {
				sd   side
				want string
			}{{promptSide, tc.wantPrompt}, {completionSide, tc.wantOutput}} {
				b, err := json.Marshal(messages(a, json.RawMessage(tc.events), c.sd))
				if err != nil {
					t.Fatal(err)
				}
				if string(b) != c.want {
					t.Errorf("%s:\ngot  %s\nwant %s", c.sd.structured, b, c.want)
				}
			}
		})
	}
}
