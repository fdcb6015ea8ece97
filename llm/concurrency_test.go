package llm_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/openai/openai-go/v3"
	"go.opentelemetry.io/otel/trace"

	"github.com/agentops-go/agentops/semconv"
)

// TestConcurrentTraces: 50 goroutines, each in its own trace, make a
// streaming and a non-streaming call through one shared transport; every
// llm span lands under its own goroutine's root, with its own prompt.
func TestConcurrentTraces(t *testing.T) {
	const workers = 50
	streamed := fixture(t, "openai_chat_stream.sse")
	plain := fixture(t, "openai_chat_tool_calls.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"stream":true`) {
			w.Header().Set("Content-Type", "text/event-stream")
			for _, e := range sseEvents(streamed) {
				w.Write(e)
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write(plain)
	}))
	defer srv.Close()
	hc, exp, tp := setup()
	client := openAIClient(hc, srv.URL)

	roots := make([]trace.SpanContext, workers)
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, root := tp.Tracer("test").Start(context.Background(), "worker")
			defer root.End()
			roots[i] = root.SpanContext()
			p := chatParams(true)
			p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage(fmt.Sprint("worker ", i))}
			if _, err := client.Chat.Completions.New(ctx, p); err != nil {
				errs <- err
				return
			}
			stream := client.Chat.Completions.NewStreaming(ctx, p)
			for stream.Next() {
			}
			if err := stream.Err(); err != nil {
				errs <- err
			}
			stream.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	perRoot := map[trace.SpanID]int{}
	for _, s := range exp.GetSpans() {
		a := attrs(s)
		if a[semconv.SpanKind].AsString() != semconv.KindLLM {
			continue
		}
		var i int
		if _, err := fmt.Sscanf(a["gen_ai.prompt.0.content"].AsString(), "worker %d", &i); err != nil || i < 0 || i >= workers {
			t.Fatalf("llm span with prompt %q", a["gen_ai.prompt.0.content"].AsString())
		}
		if s.SpanContext.TraceID() != roots[i].TraceID() || s.Parent.SpanID() != roots[i].SpanID() {
			t.Errorf("worker %d's call is in trace %s, want %s", i, s.SpanContext.TraceID(), roots[i].TraceID())
		}
		perRoot[roots[i].SpanID()]++
	}
	for i, r := range roots {
		if perRoot[r.SpanID()] != 2 {
			t.Errorf("worker %d has %d llm spans, want 2", i, perRoot[r.SpanID()])
		}
	}
}
