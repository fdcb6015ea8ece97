package otlp

import (
	"cmp"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/semconv"
)

// attrKey indexes the span attributes normalization reads.
type attrKey uint8

const (
	kSpanKind attrKey = iota
	kTraceloopKind
	kOpenInferenceKind
	kLLMRequestType
	kGenAIRequestType
	kOperation
	kOperationName
	kProviderName
	kSystem
	kLLMProvider
	kLLMSystem
	kRequestModel
	kResponseModel
	kLLMModelName
	kInputTokens
	kPromptTokens
	kLLMPromptTokens
	kOutputTokens
	kCompletionTokens
	kLLMCompletionTokens
	kCacheRead
	kCacheReadLegacy
	kLLMCacheRead
	kCacheWrite
	kCacheWriteLegacy
	kLLMCacheWrite
	kReasoning
	kLLMReasoning
	kTotalTokens
	kLLMUsageTotal
	kLLMTotalTokens
	kTotalCost
	kCost
	kErrorType
	kExceptionType
	kExceptionMessage
	kExceptionStack
	kEndState
	kEndStateReason
	kLegacyEndStateReason
	kTags
	kInvocationParams
	kClientTokenUsage
	numKeys
)

// keyOf maps an attribute name to the key normalization reads, or false.
func keyOf(k string) (attrKey, bool) {
	switch k {
	case semconv.SpanKind:
		return kSpanKind, true
	case semconv.TraceloopSpanKind:
		return kTraceloopKind, true
	case semconv.OpenInferenceSpanKind:
		return kOpenInferenceKind, true
	case semconv.LLMRequestType:
		return kLLMRequestType, true
	case semconv.GenAIRequestType:
		return kGenAIRequestType, true
	case semconv.OperationName:
		return kOperationName, true
	case semconv.GenAIOperationName:
		return kOperation, true
	case semconv.GenAIProviderName:
		return kProviderName, true
	case semconv.GenAISystem:
		return kSystem, true
	case semconv.LLMProvider:
		return kLLMProvider, true
	case semconv.LLMSystem:
		return kLLMSystem, true
	case semconv.GenAIRequestModel:
		return kRequestModel, true
	case semconv.GenAIResponseModel:
		return kResponseModel, true
	case semconv.LLMModelName:
		return kLLMModelName, true
	case semconv.GenAIInputTokens:
		return kInputTokens, true
	case semconv.GenAIPromptTokens:
		return kPromptTokens, true
	case semconv.LLMTokenCountPrompt:
		return kLLMPromptTokens, true
	case semconv.GenAIOutputTokens:
		return kOutputTokens, true
	case semconv.GenAICompletionTokens:
		return kCompletionTokens, true
	case semconv.LLMTokenCountCompletion:
		return kLLMCompletionTokens, true
	case semconv.GenAICacheReadTokens:
		return kCacheRead, true
	case semconv.GenAICacheReadLegacy:
		return kCacheReadLegacy, true
	case semconv.LLMTokenCountCacheRead:
		return kLLMCacheRead, true
	case semconv.GenAICacheCreationTokens:
		return kCacheWrite, true
	case semconv.GenAICacheWriteLegacy:
		return kCacheWriteLegacy, true
	case semconv.LLMTokenCountCacheWrite:
		return kLLMCacheWrite, true
	case semconv.GenAIReasoningTokens:
		return kReasoning, true
	case semconv.LLMTokenCountReasoning:
		return kLLMReasoning, true
	case semconv.GenAITotalTokens:
		return kTotalTokens, true
	case semconv.LLMUsageTotalTokens:
		return kLLMUsageTotal, true
	case semconv.LLMTokenCountTotal:
		return kLLMTotalTokens, true
	case semconv.GenAITotalCost:
		return kTotalCost, true
	case semconv.GenAICost:
		return kCost, true
	case semconv.ErrorType:
		return kErrorType, true
	case semconv.ExceptionType:
		return kExceptionType, true
	case semconv.ExceptionMessage:
		return kExceptionMessage, true
	case semconv.ExceptionStacktrace:
		return kExceptionStack, true
	case semconv.EndState:
		return kEndState, true
	case semconv.EndStateReason:
		return kEndStateReason, true
	case semconv.LegacyEndStateReason:
		return kLegacyEndStateReason, true
	case semconv.Tags:
		return kTags, true
	case semconv.LLMInvocationParameters:
		return kInvocationParams, true
	case semconv.GenAIClientTokenUsage:
		return kClientTokenUsage, true
	}
	return 0, false
}

// known.has is a 64-bit set of attrKeys.
var _ [64 - numKeys]struct{}

// known holds the attributes of one span that normalization reads, as
// collected by the encoder in the same pass that writes the raw JSON.
type known struct {
	has  uint64 // bit k set: vals[k] is present
	vals [numKeys]pcommon.Value
}

func (a *known) add(k string, v pcommon.Value) {
	if i, ok := keyOf(k); ok && a.has&(1<<i) == 0 {
		a.has |= 1 << i
		a.vals[i] = v
	}
}

// str returns the first of keys present with a non-empty string value.
func (a *known) str(keys ...attrKey) string {
	for _, k := range keys {
		if a.has&(1<<k) != 0 && a.vals[k].Type() == pcommon.ValueTypeStr {
			if s := a.vals[k].Str(); s != "" {
				return s
			}
		}
	}
	return ""
}

// tokens returns the first of keys present with a usable count (see count).
func (a *known) tokens(keys ...attrKey) (int64, bool) {
	for _, k := range keys {
		if a.has&(1<<k) != 0 {
			if f, ok := number(a.vals[k]); ok {
				return count(f), true
			}
		}
	}
	return 0, false
}

// number reads an int, a double or a numeric string.
func number(v pcommon.Value) (float64, bool) {
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return float64(v.Int()), true
	case pcommon.ValueTypeDouble:
		f := v.Double()
		return f, !math.IsNaN(f) && !math.IsInf(f, 0)
	case pcommon.ValueTypeStr:
		s := strings.TrimSpace(v.Str())
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return float64(n), true
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	}
	return 0, false
}

// maxTokens caps one span's token count. No call comes near it (it is over
// a trillion), and capped counts cannot overflow the int64 sums of session
// aggregates however many spans a garbage-sending client adds up.
const maxTokens = 1 << 40

// count turns a token number into a count: rounded, negatives to zero,
// at most maxTokens.
func count(f float64) int64 {
	switch {
	case f <= 0:
		return 0
	case f >= maxTokens:
		return maxTokens
	}
	return int64(math.Round(f))
}

// usage reads a span's token counts, in any dialect, into model.Usage's
// convention: Input includes the cache-read and cache-creation tokens, and
// Output includes the reasoning tokens.
//
// The OTel GenAI conventions (and OpenAI) report input_tokens with the cached
// tokens included; Anthropic's API, and instrumentations that copy its counts
// verbatim, report them excluded. The span does not say which, so the rule
// is arithmetic: an input smaller than cache_read+cache_creation cannot
// include them, and they are added. (An Anthropic-style span whose uncached
// input happens to be at least as large as its cached share is left as sent;
// nothing in the span tells it apart from an OpenAI-style one.) Reasoning
// tokens get the same treatment against the output.
//
// Total is the span's own total when it reports one no smaller than
// Input+Output, else Input+Output: a smaller total counted the cache
// separately, and would contradict the convention.
func (a *known) usage() model.Usage {
	var u model.Usage
	u.Input, _ = a.tokens(kInputTokens, kPromptTokens, kLLMPromptTokens)
	u.Output, _ = a.tokens(kOutputTokens, kCompletionTokens, kLLMCompletionTokens)
	u.CacheRead, _ = a.tokens(kCacheRead, kCacheReadLegacy, kLLMCacheRead)
	u.CacheWrite, _ = a.tokens(kCacheWrite, kCacheWriteLegacy, kLLMCacheWrite)
	u.Reasoning, _ = a.tokens(kReasoning, kLLMReasoning)
	if cached := sat(u.CacheRead, u.CacheWrite); u.Input < cached {
		u.Input = sat(u.Input, cached)
	}
	if u.Output < u.Reasoning {
		u.Output = sat(u.Output, u.Reasoning)
	}
	sum := sat(u.Input, u.Output)
	if total, ok := a.tokens(kTotalTokens, kLLMUsageTotal, kLLMTotalTokens, kClientTokenUsage); ok && total >= sum {
		u.Total = total
	} else {
		u.Total = sum
	}
	return u
}

// sat adds two counts, capped at maxTokens.
func sat(x, y int64) int64 {
	return min(x+y, maxTokens)
}

// maxCost bounds a believable cost of one span in USD; a larger (or
// negative) value is garbage, ignored so the span is priced from the table
// instead, and so that session sums stay finite.
const maxCost = 1e9

// cost returns the cost the span carries, if any: a believable
// gen_ai.usage.total_cost, else gen_ai.usage.cost.
func (a *known) cost() (float64, bool) {
	for _, k := range [...]attrKey{kTotalCost, kCost} {
		if a.has&(1<<k) != 0 {
			if f, ok := number(a.vals[k]); ok && f >= 0 && f <= maxCost {
				return f, true
			}
		}
	}
	return 0, false
}

// kind resolves the AgentOps kind: agentops.span.kind, then
// gen_ai.operation.name, then the OpenLLMetry and OpenInference kinds, then
// OpenLLMetry's llm.request.type. A value none of them recognizes falls
// through to the next; with none left the kind is unknown.
func (a *known) kind() model.Kind {
	if k := agentOpsKind(a.str(kSpanKind)); k != "" {
		return k
	}
	if k := operationKind(a.str(kOperation)); k != "" {
		return k
	}
	if k := traceloopKind(a.str(kTraceloopKind)); k != "" {
		return k
	}
	if k := openInferenceKind(a.str(kOpenInferenceKind)); k != "" {
		return k
	}
	if a.str(kLLMRequestType, kGenAIRequestType) != "" {
		return semconv.KindLLM // chat, completion, embedding, rerank: all model calls
	}
	return semconv.KindUnknown
}

// operation is gen_ai.operation.name, else the operation named by a request
// type (OpenLLMetry's llm.request.type; the AgentOps Python SDK's OpenAI
// instrumentation sends it as gen_ai.request.type): chat, text_completion or
// embeddings.
func (a *known) operation() string {
	if op := a.str(kOperation); op != "" {
		return op
	}
	switch t := strings.ToLower(a.str(kLLMRequestType, kGenAIRequestType)); t {
	case "completion":
		return semconv.OpTextCompletion
	case "embedding":
		return semconv.OpEmbeddings
	default:
		return t
	}
}

// sessionName is the name of a session root span: the AgentOps Python SDK
// names its spans operation.name + "." + kind, so its trace "weather-run"
// arrives as "weather-run.session"; the session is named as the user named
// it.
func (a *known) sessionName(spanName string) string {
	if op := a.str(kOperationName); op != "" && spanName == op+"."+semconv.KindSession {
		return op
	}
	return spanName
}

// agentOpsKind accepts the current agentops.span.kind values and those of
// older AgentOps SDKs, in any case.
func agentOpsKind(v string) model.Kind {
	switch strings.ToLower(v) {
	case semconv.KindSession, semconv.KindAgent, semconv.KindWorkflow, semconv.KindTask,
		semconv.KindOperation, semconv.KindTool, semconv.KindLLM, semconv.KindGuardrail,
		semconv.KindAction, semconv.KindError, semconv.KindHTTP:
		return model.Kind(strings.ToLower(v))
	case "llm.call", "llm.stream", "llm_call":
		return semconv.KindLLM
	case "agent.action", "agent.thinking", "agent.decision":
		return semconv.KindAction
	case "workflow.step":
		return semconv.KindTask
	case "team", "chain": // a crew of agents, a chain of steps: both orchestrate
		return semconv.KindWorkflow
	}
	return ""
}

// operationKind maps gen_ai.operation.name: the GenAI conventions' values
// and those OpenLIT adds (embedding, agent, execute_task, workflow,
// framework, team, vectordb, retrieval).
func operationKind(v string) model.Kind {
	switch strings.ToLower(v) {
	case semconv.OpChat, semconv.OpTextCompletion, semconv.OpGenerateContent, semconv.OpEmbeddings, "embedding":
		return semconv.KindLLM
	case semconv.OpExecuteTool, "vectordb", "retrieval":
		return semconv.KindTool
	case semconv.OpInvokeAgent, semconv.OpCreateAgent, "agent":
		return semconv.KindAgent
	case "execute_task":
		return semconv.KindTask
	case "workflow", "invoke_workflow", "framework", "team":
		return semconv.KindWorkflow
	}
	return ""
}

// invocationModel reads the model of OpenInference's
// llm.invocation_parameters, a JSON object of the request's parameters;
// "" when there is none.
func (a *known) invocationModel() string {
	raw := a.str(kInvocationParams)
	if raw == "" || !strings.Contains(raw, "model") {
		return ""
	}
	var p struct {
		Model     string `json:"model"`
		ModelName string `json:"model_name"`
	}
	if json.Unmarshal([]byte(raw), &p) != nil {
		return ""
	}
	return strings.TrimSpace(cmp.Or(p.Model, p.ModelName))
}

// traceloopKind maps OpenLLMetry's traceloop.span.kind.
func traceloopKind(v string) model.Kind {
	switch strings.ToLower(v) {
	case "workflow":
		return semconv.KindWorkflow
	case "task":
		return semconv.KindTask
	case "agent":
		return semconv.KindAgent
	case "tool":
		return semconv.KindTool
	case "llm":
		return semconv.KindLLM
	}
	return ""
}

// openInferenceKind maps openinference.span.kind. Retrievers and rerankers
// are calls out to a service on the agent's behalf, so they count as tools;
// an evaluator is a unit of work, not a gate, so it is a task.
func openInferenceKind(v string) model.Kind {
	switch strings.ToUpper(v) {
	case "LLM", "EMBEDDING":
		return semconv.KindLLM
	case "CHAIN":
		return semconv.KindWorkflow
	case "TOOL", "RETRIEVER", "RERANKER":
		return semconv.KindTool
	case "AGENT":
		return semconv.KindAgent
	case "GUARDRAIL":
		return semconv.KindGuardrail
	case "EVALUATOR", "PROMPT":
		return semconv.KindTask
	}
	return ""
}

// endState canonicalizes agentops.session.end_state. An unrecognized value
// yields "": it stays in the raw attributes but states nothing, so it cannot
// override a recognized end state or one derived from the root's status.
func endState(v string) string {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "success", "succeeded":
		return semconv.EndStateSuccess
	case "failure", "fail", "failed", "error":
		// "Error": the AgentOps Python SDK 0.4's name for a failed trace.
		return semconv.EndStateFailure
	case "indeterminate", "unknown", "unset", "shutdown":
		// The Python SDK ends a trace "Unknown" when a decorated function
		// left it open, "Shutdown" when the program exits with it open.
		return semconv.EndStateIndeterminate
	}
	return ""
}

// tags reads agentops.tags: an OTLP string array, a JSON list in a string
// (`["a","b"]`; Python's `['a', 'b']` too), or a comma-separated string.
// Blank and repeated tags are dropped. It returns nil when the attribute is
// absent and a non-nil empty slice when it is present but empty, which
// clears the session's tags.
func (a *known) tags() []string {
	if a.has&(1<<kTags) == 0 {
		return nil
	}
	return dedupTags(a.rawTags())
}

// rawTags collects the tags of a present agentops.tags, repeats included.
func (a *known) rawTags() []string {
	v := a.vals[kTags]
	out := make([]string, 0, 4)
	switch v.Type() {
	case pcommon.ValueTypeSlice:
		s := v.Slice()
		for i := range s.Len() {
			e := s.At(i)
			if e.Type() == pcommon.ValueTypeStr {
				out = addTag(out, e.Str())
			} else {
				out = addTag(out, e.AsString())
			}
		}
	case pcommon.ValueTypeStr:
		s := strings.TrimSpace(v.Str())
		if strings.HasPrefix(s, "[") {
			if list, ok := simpleJSONStrings(out, s); ok {
				return list
			}
			var list []string
			if json.Unmarshal([]byte(s), &list) == nil {
				for _, t := range list {
					out = addTag(out, t)
				}
				return out
			}
			s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		}
		for t := range strings.SplitSeq(s, ",") {
			out = addTag(out, strings.Trim(strings.TrimSpace(t), `"'`))
		}
	default:
		out = addTag(out, v.AsString())
	}
	return out
}

// addTag appends t, trimmed, unless blank; dedupTags drops repeats after.
func addTag(tags []string, t string) []string {
	if t = strings.TrimSpace(t); t == "" {
		return tags
	}
	return append(tags, t)
}

// dedupTags drops repeated tags, keeping the first of each, in linear time
// (a client may send a huge list).
func dedupTags(tags []string) []string {
	if len(tags) < 2 {
		return tags
	}
	out := tags[:0]
	if len(tags) <= 16 {
	next:
		for _, t := range tags {
			for _, have := range out {
				if have == t {
					continue next
				}
			}
			out = append(out, t)
		}
		return out
	}
	seen := make(map[string]struct{}, len(tags))
	for _, t := range tags {
		if _, dup := seen[t]; !dup {
			seen[t] = struct{}{}
			out = append(out, t)
		}
	}
	return out
}

// simpleJSONStrings adds to tags the strings of a JSON list without escapes
// (`["a", "b"]`, the common case), without reflection; the strings share s's
// memory. ok is false for anything else, which the caller hands to
// encoding/json.
func simpleJSONStrings(tags []string, s string) (_ []string, ok bool) {
	s = strings.TrimSpace(s[1:]) // after '['
	if s == "]" {
		return tags, true
	}
	for {
		if len(s) == 0 || s[0] != '"' {
			return nil, false
		}
		end := strings.IndexByte(s[1:], '"') + 1
		if end == 0 {
			return nil, false
		}
		t := s[1:end]
		for i := range len(t) {
			if t[i] == '\\' || t[i] < 0x20 {
				return nil, false
			}
		}
		tags = addTag(tags, t)
		s = strings.TrimSpace(s[end+1:])
		switch {
		case strings.HasPrefix(s, ","):
			s = strings.TrimSpace(s[1:])
		case s == "]":
			return tags, true
		default:
			return nil, false
		}
	}
}
