package storagetest

import (
	"context"
	"github.com/charterhq/charter/credits"
	"testing"

	"github.com/charterhq/charter/storage"
)

// plainTx hides a Tx's optional fast paths (storage.AccessTx,
// storage.LedgerTx), so ReadAccess, ReadLedger and SaveLedger take the path
// through the Tx's single reads and writes.
type plainTx struct{ storage.Tx }

// paths runs fn on tx as it is and as a plainTx: both paths must behave
// the same.
var paths = []struct {
	name string
	wrap func(storage.Tx) storage.Tx
}{
	{"backend", func(tx storage.Tx) storage.Tx { return tx }},
	{"plain", func(tx storage.Tx) storage.Tx { return plainTx{tx} }},
}

// seedLedger seeds s, adds g to pool a/credits and makes an empty pool
// a/tokens.
func seedLedger(t *testing.T, s storage.Store, g credits.Grant) {
	ctx := context.Background()
	seed(t, s)
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "PutGrant("+g.ID+")", tx.PutGrant(ctx, "a", "credits", g))
		noErr(t, "tokens pool", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "tokens"}))
		return nil
	})
}

// testLedgerRead checks ReadAccess and ReadLedger against the single reads
// they stand for, in a View and in an Update, on both paths.
func testLedgerRead(t *testing.T, s storage.Store) {
	ctx := context.Background()
	seedLedger(t, s, grant("g0", 5, 5))
	sn := snap(t, s)
	wantA, bob := sn.Workspaces["a"], sn.Members["a"][1]
	credits := sn.Pools["a"][0]
	tokens := sn.Pools["a"][1]
	allowance := sn.Allowances["a/credits"][0]
	record := sn.Idem["a/k1"]
	for _, p := range paths {
		for _, write := range []bool{false, true} {
			run := s.View
			name := p.name + " in View"
			if write {
				run, name = s.Update, p.name+" in Update"
			}
			err := run(ctx, func(stx storage.Tx) error {
				tx := p.wrap(stx)
				w, m, ok, err := storage.ReadAccess(ctx, tx, "a", "bob")
				noErr(t, name+": ReadAccess(a, bob)", err)
				if !ok {
					t.Errorf("%s: ReadAccess(a, bob): not a member", name)
				}
				diff(t, name+": ReadAccess(a, bob) workspace", w, wantA)
				diff(t, name+": ReadAccess(a, bob) member", m, bob)
				w, m, ok, err = storage.ReadAccess(ctx, tx, "a", "zed")
				noErr(t, name+": ReadAccess(a, zed)", err)
				if ok || m.User != "" {
					t.Errorf("%s: ReadAccess(a, zed) = %+v, %t; want no member", name, m, ok)
				}
				diff(t, name+": ReadAccess(a, zed) workspace", w, wantA)
				_, _, _, err = storage.ReadAccess(ctx, tx, "zzz", "bob")
				wantErr(t, name+": ReadAccess(zzz)", err, storage.ErrNotFound)
				// ReadAccessInto overwrites what it is given: a member
				// read before leaves nothing behind.
				w, m = wantA, bob
				ok, err = storage.ReadAccessInto(ctx, tx, "a", "zed", &w, &m)
				if err != nil || ok {
					t.Errorf("%s: ReadAccessInto(a, zed) over bob = %t, %v; want no member", name, ok, err)
				}
				diff(t, name+": ReadAccessInto(a, zed) workspace", w, wantA)
				diff(t, name+": ReadAccessInto(a, zed) member, over bob", m, storage.Member{})
				w, m = wantA, bob
				ok, err = storage.ReadAccessInto(ctx, tx, "zzz", "bob", &w, &m)
				wantErr(t, name+": ReadAccessInto(zzz)", err, storage.ErrNotFound)
				if ok {
					t.Errorf("%s: ReadAccessInto(zzz) found a member", name)
				}
				diff(t, name+": ReadAccessInto(zzz) workspace", w, storage.Workspace{})
				diff(t, name+": ReadAccessInto(zzz) member", m, storage.Member{})

				l, err := storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: "a", Currency: "credits", Member: "bob", Key: "k1"})
				noErr(t, name+": ReadLedger(credits, bob, k1)", err)
				diff(t, name+": ReadLedger(credits, bob, k1)", l, storage.Ledger{
					Pool: &credits, Grants: sn.Grants["a/credits"], Allowance: &allowance, Record: &record,
				})
				l, err = storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: "a", Currency: "credits"})
				noErr(t, name+": ReadLedger(credits)", err)
				diff(t, name+": ReadLedger(credits)", l, storage.Ledger{Pool: &credits, Grants: sn.Grants["a/credits"]})
				l, err = storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: "a", Currency: "tokens", Member: "bob", Key: "k2"})
				noErr(t, name+": ReadLedger(tokens, bob, k2)", err)
				diff(t, name+": ReadLedger(tokens, bob, k2)", l, storage.Ledger{Pool: &tokens})
				l, err = storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: "a", Currency: "gold", Member: "bob", Key: "k1"})
				noErr(t, name+": ReadLedger(gold)", err)
				diff(t, name+": ReadLedger(gold)", l, storage.Ledger{Record: &record})
				l, err = storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: "zzz", Currency: "credits", Member: "bob", Key: "k1"})
				noErr(t, name+": ReadLedger(zzz)", err)
				diff(t, name+": ReadLedger(zzz)", l, storage.Ledger{})
				return nil
			})
			noErr(t, name, err)
		}
	}
}

// testLedgerSave checks that SaveLedger, on the Tx that wrap makes of a
// backend's, writes what the single writes would, that later reads in the
// same transaction see it, and that a failed change leaves nothing behind
// once the transaction is rolled back.
func testLedgerSave(wrap func(storage.Tx) storage.Tx) func(t *testing.T, s storage.Store) {
	return func(t *testing.T, s storage.Store) { ledgerSave(t, s, wrap) }
}

func ledgerSave(t *testing.T, s storage.Store, wrap func(storage.Tx) storage.Tx) {
	ctx := context.Background()
	seedLedger(t, s, grant("g2", 9, 9))
	before := snap(t, s)
	pool := before.Pools["a"][0]

	// change is a spend-like change of pool a/credits, recorded under key.
	change := func(key string) storage.LedgerChange {
		g1 := grant("g1", 100, 59)
		return storage.LedgerChange{
			Workspace: "a", Currency: "credits",
			Record:    &storage.Idempotency{Workspace: "a", Key: key, Fingerprint: "f-" + key, Result: `{"key":"` + key + `"}`, Created: at(7)},
			Put:       []credits.Grant{g1, grant("g3", 4, 4)},
			Entries:   []credits.Entry{entry("credits", "spend", -1), entry("credits", "grant", 4)},
			Allowance: &credits.Allowance{Member: "bob", Amount: 50, Period: 1, Spent: 11},
		}
	}
	failures := []struct {
		name   string
		change func() storage.LedgerChange
		want   error // nil: any error
	}{
		{"a taken key", func() storage.LedgerChange { return change("k1") }, storage.ErrExists},
		{"a missing workspace", func() storage.LedgerChange {
			c := change("k2")
			c.Workspace, c.Record.Workspace = "zzz", "zzz"
			c.Put, c.Entries, c.Allowance = nil, nil, nil
			return c
		}, storage.ErrNotFound},
		{"a lot in a missing pool", func() storage.LedgerChange {
			c := change("k2")
			c.Currency = "gold"
			c.Put = []credits.Grant{grant("g1", 1, 1)}
			c.Entries, c.Allowance = nil, nil
			return c
		}, storage.ErrNotFound},
		{"deleting a missing lot", func() storage.LedgerChange {
			c := change("k2")
			c.Delete = []string{"g2", "nope"}
			return c
		}, storage.ErrNotFound},
		{"a stale header", func() storage.LedgerChange {
			c := change("k2")
			stale := pool
			stale.Period++ // at the stored version, not one more
			c.Pool = &stale
			return c
		}, storage.ErrConflict},
		{"a lot over its amount", func() storage.LedgerChange {
			c := change("k2")
			c.Put[0].Remaining = 101
			return c
		}, nil},
		{"another pool's entry", func() storage.LedgerChange {
			c := change("k2")
			c.Entries = append(c.Entries, entry("tokens", "spend", -1))
			return c
		}, nil},
	}
	for _, f := range failures {
		// The error may come from SaveLedger, from the next statement (a
		// read) or from the commit.
		for _, read := range []bool{true, false} {
			name := f.name
			if read {
				name += ", then a read"
			}
			err := s.Update(ctx, func(stx storage.Tx) error {
				if err := storage.SaveLedger(ctx, wrap(stx), f.change()); err != nil || !read {
					return err
				}
				_, err := stx.Grants(ctx, "a", "credits")
				return err
			})
			if f.want != nil {
				wantErr(t, name, err, f.want)
			} else {
				wantSomeErr(t, name, err)
			}
			diff(t, name+": the store after", snap(t, s), before)
		}
	}
	err := s.View(ctx, func(tx storage.Tx) error {
		noErr(t, "an empty change in View", storage.SaveLedger(ctx, wrap(tx), storage.LedgerChange{Workspace: "a", Currency: "credits"}))
		wantSomeErr(t, "a change in View", storage.SaveLedger(ctx, wrap(tx), change("k2")))
		return nil
	})
	noErr(t, "View", err)

	// A change that fn gives up after writing leaves nothing.
	err = s.Update(ctx, func(stx storage.Tx) error {
		noErr(t, "SaveLedger before errBoom", storage.SaveLedger(ctx, wrap(stx), change("k2")))
		return errBoom
	})
	wantErr(t, "Update returning errBoom", err, errBoom)
	diff(t, "the store after errBoom", snap(t, s), before)

	// Two changes and a header move in one transaction, each seen
	// by the reads after it.
	next := pool
	next.Period, next.Version = pool.Period+1, pool.Version+1
	update(t, s, func(stx storage.Tx) error {
		tx := wrap(stx)
		noErr(t, "SaveLedger(k2)", storage.SaveLedger(ctx, tx, change("k2")))
		gs, err := stx.Grants(ctx, "a", "credits")
		noErr(t, "Grants after SaveLedger", err)
		if len(gs) != 3 || gs[0].Remaining != 59 {
			t.Errorf("Grants after SaveLedger = %+v, want g1 at 59, g2 and g3", gs)
		}
		c := change("k3")
		c.Put, c.Delete, c.Pool = nil, []string{"g2"}, &next
		noErr(t, "SaveLedger(k3)", storage.SaveLedger(ctx, tx, c))
		c = storage.LedgerChange{Workspace: "a", Currency: "credits", Entries: []credits.Entry{entry("credits", "expire", -4)}}
		noErr(t, "SaveLedger(entries only)", storage.SaveLedger(ctx, tx, c))
		r, err := stx.Idempotency(ctx, "a", "k3")
		noErr(t, "Idempotency(k3) after SaveLedger", err)
		diff(t, "Idempotency(k3) after SaveLedger", r, *change("k3").Record)
		return nil
	})
	after := snap(t, s)
	want := before
	want.Pools = map[string][]storage.Pool{"a": {next, before.Pools["a"][1]}}
	want.Grants = map[string][]credits.Grant{"a/credits": {
		grant("g1", 100, 59), grant("g3", 4, 4),
	}}
	want.Allowances = map[string][]credits.Allowance{"a/credits": {*change("k2").Allowance}}
	want.Idem = map[string]storage.Idempotency{"a/k1": before.Idem["a/k1"], "a/k2": *change("k2").Record, "a/k3": *change("k3").Record}
	var es []storage.Entry
	es = append(es, before.Entries["a/credits"]...)
	for _, e := range append(append(change("k2").Entries, change("k3").Entries...), entry("credits", "expire", -4)) {
		es = append(es, storage.Entry{Seq: int64(len(es) + 1), Entry: e})
	}
	want.Entries = map[string][]storage.Entry{"a/credits": es}
	diff(t, "the store after three changes", after, want)
}
