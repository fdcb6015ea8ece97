package llm

import "strings"

// Provider names, the values of gen_ai.provider.name: the OpenTelemetry GenAI
// well-known values where the conventions list one (semantic conventions
// v1.41), lower-case names otherwise.
const (
	ProviderOpenAI      = "openai"
	ProviderAzureOpenAI = "azure.ai.openai"
	ProviderAzureAI     = "azure.ai.inference" // Azure AI Foundry's model inference endpoints
	ProviderAnthropic   = "anthropic"
	ProviderGemini      = "gcp.gemini"    // the Gemini API (Google AI Studio)
	ProviderVertexAI    = "gcp.vertex_ai" // Gemini on Vertex AI
	ProviderMistral     = "mistral_ai"
	ProviderGroq        = "groq"
	ProviderDeepSeek    = "deepseek"
	ProviderXAI         = "x_ai"
	ProviderPerplexity  = "perplexity"
	ProviderCohere      = "cohere"
	ProviderOllama      = "ollama"
	ProviderVLLM        = "vllm" // no well-known host: map yours with WithHostProvider
	ProviderTogether    = "together"
	ProviderOpenRouter  = "openrouter"
	ProviderFireworks   = "fireworks"
	ProviderCerebras    = "cerebras"
	ProviderDeepInfra   = "deepinfra"
)

// hostProviders names the provider of the public API hosts, by host name.
// To recognise another host, add a line (or, in a program, use
// WithHostProvider).
var hostProviders = map[string]string{
	"api.openai.com":                    ProviderOpenAI,
	"api.anthropic.com":                 ProviderAnthropic,
	"generativelanguage.googleapis.com": ProviderGemini,
	"aiplatform.googleapis.com":         ProviderVertexAI,
	"api.mistral.ai":                    ProviderMistral,
	"api.groq.com":                      ProviderGroq,
	"api.deepseek.com":                  ProviderDeepSeek,
	"api.x.ai":                          ProviderXAI,
	"api.perplexity.ai":                 ProviderPerplexity,
	"api.together.xyz":                  ProviderTogether,
	"api.together.ai":                   ProviderTogether,
	"openrouter.ai":                     ProviderOpenRouter,
	"api.fireworks.ai":                  ProviderFireworks,
	"api.cerebras.ai":                   ProviderCerebras,
	"api.deepinfra.com":                 ProviderDeepInfra,
	"api.cohere.ai":                     ProviderCohere, // its OpenAI-compatible /compatibility/v1
	"api.cohere.com":                    ProviderCohere,
	"ollama.com":                        ProviderOllama, // Ollama's cloud models, native API included
}

// hostSuffixProviders names the provider of whole domains: Azure resources
// ("{resource}.openai.azure.com") and Vertex AI's regional hosts
// ("us-central1-aiplatform.googleapis.com").
var hostSuffixProviders = []struct{ suffix, provider string }{
	{".openai.azure.com", ProviderAzureOpenAI},
	{".cognitiveservices.azure.com", ProviderAzureOpenAI},
	{".services.ai.azure.com", ProviderAzureAI},
	{".inference.ai.azure.com", ProviderAzureAI},
	{".models.ai.azure.com", ProviderAzureAI},
	{"-aiplatform.googleapis.com", ProviderVertexAI},
}

// portProviders names the provider of servers that listen on a well-known
// port whatever the host: Ollama's default is 11434.
var portProviders = map[string]string{
	"11434": ProviderOllama,
}

// WithProvider records every call as served by provider (a
// gen_ai.provider.name value such as ProviderVLLM), whatever its host. It
// takes precedence over WithHostProvider and the built-in host table.
func WithProvider(provider string) Option {
	return func(c *config) { c.provider = strings.TrimSpace(provider) }
}

// WithHostProvider records calls to host as served by provider, e.g.
// WithHostProvider("gpu-box:8000", ProviderVLLM). host is a host name, with a
// port to match only that port, or "*.domain" to match every host under
// domain; case does not matter. Later calls for the same host win; mappings
// take precedence over the built-in host table.
func WithHostProvider(host, provider string) Option {
	return func(c *config) {
		host = strings.ToLower(strings.TrimSpace(host))
		if host == "" || provider == "" {
			return
		}
		if c.hostProviders == nil {
			c.hostProviders = map[string]string{}
		}
		c.hostProviders[host] = provider
	}
}

// providerFor names the provider of a call to host (a URL's host, port
// included when given) whose API's own provider is fallback: the configured
// provider, else the host's configured mapping, else the built-in tables,
// else fallback (a call to an unknown host speaking OpenAI's API is
// recorded as OpenAI's).
func (c *config) providerFor(host, fallback string) string {
	if c.provider != "" {
		return c.provider
	}
	host = strings.ToLower(host)
	name, port := splitHostPort(host)
	if len(c.hostProviders) > 0 {
		if p := c.hostProviders[host]; p != "" {
			return p
		}
		if p := c.hostProviders[name]; p != "" {
			return p
		}
		for dot := strings.IndexByte(name, '.'); dot >= 0; {
			if p := c.hostProviders["*"+name[dot:]]; p != "" {
				return p
			}
			next := strings.IndexByte(name[dot+1:], '.')
			if next < 0 {
				break
			}
			dot += 1 + next
		}
	}
	if p := hostProviders[name]; p != "" {
		return p
	}
	for _, s := range hostSuffixProviders {
		if strings.HasSuffix(name, s.suffix) {
			return s.provider
		}
	}
	if p := portProviders[port]; p != "" {
		return p
	}
	return fallback
}

// splitHostPort splits "host:port", "[v6]:port" and a bare host without
// net.SplitHostPort's error allocation for the bare host (the common case).
func splitHostPort(host string) (name, port string) {
	i := strings.LastIndexByte(host, ':')
	if i < 0 || strings.LastIndexByte(host, ']') > i {
		return strings.Trim(host, "[]"), ""
	}
	if strings.IndexByte(host[:i], ':') >= 0 && host[0] != '[' { // a bare IPv6 address
		return host, ""
	}
	return strings.Trim(host[:i], "[]"), host[i+1:]
}
