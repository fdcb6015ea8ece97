package llm

import (
	"encoding/json"
	"strings"

	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// OpenAI Responses, https://platform.openai.com/docs/api-reference/responses.

func parseResponsesRequest(b []byte) (call, bool) {
	var r struct {
		Model           string          `json:"model"`
		Stream          bool            `json:"stream"`
		Instructions    string          `json:"instructions"`
		Input           json.RawMessage `json:"input"`
		Temperature     *float64        `json:"temperature"`
		TopP            *float64        `json:"top_p"`
		MaxOutputTokens *int64          `json:"max_output_tokens"`
		Tools           []struct {
			Type        string          `json:"type"`
			Name        string          `json:"name"`
			Description string          `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
		} `json:"tools"`
		Text *struct {
			Format *struct {
				Type string `json:"type"`
				Name string `json:"name"`
			} `json:"format"`
		} `json:"text"`
	}
	if unmarshal(b, &r) != nil {
		return call{}, false
	}
	c := call{operation: semconv.OpChat, model: r.Model, stream: r.Stream,
		temperature: r.Temperature, topP: r.TopP, maxTokens: r.MaxOutputTokens}
	for _, t := range r.Tools {
		c.params.tools = append(c.params.tools, toolDef{Type: t.Type, Name: t.Name, Description: t.Description, Parameters: compact(t.Parameters)})
	}
	if r.Text != nil && r.Text.Format != nil {
		setFormat(&c.params, r.Text.Format.Type, r.Text.Format.Name)
	}
	if r.Instructions != "" {
		c.messages = append(c.messages, message{role: "system", content: r.Instructions})
	}
	c.messages = append(c.messages, responsesInput(r.Input)...)
	return c, true
}

// responsesItem is an input or output item of the Responses API: a message,
// a function call or a function call's output (other items are not recorded).
type responsesItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

// responsesInput reads "input": a string (one user message) or a list of
// items; consecutive function calls join the assistant message before them.
func responsesInput(raw json.RawMessage) []message {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var s string
	if unmarshal(raw, &s) == nil {
		return []message{{role: "user", content: s}}
	}
	var items []responsesItem
	if unmarshal(raw, &items) != nil {
		return []message{{role: "user", content: string(raw)}}
	}
	var out []message
	for _, it := range items {
		switch it.Type {
		case "", "message":
			out = append(out, message{role: it.Role, content: responsesText(it.Content)})
		case "function_call":
			tc := toolCall{id: it.CallID, name: it.Name, arguments: it.Arguments}
			if n := len(out); n > 0 && out[n-1].role == "assistant" {
				out[n-1].toolCalls = append(out[n-1].toolCalls, tc)
			} else {
				out = append(out, message{role: "assistant", toolCalls: []toolCall{tc}})
			}
		case "function_call_output":
			out = append(out, message{role: "tool", content: responsesText(it.Output)})
		}
	}
	return out
}

// responsesText returns a content that is a string as is and joins the text
// of a list of parts (input_text, output_text, refusal); other content is
// kept as its JSON.
func responsesText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Type    string `json:"type"`
		Text    string `json:"text"`
		Refusal string `json:"refusal"`
	}
	if unmarshal(raw, &parts) != nil {
		return string(raw)
	}
	var b strings.Builder
	for _, p := range parts {
		switch p.Type {
		case "input_text", "output_text", "text":
			b.WriteString(p.Text)
		case "refusal":
			b.WriteString(p.Refusal)
		default:
			return string(raw)
		}
	}
	return b.String()
}

// responsesObject is a Response: the body of a non-streaming call and the
// "response" of the stream's final event.
type responsesObject struct {
	ID                string `json:"id"`
	Model             string `json:"model"`
	Status            string `json:"status"`
	IncompleteDetails *struct {
		Reason string `json:"reason"`
	} `json:"incomplete_details"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Output []responsesItem `json:"output"`
	Usage  *struct {
		InputTokens        int64 `json:"input_tokens"`
		OutputTokens       int64 `json:"output_tokens"`
		TotalTokens        int64 `json:"total_tokens"`
		InputTokensDetails struct {
			CachedTokens     int64 `json:"cached_tokens"`
			CacheWriteTokens int64 `json:"cache_write_tokens"`
		} `json:"input_tokens_details"`
		OutputTokensDetails struct {
			ReasoningTokens int64 `json:"reasoning_tokens"`
		} `json:"output_tokens_details"`
	} `json:"usage"`
}

func parseResponsesResponse(b []byte) (result, error) {
	var r responsesObject
	if err := unmarshal(b, &r); err != nil {
		return result{}, err
	}
	return r.result(), nil
}

// result records the output items as one assistant message: the text of its
// message items and its function calls. The finish reason is "stop" for a
// completed response ("tool_calls" when it calls functions), the reason of
// an incomplete one ("max_output_tokens", "content_filter"), else the status.
func (r *responsesObject) result() result {
	m := message{role: "assistant"}
	var sb strings.Builder
	for _, it := range r.Output {
		switch it.Type {
		case "message":
			sb.WriteString(responsesText(it.Content))
		case "function_call":
			m.toolCalls = append(m.toolCalls, toolCall{id: it.CallID, name: it.Name, arguments: it.Arguments})
		}
	}
	m.content = sb.String()
	m.finishReason = responsesFinish(r.Status, r.IncompleteDetails, len(m.toolCalls) > 0)
	out := result{id: r.ID, model: r.Model, completions: []message{m}}
	if e := r.Error; e != nil && r.Status == "failed" {
		out.failure = &failure{typ: e.Code, message: e.Message}
		if out.failure.typ == "" {
			out.failure.typ = "error"
		}
	}
	if u := r.Usage; u != nil {
		// input_tokens includes the cached tokens and output_tokens the
		// reasoning tokens, as the OTel convention counts them.
		out.usage = &pricing.Usage{
			Input:      u.InputTokens,
			Output:     u.OutputTokens,
			CacheRead:  u.InputTokensDetails.CachedTokens,
			CacheWrite: u.InputTokensDetails.CacheWriteTokens,
			Reasoning:  u.OutputTokensDetails.ReasoningTokens,
		}
		out.total = u.TotalTokens
		if out.total == 0 {
			out.total = u.InputTokens + u.OutputTokens
		}
	}
	return out
}

func responsesFinish(status string, incomplete *struct {
	Reason string `json:"reason"`
}, calls bool) string {
	switch {
	case status == "completed" && calls:
		return "tool_calls"
	case status == "completed":
		return "stop"
	case status == "incomplete" && incomplete != nil && incomplete.Reason != "":
		return incomplete.Reason
	}
	return status
}

// responsesStream assembles a streamed Response from its typed events. The
// final event (response.completed, .incomplete or .failed) carries the whole
// response, which then replaces what the deltas assembled; a stream cut
// before it keeps the deltas.
type responsesStream struct {
	ev        responsesEvent // decoded into again for every event
	dec       eventDecoder
	id, model string
	text      []byte
	calls     []streamedCall // function calls by output index, in order of arrival
	final     *result
	failure   *failure
}

type responsesEvent struct {
	Type        knownName        `json:"type"`
	Delta       jsonText         `json:"delta"` // kept between events with its buffer (reset)
	OutputIndex int              `json:"output_index"`
	Item        *responsesItem   `json:"item"`
	Response    *responsesObject `json:"response"`
	Code        string           `json:"code"`    // of an error event
	Message     string           `json:"message"` // of an error event
}

type streamedCall struct {
	index    int
	id, name string
	args     []byte // not a strings.Builder: the slice of calls copies its elements
}

func newResponsesStream() streamParser { return &responsesStream{} }

func (s *responsesStream) event(name string, data []byte) bool {
	e := &s.ev
	*e = responsesEvent{Delta: e.Delta[:0]}
	if err := s.dec.decode(data, e); err != nil {
		s.fail(&failure{typ: "malformed_response", message: "parse responses stream event: " + err.Error()})
		return false
	}
	typ := string(e.Type)
	if typ == "" {
		typ = name
	}
	switch typ {
	case "error":
		f := &failure{typ: e.Code, message: e.Message}
		if f.typ == "" {
			f.typ = "error"
		}
		s.fail(f)
	case "response.output_text.delta", "response.refusal.delta":
		s.text = append(s.text, e.Delta...)
		return true
	case "response.function_call_arguments.delta":
		if c := s.call(e.OutputIndex); c != nil {
			c.args = append(c.args, e.Delta...)
		}
		return true
	case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
		return true
	case "response.output_item.added":
		if e.Item != nil && e.Item.Type == "function_call" {
			s.calls = append(s.calls, streamedCall{index: e.OutputIndex, id: e.Item.CallID, name: e.Item.Name,
				args: []byte(e.Item.Arguments)})
		}
	case "response.created", "response.in_progress":
		if e.Response != nil {
			s.id, s.model = e.Response.ID, e.Response.Model
		}
	case "response.completed", "response.incomplete", "response.failed":
		if e.Response != nil {
			r := e.Response.result()
			s.final = &r
		}
	}
	return false
}

func (s *responsesStream) fail(f *failure) {
	if s.failure == nil {
		s.failure = f
	}
}

// complete reports whether the final event (response.completed,
// .incomplete or .failed) has arrived.
func (s *responsesStream) complete() bool { return s.final != nil }

func (s *responsesStream) call(index int) *streamedCall {
	for i := range s.calls {
		if s.calls[i].index == index {
			return &s.calls[i]
		}
	}
	return nil
}

func (s *responsesStream) result() result {
	if s.final != nil {
		r := *s.final
		if r.failure == nil {
			r.failure = s.failure
		}
		return r
	}
	m := message{role: "assistant", content: string(s.text)}
	for i := range s.calls {
		c := &s.calls[i]
		m.toolCalls = append(m.toolCalls, toolCall{id: c.id, name: c.name, arguments: string(c.args)})
	}
	return result{id: s.id, model: s.model, completions: []message{m}, failure: s.failure}
}
