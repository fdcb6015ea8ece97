package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/server/servertest"
)

// python returns the interpreter named by envVar, skipping the test when the
// Python tests are off and failing it when they are on but it is missing.
func python(t *testing.T, envVar string) string {
	t.Helper()
	if os.Getenv("AGENTOPS_PYTHON_TEST") != "1" {
		t.Skip("official Python SDK tests are off: set AGENTOPS_PYTHON_TEST=1 and " + envVar + " (.ci/python-setup creates the environments)")
	}
	p := os.Getenv(envVar)
	if p == "" {
		t.Fatalf("AGENTOPS_PYTHON_TEST=1 but %s is not set: run .ci/python-setup", envVar)
	}
	if _, err := exec.LookPath(p); err != nil {
		t.Fatalf("AGENTOPS_PYTHON_TEST=1 but %s=%s is not an executable: %v", envVar, p, err)
	}
	return p
}

// runScript runs testdata/script with env added to a copy of the test's
// environment from which every AGENTOPS_* and OPENAI_* variable is removed,
// and returns its combined output. A script that fails fails the test.
func runScript(t *testing.T, py, script string, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute) // a hung interpreter must not hang the suite
	defer cancel()
	path, err := filepath.Abs(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, py, path)
	cmd.Dir = t.TempDir() // the SDKs write agentops.log into the working directory
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AGENTOPS_") && !strings.HasPrefix(kv, "OPENAI_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	cmd.Env = append(cmd.Env, "PYTHONUNBUFFERED=1", "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", py, script, err, out)
	}
	return string(out)
}

// sdkEnv is the environment that points the official SDKs at srv and the
// openai client at the fake: the variables their docs name.
func sdkEnv(srv *servertest.Server, oai *fakeOpenAI) map[string]string {
	return map[string]string{
		"AGENTOPS_API_KEY":           srv.Key,
		"AGENTOPS_API_ENDPOINT":      srv.URL,
		"AGENTOPS_EXPORTER_ENDPOINT": srv.URL + "/v1/traces", // read by 0.4.x only
		"AGENTOPS_APP_URL":           srv.URL,                // idem
		"OPENAI_BASE_URL":            oai.URL + "/v1",
		"OPENAI_API_KEY":             "sk-compat-test",
	}
}

// fakeOpenAI serves POST /v1/chat/completions as OpenAI documents it (a
// chat.completion object with usage), counting the calls.
type fakeOpenAI struct {
	*httptest.Server
	calls atomic.Int64
}

// The fake's answer: the model OpenAI echoes for "gpt-4o-mini", and usage.
const (
	fakeModel            = "gpt-4o-mini-2024-07-18"
	fakePromptTokens     = 21
	fakeCompletionTokens = 9
	fakeReply            = "Sunny in Paris, 21°C."
)

func newFakeOpenAI(t *testing.T) *fakeOpenAI {
	f := &fakeOpenAI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"error":{"message":"Unknown request URL","type":"invalid_request_error","param":null,"code":"unknown_url"}}`)
			return
		}
		var req struct {
			Model    string            `json:"model"`
			Messages []json.RawMessage `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model == "" || len(req.Messages) == 0 {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"error":{"message":"bad request","type":"invalid_request_error","param":null,"code":null}}`)
			return
		}
		f.calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{
  "id": "chatcmpl-compat%d",
  "object": "chat.completion",
  "created": %d,
  "model": %q,
  "system_fingerprint": "fp_compat",
  "choices": [{"index": 0, "message": {"role": "assistant", "content": %q, "refusal": null}, "logprobs": null, "finish_reason": "stop"}],
  "usage": {"prompt_tokens": %d, "completion_tokens": %d, "total_tokens": %d,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
}`, f.calls.Load(), time.Now().Unix(), fakeModel, fakeReply, fakePromptTokens, fakeCompletionTokens, fakePromptTokens+fakeCompletionTokens)
	}))
	t.Cleanup(f.Close)
	return f
}

// get decodes the JSON answer of GET path on the server into v and returns
// the status.
func get(t *testing.T, srv *servertest.Server, path string, v any) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Agentops-Api-Key", srv.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if resp.StatusCode == http.StatusOK && v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: %v\n%s", path, err, b)
		}
	}
	return resp.StatusCode
}

// waitFor polls done until it reports true, failing the test with its last
// explanation when the deadline passes. The SDKs export asynchronously, so
// what a script sent may land a moment after it exits.
func waitFor(t *testing.T, what string, done func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, why := done()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not there after 30s: %s", what, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
