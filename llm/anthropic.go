package llm

import (
	"encoding/json"
	"strings"

	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// Anthropic Messages, https://docs.anthropic.com/en/api/messages.

type anthropicRequest struct {
	Model       string          `json:"model"`
	Stream      bool            `json:"stream"`
	Temperature *float64        `json:"temperature"`
	TopP        *float64        `json:"top_p"`
	MaxTokens   *int64          `json:"max_tokens"`
	System      json.RawMessage `json:"system"`
	Messages    []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	anthropicParams
}

type anthropicParams struct {
	StopSequences []string `json:"stop_sequences"`
	TopK          *float64 `json:"top_k"`
	Tools         []struct {
		Type        string          `json:"type"` // "custom" or absent for a client tool; server tools name theirs
		Name        string          `json:"name"`
		Description string          `json:"description"`
		InputSchema json.RawMessage `json:"input_schema"`
	} `json:"tools"`
	OutputFormat *struct { // structured outputs: {"type": "json_schema", "schema": ...}
		Type string `json:"type"`
	} `json:"output_format"`
}

func (r *anthropicParams) params() params {
	p := params{stop: r.StopSequences, topK: r.TopK}
	for _, t := range r.Tools {
		typ := t.Type
		if typ == "" || typ == "custom" {
			typ = "function"
		}
		p.tools = append(p.tools, toolDef{Type: typ, Name: t.Name, Description: t.Description, Parameters: compact(t.InputSchema)})
	}
	if r.OutputFormat != nil {
		setFormat(&p, r.OutputFormat.Type, "")
	}
	return p
}

func parseAnthropicRequest(b []byte) (call, bool) {
	var r anthropicRequest
	if unmarshal(b, &r) != nil {
		return call{}, false
	}
	c := call{operation: semconv.OpChat, model: r.Model, temperature: r.Temperature, topP: r.TopP, maxTokens: r.MaxTokens,
		params: r.anthropicParams.params(), stream: r.Stream}
	if s := text(r.System); s != "" {
		c.messages = append(c.messages, message{role: "system", content: s})
	}
	for _, m := range r.Messages {
		c.messages = append(c.messages, message{role: m.Role, content: text(m.Content)})
	}
	return c, true
}

func parseAnthropicResponse(b []byte) (result, error) {
	var r struct {
		ID         string `json:"id"`
		Model      string `json:"model"`
		Role       string `json:"role"`
		StopReason string `json:"stop_reason"`
		Content    []struct {
			Type  string          `json:"type"`
			Text  string          `json:"text"`
			ID    string          `json:"id"`
			Name  string          `json:"name"`
			Input json.RawMessage `json:"input"`
		} `json:"content"`
		Usage *struct {
			InputTokens              int64 `json:"input_tokens"`
			OutputTokens             int64 `json:"output_tokens"`
			CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
			CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
		} `json:"usage"`
	}
	if err := unmarshal(b, &r); err != nil {
		return result{}, err
	}
	m := message{role: r.Role, finishReason: r.StopReason}
	var sb strings.Builder
	for _, block := range r.Content {
		switch block.Type {
		case "text":
			sb.WriteString(block.Text)
		case "tool_use":
			m.toolCalls = append(m.toolCalls, toolCall{id: block.ID, name: block.Name, arguments: string(block.Input)})
		}
	}
	m.content = sb.String()
	out := result{id: r.ID, model: r.Model, completions: []message{m}}
	if u := r.Usage; u != nil {
		// Anthropic's input_tokens excludes cached tokens; the OTel
		// convention (and pricing.Usage) counts them as input.
		in := u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens
		out.usage = &pricing.Usage{
			Input:      in,
			Output:     u.OutputTokens,
			CacheRead:  u.CacheReadInputTokens,
			CacheWrite: u.CacheCreationInputTokens,
		}
		out.total = in + u.OutputTokens
	}
	return out, nil
}
