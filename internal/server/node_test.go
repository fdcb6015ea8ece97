package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/agentops-go/agentops/internal/api"
	"github.com/agentops-go/agentops/internal/server/servertest"
	"github.com/agentops-go/agentops/pricing"
)

// nodeDir holds the Node script and its pinned packages, installed by
// .ci/node-setup (npm ci).
var nodeDir = filepath.Join("..", "..", "testdata", "node")

// TestNodeOTelSDK runs testdata/node/send.js: the OpenTelemetry JS SDK with
// its official OTLP exporters sends one agent session over HTTP/JSON, one
// over HTTP/protobuf and one over gRPC to a real server, and each reads
// back through the REST API to the token and the cent. Switched on by
// AGENTOPS_NODE_TEST=1 (set by .ci/run); then a missing node or missing
// node_modules fails the test.
func TestNodeOTelSDK(t *testing.T) {
	if os.Getenv("AGENTOPS_NODE_TEST") != "1" {
		t.Skip("AGENTOPS_NODE_TEST is not 1: skipping the Node OpenTelemetry proof (run .ci/node-setup, then set it)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("AGENTOPS_NODE_TEST=1 but node is not installed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(nodeDir, "node_modules", "@opentelemetry", "exporter-trace-otlp-grpc")); err != nil {
		t.Fatalf("AGENTOPS_NODE_TEST=1 but the Node packages are missing (run .ci/node-setup): %v", err)
	}
	srv := servertest.Start(t)
	if srv.GRPCAddr == "" {
		t.Fatal("the test server has no gRPC listener")
	}

	cmd := exec.CommandContext(t.Context(), node, "send.js")
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(),
		"AGENTOPS_HTTP_ENDPOINT="+srv.URL,
		"AGENTOPS_GRPC_ENDPOINT=http://"+srv.GRPCAddr,
		"AGENTOPS_API_KEY="+srv.Key,
	)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node send.js: %v\nstderr:\n%s", err, stderr.String())
	}
	var traces map[string]string
	if err := json.Unmarshal(out, &traces); err != nil {
		t.Fatalf("node send.js printed %q: %v", out, err)
	}
	protocols := []string{"http/json", "http/protobuf", "grpc"}
	if len(traces) != len(protocols) {
		t.Fatalf("sessions sent: %v, want one per protocol %v", traces, protocols)
	}

	var list api.SessionList
	getJSON(t, srv, "/v2/sessions?tag=node", &list)
	if len(list.Sessions) != len(protocols) {
		t.Errorf("%d sessions tagged node, want %d", len(list.Sessions), len(protocols))
	}

	table := pricing.Default()
	price := func(model string, u pricing.Usage) float64 {
		m, ok := table.Find("openai", model)
		if !ok {
			t.Fatalf("%s is not in the price table", model)
		}
		return m.Cost(u)
	}
	wantCost := price("gpt-4o-mini-2024-07-18", pricing.Usage{Input: 1000, Output: 200}) +
		price("gpt-4o-mini", pricing.Usage{Input: 2000, CacheRead: 1500, Output: 300})

	for _, protocol := range protocols {
		t.Run(strings.ReplaceAll(protocol, "/", "-"), func(t *testing.T) {
			id := traces[protocol]
			var st api.SessionStats
			getJSON(t, srv, "/v2/sessions/"+id+"/stats", &st)
			if st.EndState == nil || *st.EndState != "Success" {
				t.Errorf("end state = %v, want Success", st.EndState)
			}
			if want := (api.EventCounts{LLMCalls: 2, ToolCalls: 1, Agents: 1, Total: 5}); st.Events != want {
				t.Errorf("events = %+v, want %+v", st.Events, want)
			}
			if want := (api.TokenCounts{Prompt: 3000, Completion: 500, CacheRead: 1500, Total: 3500}); st.Tokens != want {
				t.Errorf("tokens = %+v, want %+v", st.Tokens, want)
			}
			if math.Abs(st.Cost.TotalUSD-wantCost) > 1e-12 || !st.Cost.Complete {
				t.Errorf("cost = %+v, want %.9f complete", st.Cost, wantCost)
			}

			var x api.SessionExport
			getJSON(t, srv, "/v2/sessions/"+id+"/export", &x)
			if want := []string{"node", protocol}; !slices.Equal(x.Session.Tags, want) {
				t.Errorf("tags = %v, want %v", x.Session.Tags, want)
			}
			if x.Session.Name != "node-session "+protocol {
				t.Errorf("name = %q", x.Session.Name)
			}
			kinds := map[string]int{}
			for _, sp := range x.Spans {
				kinds[sp.Kind]++
			}
			if want := map[string]int{"session": 1, "agent": 1, "tool": 1, "llm": 2}; fmt.Sprint(kinds) != fmt.Sprint(want) {
				t.Errorf("kinds = %v, want %v", kinds, want)
			}
			if len(x.LLMs) != 2 || len(x.LLMs[0].Prompt) != 1 || x.LLMs[0].Prompt[0].Content != "Plan a trip to Lisbon." ||
				len(x.LLMs[0].Completion) != 1 || x.LLMs[0].Completion[0].Content != "Day 1: Alfama." {
				t.Errorf("LLM calls = %+v", x.LLMs)
			}
			if len(x.Tools) != 1 || x.Tools[0].Name != "weather" || string(x.Tools[0].Input) != `"{\"city\":\"Lisbon\"}"` {
				t.Errorf("tools = %+v", x.Tools)
			}
		})
	}
}

func getJSON(t *testing.T, srv *servertest.Server, path string, v any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Agentops-Api-Key", srv.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v in %s", path, err, body)
	}
}
