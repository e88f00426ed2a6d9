package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// testTimePrecision: every time a store keeps comes back in UTC at
// microsecond precision, whatever zone, nanoseconds or monotonic reading
// it was given, before the epoch too, and the zero time stays zero.
func testTimePrecision(t *testing.T, s storage.Store) {
	ctx := context.Background()
	zone := time.FixedZone("UTC-7", -7*3600)
	// Nanoseconds and a zone: what a caller might pass.
	in := time.Date(2031, 7, 1, 23, 59, 59, 123456789, zone)
	want := time.Date(2031, 7, 2, 6, 59, 59, 123456000, time.UTC)
	old := time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC) // before the Unix epoch
	oldWant := time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC)

	w := workspace("a", "shared", "ann")
	w.Created, w.Anchor = in, old
	inv := invitation("a", "i1", "tok1", in)
	inv.Expires = old
	g := grant("g1", 10, 10)
	g.Created, g.Expires = in, time.Time{}
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "workspace", tx.CreateWorkspace(ctx, w))
		noErr(t, "member", tx.PutMember(ctx, storage.Member{Workspace: "a", User: "ann", Role: "owner", Joined: in}))
		noErr(t, "invitation", tx.CreateInvitation(ctx, inv))
		e := event("a", "t")
		e.Time = in
		_, err := tx.AppendEvent(ctx, e)
		noErr(t, "event", err)
		noErr(t, "pool", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "credits"}))
		noErr(t, "grant", tx.PutGrant(ctx, "a", "credits", g))
		en := entry("credits", "grant", 10)
		en.Time = in
		// One before the epoch expiring at a time with nanoseconds, and
		// one saved with a ledger change, as a spend's is.
		en2 := entry("credits", "grant", 20)
		en2.Time, en2.Expires = old, in
		noErr(t, "entries", tx.AppendEntries(ctx, "a", []credits.Entry{en, en2}))
		en3 := entry("credits", "spend", -1)
		en3.Time, en3.Expires = in, old
		noErr(t, "SaveLedger", storage.SaveLedger(ctx, tx, storage.LedgerChange{Workspace: "a", Currency: "credits", Entries: []credits.Entry{en3}}))
		noErr(t, "idempotency", tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "a", Key: "k", Created: in}))
		return nil
	})
	check := func(what string, got, want time.Time) {
		t.Helper()
		if !got.Equal(want) || got.Location() != time.UTC || got != want {
			t.Errorf("%s = %v (%v), want %v in UTC", what, got, got.Location(), want)
		}
	}
	view(t, s, func(tx storage.Tx) error {
		w, err := tx.Workspace(ctx, "a")
		noErr(t, "Workspace", err)
		check("Workspace.Created", w.Created, want)
		check("Workspace.Anchor", w.Anchor, oldWant)
		m, err := tx.Member(ctx, "a", "ann")
		noErr(t, "Member", err)
		check("Member.Joined", m.Joined, want)
		inv, err := tx.Invitation(ctx, "a", "i1")
		noErr(t, "Invitation", err)
		check("Invitation.Created", inv.Created, want)
		check("Invitation.Expires", inv.Expires, oldWant)
		es, err := tx.Events(ctx, "a", 0, 10)
		noErr(t, "Events", err)
		check("Event.Time", es[0].Time, want)
		gs, err := tx.Grants(ctx, "a", "credits")
		noErr(t, "Grants", err)
		check("Grant.Created", gs[0].Created, want)
		if !gs[0].Expires.IsZero() {
			t.Errorf("zero Grant.Expires = %v, want the zero time", gs[0].Expires)
		}
		ens, err := tx.Entries(ctx, "a", "credits", 0, 10)
		noErr(t, "Entries", err)
		if len(ens) != 3 {
			t.Fatalf("%d entries, want 3", len(ens))
		}
		check("Entry.Time", ens[0].Time, want)
		check("Entry.Time before the epoch", ens[1].Time, oldWant)
		check("Entry.Expires", ens[1].Expires, want)
		check("saved Entry.Time", ens[2].Time, want)
		check("saved Entry.Expires before the epoch", ens[2].Expires, oldWant)
		r, err := tx.Idempotency(ctx, "a", "k")
		noErr(t, "Idempotency", err)
		check("Idempotency.Created", r.Created, want)
		return nil
	})
	// A lot read back and saved with one of its times changed (to one with
	// nanoseconds and a zone) keeps that time as the store keeps times,
	// whichever it was.
	for _, created := range []bool{true, false} {
		update(t, s, func(tx storage.Tx) error {
			gs, err := tx.Grants(ctx, "a", "credits")
			noErr(t, "Grants", err)
			g := gs[0]
			if created {
				g.Created = in.Add(time.Hour)
			} else {
				g.Expires = in.Add(2 * time.Hour)
			}
			return storage.SaveLedger(ctx, tx, storage.LedgerChange{Workspace: "a", Currency: "credits", Put: []credits.Grant{g}})
		})
		view(t, s, func(tx storage.Tx) error {
			gs, err := tx.Grants(ctx, "a", "credits")
			noErr(t, "Grants", err)
			if created {
				check("Grant.Created saved over", gs[0].Created, want.Add(time.Hour))
			} else {
				check("Grant.Created kept", gs[0].Created, want.Add(time.Hour))
				check("Grant.Expires saved over", gs[0].Expires, want.Add(2*time.Hour))
			}
			return nil
		})
	}
}
