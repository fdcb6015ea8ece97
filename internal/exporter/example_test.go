package exporter_test

import (
	"context"
	"fmt"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-go/agentops/internal/exporter"
)

// The processor goes into a TracerProvider; spans then flow to the server
// on their own. Shutdown at exit sends what is left, within its deadline.
func ExampleNew() {
	p := exporter.New(exporter.Config{
		APIKey:      "0b5f3c59-8a8e-4c51-9a3f-2b1f0f7e1a10",
		APIEndpoint: "http://127.0.0.1:4318",
	})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(p))

	_, session := tp.Tracer("my-agent").Start(context.Background(), "support-run")
	session.End() // a root span: its trace is sent now, not after MaxWaitTime

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = tp.Shutdown(ctx) // calls p.Shutdown
	s := p.Stats()
	fmt.Println(s.Queued == s.Exported+s.Failed+s.Pending)
}
