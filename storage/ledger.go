package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/charterhq/charter/credits"
)

// Ledger is what a credit operation reads of one pool in one step: the pool,
// its lots, one member's allowance and one idempotency record. A nil field
// means there is none.
type Ledger struct {
	Pool      *Pool
	Grants    []credits.Grant // by ID; nil when there is no pool
	Allowance *credits.Allowance
	Record    *Idempotency
}

// LedgerQuery says which pool ReadLedger reads, and optionally whose
// allowance (Member) and which idempotency record (Key).
type LedgerQuery struct {
	Workspace, Currency string
	Member              string // "": read no allowance
	Key                 string // "": read no record
}

// LedgerChange is what a credit operation writes to one pool in one step:
// the pool of Currency in Workspace, which every part belongs to. Every
// field but Workspace and Currency may be empty.
type LedgerChange struct {
	Workspace, Currency string
	// Record is inserted first: ErrExists when its key is taken.
	Record *Idempotency
	// Put inserts or replaces lots; Delete deletes lots by ID (ErrNotFound
	// when one is missing).
	Put    []credits.Grant
	Delete []string
	// Pool, when set, saves the pool's header as UpdatePool does.
	Pool *Pool
	// Entries are appended to the pool's journal, as AppendEntries does.
	Entries []credits.Entry
	// Allowance, when set, is inserted or replaced.
	Allowance *credits.Allowance
}

// AccessTx and LedgerTx are what a Tx may implement to do ReadAccess,
// ReadLedger and SaveLedger in fewer steps than their parts, such as one
// round trip to a database server; AccessIntoTx, to do ReadAccessInto
// without copying what it reads back through return values. The functions
// of the same names use them when a Tx has them, and the Tx's other
// methods otherwise; results must be the same either way (storagetest
// checks both).
type (
	AccessTx interface {
		// Access reads what ReadAccess returns.
		Access(ctx context.Context, id, user string) (Workspace, Member, bool, error)
	}
	AccessIntoTx interface {
		// AccessInto reads what ReadAccessInto reads into w and m,
		// overwriting both (m with the zero Member when user is not a
		// member); on an error they may hold anything.
		AccessInto(ctx context.Context, id, user string, w *Workspace, m *Member) (bool, error)
	}
	LedgerTx interface {
		// Ledger reads what ReadLedger returns.
		Ledger(ctx context.Context, q LedgerQuery) (Ledger, error)
		// SaveLedger writes what SaveLedger writes.
		SaveLedger(ctx context.Context, c LedgerChange) error
	}
)

// LedgerRoom is room for what a Ledger holds behind pointers, and for the
// lots of a small pool: ReadLedgerIn reads into it, so that a credit
// operation that keeps one room (say, in a sync.Pool) reads without
// allocating. A Ledger read into a room is valid until the room is used
// again.
type LedgerRoom struct {
	Pool      Pool
	Allowance credits.Allowance
	Record    Idempotency
	Lots      [2]credits.Grant
}

// LedgerInTx is what a Tx may implement to read a ledger into a room; see
// ReadLedgerIn. A Tx that implements it implements LedgerTx too.
type LedgerInTx interface {
	// LedgerIn reads what ReadLedger returns, into room.
	LedgerIn(ctx context.Context, q LedgerQuery, room *LedgerRoom) (Ledger, error)
}

// ReadLedgerIn is ReadLedger, reading into room when the Tx can (see
// LedgerInTx): the Ledger's pointers and, for a pool of a few lots, its
// Grants are then room's.
func ReadLedgerIn(ctx context.Context, tx Tx, q LedgerQuery, room *LedgerRoom) (Ledger, error) {
	if l, ok := tx.(LedgerInTx); ok {
		return l.LedgerIn(ctx, q, room)
	}
	return ReadLedger(ctx, tx, q)
}

// ReadAccess reads the workspace with id and then user's membership of it:
// ok is false when user is not a member. Returns ErrNotFound when the
// workspace does not exist.
//
// In an Update it holds the workspace against changes until commit, but
// may let other transactions that only read it hold it too (PostgreSQL
// takes a shared row lock): use it in operations that move credits but do
// not change the workspace, so that they do not queue behind each other.
// A transaction that changes the workspace locks it with Tx.Workspace
// first, never after ReadAccess: two holders of a shared lock that both
// ask for the exclusive one deadlock.
func ReadAccess(ctx context.Context, tx Tx, id, user string) (w Workspace, m Member, ok bool, err error) {
	if a, fast := tx.(AccessTx); fast {
		return a.Access(ctx, id, user)
	}
	if ok, err = readAccess(ctx, tx, id, user, &w, &m); err != nil {
		return Workspace{}, Member{}, false, err
	}
	return w, m, ok, nil
}

// ReadAccessInto is ReadAccess into w and m, which it overwrites (both
// zero on an error, m zero when user is not a member): a caller that
// keeps them where they live on (say, in a sync.Pool) then copies neither
// back through return values, which on a spend's path cost more than the
// read. (Handed to a Tx's method, w and m escape: a caller with them on
// its stack allocates them, where ReadAccess does not.)
func ReadAccessInto(ctx context.Context, tx Tx, id, user string, w *Workspace, m *Member) (ok bool, err error) {
	switch a := tx.(type) {
	case AccessIntoTx:
		ok, err = a.AccessInto(ctx, id, user, w, m)
	case AccessTx:
		*w, *m, ok, err = a.Access(ctx, id, user)
	default:
		ok, err = readAccess(ctx, tx, id, user, w, m)
	}
	if err != nil {
		*w, *m = Workspace{}, Member{}
		return false, err
	}
	return ok, nil
}

// readAccess is ReadAccessInto by the Tx's single reads.
func readAccess(ctx context.Context, tx Tx, id, user string, w *Workspace, m *Member) (ok bool, err error) {
	if *w, err = tx.Workspace(ctx, id); err != nil {
		return false, err
	}
	*m, err = tx.Member(ctx, id, user)
	if errors.Is(err, ErrNotFound) {
		*m = Member{}
		return false, nil
	}
	return err == nil, err
}

// ReadLedger reads q's pool (locking it in an Update, as Tx.Pool does) and
// then its lots, the allowance and the record. A workspace without the pool
// reads as a Ledger without one, not as an error.
func ReadLedger(ctx context.Context, tx Tx, q LedgerQuery) (Ledger, error) {
	if l, fast := tx.(LedgerTx); fast {
		return l.Ledger(ctx, q)
	}
	var l Ledger
	p, err := tx.Pool(ctx, q.Workspace, q.Currency)
	switch {
	case err == nil:
		l.Pool = &p
		if l.Grants, err = tx.Grants(ctx, q.Workspace, q.Currency); err != nil {
			return Ledger{}, err
		}
	case !errors.Is(err, ErrNotFound):
		return Ledger{}, err
	}
	if q.Member != "" {
		a, err := tx.Allowance(ctx, q.Workspace, q.Currency, q.Member)
		switch {
		case err == nil:
			l.Allowance = &a
		case !errors.Is(err, ErrNotFound):
			return Ledger{}, err
		}
	}
	if q.Key != "" {
		r, err := tx.Idempotency(ctx, q.Workspace, q.Key)
		switch {
		case err == nil:
			l.Record = &r
		case !errors.Is(err, ErrNotFound):
			return Ledger{}, err
		}
	}
	return l, nil
}

// SaveLedger writes c: its record, lots, header, journal entries and
// allowance, with the errors the Tx methods that write each would return.
// c must name one pool: its record, header and entries must have c's
// Workspace and Currency. If SaveLedger fails, part of c may have been written, so the
// transaction must be rolled back: return the error from the function
// given to Update.
//
// A backend may send the writes later, with the transaction's next
// statement or with its commit (PostgreSQL does, when none of them can
// fail without an error from the server). Their error then comes from that
// call, or from Update, which then commits nothing.
func SaveLedger(ctx context.Context, tx Tx, c LedgerChange) error {
	if c.Record == nil && len(c.Put) == 0 && len(c.Delete) == 0 && c.Pool == nil && len(c.Entries) == 0 && c.Allowance == nil {
		return nil // nothing to write, which a read-only transaction may do too
	}
	if l, fast := tx.(LedgerTx); fast {
		return l.SaveLedger(ctx, c) // which checks c itself
	}
	if err := c.Check(); err != nil {
		return err
	}
	if c.Record != nil {
		if err := tx.PutIdempotency(ctx, *c.Record); err != nil {
			return err
		}
	}
	for _, g := range c.Put {
		if err := tx.PutGrant(ctx, c.Workspace, c.Currency, g); err != nil {
			return err
		}
	}
	for _, id := range c.Delete {
		if err := tx.DeleteGrant(ctx, c.Workspace, c.Currency, id); err != nil {
			return err
		}
	}
	if c.Pool != nil {
		if err := tx.UpdatePool(ctx, *c.Pool); err != nil {
			return err
		}
	}
	if len(c.Entries) > 0 {
		if err := tx.AppendEntries(ctx, c.Workspace, c.Entries); err != nil {
			return err
		}
	}
	if c.Allowance != nil {
		return tx.PutAllowance(ctx, c.Workspace, c.Currency, *c.Allowance)
	}
	return nil
}

// Check reports a change whose parts name another pool than c's, or a lot
// whose Remaining is outside [0, Amount].
func (c LedgerChange) Check() error {
	var errs []error
	if c.Record != nil && c.Record.Workspace != c.Workspace {
		errs = append(errs, fmt.Errorf("storage: ledger change of workspace %s holds a record of %s", c.Workspace, c.Record.Workspace))
	}
	for _, g := range c.Put {
		if g.Remaining < 0 || g.Remaining > g.Amount {
			errs = append(errs, fmt.Errorf("storage: lot %s remaining %d outside [0, %d]", g.ID, g.Remaining, g.Amount))
		}
	}
	if p := c.Pool; p != nil && (p.Workspace != c.Workspace || p.Currency != c.Currency) {
		errs = append(errs, c.foreign("a header", p.Workspace, p.Currency))
	}
	for _, e := range c.Entries {
		if e.Currency != c.Currency {
			errs = append(errs, c.foreign("an entry", c.Workspace, e.Currency))
		}
	}
	return errors.Join(errs...)
}

// foreign is Check's error for a part, what, of pool currency of ws.
func (c *LedgerChange) foreign(what, ws, currency string) error {
	return fmt.Errorf("storage: ledger change of pool %s of %s holds %s of pool %s of %s", c.Currency, c.Workspace, what, currency, ws)
}
