package agentops_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/agentops-go/agentops"
	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/server/servertest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// newMemClient makes a client whose spans go to an in-memory recorder.
func newMemClient(t testing.TB, opts ...agentops.Option) (*agentops.Client, *tracetest.InMemoryExporter) {
	t.Helper()
	mem := tracetest.NewInMemoryExporter()
	opts = append([]agentops.Option{agentops.WithLogger(quiet), agentops.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(mem))}, opts...)
	c, err := agentops.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown(context.Background()) })
	return c, mem
}

// newServerClient starts a real server and a client that sends to it.
func newServerClient(t testing.TB, opts ...agentops.Option) (*servertest.Server, *agentops.Client) {
	t.Helper()
	srv := servertest.Start(t)
	opts = append([]agentops.Option{agentops.WithLogger(quiet), agentops.WithAPIKey(srv.Key),
		agentops.WithAPIEndpoint(srv.URL), agentops.WithMaxWaitTime(50 * time.Millisecond)}, opts...)
	c, err := agentops.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Shutdown(context.Background()) })
	return srv, c
}

// getJSON reads one of the server's REST documents.
func getJSON(t testing.TB, srv *servertest.Server, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	req.Header.Set("X-Agentops-Api-Key", srv.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

func stats(t testing.TB, srv *servertest.Server, id string) api.SessionStats {
	t.Helper()
	var st api.SessionStats
	getJSON(t, srv, "/v2/sessions/"+id+"/stats", &st)
	return st
}

func export(t testing.TB, srv *servertest.Server, id string) api.SessionExport {
	t.Helper()
	var ex api.SessionExport
	getJSON(t, srv, "/v2/sessions/"+id+"/export", &ex)
	return ex
}

// attrs returns a recorded span's attributes as a map.
func attrs(s tracetest.SpanStub) map[string]attribute.Value {
	m := make(map[string]attribute.Value, len(s.Attributes))
	for _, kv := range s.Attributes {
		m[string(kv.Key)] = kv.Value
	}
	return m
}

// byName returns the recorded spans named name.
func byName(spans tracetest.SpanStubs, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}
