package charter

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/charterhq/charter/workspace"
)

// Decision logs and events.
//
// Events (Service.Events) record committed changes: each is written in the
// transaction of the change it records, so a change and its event commit
// together or not at all, and a workspace's events are numbered without
// gaps. They are the audit trail of who changed what.
//
// Decision logs record decisions: every decision of Can, CanProject, Decide
// and Permissions, allowed or denied, every spend (Spend and SpendWith:
// the action allowed, or the refusal), and every refusal of any other call
// by the policy (a *ForbiddenError), with its reason, the policy rule that
// decided and how long it took, passed to Options.DecisionLog and
// Options.OnDecision as the call returns. They are best-effort and outside
// any transaction: a decision is logged once it is made, whatever the
// caller then does with it, and nothing numbers or keeps the records but
// the logger. A change that was allowed is not decision-logged: what it did
// is its event.
//
// With neither option set, deciding costs what it costs without them: no
// clock read, no allocation.

// DecisionRecord is one decision as Options.OnDecision receives it.
type DecisionRecord struct {
	Actor, Action, Workspace string
	// Project is the project of CanProject and ProjectPermissions, or "".
	Project string
	// Decision is what was decided; Decision.Pos is the policy rule that
	// decided (file:line:col), zero when none did.
	Decision Decision
	// Duration is how long deciding took: for Permissions, the whole set,
	// repeated on the record of each action.
	Duration time.Duration
	// Err is the error deciding returned, e.g. a storage failure; the
	// Decision is then a denial.
	Err error
}

// decisionLogs is what a Service does with decisions; the zero value does
// nothing.
type decisionLogs struct {
	log  *slog.Logger
	hook func(context.Context, DecisionRecord)
}

// on reports whether decisions are logged at all.
func (l decisionLogs) on() bool { return l.log != nil || l.hook != nil }

// record logs one decision to the logger, at level Info with the message
// "charter.decision", and passes it to the hook.
func (l decisionLogs) record(ctx context.Context, r DecisionRecord) {
	if l.log != nil && l.log.Enabled(ctx, slog.LevelInfo) {
		d := r.Decision
		attrs := make([]slog.Attr, 0, 12)
		attrs = append(attrs,
			slog.String("actor", r.Actor),
			slog.String("action", r.Action),
			slog.String("workspace", r.Workspace),
		)
		if r.Project != "" {
			attrs = append(attrs, slog.String("project", r.Project))
		}
		attrs = append(attrs,
			slog.Bool("allowed", d.Allowed),
			slog.String("reason", d.Reason.String()),
		)
		if d.Role != "" {
			attrs = append(attrs, slog.String("role", d.Role))
		}
		if d.Plan != "" {
			attrs = append(attrs, slog.String("plan", d.Plan))
		}
		if !d.Pos.IsZero() {
			attrs = append(attrs, slog.String("rule", d.Pos.String()))
		}
		attrs = append(attrs, slog.Duration("duration", r.Duration))
		if r.Err != nil {
			attrs = append(attrs, slog.Any("error", r.Err))
		}
		l.log.LogAttrs(ctx, slog.LevelInfo, "charter.decision", attrs...)
	}
	if l.hook != nil {
		l.hook(ctx, r)
	}
}

// logDecide is Decide with its decision logged.
func (s *Service) logDecide(ctx context.Context, actor, action, id, project string) (Decision, error) {
	start := time.Now()
	d, err := s.decideUnlogged(ctx, actor, action, id, project)
	s.logs.record(ctx, DecisionRecord{Actor: actor, Action: action, Workspace: id, Project: project, Decision: d, Duration: time.Since(start), Err: err})
	return d, err
}

// logPermissions is ProjectPermissions with its decisions logged, one
// record per action, or one for a set that could not be decided.
func (s *Service) logPermissions(ctx context.Context, actor, id, project string) (PermissionSet, error) {
	start := time.Now()
	ps, err := s.permissions(ctx, actor, id, project)
	r := DecisionRecord{Actor: actor, Workspace: id, Project: project, Duration: time.Since(start), Err: err}
	if err != nil {
		s.logs.record(ctx, r)
		return ps, err
	}
	for p := range ps.All() {
		r.Action = p.Action
		r.Decision, _ = ps.Decision(p.Action)
		s.logs.record(ctx, r)
	}
	return ps, nil
}

// logRefusal logs err when it is the policy's refusal of a call of actor in
// workspace id (a *ForbiddenError); other errors and successes are not
// decisions to log.
func (s *Service) logRefusal(ctx context.Context, actor, id, project string, start time.Time, err error) {
	fe, ok := errors.AsType[*ForbiddenError](err)
	if !ok {
		return
	}
	action := fe.Decision.Action
	if action == "" {
		action = fe.Op
	}
	s.logs.record(ctx, DecisionRecord{Actor: actor, Action: action, Workspace: id, Project: project, Decision: Decision{Decision: fe.Decision}, Duration: time.Since(start)})
}

// logSpend logs the decision that let actor spend on g's action in w.
func (s *Service) logSpend(ctx context.Context, actor string, w *workspace.Workspace, g gate, start time.Time) {
	d := Decision{Decision: g.action.Decide(actor, w, g.project), Currency: g.action.Cost.Currency}
	s.logs.record(ctx, DecisionRecord{Actor: actor, Action: g.action.Name, Workspace: w.ID, Project: g.project, Decision: d, Duration: time.Since(start)})
}
