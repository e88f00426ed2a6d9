package charter

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// ChangePlan moves the workspace to the plan named planName (an upgrade or a
// downgrade). A move that the current members, seats, guests, pending
// invitations, roles or settings would break is refused with a
// *DowngradeError listing everything that must change first. Seats are
// re-priced: each seat is credited pro rata at the old price and charged at
// the new one when the price changes.
func (s *Service) ChangePlan(ctx context.Context, actor, id, planName string) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isPolicyName("plan", planName)); err != nil {
		return err
	}
	p := s.policy.Plan(planName)
	if p == nil {
		return invalid("unknown plan %q", short(planName))
	}
	return s.in(ctx, actor, id, gate{op: policy.OpChangePlan, write: true, whole: true}, func(tx storage.Tx, l *loaded) error {
		w := l.ws
		old := w.Plan
		if old == p {
			return nil
		}
		if err := s.checkPlanFits(ctx, tx, w, p); err != nil {
			return err
		}
		now := s.clock()
		// Bring every pool up to now under the old plan first: a period
		// that began before the change began on the old plan, and its
		// reset grants what the old plan grants.
		if err := s.settlePools(ctx, tx, w, now); err != nil {
			return err
		}
		w.Plan = p
		repriced := old.SeatPrice != p.SeatPrice
		if repriced {
			for _, u := range w.Users() {
				if m := memberOf(w, u); m.Role.Seat {
					m.SeatSince = now
					w.Put(m)
				}
			}
		}
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		if err := s.record(ctx, tx, id, actor, now, event{
			Type: EventPlanChanged, Before: map[string]string{"plan": old.Name}, After: map[string]string{"plan": p.Name},
		}); err != nil {
			return err
		}
		if repriced {
			for _, u := range w.Users() {
				before, after := s.member(l.members[u]), memberOf(w, u)
				if err := s.seatChange(ctx, tx, id, actor, old, &before, nil, now); err != nil {
					return err
				}
				if err := s.seatChange(ctx, tx, id, actor, p, nil, &after, now); err != nil {
					return err
				}
			}
		}
		if err := s.openPools(ctx, tx, w, actor, now); err != nil {
			return err
		}
		return s.upgradeGrants(ctx, tx, w, actor, now)
	})
}

// upgradeGrants gives a workspace that moved to a plan granting more of a
// currency per period than the period has granted so far the difference for
// the rest of the current period (the spaces policy: "the Admin can upgrade the plan
// to increase the credits"), as a lot that expires when the period ends. A
// downgrade takes nothing away; the new grant applies from the next period.
// Moving up, down and up again within a period grants no more than the best
// plan held.
func (s *Service) upgradeGrants(ctx context.Context, tx storage.Tx, w *workspace.Workspace, actor string, now time.Time) error {
	for _, g := range w.Plan.Grants {
		if g.Every.IsZero() {
			continue
		}
		pl, found, err := s.loadPool(ctx, tx, w, g.Currency, now)
		if err != nil || !found {
			return err
		}
		// What this period has granted so far: its periodic lot and the
		// upgrades made in it, which stay in the pool (spent or not) until
		// the next reset. An upgrade tops that up to the new plan's
		// grant, so moving up and down within a period grants no more
		// than the best plan held.
		k := pl.p.CurrentPeriod()
		granted := int64(0)
		prefix := fmt.Sprintf("upgrade:%d:", k)
		for _, l := range pl.p.Grants {
			if l.ID == credits.PeriodicID(k) || strings.HasPrefix(l.ID, prefix) {
				granted += l.Amount
			}
		}
		if g.Amount <= granted {
			continue
		}
		_, end := g.Every.Bounds(w.Anchor, now)
		lot := prefix + strconv.FormatInt(w.Version, 10)
		es, err := credits.TopUp(&pl.p, lot, g.Amount-granted, end, now, credits.Meta{Member: actor, Action: "change_plan"})
		if err != nil {
			return fmt.Errorf("charter: upgrade grant of %s: %w", g.Currency, err)
		}
		pl.entries = append(pl.entries, es...)
		if err := s.savePool(ctx, tx, w.ID, pl); err != nil {
			return err
		}
	}
	return nil
}

// settlePools applies to each of w's pools the resets and expiries due at
// now, under w's current plan.
func (s *Service) settlePools(ctx context.Context, tx storage.Tx, w *workspace.Workspace, now time.Time) error {
	for _, c := range s.policy.Currencies() {
		if !c.Kinds.Has(w.Kind) {
			continue
		}
		pl, found, err := s.loadPool(ctx, tx, w, c.Name, now)
		if err != nil {
			return err
		}
		if found {
			if err := s.savePool(ctx, tx, w.ID, pl); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPlanFits lists everything about w that plan p would not allow.
func (s *Service) checkPlanFits(ctx context.Context, tx storage.Tx, w *workspace.Workspace, p *plan.Plan) error {
	counts, err := s.pending(ctx, tx, w, "")
	if err != nil {
		return err
	}
	invs, err := tx.PendingInvitations(ctx, w.ID, s.clock())
	if err != nil {
		return err
	}
	owned := 0
	if w.Kind == workspace.Personal {
		if owned, err = tx.OwnedShared(ctx, w.Owner); err != nil {
			return err
		}
	}
	return s.planFits(w, p, counts, invs, owned)
}

// planFits lists everything about w that plan p would not allow, given its
// counts of members and pending invitations, its pending invitations, and
// for a personal workspace, how many shared workspaces its owner owns.
func (s *Service) planFits(w *workspace.Workspace, p *plan.Plan, counts workspace.Counts, invs []storage.Invitation, owned int) error {
	var problems []string
	if err := counts.Within(p.Limits); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			problems = append(problems, strings.TrimPrefix(line, "workspace: ")+" (members and pending invitations)")
		}
	}
	for _, u := range w.Users() {
		if m := memberOf(w, u); !p.Offers(m.Role) {
			problems = append(problems, fmt.Sprintf("member %s holds role %s, which plan %s does not offer", u, m.Role, p.Name))
		}
	}
	for _, inv := range invs {
		if !p.Offers(s.policy.Role(inv.Role)) {
			problems = append(problems, fmt.Sprintf("invitation %s gives role %s, which plan %s does not offer", inv.ID, inv.Role, p.Name))
		}
	}
	if w.Settings.GuestsDisabled {
		if a := s.policy.Operation(policy.OpGuestAccess); a == nil || !p.Features.Has(a.Feature) {
			problems = append(problems, fmt.Sprintf("guests are disabled, a setting plan %s does not offer", p.Name))
		}
	}
	if w.Kind == workspace.Personal && !p.Limits.SharedWorkspaces.Allows(owned) {
		problems = append(problems, fmt.Sprintf("owner owns %d shared workspaces, plan %s allows %d", owned, p.Name, p.Limits.SharedWorkspaces))
	}
	if len(problems) > 0 {
		return &DowngradeError{Plan: p.Name, Problems: problems}
	}
	return nil
}
