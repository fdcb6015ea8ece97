package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/store"
)

// TestMigration2Backfills: a file of schema 1 holding sessions opens at the
// current version with the overview's session rollups filled from them.
func TestMigration2Backfills(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agentops.db")
	db, err := sql.Open(driverName, dsn(path, 5000, 1024, false))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	day := int64(24 * time.Hour)
	base := 20000 * day // a UTC midnight
	for _, q := range []string{
		"PRAGMA journal_mode = WAL",
		migrations[0],
		"PRAGMA user_version = 1",
		`INSERT INTO project_ids (n, id) VALUES (1, 'p1')`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	insert := `INSERT INTO sessions (project, trace_id, name, name_rank, start, end_time, last_seen, root_ended,
	end_state, end_state_explicit, end_state_reason, tags, host, spans, llm_calls, tool_calls, actions, agents, errors,
	input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens, total_tokens, cost, unpriced, chunks)
VALUES (1, ?, 'old', 3, ?, ?, ?, 1, ?, 1, ?, NULL, NULL, 3, 1, 1, 0, 0, ?, 100, 10, 5, 0, 2, 110, 0.25, 0, x'')`
	for i, c := range []struct {
		start, dur int64
		state      string
		reason     string
		errors     int
	}{
		{base + 10, int64(500 * time.Millisecond), "Success", "", 0},
		{base + 20, int64(10 * time.Second), "Success", "", 0},
		{base + day + 5, int64(2 * time.Hour), "Failure", "tool crashed", 2},
	} {
		if _, err := db.ExecContext(ctx, insert, []byte(fmt.Sprintf("trace-%010d", i)), c.start, c.start+c.dur, c.start, c.state, c.reason, c.errors); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s := openTemp(t, path)
	ov, err := s.Overview(ctx, "p1", store.OverviewQuery{Since: base, Until: base + 2*day, StaleBefore: base})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.DayState{
		{Day: base, State: "Success", Sessions: 2},
		{Day: base + day, State: "Failure", Sessions: 1},
	}
	if len(ov.Days) != len(want) {
		t.Fatalf("days %+v, want %d", ov.Days, len(want))
	}
	for i, w := range want {
		g := ov.Days[i]
		if g.Day != w.Day || g.State != w.State || g.Sessions != w.Sessions || g.Usage.Input != 100*w.Sessions || g.Cost != 0.25*float64(w.Sessions) {
			t.Errorf("day %d: %+v, want %+v", i, g, w)
		}
	}
	if d := ov.Days[0].Durations; d[0] != 1 || d[2] != 1 {
		t.Errorf("durations of day one %v, want one under 1 s and one of 5-30 s", d)
	}
	if d := ov.Days[1].Durations; d[len(d)-1] != 1 || ov.Days[1].Counts.Errors != 2 {
		t.Errorf("day two: durations %v, errors %d", d, ov.Days[1].Counts.Errors)
	}
	if len(ov.Reasons) != 2 || ov.Reasons[0] != (store.ReasonGroup{State: "Success", Sessions: 2}) || ov.Reasons[1] != (store.ReasonGroup{State: "Failure", Reason: "tool crashed", Sessions: 1}) {
		t.Errorf("reasons %+v", ov.Reasons)
	}
	// The migrated rows take part in the sessions' rollups from now on.
	page, err := s.Sessions(ctx, "p1", store.SessionQuery{})
	if err != nil || len(page.Sessions) != 3 || page.Sessions[0].Models != nil {
		t.Errorf("sessions after migration: %d, %v", len(page.Sessions), err)
	}
}
