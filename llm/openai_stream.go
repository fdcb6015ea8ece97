package llm

import (
	"bytes"
	"encoding/json"
	"strings"
)

// OpenAI Chat Completions streaming,
// https://platform.openai.com/docs/api-reference/chat-streaming: SSE events
// whose data is a chat.completion.chunk, ended by "data: [DONE]". Choices
// arrive as deltas keyed by index, tool calls as deltas keyed by their own
// index (id and name in the first, arguments in fragments). With
// stream_options.include_usage the last chunk has no choices and carries
// the usage; without it there is none — except on Groq, whose last content
// chunk carries it in x_groq.usage
// (https://console.groq.com/docs/api-reference#chat-create). Usage is read
// as in the non-streamed answer (compatUsage), so the cache tokens of
// compatible hosts (DeepSeek's prompt_cache_hit_tokens, cache_write_tokens)
// count.

type openAIChunk struct {
	ID      repeated            `json:"id"`
	Model   repeated            `json:"model"`
	Choices []openAIChunkChoice `json:"choices"`
	Usage   *compatUsage        `json:"usage"` // the last chunk's, with stream_options.include_usage
	XGroq   *struct {
		Usage *compatUsage `json:"usage"` // Groq: on the last chunk, whether or not include_usage is set
	} `json:"x_groq"`
	Error *openAIError `json:"error"`
}

// The delta texts are jsonText, kept between chunks with their buffers
// (reset), so a chunk's text is read without allocating.
type openAIChunkChoice struct {
	Index int `json:"index"`
	Delta struct {
		Role             string                `json:"role"`
		Content          jsonText              `json:"content"`
		Refusal          jsonText              `json:"refusal"`
		ReasoningContent jsonText              `json:"reasoning_content"` // DeepSeek and other compatible hosts
		ToolCalls        []openAIChunkToolCall `json:"tool_calls"`
	} `json:"delta"`
	FinishReason string `json:"finish_reason"`
}

type openAIChunkToolCall struct {
	Index    int    `json:"index"`
	ID       string `json:"id"`
	Function struct {
		Name      string   `json:"name"`
		Arguments jsonText `json:"arguments"`
	} `json:"function"`
}

// reset empties the chunk for the next event, keeping the delta buffers
// and the id and model to compare (json reuses a slice's elements without
// zeroing the fields an event leaves out).
func (ch *openAIChunk) reset() {
	choices := ch.Choices[:cap(ch.Choices)]
	for i := range choices {
		c := &choices[i]
		d := &c.Delta
		content, refusal, reasoning := d.Content[:0], d.Refusal[:0], d.ReasoningContent[:0]
		calls := d.ToolCalls[:cap(d.ToolCalls)]
		for j := range calls {
			args := calls[j].Function.Arguments[:0]
			calls[j] = openAIChunkToolCall{}
			calls[j].Function.Arguments = args
		}
		*c = openAIChunkChoice{}
		d.Content, d.Refusal, d.ReasoningContent, d.ToolCalls = content, refusal, reasoning, calls[:0]
	}
	*ch = openAIChunk{ID: ch.ID, Model: ch.Model, Choices: choices[:0]}
}

type openAIError struct {
	Type    string          `json:"type"`
	Code    json.RawMessage `json:"code"`
	Message string          `json:"message"`
}

// repeated is a string field that every chunk repeats (id, model): equal
// to the value already held, it is not allocated again.
type repeated string

func (r *repeated) UnmarshalJSON(b []byte) error {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && string(b[1:len(b)-1]) == string(*r) &&
		bytes.IndexByte(b, '\\') < 0 {
		return nil
	}
	if string(b) == "null" {
		*r = ""
		return nil
	}
	return json.Unmarshal(b, (*string)(r))
}

// maxStreamIndex bounds the choice and tool-call indexes a stream may use,
// so a corrupt index cannot make the parser allocate without limit.
const maxStreamIndex = 1 << 10

type openAIStream struct {
	chunk   openAIChunk // decoded into again for every event
	dec     eventDecoder
	id      string
	model   string
	choices []streamMessage
	usage   *compatUsage
	failure *failure
}

// streamMessage is one completion being assembled from deltas.
type streamMessage struct {
	role, finish string
	content      []byte // not a strings.Builder: the slices holding these grow by copying
	toolCalls    []streamToolCall
}

type streamToolCall struct {
	id, name string
	args     []byte
}

func newOpenAIStream() streamParser { return new(openAIStream) }

func (p *openAIStream) event(_ string, data []byte) bool {
	ch := &p.chunk
	ch.reset()
	if err := p.dec.decode(data, ch); err != nil {
		if p.failure == nil {
			p.failure = &failure{typ: "malformed_response", message: "parse openai stream event: " + err.Error()}
		}
		return false
	}
	if ch.Error != nil {
		if p.failure == nil {
			p.failure = &failure{typ: ch.Error.Type, message: ch.Error.Message}
			if p.failure.typ == "" {
				p.failure.typ = strings.Trim(string(ch.Error.Code), `"`)
			}
		}
		return false
	}
	if p.id == "" {
		p.id = string(ch.ID)
	}
	if p.model == "" {
		p.model = string(ch.Model)
	}
	switch {
	case ch.Usage != nil:
		p.usage = ch.Usage
	case ch.XGroq != nil && ch.XGroq.Usage != nil && p.usage == nil:
		p.usage = ch.XGroq.Usage
	}
	output := false
	for i := range ch.Choices {
		c := &ch.Choices[i]
		m := p.choice(c.Index)
		if m == nil {
			continue
		}
		d := &c.Delta
		if d.Role != "" {
			m.role = d.Role
		}
		if c.FinishReason != "" {
			m.finish = c.FinishReason
		}
		m.content = append(m.content, d.Content...)
		m.content = append(m.content, d.Refusal...)
		output = output || len(d.Content) > 0 || len(d.Refusal) > 0 || len(d.ReasoningContent) > 0 || len(d.ToolCalls) > 0
		for j := range d.ToolCalls {
			tc := &d.ToolCalls[j]
			if tc.Index < 0 || tc.Index >= maxStreamIndex {
				continue
			}
			for len(m.toolCalls) <= tc.Index {
				m.toolCalls = append(m.toolCalls, streamToolCall{})
			}
			t := &m.toolCalls[tc.Index]
			if tc.ID != "" {
				t.id = tc.ID
			}
			if tc.Function.Name != "" {
				t.name = tc.Function.Name
			}
			t.args = append(t.args, tc.Function.Arguments...)
		}
	}
	return output
}

// choice returns the completion at index i, growing the list to it.
func (p *openAIStream) choice(i int) *streamMessage {
	if i < 0 || i >= maxStreamIndex {
		return nil
	}
	for len(p.choices) <= i {
		p.choices = append(p.choices, streamMessage{role: "assistant"})
	}
	return &p.choices[i]
}

func (p *openAIStream) result() result {
	r := result{id: p.id, model: p.model, failure: p.failure}
	for i := range p.choices {
		r.completions = append(r.completions, p.choices[i].message())
	}
	r.usage, r.total = p.usage.usage() // as parseOpenAIResponse reads it: compatible hosts' cache tokens too
	return r
}

func (m *streamMessage) message() message {
	out := message{role: m.role, content: string(m.content), finishReason: m.finish}
	for i := range m.toolCalls {
		t := &m.toolCalls[i]
		out.toolCalls = append(out.toolCalls, toolCall{id: t.id, name: t.name, arguments: string(t.args)})
	}
	return out
}
