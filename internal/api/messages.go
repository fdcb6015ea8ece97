package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/agentops-go/agentops/semconv"
)

// attributes are a span's attributes, parsed: key → raw JSON value.
type attributes map[string]json.RawMessage

func parseAttributes(raw json.RawMessage) attributes {
	var a attributes
	if len(raw) > 0 {
		_ = json.Unmarshal(raw, &a) // ingest stores an object; anything else reads as no attributes
	}
	return a
}

// firstString returns the first of keys whose value is a non-empty string.
func (a attributes) firstString(keys ...string) string {
	for _, k := range keys {
		var s string
		if v, ok := a[k]; ok && json.Unmarshal(v, &s) == nil && s != "" {
			return s
		}
	}
	return ""
}

// firstRaw returns the value of the first of keys that is present and not
// null, as sent; nil when there is none.
func (a attributes) firstRaw(keys ...string) json.RawMessage {
	for _, k := range keys {
		if v, ok := a[k]; ok && !isNull(v) {
			return v
		}
	}
	return nil
}

func (a attributes) raw(key string) json.RawMessage { return a.firstRaw(key) }

func isNull(v json.RawMessage) bool { return len(v) == 0 || string(bytes.TrimSpace(v)) == "null" }

// side names where each dialect keeps one half of an LLM call's transcript.
type side struct {
	structured    string   // OTel GenAI: a JSON list of messages
	prefix        string   // indexed: prefix+"N.role", "N.content", ...
	openInference string   // OpenInference: prefix+"N.message.role", ...
	single        string   // OpenLIT and older conventions: a JSON list, or one text
	role          string   // the role of a single text
	events        []string // span events holding messages (spanEventMessages)
}

var (
	promptSide = side{
		structured: semconv.GenAIInputMessages, prefix: semconv.GenAIPromptPrefix,
		openInference: "llm.input_messages.", single: "gen_ai.prompt", role: "user",
		events: []string{"gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message", "gen_ai.tool.message", "gen_ai.content.prompt"},
	}
	completionSide = side{
		structured: semconv.GenAIOutputMessages, prefix: semconv.GenAICompletionPrefix,
		openInference: "llm.output_messages.", single: "gen_ai.completion", role: "assistant",
		events: []string{"gen_ai.choice", "gen_ai.content.completion"},
	}
)

// messages extracts an LLM call's prompt or completion, in one transcript
// form whatever the dialect, from the first of these that has any message:
//
//   - the structured attribute (gen_ai.input.messages or
//     gen_ai.output.messages, a JSON list or a string holding one);
//   - the indexed attributes prefix+"N.role", "N.content",
//     "N.finish_reason" and "N.tool_calls.M.<field>" (AgentOps, OpenLLMetry,
//     older GenAI conventions), ordered by N;
//   - OpenInference's llm.input_messages.N.message.role, .content,
//     .contents.K.message_content.text and
//     .tool_calls.M.tool_call.{id,function.name,function.arguments};
//   - a single gen_ai.prompt or gen_ai.completion attribute (OpenLIT): a
//     JSON list of messages, else one message of that text;
//   - span events: gen_ai.{system,user,assistant,tool}.message and
//     gen_ai.choice (the GenAI conventions' event form), and
//     gen_ai.content.prompt / gen_ai.content.completion (OpenLIT).
//
// It never returns nil.
func messages(a attributes, events json.RawMessage, sd side) []Message {
	if v, ok := a[sd.structured]; ok {
		if msgs, ok := structuredMessages(v); ok && len(msgs) > 0 {
			return msgs
		}
	}
	if msgs := indexedMessages(a, sd.prefix, ""); len(msgs) > 0 {
		return msgs
	}
	if msgs := indexedMessages(a, sd.openInference, "message."); len(msgs) > 0 {
		return msgs
	}
	if v, ok := a[sd.single]; ok {
		if msgs := singleMessages(v, sd.role); len(msgs) > 0 {
			return msgs
		}
	}
	if msgs := eventMessages(events, sd); len(msgs) > 0 {
		return msgs
	}
	return []Message{}
}

// singleMessages reads one attribute holding a whole prompt or completion:
// a list of messages, or the text of one message of role.
func singleMessages(v json.RawMessage, role string) []Message {
	if msgs, ok := structuredMessages(v); ok {
		return msgs
	}
	if text := jsonText(v); text != "" {
		return []Message{{Role: role, Content: text}}
	}
	return nil
}

// eventMessages reads the messages of a span's events (as stored:
// [{"time_unix_nano", "name", "attributes"}]) of the side's names, in
// their order.
func eventMessages(events json.RawMessage, sd side) []Message {
	if len(events) == 0 || !bytes.Contains(events, []byte(`"gen_ai.`)) {
		return nil
	}
	var evs []struct {
		Name       string     `json:"name"`
		Attributes attributes `json:"attributes"`
	}
	if json.Unmarshal(events, &evs) != nil {
		return nil
	}
	var msgs []Message
	for _, ev := range evs {
		if !slices.Contains(sd.events, ev.Name) {
			continue
		}
		at := ev.Attributes
		switch ev.Name {
		case "gen_ai.content.prompt":
			msgs = append(msgs, singleMessages(at.firstRaw("gen_ai.prompt"), "user")...)
		case "gen_ai.content.completion":
			msgs = append(msgs, singleMessages(at.firstRaw("gen_ai.completion"), "assistant")...)
		case "gen_ai.choice":
			// The choice's message is an object (or a string holding one)
			// {role, content, tool_calls}; some send its fields flat.
			msg := Message{Role: "assistant", FinishReason: at.firstString("finish_reason")}
			body := at.firstRaw("message")
			if s := jsonText(body); s != "" && body != nil && body[0] == '"' {
				body = json.RawMessage(s)
			}
			var m struct {
				Role      string            `json:"role"`
				Content   json.RawMessage   `json:"content"`
				ToolCalls []json.RawMessage `json:"tool_calls"`
			}
			if body != nil && json.Unmarshal(body, &m) == nil {
				msg.Role = cmp.Or(m.Role, msg.Role)
				msg.Content = jsonText(m.Content)
				msg.ToolCalls = m.ToolCalls
			} else {
				msg.Content = jsonText(at.firstRaw("content"))
				msg.ToolCalls = toolCallList(at.firstRaw("tool_calls"))
			}
			msgs = append(msgs, msg)
		default: // gen_ai.<role>.message
			role := strings.TrimSuffix(strings.TrimPrefix(ev.Name, "gen_ai."), ".message")
			msgs = append(msgs, Message{
				Role:      cmp.Or(at.firstString("role"), role),
				Content:   jsonText(at.firstRaw("content")),
				ToolCalls: toolCallList(at.firstRaw("tool_calls")),
			})
		}
	}
	return msgs
}

// toolCallList reads a list of tool calls sent as a JSON list or a string
// holding one.
func toolCallList(v json.RawMessage) []json.RawMessage {
	if v == nil {
		return nil
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		v = json.RawMessage(s)
	}
	var calls []json.RawMessage
	_ = json.Unmarshal(v, &calls) // not a list: no tool calls
	return calls
}

// structuredMessages reads the OpenTelemetry GenAI message list
// ([{"role", "parts": [{"type": "text", "content"}, ...], "finish_reason"}])
// and the OpenAI-style one ([{"role", "content": "..." | [{"type": "text",
// "text"}]}]).
func structuredMessages(v json.RawMessage) ([]Message, bool) {
	var s string
	if json.Unmarshal(v, &s) == nil {
		v = json.RawMessage(s)
	}
	var items []json.RawMessage
	if json.Unmarshal(v, &items) != nil {
		return nil, false
	}
	msgs := make([]Message, 0, len(items))
	for _, item := range items {
		var m struct {
			Role         string            `json:"role"`
			Content      json.RawMessage   `json:"content"`
			Parts        []json.RawMessage `json:"parts"`
			FinishReason string            `json:"finish_reason"`
			ToolCalls    []json.RawMessage `json:"tool_calls"`
		}
		if json.Unmarshal(item, &m) != nil {
			msgs = append(msgs, Message{Content: string(item)})
			continue
		}
		msg := Message{Role: m.Role, FinishReason: m.FinishReason, ToolCalls: m.ToolCalls}
		var texts []string
		if !isNull(m.Content) {
			var parts []json.RawMessage
			if json.Unmarshal(m.Content, &parts) == nil {
				m.Parts = append(parts, m.Parts...)
			} else {
				texts = append(texts, jsonText(m.Content))
			}
		}
		for _, p := range m.Parts {
			text, call := readPart(p)
			if call != nil {
				msg.ToolCalls = append(msg.ToolCalls, call)
			} else if text != "" {
				texts = append(texts, text)
			}
		}
		msg.Content = strings.Join(texts, "\n")
		msgs = append(msgs, msg)
	}
	return msgs, true
}

// readPart returns the text of a message part, or the part itself when it
// is a tool call. Parts of other types (images, reasoning, ...) give
// neither: the span's attributes keep them.
func readPart(p json.RawMessage) (text string, toolCall json.RawMessage) {
	var part struct {
		Type     string          `json:"type"`
		Content  json.RawMessage `json:"content"`
		Text     json.RawMessage `json:"text"`
		Response json.RawMessage `json:"response"`
		Result   json.RawMessage `json:"result"`
	}
	if json.Unmarshal(p, &part) != nil {
		return "", nil
	}
	switch part.Type {
	case "tool_call", "function_call", "tool_use":
		return "", p
	case "tool_call_response", "tool_result":
		return jsonText(cmp.Or(nonNull(part.Response), nonNull(part.Result), nonNull(part.Content))), nil
	case "text", "":
		return jsonText(cmp.Or(nonNull(part.Content), nonNull(part.Text))), nil
	}
	return "", nil
}

func nonNull(v json.RawMessage) string {
	if isNull(v) {
		return ""
	}
	return string(v)
}

// jsonText returns a JSON string's text, or any other JSON value's text as is.
func jsonText[T ~string | ~[]byte](v T) string {
	var s string
	if json.Unmarshal([]byte(v), &s) == nil {
		return s
	}
	if isNull(json.RawMessage(v)) {
		return ""
	}
	return string(v)
}

// indexedMessages reads the messages of attributes prefix+"N."+inner+field,
// ordered by N. Fields: role, content, finish_reason,
// contents.K.message_content.text (joined, when there is no content), and
// tool_calls.M.<name> where name may be spelled tool_call.id,
// tool_call.function.name and tool_call.function.arguments (OpenInference).
func indexedMessages(a attributes, prefix, inner string) []Message {
	type building struct {
		msg   Message
		parts map[int]string
		calls map[int]map[string]json.RawMessage
	}
	byIndex := map[int]*building{}
	for key, v := range a {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok {
			continue
		}
		num, field, ok := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if !ok || err != nil || n < 0 {
			continue
		}
		if field, ok = strings.CutPrefix(field, inner); !ok {
			continue
		}
		b := byIndex[n]
		if b == nil {
			b = &building{}
			byIndex[n] = b
		}
		switch field {
		case "role":
			b.msg.Role = jsonText(v)
		case "content":
			b.msg.Content = jsonText(v)
		case "finish_reason":
			b.msg.FinishReason = jsonText(v)
		default:
			if partRest, ok := strings.CutPrefix(field, "contents."); ok {
				num, name, _ := strings.Cut(partRest, ".")
				k, err := strconv.Atoi(num)
				if err == nil && k >= 0 && name == "message_content.text" {
					if b.parts == nil {
						b.parts = map[int]string{}
					}
					b.parts[k] = jsonText(v)
				}
				continue
			}
			callRest, ok := strings.CutPrefix(field, "tool_calls.")
			if !ok {
				continue
			}
			num, name, ok := strings.Cut(callRest, ".")
			m, err := strconv.Atoi(num)
			if !ok || err != nil || m < 0 || name == "" {
				continue
			}
			name = strings.TrimPrefix(strings.TrimPrefix(name, "tool_call."), "function.")
			if b.calls == nil {
				b.calls = map[int]map[string]json.RawMessage{}
			}
			if b.calls[m] == nil {
				b.calls[m] = map[string]json.RawMessage{}
			}
			b.calls[m][name] = v
		}
	}
	msgs := make([]Message, 0, len(byIndex))
	for _, n := range slices.Sorted(maps.Keys(byIndex)) {
		b := byIndex[n]
		if b.msg.Content == "" && len(b.parts) > 0 {
			texts := make([]string, 0, len(b.parts))
			for _, k := range slices.Sorted(maps.Keys(b.parts)) {
				texts = append(texts, b.parts[k])
			}
			b.msg.Content = strings.Join(texts, "\n")
		}
		for _, m := range slices.Sorted(maps.Keys(b.calls)) {
			call, _ := json.Marshal(b.calls[m]) // keys sorted: deterministic
			b.msg.ToolCalls = append(b.msg.ToolCalls, call)
		}
		msgs = append(msgs, b.msg)
	}
	return msgs
}
