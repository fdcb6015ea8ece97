package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPublicAPIRoutes: the public API is mounted with its token exchange,
// and its refusals carry AgentOps' "detail" beside our "error".
func TestPublicAPIRoutes(t *testing.T) {
	ts := startServer(t)
	bearer := accessToken(t, ts, ts.Key)
	for _, tc := range []struct {
		name, method, path string
		header             []string
		want               int
	}{
		{"project with the bearer", "GET", "/public/v1/project", []string{"X-Agentops-Api-Key", "", "Authorization", "Bearer " + bearer}, 200},
		{"project with the key", "GET", "/public/v1/project", nil, 200},
		{"no credential", "GET", "/public/v1/project", []string{"X-Agentops-Api-Key", ""}, 401},
		{"bad bearer", "GET", "/public/v1/traces/" + strings.Repeat("a", 32), []string{"X-Agentops-Api-Key", "", "Authorization", "Bearer nope"}, 401},
		{"unknown trace", "GET", "/public/v1/traces/" + strings.Repeat("a", 32), nil, 404},
		{"unknown route", "GET", "/public/v1/nothing", nil, 404},
		{"token with GET", "GET", "/public/v1/auth/access_token", nil, 405},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := ts.do(t, tc.method, tc.path, "", nil, tc.header...)
			if status != tc.want {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, status, body, tc.want)
			}
			if status == 200 {
				return
			}
			var e map[string]any
			if json.Unmarshal(body, &e) != nil || e["error"] == nil || e["detail"] != e["error"] {
				t.Errorf("error body %s: want {\"error\", \"detail\"} alike", body)
			}
		})
	}
}
