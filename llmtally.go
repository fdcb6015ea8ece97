package agentops

import (
	"context"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/llm"
	"github.com/agentops-go/agentops/semconv"
)

// llmTally counts the LLM calls package llm records (HTTPClient) in the
// local tally of the active session whose trace they belong to, so that
// Session.Analytics includes them as the server's session stats do. The
// SDK's own LLM events tally themselves (Session.Record).
type llmTally struct{ c *Client }

func (llmTally) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (llmTally) Shutdown(context.Context) error                  { return nil }
func (llmTally) ForceFlush(context.Context) error                { return nil }

func (t llmTally) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.InstrumentationScope().Name != llm.ScopeName {
		return
	}
	sess := t.c.activeSession(s.SpanContext().TraceID())
	if sess == nil {
		return
	}
	es := eventSpan{llm: true}
	var responseModel string
	for _, kv := range s.Attributes() {
		switch kv.Key {
		case semconv.GenAIInputTokens:
			es.prompt = kv.Value.AsInt64()
		case semconv.GenAIOutputTokens:
			es.complete = kv.Value.AsInt64()
		case semconv.GenAITotalCost:
			es.cost = kv.Value.AsFloat64()
		case semconv.GenAIRequestModel:
			es.model = kv.Value.AsString()
		case semconv.GenAIResponseModel:
			responseModel = kv.Value.AsString()
		}
	}
	if responseModel != "" {
		es.model = responseModel
	}
	sess.count(semconv.KindLLM, s.Status().Code == codes.Error)
	sess.tallyLLM(&es)
}

// activeSession returns the active session of trace id, or nil.
func (c *Client) activeSession(id trace.TraceID) *Session {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.active {
		if s.TraceID() == id {
			return s
		}
	}
	return nil
}
