package charter

import (
	"context"
	"errors"
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

// EnsurePersonal returns user's personal workspace, creating it on the
// policy's default plan if user has none. It is idempotent, also under
// concurrent calls: every call returns the same workspace.
func (s *Service) EnsurePersonal(ctx context.Context, user string) (*workspace.Workspace, error) {
	if err := checkID("user", user); err != nil {
		return nil, err
	}
	var out *workspace.Workspace
	err := s.updateOnce(ctx, func(tx storage.Tx) error {
		h, created, err := s.lockPersonal(ctx, tx, user)
		if err != nil {
			return err
		}
		if created != nil {
			out = created
			return nil
		}
		l, err := s.load(ctx, tx, h.ID)
		if err == nil {
			out = l.ws
		}
		return err
	})
	return out, err
}

// lockPersonal returns user's personal workspace, locked, creating it on the
// default plan when user has none. The read that finds it is repeated after
// the lock, so a workspace shared meanwhile is not taken for the personal one.
// A concurrent creation of the same personal workspace makes the insert fail
// with storage.ErrExists, which updateOnce retries.
func (s *Service) lockPersonal(ctx context.Context, tx storage.Tx, user string) (storage.Workspace, *workspace.Workspace, error) {
	for range 3 {
		h, err := tx.PersonalWorkspace(ctx, user)
		if errors.Is(err, storage.ErrNotFound) {
			w, err := s.create(ctx, tx, user, "", workspace.Personal, s.policy.DefaultPlan())
			if err != nil {
				return storage.Workspace{}, nil, err
			}
			return storedHeader(w), w, nil
		}
		if err != nil {
			return storage.Workspace{}, nil, err
		}
		if h, err = tx.Workspace(ctx, h.ID); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return storage.Workspace{}, nil, err
		}
		if err == nil && h.Kind == workspace.Personal && h.Owner == user {
			return h, nil, nil
		}
	}
	return storage.Workspace{}, nil, fmt.Errorf("charter: personal workspace of %s keeps changing: %w", user, storage.ErrConflict)
}

// CreateWorkspace creates a shared workspace owned by actor, on the plan named
// planName, or on the plan of actor's personal workspace when planName is "".
// The number of shared workspaces actor may own comes from the plan of actor's
// personal workspace (seed 002's licences); it is created if needed.
func (s *Service) CreateWorkspace(ctx context.Context, actor, name, planName string) (*workspace.Workspace, error) {
	if err := checkID("actor", actor); err != nil {
		return nil, err
	}
	var out *workspace.Workspace
	err := s.updateOnce(ctx, func(tx storage.Tx) error {
		// Lock the licence: creations by one user, sharing their personal
		// workspace and changing its plan all take this lock, so two at
		// once cannot both pass the shared-workspace limit.
		licence, err := s.lockLicence(ctx, tx, actor)
		if err != nil {
			return err
		}
		p := licence
		if planName != "" {
			if p = s.policy.Plan(planName); p == nil {
				return invalid("unknown plan %q", planName)
			}
		}
		if err := s.checkSharedLimit(ctx, tx, actor, licence, 1); err != nil {
			return err
		}
		out, err = s.create(ctx, tx, actor, name, workspace.Shared, p)
		return err
	})
	return out, err
}

// lockLicence locks user's licence, the row of their personal workspace
// (making it on the default plan when they have none yet), and returns its
// plan, which says how many shared workspaces user may own.
func (s *Service) lockLicence(ctx context.Context, tx storage.Tx, user string) (*plan.Plan, error) {
	personal, _, err := s.lockPersonal(ctx, tx, user)
	if err != nil {
		return nil, err
	}
	licence := s.policy.Plan(personal.Plan)
	if licence == nil {
		return nil, invalid("personal workspace plan %q not in policy", personal.Plan)
	}
	return licence, nil
}

// checkSharedLimit checks that owner may own extra more shared workspaces.
func (s *Service) checkSharedLimit(ctx context.Context, tx storage.Tx, owner string, licence *plan.Plan, extra int) error {
	n, err := tx.OwnedShared(ctx, owner)
	if err != nil {
		return err
	}
	if lim := licence.Limits.SharedWorkspaces; !lim.Allows(n + extra) {
		return &LimitError{Plan: licence.Name, Limits: []Limit{{Name: "shared_workspaces", Max: int(lim), Count: n + extra}}}
	}
	return nil
}

func (s *Service) create(ctx context.Context, tx storage.Tx, owner, name string, kind workspace.Kind, p *plan.Plan) (*workspace.Workspace, error) {
	id, err := s.newID("ws_")
	if err != nil {
		return nil, err
	}
	now := s.clock()
	w, err := workspace.New(id, kind, p, owner, s.policy.OwnerRole(), now)
	if err != nil {
		return nil, invalid("%v", err)
	}
	w.Name = name
	w.Version = 1
	if err := tx.CreateWorkspace(ctx, storedHeader(w)); err != nil {
		return nil, err
	}
	m := memberOf(w, owner)
	if err := tx.PutMember(ctx, stored(id, m)); err != nil {
		return nil, err
	}
	if err := s.record(ctx, tx, id, owner, now, event{
		Type: EventWorkspaceCreated, Subject: owner,
		After: map[string]string{"kind": kind.String(), "plan": p.Name, "name": name},
	}); err != nil {
		return nil, err
	}
	if err := s.seatChange(ctx, tx, id, owner, p, nil, &m, now); err != nil {
		return nil, err
	}
	if err := s.openPools(ctx, tx, w, owner, now); err != nil {
		return nil, err
	}
	return w, nil
}

// Workspace returns the workspace with id as actor may see it: members only.
// Anyone else, and anyone asking for a workspace that does not exist, gets
// ErrNotFound.
func (s *Service) Workspace(ctx context.Context, actor, id string) (*workspace.Workspace, error) {
	var out *workspace.Workspace
	err := s.view(ctx, func(tx storage.Tx) error {
		l, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, ok := l.ws.Member(actor); !ok {
			return errNoWorkspace(id)
		}
		out = l.ws
		return nil
	})
	return out, err
}

// Membership is one of a user's workspaces, as listed by Workspaces.
type Membership struct {
	Workspace string
	Name      string
	Kind      workspace.Kind
	Plan      string
	Role      string
	Owner     bool
}

// Workspaces lists the workspaces user is a member of, by ID.
func (s *Service) Workspaces(ctx context.Context, user string) ([]Membership, error) {
	var out []Membership
	err := s.view(ctx, func(tx storage.Tx) error {
		ws, err := tx.WorkspacesOf(ctx, user)
		if err != nil {
			return err
		}
		for _, h := range ws {
			m, err := tx.Member(ctx, h.ID, user)
			if err != nil {
				return err
			}
			out = append(out, Membership{Workspace: h.ID, Name: h.Name, Kind: h.Kind, Plan: h.Plan, Role: m.Role, Owner: h.Owner == user})
		}
		return nil
	})
	return out, err
}

// access loads the part of a workspace one check needs: the header and the
// actor's membership. found is false when the workspace or the membership
// does not exist.
func (s *Service) access(ctx context.Context, tx storage.Tx, actor, id string) (w *workspace.Workspace, found bool, err error) {
	h, m, found, err := storage.ReadAccess(ctx, tx, id, actor)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	w = s.header(h)
	if found {
		w.Put(s.member(m))
	}
	return w, found, nil
}

// visible loads what actor sees of the workspace: its header and actor's own
// membership. A workspace actor is not a member of is errNoWorkspace.
func (s *Service) visible(ctx context.Context, tx storage.Tx, actor, id string) (*workspace.Workspace, error) {
	w, found, err := s.access(ctx, tx, actor, id)
	if err == nil && !found {
		err = errNoWorkspace(id)
	}
	return w, err
}

// Can reports whether actor may perform action in the workspace with id. It
// reads the current state: a removal or role change is visible to the very
// next check. An unknown workspace, actor or action is a denial (false, nil);
// a storage failure is a denial with an error.
func (s *Service) Can(ctx context.Context, actor, action, id string) (bool, error) {
	d, err := s.Decide(ctx, actor, action, id, "")
	return d.Allowed, err
}

// CanProject is Can for a project-scoped action on project.
func (s *Service) CanProject(ctx context.Context, actor, action, id, project string) (bool, error) {
	d, err := s.Decide(ctx, actor, action, id, project)
	return d.Allowed, err
}

// Decision is the policy's decision, extended with what the Service knows of
// credits: an action that costs credits is denied with reason
// policy.InsufficientCredits (or policy.OutsideAllowance) when the pool (or
// the actor's allowance) cannot pay for it.
type Decision struct {
	policy.Decision
	// Currency, Balance and ResetsAt describe the pool an action with a
	// cost draws on: its balance now and when its period next resets (zero
	// if it never does). Empty for free actions.
	Currency string
	Balance  int64
	ResetsAt time.Time
}

// String explains the decision, adding when credits reset.
func (d Decision) String() string {
	s := d.Decision.String()
	if d.Currency != "" && (d.Reason == policy.InsufficientCredits || d.Reason == policy.OutsideAllowance) && !d.ResetsAt.IsZero() {
		s += fmt.Sprintf("; %s reset on %s", d.Currency, d.ResetsAt.Format(time.DateOnly))
	}
	return s
}

// Decide is Can with the reason, for logs and for telling users why not. A
// free action costs one read of the store (Store.Access: on the SQL
// backends, one query of the workspace's access stamp when the store has
// read this actor's access before and nothing changed since); an action with
// a cost also reads its pool and the actor's allowance.
func (s *Service) Decide(ctx context.Context, actor, action, id, project string) (Decision, error) {
	a := s.policy.Action(action)
	if a == nil {
		return Decision{Decision: policy.Decision{Reason: policy.UnknownAction}}, nil
	}
	denied := Decision{Decision: policy.Decision{Reason: policy.NotMember, Action: a.Name}}
	if a.Cost.Amount == 0 {
		h, m, ok, err := s.store.Access(ctx, id, actor)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			return denied, nil
		case err != nil:
			return denied, fromStorage(err)
		case !ok:
			return denied, nil
		}
		w := s.header(h)
		return Decision{Decision: a.Allows(s.policy.Role(m.Role), w, project, m.Projects)}, nil
	}
	var d Decision
	err := s.view(ctx, func(tx storage.Tx) error {
		w, found, err := s.access(ctx, tx, actor, id)
		if err != nil || !found {
			d = denied
			return err
		}
		d.Decision = a.Decide(actor, w, project)
		if d.Allowed {
			return s.creditDecision(ctx, tx, w, actor, a, &d)
		}
		return nil
	})
	if err != nil {
		return denied, err
	}
	return d, nil
}

// ChangePlan moves the workspace to the plan named planName (an upgrade or a
// downgrade). A move that the current members, seats, guests, pending
// invitations, roles or settings would break is refused with a
// *DowngradeError listing everything that must change first. Seats are
// re-priced: each seat is credited pro rata at the old price and charged at
// the new one when the price changes.
func (s *Service) ChangePlan(ctx context.Context, actor, id, planName string) error {
	p := s.policy.Plan(planName)
	if p == nil {
		return invalid("unknown plan %q", planName)
	}
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpChangePlan, "")
		if err != nil {
			return err
		}
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
// the rest of the current period (seed 000: "the Admin can upgrade the plan
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
	var problems []string
	counts, err := s.pending(ctx, tx, w, "")
	if err != nil {
		return err
	}
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
	invs, err := tx.PendingInvitations(ctx, w.ID, s.clock())
	if err != nil {
		return err
	}
	for _, inv := range invs {
		if !p.Offers(s.policy.Role(inv.Role)) {
			problems = append(problems, fmt.Sprintf("invitation %s gives role %s, which plan %s does not offer", inv.ID, inv.Role, p.Name))
		}
	}
	if w.Settings.GuestsDisabled {
		if a := s.policy.Operation(policy.OpUpdateSettings); a == nil || !p.Features.Has(a.Feature) {
			problems = append(problems, fmt.Sprintf("guests are disabled, a setting plan %s does not offer", p.Name))
		}
	}
	if w.Kind == workspace.Personal {
		n, err := tx.OwnedShared(ctx, w.Owner)
		if err != nil {
			return err
		}
		if !p.Limits.SharedWorkspaces.Allows(n) {
			problems = append(problems, fmt.Sprintf("owner owns %d shared workspaces, plan %s allows %d", n, p.Name, p.Limits.SharedWorkspaces))
		}
	}
	if len(problems) > 0 {
		return &DowngradeError{Plan: p.Name, Problems: problems}
	}
	return nil
}

// SetGuestsDisabled turns guest access off or on (seed 003: an admin setting
// offered on plans with the feature). Disabled guests are denied everything
// and no guest can be added; their grants stay for when guests are enabled.
func (s *Service) SetGuestsDisabled(ctx context.Context, actor, id string, disabled bool) error {
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpUpdateSettings, "")
		if err != nil {
			return err
		}
		before := l.ws.Settings
		if before.GuestsDisabled == disabled {
			return nil
		}
		l.ws.Settings.GuestsDisabled = disabled
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		return s.record(ctx, tx, id, actor, s.clock(), event{Type: EventSettingsChanged, Before: before, After: l.ws.Settings})
	})
}

// DeleteWorkspace deletes the workspace with its members, invitations and
// credit grants, where the policy allows actor to (the owner, in seeds 002 and
// 004). Seats are credited pro rata. The events and the credit journal stay as
// the audit trail.
func (s *Service) DeleteWorkspace(ctx context.Context, actor, id string) error {
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpDeleteWorkspace, "")
		if err != nil {
			return err
		}
		w := l.ws
		now := s.clock()
		for _, u := range w.Users() {
			m := memberOf(w, u)
			if err := s.seatChange(ctx, tx, id, actor, w.Plan, &m, nil, now); err != nil {
				return err
			}
		}
		if err := s.record(ctx, tx, id, actor, now, event{
			Type: EventWorkspaceDeleted, Before: map[string]any{"name": w.Name, "plan": w.Plan.Name, "members": w.Len()},
		}); err != nil {
			return err
		}
		return tx.DeleteWorkspace(ctx, id)
	})
}
