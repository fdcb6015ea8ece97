package agentops

import (
	"net/http"
	"sync/atomic"

	"github.com/agentops-go/agentops/llm"
)

// HTTPClient returns an *http.Client that records every LLM call it makes
// (see package llm for what is recognised and recorded) as an llm span of
// the default client, a child of the span in the request's context: pass
// a session's or span's context to the LLM client library's call.
//
//	client := openai.NewClient(option.WithHTTPClient(agentops.HTTPClient()))
//	stream := client.Chat.Completions.NewStreaming(session.Context(), params)
//
// Each call records with the client that is the default when the call
// starts, so the HTTPClient may be made before Init and survives a later
// Init. opts configure the transport (llm.WithContentCapture(false), ...).
// Other requests pass through http.DefaultTransport untouched.
func HTTPClient(opts ...llm.Option) *http.Client {
	return &http.Client{Transport: &defaultTransport{opts: opts}}
}

// HTTPClient returns an *http.Client that records every LLM call it makes
// as an llm span of c; see the package-level HTTPClient.
func (c *Client) HTTPClient(opts ...llm.Option) *http.Client {
	return &http.Client{Transport: c.llmTransport(opts)}
}

func (c *Client) llmTransport(opts []llm.Option) http.RoundTripper {
	opts = append([]llm.Option{llm.WithTracerProvider(c.provider)}, opts...)
	return llm.Transport(http.DefaultTransport, opts...)
}

// defaultTransport sends each request through an llm transport of the
// default client of the moment the request is made (the span itself is
// started later, in the background: the client is chosen here).
type defaultTransport struct {
	opts   []llm.Option
	cached atomic.Pointer[clientTransport] // the transport of the last default client seen
}

type clientTransport struct {
	client *Client
	rt     http.RoundTripper
}

func (d *defaultTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := Default()
	ct := d.cached.Load()
	if ct == nil || ct.client != c {
		ct = &clientTransport{client: c, rt: c.llmTransport(d.opts)}
		d.cached.Store(ct)
	}
	return ct.rt.RoundTrip(req)
}
