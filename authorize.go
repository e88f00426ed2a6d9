package charter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// Every call that names an action and a workspace takes them in the order
// (actor, action, workspace): Can, CanProject, Decide and Spend alike.
//
// An unknown action is a denial everywhere, never an error of its own: Can
// and CanProject report (false, nil), Decide a Decision with reason
// policy.UnknownAction naming the action, and Spend a *ForbiddenError
// carrying that Decision (errors.Is(err, ErrForbidden)).

// Can reports whether actor may perform action in the workspace with id. It
// reads the current state: a removal or role change is visible to the very
// next check. An unknown workspace, actor or action is a denial (false, nil);
// a storage failure is a denial with an error. Input the gate refuses (see
// InputError: an empty or over-long actor, a NUL, invalid UTF-8, a nil
// context) is a denial with an *InputError, on every backend, and reaches no
// store and no cache: deny by default and fail closed, and say why, since
// such input is the caller's bug rather than a user without access.
func (s *Service) Can(ctx context.Context, actor, action, id string) (bool, error) {
	return s.allowed(ctx, actor, action, id, "")
}

// CanProject is Can for a project-scoped action on project.
func (s *Service) CanProject(ctx context.Context, actor, action, id, project string) (bool, error) {
	return s.allowed(ctx, actor, action, id, project)
}

// allowed is Decide's verdict without its reason. A free action with no
// decision log to write is decided here, from the one Store.Access read,
// without building a Decision or the whole workspace header; everything
// else is Decide's. The policy's one check decides both ways (Action.Permits
// is Action.Allows without the reason), and TestCanAgreesWithDecide holds
// the two paths to the same answer.
func (s *Service) allowed(ctx context.Context, actor, action, id, project string) (bool, error) {
	if err := s.checkDecide(ctx, actor, action, id, project); err != nil {
		return false, err
	}
	if s.logs.on() {
		d, err := s.logDecide(ctx, actor, action, id, project)
		return d.Allowed, err
	}
	a := s.policy.Action(action)
	if a == nil {
		return false, nil
	}
	if a.Cost.Amount != 0 {
		d, err := s.decideUnlogged(ctx, actor, action, id, project)
		return d.Allowed, err
	}
	h, m, ok, err := s.store.Access(ctx, id, actor)
	if member, err := isMember(ok, err); !member {
		return false, err
	}
	// The policy's tests read only the plan, kind and settings of the
	// header.
	w := workspace.Workspace{Plan: s.policy.Plan(h.Plan), Kind: h.Kind, Settings: h.Settings}
	return a.Permits(s.policy.Role(m.Role), &w, project, m.Projects), nil
}

// isMember says what reading an actor's access gave (ok: a membership;
// err): whether the actor is a member, and if not, the error to return with
// the denial. A workspace that does not exist is no error: its checks deny,
// as for a non-member.
func isMember(ok bool, err error) (bool, error) {
	switch {
	case err == nil:
		return ok, nil
	case errors.Is(err, storage.ErrNotFound):
		return false, nil
	}
	return false, fromStorage(err)
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
// a cost also reads its pool and the actor's allowance, in one read-only
// transaction. A non-member's denial names them (reason policy.NotMember)
// and nothing of the workspace. The decision is logged when Options ask for
// decision logs.
func (s *Service) Decide(ctx context.Context, actor, action, id, project string) (Decision, error) {
	if err := s.checkDecide(ctx, actor, action, id, project); err != nil {
		return refused(err), err
	}
	if s.logs.on() {
		return s.logDecide(ctx, actor, action, id, project)
	}
	return s.decideUnlogged(ctx, actor, action, id, project)
}

// decideUnlogged is Decide without the decision log, on checked input.
func (s *Service) decideUnlogged(ctx context.Context, actor, action, id, project string) (Decision, error) {
	a := s.policy.Action(action)
	if a == nil {
		return Decision{Decision: unknownAction(action)}, nil
	}
	if a.Cost.Amount == 0 {
		h, m, ok, err := s.store.Access(ctx, id, actor)
		return s.decide(ctx, nil, &h, &m, ok, err, actor, a, project)
	}
	var d Decision
	err := s.view(ctx, func(tx storage.Tx) error {
		h, m, ok, err := storage.ReadAccess(ctx, tx, id, actor)
		d, err = s.decide(ctx, tx, &h, &m, ok, err, actor, a, project)
		return err
	})
	if err != nil {
		return notMember(a, actor), err
	}
	return d, nil
}

// decide is the one path of Decide: given what reading actor's access to
// the workspace gave (h and m; ok when actor is a member; err), let the
// policy decide, and for an allowed action with a cost, let the pool and
// allowance (read in tx) decide too. h and m are pointers only to spare a
// check copying them.
func (s *Service) decide(ctx context.Context, tx storage.Tx, h *storage.Workspace, m *storage.Member, ok bool, err error, actor string, a *policy.Action, project string) (Decision, error) {
	if member, err := isMember(ok, err); !member {
		return notMember(a, actor), err
	}
	// The header stays on the stack unless the credit check needs it: a
	// free check allocates nothing.
	w, r := s.headerValue(h), s.policy.Role(m.Role)
	d := Decision{Decision: a.Allows(r, &w, project, m.Projects)}
	if !d.Allowed || a.Cost.Amount == 0 {
		return d, nil
	}
	wc, dc := w, d
	err = s.creditDecision(ctx, tx, &wc, r, actor, a, &dc)
	return dc, err
}

// notMember is the denial of a to actor outside the workspace: it names the
// actor and tells nothing of the workspace, which may not exist.
func notMember(a *policy.Action, actor string) Decision {
	return Decision{Decision: policy.Decision{Reason: policy.NotMember, Action: a.Name, Detail: actor}}
}

// unknownAction is the denial of an action the policy does not declare.
func unknownAction(action string) policy.Decision {
	return policy.Decision{Reason: policy.UnknownAction, Detail: action}
}

// creditDecision denies an allowed action with a cost that the pool or the
// actor's allowance cannot pay for, and fills in the pool's state: it reads
// actor's purse (permissions.go), whose decide holds the credit rules.
func (s *Service) creditDecision(ctx context.Context, tx storage.Tx, w *workspace.Workspace, r *role.Role, actor string, a *policy.Action, d *Decision) error {
	pu, err := s.readPurse(ctx, tx, w, r, actor, a.Cost.Currency)
	if err != nil {
		return err
	}
	pu.decide(a, r, w, d)
	return nil
}

// authorize checks that actor may pass g in w: any member for membersOnly,
// else what the policy decides of g's action (or of the action mapped to
// g.op) on g.project. A non-member gets errNoWorkspace, as if w did not exist.
// Every Service call that acts in a workspace is authorized here, free and
// costed actions alike.
func (s *Service) authorize(w *workspace.Workspace, actor string, g gate) error {
	if _, ok := w.Member(actor); !ok {
		return errNoWorkspace(w.ID)
	}
	a, name, err := s.gateAction(g)
	if a == nil {
		return err
	}
	if a.CanProject(actor, w, g.project) {
		return nil
	}
	// Only a denial needs Decide's reason and position.
	return &ForbiddenError{Op: name, Decision: a.Decide(actor, w, g.project)}
}

// gateAction returns the action g checks and the call's name in a
// refusal: nil and no error for a call open to every member, nil and a
// ForbiddenError for an operation the policy does not map.
func (s *Service) gateAction(g gate) (*policy.Action, string, error) {
	if g.action != nil {
		return g.action, g.name, nil
	}
	if g.op == membersOnly {
		return nil, "", nil
	}
	name := g.op.String()
	a := s.policy.Operation(g.op)
	if a == nil {
		return nil, name, &ForbiddenError{Op: name, Decision: policy.Decision{Reason: policy.UnknownAction}}
	}
	return a, name, nil
}

// The refusals below come from rules the policy declares outside an
// action's permission row; each carries the position of that rule.

// mayAssign checks that actor may give role r in w: actor's role assigns it
// and it is not above actor's rank (role.MayAssign), and w's plan offers it.
func (s *Service) mayAssign(w *workspace.Workspace, actor string, r *role.Role, op policy.Op) error {
	a := w.Role(actor)
	if !a.MayAssign(r) {
		return &ForbiddenError{Op: op.String(), Decision: policy.Decision{
			Reason: policy.RoleLacksAction, Role: a.String(), Plan: w.Plan.Name, Action: s.opAction(op), Detail: "assign " + r.Name, Pos: s.policy.RolePos(a),
		}}
	}
	if !w.Plan.Offers(r) {
		return s.notOffered(op.String(), w.Plan, r.Name, s.opAction(op))
	}
	return nil
}

// opAction names the action that authorizes op, or op itself when the
// policy maps none: the action of a refusal of op by a rule outside the
// permission table, which names what was refused in its Detail.
func (s *Service) opAction(op policy.Op) string {
	if a := s.policy.Operation(op); a != nil {
		return a.Name
	}
	return op.String()
}

// mayManage checks that actor may change or remove a holder of other in w
// (role.MayManage: never the owner, never a higher rank).
func (s *Service) mayManage(w *workspace.Workspace, actor string, other *role.Role, op policy.Op) error {
	if ar := w.Role(actor); !ar.MayManage(other) {
		return &ForbiddenError{Op: op.String(), Decision: policy.Decision{
			Reason: policy.RoleLacksAction, Role: ar.String(), Plan: w.Plan.Name, Action: s.opAction(op), Detail: "manage " + other.String(), Pos: s.policy.RolePos(ar),
		}}
	}
	return nil
}

// notOffered refuses role (named roleName) on plan p, at p's roles:.
func (s *Service) notOffered(op string, p *plan.Plan, roleName, action string) error {
	return &ForbiddenError{Op: op, Decision: policy.Decision{
		Reason: policy.RoleNotOffered, Role: roleName, Plan: p.Name, Action: action, Pos: s.policy.PlanRolesPos(p),
	}}
}

// guestsDisabled refuses a guest of role r while w's guests are disabled,
// at r's guest:.
func (s *Service) guestsDisabled(op string, w *workspace.Workspace, r *role.Role) error {
	return &ForbiddenError{Op: op, Decision: policy.Decision{
		Reason: policy.GuestsDisabled, Role: r.String(), Plan: w.Plan.Name, Pos: s.policy.GuestPos(r),
	}}
}
