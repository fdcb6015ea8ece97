package llm

import (
	"encoding/json"

	"github.com/agentops-go/agentops/semconv"
)

// OpenAI legacy Completions, https://platform.openai.com/docs/api-reference/completions
// (also served by vLLM, Ollama, Together, DeepSeek's FIM beta ...).

func parseCompletionsRequest(b []byte) (call, bool) {
	var r struct {
		Model       string          `json:"model"`
		Stream      bool            `json:"stream"`
		Prompt      json.RawMessage `json:"prompt"`
		Temperature *float64        `json:"temperature"`
		TopP        *float64        `json:"top_p"`
		MaxTokens   *int64          `json:"max_tokens"`
		openAIParams
	}
	if unmarshal(b, &r) != nil {
		return call{}, false
	}
	c := call{operation: semconv.OpTextCompletion, model: r.Model, stream: r.Stream,
		temperature: r.Temperature, topP: r.TopP, maxTokens: r.MaxTokens, params: r.openAIParams.params()}
	for _, p := range prompts(r.Prompt) {
		c.messages = append(c.messages, message{role: "user", content: p})
	}
	return c, true
}

// prompts reads "prompt": a string, a list of strings, or token ids (kept as
// their JSON, one prompt).
func prompts(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var one string
	if unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	if unmarshal(raw, &many) == nil {
		return many
	}
	return []string{string(raw)}
}

type completionsChunk struct {
	ID      string `json:"id"`
	Model   string `json:"model"`
	Choices []struct {
		Index        int     `json:"index"`
		Text         string  `json:"text"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *compatUsage `json:"usage"`
}

func parseCompletionsResponse(b []byte) (result, error) {
	var r completionsChunk
	if err := unmarshal(b, &r); err != nil {
		return result{}, err
	}
	out := result{id: r.ID, model: r.Model}
	for _, ch := range r.Choices {
		m := message{role: "assistant", content: ch.Text}
		if ch.FinishReason != nil {
			m.finishReason = *ch.FinishReason
		}
		out.completions = append(out.completions, m)
	}
	out.usage, out.total = r.Usage.usage()
	return out, nil
}

// completionsStream assembles a streamed completion: chunks of the response's
// shape whose choices carry text deltas, a final chunk with usage when
// stream_options.include_usage is set, and "[DONE]".
type completionsStream struct {
	chunk     completionsStreamChunk // decoded into again for every event
	dec       eventDecoder
	id, model string
	choices   []streamedChoice
	done      result // usage, total and failure only
}

type streamedChoice struct {
	index  int
	text   []byte
	finish string
}

func newCompletionsStream() streamParser { return &completionsStream{} }

// completionsStreamChunk is a streamed chunk read without allocating:
// texts are jsonText, the repeated id and model compared; reset keeps the
// buffers.
type completionsStreamChunk struct {
	ID      repeated `json:"id"`
	Model   repeated `json:"model"`
	Choices []struct {
		Index        int      `json:"index"`
		Text         jsonText `json:"text"`
		FinishReason *string  `json:"finish_reason"`
	} `json:"choices"`
	Usage *compatUsage `json:"usage"`
}

func (c *completionsStreamChunk) reset() {
	choices := c.Choices[:cap(c.Choices)]
	for i := range choices {
		text := choices[i].Text[:0]
		choices[i] = struct {
			Index        int      `json:"index"`
			Text         jsonText `json:"text"`
			FinishReason *string  `json:"finish_reason"`
		}{Text: text}
	}
	*c = completionsStreamChunk{ID: c.ID, Model: c.Model, Choices: choices[:0]}
}

func (s *completionsStream) event(_ string, data []byte) bool {
	if string(data) == "[DONE]" {
		return false
	}
	if f := streamFailure(data); f != nil {
		if s.done.failure == nil {
			s.done.failure = f
		}
		return false
	}
	c := &s.chunk
	c.reset()
	if err := s.dec.decode(data, c); err != nil {
		if s.done.failure == nil {
			s.done.failure = &failure{typ: "malformed_response", message: "parse completions stream event: " + err.Error()}
		}
		return false
	}
	if s.id == "" {
		s.id = string(c.ID)
	}
	if c.Model != "" {
		s.model = string(c.Model)
	}
	if c.Usage != nil {
		s.done.usage, s.done.total = c.Usage.usage()
	}
	output := false
	for i := range c.Choices {
		ch := &c.Choices[i]
		sc := s.choice(ch.Index)
		sc.text = append(sc.text, ch.Text...)
		if ch.FinishReason != nil {
			sc.finish = *ch.FinishReason
		}
		output = output || len(ch.Text) > 0
	}
	return output
}

func (s *completionsStream) choice(index int) *streamedChoice {
	for i := range s.choices {
		if s.choices[i].index == index {
			return &s.choices[i]
		}
	}
	s.choices = append(s.choices, streamedChoice{index: index})
	return &s.choices[len(s.choices)-1]
}

func (s *completionsStream) result() result {
	out := result{id: s.id, model: s.model, usage: s.done.usage, total: s.done.total, failure: s.done.failure}
	for _, ch := range s.choices {
		out.completions = append(out.completions, message{role: "assistant", content: string(ch.text), finishReason: ch.finish})
	}
	return out
}
