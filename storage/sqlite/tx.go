package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/sqlrec"
)

// dialect is how SQLite stores charter's records: times as microseconds
// since the Unix epoch, booleans as 0 and 1, lists of projects as JSON
// arrays.
type dialect = sqlrec.Dialect[int64, sql.NullString]

func newDialect() *dialect {
	return (&dialect{
		Name:        "sqlite",
		Placeholder: func(int) string { return "?" },
		False:       "0",
		Time:        func(t time.Time) any { return t.UnixMicro() },
		ReadTime:    fromMicros,
		List:        projects,
		ReadList:    parseProjects,
		NoRows:      sql.ErrNoRows,
		Translate:   translate,
		In:          `IN (SELECT value FROM json_each(?))`,
	}).Init()
}

// tx is a storage.Tx on one *sql.Tx. Its records are read and written by
// the methods sqlrec.Records shares with PostgreSQL; tx runs their
// statements (as sqlrec.Conn) and keeps the sequences.
type tx struct {
	sqlrec.Records[int64, sql.NullString]
	tx     *sql.Tx
	stmts  *stmts   // of the DB tx is on
	missed []string // queries stmts lacked
	write  bool
	done   bool
}

func newTx(d *dialect, sqlTx *sql.Tx, stmts *stmts, write bool) *tx {
	t := &tx{tx: sqlTx, stmts: stmts, write: write}
	t.Records = sqlrec.Records[int64, sql.NullString]{C: t, D: d}
	return t
}

var errReadOnly = errors.New("sqlite: write in a read-only transaction")

// Writable returns an error unless t may write.
func (t *tx) Writable() error {
	if t.done {
		return errors.New("sqlite: transaction used after it ended")
	}
	if !t.write {
		return errReadOnly
	}
	return nil
}

// Exec runs a statement and returns how many rows it changed.
func (t *tx) Exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	st, ctx, err := t.stmt(ctx, query)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", op, translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return n, nil
}

// QueryRow runs query and scans its first row, if any.
func (t *tx) QueryRow(ctx context.Context, op, query string, args []any, dst sqlrec.RowScanner) (bool, error) {
	st, ctx, err := t.stmt(ctx, query)
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	err = dst.ScanRow(st.QueryRowContext(ctx, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sqlite: %s: %w", op, translate(err))
	}
	return true, nil
}

// Query runs query and scans each row.
func (t *tx) Query(ctx context.Context, op, query string, args []any, dst sqlrec.RowScanner) error {
	st, ctx, err := t.stmt(ctx, query)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, translate(err))
	}
	defer rows.Close()
	for rows.Next() {
		if err := dst.ScanRow(rows); err != nil {
			return fmt.Errorf("sqlite: %s: %w", op, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, translate(err))
	}
	return nil
}

// fromMicros reads a time's stored form.
func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

// projects converts a list of projects to its stored form: a JSON array, or
// NULL when empty.
func projects(p []string) (any, error) {
	if len(p) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func parseProjects(s sql.NullString) ([]string, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	var p []string
	if err := json.Unmarshal([]byte(s.String), &p); err != nil {
		return nil, fmt.Errorf("sqlite: stored projects %q: %w", s.String, err)
	}
	if len(p) == 0 {
		return nil, nil
	}
	return p, nil
}

// AppendEvent takes the next number of the event sequence and inserts e
// with it.
func (t *tx) AppendEvent(ctx context.Context, e storage.Event) (int64, error) {
	if err := t.Writable(); err != nil {
		return 0, err
	}
	var seq int64
	if _, err := t.QueryRow(ctx, "append event", `UPDATE event_seq SET n = n + 1 WHERE id = 1 RETURNING n`, nil,
		sqlrec.ScanFunc(func(s sqlrec.Scanner) error { return s.Scan(&seq) })); err != nil {
		return 0, err
	}
	_, err := t.Exec(ctx, "append event", `INSERT INTO events (`+sqlrec.EventCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append([]any{seq}, t.D.EventArgs(e)...)...)
	if err != nil {
		return 0, err
	}
	return seq, nil
}

// AppendEntries inserts each entry with the next number of its pool's
// journal.
func (t *tx) AppendEntries(ctx context.Context, ws string, es []credits.Entry) error {
	if err := t.Writable(); err != nil {
		return err
	}
	for _, e := range es {
		// Writers hold the database lock, so the next number is safe to
		// compute from the journal itself.
		if _, err := t.Exec(ctx, "append entry", `INSERT INTO journal (workspace, `+sqlrec.EntryCols+`)
			SELECT ?, coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
			FROM journal WHERE workspace = ? AND currency = ?`,
			ws, e.Currency, e.Kind.String(), e.Grant, e.Amount, e.Member, e.Action, e.Key, e.Period, e.Time.UnixMicro(), e.Expires.UnixMicro(),
			ws, e.Currency); err != nil {
			return err
		}
	}
	return nil
}

var _ storage.Tx = (*tx)(nil)
