package backendtest_test

import (
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
)

// TestProRataOverLongPeriods: a seat priced "every 1000 years" (the longest
// period the grammar allows) is credited for the unused part of its period,
// though the period is longer than a time.Duration holds (a review found the
// full price credited after 600 years).
func TestProRataOverLongPeriods(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		p, err := policy.Load("long.yaml", []byte(`
policy: long
sharing: convert
roles:
  owner: {owner: true, admin: true, rank: 100, assigns: [member]}
  member: {seat: true, rank: 10}
actions:
  invite: {}
  remove: {}
operations:
  invite: invite
  remove: remove
plans:
  forever:
    seat_price: {amount: 1000000, currency: USD, every: 1000 years}
permissions:
  invite: [owner]
  remove: [owner]
`))
		check(t, err)
		c := newClock()
		s, err := charter.New(p, open(t), charter.Options{Now: c.Now})
		check(t, err)
		ws := must[*workspaceT](t)(s.CreateWorkspace(ctx, "olga", "W", ""))
		inv := must[charter.Invitation](t)(s.Invite(ctx, "olga", ws.ID, "ed@example.com", "member"))
		must[*workspaceT](t)(s.Accept(ctx, "ed", "ed@example.com", inv.Token))
		// 600 years later (in steps: a Duration holds at most ~292 years).
		for range 3 {
			c.Add(200 * 365 * 24 * time.Hour)
		}
		check(t, s.Remove(ctx, "olga", ws.ID, "ed"))
		var credited int64
		for _, e := range must[[]charter.Event](t)(s.Events(ctx, ws.ID, 0, 1000)) {
			if e.Type == charter.EventSeatCredited {
				credited += e.Amount
			}
		}
		// 600 years of 365 days is 599.6 calendar years: 400.4 of the
		// 1000 years are unused, so the credit is 400,400 give or take
		// the leap days.
		if credited < 400000 || credited > 400800 {
			t.Errorf("credited %d of 1000000 after 600 of 1000 years; want about 400400", credited)
		}
	})
}
