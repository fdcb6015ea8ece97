package api

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentops-go/agentops/internal/store"
	"github.com/agentops-go/agentops/semconv"
)

// ErrInvalidQuery wraps every error of a list query the client got wrong;
// the message after it says which parameter and what is accepted.
var ErrInvalidQuery = errors.New("invalid query")

// Bounds of a list page.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// EndStateRunning is the end_state filter of sessions still running.
const EndStateRunning = "running"

// List returns one page of a project's sessions, the latest to arrive first, as
// shown at time now (see Stats for timeout). q.EndState is parsed as by
// ParseEndState; q.Limit 0 means DefaultLimit; q.Cursor is a NextCursor of
// an earlier page; q.StaleBefore is set from now and timeout. A query the
// client got wrong is an error wrapping ErrInvalidQuery.
func List(ctx context.Context, r store.SessionReader, projectID string, q store.SessionQuery, now time.Time, timeout time.Duration) (SessionList, error) {
	timeout = orDefault(timeout)
	switch {
	case q.Limit == 0:
		q.Limit = DefaultLimit
	case q.Limit < 1 || q.Limit > MaxLimit:
		return SessionList{}, fmt.Errorf("%w: limit must be an integer from 1 to %d", ErrInvalidQuery, MaxLimit)
	}
	if q.EndState != "" {
		state, err := ParseEndState(q.EndState)
		if err != nil {
			return SessionList{}, err
		}
		q.EndState = state
	}
	order := sortOrder(q)
	if q.Cursor != "" {
		c, err := decodeCursor(q.Cursor)
		if err != nil {
			return SessionList{}, err
		}
		issued, storeCursor, _ := strings.Cut(c, "\x00")
		if issued != order {
			return SessionList{}, fmt.Errorf("%w: cursor was issued for another sort or order", ErrInvalidQuery)
		}
		q.Cursor = storeCursor
	}
	q.StaleBefore = now.UnixNano() - int64(timeout)

	page, err := r.Sessions(ctx, projectID, q)
	if err != nil {
		return SessionList{}, fmt.Errorf("api: list sessions: %w", err)
	}
	list := SessionList{Sessions: make([]SessionSummary, 0, len(page.Sessions)), Windowed: page.Windowed}
	for i := range page.Sessions {
		s := &page.Sessions[i]
		list.Sessions = append(list.Sessions, SessionSummary{
			ID:           s.ID.String(),
			Name:         s.Name,
			Tags:         tagsOf(s.Tags),
			SessionState: stateOf(s, now, timeout),
			Events:       eventsOf(s.Counts),
			Tokens:       tokensOf(s.Usage),
			Cost:         costOf(s),
		})
	}
	if page.Next != "" {
		next := encodeCursor(order + "\x00" + page.Next)
		list.NextCursor = &next
	}
	return list, nil
}

// ParseQuery reads the parameters of GET /v2/sessions: limit, cursor, tag,
// end_state, since, until, q, model, has_errors (true or false), sort (one
// of store.SortColumns) and order (asc or desc, default desc). Unknown
// parameters are ignored. Errors wrap ErrInvalidQuery.
func ParseQuery(v url.Values) (store.SessionQuery, error) {
	q := store.SessionQuery{
		Cursor: v.Get("cursor"),
		Tag:    v.Get("tag"),
		Text:   v.Get("q"),
		Model:  v.Get("model"),
		Sort:   v.Get("sort"),
	}
	if q.Sort != "" && !slices.Contains(store.SortColumns, q.Sort) {
		return q, fmt.Errorf("%w: sort must be one of %s", ErrInvalidQuery, strings.Join(store.SortColumns, ", "))
	}
	switch v.Get("order") {
	case "", "desc":
	case "asc":
		q.Ascending = true
	default:
		return q, fmt.Errorf("%w: order must be asc or desc", ErrInvalidQuery)
	}
	if s := v.Get("has_errors"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return q, fmt.Errorf("%w: has_errors must be true or false", ErrInvalidQuery)
		}
		q.HasErrors = b
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			return q, fmt.Errorf("%w: limit must be an integer from 1 to %d", ErrInvalidQuery, MaxLimit)
		}
		q.Limit = n
	}
	if s := v.Get("end_state"); s != "" {
		state, err := ParseEndState(s)
		if err != nil {
			return q, err
		}
		q.EndState = state
	}
	var err error
	if q.Since, err = parseTimeParam("since", v.Get("since")); err != nil {
		return q, err
	}
	if q.Until, err = parseTimeParam("until", v.Get("until")); err != nil {
		return q, err
	}
	return q, nil
}

// ParseEndState reads an end state filter, case-insensitively: Success,
// Failure (or Fail), Indeterminate, or running. It returns the canonical
// spelling.
func ParseEndState(s string) (string, error) {
	switch strings.ToLower(s) {
	case "success":
		return semconv.EndStateSuccess, nil
	case "failure", "fail":
		return semconv.EndStateFailure, nil
	case "indeterminate":
		return semconv.EndStateIndeterminate, nil
	case EndStateRunning:
		return EndStateRunning, nil
	}
	return "", fmt.Errorf("%w: end_state must be one of Success, Failure, Indeterminate, running", ErrInvalidQuery)
}

// ParseTime reads a time given as RFC 3339 ("2025-01-02T15:04:05Z",
// fractional seconds and offsets allowed) or as Unix seconds ("1735830245"),
// and returns it in Unix nanoseconds. It must lie after the Unix epoch and
// before the year 2262, the range of Unix nanoseconds in an int64.
func ParseTime(s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 || n > math.MaxInt64/int64(time.Second) {
			return 0, errors.New("out of range")
		}
		return n * int64(time.Second), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, err
	}
	if !t.After(time.Unix(0, 0)) || t.After(time.Unix(0, math.MaxInt64)) {
		return 0, errors.New("out of range")
	}
	return t.UnixNano(), nil
}

func parseTimeParam(name, s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	ns, err := ParseTime(s)
	if err != nil {
		return 0, fmt.Errorf("%w: %s must be an RFC 3339 time or Unix seconds, after 1970 and before 2262", ErrInvalidQuery, name)
	}
	return ns, nil
}

// sortOrder names the order a cursor belongs to: a cursor is valid only for
// the sort and direction it was issued for.
func sortOrder(q store.SessionQuery) string {
	if q.Ascending {
		return q.Sort + " asc"
	}
	return q.Sort
}

// A cursor given to clients is the order it belongs to and the store's
// cursor, behind a CRC-32 of them, in
// base64url: a cursor mangled in transit or made up is refused with a 400
// here instead of reaching the store, whose cursors are opaque to this
// package.
func encodeCursor(storeCursor string) string {
	b := make([]byte, 4, 4+len(storeCursor))
	binary.BigEndian.PutUint32(b, crc32.ChecksumIEEE([]byte(storeCursor)))
	b = append(b, storeCursor...)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) <= 4 || binary.BigEndian.Uint32(b) != crc32.ChecksumIEEE(b[4:]) {
		return "", fmt.Errorf("%w: cursor is not one this server issued", ErrInvalidQuery)
	}
	return string(b[4:]), nil
}
