package llm

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/agentops-go/agentops/semconv"
)

// endpoint is one API the transport recognises by its path.
type endpoint struct {
	operation     string // gen_ai.operation.name
	provider      string // the provider when neither the config nor the host names one
	onlyProvider  bool   // recognised only when the host or config names provider (generic paths)
	parseRequest  func([]byte) (call, bool)
	parseResponse func([]byte) (result, error)
	newStream     func() streamParser
}

var (
	openAIChat = &endpoint{operation: semconv.OpChat, provider: ProviderOpenAI,
		parseRequest: parseOpenAIRequest, parseResponse: parseOpenAIResponse, newStream: newOpenAIStream}
	openAIResponses = &endpoint{operation: semconv.OpChat, provider: ProviderOpenAI,
		parseRequest: parseResponsesRequest, parseResponse: parseResponsesResponse, newStream: newResponsesStream}
	openAICompletions = &endpoint{operation: semconv.OpTextCompletion, provider: ProviderOpenAI,
		parseRequest: parseCompletionsRequest, parseResponse: parseCompletionsResponse, newStream: newCompletionsStream}
	openAIEmbeddings = &endpoint{operation: semconv.OpEmbeddings, provider: ProviderOpenAI,
		parseRequest: parseEmbeddingsRequest, parseResponse: parseEmbeddingsResponse}
	anthropicMessages = &endpoint{operation: semconv.OpChat, provider: ProviderAnthropic,
		parseRequest: parseAnthropicRequest, parseResponse: parseAnthropicResponse, newStream: newAnthropicStream}
	geminiGenerate = &endpoint{operation: semconv.OpGenerateContent, provider: ProviderGemini,
		parseRequest: parseGeminiRequest, parseResponse: parseGeminiResponse, newStream: newGeminiStream}
	ollamaChat = &endpoint{operation: semconv.OpChat, provider: ProviderOllama, onlyProvider: true,
		parseRequest: parseOllamaChatRequest, parseResponse: parseOllamaResponse, newStream: newOllamaStream}
	ollamaGenerate = &endpoint{operation: semconv.OpTextCompletion, provider: ProviderOllama, onlyProvider: true,
		parseRequest: parseOllamaGenerateRequest, parseResponse: parseOllamaResponse, newStream: newOllamaStream}
)

// route is what a path says of a call beyond its endpoint.
type route struct {
	model  string // Gemini's and Vertex AI's model, an Azure deployment ("" when only the body names it)
	stream bool   // :streamGenerateContent, :streamRawPredict
}

// match finds the endpoint of a POST to path:
//
//   - .../models/{model}:generateContent and :streamGenerateContent (Gemini API,
//     Vertex AI's .../publishers/google/models/{model}:..., tunedModels/{model})
//   - .../chat/completions, .../responses, .../completions, .../embeddings
//     (OpenAI and every OpenAI-compatible API; Azure's
//     /openai/deployments/{deployment}/... names the model)
//   - .../v1/messages (Anthropic; .../v1/messages/count_tokens is not a call)
//     and Claude on Vertex AI, .../publishers/anthropic/models/{model}:rawPredict
//     and :streamRawPredict
//   - .../api/chat and .../api/generate (Ollama's native API)
func match(path string) (*endpoint, route) {
	p := strings.TrimSuffix(path, "/")
	if i := strings.LastIndexByte(p, ':'); i >= 0 && strings.LastIndexByte(p, '/') < i {
		slash := strings.LastIndexByte(p[:i], '/')
		parent, r := p[:max(slash, 0)], route{model: p[slash+1 : i]}
		switch method := p[i+1:]; {
		case (method == "generateContent" || method == "streamGenerateContent") &&
			(strings.HasSuffix(parent, "/models") || strings.HasSuffix(parent, "/tunedModels")):
			r.stream = method == "streamGenerateContent"
			return geminiGenerate, r
		case (method == "rawPredict" || method == "streamRawPredict") && strings.HasSuffix(parent, "/publishers/anthropic/models"):
			r.stream = method == "streamRawPredict"
			return anthropicMessages, r // Claude on Vertex AI: the Messages API, the model in the path
		}
		return nil, route{}
	}
	last := p[strings.LastIndexByte(p, '/')+1:]
	var e *endpoint
	switch last {
	case "completions":
		e = openAICompletions
		if strings.HasSuffix(p, "/chat/completions") {
			e = openAIChat
		}
	case "responses":
		e = openAIResponses
	case "embeddings":
		e = openAIEmbeddings
	case "messages":
		if strings.HasSuffix(p, "/v1/messages") {
			e = anthropicMessages
		}
	case "chat":
		if strings.HasSuffix(p, "/api/chat") {
			e = ollamaChat
		}
	case "generate":
		if strings.HasSuffix(p, "/api/generate") {
			e = ollamaGenerate
		}
	}
	if e == nil {
		return nil, route{}
	}
	var r route
	if i := strings.Index(p, "/openai/deployments/"); i >= 0 {
		d := p[i+len("/openai/deployments/"):]
		r.model = d[:max(strings.IndexByte(d, '/'), 0)]
	}
	return e, r
}

// recognise returns the api of a call req makes, nil for a request that is
// not an LLM call. The api's parseRequest completes the call with what the
// path says and refuses a call that names no model (some other service's
// "/responses" or "/embeddings" is not recorded).
func (t *transport) recognise(req *http.Request) (api, bool) {
	if req.Method != http.MethodPost || req.URL == nil {
		return api{}, false
	}
	e, r := match(req.URL.Path)
	if e == nil {
		return api{}, false
	}
	fallback := e.provider
	if e.onlyProvider {
		fallback = ""
	}
	provider := t.providerFor(req.URL.Host, fallback)
	if e.onlyProvider && provider != e.provider {
		return api{}, false
	}
	return api{name: provider, operation: e.operation, path: r, ep: e}, true
}

// parseRequest parses a request body of a's endpoint, completing the call
// with what the path says; false when the body is not a call (no model).
func (a *api) parseRequest(b []byte) (call, bool) {
	c, ok := a.ep.parseRequest(b)
	if c.model == "" {
		c.model = a.path.model
	}
	c.stream = c.stream || a.path.stream
	return c, ok && c.model != ""
}

func (a *api) parseResponse(b []byte) (result, error) { return a.ep.parseResponse(b) }

// streams reports whether this package follows the endpoint's streams.
func (a *api) streams() bool { return a.ep != nil && a.ep.newStream != nil }

// callLike reports whether a request body looks like a call of a: a JSON
// object naming its model (unless the path names it). It is checked before
// sending, without parsing; the parse after the response has the last word
// (record.request).
func (a *api) callLike(b []byte) bool {
	b = bytes.TrimLeft(b, " \t\r\n")
	if len(b) == 0 || b[0] != '{' {
		return false
	}
	return a.path.model != "" || bytes.Contains(b, modelKey)
}

var modelKey = []byte(`"model"`)

// pathCall is the call as far as the URL tells: what is recorded of a
// request whose body is not read (too large).
func (a *api) pathCall() call {
	return call{operation: a.operation, model: a.path.model, stream: a.path.stream}
}

// providerFor is cfg.providerFor remembering its last answer: a program
// calls one or a few hosts, and the tables are walked for every call
// otherwise.
func (t *transport) providerFor(host, fallback string) string {
	if h := t.lastHost.Load(); h != nil && h.host == host && h.fallback == fallback {
		return h.provider
	}
	p := t.cfg.providerFor(host, fallback)
	t.lastHost.Store(&hostProvider{host: host, fallback: fallback, provider: p})
	return p
}

type hostProvider struct{ host, fallback, provider string }
