// Package store declares what the server needs from a storage backend. Each
// backend (internal/store/sqlite, later others) implements Store and passes
// the conformance suite in internal/store/storetest.
//
// Every method is scoped to one project: a record of another project is
// reported exactly like a record that does not exist (ErrNotFound).
package store

import (
	"context"
	"errors"
	"time"

	"github.com/agentops-go/agentops/internal/model"
)

// ErrNotFound is returned for a record that does not exist in the project asked.
var ErrNotFound = errors.New("not found")

// ErrExists is returned when creating a record whose unique name is taken.
var ErrExists = errors.New("already exists")

// Store is a complete backend.
type Store interface {
	SpanWriter
	SessionReader
	SpanLocator
	Projects
	Keys
	Prices
	Logs
	// Close flushes and releases the backend. No method may be called after.
	Close() error
}

// SpanWriter is the write path.
type SpanWriter interface {
	// WriteSpans stores spans of any number of projects and traces in one
	// transaction and merges their contribution into the sessions
	// (model.Summarize per chunk, model.Session.Merge semantics). It returns
	// nil only after everything is durably persisted; on error nothing of the
	// call is persisted.
	//
	// A chunk is the spans of one (project, trace) in one call. A chunk whose
	// spans are identical to one already stored for that trace (a client
	// retrying a request whose answer it lost) is skipped, so retries never
	// count twice.
	//
	// now is the server's clock, recorded as the sessions' LastSeen.
	WriteSpans(ctx context.Context, spans []model.Span, now time.Time) error
}

// Prepared is spans made ready for storage by a Preparer; opaque to callers.
type Prepared interface {
	// Len is the number of spans prepared.
	Len() int
}

// Preparer is an optional ability of a SpanWriter (callers type-assert it).
// Prepare does the CPU work of storing spans — grouping by trace, encoding,
// compressing, summarizing — in the caller's goroutine, concurrently with
// other Prepare calls, so that the single writer is left with the database
// work. WritePrepared stores any number of prepared batches in one
// transaction under WriteSpans' contract (durable before it returns, all or
// nothing), with one difference: chunks are per prepared batch, so a batch
// retried as a whole is recognized as a retry however it is grouped.
// Prepare keeps references to the strings and slices inside spans (not to
// the slice itself): the caller must not modify them afterwards.
type Preparer interface {
	Prepare(spans []model.Span, now time.Time) (Prepared, error)
	WritePrepared(ctx context.Context, batches []Prepared) error
}

// SessionReader is the read path.
type SessionReader interface {
	// Session returns one session's aggregate.
	Session(ctx context.Context, projectID string, id model.TraceID) (model.Session, error)
	// Spans returns every span of a session, ordered by start time then span id.
	Spans(ctx context.Context, projectID string, id model.TraceID) ([]model.Span, error)
	// Sessions lists a project's sessions, newest first by the time the
	// server first saw them (the order of their first stored spans; in
	// practice close to start order, since a session's first spans arrive
	// right after it starts). A later span that moves a session's start, or
	// changes its tags, does not move it in the list. Since and Until filter
	// on start along that order.
	Sessions(ctx context.Context, projectID string, q SessionQuery) (SessionPage, error)
}

// SpanLocator finds a span by its id alone, for the public API's
// /public/v1/spans/{id}, whose callers do not name the trace.
type SpanLocator interface {
	// SpanTrace returns the trace (session) of the project that holds a span
	// with this id, which Spans then reads. It is ErrNotFound when no trace
	// of the project holds one, whether or not another project's does. Span
	// ids are random 64-bit numbers, unique in practice; should two traces
	// of a project hold the same id, the one stored last wins. The lookup
	// may cost more than a session read (the SQLite backend scans 4 bytes a
	// stored span, newest first): it must add next to nothing to the write
	// path, which runs at tens of thousands of spans per second.
	SpanTrace(ctx context.Context, projectID string, id model.SpanID) (model.TraceID, error)
}

// SessionQuery filters and pages Sessions. Zero values mean "no filter".
type SessionQuery struct {
	Limit  int    // 1..1000; 0 means 50
	Cursor string // opaque, from SessionPage.Next
	Tag    string // sessions carrying this tag
	// EndState filters by the state shown (model.Session.State): "Success",
	// "Failure", "Indeterminate" (explicit, or silent past StaleBefore), or
	// "running" (no end state and not yet stale).
	EndState    string
	StaleBefore int64  // Unix nanos: a session without end state last seen before this is Indeterminate
	Since       int64  // sessions starting at or after (Unix nanos)
	Until       int64  // sessions starting before (Unix nanos)
	Text        string // substring of the name, or a prefix of the id (hex)
	Model       string // sessions with an LLM call to this model (model.Session.Models)
	HasErrors   bool   // sessions with at least one error

	// Sort orders the page by a column instead of the arrival order:
	// one of the Sort* constants; "" is the arrival order, newest first.
	// Ties are broken by the arrival order, in the same direction. Cursors
	// are valid only for the Sort and Ascending they were issued with.
	Sort      string
	Ascending bool
	// SortWindow, when positive, bounds what a Sort reads: only the
	// SortWindow sessions of the project that arrived last (the filters
	// then apply among them) are ordered; older ones are left out and
	// SessionPage.Windowed says so. Without an index per column a sort
	// reads every session it orders, so this keeps its cost flat as a
	// project grows. 0 orders every session. The window is fixed by the
	// first page: its cursors keep it, so paging neither skips nor repeats.
	SortWindow int
}

// The columns SessionQuery.Sort accepts.
const (
	SortStart     = "start"
	SortDuration  = "duration"
	SortCost      = "cost"
	SortTokens    = "tokens"
	SortLLMCalls  = "llm_calls"
	SortToolCalls = "tool_calls"
	SortErrors    = "errors"
	SortName      = "name"
)

// SortColumns lists the valid SessionQuery.Sort values but "".
var SortColumns = []string{SortStart, SortDuration, SortCost, SortTokens, SortLLMCalls, SortToolCalls, SortErrors, SortName}

// Overviewer is an optional ability of a SessionReader (callers
// type-assert it): a project's totals per UTC day, kept as sessions are
// written so that reading them never scans sessions.
type Overviewer interface {
	// Overview returns the project's figures for the UTC days overlapping
	// [q.Since, q.Until). Session figures are counted on the day their
	// session starts; model and error figures on the day of the span they
	// come from. A session without an end state silent since before
	// q.StaleBefore counts as Indeterminate, as SessionQuery.EndState says.
	Overview(ctx context.Context, projectID string, q OverviewQuery) (Overview, error)
}

// OverviewQuery selects the days of an Overview.
type OverviewQuery struct {
	Since, Until int64 // Unix nanos; rounded out to whole UTC days
	StaleBefore  int64
	TopErrors    int // most frequent error groups returned; 0 means 10
}

// DurationBuckets are the upper bounds of the session duration histogram
// (Overview's DayStates.Durations); the last bucket is unbounded. A session
// with no ended span yet falls in the first.
var DurationBuckets = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour}

// NumDurationBuckets is len(DurationBuckets)+1.
const NumDurationBuckets = 7

// Overview is a project's figures over whole UTC days.
type Overview struct {
	Days    []DayState   // by day then state; days without sessions are absent
	Models  []ModelDay   // by day then model
	Errors  []ErrorGroup // most frequent first
	Reasons []ReasonGroup
}

// DayState is what the sessions of one end state that started on one day add up to.
type DayState struct {
	Day       int64  // Unix nanos of the day's UTC midnight
	State     string // Success, Failure, Indeterminate, or "" (running)
	Sessions  int64
	Counts    model.Counts
	Usage     model.Usage
	Cost      float64
	Unpriced  int64
	Durations [NumDurationBuckets]int64 // sessions per duration bucket (DurationBuckets)
}

// ModelDay is what the LLM calls to one model on one day add up to.
type ModelDay struct {
	Day      int64
	Model    string // "" for calls naming no model
	Calls    int64
	Usage    model.Usage
	Cost     float64
	Unpriced int64
}

// ErrorGroup counts the error spans of one type and message over the days.
type ErrorGroup struct {
	Type    string
	Message string // cut to MaxErrorMessage bytes
	Count   int64
}

// MaxErrorMessage bounds ErrorGroup.Message.
const MaxErrorMessage = 200

// ReasonGroup counts the sessions ending in one state for one reason
// (Overview: most first). Sessions read Indeterminate for their silence
// count with no reason.
type ReasonGroup struct {
	State    string
	Reason   string
	Sessions int64
}

// SessionPage is one page of Sessions.
type SessionPage struct {
	Sessions []model.Session
	Next     string // cursor of the next page; "" on the last
	// Windowed is true when SessionQuery.SortWindow left older sessions of
	// the project out of the order.
	Windowed bool
}

// Project owns data.
type Project struct {
	ID        string    `json:"id"`   // UUID
	Name      string    `json:"name"` // unique
	CreatedAt time.Time `json:"created_at"`
}

// Projects manages projects.
type Projects interface {
	// CreateProject creates a project; ErrExists if the name is taken.
	CreateProject(ctx context.Context, name string) (Project, error)
	// ProjectByName returns ErrNotFound for an unknown name.
	ProjectByName(ctx context.Context, name string) (Project, error)
	// Project returns ErrNotFound for an unknown id.
	Project(ctx context.Context, id string) (Project, error)
	ListProjects(ctx context.Context) ([]Project, error)
}

// Key is an API key as stored: never the key itself, only its hash and a
// short prefix that lets a human tell keys apart.
type Key struct {
	Hash      []byte     `json:"-"`
	Prefix    string     `json:"prefix"` // first 8 characters of the key
	ProjectID string     `json:"project_id"`
	Project   string     `json:"project"` // project name, filled by ListKeys
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Keys manages API keys. The caller hashes keys (internal/auth); a store
// never sees a key in clear.
type Keys interface {
	AddKey(ctx context.Context, k Key) error
	// KeyByHash returns ErrNotFound for an unknown hash. A revoked key is
	// returned with RevokedAt set; refusing it is the caller's job.
	KeyByHash(ctx context.Context, hash []byte) (Key, error)
	ListKeys(ctx context.Context) ([]Key, error)
	// RevokeKey marks a key revoked; ErrNotFound for an unknown hash.
	RevokeKey(ctx context.Context, hash []byte, at time.Time) error
}

// Price is a per-project price override for one model, in USD per token.
type Price struct {
	Model      string  `json:"model"`
	Input      float64 `json:"input"`
	Output     float64 `json:"output"`
	CacheRead  float64 `json:"cache_read"`
	CacheWrite float64 `json:"cache_write"`
	Reasoning  float64 `json:"reasoning"`
}

// Prices stores per-project price overrides.
type Prices interface {
	// SetPrice creates or replaces a project's override for p.Model.
	SetPrice(ctx context.Context, projectID string, p Price) error
	// DeletePrice removes an override; ErrNotFound if there was none.
	DeletePrice(ctx context.Context, projectID, model string) error
	// ProjectPrices returns a project's overrides, by model name.
	ProjectPrices(ctx context.Context, projectID string) ([]Price, error)
}

// Log is one upload of a session's terminal output.
type Log struct {
	At   time.Time `json:"uploaded_at"` // server clock at the upload
	Text string    `json:"text"`
}

// Logs stores the terminal output clients upload for a session (the
// official Python SDK's POST /v4/logs/upload/ sends what the program printed
// when its trace ends). A log may arrive before any span of its trace: it is
// kept all the same, keyed by (project, trace).
type Logs interface {
	// AddLog stores one upload for a trace of a project, after the ones
	// before it. It returns nil only once the upload is durable.
	AddLog(ctx context.Context, projectID string, id model.TraceID, l Log) error
	// Logs returns a trace's uploads in the order they were added, none (and
	// no error) when there are none.
	Logs(ctx context.Context, projectID string, id model.TraceID) ([]Log, error)
}

// Login is a dashboard login as stored: never its token, only the token's
// SHA-256, so that reading the database gives no way into the dashboard.
type Login struct {
	TokenHash []byte
	Expires   time.Time
	// Data is the dashboard's own record of the login (its projects, its
	// CSRF token...), opaque to the store.
	Data []byte
}

// Logins keeps the dashboard's logins, so that a server restart does not
// log its users out. Optional (callers type-assert it).
type Logins interface {
	// PutLogin creates or replaces the login of l.TokenHash, and drops the
	// logins expired at now.
	PutLogin(ctx context.Context, l Login, now time.Time) error
	// Login returns ErrNotFound for an unknown token hash or a login
	// expired at now.
	Login(ctx context.Context, tokenHash []byte, now time.Time) (Login, error)
	// DeleteLogin forgets a login; no error when there was none.
	DeleteLogin(ctx context.Context, tokenHash []byte) error
}

// Pruner deletes old sessions: the data retention of `serve --retention`
// and `agentops prune`. Optional (callers type-assert it).
type Pruner interface {
	// PruneSessions deletes up to limit sessions (of every project) last
	// seen before `before`, with their spans, tags and uploaded logs, and
	// returns how many it deleted; call it again until it returns fewer
	// than limit. The overview's per-day figures are kept: they describe
	// days, not sessions.
	PruneSessions(ctx context.Context, before time.Time, limit int) (int, error)
}
