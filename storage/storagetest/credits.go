package storagetest

import (
	"context"
	"github.com/charterhq/charter/credits"
	"testing"
	"time"

	"github.com/charterhq/charter/storage"
)

func testPools(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "create b", tx.CreateWorkspace(ctx, workspace("b", "shared", "bob")))
		noErr(t, "CreatePool(a, tokens)", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "tokens", Period: 4, Version: 9}))
		noErr(t, "CreatePool(a, credits)", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "credits", Started: true, Period: 2}))
		noErr(t, "CreatePool(b, credits)", tx.CreatePool(ctx, storage.Pool{Workspace: "b", Currency: "credits"}))
		wantErr(t, "CreatePool(a, credits) again", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "credits"}), storage.ErrExists)
		wantErr(t, "CreatePool in a missing workspace", tx.CreatePool(ctx, storage.Pool{Workspace: "zzz", Currency: "credits"}), storage.ErrNotFound)
		return nil
	})
	credits := storage.Pool{Workspace: "a", Currency: "credits", Started: true, Period: 2, Version: 1}
	tokens := storage.Pool{Workspace: "a", Currency: "tokens", Period: 4, Version: 1}
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Pool(ctx, "a", "credits")
		noErr(t, "Pool(a, credits)", err)
		diff(t, "Pool(a, credits)", got, credits)
		_, err = tx.Pool(ctx, "a", "gold")
		wantErr(t, "Pool(a, gold)", err, storage.ErrNotFound)
		_, err = tx.Pool(ctx, "zzz", "credits")
		wantErr(t, "Pool(zzz, credits)", err, storage.ErrNotFound)
		ps, err := tx.Pools(ctx, "a")
		noErr(t, "Pools(a)", err)
		diff(t, "Pools(a)", ps, []storage.Pool{credits, tokens})
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		p, err := tx.Pool(ctx, "a", "credits")
		noErr(t, "Pool in Update", err)
		p.Period = 3
		stale := p
		wantErr(t, "UpdatePool at the stored version", tx.UpdatePool(ctx, stale), storage.ErrConflict)
		stale.Version = 3
		wantErr(t, "UpdatePool skipping a version", tx.UpdatePool(ctx, stale), storage.ErrConflict)
		p.Version++
		noErr(t, "UpdatePool", tx.UpdatePool(ctx, p))
		gone := storage.Pool{Workspace: "a", Currency: "gold", Version: 2}
		wantErr(t, "UpdatePool(a, gold)", tx.UpdatePool(ctx, gone), storage.ErrNotFound)
		tp, err := tx.Pool(ctx, "a", "tokens")
		noErr(t, "Pool(a, tokens) in Update", err)
		tp.Started, tp.Version = true, tp.Version+1
		noErr(t, "UpdatePool(tokens started)", tx.UpdatePool(ctx, tp))
		return nil
	})
	credits.Period, credits.Version = 3, 2
	tokens.Started, tokens.Version = true, 2
	diff(t, "Pools(a) after update", snap(t, s).Pools["a"], []storage.Pool{credits, tokens})
}

func testGrants(t *testing.T, s storage.Store) {
	ctx := context.Background()
	g2 := grant("g2", 100, 100)
	g1 := grant("g1", 50, 0)
	g3 := grant("g3", 10, 5)
	g3.Expires = time.Time{} // never expires
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "pool", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "credits"}))
		noErr(t, "pool", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "tokens"}))
		for _, g := range []credits.Grant{g2, g1, g3} {
			noErr(t, "PutGrant("+g.ID+")", tx.PutGrant(ctx, "a", "credits", g))
		}
		noErr(t, "PutGrant(g1) of tokens", tx.PutGrant(ctx, "a", "tokens", grant("g1", 7, 7)))
		wantErr(t, "PutGrant in a missing pool", tx.PutGrant(ctx, "a", "gold", grant("g1", 1, 1)), storage.ErrNotFound)
		wantErr(t, "PutGrant in a missing workspace", tx.PutGrant(ctx, "zzz", "credits", grant("g1", 1, 1)), storage.ErrNotFound)
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		bad := g2
		bad.Remaining = -1
		wantSomeErr(t, "PutGrant with Remaining < 0", tx.PutGrant(ctx, "a", "credits", bad))
		bad.Remaining = 101
		wantSomeErr(t, "PutGrant with Remaining > Amount", tx.PutGrant(ctx, "a", "credits", bad))
		bad = grant("g9", 10, 11)
		wantSomeErr(t, "new PutGrant with Remaining > Amount", tx.PutGrant(ctx, "a", "credits", bad))
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Grants(ctx, "a", "credits")
		noErr(t, "Grants", err)
		diff(t, "Grants(a, credits) after refused puts", got, []credits.Grant{g1, g2, g3})
		if !got[2].Expires.IsZero() {
			t.Errorf("zero Expires came back as %v", got[2].Expires)
		}
		return nil
	})
	g2.Remaining = 30
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "PutGrant replace", tx.PutGrant(ctx, "a", "credits", g2))
		noErr(t, "DeleteGrant(g1)", tx.DeleteGrant(ctx, "a", "credits", "g1"))
		wantErr(t, "DeleteGrant(g1) again", tx.DeleteGrant(ctx, "a", "credits", "g1"), storage.ErrNotFound)
		wantErr(t, "DeleteGrant in another pool", tx.DeleteGrant(ctx, "a", "gold", "g2"), storage.ErrNotFound)
		return nil
	})
	sn := snap(t, s)
	diff(t, "grants", sn.Grants, map[string][]credits.Grant{
		"a/credits": {g2, g3},
		"a/tokens":  {grant("g1", 7, 7)},
	})
}

func testAllowances(t *testing.T, s storage.Store) {
	ctx := context.Background()
	dan := credits.Allowance{Member: "dan", Amount: 10, Period: 1, Spent: 3}
	bob := credits.Allowance{Member: "bob", Amount: 20, Period: 1, Spent: 0}
	tok := credits.Allowance{Member: "bob", Amount: 5, Period: 2, Spent: 5}
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		for _, a := range []credits.Allowance{dan, bob} {
			noErr(t, "PutAllowance", tx.PutAllowance(ctx, "a", "credits", a))
		}
		noErr(t, "PutAllowance of tokens", tx.PutAllowance(ctx, "a", "tokens", tok))
		wantErr(t, "PutAllowance in a missing workspace", tx.PutAllowance(ctx, "zzz", "credits", credits.Allowance{Member: "bob"}), storage.ErrNotFound)
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Allowance(ctx, "a", "credits", "dan")
		noErr(t, "Allowance", err)
		diff(t, "Allowance(dan)", got, dan)
		_, err = tx.Allowance(ctx, "a", "credits", "cat")
		wantErr(t, "Allowance(cat)", err, storage.ErrNotFound)
		_, err = tx.Allowance(ctx, "a", "gold", "dan")
		wantErr(t, "Allowance(gold, dan)", err, storage.ErrNotFound)
		all, err := tx.Allowances(ctx, "a", "credits")
		noErr(t, "Allowances", err)
		diff(t, "Allowances(a, credits)", all, []credits.Allowance{bob, dan})
		return nil
	})
	bob.Spent, bob.Period = 7, 2
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "PutAllowance replace", tx.PutAllowance(ctx, "a", "credits", bob))
		noErr(t, "DeleteAllowance(dan)", tx.DeleteAllowance(ctx, "a", "credits", "dan"))
		noErr(t, "DeleteAllowance(dan) again", tx.DeleteAllowance(ctx, "a", "credits", "dan"))
		noErr(t, "DeleteAllowance(zzz)", tx.DeleteAllowance(ctx, "zzz", "credits", "dan"))
		return nil
	})
	diff(t, "allowances", snap(t, s).Allowances, map[string][]credits.Allowance{
		"a/credits": {bob},
		"a/tokens":  {tok},
	})
}

func testEntries(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "pool", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "credits"}))
		noErr(t, "pool", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "tokens"}))
		return nil
	})
	var want []storage.Entry
	var wantTokens []storage.Entry
	for call := range 4 {
		var es []credits.Entry
		for i := range call + 1 {
			e := entry("credits", "spend", int64(-(call*10 + i)))
			e.Key = name("k", len(want))
			es = append(es, e)
			want = append(want, storage.Entry{Seq: int64(len(want) + 1), Entry: e})
			if i == 0 {
				tk := entry("tokens", "grant", int64(call))
				es = append(es, tk)
				wantTokens = append(wantTokens, storage.Entry{Seq: int64(len(wantTokens) + 1), Entry: tk})
			}
		}
		update(t, s, func(tx storage.Tx) error { return tx.AppendEntries(ctx, "a", es) })
	}
	update(t, s, func(tx storage.Tx) error { return tx.AppendEntries(ctx, "a", nil) })
	sn := snap(t, s)
	diff(t, "entries", sn.Entries, map[string][]storage.Entry{"a/credits": want, "a/tokens": wantTokens})
	view(t, s, func(tx storage.Tx) error {
		for _, limit := range []int{1, 3, 100} {
			var got []storage.Entry
			after := int64(0)
			for range len(want) + 1 {
				page, err := tx.Entries(ctx, "a", "credits", after, limit)
				noErr(t, "Entries", err)
				if len(page) > limit {
					t.Fatalf("Entries(after %d, limit %d) returned %d", after, limit, len(page))
				}
				if len(page) == 0 {
					break
				}
				got = append(got, page...)
				after = page[len(page)-1].Seq
			}
			diff(t, "paged entries", got, want)
		}
		for _, limit := range []int{0, -1} {
			got, err := tx.Entries(ctx, "a", "credits", 0, limit)
			noErr(t, "Entries", err)
			if len(got) != 0 {
				t.Errorf("Entries(limit %d) returned %d entries, want 0", limit, len(got))
			}
		}
		got, err := tx.Entries(ctx, "a", "credits", 8, 2)
		noErr(t, "Entries", err)
		diff(t, "Entries(after 8, limit 2)", got, want[8:10])
		got, err = tx.Entries(ctx, "a", "gold", 0, 10)
		noErr(t, "Entries(gold)", err)
		diff(t, "Entries(gold)", got, []storage.Entry(nil))
		return nil
	})
}

func testIdempotency(t *testing.T, s storage.Store) {
	ctx := context.Background()
	r := storage.Idempotency{Workspace: "a", Key: "k1", Fingerprint: "spend 5", Result: `{"balance":95}`, Created: at(1)}
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "create b", tx.CreateWorkspace(ctx, workspace("b", "shared", "ann")))
		noErr(t, "PutIdempotency", tx.PutIdempotency(ctx, r))
		other := r
		other.Workspace = "b"
		noErr(t, "same key in another workspace", tx.PutIdempotency(ctx, other))
		wantErr(t, "PutIdempotency in a missing workspace", tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "zzz", Key: "k1"}), storage.ErrNotFound)
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		again := r
		again.Result, again.Fingerprint = `{"balance":90}`, "spend 10"
		wantErr(t, "PutIdempotency again", tx.PutIdempotency(ctx, again), storage.ErrExists)
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Idempotency(ctx, "a", "k1")
		noErr(t, "Idempotency", err)
		diff(t, "Idempotency(a, k1)", got, r)
		_, err = tx.Idempotency(ctx, "a", "k2")
		wantErr(t, "Idempotency(a, k2)", err, storage.ErrNotFound)
		return nil
	})
}
