package backendtest_test

// Plan changes and credit periods, found by a review and kept as tests on
// every backend.

import (
	"fmt"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

type opener = func(testing.TB) storage.Store

// TestPlanChangeSettlesPeriodsFirst: a period that began before a plan
// change began on the old plan, read or not. On an upgrade its reset grants
// Free's 10 and the upgrade adds 490 (seed 000), never 500 and 490; on a
// downgrade, the period that began on Pro keeps its 500.
func TestPlanChangeSettlesPeriodsFirst(t *testing.T) {
	for _, tc := range []struct {
		name        string
		first, then string // the plan in period 0; the plan changed to in period 1
		why         string
	}{
		{"upgrade", "free", "pro", "10 Free + 490 upgrade"},
		{"downgrade", "pro", "free", "the period began on Pro"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, open opener) {
				for _, touch := range []bool{true, false} {
					t.Run(fmt.Sprint("readBeforeChange=", touch), func(t *testing.T) {
						c := newClock()
						s := newService(t, "spaces", open(t), c)
						id := must[*workspaceT](t)(s.EnsurePersonal(ctx, "olivia")).ID
						if tc.first != "free" {
							check(t, s.ChangePlan(ctx, "olivia", id, tc.first))
						}
						c.Add(31 * 24 * time.Hour) // into period 1
						if touch {
							must[charter.Balance](t)(s.Balance(ctx, "olivia", id, "ai_credits"))
						}
						check(t, s.ChangePlan(ctx, "olivia", id, tc.then))
						b := must[charter.Balance](t)(s.Balance(ctx, "olivia", id, "ai_credits"))
						if b.Available != 500 {
							t.Errorf("period %d: %d AI credits, want 500 (%s)", b.Period, b.Available, tc.why)
						}
					})
				}
			})
		})
	}
}

// TestUpgradeToggleGrantsOnce: moving up and down within a period grants no
// more than the best plan held.
func TestUpgradeToggleGrantsOnce(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open opener) {
		c := newClock()
		s := newService(t, "spaces", open(t), c)
		id := must[*workspaceT](t)(s.EnsurePersonal(ctx, "olivia")).ID
		for range 3 {
			check(t, s.ChangePlan(ctx, "olivia", id, "pro"))
			check(t, s.ChangePlan(ctx, "olivia", id, "free"))
		}
		check(t, s.ChangePlan(ctx, "olivia", id, "pro"))
		b := must[charter.Balance](t)(s.Balance(ctx, "olivia", id, "ai_credits"))
		if b.Available > 500 {
			t.Errorf("one period on Pro yields at most 500 AI credits; have %d", b.Available)
		}
	})
}

// TestPoolsStartWithTheWorkspace: a pool starts its periods when the
// workspace is created, so with rollover all two workspaces with the same
// history hold the same credits, whichever was read first.
func TestPoolsStartWithTheWorkspace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open opener) {
		c := newClock()
		s := newService(t, "../../backendtest/testdata/periods", open(t), c)
		a := must[*workspaceT](t)(s.CreateWorkspace(ctx, "own", "A", "")).ID
		b := must[*workspaceT](t)(s.CreateWorkspace(ctx, "own", "B", "")).ID
		must[charter.Balance](t)(s.Balance(ctx, "own", a, "credits")) // only A is read now
		c.Add(95 * 24 * time.Hour)                                    // three boundaries later
		ba := must[charter.Balance](t)(s.Balance(ctx, "own", a, "credits"))
		bb := must[charter.Balance](t)(s.Balance(ctx, "own", b, "credits"))
		if ba.Available != bb.Available {
			t.Errorf("same plan, same history: A has %d, B has %d (period %d)", ba.Available, bb.Available, bb.Period)
		}
	})
}

// TestNoGrantPlanKeepsCounting: months spent on a plan that grants nothing
// are not paid out when the workspace moves back to a granting plan.
func TestNoGrantPlanKeepsCounting(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open opener) {
		c := newClock()
		s := newService(t, "../../backendtest/testdata/periods", open(t), c)
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "own", "W", "")).ID
		must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits")) // 100
		check(t, s.ChangePlan(ctx, "own", id, "nogrant"))
		c.Add(365 * 24 * time.Hour)
		must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits"))
		check(t, s.ChangePlan(ctx, "own", id, "monthly"))
		b := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits"))
		if b.Available > 200 {
			t.Errorf("back on monthly after a year without grants: %d credits (period %d)", b.Available, b.Period)
		}
	})
}

// TestNewAllowanceCountsThePeriodsSpend: a role change to a role without
// credits drops the allowance; one set again later counts what was already
// spent this period, as the spend table does.
func TestNewAllowanceCountsThePeriodsSpend(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open opener) {
		s := newService(t, "credit-pool", open(t), newClock())
		id := spendPool(t, s, 100)
		check(t, s.SetAllowance(ctx, "own", id, "edi", "credits", 5))
		for i := range 5 {
			must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, fmt.Sprint("a", i)))
		}
		check(t, s.ChangeRole(ctx, "own", id, "edi", "reviewer"))
		check(t, s.ChangeRole(ctx, "own", id, "edi", "editor"))
		check(t, s.SetAllowance(ctx, "own", id, "edi", "credits", 5))
		b := must[charter.Balance](t)(s.Balance(ctx, "edi", id, "credits"))
		for _, r := range must[[]credits.SpendRow](t)(spendTableOf(s, "own", id, "credits")) {
			if r.Member == "edi" && r.Period == b.Period && r.Spent != b.Allowance-b.AllowanceLeft {
				t.Errorf("spend table: edi spent %d this period; allowance %d has %d left", r.Spent, b.Allowance, b.AllowanceLeft)
			}
		}
	})
}
