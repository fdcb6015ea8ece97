package legacy_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/agentops-go/agentops/internal/auth"
	"github.com/agentops-go/agentops/internal/server/servertest"
)

// BenchmarkCreateEvents posts create_events of 32 events (0.3.x's batch
// size) for a new session each time, through a real server and store: the
// cost of a legacy batch, stored-span check and commit included.
func BenchmarkCreateEvents(b *testing.B) {
	srv := servertest.Start(b)
	bodies := make([][]byte, b.N)
	for i := range bodies {
		evs := make([]map[string]any, 32)
		for j := range evs {
			evs[j] = map[string]any{"id": fmt.Sprintf("e%08d-%02d", i, j), "event_type": "llms", "model": "gpt-4o-mini", "prompt": "hi", "completion": "hello",
				"prompt_tokens": 10, "completion_tokens": 5, "session_id": fmt.Sprintf("%08x-0000-4000-8000-000000000000", i),
				"init_timestamp": "2025-03-01T10:00:01.000000+00:00", "end_timestamp": "2025-03-01T10:00:02.000000+00:00"}
		}
		bodies[i], _ = json.Marshal(map[string]any{"events": evs})
	}
	b.ResetTimer()
	for i := range b.N {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v2/create_events", bytes.NewReader(bodies[i]))
		req.Header.Set(auth.HeaderAPIKey, srv.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.ReportMetric(float64(b.N*32)/b.Elapsed().Seconds(), "events/s")
}
