package llm

import (
	"encoding/json"

	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// Ollama's native API, https://github.com/ollama/ollama/blob/main/docs/api.md:
// /api/chat and /api/generate. Unlike OpenAI's, these stream unless the
// request says "stream": false, as NDJSON: one JSON object per line, the last
// with "done": true and the token counts.

type ollamaRequest struct {
	Model   string          `json:"model"`
	Stream  *bool           `json:"stream"`
	Format  json.RawMessage `json:"format"` // "json" or a JSON schema
	Tools   json.RawMessage `json:"tools"`
	Options *struct {
		Temperature      *float64        `json:"temperature"`
		TopP             *float64        `json:"top_p"`
		TopK             *float64        `json:"top_k"`
		NumPredict       *int64          `json:"num_predict"`
		Stop             json.RawMessage `json:"stop"`
		Seed             *int64          `json:"seed"`
		PresencePenalty  *float64        `json:"presence_penalty"`
		FrequencyPenalty *float64        `json:"frequency_penalty"`
	} `json:"options"`
}

func (r *ollamaRequest) call(operation string) call {
	c := call{operation: operation, model: r.Model, stream: r.Stream == nil || *r.Stream}
	c.params.tools = openAITools(r.Tools)
	if o := r.Options; o != nil {
		c.temperature, c.topP, c.maxTokens = o.Temperature, o.TopP, o.NumPredict
		c.params.topK, c.params.seed = o.TopK, o.Seed
		c.params.stop = stopSequences(o.Stop)
		c.params.presencePenalty, c.params.frequencyPenalty = o.PresencePenalty, o.FrequencyPenalty
	}
	if len(r.Format) > 0 && string(r.Format) != "null" && string(r.Format) != `""` {
		c.params.outputType = semconv.OutputJSON
		c.params.responseFormat = "json_schema"
		if string(r.Format) == `"json"` {
			c.params.responseFormat = "json"
		}
	}
	return c
}

type ollamaMessage struct {
	Role      string `json:"role"`
	Content   string `json:"content"`
	Thinking  string `json:"thinking"`
	ToolCalls []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
}

func (m *ollamaMessage) message() message {
	out := message{role: m.Role, content: m.Content}
	for _, tc := range m.ToolCalls {
		out.toolCalls = append(out.toolCalls, toolCall{id: tc.ID, name: tc.Function.Name, arguments: string(compact(tc.Function.Arguments))})
	}
	return out
}

func parseOllamaChatRequest(b []byte) (call, bool) {
	var r struct {
		ollamaRequest
		Messages []ollamaMessage `json:"messages"`
	}
	if unmarshal(b, &r) != nil {
		return call{}, false
	}
	c := r.call(semconv.OpChat)
	for i := range r.Messages {
		c.messages = append(c.messages, r.Messages[i].message())
	}
	return c, true
}

func parseOllamaGenerateRequest(b []byte) (call, bool) {
	var r struct {
		ollamaRequest
		System string `json:"system"`
		Prompt string `json:"prompt"`
	}
	if unmarshal(b, &r) != nil {
		return call{}, false
	}
	c := r.call(semconv.OpTextCompletion)
	if r.System != "" {
		c.messages = append(c.messages, message{role: "system", content: r.System})
	}
	c.messages = append(c.messages, message{role: "user", content: r.Prompt})
	return c, true
}

// ollamaResponse is a whole response and each line of a streamed one; chat
// answers carry message, generate answers response.
type ollamaResponse struct {
	Model           string         `json:"model"`
	Message         *ollamaMessage `json:"message"`
	Response        string         `json:"response"`
	Thinking        string         `json:"thinking"`
	Done            bool           `json:"done"`
	DoneReason      string         `json:"done_reason"`
	PromptEvalCount int64          `json:"prompt_eval_count"`
	EvalCount       int64          `json:"eval_count"`
}

func (r *ollamaResponse) usage() (*pricing.Usage, int64) {
	if !r.Done {
		return nil, 0
	}
	return &pricing.Usage{Input: r.PromptEvalCount, Output: r.EvalCount}, r.PromptEvalCount + r.EvalCount
}

func parseOllamaResponse(b []byte) (result, error) {
	var r ollamaResponse
	if err := unmarshal(b, &r); err != nil {
		return result{}, err
	}
	m := message{role: "assistant", content: r.Response}
	if r.Message != nil {
		m = r.Message.message()
	}
	m.finishReason = r.DoneReason
	out := result{model: r.Model, completions: []message{m}}
	out.usage, out.total = r.usage()
	return out, nil
}

// ollamaStream assembles a streamed /api/chat or /api/generate answer.
type ollamaStream struct {
	line    ollamaLine // decoded into again for every line
	dec     eventDecoder
	model   string
	role    string
	text    []byte
	calls   []toolCall
	finish  string
	usage   *pricing.Usage
	total   int64
	done    bool
	failure *failure
}

func newOllamaStream() streamParser { return &ollamaStream{} }

// ollamaLine is a streamed line: an ollamaResponse whose texts are
// jsonText and whose repeated model and role are compared, not allocated,
// so a line is read without allocating (reset keeps the buffers).
type ollamaLine struct {
	Model           repeated          `json:"model"`
	Message         ollamaLineMessage `json:"message"`
	Response        jsonText          `json:"response"`
	Thinking        jsonText          `json:"thinking"`
	Done            bool              `json:"done"`
	DoneReason      string            `json:"done_reason"`
	PromptEvalCount int64             `json:"prompt_eval_count"`
	EvalCount       int64             `json:"eval_count"`
}

type ollamaLineMessage struct {
	Role      repeated `json:"role"`
	Content   jsonText `json:"content"`
	Thinking  jsonText `json:"thinking"`
	ToolCalls []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string          `json:"name"`
			Arguments json.RawMessage `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
}

func (l *ollamaLine) reset() {
	m := l.Message
	*l = ollamaLine{Model: l.Model, Response: l.Response[:0], Thinking: l.Thinking[:0],
		Message: ollamaLineMessage{Role: m.Role, Content: m.Content[:0], Thinking: m.Thinking[:0]}}
}

func (s *ollamaStream) event(_ string, data []byte) bool {
	if f := streamFailure(data); f != nil {
		s.fail(f)
		return false
	}
	r := &s.line
	r.reset()
	if err := s.dec.decode(data, r); err != nil {
		s.fail(&failure{typ: "malformed_response", message: "parse ollama stream line: " + err.Error()})
		return false
	}
	if r.Model != "" {
		s.model = string(r.Model)
	}
	m := &r.Message
	if m.Role != "" {
		s.role = string(m.Role)
	}
	for _, tc := range m.ToolCalls {
		s.calls = append(s.calls, toolCall{id: tc.ID, name: tc.Function.Name, arguments: string(compact(tc.Function.Arguments))})
	}
	// chat lines carry message, generate lines response
	s.text = append(s.text, r.Response...)
	s.text = append(s.text, m.Content...)
	if r.Done {
		s.done = true
		s.finish = r.DoneReason
		s.usage = &pricing.Usage{Input: r.PromptEvalCount, Output: r.EvalCount}
		s.total = r.PromptEvalCount + r.EvalCount
	}
	return len(r.Response) > 0 || len(m.Content) > 0 || len(r.Thinking) > 0 || len(m.Thinking) > 0 || len(m.ToolCalls) > 0
}

func (s *ollamaStream) fail(f *failure) {
	if s.failure == nil {
		s.failure = f
	}
}

// complete reports whether the last line, "done": true, has arrived.
func (s *ollamaStream) complete() bool { return s.done }

func (s *ollamaStream) result() result {
	role := s.role
	if role == "" {
		role = "assistant"
	}
	m := message{role: role, content: string(s.text), toolCalls: s.calls, finishReason: s.finish}
	return result{model: s.model, completions: []message{m}, usage: s.usage, total: s.total, failure: s.failure}
}
