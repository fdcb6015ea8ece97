package server

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
)

// TestRetention: with --retention the server deletes, at start and then
// every interval, the sessions last seen longer ago; sessions seen since
// stay, and the deletions are counted in /metrics.
func TestRetention(t *testing.T) {
	old := model.TraceID{0xaa, 1}
	ts := startServerOn(t, func(st store.Store) store.Store {
		ctx := context.Background()
		p, err := st.ProjectByName(ctx, "default")
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now().Add(-72 * time.Hour).UnixNano()
		root := model.Span{ProjectID: p.ID, TraceID: old, SpanID: model.SpanID{1}, Name: "old run", Kind: "session", Start: start, End: start + 1e9}
		if err := st.WriteSpans(ctx, []model.Span{root}, time.Unix(0, start)); err != nil { // last seen 3 days ago
			t.Fatal(err)
		}
		return st
	}, func(c *Config) { c.Retention, c.RetentionInterval = 48*time.Hour, 20*time.Millisecond })

	fresh := hexTrace(0xbb, 1)
	postSpan(t, ts, fresh, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, _, _ := ts.do(t, "GET", "/v2/sessions/"+old.String()+"/stats", "", nil)
		if status == 404 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the session last seen 3 days ago is still there with --retention 48h (%d)", status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(60 * time.Millisecond) // a few more rounds: the fresh session must survive them
	checkStored(t, ts, fresh, 1)
	_, body, _ := ts.do(t, "GET", "/metrics", "", nil)
	if !strings.Contains(string(body), "agentops_sessions_pruned_total 1\n") {
		t.Errorf("/metrics does not count the pruned session:\n%s", grepLines(string(body), "pruned"))
	}
}

// TestRetentionSetting: under an hour, or negative, --retention stops the
// server with a message; days are accepted.
func TestRetentionSetting(t *testing.T) {
	for _, c := range []struct {
		value string
		want  string // "" for valid
	}{{"30d", ""}, {"1d12h", ""}, {"90m", ""}, {"10m", "under an hour"}, {"-1h", "must not be negative"}, {"0", ""}, {"3x", "not a duration"}} {
		d, err := ParseDuration(c.value)
		if err == nil {
			cfg := DefaultConfig()
			cfg.Retention = d
			err = cfg.Validate()
		}
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("--retention %s: %v, want %q", c.value, err, c.want)
		}
	}
	if d, _ := ParseDuration("1d12h"); d != 36*time.Hour {
		t.Errorf("1d12h = %v", d)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
