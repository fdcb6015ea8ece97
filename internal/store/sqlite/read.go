package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cespare/xxhash/v2"

	"github.com/agentops-go/agentops/internal/model"
	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// sessionColumns are the columns scanSession reads, in its order.
const sessionColumns = `s.trace_id, s.name, s.name_rank, s.start, s.end_time, s.last_seen,
	s.root_ended, s.end_state, s.end_state_explicit, s.end_state_reason, s.tags, s.host,
	s.spans, s.llm_calls, s.tool_calls, s.actions, s.agents, s.errors,
	s.input_tokens, s.output_tokens, s.cache_read_tokens, s.cache_write_tokens, s.reasoning_tokens, s.total_tokens,
	s.cost, s.unpriced, s.models`

// Session implements store.SessionReader.
func (s *Store) Session(ctx context.Context, projectID string, id model.TraceID) (model.Session, error) {
	row := s.rdb.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions s WHERE s.project = `+projectN+` AND s.trace_id = ?`, projectID, id[:])
	var sess model.Session
	err := scanSession(row, projectID, &sess)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, store.ErrNotFound
	}
	if err != nil {
		return sess, fmt.Errorf("sqlite: session %s: %w", id, err)
	}
	return sess, nil
}

// projectN is the SQL expression of the number of the project id bound
// to its parameter (NULL, which matches nothing, for an unknown id).
const projectN = `(SELECT n FROM project_ids WHERE id = ?)`

type scanner interface{ Scan(dst ...any) error }

// scanSession reads the sessionColumns of a session of the project into s,
// then the columns that follow into extra.
func scanSession(r scanner, projectID string, s *model.Session, extra ...any) error {
	*s = model.Session{ProjectID: projectID}
	var (
		trace               []byte
		nameRank            int64
		rootEnded, explicit bool
		tags                sql.NullString
		host                []byte
		models              string
	)
	dst := []any{&trace, &s.Name, &nameRank, &s.Start, &s.End, &s.LastSeen,
		&rootEnded, &s.EndState, &explicit, &s.EndStateReason, &tags, &host,
		&s.Counts.Spans, &s.Counts.LLMCalls, &s.Counts.ToolCalls, &s.Counts.Actions, &s.Counts.Agents, &s.Counts.Errors,
		&s.Usage.Input, &s.Usage.Output, &s.Usage.CacheRead, &s.Usage.CacheWrite, &s.Usage.Reasoning, &s.Usage.Total,
		&s.Cost, &s.Unpriced, &models}
	if err := r.Scan(append(dst, extra...)...); err != nil {
		return err
	}
	if len(trace) != len(s.ID) {
		return fmt.Errorf("stored trace id has %d bytes", len(trace))
	}
	copy(s.ID[:], trace)
	s.NameRank, s.RootEnded, s.EndStateExplicit = int(nameRank), rootEnded, explicit
	if tags.Valid {
		if err := json.Unmarshal([]byte(tags.String), &s.Tags); err != nil {
			return fmt.Errorf("stored tags: %w", err)
		}
		if s.Tags == nil {
			s.Tags = []string{}
		}
	}
	if host != nil {
		s.Host = host
	}
	if models != "" {
		if err := json.Unmarshal([]byte(models), &s.Models); err != nil {
			return fmt.Errorf("stored models: %w", err)
		}
	}
	return nil
}

// spansSQL reads a session's chunks from its list (a JSON array of ids, in
// the list's order).
const spansSQL = `SELECT c.id, c.data FROM json_each(?) j JOIN span_chunks c ON c.id = j.value ORDER BY j.key`

// Spans implements store.SessionReader. It reads the session's chunk list,
// then the chunks by id; each chunk's body must hash as the list says, so a
// damaged list can never hand out another trace's (or project's) spans.
func (s *Store) Spans(ctx context.Context, projectID string, id model.TraceID) ([]model.Span, error) {
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("sqlite: spans of %s: %w", id, err)
	}
	defer conn.Close()
	var list []byte
	err = conn.QueryRowContext(ctx, `SELECT chunks FROM sessions WHERE project = `+projectN+` AND trace_id = ?`, projectID, id[:]).Scan(&list)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: spans of %s: %w", id, err)
	}
	refs, err := parseChunkrefs(list)
	if err != nil {
		return nil, fmt.Errorf("sqlite: spans of %s: %w", id, err)
	}
	if len(refs) == 0 {
		return nil, store.ErrNotFound
	}
	ids := make([]byte, 0, 1+len(refs)*12)
	for i := range refs {
		ids = append(ids, ',')
		ids = strconv.AppendInt(ids, refs[i].id(), 10)
	}
	ids[0] = '['
	ids = append(ids, ']')
	rows, err := conn.QueryContext(ctx, spansSQL, string(ids))
	if err != nil {
		return nil, fmt.Errorf("sqlite: spans of %s: %w", id, err)
	}
	defer rows.Close()
	var spans []model.Span
	n := 0
	for ; rows.Next(); n++ {
		var (
			chunkID int64
			blob    []byte
		)
		if err := rows.Scan(&chunkID, &blob); err != nil {
			return nil, fmt.Errorf("sqlite: spans of %s: %w", id, err)
		}
		if n >= len(refs) || chunkID != refs[n].id() {
			return nil, fmt.Errorf("sqlite: spans of %s: %w: chunk %d read out of its list", id, errCorrupt, chunkID)
		}
		body, err := unpack(blob)
		if err == nil && xxhash.Sum64(body) != refs[n].hash() {
			err = fmt.Errorf("%w: chunk %d does not match its hash", errCorrupt, chunkID)
		}
		if err == nil {
			spans, err = decodeBody(spans, projectID, id, body)
		}
		if err != nil {
			return nil, fmt.Errorf("sqlite: spans of %s: %w", id, err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: spans of %s: %w", id, err)
	}
	if n != len(refs) {
		return nil, fmt.Errorf("sqlite: spans of %s: %w: %d of %d chunks found", id, errCorrupt, n, len(refs))
	}
	if n > 1 { // each chunk is sorted already; stable: versions of a span in the order received
		slices.SortStableFunc(spans, func(a, b model.Span) int {
			if c := cmp.Compare(a.Start, b.Start); c != 0 {
				return c
			}
			return bytes.Compare(a.SpanID[:], b.SpanID[:])
		})
	}
	return spans, nil
}

const (
	defaultLimit = 50
	maxLimit     = 1000
)

// Sessions implements store.SessionReader. Pages are keyset-paginated on
// the sessions rowid (the order of first arrival) descending, through the
// index sessions_project, or through session_tags for a tag filter (both
// walked backwards). since and until filter start along that scan: no index
// holds start, so a narrow window far in the past reads every session of the
// project (or of the tag) that arrived after it, page after page.
func (s *Store) Sessions(ctx context.Context, projectID string, q store.SessionQuery) (store.SessionPage, error) {
	var page store.SessionPage
	limit := q.Limit
	switch {
	case limit <= 0:
		limit = defaultLimit
	case limit > maxLimit:
		limit = maxLimit
	}
	var (
		sb   strings.Builder
		args []any
	)
	// A sorted page's cursor, and the sort window: the rowid at and below
	// which sessions are left out, found by the first page (walking back
	// the covering index sessions_project) and kept by its cursors.
	var (
		sc    sortCursor
		floor int64
	)
	if q.Sort != "" && q.Cursor != "" {
		var err error
		if sc, err = decodeSortCursor(q.Cursor, q.Sort); err != nil {
			return page, err
		}
		floor = sc.Floor
	} else if q.Sort != "" && q.SortWindow > 0 {
		err := s.rdb.QueryRowContext(ctx, `SELECT id FROM sessions WHERE project = `+projectN+` ORDER BY id DESC LIMIT 1 OFFSET ?`,
			projectID, q.SortWindow).Scan(&floor)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return page, fmt.Errorf("sqlite: sessions: sort window: %w", err)
		}
	}
	key := "s.id" // the column whose order is the page's
	// A sort reads many rows for a page: it orders their ids and sort keys
	// only, and the page's rows are read after (the whole row of each
	// session read is several times the work).
	selected := sessionColumns + `, s.id`
	if q.Sort != "" {
		selected = `s.id`
	}
	if q.Tag != "" {
		key = "t.session"
		sb.WriteString(`SELECT ` + selected + ` FROM session_tags t
JOIN sessions s ON s.id = t.session
WHERE t.project = ` + projectN + ` AND t.tag = ?`)
		args = append(args, projectID, q.Tag)
	} else {
		from := `sessions s`
		if q.EndState == "running" && q.Sort == "" {
			// The few sessions without an end state, in listing order,
			// instead of a scan of the project.
			from = `sessions s INDEXED BY sessions_open`
		}
		if floor > 0 {
			// The window's rowid range read in table order (the rows are
			// read anyway), not through sessions_project row by row.
			from = `sessions s NOT INDEXED`
		}
		sb.WriteString(`SELECT ` + selected + ` FROM ` + from + ` WHERE s.project = ` + projectN)
		args = append(args, projectID)
	}
	sortKey, ok := sortKeys[q.Sort]
	if !ok {
		return page, fmt.Errorf("sqlite: sessions: %w: sort %q", ErrBadCursor, q.Sort)
	}
	dir, cmpOp := "DESC", "<"
	if q.Ascending && q.Sort != "" {
		dir, cmpOp = "ASC", ">"
	}
	if q.Cursor != "" {
		if q.Sort == "" {
			id, err := decodeCursor(q.Cursor)
			if err != nil {
				return page, err
			}
			fmt.Fprintf(&sb, ` AND %s < ?`, key)
			args = append(args, id)
		} else {
			fmt.Fprintf(&sb, ` AND (%[1]s %[2]s ? OR (%[1]s = ? AND s.id %[2]s ?))`, sortKey, cmpOp)
			args = append(args, sc.Key, sc.Key, sc.ID)
		}
	}
	if floor > 0 {
		fmt.Fprintf(&sb, ` AND %s > ?`, key)
		args = append(args, floor)
		page.Windowed = true
	}
	if q.Since != 0 {
		sb.WriteString(` AND s.start >= ?`)
		args = append(args, q.Since)
	}
	if q.Until != 0 {
		sb.WriteString(` AND s.start < ?`)
		args = append(args, q.Until)
	}
	switch q.EndState {
	case "":
	case semconv.EndStateIndeterminate:
		sb.WriteString(` AND (s.end_state = ? OR (s.end_state = '' AND (s.root_ended OR s.last_seen < ?)))`)
		args = append(args, semconv.EndStateIndeterminate, q.StaleBefore)
	case "running":
		sb.WriteString(` AND s.end_state = '' AND NOT s.root_ended AND s.last_seen >= ?`)
		args = append(args, q.StaleBefore)
	default:
		sb.WriteString(` AND s.end_state = ?`)
		args = append(args, q.EndState)
	}
	if q.HasErrors {
		sb.WriteString(` AND s.errors > 0`)
	}
	if q.Model != "" {
		m, _ := json.Marshal(q.Model) // as it appears, quoted, in the models array
		sb.WriteString(` AND instr(s.models, ?) > 0`)
		args = append(args, string(m))
	}
	if q.Text != "" {
		sb.WriteString(` AND (s.name LIKE ? ESCAPE '\'`)
		args = append(args, "%"+escapeLike(q.Text)+"%")
		if isHex(q.Text) && len(q.Text) <= 2*len(model.TraceID{}) {
			sb.WriteString(` OR hex(s.trace_id) LIKE ?`)
			args = append(args, strings.ToUpper(q.Text)+"%")
		}
		sb.WriteString(`)`)
	}
	query := ""
	if q.Sort == "" {
		fmt.Fprintf(&sb, ` ORDER BY %s DESC LIMIT ?`, key)
		query = sb.String()
	} else {
		fmt.Fprintf(&sb, ` ORDER BY %[1]s %[2]s, s.id %[2]s LIMIT ?`, sortKey, dir)
		query = fmt.Sprintf(`SELECT %[1]s, s.id FROM sessions s WHERE s.id IN (%[2]s) ORDER BY %[3]s %[4]s, s.id %[4]s`,
			sessionColumns, sb.String(), sortKey, dir)
	}
	args = append(args, limit+1)

	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return page, fmt.Errorf("sqlite: sessions: %w", err)
	}
	defer rows.Close()
	var (
		lastID  int64
		lastKey any
	)
	for rows.Next() {
		var sess model.Session
		var id int64
		if err := scanSession(rows, projectID, &sess, &id); err != nil {
			return page, fmt.Errorf("sqlite: sessions: %w", err)
		}
		if len(page.Sessions) < limit {
			lastID, lastKey = id, sortValue(&sess, q.Sort)
		}
		page.Sessions = append(page.Sessions, sess)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("sqlite: sessions: %w", err)
	}
	if len(page.Sessions) > limit {
		page.Sessions = page.Sessions[:limit]
		if q.Sort == "" {
			page.Next = encodeCursor(lastID)
		} else {
			page.Next = encodeSortCursor(q.Sort, lastKey, lastID, floor)
		}
	}
	return page, nil
}

// ErrBadCursor is returned by Sessions for a cursor it did not issue.
var ErrBadCursor = errors.New("invalid cursor")

// A cursor is the sessions rowid of the last session of a page.
func encodeCursor(id int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func decodeCursor(c string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) != 8 {
		return 0, fmt.Errorf("sqlite: sessions: %w %q", ErrBadCursor, c)
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// sortKeys are the SQL expressions of the store.SessionQuery.Sort columns.
// None is indexed: sorting by one reads every session the filters let
// through (the arrival order, "", is the indexed one), or every one in the
// sort window (SessionQuery.SortWindow), found through sessions_project.
var sortKeys = map[string]string{
	"":                  "",
	store.SortStart:     "s.start",
	store.SortDuration:  "max(s.end_time - s.start, 0)",
	store.SortCost:      "s.cost",
	store.SortTokens:    "s.total_tokens",
	store.SortLLMCalls:  "s.llm_calls",
	store.SortToolCalls: "s.tool_calls",
	store.SortErrors:    "s.errors",
	store.SortName:      "s.name",
}

// sortValue is a session's value of a sort column, as sortKeys computes it.
func sortValue(s *model.Session, sort string) any {
	switch sort {
	case store.SortStart:
		return s.Start
	case store.SortDuration:
		return max(s.End-s.Start, 0)
	case store.SortCost:
		return s.Cost
	case store.SortTokens:
		return s.Usage.Total
	case store.SortLLMCalls:
		return s.Counts.LLMCalls
	case store.SortToolCalls:
		return s.Counts.ToolCalls
	case store.SortErrors:
		return s.Counts.Errors
	case store.SortName:
		return s.Name
	}
	return nil
}

// A sorted listing's cursor is the sort column, its value and the rowid of
// the last session of a page, and the sort window's floor (0: none), as
// JSON in base64url.
type sortCursor struct {
	Sort  string          `json:"s"`
	Raw   json.RawMessage `json:"k"`
	ID    int64           `json:"i"`
	Floor int64           `json:"f,omitempty"`
	Key   any             `json:"-"`
}

func encodeSortCursor(sort string, key any, id, floor int64) string {
	k, _ := json.Marshal(key)
	b, _ := json.Marshal(sortCursor{Sort: sort, Raw: k, ID: id, Floor: floor})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSortCursor(c, sort string) (sortCursor, error) {
	var sc sortCursor
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		err = json.Unmarshal(b, &sc)
	}
	if err == nil && sc.Sort != sort {
		err = errors.New("issued for another sort")
	}
	if err == nil {
		switch sort {
		case store.SortName:
			var s string
			err, sc.Key = json.Unmarshal(sc.Raw, &s), s
		case store.SortCost:
			var f float64
			err, sc.Key = json.Unmarshal(sc.Raw, &f), f
		default:
			var n int64
			err, sc.Key = json.Unmarshal(sc.Raw, &n), n
		}
	}
	if err != nil {
		return sc, fmt.Errorf("sqlite: sessions: %w %q", ErrBadCursor, c)
	}
	return sc, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
