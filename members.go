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

// limitError reports each limit of p that after may not reach from before
// (workspace.Counts.Grown), as a *LimitError.
func limitError(p *plan.Plan, before, after workspace.Counts) error {
	var ls []Limit
	for _, e := range after.Grown(before, p.Limits) {
		ls = append(ls, Limit{Name: e.Limit, Max: e.Max, Count: e.Count})
	}
	if len(ls) > 0 {
		return &LimitError{Plan: p.Name, Limits: ls}
	}
	return nil
}

// breaksRule reports a membership rule of package workspace that a call would
// break, as ErrInvalid that also matches the rule's own error
// (workspace.ErrOwner, workspace.ErrLastAdmin, ...).
func breaksRule(err error) error {
	return fmt.Errorf("%w: %w", ErrInvalid, err)
}

// GrantProject gives an existing guest access to one more project.
func (s *Service) GrantProject(ctx context.Context, actor, id, user, project string) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isID("user", user), isProject(project)); err != nil {
		return err
	}
	return s.in(ctx, actor, id, gate{op: policy.OpInviteGuest, project: project, write: true, part: true, touch: user}, func(tx storage.Tx, l *loaded) error {
		w := l.ws
		m, ok := w.Member(user)
		if !ok {
			return fmt.Errorf("%w: member %q", ErrNotFound, user)
		}
		if w.Settings.GuestsDisabled {
			return s.guestsDisabled(policy.OpInviteGuest.String(), w, m.Role)
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
// their allowances (the credit-pool policy).
func (s *Service) ChangeRole(ctx context.Context, actor, id, user, roleName string) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isID("user", user), isPolicyName("role", roleName)); err != nil {
		return err
	}
	r := s.policy.Role(roleName)
	if r == nil {
		return invalid("unknown role %q", roleName)
	}
	return s.in(ctx, actor, id, gate{op: policy.OpChangeRole, write: true, part: true, touch: user}, func(tx storage.Tx, l *loaded) error {
		w := l.ws
		before, err := w.CheckRoleChange(actor, user, r)
		switch {
		case errors.Is(err, workspace.ErrNotMember):
			return fmt.Errorf("%w: member %q", ErrNotFound, user)
		case err != nil:
			return breaksRule(err)
		case before.Role == r:
			return nil
		}
		if err := s.mayManage(w, actor, before.Role, policy.OpChangeRole); err != nil {
			return err
		}
		if err := s.mayAssign(w, actor, r, policy.OpChangeRole); err != nil {
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
			return breaksRule(err)
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
// projects at once. The owner cannot be removed, nor the last admin of a
// workspace without an owner, nor a member of higher rank than the actor. Removing oneself is leaving.
func (s *Service) Remove(ctx context.Context, actor, id, user string) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isID("user", user)); err != nil {
		return err
	}
	if actor == user {
		return s.Leave(ctx, user, id)
	}
	return s.in(ctx, actor, id, gate{op: policy.OpRemove, write: true, part: true, touch: user}, func(tx storage.Tx, l *loaded) error {
		// The snapshot is discarded unless the removal is saved.
		m, err := l.ws.Remove(user)
		switch {
		case errors.Is(err, workspace.ErrNotMember):
			return fmt.Errorf("%w: member %q", ErrNotFound, user)
		case err != nil:
			return breaksRule(err)
		}
		if err := s.mayManage(l.ws, actor, m.Role, policy.OpRemove); err != nil {
			return err
		}
		return s.removed(ctx, tx, l, actor, m, EventMemberRemoved)
	})
}

// Leave ends user's own membership. The owner cannot leave without first
// transferring ownership (workspace.ErrOwner, as ErrInvalid); in a workspace
// without an owner, the last admin cannot leave (workspace.ErrLastAdmin, as
// ErrInvalid).
func (s *Service) Leave(ctx context.Context, user, id string) error {
	if err := s.check(ctx, isID("user", user), isID("workspace", id)); err != nil {
		return err
	}
	return s.in(ctx, user, id, gate{op: membersOnly, write: true, part: true}, func(tx storage.Tx, l *loaded) error {
		m, err := l.ws.Remove(user)
		if err != nil {
			return breaksRule(err)
		}
		return s.removed(ctx, tx, l, user, m, EventMemberLeft)
	})
}

// removed saves the removal of m from l's workspace with its event, its seat
// credit and the end of m's allowances.
func (s *Service) removed(ctx context.Context, tx storage.Tx, l *loaded, actor string, m workspace.Member, typ string) error {
	w, user := l.ws, m.User
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
// owner takes to's admin role, and nothing else changes (the credit-pool policy). Only the
// current owner may transfer, where the policy allows it. A shared workspace
// moves only to someone whose licence allows one more (ErrLimitExceeded).
func (s *Service) TransferOwnership(ctx context.Context, actor, id, to string) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isID("to", to)); err != nil {
		return err
	}
	return s.in(ctx, actor, id, gate{op: policy.OpTransferOwnership, write: true, part: true, touch: to}, func(tx storage.Tx, l *loaded) error {
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
