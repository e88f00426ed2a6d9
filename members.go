package charter

import (
	"context"
	"errors"
	"fmt"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// mayAssign checks that actor may give role r in w: actor's role assigns it,
// it is not above actor's rank, and w's plan offers it.
func mayAssign(w *workspace.Workspace, actor string, r *role.Role, op policy.Op) error {
	a := w.Role(actor)
	if !a.MayAssign(r) {
		return &ForbiddenError{Op: op.String(), Decision: policy.Decision{
			Reason: policy.RoleLacksAction, Role: a.Name, Plan: w.Plan.Name, Action: "assign " + r.Name,
		}}
	}
	if !w.Plan.Offers(r) {
		return &ForbiddenError{Op: op.String(), Decision: policy.Decision{
			Reason: policy.RoleNotOffered, Role: r.Name, Plan: w.Plan.Name, Action: "assign " + r.Name,
		}}
	}
	return nil
}

// pending counts w's members plus what its pending invitations would add,
// leaving out the invitation with ID except.
func (s *Service) pending(ctx context.Context, tx storage.Tx, w *workspace.Workspace, except string) (workspace.Counts, error) {
	c := w.Counts()
	invs, err := tx.PendingInvitations(ctx, w.ID, s.clock())
	if err != nil {
		return c, err
	}
	for _, inv := range invs {
		if inv.ID != except {
			c.Add(s.policy.Role(inv.Role), inv.MaxUses-inv.Uses)
		}
	}
	return c, nil
}

// checkLimits checks that adding n holders of r to w keeps it, with its
// pending invitations, within its plan's limits.
func (s *Service) checkLimits(ctx context.Context, tx storage.Tx, w *workspace.Workspace, r *role.Role, n int, except string) error {
	c, err := s.pending(ctx, tx, w, except)
	if err != nil {
		return err
	}
	before := c
	c.Add(r, n)
	return limitError(w.Plan, before, c)
}

// limitError reports each limit of p that after exceeds and that grew from
// before; a count already over a limit (after a policy change) does not block
// changes that do not add to it.
func limitError(p *plan.Plan, before, after workspace.Counts) error {
	var ls []Limit
	check := func(name string, lim plan.Limit, b, a int) {
		if a > b && !lim.Allows(a) {
			ls = append(ls, Limit{Name: name, Max: int(lim), Count: a})
		}
	}
	check("members", p.Limits.Members, before.Members, after.Members)
	check("seats", p.Limits.Seats, before.Seats, after.Seats)
	check("guests", p.Limits.Guests, before.Guests, after.Guests)
	if len(ls) > 0 {
		return &LimitError{Plan: p.Name, Limits: ls}
	}
	return nil
}

// GrantProject gives an existing guest access to one more project.
func (s *Service) GrantProject(ctx context.Context, actor, id, user, project string) error {
	if project == "" {
		return invalid("empty project")
	}
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpInviteGuest, project)
		if err != nil {
			return err
		}
		w := l.ws
		m, ok := w.Member(user)
		if !ok {
			return fmt.Errorf("%w: member %q", ErrNotFound, user)
		}
		if w.Settings.GuestsDisabled {
			return &ForbiddenError{Op: policy.OpInviteGuest.String(), Decision: policy.Decision{Reason: policy.GuestsDisabled, Plan: w.Plan.Name}}
		}
		if m.OnProject(project) {
			return nil
		}
		if err := w.Grant(user, project); err != nil {
			return invalid("%v", err)
		}
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		return s.record(ctx, tx, id, actor, s.clock(), event{Type: EventGuestGranted, Subject: user,
			Before: memberState{Role: m.Role.Name, Projects: m.Projects}, After: memberState{Role: m.Role.Name, Projects: memberOf(w, user).Projects}})
	})
}

// ChangeRole gives user the role named roleName. Only roles the policy allows
// change roles; the owner's role never changes this way (transfer ownership
// instead); nobody changes their own role, so admins cannot demote
// themselves; nobody assigns a role above their own, one their role may not
// assign, or one the plan does not offer, nor changes a member of higher rank.
// A guest promoted to a member role loses their project grants and reaches
// every project. A member moved to a role that does not spend credits loses
// their allowances (seed 004).
func (s *Service) ChangeRole(ctx context.Context, actor, id, user, roleName string) error {
	r := s.policy.Role(roleName)
	if r == nil {
		return invalid("unknown role %q", roleName)
	}
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpChangeRole, "")
		if err != nil {
			return err
		}
		w := l.ws
		before, ok := w.Member(user)
		switch {
		case !ok:
			return fmt.Errorf("%w: member %q", ErrNotFound, user)
		case user == w.Owner:
			return invalid("the owner's role changes only by ownership transfer")
		case r.Owner:
			return invalid("ownership moves only by transfer")
		case user == actor:
			return invalid("members cannot change their own role")
		case before.Role == r:
			return nil
		case r.Guest:
			return invalid("a member becomes a guest only by removal and a guest invitation")
		}
		ar := w.Role(actor)
		if !ar.MayManage(before.Role) {
			return &ForbiddenError{Op: policy.OpChangeRole.String(), Decision: policy.Decision{Reason: policy.RoleLacksAction, Role: ar.Name, Plan: w.Plan.Name, Action: "manage " + before.Role.Name}}
		}
		if err := mayAssign(w, actor, r, policy.OpChangeRole); err != nil {
			return err
		}
		// Members plus pending invitations, before and after the change.
		pc, err := s.pending(ctx, tx, w, "")
		if err != nil {
			return err
		}
		pa := pc
		pa.Add(before.Role, -1)
		pa.Add(r, 1)
		if err := limitError(w.Plan, pc, pa); err != nil {
			return err
		}
		now := s.clock()
		if err := w.SetRole(user, r, nil, now); err != nil {
			return invalid("%v", err)
		}
		if w.BillingContact == user && !r.Admin {
			w.BillingContact = w.Owner
		}
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		afterM := memberOf(w, user)
		if err := s.record(ctx, tx, id, actor, now, event{Type: EventMemberRoleChanged, Subject: user,
			Before: memberState{Role: before.Role.Name, Projects: before.Projects}, After: memberState{Role: r.Name}}); err != nil {
			return err
		}
		if err := s.seatChange(ctx, tx, id, actor, w.Plan, &before, &afterM, now); err != nil {
			return err
		}
		if !r.Spends {
			return s.dropAllowances(ctx, tx, id, user)
		}
		return nil
	})
}

// Remove removes user from the workspace; for a guest, from all their
// projects at once. The owner cannot be removed, nor a member of higher rank
// than the actor. Removing oneself is leaving.
func (s *Service) Remove(ctx context.Context, actor, id, user string) error {
	if actor == user {
		return s.Leave(ctx, user, id)
	}
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpRemove, "")
		if err != nil {
			return err
		}
		w := l.ws
		m, ok := w.Member(user)
		switch {
		case !ok:
			return fmt.Errorf("%w: member %q", ErrNotFound, user)
		case user == w.Owner:
			return invalid("the owner cannot be removed")
		}
		if ar := w.Role(actor); !ar.MayManage(m.Role) {
			return &ForbiddenError{Op: policy.OpRemove.String(), Decision: policy.Decision{Reason: policy.RoleLacksAction, Role: ar.Name, Plan: w.Plan.Name, Action: "manage " + m.Role.String()}}
		}
		return s.removeMember(ctx, tx, l, actor, user, EventMemberRemoved)
	})
}

// Leave ends user's own membership. The owner cannot leave without first
// transferring ownership.
func (s *Service) Leave(ctx context.Context, user, id string) error {
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, ok := l.ws.Member(user); !ok {
			return errNoWorkspace(id)
		}
		if user == l.ws.Owner {
			return invalid("the owner cannot leave: transfer ownership first")
		}
		return s.removeMember(ctx, tx, l, user, user, EventMemberLeft)
	})
}

func (s *Service) removeMember(ctx context.Context, tx storage.Tx, l *loaded, actor, user, typ string) error {
	w := l.ws
	m, err := w.Remove(user)
	if err != nil {
		return invalid("%v", err)
	}
	if err := s.save(ctx, tx, l); err != nil {
		return err
	}
	now := s.clock()
	if err := s.record(ctx, tx, w.ID, actor, now, event{Type: typ, Subject: user, Before: memberState{Role: m.Role.String(), Projects: m.Projects}}); err != nil {
		return err
	}
	if err := s.seatChange(ctx, tx, w.ID, actor, w.Plan, &m, nil, now); err != nil {
		return err
	}
	return s.dropAllowances(ctx, tx, w.ID, user)
}

// TransferOwnership makes the admin to the owner, atomically: the previous
// owner takes to's admin role, and nothing else changes (seed 004). Only the
// current owner may transfer, where the policy allows it. A shared workspace
// moves only to someone whose licence allows one more (ErrLimitExceeded).
func (s *Service) TransferOwnership(ctx context.Context, actor, id, to string) error {
	return s.updateOnce(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpTransferOwnership, "")
		if err != nil {
			return err
		}
		w := l.ws
		if actor != w.Owner {
			return &ForbiddenError{Op: policy.OpTransferOwnership.String(), Decision: policy.Decision{Reason: policy.RoleLacksAction, Role: w.Role(actor).Name, Plan: w.Plan.Name, Action: "transfer ownership (owner only)"}}
		}
		oldOwner, target := memberOf(w, actor), memberOf(w, to)
		if w.Kind == workspace.Shared && target.Role != nil {
			if err := s.checkRecipientLicence(ctx, tx, to); err != nil {
				return err
			}
		}
		now := s.clock()
		if err := w.Transfer(to, now); err != nil {
			if errors.Is(err, workspace.ErrNotMember) {
				return fmt.Errorf("%w: member %q", ErrNotFound, to)
			}
			return invalid("%v", err)
		}
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		if err := s.record(ctx, tx, id, actor, now, event{Type: EventOwnerTransferred, Subject: to,
			Before: map[string]string{"owner": actor}, After: map[string]string{"owner": to}}); err != nil {
			return err
		}
		newOld, newTarget := memberOf(w, actor), memberOf(w, to)
		if err := s.seatChange(ctx, tx, id, actor, w.Plan, &oldOwner, &newOld, now); err != nil {
			return err
		}
		return s.seatChange(ctx, tx, id, actor, w.Plan, &target, &newTarget, now)
	})
}
