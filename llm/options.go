package llm

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/pricing"
)

// DefaultMaxContentBytes caps each recorded prompt or completion value.
const DefaultMaxContentBytes = 64 << 10

// Option configures Transport.
type Option func(*config)

type config struct {
	tracerProvider  trace.TracerProvider
	captureContent  bool
	maxContentBytes int
	prices          *pricing.Table
	maxRequestBytes int64
	maxRespBytes    int
	maxEventBytes   int
	provider        string            // WithProvider (providers.go)
	hostProviders   map[string]string // WithHostProvider (providers.go)
}

func newConfig(opts []Option) config {
	c := config{
		captureContent:  true,
		maxContentBytes: DefaultMaxContentBytes,
		maxRequestBytes: DefaultMaxRequestBytes,
		maxRespBytes:    DefaultMaxResponseBytes,
		maxEventBytes:   DefaultMaxEventBytes,
	}
	for _, o := range opts {
		o(&c)
	}
	if c.tracerProvider == nil {
		c.tracerProvider = otel.GetTracerProvider()
	}
	if c.prices == nil {
		c.prices = pricing.Default()
	}
	return c
}

// WithTracerProvider sets the provider of the tracer that records the spans;
// the default is otel.GetTracerProvider().
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tracerProvider = tp }
}

// WithContentCapture turns recording of prompt and completion text on (the
// default) or off. Token counts, models and cost are recorded either way.
func WithContentCapture(on bool) Option {
	return func(c *config) { c.captureContent = on }
}

// WithMaxContentBytes caps each recorded prompt or completion value at n
// bytes (DefaultMaxContentBytes unless set); longer values are cut at a UTF-8
// boundary.
func WithMaxContentBytes(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxContentBytes = n
		}
	}
}

// WithPrices prices calls from t instead of pricing.Default().
func WithPrices(t *pricing.Table) Option {
	return func(c *config) { c.prices = t }
}

// WithMaxRequestBytes caps the request body read to record a call at n bytes
// (DefaultMaxRequestBytes unless set). A larger body is sent as is, and the
// call is recorded without its request: no model or prompt, the attribute
// agentops.llm.request.unrecorded saying why.
func WithMaxRequestBytes(n int64) Option {
	return func(c *config) {
		if n > 0 {
			c.maxRequestBytes = n
		}
	}
}

// WithMaxResponseBytes caps the non-streamed response body kept to record
// a call at n bytes (DefaultMaxResponseBytes unless set). The caller still
// gets every byte; past the cap the transport stops keeping them and the
// call is recorded without its response: no completion or usage, the
// attribute agentops.llm.response.unrecorded saying why.
func WithMaxResponseBytes(n int) Option {
	return func(c *config) {
		if n > 0 {
			c.maxRespBytes = n
		}
	}
}

// ScopeName is the instrumentation scope of the spans Transport records.
const ScopeName = tracerName
