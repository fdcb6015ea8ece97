package api

import (
	"encoding/json"
	"testing"

	"github.com/agentops-go/agentops/semconv"
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
			got := messages(parseAttributes(json.RawMessage(tc.attrs)), semconv.GenAIInputMessages, semconv.GenAIPromptPrefix)
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
