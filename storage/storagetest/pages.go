package storagetest

import (
	"context"
	"testing"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// allInvitations reads a workspace's invitations two at a time, following
// the keys, so that every read of them tests paging too.
func allInvitations(ctx context.Context, tx storage.Tx, ws string) ([]storage.Invitation, error) {
	var out []storage.Invitation
	var after *storage.InvitationKey
	for {
		page, err := tx.Invitations(ctx, ws, after, 2)
		if err != nil || len(page) < 2 {
			return append(out, page...), err
		}
		out = append(out, page...)
		last := page[len(page)-1]
		after = &storage.InvitationKey{Created: last.Created, ID: last.ID}
	}
}

// testInvitationPages walks a workspace's invitations, several created at
// the same instant, in pages of every size: each page continues where the
// key of the last one left off, in the listing's order.
func testInvitationPages(t *testing.T, s storage.Store) {
	ctx := context.Background()
	seed(t, s) // i1 in a, at(1)
	var want []string
	update(t, s, func(tx storage.Tx) error {
		for i := range 12 {
			// Created at(0), at(0), at(0), at(2), ...: ties ordered by ID,
			// IDs given out of order.
			inv := invitation("a", name("n", 11-i), name("tok", i), at(2*(i/3)))
			if err := tx.CreateInvitation(ctx, inv); err != nil {
				return err
			}
		}
		return tx.CreateInvitation(ctx, invitation("p", "elsewhere", "tokp", at(0)))
	})
	want = []string{"n009", "n010", "n011", "i1", "n006", "n007", "n008", "n003", "n004", "n005", "n000", "n001", "n002"}
	for _, size := range []int{1, 2, 5, 13, 100} {
		var got []string
		var after *storage.InvitationKey
		for pages := 0; ; pages++ {
			if pages > 20 {
				t.Fatalf("page size %d: no end after 20 pages", size)
			}
			var page []storage.Invitation
			view(t, s, func(tx storage.Tx) error {
				var err error
				page, err = tx.Invitations(ctx, "a", after, size)
				return err
			})
			if len(page) > size {
				t.Fatalf("page of %d invitations, limit %d", len(page), size)
			}
			for _, inv := range page {
				got = append(got, inv.ID)
			}
			if len(page) < size {
				break
			}
			last := page[len(page)-1]
			after = &storage.InvitationKey{Created: last.Created, ID: last.ID}
		}
		diff(t, "invitations in pages of "+name("", size), got, want)
	}
}

// testSpendRows checks that the spend table read in pages is the table
// credits.SpendTable computes from the whole journal.
func testSpendRows(t *testing.T, s storage.Store) {
	ctx := context.Background()
	seed(t, s)
	spend := func(member string, period, amount int64) credits.Entry {
		return credits.Entry{Currency: "credits", Kind: credits.KindSpend, Grant: "g1", Amount: -amount,
			Member: member, Action: "generate", Key: "k", Period: period, Time: at(5)}
	}
	refund := func(member string, period, amount int64) credits.Entry {
		e := spend(member, period, -amount)
		e.Kind = credits.KindRefund
		return e
	}
	es := []credits.Entry{
		spend("bob", 0, 5), spend("ann", 0, 3), spend("bob", 0, 2), refund("bob", 0, 4),
		{Currency: "credits", Kind: credits.KindGrant, Grant: "g1", Amount: 100, Period: 1, Time: at(5)},
		spend("cat", 1, 7), spend("ann", 1, 1), refund("dan", 1, 9), // a refund alone makes no row
		spend("bob", 2, 8), refund("bob", 2, 8), // a row at 0
		spend("ann", 3, 2), spend("bob", 3, 2), spend("cat", 3, 2), spend("dan", 3, 2),
	}
	other := spend("ann", 0, 50)
	other.Currency = "tokens"
	update(t, s, func(tx storage.Tx) error {
		if err := tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "tokens"}); err != nil {
			return err
		}
		return tx.AppendEntries(ctx, "a", append(es, other))
	})
	var journal []credits.Entry // seed's entries and es
	view(t, s, func(tx storage.Tx) error {
		all, err := tx.Entries(ctx, "a", "credits", 0, 1000)
		for _, e := range all {
			journal = append(journal, e.Entry)
		}
		return err
	})
	want := credits.SpendTable(journal)
	if len(want) < 9 {
		t.Fatalf("the journal makes %d rows, want at least 9: %v", len(want), want)
	}
	for _, size := range []int{1, 2, 4, 9, 100} {
		var got []credits.SpendRow
		var after *storage.SpendKey
		for {
			var page []credits.SpendRow
			view(t, s, func(tx storage.Tx) error {
				var err error
				page, err = tx.SpendRows(ctx, "a", "credits", after, size)
				return err
			})
			if len(page) > size {
				t.Fatalf("page of %d rows, limit %d", len(page), size)
			}
			got = append(got, page...)
			if len(page) < size || len(got) > len(want) {
				break
			}
			last := page[len(page)-1]
			after = &storage.SpendKey{Period: last.Period, Member: last.Member}
		}
		diff(t, "spend table in pages of "+name("", size), got, want)
	}
	view(t, s, func(tx storage.Tx) error {
		rows, err := tx.SpendRows(ctx, "a", "none", nil, 10)
		noErr(t, "SpendRows of no pool", err)
		diff(t, "SpendRows of no pool", rows, []credits.SpendRow(nil))
		return nil
	})
}
