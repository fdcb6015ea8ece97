package sqlite

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/internal/store/storetest"
)

func openTemp(t *testing.T, path string) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "agentops.db")
	}
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t, "") })
}

var now = time.Unix(1_704_067_200, 0)

func payload(seed uint64, traces, perTrace int) []model.Span {
	return storetest.Payload(rand.New(rand.NewPCG(seed, 1)), "p1", traces, perTrace, now.UnixNano())
}

func TestReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "agentops.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	spans := payload(1, 3, 7)
	if err := s.WriteSpans(ctx, spans, now); err != nil {
		t.Fatal(err)
	}
	p, err := s.CreateProject(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Session(ctx, "p1", spans[0].TraceID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTemp(t, path)
	got, err := s.Session(ctx, "p1", spans[0].TraceID)
	if err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if got.Counts.Spans != 7 || got.Name != want.Name || got.Cost != want.Cost {
		t.Errorf("after reopen: session %+v, want %+v", got, want)
	}
	if _, err := s.ProjectByName(ctx, "acme"); err != nil {
		t.Errorf("after reopen: project: %v", err)
	}
	read, err := s.Spans(ctx, "p1", spans[0].TraceID)
	if err != nil || len(read) != 7 {
		t.Errorf("after reopen: %d spans, %v", len(read), err)
	}
	_ = p
}

// TestSecondOpen is the CLI opening the server's file: both can write, and
// each reads the other's writes while the other is open.
func TestSecondOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "agentops.db")
	server := openTemp(t, path)
	cli := openTemp(t, path)

	done := make(chan error)
	go func() {
		var err error
		for i := range 20 {
			if err = server.WriteSpans(ctx, payload(uint64(i), 20, 10), now); err != nil {
				break
			}
		}
		done <- err
	}()
	for i := range 10 {
		if _, err := cli.CreateProject(ctx, "project-"+string(rune('a'+i))); err != nil {
			t.Errorf("CLI CreateProject while the server writes: %v", err)
		}
		if _, err := cli.Sessions(ctx, "p1", store.SessionQuery{Limit: 5}); err != nil {
			t.Errorf("CLI Sessions while the server writes: %v", err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("server WriteSpans: %v", err)
	}
	if _, err := server.ProjectByName(ctx, "project-c"); err != nil {
		t.Errorf("server reads the CLI's project: %v", err)
	}
	page, err := cli.Sessions(ctx, "p1", store.SessionQuery{Limit: 1000})
	if err != nil || len(page.Sessions) != 400 {
		t.Errorf("CLI lists %d sessions (%v), want 400", len(page.Sessions), err)
	}
}

func TestSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agentops.db")
	openTemp(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version, size int
	var mode string
	for _, q := range []struct {
		sql string
		dst any
	}{{"PRAGMA user_version", &version}, {"PRAGMA journal_mode", &mode}, {"PRAGMA page_size", &size}} {
		if err := db.QueryRow(q.sql).Scan(q.dst); err != nil {
			t.Fatal(err)
		}
	}
	if version != schemaVersion || mode != "wal" || size != pageSize {
		t.Errorf("user_version %d, journal_mode %s, page_size %d; want %d, wal, %d", version, mode, size, schemaVersion, pageSize)
	}
	if _, err := db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, Options{}); err == nil {
		s.Close()
		t.Error("Open of a database from a newer version: no error")
	}
}

// TestIndexesUsed guards the query plans: listing and tag filters walk an
// index in order instead of sorting.
func TestIndexesUsed(t *testing.T) {
	s := openTemp(t, "")
	for _, q := range []string{
		`SELECT s.trace_id FROM sessions s WHERE s.project = ` + projectN + ` AND s.id < 7 AND s.start >= 1 AND s.start < 2 ORDER BY s.id DESC LIMIT 51`,
		`SELECT s.trace_id FROM sessions s WHERE s.project = ` + projectN + ` ORDER BY s.id DESC LIMIT 51`,
		`SELECT s.trace_id FROM session_tags t JOIN sessions s ON s.id = t.session WHERE t.project = ` + projectN + ` AND t.tag = 'x' AND t.session < 7 AND s.start >= 1 ORDER BY t.session DESC LIMIT 51`,
		`SELECT chunks FROM sessions WHERE project = ` + projectN + ` AND trace_id = x'00'`,
		readSessionSQL,
		// The running filter and the overview's stale sessions: the partial index.
		`SELECT s.trace_id FROM sessions s INDEXED BY sessions_open WHERE s.project = ` + projectN + ` AND s.end_state = '' AND NOT s.root_ended AND s.last_seen >= 5 ORDER BY s.id DESC LIMIT 51`,
		`SELECT s.trace_id FROM sessions s INDEXED BY sessions_open WHERE s.project = 1 AND s.end_state = '' AND s.last_seen < 5`,
		// The overview's rollups.
		`SELECT sessions FROM session_days WHERE project = 1 AND day BETWEEN 1 AND 9`,
		`SELECT calls FROM model_days WHERE project = 1 AND day BETWEEN 1 AND 9 ORDER BY day, model`,
		`SELECT state, reason, sum(sessions) FROM reason_days WHERE project = 1 AND day BETWEEN 1 AND 9 GROUP BY state, reason`,
	} {
		q = strings.ReplaceAll(q, "?", "'p'")
		rows, err := s.rdb.Query("EXPLAIN QUERY PLAN " + q)
		if err != nil {
			t.Fatal(err)
		}
		var plan string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan += detail + "; "
		}
		rows.Close()
		if (strings.Contains(plan, "TEMP B-TREE") && !strings.Contains(q, "GROUP BY")) || strings.Contains(plan, "SCAN") {
			t.Errorf("query %s\nplan: %s", q, plan)
		}
	}
}

// TestSortWindowBounded: a sort in a window reads a rowid range of the
// table (or of a tag), found by walking the covering index back.
func TestSortWindowBounded(t *testing.T) {
	s := openTemp(t, "")
	for q, want := range map[string]string{
		`SELECT id FROM sessions WHERE project = ` + projectN + ` ORDER BY id DESC LIMIT 1 OFFSET 5`:                                                                                              "SEARCH sessions USING COVERING INDEX sessions_project (project=?)",
		`SELECT s.id FROM sessions s NOT INDEXED WHERE s.project = ` + projectN + ` AND s.id > 7 AND s.errors > 0 ORDER BY s.cost DESC, s.id DESC LIMIT 51`:                                       "SEARCH s USING INTEGER PRIMARY KEY (rowid>?)",
		`SELECT s.trace_id FROM session_tags t JOIN sessions s ON s.id = t.session WHERE t.project = ` + projectN + ` AND t.tag = 'x' AND t.session > 7 ORDER BY s.cost DESC, s.id DESC LIMIT 51`: "SEARCH t USING PRIMARY KEY (project=? AND tag=? AND session>?)",
	} {
		if plan := queryPlan(t, s, strings.ReplaceAll(q, "?", "'p'")); !strings.HasPrefix(plan, want) || strings.Contains(plan, "SCAN") {
			t.Errorf("query %s\nplan: %s\nwant: %s", q, plan, want)
		}
	}
}

func queryPlan(t *testing.T, s *Store, q string) string {
	t.Helper()
	rows, err := s.wdb.Query("EXPLAIN QUERY PLAN " + q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan += detail + "; "
	}
	return plan
}

// TestChunkList: a session's chunk list stays a blob as it grows, and a
// list pointing at another trace's chunk (a damaged file) is an error, never
// that trace's spans.
func TestChunkList(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t, "")
	a := payload(1, 1, 3)
	b := storetest.Payload(rand.New(rand.NewPCG(2, 1)), "p2", 1, 3, now.UnixNano())
	for _, spans := range [][]model.Span{a[:1], a[1:], b} {
		if err := s.WriteSpans(ctx, spans, now); err != nil {
			t.Fatal(err)
		}
	}
	var typ string
	var n int
	if err := s.wdb.QueryRow(`SELECT typeof(chunks), length(chunks) FROM sessions WHERE project = (SELECT n FROM project_ids WHERE id = 'p1')`).Scan(&typ, &n); err != nil {
		t.Fatal(err)
	}
	if typ != "blob" || n != 2*len(chunkref{}) {
		t.Errorf("chunk list of two chunks: %s of %d bytes, want blob of %d", typ, n, 2*len(chunkref{}))
	}
	// Point p1's session at p2's chunk, keeping p1's hash.
	if _, err := s.wdb.Exec(`UPDATE sessions SET chunks = substr(chunks, 1, 8) || substr((SELECT chunks FROM sessions WHERE project = (SELECT n FROM project_ids WHERE id = 'p2')), 9, 8)
WHERE project = (SELECT n FROM project_ids WHERE id = 'p1')`); err != nil {
		t.Fatal(err)
	}
	if spans, err := s.Spans(ctx, "p1", a[0].TraceID); err == nil {
		t.Errorf("Spans with a list pointing at another project's chunk: %d spans, no error", len(spans))
	}
	if _, err := s.Spans(ctx, "p2", b[0].TraceID); err != nil {
		t.Errorf("Spans of the other project: %v", err)
	}
}
