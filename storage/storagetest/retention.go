package storagetest

import (
	"context"
	"testing"

	"github.com/charterhq/charter/storage"
)

// testDeleteEvents checks DeleteEvents of one workspace and of all, and
// that pruned numbers are never given again.
func testDeleteEvents(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		for i := range 10 {
			if _, err := tx.AppendEvent(ctx, event([]string{"a", "b"}[i%2], name("e", i+1))); err != nil {
				return err
			}
		}
		return nil
	})
	seqsOf := func(ws string) []int64 {
		t.Helper()
		var es []storage.Event
		view(t, s, func(tx storage.Tx) error {
			var err error
			es, err = tx.Events(ctx, ws, 0, 100)
			return err
		})
		return seqs(es)
	}
	deleted := func(ws string, through int64, want int) {
		t.Helper()
		var n int
		update(t, s, func(tx storage.Tx) error {
			var err error
			n, err = tx.DeleteEvents(ctx, ws, through)
			return err
		})
		if n != want {
			t.Errorf("DeleteEvents(%q, %d) = %d, want %d", ws, through, n, want)
		}
	}
	deleted("a", 6, 3) // 1, 3, 5
	diff(t, "events after pruning a through 6", seqsOf(""), []int64{2, 4, 6, 7, 8, 9, 10})
	diff(t, "a's events", seqsOf("a"), []int64{7, 9})
	var page []storage.Event
	view(t, s, func(tx storage.Tx) error {
		var err error
		page, err = tx.Events(ctx, "", 3, 2)
		return err
	})
	diff(t, "Events after 3, 2 of them", seqs(page), []int64{4, 6})
	deleted("", 4, 2) // 2, 4
	deleted("", 4, 0)
	diff(t, "events after pruning all through 4", seqsOf(""), []int64{6, 7, 8, 9, 10})
	deleted("", 100, 5)
	update(t, s, func(tx storage.Tx) error {
		seq, err := tx.AppendEvent(ctx, event("a", "after"))
		if seq != 11 {
			t.Errorf("AppendEvent after pruning everything = %d, want 11", seq)
		}
		return err
	})
	diff(t, "events after pruning everything", seqsOf(""), []int64{11})
}

// testDeleteInvitations checks that DeleteInvitations deletes exactly the
// invitations created before the time that can no longer be accepted then.
func testDeleteInvitations(t *testing.T, s storage.Store) {
	ctx := context.Background()
	seed(t, s) // a with invitation i1 (created at(1), open for 7 days), p
	invs := []storage.Invitation{
		invitation("a", "revoked", "t1", at(1)),
		invitation("a", "usedup", "t2", at(1)),
		invitation("a", "expired", "t3", at(1)),
		invitation("a", "later", "t4", at(10)),
		invitation("p", "other", "t5", at(1)),
	}
	invs[0].Revoked = true
	invs[1].Uses = 1
	invs[2].Expires = at(2)
	invs[3].Revoked = true
	invs[4].Revoked = true
	update(t, s, func(tx storage.Tx) error {
		for _, inv := range invs {
			if err := tx.CreateInvitation(ctx, inv); err != nil {
				return err
			}
		}
		return nil
	})
	deleted := func(ws string, before int, want int, left map[string][]string) {
		t.Helper()
		var n int
		update(t, s, func(tx storage.Tx) error {
			var err error
			n, err = tx.DeleteInvitations(ctx, ws, at(before))
			return err
		})
		if n != want {
			t.Errorf("DeleteInvitations(%q, at(%d)) = %d, want %d", ws, before, n, want)
		}
		view(t, s, func(tx storage.Tx) error {
			for ws, want := range left {
				got, err := allInvitations(ctx, tx, ws)
				noErr(t, "Invitations", err)
				var ids []string
				for _, inv := range got {
					ids = append(ids, inv.ID)
				}
				diff(t, "invitations of "+ws, ids, want)
			}
			return nil
		})
	}
	deleted("a", 5, 3, map[string][]string{"a": {"i1", "later"}, "p": {"other"}})
	view(t, s, func(tx storage.Tx) error {
		_, err := tx.InvitationByToken(ctx, "t1")
		wantErr(t, "InvitationByToken of a deleted invitation", err, storage.ErrNotFound)
		pending, err := tx.PendingInvitations(ctx, "a", at(5))
		noErr(t, "PendingInvitations", err)
		if len(pending) != 1 || pending[0].ID != "i1" {
			t.Errorf("PendingInvitations(a) = %v, want i1", pending)
		}
		return nil
	})
	// i1 expires at(1) + 7 days = at(169).
	deleted("", 100, 2, map[string][]string{"a": {"i1"}, "p": nil})
	deleted("", 169, 1, map[string][]string{"a": nil})
}
