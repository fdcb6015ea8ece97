package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/server"
)

// TestPrune: `agentops prune --older-than` deletes the sessions last seen
// before then and says how many; newer ones stay; a bad age is a usage
// error naming the flag.
func TestPrune(t *testing.T) {
	var runs []storedRun
	for i, age := range []time.Duration{40 * 24 * time.Hour, 35 * 24 * time.Hour, time.Hour} {
		at := time.Now().Add(-age)
		runs = append(runs, storedRun{at, model.Span{TraceID: model.TraceID{byte(i + 1)}, SpanID: model.SpanID{1}, Name: "run",
			Kind: "session", Start: at.UnixNano(), End: at.UnixNano() + 1e9}})
	}
	dir := dataDirWith(t, runs...)

	r := mustCLI(t, "prune", "--older-than", "30d", "--data", dir)
	if !strings.HasPrefix(r.stdout, "deleted 2 sessions last seen before ") {
		t.Errorf("prune said %q", r.stdout)
	}
	list := mustCLI(t, "sessions", "list", "--data", dir).stdout
	if strings.Count(list, "\n") != 2 { // the header and the one left
		t.Errorf("after prune:\n%s", list)
	}
	if r := mustCLI(t, "prune", "--older-than", "30d", "--data", dir); !strings.HasPrefix(r.stdout, "deleted 0 sessions") {
		t.Errorf("a second prune said %q", r.stdout)
	}
	for _, bad := range [][]string{{"prune", "--data", dir}, {"prune", "--older-than", "soon", "--data", dir}, {"prune", "--older-than", "-3d", "--data", dir}} {
		if r := cli(t, bad...); r.code == 0 || !strings.Contains(r.stderr, "older-than") {
			t.Errorf("agentops %q: %s", bad, r)
		}
	}
}

// storedRun is a session's one span, received at a time.
type storedRun struct {
	at   time.Time
	span model.Span
}

// dataDirWith returns a data directory with project "alpha" holding runs,
// each written as the server would have received it at its time.
func dataDirWith(t *testing.T, runs ...storedRun) string {
	t.Helper()
	dir := t.TempDir()
	mustCLI(t, "keys", "create", "--project", "alpha", "--data", dir)
	st, err := server.OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	p, err := st.ProjectByName(ctx, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		r.span.ProjectID = p.ID
		if err := st.WriteSpans(ctx, []model.Span{r.span}, r.at); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
