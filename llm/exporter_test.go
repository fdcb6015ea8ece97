package llm_test

import (
	"context"

	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/agentops-go/agentops/llm"
)

// exporter is an in-memory exporter whose GetSpans first waits for the
// transport's background recording (llm.Flush): a call is recorded a
// moment after its response body is read to its end or closed.
type exporter struct{ *tracetest.InMemoryExporter }

func newExporter() exporter { return exporter{tracetest.NewInMemoryExporter()} }

func (e exporter) GetSpans() tracetest.SpanStubs {
	if err := llm.Flush(context.Background()); err != nil {
		panic(err) // a background context is never done
	}
	return e.InMemoryExporter.GetSpans()
}
