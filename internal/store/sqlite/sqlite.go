// Package sqlite is the embedded default store: everything in one SQLite
// file, through the pure-Go driver modernc.org/sqlite (no C compiler needed).
//
// Spans are stored in chunks, one row per (project, trace) per WriteSpans
// call holding all of that trace's spans of the call in a compact binary
// encoding (codec.go): the write path costs two statements per chunk (append
// the chunk, upsert the session, which lists its chunks) instead of index
// maintenance per span.
//
// The file is in WAL mode with synchronous=FULL, so a committed WriteSpans
// survives a crash, and readers never block the one writer. Other processes
// (the CLI) may open the same file while a server runs.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sync"

	msqlite "modernc.org/sqlite"
)

// driverName is this package's own registration of the modernc driver,
// which carries the SQL functions of the write path (hasChunkFunc) on its
// connections alone.
const driverName = "agentops-sqlite"

func init() {
	d := new(msqlite.Driver)
	d.MustRegisterDeterministicScalarFunction(hasChunkFunc, 2, hasChunk)
	sql.Register(driverName, d)
}

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
var pageSize = 16384

// Store is a store.Store in one SQLite file.
type Store struct {
	path string
	wdb  *sql.DB // the single writer connection
	rdb  *sql.DB // a pool of read-only connections

	wmu sync.Mutex // serializes WriteSpans, which reuses w
	w   writer

	insertChunk   *sql.Stmt
	deleteChunk   *sql.Stmt
	upsertSession *sql.Stmt
	indexTags     []*sql.Stmt // indexTagsSQL
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
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

func (s *Store) init(ctx context.Context) error {
	if err := s.setUp(ctx); err != nil {
		return err
	}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.insertChunk, insertChunkSQL},
		{&s.deleteChunk, deleteChunkSQL},
		{&s.upsertSession, upsertSessionSQL},
	} {
		var err error
		if *p.stmt, err = s.wdb.PrepareContext(ctx, p.sql); err != nil {
			return fmt.Errorf("prepare %q: %w", p.sql, err)
		}
	}
	for _, q := range indexTagsSQL {
		st, err := s.wdb.PrepareContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", q, err)
		}
		s.indexTags = append(s.indexTags, st)
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
	for _, st := range append([]*sql.Stmt{s.insertChunk, s.deleteChunk, s.upsertSession}, s.indexTags...) {
		if st != nil {
			errs = append(errs, st.Close())
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
