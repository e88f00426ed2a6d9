// Package postgres is charter's store for services that run many instances:
// PostgreSQL through pgx/v5 and its connection pool.
//
// Concurrency is the database's job, never a process-local mutex's. Update
// runs fn in a READ COMMITTED transaction; Tx.Workspace and Tx.Pool take row
// locks (SELECT ... FOR UPDATE) in the order storage documents, updates are
// version-checked, unique keys are unique indexes, and the event sequence is a
// single counter row incremented last, so it is gapless and in commit order.
// A transaction that fails to serialize or deadlocks (SQLSTATE 40001, 40P01)
// is run again, up to MaxAttempts times, then fails with storage.ErrConflict.
// View runs in a READ ONLY, REPEATABLE READ transaction: one snapshot.
//
// Store.Access keeps what it read, keyed by the workspace's access stamp,
// which triggers move with every change to the workspace or its members
// (from any instance, or by hand in SQL): a repeated check sends one query
// for the stamp, and never answers from a state the stamp no longer names.
// Stamps come from a sequence and are never given twice, as long as the
// database does not go back in time under a running store: after restoring
// a backup or failing over to a replica that may lag, open the stores anew
// (restart the service). Writes made with triggers disabled
// (session_replication_role = replica, pg_restore --disable-triggers) move
// no stamps either.
//
// The schema is embedded and applied by Migrate under a transaction-scoped
// advisory lock, so several processes may run it at once. Tables live in the
// current schema: to use another, set search_path in the URL
// (postgres://host/db?search_path=charter).
//
// PostgreSQL keeps times at microsecond precision; they are read back in
// UTC.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/accesscache"
	"github.com/charterhq/charter/storage/internal/migration"
	"github.com/charterhq/charter/storage/internal/sqlrec"
)

// MaxAttempts is how many times Update runs fn when the database reports a
// serialization failure or a deadlock.
const MaxAttempts = 5

//go:embed migrations/*.sql
var migrations embed.FS

// Store is a storage.Store in a PostgreSQL database.
type Store struct {
	pool   *pgxpool.Pool
	closed atomic.Bool
	access *accesscache.Cache
	d      *dialect
	src    accesscache.Source // what access reads through
}

// Open connects to the database at url, a PostgreSQL URL or keyword/value
// connection string as pgx accepts. Call Migrate before the first
// transaction.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	s := &Store{pool: pool, access: accesscache.New(), d: newDialect()}
	s.src = s.accessSource()
	return s, nil
}

// Migrate applies the embedded migrations the database lacks, in order, in
// one transaction that holds an advisory lock for the current schema. It
// returns an error if the database has a migration this program does not
// know (it was migrated by a newer version).
func (s *Store) Migrate(ctx context.Context) error {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	files, err := migration.List(migrations, "migrations/*.sql", "postgres")
	if err != nil {
		return err
	}
	return s.migrate(ctx, files)
}

// migrate applies those of files the database lacks. Tests give it fewer
// files than Migrate does, to make a database of an older version.
func (s *Store) migrate(ctx context.Context, files []migration.File) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('charter.migrate.' || coalesce(current_schema(), '')))`); err != nil {
			return fmt.Errorf("postgres: migrate: lock: %w", translate(err))
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version bigint      NOT NULL PRIMARY KEY,
			name    text        NOT NULL,
			applied timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("postgres: migrate: %w", translate(err))
		}
		rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return fmt.Errorf("postgres: migrate: %w", translate(err))
		}
		applied, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return fmt.Errorf("postgres: migrate: %w", translate(err))
		}
		todo, err := migration.Pending(files, applied, "postgres")
		if err != nil {
			return err
		}
		for _, f := range todo {
			// Without arguments, Exec uses the simple protocol, which runs
			// a script of several statements.
			if _, err := tx.Exec(ctx, f.Body); err != nil {
				return fmt.Errorf("postgres: migrate: %s: %w", f.Name, translate(err))
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, f.Version, f.Name); err != nil {
				return fmt.Errorf("postgres: migrate: %s: %w", f.Name, translate(err))
			}
		}
		return nil
	})
}

// Update runs fn in a READ COMMITTED transaction and commits if fn returns nil
// and ctx is not done. It rolls back if fn returns an error or panics. On a
// serialization failure or deadlock it runs fn again, after a short jittered
// wait, up to MaxAttempts times in all; then it returns an error wrapping
// storage.ErrConflict.
func (s *Store) Update(ctx context.Context, fn func(storage.Tx) error) error {
	var err error
	for attempt := 1; attempt <= MaxAttempts; attempt++ {
		err = s.run(ctx, true, fn)
		if !retryable(err) {
			return err
		}
		if attempt == MaxAttempts {
			break
		}
		// 2, 4, 8, 16 ms, each with up to as much again of jitter.
		d := time.Duration(1<<attempt) * time.Millisecond
		d += rand.N(d)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(d):
		}
	}
	if errors.Is(err, storage.ErrConflict) {
		return fmt.Errorf("postgres: gave up after %d attempts: %w", MaxAttempts, err)
	}
	return fmt.Errorf("postgres: gave up after %d attempts: %w: %w", MaxAttempts, storage.ErrConflict, err)
}

// View runs fn in a READ ONLY, REPEATABLE READ transaction.
func (s *Store) View(ctx context.Context, fn func(storage.Tx) error) error {
	return s.run(ctx, false, fn)
}

func (s *Store) run(ctx context.Context, write bool, fn func(storage.Tx) error) (err error) {
	if s.closed.Load() {
		return storage.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		if s.closed.Load() {
			return storage.ErrClosed
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("postgres: connect: %w", translate(err))
	}
	// Release destroys a connection left inside a transaction or broken.
	defer conn.Release()
	t := &tx{conn: conn, begin: `BEGIN ISOLATION LEVEL READ COMMITTED`, write: write}
	t.Records = sqlrec.Records[time.Time, []string]{C: t, D: s.d}
	if !write {
		t.begin = `BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY`
	}
	rollback := func() {
		if !t.begun {
			return
		}
		// The rollback must run even when ctx is done. When it fails, the
		// connection is closed, and the server rolls back on its own.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, err := conn.Exec(rctx, `ROLLBACK`); err != nil {
			conn.Conn().Close(rctx)
		}
	}
	defer func() {
		t.done = true
		if r := recover(); r != nil {
			rollback()
			panic(r)
		}
	}()
	if err := fn(t); err != nil {
		rollback()
		return err
	}
	if err := ctx.Err(); err != nil {
		rollback()
		return err
	}
	if t.err != nil {
		// fn went on after a failed statement: commit nothing.
		rollback()
		return t.err
	}
	if !write || !t.begun && t.pending == nil {
		rollback()
		return nil
	}
	// The COMMIT goes with the deferred writes, if any. When one of them
	// fails, the server skips the COMMIT and the transaction is aborted.
	err = t.batch(ctx, "commit", one(`COMMIT`), func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		if err == nil && tag.String() == "ROLLBACK" {
			// A statement failed and fn went on: the server rolled back.
			err = pgx.ErrTxCommitRollback
		}
		return err
	})
	if err != nil {
		rollback()
		if ctx.Err() != nil {
			return fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return err
	}
	return nil
}

// Access reads a workspace and one membership outside any transaction. A
// repeated call reads only the workspace's access stamp, one small query,
// and reads the rest again only when the stamp moved (see the 0002
// migration).
func (s *Store) Access(ctx context.Context, id, user string) (storage.Workspace, storage.Member, bool, error) {
	if s.closed.Load() {
		return storage.Workspace{}, storage.Member{}, false, storage.ErrClosed
	}
	return s.access.Access(ctx, s.src, id, user)
}

// accessSource is the store as Access's cache reads it: one query outside
// any transaction.
type accessSource struct {
	sqlrec.Source[time.Time, []string]
	pool *pgxpool.Pool
}

func (s *Store) accessSource() accesscache.Source {
	return accessSource{pool: s.pool, Source: sqlrec.Source[time.Time, []string]{D: s.d, Row: func(ctx context.Context, query string, args ...any) (sqlrec.Scanner, error) {
		return s.pool.QueryRow(ctx, query, args...), nil
	}}}
}

// Stamp reads the access stamp of the workspace with id.
func (a accessSource) Stamp(ctx context.Context, id string) (int64, error) {
	var n int64
	err := a.Err(id, a.pool.QueryRow(ctx, a.D.Q.Stamp, id).Scan(&n))
	return n, err
}

// Close closes the connection pool. Transactions that start later return
// storage.ErrClosed.
func (s *Store) Close() error {
	if !s.closed.Swap(true) {
		s.pool.Close()
	}
	return nil
}

// SQLSTATE codes this package acts on.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeCheckViolation       = "23514"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeLockNotAvailable     = "55P03"
)

// retryable reports whether err means the transaction may succeed if run
// again.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == codeSerializationFailure || pgErr.Code == codeDeadlockDetected
}

// translate wraps err with the storage sentinel its SQLSTATE means, keeping
// the *pgconn.PgError in the chain.
func translate(err error) error {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return err
	}
	switch pgErr.Code {
	case codeUniqueViolation:
		return fmt.Errorf("%s taken: %w: %w", pgErr.ConstraintName, storage.ErrExists, err)
	case codeForeignKeyViolation:
		return fmt.Errorf("%s: a referenced row is missing: %w: %w", pgErr.ConstraintName, storage.ErrNotFound, err)
	case codeCheckViolation:
		return fmt.Errorf("check %s refused the row: %w", pgErr.ConstraintName, err)
	case codeSerializationFailure, codeDeadlockDetected, codeLockNotAvailable:
		return fmt.Errorf("%w: %w", storage.ErrConflict, err)
	}
	return err
}

var _ storage.Store = (*Store)(nil)
