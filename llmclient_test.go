package agentops_test

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/agentops-go/agentops"
	"github.com/agentops-go/agentops/llm"
	"github.com/agentops-go/agentops/pricing"
	"github.com/agentops-go/agentops/semconv"
)

// fakeOpenAI streams the OpenAI chat fixture of package llm.
func fakeOpenAI(t *testing.T) *httptest.Server {
	t.Helper()
	body, err := os.ReadFile("llm/testdata/openai_chat_stream.sse")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func streamChat(t *testing.T, ctx context.Context, hc *http.Client, url string) {
	t.Helper()
	client := openai.NewClient(option.WithHTTPClient(hc), option.WithBaseURL(url+"/v1/"), option.WithAPIKey("sk-test"))
	stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "gpt-4o",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Boston?")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	stream.Close()
}

// TestHTTPClientSessionStats: a streamed call made through Client.HTTPClient
// in a session's context counts in the session's stats on a real server and
// in Session.Analytics, to the token and the cent.
func TestHTTPClientSessionStats(t *testing.T) {
	srv, c := newServerClient(t)
	provider := fakeOpenAI(t)
	s, err := c.StartSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	streamChat(t, s.Context(), c.HTTPClient(), provider.URL)
	streamChat(t, context.Background(), c.HTTPClient(), provider.URL) // in no session: not counted
	local := s.Analytics()
	cost, err := s.End(agentops.Success, "")
	if err != nil {
		t.Fatal(err)
	}
	st := stats(t, srv, s.ID())
	if st.Events.LLMCalls != 1 || st.Tokens.Prompt != 1117 || st.Tokens.Completion != 7 || st.Tokens.CacheRead != 1024 {
		t.Errorf("events %+v, tokens %+v", st.Events, st.Tokens)
	}
	m, _ := pricing.Default().Find("openai", "gpt-4o-2024-08-06")
	want := m.Cost(pricing.Usage{Input: 1117, Output: 7, CacheRead: 1024})
	if math.Abs(st.Cost.TotalUSD-want) > 1e-9 || !st.Cost.Complete {
		t.Errorf("cost %+v, want %v", st.Cost, want)
	}
	// Session.Analytics and End's cost agree with the server.
	if local.LLMCalls != 1 || local.PromptTokens != 1117 || local.CompletionTokens != 7 ||
		math.Abs(local.CostUSD-want) > 1e-9 || local.UnpricedCalls != 0 || math.Abs(cost-want) > 1e-9 {
		t.Errorf("local tally %+v, End's cost %v, want 1 call, 1117 + 7 tokens, %v", local, cost, want)
	}
}

// TestHTTPClientFollowsTheDefault: the package-level HTTPClient records
// with whichever client is the default when a call starts.
func TestHTTPClientFollowsTheDefault(t *testing.T) {
	provider := fakeOpenAI(t)
	first, firstMem := newMemClient(t)
	second, secondMem := newMemClient(t)
	defer agentops.SetDefault(agentops.SetDefault(first))
	hc := agentops.HTTPClient()

	streamChat(t, context.Background(), hc, provider.URL)
	agentops.SetDefault(second)
	streamChat(t, context.Background(), hc, provider.URL)
	llm.Flush(context.Background()) // calls are recorded a moment after their response ends
	for name, mem := range map[string][]string{"first": spanKinds(firstMem.GetSpans()), "second": spanKinds(secondMem.GetSpans())} {
		if len(mem) != 1 || mem[0] != semconv.KindLLM {
			t.Errorf("the %s client recorded %q, want one llm span", name, mem)
		}
	}
}

func spanKinds(spans tracetest.SpanStubs) []string {
	var kinds []string
	for _, sp := range spans {
		for _, kv := range sp.Attributes {
			if string(kv.Key) == semconv.SpanKind {
				kinds = append(kinds, kv.Value.AsString())
			}
		}
	}
	return kinds
}

// Every LLM client library takes an *http.Client: give it HTTPClient, and
// pass the session's context to each call. Each call, streamed or not, is
// an llm span of the session, with its tokens and cost.
func ExampleHTTPClient() {
	session, err := agentops.Init()
	if err != nil {
		return
	}
	client := openai.NewClient(option.WithHTTPClient(agentops.HTTPClient()))
	stream := client.Chat.Completions.NewStreaming(session.Context(), openai.ChatCompletionNewParams{
		Model:         openai.ChatModelGPT4o,
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}, // usage is reported only when asked for
	})
	for stream.Next() {
		_ = stream.Current()
	}
	stream.Close() // ends the call's span, even when the loop stops early
	session.End(agentops.Success, "")
}
