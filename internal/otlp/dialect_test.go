package otlp

import (
	"testing"

	"github.com/agentops-go/agentops/internal/model"
)

// typedFields is what normalization derives from a span's attributes.
type typedFields struct {
	Kind                                             model.Kind
	Provider, Operation, RequestModel, ResponseModel string
	Usage                                            model.Usage
	Cost                                             float64
	CostSource                                       model.CostSource
}

func typedOf(s model.Span) typedFields {
	return typedFields{s.Kind, s.Provider, s.Operation, s.RequestModel, s.ResponseModel, s.Usage, s.Cost, s.CostSource}
}

// TestDialectFamilies feeds each instrumentation family's spans as it
// sends them (attribute sets copied from their conventions: kinds, models,
// tokens, messages, parameters) and checks the typed span they become. The
// message attributes are kept raw; internal/api reads them into the one
// transcript form (TestTranscriptDialects there).
func TestDialectFamilies(t *testing.T) {
	tests := []struct {
		name  string
		attrs map[string]any
		want  typedFields
	}{
		// OpenInference (Arize Phoenix instrumentations).
		{
			name: "OpenInference LLM span",
			attrs: map[string]any{
				"openinference.span.kind": "LLM", "llm.system": "openai", "llm.provider": "openai",
				"llm.model_name":         "gpt-4o-mini-2024-07-18",
				"llm.token_count.prompt": 52, "llm.token_count.completion": 9, "llm.token_count.total": 61,
				"llm.input_messages.0.message.role": "user", "llm.input_messages.0.message.content": "hi",
				"llm.output_messages.0.message.role": "assistant", "llm.output_messages.0.message.content": "hello",
				"llm.invocation_parameters": `{"model": "gpt-4o-mini", "temperature": 0}`,
				"input.value":               `{"messages": []}`, "input.mime_type": "application/json",
			},
			want: typedFields{Kind: "llm", Provider: "openai", RequestModel: "gpt-4o-mini-2024-07-18",
				Usage: model.Usage{Input: 52, Output: 9, Total: 61}},
		},
		{
			name: "OpenInference model only in invocation parameters",
			attrs: map[string]any{
				"openinference.span.kind": "LLM", "llm.invocation_parameters": `{"model_name": "claude-3-5-haiku", "max_tokens": 100}`,
				"llm.token_count.prompt": 10, "llm.token_count.completion": 2,
			},
			want: typedFields{Kind: "llm", RequestModel: "claude-3-5-haiku", Usage: model.Usage{Input: 10, Output: 2, Total: 12}},
		},
		{
			name:  "OpenInference invocation parameters that are not JSON",
			attrs: map[string]any{"openinference.span.kind": "LLM", "llm.invocation_parameters": "model=gpt-4o"},
			want:  typedFields{Kind: "llm"},
		},
		{
			name:  "OpenInference chain, agent, tool, retriever",
			attrs: map[string]any{"openinference.span.kind": "CHAIN", "input.value": "q", "output.value": "a"},
			want:  typedFields{Kind: "workflow"},
		},
		{
			name:  "OpenInference tool",
			attrs: map[string]any{"openinference.span.kind": "TOOL", "tool.name": "search", "tool.parameters": `{"q": "string"}`},
			want:  typedFields{Kind: "tool"},
		},
		{
			name:  "OpenInference agent",
			attrs: map[string]any{"openinference.span.kind": "AGENT"},
			want:  typedFields{Kind: "agent"},
		},

		// OpenLLMetry (Traceloop).
		{
			name: "OpenLLMetry chat span",
			attrs: map[string]any{
				"llm.request.type": "chat", "gen_ai.system": "OpenAI",
				"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
				"gen_ai.usage.prompt_tokens": 120, "gen_ai.usage.completion_tokens": 30, "llm.usage.total_tokens": 150,
				"gen_ai.usage.cache_read_input_tokens": 100,
				"gen_ai.prompt.0.role":                 "user", "gen_ai.prompt.0.content": "hi",
				"gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.content": "hello",
			},
			want: typedFields{Kind: "llm", Provider: "OpenAI", Operation: "chat", RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06",
				Usage: model.Usage{Input: 120, Output: 30, CacheRead: 100, Total: 150}},
		},
		{
			name: "OpenLLMetry workflow, with entity name and input",
			attrs: map[string]any{
				"traceloop.span.kind": "workflow", "traceloop.entity.name": "answer_question",
				"traceloop.entity.input": `{"args": ["q"]}`, "traceloop.entity.output": `"a"`,
				"traceloop.workflow.name": "answer_question",
			},
			want: typedFields{Kind: "workflow"},
		},
		{
			name:  "OpenLLMetry tool",
			attrs: map[string]any{"traceloop.span.kind": "tool", "traceloop.entity.name": "get_weather"},
			want:  typedFields{Kind: "tool"},
		},
		{
			name:  "OpenLLMetry agent",
			attrs: map[string]any{"traceloop.span.kind": "agent", "traceloop.entity.name": "planner"},
			want:  typedFields{Kind: "agent"},
		},
		{
			name: "OpenLLMetry embedding",
			attrs: map[string]any{"llm.request.type": "embedding", "gen_ai.system": "OpenAI",
				"gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.prompt_tokens": 8, "llm.usage.total_tokens": 8},
			want: typedFields{Kind: "llm", Provider: "OpenAI", Operation: "embeddings", RequestModel: "text-embedding-3-small", Usage: model.Usage{Input: 8, Total: 8}},
		},

		// OTel GenAI conventions, old and new attribute names.
		{
			name: "OTel GenAI current, structured messages",
			attrs: map[string]any{
				"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic",
				"gen_ai.request.model": "claude-sonnet-4-5", "gen_ai.response.model": "claude-sonnet-4-5-20250929",
				"gen_ai.usage.input_tokens": 10, "gen_ai.usage.output_tokens": 200,
				"gen_ai.usage.cache_read_input_tokens": 3000, "gen_ai.usage.cache_creation_input_tokens": 500,
				"gen_ai.input.messages":  `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`,
				"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"yo"}],"finish_reason":"stop"}]`,
			},
			want: typedFields{Kind: "llm", Provider: "anthropic", Operation: "chat",
				RequestModel: "claude-sonnet-4-5", ResponseModel: "claude-sonnet-4-5-20250929",
				Usage: model.Usage{Input: 3510, Output: 200, CacheRead: 3000, CacheWrite: 500, Total: 3710}},
		},
		{
			name: "OTel GenAI older names, indexed messages",
			attrs: map[string]any{
				"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini",
				"gen_ai.usage.prompt_tokens": 5, "gen_ai.usage.completion_tokens": 7,
				"gen_ai.prompt.0.role": "user", "gen_ai.prompt.0.content": "hi",
			},
			want: typedFields{Kind: "llm", Provider: "openai", RequestModel: "gpt-4o-mini", Usage: model.Usage{Input: 5, Output: 7, Total: 12}},
		},
		{
			name:  "OTel GenAI tool execution",
			attrs: map[string]any{"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search", "gen_ai.tool.call.id": "c1"},
			want:  typedFields{Kind: "tool", Operation: "execute_tool"},
		},
		{
			name:  "OTel GenAI agent invocation",
			attrs: map[string]any{"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "planner"},
			want:  typedFields{Kind: "agent", Operation: "invoke_agent"},
		},

		// OpenLIT.
		{
			name: "OpenLIT chat span with its own cost",
			attrs: map[string]any{
				"telemetry.sdk.name": "openlit", "gen_ai.operation.name": "chat", "gen_ai.system": "openai",
				"gen_ai.request.model": "gpt-4o", "gen_ai.response.model": "gpt-4o-2024-08-06",
				"gen_ai.usage.input_tokens": 100, "gen_ai.usage.output_tokens": 50, "gen_ai.client.token.usage": 150,
				"gen_ai.usage.cost": 0.00075, "gen_ai.environment": "production", "gen_ai.application_name": "default",
			},
			want: typedFields{Kind: "llm", Provider: "openai", Operation: "chat", RequestModel: "gpt-4o", ResponseModel: "gpt-4o-2024-08-06",
				Usage: model.Usage{Input: 100, Output: 50, Total: 150}, Cost: 0.00075, CostSource: model.CostSpan},
		},
		{
			name: "OpenLIT embedding (older operation name)",
			attrs: map[string]any{"gen_ai.operation.name": "embedding", "gen_ai.system": "openai",
				"gen_ai.request.model": "text-embedding-3-small", "gen_ai.usage.input_tokens": 4, "gen_ai.client.token.usage": 4},
			want: typedFields{Kind: "llm", Provider: "openai", Operation: "embedding", RequestModel: "text-embedding-3-small", Usage: model.Usage{Input: 4, Total: 4}},
		},
		{
			name:  "OpenLIT framework and agent operations",
			attrs: map[string]any{"gen_ai.operation.name": "agent", "gen_ai.system": "crewai"},
			want:  typedFields{Kind: "agent", Provider: "crewai", Operation: "agent"},
		},
		{
			name:  "OpenLIT task",
			attrs: map[string]any{"gen_ai.operation.name": "execute_task"},
			want:  typedFields{Kind: "task", Operation: "execute_task"},
		},
		{
			name:  "OpenLIT workflow",
			attrs: map[string]any{"gen_ai.operation.name": "workflow"},
			want:  typedFields{Kind: "workflow", Operation: "workflow"},
		},
		{
			name:  "OpenLIT vector database",
			attrs: map[string]any{"gen_ai.operation.name": "vectordb", "db.system": "chroma"},
			want:  typedFields{Kind: "tool", Operation: "vectordb"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := typedOf(normalizeOne(t, oneSpan(t, tt.attrs), Limits{})); got != tt.want {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
