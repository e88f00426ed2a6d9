package backendtest_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// TestConcurrentMembership races 32 goroutines that demote, promote, remove,
// transfer ownership and accept invitations on one workspace, and checks the
// invariants afterwards: one owner, limits kept, every invitation used at most
// as often as it allows, the member count equal to joins minus departures.
func TestConcurrentMembership(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		p := loadMachinePolicy(t)
		store := open(t)
		defer store.Close()
		s, err := charter.New(p, store, charter.Options{Now: c.Now})
		check(t, err)
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "u0", "Race", "team")).ID
		join(t, s, "u0", id, "a1", "admin")
		join(t, s, "u0", id, "a2", "admin")
		// Pending invitations hold their places, so the race is between the
		// goroutines accepting one single-use token each.
		var tokens []string
		for i := range 1 {
			inv := must[charter.Invitation](t)(s.Invite(ctx, "a1", id, fmt.Sprintf("n%d@example.com", i), "viewer"))
			tokens = append(tokens, inv.Token)
		}
		link := must[charter.Invitation](t)(s.CreateLink(ctx, "u0", id, 1, 0))

		var mu sync.Mutex
		joined, left := 3, 0
		var wg sync.WaitGroup
		people := []string{"u0", "a1", "a2", "n0", "l0", "l1"}
		for g := range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(g), 1))
				for i := range 20 {
					actor, target := people[r.IntN(len(people))], people[r.IntN(len(people))]
					var err error
					switch r.IntN(5) {
					case 0:
						err = s.ChangeRole(ctx, actor, id, target, []string{"admin", "member", "viewer"}[r.IntN(3)])
					case 1:
						err = s.Remove(ctx, actor, id, target)
						if err == nil {
							mu.Lock()
							left++
							mu.Unlock()
						}
					case 2:
						err = s.TransferOwnership(ctx, actor, id, target)
					case 3:
						k := r.IntN(len(tokens))
						_, err = s.Accept(ctx, fmt.Sprintf("n%d", k), fmt.Sprintf("n%d@example.com", k), tokens[k])
						if err == nil {
							mu.Lock()
							joined++
							mu.Unlock()
						}
					case 4:
						_, err = s.Accept(ctx, fmt.Sprintf("l%d", i%2), "", link.Token)
						if err == nil {
							mu.Lock()
							joined++
							mu.Unlock()
						}
					}
					if err != nil && !isClean(err) && !errors.Is(err, charter.ErrConflict) {
						t.Errorf("unexpected error: %v", err)
					}
				}
			}()
		}
		wg.Wait()

		var owner string
		for _, u := range people {
			if ws, err := s.Workspace(ctx, u, id); err == nil {
				owner = ws.Owner
				break
			}
		}
		ws := must[*workspaceT](t)(s.Workspace(ctx, owner, id))
		check(t, ws.Check())
		if got := ws.Len(); got != joined-left {
			t.Errorf("%d members, want %d joined - %d left", got, joined, left)
		}
		cnt := ws.Counts()
		if lim := ws.Plan.Limits; !lim.Members.Allows(cnt.Members) || !lim.Seats.Allows(cnt.Seats) {
			t.Errorf("counts %+v exceed limits %+v", cnt, lim)
		}
		for _, inv := range must[[]charter.Invitation](t)(invitationsOf(s, owner, id)) {
			if inv.Uses > inv.MaxUses {
				t.Errorf("invitation %s used %d times, allows %d", inv.ID, inv.Uses, inv.MaxUses)
			}
		}
	})
}
