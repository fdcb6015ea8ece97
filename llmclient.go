package agentops

import (
	"context"
	"net/http"
	"sync/atomic"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/embedded"

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
	return newLLMHTTPClient(defaultTracerProvider{}, opts)
}

// HTTPClient returns an *http.Client that records every LLM call it makes
// as an llm span of c; see the package-level HTTPClient.
func (c *Client) HTTPClient(opts ...llm.Option) *http.Client {
	return newLLMHTTPClient(c.provider, opts)
}

func newLLMHTTPClient(tp trace.TracerProvider, opts []llm.Option) *http.Client {
	opts = append([]llm.Option{llm.WithTracerProvider(tp)}, opts...)
	return &http.Client{Transport: llm.Transport(http.DefaultTransport, opts...)}
}

// defaultTracerProvider hands out tracers that start each span with the
// default client of the moment.
type defaultTracerProvider struct{ embedded.TracerProvider }

func (defaultTracerProvider) Tracer(name string, opts ...trace.TracerOption) trace.Tracer {
	return &defaultTracer{name: name, opts: opts}
}

type defaultTracer struct {
	embedded.Tracer
	name   string
	opts   []trace.TracerOption
	cached atomic.Pointer[clientTracer] // the tracer of the last default client seen
}

type clientTracer struct {
	client *Client
	tracer trace.Tracer
}

func (d *defaultTracer) Start(ctx context.Context, name string, opts ...trace.SpanStartOption) (context.Context, trace.Span) {
	c := Default()
	ct := d.cached.Load()
	if ct == nil || ct.client != c {
		ct = &clientTracer{client: c, tracer: c.provider.Tracer(d.name, d.opts...)}
		d.cached.Store(ct)
	}
	return ct.tracer.Start(ctx, name, opts...)
}
