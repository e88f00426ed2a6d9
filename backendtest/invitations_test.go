package backendtest_test

import (
	"sync"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// TestInvitationLifecycle checks each way an invitation stops working:
// revoked, expired, used up; and that a link gives the plan's link role up
// to its number of uses.
func TestInvitationLifecycle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "team-guests", open(t), c)
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "Team", "business")).ID

		revoked := must[charter.Invitation](t)(s.Invite(ctx, "ana", id, "rev@example.com", "member"))
		check(t, s.Revoke(ctx, "ana", id, revoked.ID))
		_, err := s.Accept(ctx, "rev", "rev@example.com", revoked.Token)
		wantErr(t, err, charter.ErrInvitationRevoked)

		late := must[charter.Invitation](t)(s.Invite(ctx, "ana", id, "late@example.com", "member"))
		if got := late.Expires.Sub(late.Created); got != 7*24*time.Hour {
			t.Errorf("invitation valid for %v, want 7 days", got)
		}
		if len(late.Token) < 22 { // 128 bits in base64url
			t.Errorf("token %q shorter than 128 bits", late.Token)
		}
		c.Add(7*24*time.Hour + time.Second)
		_, err = s.Accept(ctx, "late", "late@example.com", late.Token)
		wantErr(t, err, charter.ErrInvitationExpired)

		_, err = s.Accept(ctx, "x", "x@example.com", "not-a-token")
		wantErr(t, err, charter.ErrNotFound)

		link := must[charter.Invitation](t)(s.CreateLink(ctx, "ana", id, 2, time.Hour))
		for _, u := range []string{"l1", "l2"} {
			ws := must[*workspaceT](t)(s.Accept(ctx, u, "", link.Token))
			if r := ws.Role(u).Name; r != "member" {
				t.Errorf("%s joined through the link as %s, want member", u, r)
			}
		}
		_, err = s.Accept(ctx, "l3", "", link.Token)
		wantErr(t, err, charter.ErrInvitationUsed)

		// Nothing about the token is stored: listing shows no token.
		for _, inv := range must[[]charter.Invitation](t)(invitationsOf(s, "ana", id)) {
			if inv.Token != "" {
				t.Errorf("listed invitation %s carries its token", inv.ID)
			}
		}
	})
}

// TestEnsurePersonalConcurrent calls EnsurePersonal for one user from 16
// goroutines: all get the same workspace, and the user has exactly one.
func TestEnsurePersonalConcurrent(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "spaces", open(t), newClock())
		ids := make([]string, 16)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ws, err := s.EnsurePersonal(ctx, "pat")
				if err != nil {
					t.Errorf("EnsurePersonal: %v", err)
					return
				}
				ids[i] = ws.ID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("EnsurePersonal gave different workspaces: %v", ids)
			}
		}
		if ms := workspacesOf(t, s, "pat"); len(ms) != 1 {
			t.Errorf("pat has %d workspaces, want 1 personal", len(ms))
		}
	})
}
