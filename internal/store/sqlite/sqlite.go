// Package sqlite is the embedded default store: everything in one SQLite
// file, through the pure-Go driver modernc.org/sqlite (no C compiler needed).
//
// Spans are stored in chunks, one row per (project, trace) per WriteSpans
// call holding all of that trace's spans of the call in a compact binary
// encoding (codec.go). Per chunk the write path appends the chunk, reads the
// session row, merges the chunk into it in Go (model.Session.Merge) and
// writes the row back: the row's leaf is the one page keyed by a random
// trace id that a new session dirties.
//
// The file is in WAL mode with synchronous=FULL, so a committed WriteSpans
// survives a crash, and readers never block the one writer. Other processes
// (the CLI) may open the same file while a server runs and read, or manage
// projects, keys and prices; only one process may write spans to a file (two
// servers on one file are not supported).
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"

	_ "modernc.org/sqlite" // the driver
)

// driverName is the modernc driver's registration.
const driverName = "sqlite"

// Options tunes a Store. The zero value is a good default.
type Options struct {
	// CacheSizeKiB is the page cache of the writer connection (default
	// 16 MiB); each reader connection gets a quarter of it. The writer
	// touches the right edge of span_chunks and random session leaves, which
	// no affordable cache holds: the OS page cache serves those reads, and
	// the server stays well under 200 MB under load.
	CacheSizeKiB int
	// MaxReaders caps the read connections (default 4).
	MaxReaders int
	// BusyTimeoutMillis is how long a statement waits for another
	// connection's lock, in this or another process (default 5000).
	BusyTimeoutMillis int
}

func (o *Options) defaults() {
	if o.CacheSizeKiB <= 0 {
		o.CacheSizeKiB = 16 << 10
	}
	if o.MaxReaders <= 0 {
		o.MaxReaders = 4
	}
	if o.BusyTimeoutMillis <= 0 {
		o.BusyTimeoutMillis = 5000
	}
}

// pageSize is set when a file is created (a variable for the benchmarks).
// Every page a commit dirties is written whole to the log, so smaller pages
// write fewer bytes per session row touched; larger ones keep chunk blobs
// out of overflow chains. Measured in docs/PERFORMANCE.md.
var pageSize = 4096

// walAutocheckpoint is the log size, in pages, at which a commit copies the
// log into the file: large, so that a page dirtied by several commits is
// copied once. journalSizeLimit truncates the log file back after a
// checkpoint (a new server's own checkpoints restart the log; only a
// reader holding an old snapshot can make it grow past this).
const (
	walAutocheckpoint = 16000
	journalSizeLimit  = 2 * walAutocheckpoint * 4096
)

// Store is a store.Store in one SQLite file.
type Store struct {
	path string
	wdb  *sql.DB // the single writer connection
	rdb  *sql.DB // a pool of read-only connections

	wmu sync.Mutex // serializes WritePrepared, which reuses w
	w   writer

	preparers sync.Pool // of *preparer, for concurrent Prepare calls

	stmts struct { // the write path's, prepared on wdb
		projectN, addProject, insertChunk, readSession    *sql.Stmt
		insertSession, updateSession, updateStart, addTag *sql.Stmt
		deleteTag, insertFilter                           *sql.Stmt
	}
	rollStmts rollupStmts // the rollups' upserts, prepared on wdb
}

// writeStmts pairs each statement of the write path with its SQL.
func (s *Store) writeStmts() []struct {
	stmt **sql.Stmt
	sql  string
} {
	st := &s.stmts
	return []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&st.projectN, projectNSQL}, {&st.addProject, addProjectSQL},
		{&st.insertChunk, insertChunkSQL}, {&st.readSession, readSessionSQL},
		{&st.insertSession, insertSessionSQL}, {&st.updateSession, updateSessionSQL},
		{&st.updateStart, updateStartSQL}, {&st.addTag, addTagSQL}, {&st.deleteTag, deleteTagSQL},
		{&st.insertFilter, insertFilterSQL},
		{&s.rollStmts.day, upsertDaySQL}, {&s.rollStmts.reason, upsertReasonSQL},
		{&s.rollStmts.model, upsertModelSQL}, {&s.rollStmts.err, upsertErrorSQL},
	}
}

// Open opens or creates the database file at path and brings its schema up
// to date.
func Open(path string, opts Options) (*Store, error) {
	opts.defaults()
	if path == "" {
		return nil, errors.New("sqlite: empty database path")
	}
	ctx := context.Background()
	wdb, err := sql.Open(driverName, dsn(path, opts.BusyTimeoutMillis, opts.CacheSizeKiB, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)
	s := &Store{path: path, wdb: wdb}
	s.preparers.New = func() any { return new(preparer) }
	if err := s.init(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.rdb, err = sql.Open(driverName, dsn(path, opts.BusyTimeoutMillis, opts.CacheSizeKiB/4, true))
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s.rdb.SetMaxOpenConns(opts.MaxReaders)
	s.rdb.SetMaxIdleConns(opts.MaxReaders)
	return s, nil
}

// dsn is the connection string of path; its pragmas are applied to every
// connection the pool opens.
func dsn(path string, busyMillis, cacheKiB int, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyMillis))
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", fmt.Sprintf("cache_size(%d)", -cacheKiB))
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate") // a writer takes the lock at BEGIN: no deadlock upgrading a read
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walAutocheckpoint))
		q.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", journalSizeLimit))
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func (s *Store) init(ctx context.Context) error {
	if err := s.setUp(ctx); err != nil {
		return err
	}
	for _, p := range s.writeStmts() {
		var err error
		if *p.stmt, err = s.wdb.PrepareContext(ctx, p.sql); err != nil {
			return fmt.Errorf("prepare %q: %w", p.sql, err)
		}
	}
	return nil
}

// setUp sets the file's persistent pragmas and migrates its schema.
func (s *Store) setUp(ctx context.Context) error {
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// page_size only takes effect on a new file, before journal_mode=WAL
	// writes its first page; both persist in the file.
	for _, p := range []string{
		fmt.Sprintf("PRAGMA page_size = %d", pageSize),
		"PRAGMA journal_mode = WAL",
	} {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal_mode is %q, want wal", mode)
	}
	return migrate(ctx, conn)
}

// Close closes the database. The last connection to close checkpoints the
// write-ahead log into the file.
func (s *Store) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	var errs []error
	if s.rdb != nil {
		errs = append(errs, s.rdb.Close())
	}
	for _, p := range s.writeStmts() {
		if *p.stmt != nil {
			errs = append(errs, (*p.stmt).Close())
		}
	}
	return errors.Join(append(errs, s.wdb.Close())...)
}

// Stats describes the database file, for metrics.
type Stats struct {
	FileBytes int64 // the database file
	WALBytes  int64 // its write-ahead log
	FreeBytes int64 // pages of the file that are free for reuse
}

// Stats measures the database.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	var pages, free, size int64
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return st, fmt.Errorf("sqlite: stats: %w", err)
	}
	defer conn.Close()
	for _, q := range []struct {
		sql string
		dst *int64
	}{{"PRAGMA page_count", &pages}, {"PRAGMA freelist_count", &free}, {"PRAGMA page_size", &size}} {
		if err := conn.QueryRowContext(ctx, q.sql).Scan(q.dst); err != nil {
			return st, fmt.Errorf("sqlite: stats: %w", err)
		}
	}
	st.FileBytes, st.FreeBytes = pages*size, free*size
	if fi, err := os.Stat(s.path + "-wal"); err == nil {
		st.WALBytes = fi.Size()
	}
	return st, nil
}
