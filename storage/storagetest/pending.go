package storagetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/charterhq/charter/storage"
)

// pendingAt is what PendingInvitations must return of invs at now.
// Invitations are in creation order, then by ID.
func pendingAt(invs []storage.Invitation, now time.Time) []storage.Invitation {
	out := slices.DeleteFunc(slices.Clone(invs), func(inv storage.Invitation) bool {
		return inv.Revoked || inv.Uses >= inv.MaxUses || !now.Before(inv.Expires)
	})
	slices.SortFunc(out, func(a, b storage.Invitation) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// testPendingInvitations checks PendingInvitations on each kind of
// invitation, at the edges of expiry, through revocation, reuse and a
// rolled-back change, and against another workspace's.
func testPendingInvitations(t *testing.T, s storage.Store) {
	ctx := context.Background()
	now := at(100)
	inv := func(id string, expires time.Time, maxUses, uses int, revoked bool) storage.Invitation {
		i := invitation("a", id, "tok-"+id, at(1))
		i.Expires, i.MaxUses, i.Uses, i.Revoked = expires, maxUses, uses, revoked
		return i
	}
	pending := inv("pending", now.Add(time.Hour), 1, 0, false)
	link := inv("link", now.Add(time.Microsecond), 5, 4, false)
	all := []storage.Invitation{
		pending, link,
		inv("revoked", now.Add(time.Hour), 1, 0, true),
		inv("used", now.Add(time.Hour), 1, 1, false),
		inv("link-used", now.Add(time.Hour), 5, 5, false),
		inv("expires-now", now, 1, 0, false),
		inv("expired", now.Add(-time.Hour), 1, 0, false),
	}
	other := invitation("b", "other", "tok-other", at(1))
	other.Expires = now.Add(time.Hour)
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "create b", tx.CreateWorkspace(ctx, workspace("b", "shared", "bob")))
		for _, i := range append(all, other) {
			noErr(t, "CreateInvitation("+i.ID+")", tx.CreateInvitation(ctx, i))
		}
		return nil
	})
	check := func(what string, now time.Time, want ...storage.Invitation) {
		t.Helper()
		view(t, s, func(tx storage.Tx) error {
			got, err := tx.PendingInvitations(ctx, "a", now)
			noErr(t, what, err)
			diff(t, what, got, want)
			return nil
		})
	}
	check("PendingInvitations(a, now)", now, link, pending) // by creation, then ID
	check("PendingInvitations(a) a microsecond later", now.Add(time.Microsecond), pending)
	check("PendingInvitations(a) a nanosecond before now", now.Add(-time.Nanosecond), pendingAt(all, now.Add(-time.Nanosecond))...)

	pending.Revoked = true
	link.Uses = 5
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "revoke", tx.UpdateInvitation(ctx, pending))
		return tx.UpdateInvitation(ctx, link)
	})
	check("PendingInvitations(a) after a revocation and a last use", now)
	link.Uses = 4
	update(t, s, func(tx storage.Tx) error { return tx.UpdateInvitation(ctx, link) })
	check("PendingInvitations(a) after a use was given back", now, link)
	err := s.Update(ctx, func(tx storage.Tx) error {
		link.Revoked = true
		noErr(t, "revoke", tx.UpdateInvitation(ctx, link))
		return errBoom
	})
	wantErr(t, "rolled-back revocation", err, errBoom)
	link.Revoked = false
	check("PendingInvitations(a) after a rolled-back revocation", now, link)
	update(t, s, func(tx storage.Tx) error { return tx.DeleteWorkspace(ctx, "a") })
	check("PendingInvitations(a) after a was deleted", now)
	// a made again, with a revoked invitation of the ID of one that was
	// pending when a was deleted.
	again := inv("link", now.Add(time.Hour), 5, 0, true)
	again.TokenHash = "tok-again"
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		return tx.CreateInvitation(ctx, again)
	})
	check("PendingInvitations(a) after a was made again", now)
}

// testPendingProperty creates invitations in random states, changes some,
// and checks PendingInvitations at several times against the definition
// applied to Invitations.
func testPendingProperty(t *testing.T, s storage.Store) {
	ctx := context.Background()
	var runs atomic.Int64
	rapid.Check(t, func(rt *rapid.T) {
		ws := fmt.Sprint("w", runs.Add(1))
		n := rapid.IntRange(0, 8).Draw(rt, "invitations")
		var invs []storage.Invitation
		for i := range n {
			inv := invitation(ws, fmt.Sprint(ws, "-", i), fmt.Sprint("tok-", ws, "-", i), at(rapid.IntRange(0, 3).Draw(rt, "created")))
			inv.MaxUses = rapid.IntRange(1, 3).Draw(rt, "max uses")
			inv.Uses = rapid.IntRange(0, inv.MaxUses).Draw(rt, "uses")
			inv.Revoked = rapid.Bool().Draw(rt, "revoked")
			inv.Expires = at(rapid.IntRange(0, 6).Draw(rt, "expires"))
			invs = append(invs, inv)
		}
		err := s.Update(ctx, func(tx storage.Tx) error {
			if err := tx.CreateWorkspace(ctx, workspace(ws, "shared", "ann")); err != nil {
				return err
			}
			for _, inv := range invs {
				if err := tx.CreateInvitation(ctx, inv); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			rt.Fatalf("create: %v", err)
		}
		for i := range invs {
			if rapid.Bool().Draw(rt, "change") {
				invs[i].Uses = rapid.IntRange(0, invs[i].MaxUses).Draw(rt, "new uses")
				invs[i].Revoked = rapid.Bool().Draw(rt, "new revoked")
				if err := s.Update(ctx, func(tx storage.Tx) error { return tx.UpdateInvitation(ctx, invs[i]) }); err != nil {
					rt.Fatalf("update: %v", err)
				}
			}
		}
		err = s.View(ctx, func(tx storage.Tx) error {
			all, err := allInvitations(ctx, tx, ws)
			if err != nil {
				return err
			}
			for h := range 8 {
				now := at(h).Add(time.Duration(rapid.IntRange(-1, 1).Draw(rt, "off")) * time.Microsecond)
				got, err := tx.PendingInvitations(ctx, ws, now)
				if err != nil {
					return err
				}
				if d := cmpDiff(pendingAt(all, now), got); d != "" {
					rt.Fatalf("PendingInvitations at %v mismatch (-want +got):\n%s", now, d)
				}
			}
			return nil
		})
		if err != nil {
			rt.Fatal(err)
		}
	})
}
