package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/sqlrec"
)

// dialect is how PostgreSQL stores charter's records: times as
// timestamptz, lists of projects as text[].
type dialect = sqlrec.Dialect[time.Time, []string]

func newDialect() *dialect {
	return (&dialect{
		Name:        "postgres",
		Placeholder: sqlrec.Numbered,
		False:       "false",
		Lock:        " FOR UPDATE",
		Time:        func(t time.Time) any { return t },
		ReadTime:    time.Time.UTC,
		List:        func(p []string) (any, error) { return projects(p), nil },
		ReadList:    func(p []string) ([]string, error) { return projects(p), nil },
		NoRows:      pgx.ErrNoRows,
		Translate:   translate,
		In:          `= ANY(CAST(? AS text[]))`,
	}).Init()
}

// tx is a storage.Tx on one pooled connection. Its records are read and
// written by the methods sqlrec.Records shares with SQLite; tx runs their
// statements (as sqlrec.Conn), keeps the sequences, and reads and writes
// an access check's and a ledger's records in one round trip (ledger.go).
//
// Expected failures (a taken key, a missing row, a stale version) are found
// without a failing statement (see sqlrec), because a failed statement
// aborts the whole PostgreSQL transaction and fn may want to carry on.
// SaveLedger is the exception its contract allows.
//
// Round trips. Every statement goes to the server in a batch (see batch),
// and a batch carries more than its own statements: the transaction's
// BEGIN goes with the first one, and a deferred SaveLedger goes with the
// next one or with the COMMIT. A spend is then three round trips: access,
// ledger, and the ledger's writes with the COMMIT.
type tx struct {
	sqlrec.Records[time.Time, []string]
	conn  *pgxpool.Conn
	begin string // the BEGIN statement, sent with the first batch
	begun bool   // whether BEGIN was sent
	write bool
	done  bool
	// pending is a SaveLedger whose statements wait for the next batch.
	pending *deferred
	// err is the first batch's failure. Expected outcomes (a missing row,
	// a taken key) never fail a batch, so after one the transaction is
	// unusable even where the server would carry on (a batch the driver
	// could not send): every later call returns err, and it is never
	// committed.
	err error
}

// deferred is a batch's worth of statements to send with the next one:
// check reads their results.
type deferred struct {
	op      string
	queries []*pgx.QueuedQuery
	check   func(pgx.BatchResults) error
}

var errReadOnly = errors.New("postgres: write in a read-only transaction")

// Writable returns an error unless t may write.
func (t *tx) Writable() error {
	if t.done {
		return errors.New("postgres: transaction used after it ended")
	}
	if !t.write {
		return errReadOnly
	}
	return nil
}

// batch sends b, with BEGIN before it if the transaction has not begun and
// the pending SaveLedger's statements, and runs read on b's results. An
// error is wrapped with op, or with the pending SaveLedger's op when it
// failed.
func (t *tx) batch(ctx context.Context, op string, b *pgx.Batch, read func(pgx.BatchResults) error) (err error) {
	switch {
	case t.done:
		return errors.New("postgres: transaction used after it ended")
	case t.err != nil:
		return t.err
	}
	defer func() { t.err = err }()
	full := &pgx.Batch{}
	begin := !t.begun
	if begin {
		full.Queue(t.begin)
		t.begun = true // a failed BEGIN is harmless to roll back
	}
	pend := t.pending
	t.pending = nil
	if pend != nil {
		full.QueuedQueries = append(full.QueuedQueries, pend.queries...)
	}
	full.QueuedQueries = append(full.QueuedQueries, b.QueuedQueries...)
	br := t.conn.SendBatch(ctx, full)
	err = func() error {
		if begin {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("postgres: begin: %w", translate(err))
			}
		}
		if pend != nil {
			if err := pend.check(br); err != nil {
				return fmt.Errorf("postgres: %s: %w", pend.op, translate(err))
			}
		}
		if err := read(br); err != nil {
			return fmt.Errorf("postgres: %s: %w", op, translate(err))
		}
		return nil
	}()
	if cerr := br.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("postgres: %s: %w", op, translate(cerr))
	}
	return err
}

// one is a batch of one statement.
func one(query string, args ...any) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(query, args...)
	return b
}

// projects normalises a list of projects: empty is nil (NULL).
func projects(p []string) []string {
	if len(p) == 0 {
		return nil
	}
	return p
}

// Exec runs a statement and returns how many rows it changed.
func (t *tx) Exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	var n int64
	err := t.batch(ctx, op, one(query, args...), func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// QueryRow runs query and scans its first row, if any.
func (t *tx) QueryRow(ctx context.Context, op, query string, args []any, dst sqlrec.RowScanner) (found bool, err error) {
	err = t.batch(ctx, op, one(query, args...), func(br pgx.BatchResults) error {
		err := dst.ScanRow(br.QueryRow())
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	})
	return found, err
}

// Query runs query and scans each row.
func (t *tx) Query(ctx context.Context, op, query string, args []any, dst sqlrec.RowScanner) error {
	return t.batch(ctx, op, one(query, args...), func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		return each(rows, dst)
	})
}

// each scans the rows of one result.
func each(rows pgx.Rows, dst sqlrec.RowScanner) error {
	defer rows.Close()
	for rows.Next() {
		if err := dst.ScanRow(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// AppendEvent increments the counter row and inserts the event in one
// statement. The counter's row lock is held until commit, so the next
// transaction's number is taken only after this one commits: the sequence
// is gapless and follows commit order.
func (t *tx) AppendEvent(ctx context.Context, e storage.Event) (int64, error) {
	if err := t.Writable(); err != nil {
		return 0, err
	}
	var seq int64
	_, err := t.QueryRow(ctx, "append event", `WITH s AS (UPDATE event_seq SET n = n + 1 WHERE id = 1 RETURNING n)
		INSERT INTO events (`+sqlrec.EventCols+`)
		SELECT s.n, $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM s
		RETURNING seq`,
		t.D.EventArgs(e), sqlrec.ScanFunc(func(s sqlrec.Scanner) error { return s.Scan(&seq) }))
	return seq, err
}

// AppendEntries appends each pool's entries with one statement that
// reserves their numbers in journal_seq, whose row lock (taken after the
// pool's, before the event sequence's) serializes appends to one pool; the
// statements go in one batch.
func (t *tx) AppendEntries(ctx context.Context, ws string, es []credits.Entry) error {
	if err := t.Writable(); err != nil {
		return err
	}
	byPool := map[string][]credits.Entry{}
	var order []string
	for _, e := range es {
		if byPool[e.Currency] == nil {
			order = append(order, e.Currency)
		}
		byPool[e.Currency] = append(byPool[e.Currency], e)
	}
	if len(order) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, currency := range order {
		queueEntries(b, ws, currency, byPool[currency])
	}
	return t.batch(ctx, "append entries", b, func(pgx.BatchResults) error { return nil })
}

var _ storage.Tx = (*tx)(nil)
