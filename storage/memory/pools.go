package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// This file holds the credit records of a transaction: pools, grant lots,
// allowances, the journal and idempotency records.

func (t *tx) Pool(_ context.Context, ws, currency string) (storage.Pool, error) {
	p, ok := t.s.pools[ws][currency]
	if !ok {
		return p, notFound("pool ", currency, " of ", ws)
	}
	return p, nil
}

func (t *tx) CreatePool(_ context.Context, p storage.Pool) error {
	if err := t.check(); err != nil {
		return err
	}
	if _, ok := t.s.pools[p.Workspace][p.Currency]; ok {
		return fmt.Errorf("memory: pool %s of %s %w", p.Currency, p.Workspace, storage.ErrExists)
	}
	if _, ok := t.s.workspaces[p.Workspace]; !ok {
		return notFound("workspace ", p.Workspace)
	}
	p.Version = 1
	set(t, inner(t, t.s.pools, p.Workspace), p.Currency, p)
	return nil
}

func (t *tx) UpdatePool(_ context.Context, p storage.Pool) error {
	if err := t.check(); err != nil {
		return err
	}
	pools := t.s.pools[p.Workspace]
	old, ok := pools[p.Currency]
	if !ok {
		return notFound("pool ", p.Currency, " of ", p.Workspace)
	}
	if p.Version != old.Version+1 {
		return fmt.Errorf("memory: pool %s of %s at version %d, update to %d: %w", p.Currency, p.Workspace, old.Version, p.Version, storage.ErrConflict)
	}
	pools[p.Currency] = p
	pushOld(t, &t.s.log.pools, old, write{kind: wrotePool, pools: pools, key: p.Currency, had: true})
	return nil
}

func (t *tx) Pools(_ context.Context, ws string) ([]storage.Pool, error) {
	var out []storage.Pool
	for _, p := range t.s.pools[ws] {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b storage.Pool) int { return cmp.Compare(a.Currency, b.Currency) })
	return out, nil
}

func (t *tx) Grants(_ context.Context, ws, currency string) ([]credits.Grant, error) {
	lots := t.s.grants[poolKey{ws, currency}].all()
	if len(lots) == 0 {
		return nil, nil
	}
	return slices.Clone(lots), nil
}

func (t *tx) PutGrant(_ context.Context, ws, currency string, g credits.Grant) error {
	if err := t.check(); err != nil {
		return err
	}
	if g.Remaining < 0 || g.Remaining > g.Amount {
		return fmt.Errorf("memory: grant %s remaining %d outside [0, %d]", g.ID, g.Remaining, g.Amount)
	}
	if _, ok := t.s.pools[ws][currency]; !ok {
		return notFound("pool ", currency, " of ", ws)
	}
	t.putLot(t.lotsOf(poolKey{ws, currency}), &g)
	return nil
}

// lotsOf returns pool k's lots, making them (undoably) when missing.
func (t *tx) lotsOf(k poolKey) *lotSet {
	lots, ok := t.s.grants[k]
	if !ok {
		lots = &lotSet{}
		set(t, t.s.grants, k, lots)
	}
	return lots
}

// putLot writes *g into lots, a pool's, undoably.
func (t *tx) putLot(lots *lotSet, g *credits.Grant) {
	i, had := lots.find(g.ID)
	if had {
		// A lot read and put back with its times unchanged (a spend's)
		// has them as the store keeps them already: it is written over
		// the one there, whose old value goes on the log, without
		// copying either once more.
		if cur := &lots.lots[i]; g.Created == cur.Created && g.Expires == cur.Expires {
			l := &t.s.log
			l.lots = append(l.lots, *cur)
			*cur = *g
			t.push(write{kind: wroteLot, lots: lots, key: g.ID, had: true})
			return
		}
	}
	v := *g
	v.Created, v.Expires = ts(v.Created), ts(v.Expires)
	old := lots.putAt(i, had, v)
	pushOld(t, &t.s.log.lots, old, write{kind: wroteLot, lots: lots, key: g.ID, had: had})
}

func (t *tx) DeleteGrant(_ context.Context, ws, currency, id string) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.dropLot(t.s.grants[poolKey{ws, currency}], id)
}

// dropLot deletes lot id from lots, a pool's, undoably.
func (t *tx) dropLot(lots *lotSet, id string) error {
	if lots == nil {
		return notFound("grant ", id)
	}
	old, ok := lots.drop(id)
	if !ok {
		return notFound("grant ", id)
	}
	pushOld(t, &t.s.log.lots, old, write{kind: wroteLot, lots: lots, key: id, had: true})
	return nil
}

func (t *tx) Allowance(_ context.Context, ws, currency, member string) (credits.Allowance, error) {
	a, ok := t.s.allowances[poolKey{ws, currency}][member]
	if !ok {
		return a, notFound("allowance of ", member)
	}
	return a, nil
}

func (t *tx) Allowances(_ context.Context, ws, currency string) ([]credits.Allowance, error) {
	var out []credits.Allowance
	for _, a := range t.s.allowances[poolKey{ws, currency}] {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b credits.Allowance) int { return cmp.Compare(a.Member, b.Member) })
	return out, nil
}

func (t *tx) PutAllowance(_ context.Context, ws, currency string, a credits.Allowance) error {
	if err := t.check(); err != nil {
		return err
	}
	if _, ok := t.s.workspaces[ws]; !ok {
		return notFound("workspace ", ws)
	}
	t.putAllowance(inner(t, t.s.allowances, poolKey{ws, currency}), a)
	return nil
}

// putAllowance writes a into as, a pool's allowances, undoably.
func (t *tx) putAllowance(as map[string]credits.Allowance, a credits.Allowance) {
	old, had := as[a.Member]
	t.putAllowanceOver(as, a, old, had)
}

// putAllowanceOver is putAllowance where the caller read what a replaces:
// old, when had. (Only a key's first write in a transaction must give
// the value it had exactly: see ledgerMemo.allowance.)
func (t *tx) putAllowanceOver(as map[string]credits.Allowance, a, old credits.Allowance, had bool) {
	as[a.Member] = a
	pushOld(t, &t.s.log.allows, old, write{kind: wroteAllowance, allows: as, key: a.Member, had: had})
}

func (t *tx) DeleteAllowance(_ context.Context, ws, currency, member string) error {
	if err := t.check(); err != nil {
		return err
	}
	if as, ok := t.s.allowances[poolKey{ws, currency}]; ok {
		del(t, as, member)
	}
	return nil
}

func (t *tx) AppendEntries(_ context.Context, ws string, es []credits.Entry) error {
	if err := t.check(); err != nil {
		return err
	}
	for i := range es {
		t.appendEntry(t.journal(poolKey{ws, es[i].Currency}), &es[i])
	}
	return nil
}

// journal returns the journal of pool k, making it (undoably) if needed.
func (t *tx) journal(k poolKey) *journal {
	j := t.s.entries[k]
	if j == nil {
		j = &journal{}
		set(t, t.s.entries, k, j)
	}
	return j
}

// appendEntry appends e to j, undoably.
func (t *tx) appendEntry(j *journal, e *credits.Entry) {
	n := j.n
	j.append(e)
	// The journal only grows, so undoing an append is truncating it.
	t.push(write{kind: wroteEntries, journal: j, n: n})
}

func (t *tx) Entries(_ context.Context, ws, currency string, after int64, limit int) ([]storage.Entry, error) {
	j := t.s.entries[poolKey{ws, currency}]
	if j == nil {
		return nil, nil
	}
	n := int64(j.n)
	after = min(max(after, 0), n)
	end := min(after+int64(max(limit, 0)), n)
	return j.read(int(after), int(end)), nil
}

func (t *tx) Idempotency(_ context.Context, ws, key string) (storage.Idempotency, error) {
	r, ok := t.s.idem[ws].get(ws, key)
	if !ok {
		return r, notFound("idempotency key ", key)
	}
	return r, nil
}

func (t *tx) PutIdempotency(_ context.Context, r storage.Idempotency) error {
	if err := t.check(); err != nil {
		return err
	}
	rs := t.s.idem[r.Workspace]
	if rs.has(r.Key) {
		return keyTaken(r.Key)
	}
	if _, ok := t.s.workspaces[r.Workspace]; !ok {
		return notFound("workspace ", r.Workspace)
	}
	t.putRecord(rs, r, 0, false)
	return nil
}

func keyTaken(key string) error {
	return fmt.Errorf("memory: idempotency key %q %w", key, storage.ErrExists)
}

// putRecord adds r to rs, its workspace's records (nil: none yet), whose
// key it does not hold, undoably. hash is the key's in rs when hashed (a
// lookup found it absent), so that it is not hashed again.
func (t *tx) putRecord(rs *keyRecords, r storage.Idempotency, hash uint32, hashed bool) {
	if rs == nil {
		rs, hashed = newKeyRecords(), false
		set(t, t.s.idem, r.Workspace, rs)
	}
	if !hashed {
		hash = rs.hash(r.Key)
	}
	rs.add(r.Key, hash, keyRecord{fingerprint: r.Fingerprint, result: r.Result, created: micros(r.Created)})
	t.push(write{kind: wroteRecord, records: rs, key: r.Key})
	if l := t.led; l != nil && l.absent == r.Key && l.ws == r.Workspace {
		l.absent = "" // it has a record now
	}
}

var (
	_ storage.Store        = (*Store)(nil)
	_ storage.AccessTx     = (*tx)(nil)
	_ storage.AccessIntoTx = (*tx)(nil)
	_ storage.LedgerTx     = (*tx)(nil)
	_ storage.LedgerInTx   = (*tx)(nil)
)
