package llm

import (
	"encoding/json"

	"github.com/agentops-go/agentops/pricing"
)

// Anthropic Messages streaming,
// https://docs.anthropic.com/en/docs/build-with-claude/streaming: SSE
// events message_start (id, model, input and cache usage), then per
// content block content_block_start, content_block_delta (text_delta,
// input_json_delta, thinking_delta, signature_delta) and
// content_block_stop, then message_delta (stop_reason and the cumulative
// usage) and message_stop; ping events anywhere, and an error event when
// the stream fails after it started.

type anthropicEvent struct {
	Type    knownName `json:"type"`
	Index   int       `json:"index"`
	Message *struct {
		ID    string          `json:"id"`
		Model string          `json:"model"`
		Role  string          `json:"role"`
		Usage *anthropicUsage `json:"usage"`
	} `json:"message"`
	ContentBlock *struct {
		Type  string          `json:"type"`
		Text  string          `json:"text"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	} `json:"content_block"`
	Delta struct { // its texts are jsonText, kept between events (reset)
		Type        knownName `json:"type"`
		Text        jsonText  `json:"text"`
		PartialJSON jsonText  `json:"partial_json"`
		Thinking    jsonText  `json:"thinking"`
		StopReason  string    `json:"stop_reason"`
	} `json:"delta"`
	Usage *anthropicUsage `json:"usage"`
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
}

// anthropicUsage holds the counts an event carries; a count absent from
// the event is nil and leaves the one already known.
type anthropicUsage struct {
	InputTokens              *int64 `json:"input_tokens"`
	OutputTokens             *int64 `json:"output_tokens"`
	CacheReadInputTokens     *int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens *int64 `json:"cache_creation_input_tokens"`
}

// reset empties the event for the next one, keeping the delta buffers.
func (ev *anthropicEvent) reset() {
	text, partial, thinking := ev.Delta.Text[:0], ev.Delta.PartialJSON[:0], ev.Delta.Thinking[:0]
	*ev = anthropicEvent{}
	ev.Delta.Text, ev.Delta.PartialJSON, ev.Delta.Thinking = text, partial, thinking
}

type anthropicStream struct {
	ev        anthropicEvent
	dec       eventDecoder
	id, model string
	msg       streamMessage
	blocks    []int // content block index → tool call index, -1 for other blocks
	toolArgs  []string
	usage     *pricing.Usage // Input here excludes cache tokens until result
	failure   *failure
	stopped   bool // message_stop seen
}

func newAnthropicStream() streamParser {
	return &anthropicStream{msg: streamMessage{role: "assistant"}}
}

func (p *anthropicStream) complete() bool { return p.stopped }

func (p *anthropicStream) event(name string, data []byte) bool {
	ev := &p.ev
	ev.reset()
	if err := p.dec.decode(data, ev); err != nil {
		if p.failure == nil {
			p.failure = &failure{typ: "malformed_response", message: "parse anthropic stream event: " + err.Error()}
		}
		return false
	}
	typ := string(ev.Type)
	if typ == "" {
		typ = name
	}
	switch typ {
	case "message_start":
		if m := ev.Message; m != nil {
			p.id, p.model = m.ID, m.Model
			if m.Role != "" {
				p.msg.role = m.Role
			}
			p.addUsage(m.Usage)
		}
	case "content_block_start":
		b := ev.ContentBlock
		if b == nil || ev.Index < 0 || ev.Index >= maxStreamIndex {
			return false
		}
		for len(p.blocks) <= ev.Index {
			p.blocks = append(p.blocks, -1)
		}
		switch b.Type {
		case "text":
			p.msg.content = append(p.msg.content, b.Text...)
			return b.Text != ""
		case "tool_use":
			p.blocks[ev.Index] = len(p.msg.toolCalls)
			p.msg.toolCalls = append(p.msg.toolCalls, streamToolCall{id: b.ID, name: b.Name})
			p.toolArgs = append(p.toolArgs, string(b.Input))
			return true
		}
	case "content_block_delta":
		d := &ev.Delta
		switch d.Type {
		case "text_delta":
			p.msg.content = append(p.msg.content, d.Text...)
			return len(d.Text) > 0
		case "input_json_delta":
			if ev.Index >= 0 && ev.Index < len(p.blocks) && p.blocks[ev.Index] >= 0 {
				tc := &p.msg.toolCalls[p.blocks[ev.Index]]
				tc.args = append(tc.args, d.PartialJSON...)
			}
			return len(d.PartialJSON) > 0
		case "thinking_delta":
			return len(d.Thinking) > 0
		}
	case "message_delta":
		if ev.Delta.StopReason != "" {
			p.msg.finish = ev.Delta.StopReason
		}
		p.addUsage(ev.Usage)
	case "message_stop":
		p.stopped = true
	case "error":
		if p.failure == nil && ev.Error != nil {
			p.failure = &failure{typ: ev.Error.Type, message: ev.Error.Message}
		}
	}
	return false
}

// addUsage takes the counts u carries: message_delta's are cumulative, so
// a later count replaces an earlier one.
func (p *anthropicStream) addUsage(u *anthropicUsage) {
	if u == nil {
		return
	}
	if p.usage == nil {
		p.usage = new(pricing.Usage)
	}
	set := func(dst *int64, v *int64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&p.usage.Input, u.InputTokens)
	set(&p.usage.Output, u.OutputTokens)
	set(&p.usage.CacheRead, u.CacheReadInputTokens)
	set(&p.usage.CacheWrite, u.CacheCreationInputTokens)
}

func (p *anthropicStream) result() result {
	m := p.msg.message()
	for i := range m.toolCalls {
		if m.toolCalls[i].arguments == "" { // no input_json_delta: the input given at the start
			m.toolCalls[i].arguments = p.toolArgs[i]
		}
	}
	r := result{id: p.id, model: p.model, completions: []message{m}, failure: p.failure}
	if u := p.usage; u != nil {
		// As in parseAnthropicResponse: input_tokens excludes cached tokens,
		// the OTel convention counts them as input.
		in := u.Input + u.CacheRead + u.CacheWrite
		r.usage = &pricing.Usage{Input: in, Output: u.Output, CacheRead: u.CacheRead, CacheWrite: u.CacheWrite}
		r.total = in + u.Output
	}
	return r
}
