package api

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
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

// messages extracts an LLM call's prompt or completion from its attributes:
// from the structured attribute (gen_ai.input.messages or
// gen_ai.output.messages, a JSON list or a string holding one) when it
// parses, else from the indexed attributes prefix+"N.role",
// prefix+"N.content", prefix+"N.finish_reason" and
// prefix+"N.tool_calls.M.<field>", ordered by N. It never returns nil.
func messages(a attributes, structured, prefix string) []Message {
	if v, ok := a[structured]; ok {
		if msgs, ok := structuredMessages(v); ok {
			return msgs
		}
	}
	return indexedMessages(a, prefix)
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

func indexedMessages(a attributes, prefix string) []Message {
	type building struct {
		msg   Message
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
			callRest, ok := strings.CutPrefix(field, "tool_calls.")
			if !ok {
				continue
			}
			num, name, ok := strings.Cut(callRest, ".")
			m, err := strconv.Atoi(num)
			if !ok || err != nil || m < 0 || name == "" {
				continue
			}
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
		for _, m := range slices.Sorted(maps.Keys(b.calls)) {
			call, _ := json.Marshal(b.calls[m]) // keys sorted: deterministic
			b.msg.ToolCalls = append(b.msg.ToolCalls, call)
		}
		msgs = append(msgs, b.msg)
	}
	return msgs
}
