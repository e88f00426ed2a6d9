// Package sqlite is charter's embedded persistent store: one SQLite database
// file, for a service that runs as a single process. It uses the pure-Go
// driver modernc.org/sqlite, so no cgo is needed.
//
// The database runs in WAL mode with foreign keys on and a busy timeout.
// Update transactions begin with BEGIN IMMEDIATE on the store's one writer
// connection, so writers in this process queue and writers in other
// processes wait up to the busy timeout (then ErrConflict). View
// transactions run on a pool of read-only connections, concurrently with each
// other and with the writer, each on one snapshot.
//
// Commits are synchronous (PRAGMA synchronous=FULL): a committed spend or
// role change survives a power failure, as it does on PostgreSQL with its
// default settings. Each commit waits for the disk to flush the log, so
// Updates that queue for the writer share one transaction, each in its own
// savepoint, and one commit (group commit): an Update returns once the
// commit holding its writes is done.
//
// Store.Access keeps what it read, keyed by the workspace's access stamp,
// which triggers move with every change to the workspace or its members: a
// repeated check reads only the stamp, and never answers from a state the
// stamp no longer names. A stamp written by hand takes a new one, and the
// counter stamps come from only moves forward (see the 0004 migration), so
// no stamp is given twice. Replacing the database file with an older copy
// under a running store can bring back a stamp: open the store anew after
// restoring a backup.
//
// The schema is embedded and applied by Migrate, which records each applied
// version in a schema_migrations table; it is safe to run more than once and
// from several processes at once. Open does not migrate.
//
// Times are stored as microseconds since the Unix epoch and read back in UTC,
// so they keep microsecond precision.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/accesscache"
	"github.com/charterhq/charter/storage/internal/migration"
	"github.com/charterhq/charter/storage/internal/sqlrec"
)

// BusyTimeout is how long a transaction waits for a lock another process
// holds before it fails with storage.ErrConflict.
const BusyTimeout = 5 * time.Second

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a storage.Store in one SQLite database file.
type Store struct {
	w      *sql.DB // one connection; every Update and Migrate
	r      *sql.DB // read-only connections; every View
	closed atomic.Bool
	ws, rs *stmts // prepared statements of w and of r
	wr     *writer
	access *accesscache.Cache
	d      *dialect
	src    accesscache.Source // what access reads through
}

// Open opens the database file at path, creating it if it does not exist.
// Call Migrate before the first transaction.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("sqlite: open %q: want a plain file path", path)
	}
	busy := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", BusyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", path+"?"+busy+"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// Connect now, so the file exists in WAL mode before any reader opens it.
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, translate(err))
	}
	r, err := sql.Open("sqlite", path+"?"+busy+"&_query_only=1")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s := &Store{w: w, r: r, ws: newStmts(w), rs: newStmts(r), wr: &writer{db: w, maxAge: maxGroupAge}, access: accesscache.New(), d: newDialect()}
	s.src = s.accessSource()
	return s, nil
}

// Migrate applies the embedded migrations the database lacks, in order, in
// one IMMEDIATE transaction. It returns an error if the database has a
// migration this program does not know (it was migrated by a newer version).
func (s *Store) Migrate(ctx context.Context) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	files, err := migration.List(migrations, "migrations/*.sql", "sqlite")
	if err != nil {
		return err
	}
	return s.migrate(ctx, files)
}

// migrate applies those of files the database lacks. Tests give it fewer
// files than Migrate does, to make a database of an older version.
func (s *Store) migrate(ctx context.Context, files []migration.File) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", translate(err))
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER NOT NULL PRIMARY KEY,
		name    TEXT    NOT NULL,
		applied INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", translate(err))
	}
	var applied []int64
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", translate(err))
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: migrate: %w", err)
		}
		applied = append(applied, v)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", translate(err))
	}
	todo, err := migration.Pending(files, applied, "sqlite")
	if err != nil {
		return err
	}
	for _, f := range todo {
		if _, err := tx.ExecContext(ctx, f.Body); err != nil {
			return fmt.Errorf("sqlite: migrate: %s: %w", f.Name, translate(err))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)`,
			f.Version, f.Name, time.Now().UnixMicro()); err != nil {
			return fmt.Errorf("sqlite: migrate: %s: %w", f.Name, translate(err))
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", translate(err))
	}
	return nil
}

// Access reads a workspace and one membership on a read connection. A
// repeated call reads only the workspace's access stamp, and reads the rest
// again only when the stamp moved (see the 0002 migration).
func (s *Store) Access(ctx context.Context, id, user string) (storage.Workspace, storage.Member, bool, error) {
	if s.closed.Load() {
		return storage.Workspace{}, storage.Member{}, false, storage.ErrClosed
	}
	return s.access.Access(ctx, s.src, id, user)
}

// accessSource is the store as Access's cache reads it: through the read
// connections' prepared statements.
type accessSource struct {
	sqlrec.Source[int64, sql.NullString]
	s *Store
}

func (s *Store) accessSource() accesscache.Source {
	return accessSource{s: s, Source: sqlrec.Source[int64, sql.NullString]{D: s.d, Row: func(ctx context.Context, query string, args ...any) (sqlrec.Scanner, error) {
		stmt, err := s.rs.prepare(ctx, query)
		if err != nil {
			return nil, err
		}
		return stmt.QueryRowContext(ctx, args...), nil
	}}}
}

// Stamp reads the access stamp of the workspace with id.
func (a accessSource) Stamp(ctx context.Context, id string) (int64, error) {
	stmt, err := a.s.rs.prepare(ctx, a.D.Q.Stamp)
	if err != nil {
		return 0, err
	}
	var n int64
	err = a.Err(id, stmt.QueryRowContext(ctx, id).Scan(&n))
	return n, err
}

// View runs fn in a read-only transaction on a read connection, which sees
// one snapshot. (Update is in group.go.)
func (s *Store) View(ctx context.Context, fn func(storage.Tx) error) (err error) {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	sqlTx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		if s.closed.Load() {
			return storage.ErrClosed
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("sqlite: begin: %w", translate(err))
	}
	// Rolled back at the end: there is nothing to keep, and a failure loses
	// nothing.
	defer sqlTx.Rollback()
	t := newTx(s.d, sqlTx, s.rs, false)
	defer func() {
		t.done = true
		t.stmts.warm(t.missed)
	}()
	// Start the read transaction now, so fn sees the state as of the start
	// of View.
	var n int64
	if err := sqlTx.QueryRowContext(ctx, `SELECT n FROM event_seq`).Scan(&n); err != nil {
		return fmt.Errorf("sqlite: begin: %w", translate(err))
	}
	if err := fn(t); err != nil {
		return err
	}
	return ctx.Err()
}

// Close closes the database. Transactions that start later return
// storage.ErrClosed. Close waits for the Update running, if any, so it must
// not be called from an Update's fn (or anything the fn waits for).
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	// Wait for the Update running now, and commit what its group kept;
	// Updates handed the writer afterwards find the store closed.
	s.wr.acquire(context.Background())
	s.wr.end()
	defer s.wr.release()
	return errors.Join(s.rs.close(), s.ws.close(), s.r.Close(), s.w.Close())
}

// translate wraps err with the storage sentinel its SQLite result code
// means, keeping the driver's error in the chain.
func translate(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch code := se.Code(); {
	case code == sqlite3.SQLITE_CONSTRAINT_UNIQUE, code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%w: %w", storage.ErrExists, err)
	case code == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return fmt.Errorf("a referenced row is missing: %w: %w", storage.ErrNotFound, err)
	case code == sqlite3.SQLITE_CONSTRAINT_CHECK:
		return fmt.Errorf("a check constraint refused the row: %w", err)
	case code&0xff == sqlite3.SQLITE_BUSY, code&0xff == sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("database locked for longer than %v: %w: %w", BusyTimeout, storage.ErrConflict, err)
	}
	return err
}

var _ storage.Store = (*Store)(nil)
