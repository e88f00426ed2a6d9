package charter_test

import (
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// Cases the state machines found, kept as plain tests on every backend.

// TestSameInstantTopUpsBurnByID: two top-ups made at one instant burn in lot
// ID order (the documented burn order's last key), whatever order they came
// in.
func TestSameInstantTopUpsBurnByID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "credit-pool", open(t), newClock())
		id := spendPool(t, s, 0)
		must[charter.Receipt](t)(s.Fund(ctx, "own", id, "credits", 1, time.Time{}, "k2"))
		must[charter.Receipt](t)(s.Fund(ctx, "own", id, "credits", 1, time.Time{}, "k0"))
		r := must[charter.Receipt](t)(s.Spend(ctx, "edi", id, "create_visuals", "s1"))
		if len(r.Lots) != 1 || r.Lots[0].Grant != "key:k0" {
			t.Errorf("spend burned %+v, want lot key:k0 first", r.Lots)
		}
	})
}

// TestKeysAreStorable: keys with NUL bytes or invalid UTF-8 are refused as
// invalid input before they reach a store (PostgreSQL text cannot hold NUL),
// and any other key works on every backend.
func TestKeysAreStorable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "credit-pool", open(t), newClock())
		id := spendPool(t, s, 5)
		for _, k := range []string{"a\x00b", "\xff", ""} {
			_, err := s.Spend(ctx, "edi", id, "create_visuals", k)
			wantErr(t, err, charter.ErrInvalid)
		}
		must[charter.Receipt](t)(s.Spend(ctx, "edi", id, "create_visuals", "ключ/🔑 with spaces"))
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
		if m := ws.Members["gus"]; m.Role.Name != "guest" || len(m.Projects) != 1 {
			t.Errorf("gus = %s %v, want guest on roadmap", m.Role.Name, m.Projects)
		}
	})
}
