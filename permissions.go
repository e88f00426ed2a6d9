package charter

import (
	"context"
	"errors"
	"iter"
	"slices"
	"sync/atomic"
	"time"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// PermissionSet is an actor's decision on every action of the policy in one
// workspace, read from one snapshot: what a UI needs to show or hide each
// button at once. Permissions and ProjectPermissions return it; its methods
// read it.
type PermissionSet struct {
	Actor, Workspace string
	// Project is the project the set was decided on, "" for none (as in
	// Can: guests are then denied every project-scoped action).
	Project string
	// Role and Plan are the actor's role and the workspace's plan, as the
	// policy knows them ("" for one it does not).
	Role, Plan string
	// Purses are the pools the actor's allowed actions with a cost draw
	// on, one per currency, as read for the set.
	Purses []Purse
	// perms holds one Permission per action, in the policy's order. It is
	// read-only: sets of members with the same role, plan and workspace
	// kind may share it.
	perms []Permission
	pol   *policy.Policy
}

// Permission is the decision on one action of a PermissionSet: what Decide
// answers for the action on the same snapshot (PermissionSet.Decision
// gives it whole), and for an action with a cost whether the actor can pay.
type Permission struct {
	Action  string
	Allowed bool
	// Reason and Pos say why, and which rule of the policy decided (see
	// policy.Decision); Detail is what the rule tested, e.g. the feature
	// the plan lacks.
	Reason policy.Reason
	Pos    policy.Pos
	Detail string
	// Cost is what one use of the action costs in Currency; 0 for a free
	// action.
	Currency string
	Cost     int64
	// PoolPays and AllowancePays say, for an action with a cost that the
	// policy grants the actor, whether the pool holds Cost now and whether
	// the actor's allowance (or, where none is required, the lack of one)
	// lets them spend it. Both are false for free actions and for actions
	// the policy denies.
	PoolPays, AllowancePays bool
	// purse is the index in Purses of the pool Decide read for this
	// action, or -1 when it read none.
	purse int
}

// Purse is a pool as an actor sees it when deciding: its balance now, when
// its period resets (zero if never), and the actor's allowance.
type Purse struct {
	Currency      string
	Balance       int64
	ResetsAt      time.Time
	HasAllowance  bool
	AllowanceLeft int64
}

// Len returns the number of actions in the set: every action of the policy.
func (ps PermissionSet) Len() int { return len(ps.perms) }

// All yields the permission on each action, in the policy's order.
func (ps PermissionSet) All() iter.Seq[Permission] {
	return func(yield func(Permission) bool) {
		for _, p := range ps.perms {
			if !yield(p) {
				return
			}
		}
	}
}

// Permission returns the permission on the action called action; false when
// the policy declares no such action.
func (ps PermissionSet) Permission(action string) (Permission, bool) {
	if ps.pol == nil {
		return Permission{}, false
	}
	a := ps.pol.Action(action)
	if a == nil || a.Index >= len(ps.perms) {
		return Permission{}, false
	}
	return ps.perms[a.Index], true
}

// Allowed reports whether the set allows the action called action; false
// for an action the policy does not declare.
func (ps PermissionSet) Allowed(action string) bool {
	p, _ := ps.Permission(action)
	return p.Allowed
}

// Decision returns the decision on the action called action, whole, as
// Decide returns it; false when the policy declares no such action.
func (ps PermissionSet) Decision(action string) (Decision, bool) {
	p, ok := ps.Permission(action)
	if !ok {
		return Decision{}, false
	}
	d := Decision{Decision: policy.Decision{
		Allowed: p.Allowed, Reason: p.Reason, Action: p.Action, Role: ps.Role, Plan: ps.Plan, Pos: p.Pos, Detail: p.Detail,
	}}
	if p.purse >= 0 {
		pu := ps.Purses[p.purse]
		d.Currency, d.ResetsAt = pu.Currency, pu.ResetsAt
		if p.Reason != policy.RoleLacksAction && p.Reason != policy.WrongKind {
			d.Balance = pu.Balance
		}
	}
	return d, true
}

// Permissions returns actor's decision on every action of the policy in the
// workspace with id, from one read-only transaction: the workspace header
// and actor's membership, then, only when the policy grants actor an action
// with a cost, one ledger read per currency those actions draw on. Each
// Permission is what Decide would answer on that snapshot. A workspace that
// does not exist or that actor is not a member of is ErrNotFound, the same
// error for both.
//
// What the policy decides for a member who is not a guest depends only on
// their role, the plan and the workspace's kind; the Service computes it
// once per such triple and shares it between sets, so a set costs about
// what one Can costs, plus one ledger read per currency where the actor
// may spend.
func (s *Service) Permissions(ctx context.Context, actor, id string) (PermissionSet, error) {
	return s.ProjectPermissions(ctx, actor, id, "")
}

// ProjectPermissions is Permissions for the project-scoped actions on
// project (see CanProject); workspace-wide actions are decided as in
// Permissions.
func (s *Service) ProjectPermissions(ctx context.Context, actor, id, project string) (PermissionSet, error) {
	// Plain ASCII within the limits passes every rule (see checkDecide).
	fast := s.ready(ctx) && plain(actor, MaxIDBytes) && plain(id, MaxIDBytes) && (project == "" || plain(project, MaxProjectBytes))
	if !fast {
		if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isProject(project).orEmpty()); err != nil {
			return PermissionSet{}, err
		}
	}
	if s.logs.on() {
		return s.logPermissions(ctx, actor, id, project)
	}
	return s.permissions(ctx, actor, id, project)
}

// permissions is ProjectPermissions without the decision log.
func (s *Service) permissions(ctx context.Context, actor, id, project string) (PermissionSet, error) {
	if ps, done, err := s.freePermissions(ctx, actor, id, project); done {
		return ps, err
	}
	var ps PermissionSet
	err := s.view(ctx, func(tx storage.Tx) error {
		h, m, ok, err := storage.ReadAccess(ctx, tx, id, actor)
		switch {
		case errors.Is(err, storage.ErrNotFound), err == nil && !ok:
			return errNoWorkspace(id)
		case err != nil:
			return err
		}
		w, r := s.header(h), s.policy.Role(m.Role)
		ps = PermissionSet{Actor: actor, Workspace: id, Project: project, pol: s.policy}
		if r != nil {
			ps.Role = r.Name
		}
		if w.Plan != nil {
			ps.Plan = w.Plan.Name
		}
		perms, shared := s.templates.get(r, w)
		if perms == nil {
			perms = s.policyPermissions(r, w, project, m.Projects)
		}
		var purses []purse // read once per currency, when first needed
		actions := s.policy.Actions()
		for i := range perms {
			if !perms[i].Allowed || perms[i].Cost == 0 {
				continue
			}
			if shared {
				perms, shared = slices.Clone(perms), false
			}
			a, p := actions[i], &perms[i]
			j := slices.IndexFunc(purses, func(pu purse) bool { return pu.currency == a.Cost.Currency })
			if j < 0 {
				pu, err := s.readPurse(ctx, tx, w, r, actor, a.Cost.Currency)
				if err != nil {
					return err
				}
				purses, j = append(purses, pu), len(purses)
				ps.Purses = append(ps.Purses, pu.shown())
			}
			pu := &purses[j]
			d := Decision{Decision: policy.Decision{Allowed: true, Reason: policy.Allowed, Pos: p.Pos}}
			pu.decide(a, r, w, &d)
			p.Allowed, p.Reason, p.Detail, p.purse = d.Allowed, d.Reason, d.Detail, j
			p.PoolPays = pu.applies && pu.balance >= p.Cost
			p.AllowancePays = pu.allowancePays(p.Cost)
		}
		ps.perms = perms
		return nil
	})
	if err != nil {
		return PermissionSet{}, err
	}
	return ps, nil
}

// freePermissions is the permission set of a member granted no action with
// a cost, from the one Store.Access read a Can makes; done is false, with
// nothing decided, when the set must read a purse, which permissions then
// reads in one transaction with the membership.
func (s *Service) freePermissions(ctx context.Context, actor, id, project string) (ps PermissionSet, done bool, err error) {
	h, m, found, err := s.store.Access(ctx, id, actor)
	if member, err := isMember(found, err); !member {
		if err == nil {
			err = errNoWorkspace(id)
		}
		return PermissionSet{}, true, err
	}
	w, r := s.headerValue(&h), s.policy.Role(m.Role)
	perms, _ := s.templates.get(r, &w)
	if perms == nil {
		perms = s.policyPermissions(r, &w, project, m.Projects)
	}
	for i := range perms {
		if perms[i].Allowed && perms[i].Cost != 0 {
			return PermissionSet{}, false, nil
		}
	}
	ps = PermissionSet{Actor: actor, Workspace: id, Project: project, pol: s.policy, perms: perms}
	if r != nil {
		ps.Role = r.Name
	}
	if w.Plan != nil {
		ps.Plan = w.Plan.Name
	}
	return ps, true, nil
}

// policyPermissions returns what the policy alone decides of every action
// for a member of role r with projects in w, on project.
func (s *Service) policyPermissions(r *role.Role, w *workspace.Workspace, project string, projects []string) []Permission {
	actions := s.policy.Actions()
	perms := make([]Permission, len(actions))
	for i, a := range actions {
		d := a.Allows(r, w, project, projects)
		perms[i] = Permission{
			Action: a.Name, Allowed: d.Allowed, Reason: d.Reason, Pos: d.Pos, Detail: d.Detail,
			Currency: a.Cost.Currency, Cost: a.Cost.Amount, purse: -1,
		}
	}
	return perms
}

// permissionTemplates caches policyPermissions for members who are not
// guests, per role, plan and workspace kind, which are all it depends on
// for them; the policy never changes. Entries are made on first use.
type permissionTemplates struct {
	s      *Service
	nPlans int
	sets   []atomic.Pointer[[]Permission]
}

func newPermissionTemplates(s *Service) *permissionTemplates {
	n := len(s.policy.Plans())
	return &permissionTemplates{s: s, nPlans: n, sets: make([]atomic.Pointer[[]Permission], len(s.policy.Roles())*n*workspace.NumKinds)}
}

// get returns the shared permissions of a member of role r in w, and true;
// or nil and false for a guest, or a role, plan or kind the policy does not
// know, whose permissions are computed each time.
func (t *permissionTemplates) get(r *role.Role, w *workspace.Workspace) ([]Permission, bool) {
	pol := t.s.policy
	if r == nil || r.Guest || w.Plan == nil || w.Kind >= workspace.NumKinds ||
		r.Index >= len(pol.Roles()) || pol.Roles()[r.Index] != r ||
		w.Plan.Index >= t.nPlans || pol.Plans()[w.Plan.Index] != w.Plan {
		return nil, false
	}
	slot := &t.sets[(r.Index*t.nPlans+w.Plan.Index)*workspace.NumKinds+int(w.Kind)]
	if p := slot.Load(); p != nil {
		return *p, true
	}
	// Only the role, the plan and the kind matter to a non-guest.
	perms := t.s.policyPermissions(r, &workspace.Workspace{Plan: w.Plan, Kind: w.Kind}, "", nil)
	slot.Store(&perms)
	return perms, true
}

// purse is what actor can pay with in one currency of a workspace: the
// pool's balance and reset time and actor's allowance, read once for any
// number of decisions.
type purse struct {
	currency string
	resetsAt time.Time
	// applies is false when the currency does not exist in the
	// workspace's kind; nothing else is read then.
	applies bool
	balance int64
	// hasAllowance says whether actor holds an allowance, and
	// allowanceLeft what is left of it this period; requireAllowance
	// whether the plan lets only members with one spend.
	hasAllowance     bool
	allowanceLeft    int64
	requireAllowance bool
}

// readPurse reads actor's purse in currency: the pool (brought to the
// current period, in memory only) and actor's allowance, in one ledger
// read; nothing when r does not spend credits or the currency does not
// exist in w's kind, which decide denies without it.
func (s *Service) readPurse(ctx context.Context, tx storage.Tx, w *workspace.Workspace, r *role.Role, actor, currency string) (purse, error) {
	now := s.clock()
	g := s.grantOf(w.Plan, currency)
	pu := purse{currency: currency, requireAllowance: g.RequireAllowance}
	if !g.Every.IsZero() {
		_, pu.resetsAt = g.Every.Bounds(w.Anchor, now)
	}
	if c := s.policy.Currency(currency); c == nil || !c.Kinds.Has(w.Kind) {
		return pu, nil
	}
	pu.applies = true
	if !r.Spends {
		return pu, nil
	}
	l, err := storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: w.ID, Currency: currency, Member: actor})
	if err != nil {
		return purse{}, err
	}
	pl, err := s.poolOf(w, currency, l, now)
	if err != nil {
		return purse{}, err
	}
	var period int64
	if pl != nil {
		pu.balance, period = pl.p.Balance(now), pl.p.CurrentPeriod()
	}
	if l.Allowance != nil {
		pu.hasAllowance, pu.allowanceLeft = true, l.Allowance.Left(period)
	}
	return pu, nil
}

// decide denies d, the policy's allowed decision on a (an action with a
// cost) for a member of role r in w, when this purse cannot pay for it, and
// fills in the pool's state: the credit rules of Decide, in their order.
func (pu *purse) decide(a *policy.Action, r *role.Role, w *workspace.Workspace, d *Decision) {
	d.Currency, d.ResetsAt = pu.currency, pu.resetsAt
	switch {
	case !r.Spends:
		d.Allowed, d.Reason = false, policy.RoleLacksAction
	case !pu.applies:
		d.Allowed, d.Reason, d.Detail = false, policy.WrongKind, w.Kind.String()
	// The allowance before the pool, as credits.Spend checks them, so that
	// Decide and a refused Spend give one reason.
	case !pu.allowancePays(a.Cost.Amount):
		d.Balance = pu.balance
		d.Allowed, d.Reason = false, policy.OutsideAllowance
	case pu.balance < a.Cost.Amount:
		d.Balance = pu.balance
		d.Allowed, d.Reason = false, policy.InsufficientCredits
	default:
		d.Balance = pu.balance
	}
}

// shown is pu as a PermissionSet shows it.
func (pu *purse) shown() Purse {
	return Purse{Currency: pu.currency, Balance: pu.balance, ResetsAt: pu.resetsAt, HasAllowance: pu.hasAllowance, AllowanceLeft: pu.allowanceLeft}
}

// allowancePays reports whether actor's allowance lets them spend cost:
// what is left of it covers cost, or they hold none and the plan requires
// none.
func (pu *purse) allowancePays(cost int64) bool {
	if pu.hasAllowance {
		return pu.allowanceLeft >= cost
	}
	return !pu.requireAllowance
}

// WorkspacesAllowing lists one page of the workspaces actor is a member of
// in which Decide allows actor action (credits included, for an action with
// a cost), by workspace ID, and the cursor of the next page ("" after the
// last). An action the policy does not declare is allowed nowhere.
func (s *Service) WorkspacesAllowing(ctx context.Context, actor, action string, page Page) (_ []Membership, next string, err error) {
	if err := s.check(ctx, isID("actor", actor), isPolicyName("action", action), isID("cursor", page.After).orEmpty()); err != nil {
		return nil, "", err
	}
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}
	cursor := page.After
	var out []Membership
	a := s.policy.Action(action)
	if a == nil {
		return nil, "", nil
	}
	err = s.view(ctx, func(tx storage.Tx) error {
		// The actor's workspaces, a page at a time, until limit allow
		// the action and one more workspace follows.
		var ws []storage.Workspace
		for {
			if len(ws) == 0 {
				var err error
				if ws, err = tx.WorkspacesOfPage(ctx, actor, cursor, limit+1); err != nil || len(ws) == 0 {
					return err
				}
				cursor = ws[len(ws)-1].ID
			}
			h := ws[0]
			ws = ws[1:]
			if len(out) == limit {
				next = out[len(out)-1].Workspace
				return nil
			}
			m, err := tx.Member(ctx, h.ID, actor)
			if err != nil {
				return err
			}
			w, r := s.header(h), s.policy.Role(m.Role)
			d := Decision{Decision: a.Allows(r, w, "", m.Projects)}
			if d.Allowed && a.Cost.Amount > 0 {
				if err := s.creditDecision(ctx, tx, w, r, actor, a, &d); err != nil {
					return err
				}
			}
			if d.Allowed {
				out = append(out, membership(h, m, actor))
			}
		}
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// membership is h as user's Membership, m being user's membership of it.
func membership(h storage.Workspace, m storage.Member, user string) Membership {
	return Membership{Workspace: h.ID, Name: h.Name, Kind: h.Kind, Plan: h.Plan, Role: m.Role, Owner: h.Owner == user}
}
