package backendtest_test

import (
	"fmt"
	"testing"

	"github.com/charterhq/charter"
)

// TestNoStaleAllowAcrossInstances runs two Services, each with its own store
// (own connections, own access cache), on one SQLite file and on one
// PostgreSQL database. Each cycle one instance promotes, demotes, removes
// and re-invites a member, and after every step the other instance checks
// (having just cached the previous answer): it sees every change at once,
// 0 stale allows. The instances swap roles every cycle.
func TestNoStaleAllowAcrossInstances(t *testing.T) {
	for _, pair := range sharedStores() {
		if pair.name == "memory" {
			continue // one store shared by both: nothing cached apart
		}
		t.Run(pair.name, func(t *testing.T) {
			stores := pair.open(t)
			c := newClock()
			p := loadPolicy(t, "credit-pool")
			var svc [2]*charter.Service
			for i, st := range stores {
				s, err := charter.New(p, st, charter.Options{Now: c.Now})
				check(t, err)
				svc[i] = s
			}
			id := must[*workspaceT](t)(svc[0].CreateWorkspace(ctx, "own", "Team", "")).ID
			join(t, svc[0], "own", id, "edi", "editor")

			stale, checks := 0, 0
			// expect checks on the other instance, twice (the first answer
			// is cached, the second may come from the cache).
			expect := func(s *charter.Service, step, action string, want bool) {
				t.Helper()
				for range 2 {
					got, err := s.Can(ctx, "edi", action, id)
					check(t, err)
					checks++
					if got != want {
						if got {
							stale++
						}
						t.Errorf("after %s, edi %s: %v, want %v", step, action, got, want)
					}
				}
			}
			const cycles = 10
			for i := range cycles {
				a, b := svc[i%2], svc[1-i%2]
				expect(b, "joining", "edit_images", true)
				check(t, a.ChangeRole(ctx, "own", id, "edi", "admin"))
				expect(b, "promotion", "change_roles", true)
				check(t, a.ChangeRole(ctx, "own", id, "edi", "reviewer"))
				expect(b, "demotion to reviewer", "change_roles", false)
				expect(b, "demotion to reviewer", "edit_images", false)
				expect(b, "demotion to reviewer", "view_visuals", true)
				check(t, a.Remove(ctx, "own", id, "edi"))
				expect(b, "removal", "view_visuals", false)
				inv := must[charter.Invitation](t)(a.Invite(ctx, "own", id, "edi@example.com", "editor"))
				must[*workspaceT](t)(b.Accept(ctx, "edi", "edi@example.com", inv.Token))
				expect(a, fmt.Sprintf("rejoining (cycle %d)", i), "edit_images", true)
			}
			if stale != 0 {
				t.Errorf("%d stale allows in %d checks", stale, checks)
			}
			t.Logf("%d cycles, %d checks across instances, 0 stale allows", cycles, checks)
		})
	}
}
