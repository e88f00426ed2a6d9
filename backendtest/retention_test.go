package backendtest_test

import (
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// TestRetention prunes a workspace's closed invitations and its processed
// events through the Service: open invitations stay and still work, a
// pruned one's token is unknown, events after the cut stay, and the
// sequence goes on.
func TestRetention(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "team-guests", open(t), c)
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "Team", "business")).ID
		other := must[*workspaceT](t)(s.CreateWorkspace(ctx, "bo", "Other", "business")).ID

		revoked := must[charter.Invitation](t)(s.Invite(ctx, "ana", id, "rev@example.com", "member"))
		check(t, s.Revoke(ctx, "ana", id, revoked.ID))
		used := must[charter.Invitation](t)(s.Invite(ctx, "ana", id, "use@example.com", "member"))
		must[*workspaceT](t)(s.Accept(ctx, "use", "use@example.com", used.Token))
		otherRevoked := must[charter.Invitation](t)(s.Invite(ctx, "bo", other, "x@example.com", "member"))
		check(t, s.Revoke(ctx, "bo", other, otherRevoked.ID))
		c.Add(time.Hour)
		pending := must[charter.Invitation](t)(s.Invite(ctx, "ana", id, "open@example.com", "member"))
		c.Add(time.Hour)

		if n := must[int](t)(s.PruneInvitations(ctx, id, c.Now())); n != 2 {
			t.Errorf("PruneInvitations(%s) = %d, want 2 (revoked, used)", id, n)
		}
		left := must[[]charter.Invitation](t)(invitationsOf(s, "ana", id))
		if len(left) != 1 || left[0].ID != pending.ID {
			t.Errorf("invitations left = %v, want only the open one", left)
		}
		_, err := s.Accept(ctx, "rev", "rev@example.com", revoked.Token)
		wantErr(t, err, charter.ErrNotFound)
		if n := must[int](t)(s.PruneInvitations(ctx, "", c.Now())); n != 1 {
			t.Errorf("PruneInvitations of every workspace = %d, want 1 (the other's)", n)
		}
		must[*workspaceT](t)(s.Accept(ctx, "open", "open@example.com", pending.Token))
		// Expired after 7 days: pruned then, not before.
		late := must[charter.Invitation](t)(s.Invite(ctx, "ana", id, "late@example.com", "member"))
		c.Add(7 * 24 * time.Hour)
		if n := must[int](t)(s.PruneInvitations(ctx, id, late.Expires.Add(-time.Second))); n != 1 { // open, now used
			t.Errorf("PruneInvitations before the expiry = %d, want 1", n)
		}
		if n := must[int](t)(s.PruneInvitations(ctx, id, late.Expires)); n != 1 {
			t.Errorf("PruneInvitations at the expiry = %d, want 1", n)
		}

		all := must[[]charter.Event](t)(s.Events(ctx, "", 0, 1000))
		mine := must[[]charter.Event](t)(s.Events(ctx, id, 0, 1000))
		cut := mine[len(mine)/2].Seq
		var want int
		for _, e := range mine {
			if e.Seq <= cut {
				want++
			}
		}
		if n := must[int](t)(s.PruneEvents(ctx, id, cut)); n != want {
			t.Errorf("PruneEvents(%s, %d) = %d, want %d", id, cut, n, want)
		}
		after := must[[]charter.Event](t)(s.Events(ctx, "", 0, 1000))
		if len(after) != len(all)-want {
			t.Errorf("%d events after pruning, want %d", len(after), len(all)-want)
		}
		for _, e := range after {
			if e.Workspace == id && e.Seq <= cut {
				t.Errorf("event %d of %s outlived the cut at %d", e.Seq, id, cut)
			}
		}
		if n := must[int](t)(s.PruneEvents(ctx, "", all[len(all)-1].Seq)); n != len(after) {
			t.Errorf("PruneEvents of every workspace = %d, want %d", n, len(after))
		}
		check(t, s.Rename(ctx, "ana", id, "Renamed"))
		es := must[[]charter.Event](t)(s.Events(ctx, "", 0, 1000))
		if len(es) != 1 || es[0].Seq != all[len(all)-1].Seq+1 {
			t.Errorf("events after pruning all and a rename = %v, want one numbered %d", es, all[len(all)-1].Seq+1)
		}
		_, err = s.PruneEvents(ctx, "bad\x00id", 1)
		wantErr(t, err, charter.ErrInvalid)
	})
}
