package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/sqlrec"
)

// The reads of storage.AccessTx and storage.LedgerTx go to the server as
// one batch each: one round trip instead of one per statement. The
// statements of a batch still run one after another, each with its own
// snapshot (READ COMMITTED), so a read that follows a locking read sees
// what was committed before the lock was granted, as it would in separate
// round trips. They are separate statements for that reason: one statement
// joining a locked row to unlocked ones would see the unlocked ones as of
// its start, before the lock was granted.
//
// SaveLedger's writes wait for the transaction's next batch, usually its
// COMMIT (see tx), when no statement of theirs can fail without an error
// from the server: then a failure aborts the transaction before the COMMIT
// runs. A change that deletes lots or moves the header has statements that
// fail by changing no row, so it goes at once.

// Access reads the workspace (with a shared lock in an Update, as
// storage.ReadAccess says) and user's membership in one round trip.
func (t *tx) Access(ctx context.Context, id, user string) (storage.Workspace, storage.Member, bool, error) {
	lock := ``
	if t.write {
		lock = ` FOR SHARE`
	}
	b := &pgx.Batch{}
	b.Queue(t.D.Q.Workspace+lock, id)
	b.Queue(t.D.Q.Member, id, user)
	var (
		w *storage.Workspace
		m *storage.Member
	)
	err := t.batch(ctx, "access "+id, b, func(br pgx.BatchResults) (err error) {
		if w, err = sqlrec.Optional(t.D, br.QueryRow(), (*dialect).ScanWorkspace); err != nil {
			return err
		}
		m, err = sqlrec.Optional(t.D, br.QueryRow(), (*dialect).ScanMember)
		return err
	})
	switch {
	case err != nil:
		return storage.Workspace{}, storage.Member{}, false, err
	case w == nil:
		return storage.Workspace{}, storage.Member{}, false, t.D.NotFound("workspace " + id)
	case m == nil:
		return *w, storage.Member{}, false, nil
	}
	return *w, *m, true, nil
}

// Ledger reads the pool (locking it in an Update), its lots, the allowance
// and the record in one round trip.
func (t *tx) Ledger(ctx context.Context, q storage.LedgerQuery) (storage.Ledger, error) {
	pool := t.D.Q.Pool
	if t.write {
		pool = t.D.Q.PoolLocked
	}
	b := &pgx.Batch{}
	b.Queue(pool, q.Workspace, q.Currency)
	b.Queue(t.D.Q.Grants, q.Workspace, q.Currency)
	if q.Member != "" {
		b.Queue(t.D.Q.Allowance, q.Workspace, q.Currency, q.Member)
	}
	if q.Key != "" {
		b.Queue(t.D.Q.Idempotency, q.Workspace, q.Key)
	}
	var l storage.Ledger
	err := t.batch(ctx, "ledger "+q.Currency+" of "+q.Workspace, b, func(br pgx.BatchResults) (err error) {
		if l.Pool, err = sqlrec.Optional(t.D, br.QueryRow(), (*dialect).ScanPool); err != nil {
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		if err := each(rows, sqlrec.ScanFunc(func(s sqlrec.Scanner) error {
			g, err := t.D.ScanLot(s)
			l.Grants = append(l.Grants, g)
			return err
		})); err != nil {
			return err
		}
		if q.Member != "" {
			if l.Allowance, err = sqlrec.Optional(t.D, br.QueryRow(), (*dialect).ScanAllowance); err != nil {
				return err
			}
		}
		if q.Key != "" {
			l.Record, err = sqlrec.Optional(t.D, br.QueryRow(), (*dialect).ScanIdempotency)
		}
		return err
	})
	if l.Pool == nil {
		l.Grants = nil
	}
	return l, err
}

// SaveLedger writes c in one batch, sent at once or with the next (see
// above). The record goes first: a taken key fails its INSERT, which aborts
// the transaction before anything else is written. Missing rows fail a
// foreign key (ErrNotFound), as the single writes report them.
func (t *tx) SaveLedger(ctx context.Context, c storage.LedgerChange) error {
	if err := t.Writable(); err != nil {
		return err
	}
	if err := c.Check(); err != nil {
		return err
	}
	b := &pgx.Batch{}
	if r := c.Record; r != nil {
		b.Queue(`INSERT INTO idempotency (`+sqlrec.IdempotencyCols+`) VALUES ($1, $2, $3, $4, $5)`, t.D.IdempotencyArgs(*r)...)
	}
	for _, g := range c.Put {
		b.Queue(`INSERT INTO grants (`+sqlrec.PoolKey+sqlrec.LotCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			ON CONFLICT (workspace, currency, id) DO UPDATE SET source = excluded.source, amount = excluded.amount,
				remaining = excluded.remaining, priority = excluded.priority, expires = excluded.expires, created = excluded.created`,
			t.D.LotArgs(c.Workspace, c.Currency, g)...)
	}
	for _, id := range c.Delete {
		b.Queue(`DELETE FROM grants WHERE workspace = $1 AND currency = $2 AND id = $3`, c.Workspace, c.Currency, id)
	}
	if p := c.Pool; p != nil {
		b.Queue(`UPDATE pools SET period = $1, version = $2, started = $5
			WHERE workspace = $3 AND currency = $4 AND version = $2 - 1`, p.Period, p.Version, p.Workspace, p.Currency, p.Started)
	}
	if len(c.Entries) > 0 {
		queueEntries(b, c.Workspace, c.Currency, c.Entries)
	}
	if a := c.Allowance; a != nil {
		b.Queue(`INSERT INTO allowances (`+sqlrec.PoolKey+sqlrec.AllowanceCols+`) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (workspace, currency, member) DO UPDATE SET amount = excluded.amount, period = excluded.period, spent = excluded.spent`,
			t.D.AllowanceArgs(c.Workspace, c.Currency, *a)...)
	}
	if b.Len() == 0 {
		return nil
	}
	op := "save ledger " + c.Currency + " of " + c.Workspace
	if len(c.Delete) == 0 && c.Pool == nil {
		// Every statement now either changes its rows or fails; Close
		// reads the results.
		if t.pending != nil {
			// Two deferred changes: send the first now.
			if err := t.batch(ctx, op, &pgx.Batch{}, func(pgx.BatchResults) error { return nil }); err != nil {
				return err
			}
		}
		t.pending = &deferred{op: op, queries: b.QueuedQueries, check: func(br pgx.BatchResults) error {
			for range b.Len() {
				if _, err := br.Exec(); err != nil {
					return err
				}
			}
			return nil
		}}
		return nil
	}
	var missing string
	stale := false
	err := t.batch(ctx, op, b, func(br pgx.BatchResults) error {
		if c.Record != nil {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		for range c.Put {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		for _, id := range c.Delete {
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 && missing == "" {
				missing = id
			}
		}
		if c.Pool != nil {
			tag, err := br.Exec()
			if err != nil {
				return err
			}
			stale = tag.RowsAffected() == 0
		}
		return nil // the entries and allowance are checked by Close
	})
	switch {
	case err != nil:
		return err
	case missing != "":
		return t.D.NotFound("grant " + missing)
	case stale:
		return t.StalePool(ctx, *c.Pool)
	}
	return nil
}

// queueEntries queues one statement that reserves len(es) numbers of the
// pool's journal sequence (locking its row, as AppendEntries does) and
// inserts the entries with them.
func queueEntries(b *pgx.Batch, ws, currency string, es []credits.Entry) {
	n := len(es)
	var (
		kinds, grants, members, actions, keys = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		amounts, periods                      = make([]int64, n), make([]int64, n)
		at, expires                           = make([]time.Time, n), make([]time.Time, n)
	)
	for i, e := range es {
		kinds[i], grants[i], members[i], actions[i], keys[i] = e.Kind.String(), e.Grant, e.Member, e.Action, e.Key
		amounts[i], periods[i], at[i], expires[i] = e.Amount, e.Period, e.Time, e.Expires
	}
	b.Queue(`WITH s AS (
			INSERT INTO journal_seq AS j (workspace, currency, n) VALUES ($1, $2, $3)
			ON CONFLICT (workspace, currency) DO UPDATE SET n = j.n + excluded.n
			RETURNING n)
		INSERT INTO journal (workspace, currency, seq, kind, grant_id, amount, member, action_name, idem_key, period, at, expires)
		SELECT $1, $2, s.n - $3 + e.ord, e.kind, e.grant_id, e.amount, e.member, e.action_name, e.idem_key, e.period, e.at, e.expires
		FROM s, unnest($4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::bigint[],
			$11::timestamptz[], $12::timestamptz[])
			WITH ORDINALITY AS e(kind, grant_id, amount, member, action_name, idem_key, period, at, expires, ord)`,
		ws, currency, int64(n), kinds, grants, amounts, members, actions, keys, periods, at, expires)
}

var (
	_ storage.AccessTx = (*tx)(nil)
	_ storage.LedgerTx = (*tx)(nil)
)
