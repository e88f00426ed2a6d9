package charter

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

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

// creditDecision denies an allowed action with a cost that the pool or the
// actor's allowance cannot pay for, and fills in the pool's state.
func (s *Service) creditDecision(ctx context.Context, tx storage.Tx, w *workspace.Workspace, actor string, a *policy.Action, d *Decision) error {
	now := s.clock()
	cur := a.Cost.Currency
	d.Currency = cur
	if g := s.grantOf(w.Plan, cur); !g.Every.IsZero() {
		_, d.ResetsAt = g.Every.Bounds(w.Anchor, now)
	}
	if m := memberOf(w, actor); !m.Role.Spends {
		d.Allowed, d.Reason = false, policy.RoleLacksAction
		return nil
	}
	if c := s.policy.Currency(cur); c == nil || !c.Kinds.Has(w.Kind) {
		d.Allowed, d.Reason = false, policy.WrongKind
		return nil
	}
	pl, ok, err := s.loadPool(ctx, tx, w, cur, now)
	if err != nil {
		return err
	}
	if ok {
		d.Balance = pl.p.Balance(now)
	}
	if d.Balance < a.Cost.Amount {
		d.Allowed, d.Reason = false, policy.InsufficientCredits
		return nil
	}
	sa, err := tx.Allowance(ctx, w.ID, cur, actor)
	switch {
	case err == nil:
		ca := allowance(sa)
		if ca.Left(pl.p.CurrentPeriod()) < a.Cost.Amount {
			d.Allowed, d.Reason = false, policy.OutsideAllowance
		}
	case errors.Is(err, storage.ErrNotFound):
		if s.grantOf(w.Plan, cur).RequireAllowance {
			d.Allowed, d.Reason = false, policy.OutsideAllowance
		}
	default:
		return err
	}
	return nil
}

// authorize checks that actor may perform op in w (on project, for a
// project-scoped action). A non-member gets errNoWorkspace, as if w did not
// exist.
func (s *Service) authorize(w *workspace.Workspace, actor string, op policy.Op, project string) error {
	if _, ok := w.Member(actor); !ok {
		return errNoWorkspace(w.ID)
	}
	a := s.policy.Operation(op)
	if a == nil {
		return &ForbiddenError{Op: op.String(), Decision: policy.Decision{Reason: policy.UnknownAction}}
	}
	if d := a.Decide(actor, w, project); !d.Allowed {
		return &ForbiddenError{Op: op.String(), Decision: d}
	}
	return nil
}
