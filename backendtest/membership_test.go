package backendtest_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// Membership rules under races and plan changes, found by a review and kept
// as tests on every backend.

// TestLinkGivesTheCurrentPlansLinkRole: seed 003's links add people "as a
// Member (on the Business plan) or as an Admin (on the Starter plan)"; a link
// made on Starter gives Member once the workspace is on Business.
func TestLinkGivesTheCurrentPlansLinkRole(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "team-guests", open(t), newClock())
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ada", "Team", "starter")).ID
		link := must[charter.Invitation](t)(s.CreateLink(ctx, "ada", id, 50, 0))
		check(t, s.ChangePlan(ctx, "ada", id, "business"))
		ws := must[*workspaceT](t)(s.Accept(ctx, "zed", "", link.Token))
		if r := ws.Role("zed").Name; r != "member" {
			t.Errorf("joined a Business workspace through a link as %s, want member (the plan's link role)", r)
		}
	})
}

// TestSingleUseLinkUsedOnceUnderRace: a single-use link accepted by 16 users
// at once admits exactly one.
func TestSingleUseLinkUsedOnceUnderRace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "team-guests", open(t), newClock())
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ada", "Team", "business")).ID
		for round := range 10 {
			link := must[charter.Invitation](t)(s.CreateLink(ctx, "ada", id, 1, 0))
			var wg sync.WaitGroup
			var mu sync.Mutex
			joined := 0
			for i := range 16 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Accept(ctx, fmt.Sprintf("u%d-%d", round, i), "", link.Token); err == nil {
						mu.Lock()
						joined++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if joined != 1 {
				var uses int
				for _, inv := range must[[]charter.Invitation](t)(invitationsOf(s, "ada", id)) {
					if inv.ID == link.ID {
						uses = inv.Uses
					}
				}
				t.Fatalf("round %d: single-use link admitted %d users; it records Uses=%d", round, joined, uses)
			}
		}
	})
}

// TestAcceptAfterRevokeRefused: when Revoke races Accept, no member joins
// after the revocation committed (events are in commit order).
func TestAcceptAfterRevokeRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "team-guests", open(t), newClock())
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ada", "Team", "business")).ID
		bad := 0
		for round := range 40 {
			link := must[charter.Invitation](t)(s.CreateLink(ctx, "ada", id, 100, 0))
			var wg sync.WaitGroup
			var revokedAt, acceptErr error
			var accepted bool
			wg.Add(2)
			go func() { defer wg.Done(); revokedAt = s.Revoke(ctx, "ada", id, link.ID) }()
			go func() {
				defer wg.Done()
				_, acceptErr = s.Accept(ctx, fmt.Sprintf("r%d", round), "", link.Token)
				accepted = acceptErr == nil
			}()
			wg.Wait()
			check(t, revokedAt)
			if accepted {
				// Accepted: the acceptance must be ordered before the
				// revocation in the event log.
				evs := must[[]charter.Event](t)(s.Events(ctx, id, 0, 10000))
				var revSeq, addSeq int64
				for _, e := range evs {
					if e.Type == charter.EventInvitationRevoked && e.Subject == link.ID {
						revSeq = e.Seq
					}
					if e.Type == charter.EventMemberAdded && e.Subject == fmt.Sprintf("r%d", round) {
						addSeq = e.Seq
					}
				}
				if addSeq > revSeq {
					bad++
				}
			}
		}
		if bad > 0 {
			t.Errorf("%d of 40 rounds: a member joined through a link after its revocation committed", bad)
		}
	})
}

// TestConcurrentCreateWorkspaceKeepsLicence: seed 002's Individual licence
// allows 1 shared workspace, also to 8 CreateWorkspace calls at once.
func TestConcurrentCreateWorkspaceKeepsLicence(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "coins", open(t), newClock())
		for round := range 5 {
			user := fmt.Sprintf("ivy%d", round)
			p := must[*workspaceT](t)(s.EnsurePersonal(ctx, user))
			check(t, s.ChangePlan(ctx, user, p.ID, "individual"))
			var wg sync.WaitGroup
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, err := s.CreateWorkspace(ctx, user, fmt.Sprintf("W%d", i), "")
					if err != nil && !errors.Is(err, charter.ErrLimitExceeded) && !errors.Is(err, charter.ErrConflict) {
						t.Errorf("CreateWorkspace: %v", err)
					}
				}()
			}
			wg.Wait()
			shared := 0
			for _, m := range workspacesOf(t, s, user) {
				if m.Owner && m.Kind.String() == "shared" {
					shared++
				}
			}
			if shared > 1 {
				t.Fatalf("round %d: %s owns %d shared workspaces, the Individual licence allows 1", round, user, shared)
			}
		}
	})
}

// TestRemovedInvitersInvitationRefused: an invitation carries its inviter's
// authority, so one from an admin removed since is refused as revoked.
func TestRemovedInvitersInvitationRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "team-guests", open(t), newClock())
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ada", "Team", "business")).ID
		join(t, s, "ada", id, "bob", "admin")
		inv := must[charter.Invitation](t)(s.Invite(ctx, "bob", id, "eve@example.com", "admin"))
		check(t, s.Remove(ctx, "ada", id, "bob"))
		_, err := s.Accept(ctx, "eve", "eve@example.com", inv.Token)
		wantErr(t, err, charter.ErrInvitationRevoked)
		if ws := must[*workspaceT](t)(s.Workspace(ctx, "ada", id)); ws.Role("eve") != nil {
			t.Errorf("eve joined as %s", ws.Role("eve").Name)
		}
	})
}

// TestTransferChecksRecipientsLicence: the shared workspaces a user may own
// come from their licence (the plan of their personal workspace), and an
// ownership transfer counts against the recipient's.
func TestTransferChecksRecipientsLicence(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := licenceService(t, open)
		// bob's licence (none) allows no shared workspace.
		pb := must[*workspaceT](t)(s.EnsurePersonal(ctx, "bob"))
		check(t, s.ChangePlan(ctx, "bob", pb.ID, "none"))
		_, err := s.CreateWorkspace(ctx, "bob", "B", "")
		wantErr(t, err, charter.ErrLimitExceeded)

		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "A", "")).ID
		join(t, s, "ana", id, "bob", "admin")
		err = s.TransferOwnership(ctx, "ana", id, "bob")
		wantErr(t, err, charter.ErrLimitExceeded)
		if n := ownedShared(t, s, "bob"); n != 0 {
			t.Errorf("bob owns %d shared workspaces, his licence none allows 0", n)
		}
	})
}

// TestGuestToGuestIsNoOp: changing a guest's role to the guest role they
// already hold changes nothing and is not an error.
func TestGuestToGuestIsNoOp(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "team-guests", open(t), newClock())
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "Team", "business")).ID
		g := must[charter.Invitation](t)(s.InviteGuest(ctx, "ana", id, "gus@example.com", "roadmap"))
		must[*workspaceT](t)(s.Accept(ctx, "gus", "gus@example.com", g.Token))
		before := must[[]charter.Event](t)(s.Events(ctx, id, 0, 100))
		check(t, s.ChangeRole(ctx, "ana", id, "gus", "guest"))
		after := must[[]charter.Event](t)(s.Events(ctx, id, 0, 100))
		if len(after) != len(before) {
			t.Errorf("a no-op role change recorded %d events", len(after)-len(before))
		}
		ws := must[*workspaceT](t)(s.Workspace(ctx, "ana", id))
		if m := member(ws, "gus"); m.Role.Name != "guest" || len(m.Projects) != 1 {
			t.Errorf("gus = %s %v, want guest on roadmap", m.Role.Name, m.Projects)
		}
	})
}
