package agentops_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/agentops-go/agentops"
)

// The seed's first example: Init starts a session (AGENTOPS_API_KEY and
// AGENTOPS_API_ENDPOINT come from the environment), events are recorded
// in it, and EndSession returns its cost as the server counts it.
func ExampleInit() {
	session, err := agentops.Init(agentops.WithDefaultTags("example"))
	if err != nil {
		log.Fatal(err)
	}
	session.Record(agentops.LLMEvent{
		Model:            "gpt-4o",
		Prompt:           "Say hello",
		Completion:       "Hello!",
		PromptTokens:     1000,
		CompletionTokens: 500,
	})
	cost, err := agentops.EndSession(agentops.Success, "done")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("session cost: $%.4f\n", cost)
	// Output: session cost: $0.0075
}

// With auto-start off, Init starts nothing; StartSession starts a session
// later, with its own tags.
func ExampleInit_withoutAutoStart() {
	session, err := agentops.Init(agentops.WithAutoStartSession(false))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("session after Init:", session)

	session, err = agentops.StartSession(context.Background(), agentops.WithTags("nightly"))
	if err != nil {
		log.Fatal(err)
	}
	session.Record(agentops.ToolEvent{Name: "search", Params: map[string]string{"q": "weather"}, Returns: "sunny"})
	session.AddTags("weather")
	if _, err := session.End(agentops.Success, ""); err != nil {
		log.Fatal(err)
	}
	a := session.Analytics()
	fmt.Println("tags:", session.Tags(), "tool calls:", a.ToolCalls)
	// Output:
	// session after Init: <nil>
	// tags: [nightly weather] tool calls: 1
}

// The seed's concurrent traces: three traces run at once, each in its own
// goroutine; one is ended on its own, the others all at once.
func ExampleStartTrace() {
	if _, err := agentops.Init(agentops.WithAutoStartSession(false)); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	traces := []*agentops.Trace{
		agentops.StartTrace(ctx, "user_query_1"),
		agentops.StartTrace(ctx, "user_query_2"),
		agentops.StartTrace(ctx, "background_task"),
	}
	var wg sync.WaitGroup
	for _, t := range traces {
		wg.Go(func() {
			// Spans made from the trace's context belong to it, whatever
			// runs concurrently.
			_, _ = agentops.Tool(t.Context(), "lookup", func(ctx context.Context) (string, error) {
				return "found", nil
			})
		})
	}
	wg.Wait()

	agentops.EndTrace(traces[0], agentops.Success)
	agentops.EndAllTraces(agentops.Success)

	for _, t := range traces {
		state, ended := t.Ended()
		fmt.Printf("%s: tool calls %d, ended %v (%s)\n", t.Name(), t.Analytics().ToolCalls, ended, state)
	}
	fmt.Println("distinct ids:", traces[0].ID() != traces[1].ID() && traces[1].ID() != traces[2].ID())
	// Output:
	// user_query_1: tool calls 1, ended true (Success)
	// user_query_2: tool calls 1, ended true (Success)
	// background_task: tool calls 1, ended true (Success)
	// distinct ids: true
}

// What Python does with decorators (@workflow, @agent, @tool) Go does
// with wrappers: each runs a function in a span of its kind that records
// the input, the output, the error and the duration.
func ExampleTool() {
	session, err := agentops.Init()
	if err != nil {
		log.Fatal(err)
	}
	ctx := session.Context()

	answer, err := agentops.Workflow(ctx, "support", func(ctx context.Context) (string, error) {
		return agentops.Agent(ctx, "researcher", func(ctx context.Context) (string, error) {
			forecast, err := agentops.Tool(ctx, "weather", func(ctx context.Context) (string, error) {
				return "sunny", nil
			}, agentops.WithInput(map[string]string{"city": "Paris"}))
			if err != nil {
				return "", err
			}
			return "It is " + forecast + " in Paris.", nil
		})
	})
	fmt.Println(answer, err)

	_, err = agentops.Tool(ctx, "flaky", func(ctx context.Context) (int, error) {
		return 0, errors.New("timeout")
	})
	fmt.Println("error:", err)

	a := session.Analytics()
	fmt.Printf("tool calls %d, errors %d\n", a.ToolCalls, a.Errors)
	if _, err := session.End(agentops.Success, ""); err != nil {
		log.Fatal(err)
	}
	// Output:
	// It is sunny in Paris. <nil>
	// error: timeout
	// tool calls 2, errors 1
}

// The seed's LLM calls in concurrent traces: each call is recorded in the
// trace it was made in, and each trace's cost is its own.
func ExampleSession_Record() {
	if _, err := agentops.Init(agentops.WithAutoStartSession(false)); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	trace1 := agentops.StartTrace(ctx, "query_1")
	trace2 := agentops.StartTrace(ctx, "query_2")

	var wg sync.WaitGroup
	wg.Go(func() {
		trace1.Record(agentops.LLMEvent{Model: "gpt-3.5-turbo", Prompt: "Hello from trace 1",
			Completion: "Hi", PromptTokens: 2000, CompletionTokens: 1000})
	})
	wg.Go(func() {
		trace2.Record(agentops.LLMEvent{Model: "gpt-4o", Prompt: "Hello from trace 2",
			Completion: "Hi", PromptTokens: 1000, CompletionTokens: 500})
	})
	wg.Wait()

	for _, t := range []*agentops.Trace{trace1, trace2} {
		cost, err := t.End(agentops.Success, "")
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s: %d LLM call, $%.4f\n", t.Name(), t.Analytics().LLMCalls, cost)
	}
	// Output:
	// query_1: 1 LLM call, $0.0025
	// query_2: 1 LLM call, $0.0075
}

// The seed's REST server: Middleware starts one trace per request, so
// concurrent requests never mix.
func ExampleMiddleware() {
	client, err := agentops.New()
	if err != nil {
		log.Fatal(err)
	}
	defer client.Shutdown(context.Background())

	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) {
		item, err := agentops.Tool(r.Context(), "fetch", func(ctx context.Context) (string, error) {
			return "item " + r.PathValue("id"), nil
		})
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, item)
	})
	srv := httptest.NewServer(client.Middleware(mux))
	defer srv.Close()

	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		answers = map[string]string{}
	)
	for _, id := range []string{"1", "2", "3"} {
		wg.Go(func() {
			resp, err := http.Get(srv.URL + "/items/" + id)
			if err != nil {
				log.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			mu.Lock()
			answers[id] = strings.TrimSpace(string(body))
			mu.Unlock()
		})
	}
	wg.Wait()
	fmt.Println(answers["1"], "|", answers["2"], "|", answers["3"])
	fmt.Println("open traces:", len(client.Active()))
	// Output:
	// item 1 | item 2 | item 3
	// open traces: 0
}
