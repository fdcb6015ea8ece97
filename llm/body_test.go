package llm_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/agentops-go/agentops/llm"
	"github.com/agentops-go/agentops/semconv"
)

// echoServer answers with the chat completion fixture and keeps what it
// received.
func echoServer(t *testing.T, received *[]byte) *httptest.Server {
	t.Helper()
	resp := fixture(t, "openai_chat_tool_calls.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		*received, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// onlyReader hides every method but Read, so http.NewRequest sets no
// GetBody and no ContentLength.
type onlyReader struct{ io.Reader }

func TestRequestBodies(t *testing.T) {
	large := `{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("a", 4000) + `"}]}`
	tests := []struct {
		name     string
		body     func(string) io.Reader
		request  string
		opts     []llm.Option
		unrecord bool
	}{
		{name: "with GetBody", body: func(s string) io.Reader { return strings.NewReader(s) }, request: openAIRequest},
		{name: "without GetBody", body: func(s string) io.Reader { return onlyReader{strings.NewReader(s)} }, request: openAIRequest},
		{name: "over the cap, known length", body: func(s string) io.Reader { return strings.NewReader(s) },
			request: large, opts: []llm.Option{llm.WithMaxRequestBytes(1000)}, unrecord: true},
		{name: "over the cap, unknown length", body: func(s string) io.Reader { return onlyReader{strings.NewReader(s)} },
			request: large, opts: []llm.Option{llm.WithMaxRequestBytes(1000)}, unrecord: true},
		{name: "just under the cap, unknown length", body: func(s string) io.Reader { return onlyReader{strings.NewReader(s)} },
			request: large, opts: []llm.Option{llm.WithMaxRequestBytes(int64(len(large)))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var received []byte
			srv := echoServer(t, &received)
			client, exp, _ := setup(tt.opts...)
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", tt.body(tt.request))
			hadGetBody := req.GetBody != nil
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if string(received) != tt.request {
				t.Errorf("the server got %d bytes, want the %d sent", len(received), len(tt.request))
			}
			if hadGetBody { // the caller's request still replays its body
				rc, _ := req.GetBody()
				if b, _ := io.ReadAll(rc); string(b) != tt.request {
					t.Errorf("GetBody replays %q", b)
				}
			}
			s := llmSpan(t, exp)
			a := attrs(s)
			if tt.unrecord {
				checkAttrs(t, s, map[string]any{
					semconv.LLMRequestUnrecorded: "request body over 1000 bytes",
					semconv.GenAIRequestModel:    "",
					"gen_ai.prompt.0.content":    nil,
					semconv.GenAIResponseModel:   "gpt-4o-2024-08-06",
					semconv.GenAIInputTokens:     int64(1117),
				})
				return
			}
			if a[semconv.GenAIRequestModel].AsString() != "gpt-4o" || a[semconv.LLMRequestUnrecorded].AsString() != "" {
				t.Errorf("request not recorded: %v", a)
			}
		})
	}
}

type failingReader struct{ n int }

var errBodyRead = errors.New("body read failed")

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errBodyRead
	}
	n := copy(p, strings.Repeat("{", min(len(p), f.n)))
	f.n -= n
	return n, nil
}

// A body that fails to read is the base transport's to report, as it
// would without this transport; no call is recorded.
func TestRequestBodyReadError(t *testing.T) {
	var received []byte
	srv := echoServer(t, &received)
	client, exp, _ := setup()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", &failingReader{n: 10})
	_, err := client.Do(req)
	if !errors.Is(err, errBodyRead) {
		t.Errorf("the caller got %v, want the body's read error", err)
	}
	if n := len(exp.GetSpans()); n != 0 {
		t.Errorf("got %d spans", n)
	}
}

func TestRequestBodyNotJSON(t *testing.T) {
	var received []byte
	srv := echoServer(t, &received)
	client, exp, _ := setup()
	body := []byte("\x00\x01binary")
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", onlyReader{bytes.NewReader(body)})
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if !bytes.Equal(received, body) || len(exp.GetSpans()) != 0 {
		t.Errorf("server got %q, %d spans", received, len(exp.GetSpans()))
	}
}
