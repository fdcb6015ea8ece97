package llm

import (
	"encoding/json"

	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// OpenAI Chat Completions, https://platform.openai.com/docs/api-reference/chat.

type openAIRequest struct {
	Model               string          `json:"model"`
	Stream              bool            `json:"stream"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	MaxTokens           *int64          `json:"max_tokens"`
	MaxCompletionTokens *int64          `json:"max_completion_tokens"`
	Messages            []openAIMessage `json:"messages"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	openAIParams
}

// openAIParams are the parameters Chat Completions shares with the legacy
// Completions API.
type openAIParams struct {
	Stop             json.RawMessage `json:"stop"`
	Seed             *int64          `json:"seed"`
	FrequencyPenalty *float64        `json:"frequency_penalty"`
	PresencePenalty  *float64        `json:"presence_penalty"`
	N                *int64          `json:"n"`
	Tools            json.RawMessage `json:"tools"`
	ResponseFormat   json.RawMessage `json:"response_format"`
}

func (r *openAIParams) params() params {
	p := params{
		stop:             stopSequences(r.Stop),
		seed:             r.Seed,
		frequencyPenalty: r.FrequencyPenalty,
		presencePenalty:  r.PresencePenalty,
		choiceCount:      r.N,
		tools:            openAITools(r.Tools),
	}
	openAIResponseFormat(r.ResponseFormat, &p)
	return p
}

type openAIMessage struct {
	Role      string          `json:"role"`
	Content   json.RawMessage `json:"content"`
	ToolCalls []struct {
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
}

func (m openAIMessage) message(finish string) message {
	out := message{role: m.Role, content: text(m.Content), finishReason: finish}
	for _, tc := range m.ToolCalls {
		out.toolCalls = append(out.toolCalls, toolCall{id: tc.ID, name: tc.Function.Name, arguments: tc.Function.Arguments})
	}
	return out
}

func parseOpenAIRequest(b []byte) (call, bool) {
	var r openAIRequest
	if unmarshal(b, &r) != nil {
		return call{}, false
	}
	c := call{operation: semconv.OpChat, model: r.Model, temperature: r.Temperature, topP: r.TopP, maxTokens: r.MaxTokens,
		params: r.openAIParams.params(), stream: r.Stream}
	if r.Stream {
		includeUsage := r.StreamOptions != nil && r.StreamOptions.IncludeUsage
		c.streamUsage = &includeUsage
	}
	if r.MaxCompletionTokens != nil {
		c.maxTokens = r.MaxCompletionTokens
	}
	for _, m := range r.Messages {
		c.messages = append(c.messages, m.message(""))
	}
	return c, true
}

func parseOpenAIResponse(b []byte) (result, error) {
	var r struct {
		ID      string `json:"id"`
		Model   string `json:"model"`
		Choices []struct {
			Message      openAIMessage `json:"message"`
			FinishReason string        `json:"finish_reason"`
		} `json:"choices"`
		Usage *compatUsage `json:"usage"`
	}
	if err := unmarshal(b, &r); err != nil {
		return result{}, err
	}
	out := result{id: r.ID, model: r.Model}
	for _, ch := range r.Choices {
		out.completions = append(out.completions, ch.Message.message(ch.FinishReason))
	}
	out.usage, out.total = r.Usage.usage()
	return out, nil
}

// compatUsage is the usage of Chat Completions, legacy Completions and
// Embeddings, and of the OpenAI-compatible APIs (DeepSeek reports cache hits
// as prompt_cache_hit_tokens).
type compatUsage struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens     int64 `json:"cached_tokens"`
		CacheWriteTokens int64 `json:"cache_write_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	PromptCacheHitTokens int64 `json:"prompt_cache_hit_tokens"`
}

// usage converts u; nil when the response carried none.
func (u *compatUsage) usage() (*pricing.Usage, int64) {
	if u == nil {
		return nil, 0
	}
	// OpenAI already counts cached tokens in prompt_tokens and reasoning
	// tokens in completion_tokens, as the OTel convention does.
	out := &pricing.Usage{
		Input:      u.PromptTokens,
		Output:     u.CompletionTokens,
		CacheRead:  u.PromptTokensDetails.CachedTokens,
		CacheWrite: u.PromptTokensDetails.CacheWriteTokens,
		Reasoning:  u.CompletionTokensDetails.ReasoningTokens,
	}
	if out.CacheRead == 0 {
		out.CacheRead = u.PromptCacheHitTokens
	}
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	return out, total
}
