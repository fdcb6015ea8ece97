package llm_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/agentops-go/agentops/llm"
	"github.com/agentops-go/agentops/semconv"
)

func do(t *testing.T, c *http.Client, url, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestResponseNeverReadNorClosed: a non-streamed response whose body the
// caller neither reads nor closes leaves its call unrecorded (the span ends
// with the body, as a stream's does) and does not hold up Flush; closed
// later, unread, the call is recorded as abandoned, with its request and
// no error.
func TestResponseNeverReadNorClosed(t *testing.T) {
	srv := provider(t, 200, fixture(t, "openai_chat_tool_calls.json"))
	client, exp, _ := setup()
	resp := do(t, client, srv.URL+"/v1/chat/completions", openAIRequest)
	if n := len(exp.GetSpans()); n != 0 { // GetSpans flushes: nothing is pending for this call
		t.Fatalf("%d spans before the body ended", n)
	}
	resp.Body.Close()
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans after Close, want 1", len(spans))
	}
	a := attrs(spans[0])
	if !a[semconv.LLMResponseAbandoned].AsBool() || a[semconv.GenAIRequestModel].AsString() != "gpt-4o" ||
		spans[0].Status.Code != codes.Unset {
		t.Errorf("status %v, attributes %v: want abandoned, the request recorded, no error", spans[0].Status, a)
	}
	if _, ok := a[semconv.GenAIInputTokens]; ok {
		t.Errorf("usage recorded from an unread answer")
	}
}

// TestResponseRecordedAtItsEnd: the caller gets the answer's bytes
// unchanged; the span ends when the body is read to its end (its end time
// lies between the reads around EOF) and is complete once Flush returns.
func TestResponseRecordedAtItsEnd(t *testing.T) {
	body := fixture(t, "openai_chat_tool_calls.json")
	srv := provider(t, 200, body)
	client, exp, _ := setup()
	resp := do(t, client, srv.URL+"/v1/chat/completions", openAIRequest)
	got := make([]byte, len(body)-1)
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	rest, err := io.ReadAll(resp.Body)
	after := time.Now()
	resp.Body.Close()
	if err != nil || !bytes.Equal(append(got, rest...), body) {
		t.Fatalf("the caller got %q, %v", append(got, rest...), err)
	}
	if err := llm.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	spans := exp.InMemoryExporter.GetSpans() // no further flush: Flush above made it complete
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	s := spans[0]
	if s.EndTime.Before(before) || s.EndTime.After(after) {
		t.Errorf("span ended at %v, want between %v and %v", s.EndTime, before, after)
	}
	if a := attrs(s); a[semconv.GenAIInputTokens].AsInt64() != 1117 || a["gen_ai.completion.0.tool_calls.0.name"].AsString() != "get_current_weather" {
		t.Errorf("attributes %v", a)
	}
}

// TestResponseOverCap: past WithMaxResponseBytes the caller still gets
// every byte; the call is recorded with its request, without its response,
// saying why.
func TestResponseOverCap(t *testing.T) {
	body := fixture(t, "openai_chat_tool_calls.json")
	srv := provider(t, 200, body)
	client, exp, _ := setup(llm.WithMaxResponseBytes(100))
	if got := post(t, context.Background(), client, srv.URL+"/v1/chat/completions", openAIRequest); !bytes.Equal(got, body) {
		t.Fatalf("the caller got %q", got)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	a := attrs(spans[0])
	if why := a[semconv.LLMResponseUnrecorded].AsString(); !strings.Contains(why, "100 bytes") {
		t.Errorf("unrecorded = %q", why)
	}
	if a[semconv.GenAIRequestModel].AsString() != "gpt-4o" || spans[0].Status.Code != codes.Unset {
		t.Errorf("status %v, attributes %v", spans[0].Status, a)
	}
	for _, k := range []string{semconv.GenAIInputTokens, semconv.GenAIResponseModel, "gen_ai.completion.0.role", semconv.LLMUsageUnreported} {
		if _, ok := a[k]; ok {
			t.Errorf("%s recorded", k)
		}
	}
}

// TestResponseCutOff: a connection cut mid-answer gives the caller the same
// read error and the span an error status.
func TestResponseCutOff(t *testing.T) {
	body := fixture(t, "openai_chat_tool_calls.json")
	srv := newHijackServer(t, body[:len(body)/2], len(body))
	client, exp, _ := setup()
	resp := do(t, client, srv+"/v1/chat/completions", openAIRequest)
	_, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil {
		t.Fatal("no read error")
	}
	spans := exp.GetSpans()
	if len(spans) != 1 || spans[0].Status.Code != codes.Error || attrs(spans[0])[semconv.ErrorType].AsString() != "unexpected_eof" {
		t.Fatalf("spans %+v", spans)
	}
}

// newHijackServer answers with a JSON response promising length bytes and
// sends only sent before dropping the connection; it returns its URL.
func newHijackServer(t *testing.T, sent []byte, length int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", length)
		buf.Write(sent)
		buf.Flush()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestSampledOutCallPassesThrough: a call whose parent span is not sampled
// is sent and answered untouched (its body not wrapped); a root call the
// provider's sampler drops is answered unchanged too. Neither is recorded.
func TestSampledOutCallPassesThrough(t *testing.T) {
	body := fixture(t, "openai_chat_tool_calls.json")
	srv := provider(t, 200, body)
	exp := newExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithSampler(sdktrace.NeverSample()))
	client := &http.Client{Transport: llm.Transport(http.DefaultTransport, llm.WithTracerProvider(tp))}
	parent, span := tp.Tracer("agent").Start(context.Background(), "agent")
	defer span.End()
	if span.SpanContext().IsSampled() {
		t.Fatal("the parent is sampled")
	}
	for _, c := range []struct {
		name    string
		ctx     context.Context
		wrapped bool
	}{{"parent not sampled", parent, false}, {"root call, sampler says no", context.Background(), true}} {
		req, _ := http.NewRequestWithContext(c.ctx, http.MethodPost, srv.URL+"/v1/chat/completions", strings.NewReader(openAIRequest))
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if typ := fmt.Sprintf("%T", resp.Body); strings.Contains(typ, "llm.") != c.wrapped {
			t.Errorf("%s: body %s", c.name, typ)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("%s: the caller got %q, %v", c.name, got, err)
		}
	}
	llm.Flush(context.Background())
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("%d spans", n)
	}
}

// TestStreamTimesAreArrivalTimes: a stream's bytes are parsed after it ends,
// but time to first chunk and to first token are when the events arrived:
// the server sends a role-only chunk at once, the first content 60 ms later
// and the rest 60 ms after that.
func TestStreamTimesAreArrivalTimes(t *testing.T) {
	const (
		role    = `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}` + "\n\n"
		content = `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}` + "\n\n"
		last    = `data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}` + "\n\ndata: [DONE]\n\n"
		pause   = 60 * time.Millisecond
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		for i, part := range []string{role, content, last} {
			if i > 0 {
				time.Sleep(pause)
			}
			io.WriteString(w, part)
			w.(http.Flusher).Flush()
		}
	}))
	defer srv.Close()
	exp := newExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	client := &http.Client{Transport: llm.Transport(nil, llm.WithTracerProvider(tp))}
	resp := do(t, client, srv.URL+"/v1/chat/completions", `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Hi"}]}`)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(got) != role+content+last {
		t.Fatalf("the caller got %q, %v", got, err)
	}
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	a := attrs(spans[0])
	chunk := time.Duration(a[semconv.GenAITimeToFirstChunk].AsFloat64() * float64(time.Second))
	token := time.Duration(a[semconv.LLMTimeToFirstToken].AsFloat64() * float64(time.Second))
	span := spans[0].EndTime.Sub(spans[0].StartTime)
	if chunk >= pause || token < pause || token >= 2*pause || span < 2*pause {
		t.Errorf("first chunk after %v, first token after %v, span %v: want < %v, in [%v, %v), >= %v",
			chunk, token, span, pause, pause, 2*pause, 2*pause)
	}
	if c := a[semconv.GenAICompletionPrefix+"0.content"].AsString(); c != "Hi" {
		t.Errorf("completion %q", c)
	}
}
