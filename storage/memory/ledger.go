package memory

import (
	"context"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// This file holds the one-step reads and writes of a credit operation
// (storage.AccessTx, storage.LedgerTx) and the undo log of the credit
// writes, which keeps their old values as typed values rather than in
// closures: a spend's writes then allocate nothing to be undone.

// Access reads what storage.ReadAccess returns, looking the workspace up
// once, as Store.Access does.
func (t *tx) Access(ctx context.Context, id, user string) (w storage.Workspace, m storage.Member, ok bool, err error) {
	if ok, err = t.AccessInto(ctx, id, user, &w, &m); err != nil {
		return storage.Workspace{}, storage.Member{}, false, err
	}
	return w, m, ok, nil
}

// AccessInto reads what storage.ReadAccessInto reads, as Access does.
func (t *tx) AccessInto(_ context.Context, id, user string, w *storage.Workspace, m *storage.Member) (bool, error) {
	var memo *accessMemo
	if t.write && !t.done {
		memo = &t.s.seen
	}
	ok, err := t.s.accessVia(memo, id, user, w, m)
	if err != nil {
		return false, notFound("workspace ", id)
	}
	return ok, nil
}

// Ledger reads what storage.ReadLedger returns, in one allocation for a
// pool of up to two lots.
func (t *tx) Ledger(ctx context.Context, q storage.LedgerQuery) (storage.Ledger, error) {
	return t.LedgerIn(ctx, q, &storage.LedgerRoom{})
}

// LedgerIn reads what storage.ReadLedger returns, into room: it allocates
// only for a pool of more lots than room holds.
func (t *tx) LedgerIn(_ context.Context, q storage.LedgerQuery, room *storage.LedgerRoom) (storage.Ledger, error) {
	if t.done {
		return storage.Ledger{}, errEnded
	}
	var l storage.Ledger
	k := poolKey{q.Workspace, q.Currency}
	// An Update's memo is the store's hot one, which its last LedgerIn
	// wrote: of the same pool, its maps are still the pool's (see
	// state.hot), and what it found of the pool and the key is read
	// afresh. A View keeps nothing.
	var local ledgerMemo
	m := &local
	if t.led != nil {
		m = t.led
	}
	if m.ws == q.Workspace && m.currency == q.Currency {
		m.pool, m.absent, m.member = false, "", ""
	} else {
		*m = ledgerMemo{ws: q.Workspace, currency: q.Currency}
	}
	if m.lots == nil {
		m.lots = t.s.grants[k]
	}
	if m.allows == nil {
		m.allows = t.s.allowances[k]
	}
	if m.j == nil {
		m.j = t.s.entries[k]
	}
	if m.rs == nil {
		m.rs = t.s.idem[q.Workspace]
	}
	if m.pools == nil {
		m.pools = t.s.pools[q.Workspace]
	}
	if p, ok := m.pools[q.Currency]; ok {
		m.pool = true
		room.Pool = p
		l.Pool = &room.Pool
		if lots := m.lots.all(); len(lots) > 0 {
			l.Grants = room.Lots[:0]
			if len(lots) > len(room.Lots) {
				l.Grants = make([]credits.Grant, 0, len(lots))
			}
			l.Grants = credits.AppendGrants(l.Grants, lots)
		}
	}
	if q.Member != "" {
		a, ok := m.allows[q.Member]
		if ok {
			room.Allowance = a
			l.Allowance = &room.Allowance
		}
		m.member, m.allowance, m.hadAllowance = q.Member, a, ok
	}
	if q.Key != "" {
		if r, hash, ok := m.rs.lookup(q.Workspace, q.Key); ok {
			room.Record = r
			l.Record = &room.Record
		} else {
			m.absent, m.absentHash = q.Key, hash
		}
	}
	return l, nil
}

// SaveLedger writes what storage.SaveLedger writes, with the same checks
// and errors, in the same order, looking each map up once.
func (t *tx) SaveLedger(ctx context.Context, c storage.LedgerChange) error {
	if err := t.check(); err != nil {
		return err
	}
	// Check holds every part to c's pool and every lot to its amount.
	if err := c.Check(); err != nil {
		return err
	}
	ws, k := c.Workspace, poolKey{c.Workspace, c.Currency}
	// What LedgerIn found of the pool, when it read this one: a nil map
	// was not there, and is looked up (and made) as without the memo.
	// SaveLedger only reads m (putRecord forgets t.led's absent key, after
	// SaveLedger read it), so it points at the memo rather than copying it.
	m := &noMemo
	if l := t.led; l != nil && l.ws == ws && l.currency == c.Currency {
		m = l
	}
	hasPool := m.pool
	if !hasPool {
		_, hasPool = t.s.pools[ws][c.Currency]
	}
	hasWorkspace := hasPool // DeleteWorkspace drops a workspace's pools
	if !hasPool {
		_, hasWorkspace = t.s.workspaces[ws]
	}
	if r := c.Record; r != nil {
		rs := m.rs
		if rs == nil {
			rs = t.s.idem[ws]
		}
		// The key LedgerIn found absent is absent still (putRecord forgets
		// it once recorded), and, when LedgerIn found the workspace's
		// records (m.rs, which rs is then), its hash in them is known.
		// (DeleteWorkspace forgets the memo, so m.rs is never a table a
		// delete dropped.)
		absent := r.Key == m.absent && r.Key != "" && rs == m.rs
		if !absent && rs.has(r.Key) {
			return keyTaken(r.Key)
		}
		if !hasWorkspace {
			return notFound("workspace ", ws)
		}
		t.putRecord(rs, *r, m.absentHash, absent && rs != nil)
	}
	if len(c.Put) > 0 {
		if !hasPool {
			return notFound("pool ", c.Currency, " of ", ws)
		}
		lots := m.lots
		if lots == nil {
			lots = t.lotsOf(k)
		}
		for i := range c.Put {
			t.putLot(lots, &c.Put[i])
		}
	}
	if len(c.Delete) > 0 {
		lots := t.s.grants[k]
		for _, id := range c.Delete {
			if err := t.dropLot(lots, id); err != nil {
				return err
			}
		}
	}
	if c.Pool != nil {
		if err := t.UpdatePool(ctx, *c.Pool); err != nil {
			return err
		}
	}
	if len(c.Entries) > 0 {
		j := m.j
		if j == nil {
			j = t.journal(k)
		}
		for i := range c.Entries {
			t.appendEntry(j, &c.Entries[i])
		}
	}
	if c.Allowance != nil {
		if !hasWorkspace {
			return notFound("workspace ", ws)
		}
		as := m.allows
		if as == nil {
			as = inner(t, t.s.allowances, k)
		}
		if a := c.Allowance; a.Member == m.member && m.member != "" {
			// What LedgerIn read of it is the value to undo to: no
			// second lookup.
			t.putAllowanceOver(as, *a, m.allowance, m.hadAllowance)
		} else {
			t.putAllowance(as, *c.Allowance)
		}
	}
	return nil
}

// noMemo is the memo of no LedgerIn, which SaveLedger reads when there was
// none of its pool. Nothing writes it.
var noMemo ledgerMemo

// ledgerMemo is what a transaction's last LedgerIn found of its pool's
// maps, for the SaveLedger of the same pool that follows it: a spend then
// looks each up once. A nil field was not there. Only DeleteWorkspace
// drops these maps, and it forgets the memo; a map made since is found
// by looking it up again.
type ledgerMemo struct {
	ws, currency string
	pools        map[string]storage.Pool // the workspace's pools
	lots         *lotSet
	allows       map[string]credits.Allowance
	j            *journal
	rs           *keyRecords
	// pool and absent are what LedgerIn found of the pool and the key
	// it read, for this transaction only: whether the pool is there
	// (only DeleteWorkspace drops one, and it forgets the memo), and the
	// key when it had no record (putRecord forgets it when it records
	// it).
	pool   bool
	absent string
	// absentHash is absent's hash in rs (keyRecords.lookup), when rs is
	// not nil.
	absentHash uint32
	// member, allowance and hadAllowance are what LedgerIn read of
	// member's allowance, for SaveLedger's write of it to record as the
	// value its undo restores, without a second lookup. If the allowance
	// was written since, in this transaction, that is not its value now;
	// but then an earlier write holds the value it had before the
	// transaction, and a rollback, which undoes every write, last first,
	// ends with that earlier write's undo. Only the first write of a key
	// in a transaction must record its old value exactly.
	member       string
	allowance    credits.Allowance
	hadAllowance bool
}

// writeLog is the undo log of the credit writes of the running Update:
// each write pushes what it wrote and its old value here and
// state.undoWrite onto the tx's undo log, which pops them. The old values
// of lots, allowances and pools sit in stacks of their own type, so that a
// write is small to push; undoing runs last to first, so each pops its
// stack's top. Update empties the log when it starts; its room is kept
// from one Update to the next.
type writeLog struct {
	writes []write
	lots   []credits.Grant
	allows []credits.Allowance
	pools  []storage.Pool
	// undo is state.undoWrite, made once.
	undo func()
}

// write is one credit write: which map and key it wrote, and whether the
// key held a value before (the value itself is on its kind's stack when
// it did). For an append to a journal, n is its length before.
type write struct {
	kind    writeKind
	had     bool
	key     string
	records *keyRecords
	lots    *lotSet
	allows  map[string]credits.Allowance
	pools   map[string]storage.Pool
	journal *journal
	n       int
}

type writeKind uint8

const (
	wroteRecord writeKind = iota
	wroteLot
	wroteAllowance
	wrotePool
	wroteEntries
)

// keptWrites is how many writes a log may hold from one Update to the
// next without being cleared (writeLog.reset).
const keptWrites = 16

// reset empties l. A log of at most keptWrites writes (a spend makes
// four) is left for the next Update's writes to overwrite, old values and
// all: clearing it would cost every spend some 220 instructions, about
// 2%. What it names (the tables written, their keys, old values) is live
// while the tables are; state.end forgets it (forget) after any Update
// that may have dropped a table. A longer log is cleared, so that what a
// large Update wrote is not kept alive by its log; so what a log's room
// holds past its length is always within its first keptWrites places.
func (l *writeLog) reset() {
	if len(l.writes) > keptWrites {
		clear(l.writes)
		clear(l.lots)
		clear(l.allows)
		clear(l.pools)
	}
	l.writes, l.lots, l.allows, l.pools = l.writes[:0], l.lots[:0], l.allows[:0], l.pools[:0]
}

// forget empties l, of an Update that ended, and clears what it or reset
// left in its room: its writes and old values, and its first keptWrites
// places (see reset).
func (l *writeLog) forget() {
	l.writes = forgotten(l.writes)
	l.lots = forgotten(l.lots)
	l.allows = forgotten(l.allows)
	l.pools = forgotten(l.pools)
}

// forgotten clears s and the first keptWrites places of its room, and
// returns it empty.
func forgotten[T any](s []T) []T {
	clear(s[:max(len(s), min(cap(s), keptWrites))])
	return s[:0]
}

// push records w, to be undone by the matching step of t's undo log.
func (t *tx) push(w write) {
	l := &t.s.log
	if l.undo == nil {
		l.undo = t.s.undoWrite
	}
	l.writes = append(l.writes, w)
	t.undo = append(t.undo, l.undo)
}

// pushOld records w, a write whose key held old before when had, keeping
// old on stack, its kind's.
func pushOld[T any](t *tx, stack *[]T, old T, w write) {
	if w.had {
		*stack = append(*stack, old)
	}
	t.push(w)
}

// pop returns the top of stack *s and drops it.
func pop[T any](s *[]T) T {
	n := len(*s) - 1
	v := (*s)[n]
	var zero T
	(*s)[n] = zero
	*s = (*s)[:n]
	return v
}

// undoWrite undoes the last write of the log and drops it.
func (s *state) undoWrite() {
	l := &s.log
	w := &l.writes[len(l.writes)-1]
	switch w.kind {
	case wroteRecord:
		w.records.drop(w.key)
	case wroteLot:
		if w.had {
			w.lots.put(pop(&l.lots))
		} else {
			w.lots.drop(w.key)
		}
	case wroteAllowance:
		if w.had {
			w.allows[w.key] = pop(&l.allows)
		} else {
			delete(w.allows, w.key)
		}
	case wrotePool:
		w.pools[w.key] = pop(&l.pools)
	case wroteEntries:
		w.journal.truncate(w.n)
	}
	*w = write{}
	l.writes = l.writes[:len(l.writes)-1]
}
