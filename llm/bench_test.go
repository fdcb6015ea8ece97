package llm_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-go/agentops/llm"
)

// The benchmarks run each case with and without the transport in one run:
//
//	go test -run '^$' -bench . -benchmem -count 6 ./llm/
//
// Spans go to an sdktrace provider with a no-op exporter behind a simple
// processor, so the cost measured is the transport's and the SDK's span
// work, not an exporter's.

func benchClients() (direct, recorded *http.Client) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(discardExporter{})))
	base := &http.Transport{MaxIdleConnsPerHost: 8}
	return &http.Client{Transport: base},
		&http.Client{Transport: llm.Transport(base, llm.WithTracerProvider(tp))}
}

type discardExporter struct{}

func (discardExporter) ExportSpans(context.Context, []sdktrace.ReadOnlySpan) error { return nil }
func (discardExporter) Shutdown(context.Context) error                             { return nil }

// streamBody builds an OpenAI chat stream of n content chunks, the final
// chunk and the usage chunk.
func streamBody(n int) []byte {
	var b bytes.Buffer
	head := `{"id":"chatcmpl-AyPNinnUqUDYo9SAdA52NobMflmj2","object":"chat.completion.chunk","created":1738960610,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_72ed7ab54c","choices":[`
	for i := range n {
		fmt.Fprintf(&b, "data: %s{\"index\":0,\"delta\":{\"content\":\" word%d\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n", head, i)
	}
	fmt.Fprintf(&b, "data: %s{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n", head)
	fmt.Fprintf(&b, "data: %s],\"usage\":{\"prompt_tokens\":19,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\ndata: [DONE]\n\n", head, n, n+19)
	return b.Bytes()
}

func serve(b *testing.B, contentType string, body []byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", contentType)
		w.Write(body)
	}))
	b.Cleanup(srv.Close)
	return srv
}

func postAndRead(b *testing.B, c *http.Client, url, body string) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
}

// BenchmarkChatCompletion: one non-streaming Chat Completions call over
// loopback, with tool calls and usage in the answer, direct and through the
// transport: caller-ns/op is the caller's latency, ns/op the whole work,
// the background recording included (see timedCall).
func BenchmarkChatCompletion(b *testing.B) {
	resp, err := readFixture("openai_chat_tool_calls.json")
	if err != nil {
		b.Fatal(err)
	}
	srv := serve(b, "application/json", resp)
	direct, recorded := benchClients()
	for _, c := range []struct {
		name   string
		client *http.Client
	}{{"direct", direct}, {"transport", recorded}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var caller time.Duration
			for b.Loop() {
				caller += timedCall(b, c.client, srv.URL+"/v1/chat/completions")
			}
			b.ReportMetric(float64(caller.Nanoseconds())/float64(b.N), "caller-ns/op")
		})
	}
}

// BenchmarkChatStream: one streamed Chat Completions call of n chunks read
// to its end by plain net/http code, and by openai-go's stream decoder.
// caller-ns/chunk is the caller's time (request to the stream read and
// closed) per chunk; ns/op and allocs/op include the stream's background
// parse, waited for after each call (llm.Flush) outside the caller's time.
func BenchmarkChatStream(b *testing.B) {
	direct, recorded := benchClients()
	const request = `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Count."}]}`
	for _, n := range []int{100, 1000} {
		srv := serve(b, "text/event-stream", streamBody(n))
		for _, c := range []struct {
			name   string
			client *http.Client
		}{{"direct", direct}, {"transport", recorded}} {
			b.Run(fmt.Sprintf("chunks=%d/reader=http/%s", n, c.name), func(b *testing.B) {
				b.ReportAllocs()
				var caller time.Duration
				for b.Loop() {
					start := time.Now()
					postAndRead(b, c.client, srv.URL+"/v1/chat/completions", request)
					caller += time.Since(start)
					llm.Flush(context.Background())
				}
				b.ReportMetric(float64(caller.Nanoseconds())/float64(b.N*n), "caller-ns/chunk")
			})
			b.Run(fmt.Sprintf("chunks=%d/reader=openai-go/%s", n, c.name), func(b *testing.B) {
				client := openAIClient(c.client, srv.URL)
				params := chatParams(true)
				b.ReportAllocs()
				var caller time.Duration
				for b.Loop() {
					start := time.Now()
					stream := client.Chat.Completions.NewStreaming(context.Background(), params)
					for stream.Next() {
					}
					if err := stream.Err(); err != nil {
						b.Fatal(err)
					}
					stream.Close()
					caller += time.Since(start)
					llm.Flush(context.Background())
				}
				b.ReportMetric(float64(caller.Nanoseconds())/float64(b.N*n), "caller-ns/chunk")
			})
		}
	}
}

// BenchmarkRequestBody: the transport's handling of a 1 MiB request body
// over a base that answers at once, with GetBody (as http.NewRequest and
// the OpenAI and Anthropic clients make requests) and without; B/op shows
// how many times the body is copied.
func BenchmarkRequestBody(b *testing.B) {
	body := `{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("a", 1<<20) + `"}]}`
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		io.Copy(io.Discard, r.Body)
		r.Body.Close()
		return &http.Response{StatusCode: 204, Body: http.NoBody, Header: http.Header{}}, nil
	})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(discardExporter{})))
	client := &http.Client{Transport: llm.Transport(base, llm.WithTracerProvider(tp), llm.WithContentCapture(false))}
	for _, c := range []struct {
		name  string
		body  func() io.Reader
		known bool // ContentLength set by the caller
	}{
		{"GetBody", func() io.Reader { return strings.NewReader(body) }, true},
		{"no-GetBody/known-length", func() io.Reader { return onlyReader{strings.NewReader(body)} }, true},
		{"no-GetBody/unknown-length", func() io.Reader { return onlyReader{strings.NewReader(body)} }, false},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				req, _ := http.NewRequest(http.MethodPost, "http://llm.invalid/v1/chat/completions", c.body())
				if c.known {
					req.ContentLength = int64(len(body))
				}
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				llm.Flush(context.Background()) // the parse, in the background, counts in B/op
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// BenchmarkCallerPath: what the transport adds to the caller's own path,
// without a network: the base answers at once from memory, so the direct
// case is only net/http's client plumbing and the caller's read; metrics as
// in BenchmarkChatCompletion.
func BenchmarkCallerPath(b *testing.B) {
	answer, err := readFixture("openai_chat_tool_calls.json")
	if err != nil {
		b.Fatal(err)
	}
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		return &http.Response{StatusCode: 200, Status: "200 OK", ContentLength: int64(len(answer)),
			Header: http.Header{"Content-Type": {"application/json"}},
			Body:   io.NopCloser(bytes.NewReader(answer)), Request: r}, nil
	})
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(sdktrace.NewSimpleSpanProcessor(discardExporter{})))
	direct := &http.Client{Transport: base}
	recorded := &http.Client{Transport: llm.Transport(base, llm.WithTracerProvider(tp))}
	for _, c := range []struct {
		name   string
		client *http.Client
	}{{"direct", direct}, {"transport", recorded}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var caller time.Duration
			for b.Loop() {
				caller += timedCall(b, c.client, "http://api.openai.com/v1/chat/completions")
			}
			b.ReportMetric(float64(caller.Nanoseconds())/float64(b.N), "caller-ns/op")
		})
	}
}

// timedCall makes one call and returns how long the caller waited for it
// (request, response, body read to its end and closed); it then waits for
// the call's background recording (llm.Flush), outside that time but inside
// the benchmark's, so that each call starts with the recorder idle, as calls
// hundreds of milliseconds apart do. ns/op is then the whole added work
// (with -cpu 1, one thread, its CPU time), caller-ns/op the caller's
// latency.
func timedCall(b *testing.B, c *http.Client, url string) time.Duration {
	start := time.Now()
	postAndRead(b, c, url, openAIRequest)
	d := time.Since(start)
	llm.Flush(context.Background())
	return d
}

// BenchmarkChatCompletionPaired: the non-streaming call of
// BenchmarkChatCompletion made direct and through the transport alternately
// in the same loop (see paired), with net/http, and with the real openai-go
// and anthropic-sdk-go clients.
func BenchmarkChatCompletionPaired(b *testing.B) {
	chat, err := readFixture("openai_chat_tool_calls.json")
	if err != nil {
		b.Fatal(err)
	}
	message, err := readFixture("anthropic_message_cached.json")
	if err != nil {
		b.Fatal(err)
	}
	chatSrv, messageSrv := serve(b, "application/json", chat), serve(b, "application/json", message)
	direct, recorded := benchClients()
	b.Run("client=net-http", func(b *testing.B) {
		url := chatSrv.URL + "/v1/chat/completions"
		paired(b, func(c *http.Client) { postAndRead(b, c, url, openAIRequest) }, direct, recorded)
	})
	b.Run("client=openai-go", func(b *testing.B) {
		d, r := openAIClient(direct, chatSrv.URL), openAIClient(recorded, chatSrv.URL)
		clients := map[*http.Client]*openai.Client{direct: &d, recorded: &r}
		params := chatParams(false)
		paired(b, func(c *http.Client) {
			if _, err := clients[c].Chat.Completions.New(context.Background(), params); err != nil {
				b.Fatal(err)
			}
		}, direct, recorded)
	})
	b.Run("client=anthropic-sdk-go", func(b *testing.B) {
		newClient := func(hc *http.Client) anthropic.Client {
			return anthropic.NewClient(anthropicoption.WithHTTPClient(hc), anthropicoption.WithBaseURL(messageSrv.URL),
				anthropicoption.WithAPIKey("sk-ant-test"))
		}
		d, r := newClient(direct), newClient(recorded)
		clients := map[*http.Client]*anthropic.Client{direct: &d, recorded: &r}
		params := anthropic.MessageNewParams{
			Model:     anthropic.ModelClaudeSonnet4_5,
			MaxTokens: 1024,
			System:    []anthropic.TextBlockParam{{Text: "You are Claude."}},
			Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello, Claude"))},
		}
		paired(b, func(c *http.Client) {
			if _, err := clients[c].Messages.New(context.Background(), params); err != nil {
				b.Fatal(err)
			}
		}, direct, recorded)
	})
}

// BenchmarkChatStreamPaired: the streamed call of BenchmarkChatStream (read
// by net/http code) made direct and through the transport alternately (see
// paired); the added time per chunk is the difference of added-ns between
// the two stream lengths over the 900 chunks between them.
func BenchmarkChatStreamPaired(b *testing.B) {
	direct, recorded := benchClients()
	const request = `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Count."}]}`
	for _, n := range []int{100, 1000} {
		srv := serve(b, "text/event-stream", streamBody(n))
		b.Run(fmt.Sprintf("chunks=%d", n), func(b *testing.B) {
			paired(b, func(c *http.Client) { postAndRead(b, c, srv.URL+"/v1/chat/completions", request) }, direct, recorded)
		})
	}
}

// paired makes call with the direct and the recorded client alternately in
// one loop (the order swapped every iteration), so that load on the machine
// falls on both alike, and waits for the recording (llm.Flush) after each
// call, outside the caller's time, as in timedCall. Each call's caller
// latency is kept; reported are the medians of both (direct-ns,
// transport-ns), the median of the per-pair differences (added-ns) and it
// as a share of the direct median (added-%), and the same from the means
// (mean-added-%, which GC pauses and preemptions sway).
func paired(b *testing.B, call func(*http.Client), direct, recorded *http.Client) {
	timed := func(c *http.Client) time.Duration {
		start := time.Now()
		call(c)
		d := time.Since(start)
		llm.Flush(context.Background())
		return d
	}
	var d, t, diff []time.Duration
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var dd, td time.Duration
		if i%2 == 0 {
			dd = timed(direct)
			td = timed(recorded)
		} else {
			td = timed(recorded)
			dd = timed(direct)
		}
		d, t, diff = append(d, dd), append(t, td), append(diff, td-dd)
	}
	md, mt, mdiff := median(d), median(t), median(diff)
	b.ReportMetric(float64(md.Nanoseconds()), "direct-ns")
	b.ReportMetric(float64(mt.Nanoseconds()), "transport-ns")
	b.ReportMetric(float64(mdiff.Nanoseconds()), "added-ns")
	b.ReportMetric(100*float64(mdiff)/float64(md), "added-%")
	b.ReportMetric(100*(float64(mean(t))/float64(mean(d))-1), "mean-added-%")
}

func median(s []time.Duration) time.Duration {
	if len(s) == 0 {
		return 0
	}
	s = slices.Clone(s)
	slices.Sort(s)
	return s[len(s)/2]
}

func mean(s []time.Duration) time.Duration {
	var sum time.Duration
	for _, x := range s {
		sum += x
	}
	return sum / time.Duration(max(len(s), 1))
}
