// Package semconv names the span attributes that the SDK writes and the server
// reads. It is a leaf package shared by both sides of the wire: the SDK never
// imports server code and the server never imports the SDK, so every attribute
// name they agree on lives here, once.
//
// Three families are listed: AgentOps' own (agentops.*), the OpenTelemetry
// GenAI semantic conventions in their current form, and the older GenAI names
// that the official AgentOps SDKs still send (gen_ai.usage.prompt_tokens ...).
package semconv

// AgentOps attributes.
const (
	SpanKind       = "agentops.span.kind"         // session, agent, tool, llm, ... (see Kind* below)
	OperationName  = "operation.name"             // the name given to a decorated/wrapped function
	Tags           = "agentops.tags"              // JSON list of strings, on the session's root span
	EndState       = "agentops.session.end_state" // Success, Failure, Indeterminate
	EndStateReason = "agentops.session.end_state_reason"
	// LegacyEndStateReason is where the Python SDK 0.4's legacy
	// end_session(..., end_state_reason=...) puts the reason.
	LegacyEndStateReason = "agentops.legacy.end_state_reason"
	ProjectID            = "agentops.project.id" // sent by some clients; the server ignores it
	SessionName          = "agentops.session.name"
	EntityInput          = "agentops.entity.input"  // JSON of a wrapped function's inputs
	EntityOutput         = "agentops.entity.output" // JSON of a wrapped function's output
	TruncatedSuffix      = ".truncated"             // appended to an attribute key whose value the server cut
)

// Span kinds, the values of agentops.span.kind.
const (
	KindSession   = "session"
	KindAgent     = "agent"
	KindWorkflow  = "workflow"
	KindTask      = "task"
	KindOperation = "operation"
	KindTool      = "tool"
	KindLLM       = "llm"
	KindGuardrail = "guardrail"
	KindAction    = "action"
	KindError     = "error"
	KindHTTP      = "http"
	KindUnknown   = "unknown"
)

// OpenTelemetry GenAI attributes, current names.
const (
	GenAIOperationName       = "gen_ai.operation.name"
	GenAIProviderName        = "gen_ai.provider.name"
	GenAISystem              = "gen_ai.system" // the older name of gen_ai.provider.name
	GenAIRequestModel        = "gen_ai.request.model"
	GenAIResponseModel       = "gen_ai.response.model"
	GenAIResponseID          = "gen_ai.response.id"
	GenAIInputTokens         = "gen_ai.usage.input_tokens"
	GenAIOutputTokens        = "gen_ai.usage.output_tokens"
	GenAICacheReadTokens     = "gen_ai.usage.cache_read_input_tokens"
	GenAICacheCreationTokens = "gen_ai.usage.cache_creation_input_tokens"
	GenAIReasoningTokens     = "gen_ai.usage.reasoning_tokens"
	GenAITotalTokens         = "gen_ai.usage.total_tokens"
	GenAITotalCost           = "gen_ai.usage.total_cost"
	GenAICost                = "gen_ai.usage.cost"
	GenAIInputMessages       = "gen_ai.input.messages"
	GenAIOutputMessages      = "gen_ai.output.messages"
	GenAIRequestTemperature  = "gen_ai.request.temperature"
	GenAIRequestMaxTokens    = "gen_ai.request.max_tokens"
	GenAIRequestTopP         = "gen_ai.request.top_p"
	GenAIResponseFinish      = "gen_ai.response.finish_reasons"
)

// Attributes of streamed LLM calls and of what could not be recorded: the
// GenAI names where the conventions define one, AgentOps names otherwise.
// Times are seconds, as in gen_ai.response.time_to_first_chunk.
const (
	GenAIRequestStream    = "gen_ai.request.stream"                     // bool: the request asked for a streamed response
	GenAITimeToFirstChunk = "gen_ai.response.time_to_first_chunk"       // seconds from the request to the first streamed event
	LLMTimeToFirstToken   = "agentops.llm.stream.time_to_first_token"   // seconds from the request to the first event carrying output
	LLMStreamChunks       = "agentops.llm.stream.chunk_count"           // events of a streamed response
	LLMStreamAbandoned    = "agentops.llm.stream.abandoned"             // true: the caller closed the stream before its end
	LLMStreamUnparsed     = "agentops.llm.stream.unparsed"              // why the rest of a stream was not parsed (its bytes still passed)
	LLMUsageUnreported    = "agentops.llm.usage.unreported"             // true: the provider sent no usage; no token counts are recorded
	LLMRequestUnrecorded  = "agentops.llm.request.unrecorded"           // why the request body was not recorded (too large)
	LLMResponseUnrecorded = "agentops.llm.response.unrecorded"          // why a non-streamed response body was not recorded (too large)
	LLMResponseAbandoned  = "agentops.llm.response.abandoned"           // true: the caller closed a non-streamed response before reading it whole
	LLMStreamIncludeUsage = "agentops.llm.request.stream_include_usage" // OpenAI stream_options.include_usage
)

// OpenTelemetry GenAI request parameters (semantic conventions v1.41), and the
// AgentOps extensions beside them where the conventions have no name.
const (
	GenAIRequestStopSequences    = "gen_ai.request.stop_sequences" // string[]
	GenAIRequestTopK             = "gen_ai.request.top_k"
	GenAIRequestSeed             = "gen_ai.request.seed"
	GenAIRequestFrequencyPenalty = "gen_ai.request.frequency_penalty"
	GenAIRequestPresencePenalty  = "gen_ai.request.presence_penalty"
	GenAIRequestChoiceCount      = "gen_ai.request.choice.count"
	GenAIRequestEncodingFormats  = "gen_ai.request.encoding_formats"   // string[], embeddings
	GenAIEmbeddingsDimensions    = "gen_ai.embeddings.dimension.count" // requested dimensions, embeddings
	GenAIToolDefinitions         = "gen_ai.tool.definitions"           // JSON list of {type, name, description, parameters}
	GenAIOutputType              = "gen_ai.output.type"                // OutputText, OutputJSON
	// AgentOps extensions.
	GenAIRequestResponseFormat = "gen_ai.request.response_format"      // json_object, json_schema, text, or a MIME type (Gemini's responseMimeType)
	GenAIRequestResponseSchema = "gen_ai.request.response_schema.name" // the name of a requested JSON schema
	GenAIEmbeddingsInputCount  = "gen_ai.embeddings.input.count"       // number of inputs embedded by one call
)

// gen_ai.output.type values.
const (
	OutputText = "text"
	OutputJSON = "json"
)

// Older GenAI names, as the official AgentOps SDKs send them.
const (
	GenAIPromptTokens     = "gen_ai.usage.prompt_tokens"
	GenAICompletionTokens = "gen_ai.usage.completion_tokens"
	GenAICacheReadLegacy  = "gen_ai.usage.cache_read_tokens"     // also sent by some instrumentations
	GenAICacheWriteLegacy = "gen_ai.usage.cache_creation_tokens" // idem
	GenAIPromptPrefix     = "gen_ai.prompt."                     // gen_ai.prompt.N.role / .content
	GenAICompletionPrefix = "gen_ai.completion."                 // gen_ai.completion.N.role / .content / .finish_reason
	GenAIToolCallsInfix   = ".tool_calls."                       // gen_ai.completion.N.tool_calls.M.id / .name / .arguments
)

// gen_ai.operation.name values.
const (
	OpChat            = "chat"
	OpTextCompletion  = "text_completion"
	OpGenerateContent = "generate_content"
	OpEmbeddings      = "embeddings"
	OpExecuteTool     = "execute_tool"
	OpInvokeAgent     = "invoke_agent"
	OpCreateAgent     = "create_agent"
)

// General OpenTelemetry attributes the server reads.
const (
	ErrorType           = "error.type"
	ErrorMessage        = "error.message"
	ExceptionEvent      = "exception"
	ExceptionType       = "exception.type"
	ExceptionMessage    = "exception.message"
	ExceptionStacktrace = "exception.stacktrace"
	HostPrefix          = "host."
	OSPrefix            = "os."
)

// End states, the values of agentops.session.end_state.
const (
	EndStateSuccess       = "Success"
	EndStateFailure       = "Failure"
	EndStateIndeterminate = "Indeterminate"
)

// OpenLLMetry (Traceloop) and OpenInference attributes, read by the server as
// fallbacks when a span carries no AgentOps or GenAI equivalent.
const (
	TraceloopSpanKind       = "traceloop.span.kind"     // workflow, task, agent, tool, llm
	OpenInferenceSpanKind   = "openinference.span.kind" // LLM, CHAIN, TOOL, AGENT, EMBEDDING, RETRIEVER, ...
	LLMRequestType          = "llm.request.type"        // OpenLLMetry: chat, completion, embedding, rerank
	GenAIRequestType        = "gen_ai.request.type"     // the same, as the AgentOps Python SDK's instrumentations send it
	LLMUsageTotalTokens     = "llm.usage.total_tokens"  // OpenLLMetry
	LLMModelName            = "llm.model_name"          // OpenInference
	LLMProvider             = "llm.provider"            // OpenInference: openai, anthropic, ...
	LLMSystem               = "llm.system"              // OpenInference: the model family's vendor
	LLMTokenCountPrompt     = "llm.token_count.prompt"
	LLMTokenCountCompletion = "llm.token_count.completion"
	LLMTokenCountTotal      = "llm.token_count.total"
	LLMTokenCountCacheRead  = "llm.token_count.prompt_details.cache_read"
	LLMTokenCountCacheWrite = "llm.token_count.prompt_details.cache_write"
	LLMTokenCountReasoning  = "llm.token_count.completion_details.reasoning"
	LLMInvocationParameters = "llm.invocation_parameters" // OpenInference: the request's JSON parameters ({"model": ...})
	GenAIClientTokenUsage   = "gen_ai.client.token.usage" // OpenLIT: a call's total tokens
)

// Host environment of a session's root span, as the Go SDK records it (the
// server keeps every host.*, os.* and process.runtime.* attribute).
const (
	ProcessRuntimePrefix    = "process.runtime."
	HostName                = "host.name"
	HostArch                = "host.arch"
	HostCPUCount            = "host.cpu.count"
	HostMemoryTotal         = "host.memory.total" // bytes
	OSType                  = "os.type"
	OSVersion               = "os.version"
	ProcessRuntimeName      = "process.runtime.name"
	ProcessRuntimeVersion   = "process.runtime.version"
	ProcessRuntimeSDK       = "process.runtime.agentops.sdk_version"
	ProcessRuntimeCwd       = "process.runtime.working_directory"
	ProcessRuntimeGoMaxProc = "process.runtime.go.maxprocs"
)

// Attributes of the legacy events (ActionEvent, ToolEvent, ErrorEvent) that
// have no GenAI equivalent.
const (
	EntityLogs       = "agentops.entity.logs"
	ActionType       = "agentops.action.type"
	ActionScreenshot = "agentops.action.screenshot"
	ToolName         = "gen_ai.tool.name"
	ErrorCode        = "agentops.error.code"
	ErrorDetails     = "agentops.error.details"
	ErrorTrigger     = "agentops.error.trigger_event" // kind of the event that caused the error
)

// HTTP attributes of the spans the SDK's middleware records.
const (
	HTTPRequestMethod      = "http.request.method"
	HTTPRoute              = "http.route"
	HTTPResponseStatusCode = "http.response.status_code"
	URLPath                = "url.path"
)
