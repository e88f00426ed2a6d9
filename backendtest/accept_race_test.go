package backendtest_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// TestConcurrentAcceptsOneInvitation races 50 users, all giving the invited
// address, to accept one email invitation: exactly one joins, every other
// gets ErrInvitationUsed (or a retryable ErrConflict), the invitation counts
// one use, and the trail one member.added.
func TestConcurrentAcceptsOneInvitation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		const n = 50
		s := newService(t, "team-guests", open(t), newClock())
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "Team", "business")).ID
		inv := must[charter.Invitation](t)(s.Invite(ctx, "ana", id, "kim@example.com", "member"))
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, errs[i] = s.Accept(ctx, fmt.Sprintf("u%02d", i), "kim@example.com", inv.Token)
			}()
		}
		close(start)
		wg.Wait()
		joined := 0
		for i, err := range errs {
			switch {
			case err == nil:
				joined++
			case errors.Is(err, charter.ErrInvitationUsed), errors.Is(err, charter.ErrConflict):
			default:
				t.Errorf("u%02d: %v", i, err)
			}
		}
		if joined != 1 {
			t.Errorf("%d users joined through one email invitation, want exactly 1", joined)
		}
		ws := must[*workspaceT](t)(s.Workspace(ctx, "ana", id))
		members := 0
		for i := range n {
			if _, ok := ws.Member(fmt.Sprintf("u%02d", i)); ok {
				members++
			}
		}
		if members != 1 {
			t.Errorf("%d of the racers are members, want 1", members)
		}
		for _, got := range must[[]charter.Invitation](t)(invitationsOf(s, "ana", id)) {
			if got.ID == inv.ID && got.Uses != 1 {
				t.Errorf("invitation has %d uses, want 1", got.Uses)
			}
		}
		added := 0
		for _, e := range must[[]charter.Event](t)(s.Events(ctx, id, 0, 1000)) {
			if e.Type == charter.EventMemberAdded {
				added++
			}
		}
		if added != 1 {
			t.Errorf("%d member.added events, want 1", added)
		}
	})
}

// TestAcceptAtExpiry accepts one invitation 1 µs before its expiry (it
// joins) and another exactly at it (ErrInvitationExpired, nothing written).
func TestAcceptAtExpiry(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "team-guests", open(t), c)
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "Team", "business")).ID
		before := must[charter.Invitation](t)(s.Invite(ctx, "ana", id, "pre@example.com", "member"))
		at := must[charter.Invitation](t)(s.Invite(ctx, "ana", id, "at@example.com", "member"))
		if !before.Expires.Equal(at.Expires) {
			t.Fatalf("two invitations at one instant expire at %v and %v", before.Expires, at.Expires)
		}
		c.Add(before.Expires.Sub(c.Now()) - time.Microsecond)
		must[*workspaceT](t)(s.Accept(ctx, "pre", "pre@example.com", before.Token))
		c.Add(time.Microsecond)
		if !c.Now().Equal(at.Expires) {
			t.Fatalf("clock %v, want exactly the expiry %v", c.Now(), at.Expires)
		}
		_, err := s.Accept(ctx, "at", "at@example.com", at.Token)
		wantErr(t, err, charter.ErrInvitationExpired)
		ws := must[*workspaceT](t)(s.Workspace(ctx, "ana", id))
		if _, ok := ws.Member("pre"); !ok {
			t.Error("accepted 1 µs before expiry, not a member")
		}
		if _, ok := ws.Member("at"); ok {
			t.Error("accepted exactly at expiry, yet a member")
		}
		for _, inv := range must[[]charter.Invitation](t)(invitationsOf(s, "ana", id)) {
			if inv.ID == at.ID && inv.Uses != 0 {
				t.Errorf("expired invitation has %d uses", inv.Uses)
			}
		}
	})
}
