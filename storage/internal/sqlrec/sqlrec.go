// Package sqlrec is what charter's SQL backends, storage/sqlite and
// storage/postgres, agree on: the statements that read and write each
// record, how a row is scanned into a record and a record turned into
// arguments, and the storage.Tx methods whose logic is the same in both.
//
// A backend describes its dialect in a Dialect (how its driver stores
// times and lists of projects, how it numbers placeholders, what a missing
// row and a driver error look like) and runs statements through a Conn,
// its transaction. It embeds Records in its own transaction type, which
// then is a storage.Tx once it adds what only it can do: AppendEvent and
// AppendEntries, whose sequences each database keeps its own way. Its own
// methods of the same names take precedence over Records' where it does
// more (PostgreSQL reads and writes a ledger in one round trip).
//
// The statements are written once with ? placeholders. Expected failures (a
// taken key, a missing workspace, a stale version) are found without a
// failing statement (ON CONFLICT DO NOTHING, INSERT ... SELECT ... WHERE
// EXISTS, a conditional UPDATE), because a failed statement aborts a whole
// PostgreSQL transaction, and the function given to Update may want to
// carry on.
//
// The backends never import each other, and this package imports neither
// driver.
package sqlrec

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charterhq/charter/storage"
)

// Scanner is a row to scan: *sql.Row, *sql.Rows, pgx.Row and pgx.Rows all
// are.
type Scanner interface{ Scan(dest ...any) error }

// Conn runs the statements of one transaction. Errors it returns are
// already wrapped with the backend's name, op and the storage sentinel the
// driver's error means.
type Conn interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, op, query string, args ...any) (int64, error)
	// QueryRow runs query and has dst scan its first row. found is false,
	// and the error nil, when there is no row.
	QueryRow(ctx context.Context, op, query string, args []any, dst RowScanner) (found bool, err error)
	// Query runs query and has dst scan each row, in order.
	Query(ctx context.Context, op, query string, args []any, dst RowScanner) error
	// Writable returns nil in an Update, and an error in a View or after
	// the transaction ended.
	Writable() error
}

// RowScanner scans rows where a Conn has them.
type RowScanner interface{ ScanRow(Scanner) error }

// ScanFunc is a RowScanner of one function.
type ScanFunc func(Scanner) error

// ScanRow calls f.
func (f ScanFunc) ScanRow(s Scanner) error { return f(s) }

// Dialect is what a backend's driver and SQL do differently. T is the Go
// type a time column scans into, L the type a list of projects scans into.
type Dialect[T, L any] struct {
	// Name prefixes errors: "sqlite", "postgres".
	Name string
	// Placeholder returns the text of the i-th placeholder (from 1): "?"
	// or "$1".
	Placeholder func(i int) string
	// False is the literal of false that the schema's indexes use.
	False string
	// Lock is the clause that locks the rows a read returns until commit
	// (" FOR UPDATE"), or "" when the database locks as a whole.
	Lock string
	// Time is a time's stored form, and ReadTime reads it back in UTC.
	Time     func(time.Time) any
	ReadTime func(T) time.Time
	// List is a list of projects' stored form (NULL when empty), and
	// ReadList reads it back (nil when empty).
	List     func([]string) (any, error)
	ReadList func(L) ([]string, error)
	// NoRows is the error a scan returns when the query found no row.
	NoRows error
	// Translate wraps a driver's error with the storage sentinel it means.
	Translate func(error) error
	// In tests a column against one parameter that holds a list of keys
	// in List's form: "= ANY(CAST(? AS text[]))", "IN (SELECT value FROM
	// json_each(?))".
	In string

	// Q holds the statements in this dialect, B the bulk reads, R the
	// retention deletes and P the paged reads, set by Init.
	Q Statements
	B BulkStatements
	R RetentionStatements
	P PageStatements
}

// Init writes d's statements in its dialect. Call it once, before d is used.
func (d *Dialect[T, L]) Init() *Dialect[T, L] {
	d.Q = statements(func(query string) string { return bind(query, d.Placeholder, d.False) })
	d.Q.WorkspaceLocked = d.Q.Workspace + d.Lock
	d.Q.PoolLocked = d.Q.Pool + d.Lock
	d.B = bulkStatements(d.In, func(query string) string { return bind(query, d.Placeholder, d.False) })
	d.B.WorkspacesInLocked = d.B.WorkspacesIn + d.Lock
	d.R = retentionStatements(func(query string) string { return bind(query, d.Placeholder, d.False) })
	d.P = pageStatements(func(query string) string { return bind(query, d.Placeholder, d.False) })
	return d
}

// bind numbers the ? placeholders of query with ph and writes its false
// literal as f ("FALSE" in the query text).
func bind(query string, ph func(int) string, f string) string {
	query = strings.ReplaceAll(query, "FALSE", f)
	var b strings.Builder
	n := 0
	for {
		i := strings.IndexByte(query, '?')
		if i < 0 {
			b.WriteString(query)
			return b.String()
		}
		n++
		b.WriteString(query[:i])
		b.WriteString(ph(n))
		query = query[i+1:]
	}
}

// Numbered is a Placeholder for $1, $2, ...
func Numbered(i int) string { return "$" + strconv.Itoa(i) }

// NotFound is the error of a missing record, wrapping storage.ErrNotFound.
func (d *Dialect[T, L]) NotFound(what string) error {
	return fmt.Errorf("%s: %s %w", d.Name, what, storage.ErrNotFound)
}

// Exists is the error of a taken key, wrapping storage.ErrExists.
func (d *Dialect[T, L]) Exists(what string) error {
	return fmt.Errorf("%s: %s %w", d.Name, what, storage.ErrExists)
}

// Optional scans a row that may be missing with d's scanner scan (a method
// expression, such as (*Dialect[T, L]).ScanPool): v is nil then.
func Optional[T, L, R any](d *Dialect[T, L], s Scanner, scan func(*Dialect[T, L], Scanner) (R, error)) (v *R, err error) {
	x, err := scan(d, s)
	if errors.Is(err, d.NoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// rows scans rows with d's scanner scan: the first into one, every one
// into all.
type rows[T, L, R any] struct {
	d    *Dialect[T, L]
	scan func(*Dialect[T, L], Scanner) (R, error)
	one  R
	all  []R
	many bool
}

// ScanRow scans one row.
func (r *rows[T, L, R]) ScanRow(s Scanner) error {
	v, err := r.scan(r.d, s)
	if err != nil {
		return err
	}
	if r.many {
		r.all = append(r.all, v)
	} else {
		r.one = v
	}
	return nil
}

// one runs query on c and scans its one row; no row is ErrNotFound, named
// by what.
func one[T, L, R any](ctx context.Context, c Conn, d *Dialect[T, L], what, query string, scan func(*Dialect[T, L], Scanner) (R, error), args ...any) (R, error) {
	r := &rows[T, L, R]{d: d, scan: scan}
	found, err := c.QueryRow(ctx, what, query, args, r)
	if err == nil && !found {
		err = d.NotFound(what)
	}
	return r.one, err
}

// all runs query on c and scans every row.
func all[T, L, R any](ctx context.Context, c Conn, d *Dialect[T, L], op, query string, scan func(*Dialect[T, L], Scanner) (R, error), args ...any) ([]R, error) {
	r := &rows[T, L, R]{d: d, scan: scan, many: true}
	if err := c.Query(ctx, op, query, args, r); err != nil {
		return nil, err
	}
	return r.all, nil
}
