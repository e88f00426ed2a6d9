package policy

import (
	"slices"
	"strconv"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// Reason says why a check allowed or denied. Checks test the reasons in the
// order they are declared and stop at the first that denies.
type Reason uint8

// The reasons of a Decision.
const (
	Allowed             Reason = iota // every test passed
	NoWorkspace                       // the workspace is nil
	UnknownAction                     // the action is not in the policy
	NotMember                         // the actor is not a member of the workspace
	UnknownRole                       // the member's role is not a role of this policy
	UnknownPlan                       // the workspace's plan is not a plan of this policy
	WrongKind                         // the action does not apply to the workspace's kind
	RoleLacksAction                   // the permission table does not grant the action to the role
	PlanLacksFeature                  // the plan lacks a feature the action requires
	RoleNotOffered                    // the plan does not offer the member's role
	GuestsDisabled                    // the actor is a guest and guests are switched off
	GuestNotOnProject                 // the actor is a guest not granted the project
	InsufficientCredits               // the pool cannot pay the cost (set by the Service only)
	OutsideAllowance                  // the member's allowance cannot pay (set by the Service only)
	numReasons
)

var reasonNames = [numReasons]string{
	Allowed:             "allowed",
	NoWorkspace:         "no workspace",
	UnknownAction:       "unknown action",
	NotMember:           "not a member",
	UnknownRole:         "unknown role",
	UnknownPlan:         "unknown plan",
	WrongKind:           "wrong workspace kind",
	RoleLacksAction:     "role lacks action",
	PlanLacksFeature:    "plan lacks feature",
	RoleNotOffered:      "role not offered",
	GuestsDisabled:      "guests disabled",
	GuestNotOnProject:   "guest not on project",
	InsufficientCredits: "insufficient credits",
	OutsideAllowance:    "outside allowance",
}

// String returns a short lower-case name of the reason, e.g. "not a member".
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Decision is the outcome of a check with what decided it. Building one
// does not allocate; String formats it.
type Decision struct {
	// Allowed reports whether the actor may act. It is the only field to
	// authorize on: the zero Decision denies.
	Allowed bool
	// Reason is Allowed or the first test that denied.
	Reason Reason
	// Action is the action's name; "" when it is unknown.
	Action string
	// Role is the actor's role name; "" when the actor is not a member.
	Role string
	// Plan is the workspace's plan name; "" when there is no workspace.
	Plan string
	// Pos is the position in the policy of the rule that decided: the
	// action's permission row (or its declaration when it has none) for
	// Allowed and RoleLacksAction, the action's feature: for
	// PlanLacksFeature, its kinds: for WrongKind, the plan's roles: for
	// RoleNotOffered, the role's guest: for the guest reasons; zero when no
	// rule of the policy decided.
	Pos Pos
	// Detail is what the rule tested, when it adds to the other fields: the
	// unknown action's name, the non-member, the foreign role or plan, the
	// workspace kind, the missing feature or the project; for a
	// RoleLacksAction of the Service's rank rules, what was refused
	// ("assign admin", "manage owner"), Action being the operation's action.
	Detail string
}

// String explains d in one line, e.g.
// "allowed: editor may generate_video (video.yaml:41:3)".
func (d Decision) String() string {
	var s string
	switch d.Reason {
	case Allowed:
		s = d.Role + " may " + d.Action
	case NoWorkspace:
		s = "no workspace"
	case UnknownAction:
		s = "unknown action " + strconv.Quote(d.Detail)
	case NotMember:
		s = strconv.Quote(d.Detail) + " is not a member of the workspace"
	case UnknownRole:
		s = "role " + strconv.Quote(d.Detail) + " is not a role of this policy"
	case UnknownPlan:
		s = "plan " + strconv.Quote(d.Detail) + " is not a plan of this policy"
	case WrongKind:
		kind := d.Detail
		if kind == "" {
			kind = "invalid"
		}
		s = d.Action + " does not apply in " + kind + " workspaces"
	case RoleLacksAction:
		what := d.Action
		if d.Detail != "" { // what a rule outside the table refused, e.g. "assign admin"
			what = d.Detail
		}
		s = d.Role + " may not " + what
	case PlanLacksFeature:
		s = "plan " + d.Plan + " lacks feature " + d.Detail + " required by " + d.Action
	case RoleNotOffered:
		s = "plan " + d.Plan + " does not offer role " + d.Role
	case GuestsDisabled:
		s = "guests are disabled in this workspace"
	case GuestNotOnProject:
		if d.Detail == "" {
			s = "guest role " + d.Role + " may " + d.Action + " only on a granted project, and none was named"
		} else {
			s = "guest role " + d.Role + " may " + d.Action + " only on granted projects, not " + strconv.Quote(d.Detail)
		}
	case InsufficientCredits:
		s = "insufficient credits for " + d.Action
	case OutsideAllowance:
		s = d.Action + " exceeds the member's credit allowance"
	default:
		s = d.Reason.String()
	}
	verdict := "denied: "
	if d.Allowed {
		verdict = "allowed: "
	}
	s = verdict + s
	if !d.Pos.IsZero() {
		s += " (" + d.Pos.String() + ")"
	}
	return s
}

// Can reports whether actor may perform the action called action in ws. A
// project-scoped action is checked as if on some project: guests are
// denied, everybody else is allowed per their role.
func (p *Policy) Can(actor, action string, ws *workspace.Workspace) bool {
	return p.can(actor, action, ws, "")
}

// CanProject reports whether actor may perform the action called action on
// project in ws. Guests are allowed only on projects granted to them.
func (p *Policy) CanProject(actor, action string, ws *workspace.Workspace, project string) bool {
	return p.can(actor, action, ws, project)
}

// Decide is CanProject with the reason and the policy rule that decided.
// An empty project is "no particular project", as in Can.
func (p *Policy) Decide(actor, action string, ws *workspace.Workspace, project string) Decision {
	if ws == nil {
		return Decision{Reason: NoWorkspace}
	}
	a := p.Action(action)
	if a == nil {
		return Decision{Reason: UnknownAction, Plan: planName(ws.Plan), Detail: action}
	}
	return a.Decide(actor, ws, project)
}

// Can reports whether actor may perform a in ws; see Policy.Can. It reports
// false when a is nil.
func (a *Action) Can(actor string, ws *workspace.Workspace) bool {
	return a.allowed(actor, ws, "")
}

// CanProject reports whether actor may perform a on project in ws; see
// Policy.CanProject. It reports false when a is nil.
func (a *Action) CanProject(actor string, ws *workspace.Workspace, project string) bool {
	return a.allowed(actor, ws, project)
}

// Decide is CanProject with the reason and the policy rule that decided.
// An empty project is "no particular project", as in Can.
func (a *Action) Decide(actor string, ws *workspace.Workspace, project string) Decision {
	reason, m := a.check(actor, ws, project)
	return a.decision(reason, m, actor, ws, project)
}

// Allows is the check for a member the caller already looked up, e.g. one
// membership loaded from storage: r is the member's role and projects the
// projects granted to them. It skips the membership test, so it never
// returns NotMember.
func (a *Action) Allows(r *role.Role, ws *workspace.Workspace, project string, projects []string) Decision {
	if ws == nil {
		return Decision{Reason: NoWorkspace}
	}
	if a == nil {
		return Decision{Reason: UnknownAction, Plan: planName(ws.Plan)}
	}
	return a.decision(a.reason(r, projects, false, "", ws, project), r, "", ws, project)
}

// Permits is Allows without the reason: whether a member holding role r,
// granted projects, may perform a in ws (on project). It builds no Decision,
// for callers that need only the verdict; it reports false when a or ws is
// nil.
func (a *Action) Permits(r *role.Role, ws *workspace.Workspace, project string, projects []string) bool {
	return a != nil && ws != nil && a.reason(r, projects, false, "", ws, project) == Allowed
}

func planName(p *plan.Plan) string {
	if p == nil {
		return ""
	}
	return p.Name
}

// decision builds the Decision for reason without allocating.
func (a *Action) decision(reason Reason, r *role.Role, actor string, ws *workspace.Workspace, project string) Decision {
	d := Decision{Allowed: reason == Allowed, Reason: reason}
	if reason == NoWorkspace {
		return d
	}
	d.Plan = planName(ws.Plan)
	if reason == UnknownAction {
		return d
	}
	d.Action = a.Name
	if r != nil {
		d.Role = r.Name
	}
	switch reason {
	case NotMember:
		d.Detail = actor
	case UnknownRole:
		if r != nil {
			d.Detail = r.Name
		}
	case UnknownPlan:
		d.Detail = d.Plan
	case WrongKind:
		d.Pos, d.Detail = a.kindsPos, kindName(ws.Kind)
	case Allowed, RoleLacksAction:
		d.Pos = a.permPos
	case PlanLacksFeature:
		d.Pos, d.Detail = a.featurePos, a.featureName
	case RoleNotOffered:
		d.Pos = a.hot.policy.planMeta[ws.Plan.Index].rolesPos
	case GuestsDisabled:
		d.Pos = a.hot.policy.roleMeta[r.Index].guestPos
	case GuestNotOnProject:
		d.Pos, d.Detail = a.hot.policy.roleMeta[r.Index].guestPos, project
	}
	return d
}

// can is allowed with the action looked up by name.
func (p *Policy) can(actor, action string, ws *workspace.Workspace, project string) bool {
	return p.Action(action).allowed(actor, ws, project)
}

// allowed is the check of Can and CanProject: the tests of reason with a
// boolean answer, written out in one function so that the check makes no
// call but the map lookup of Workspace.Role. Guests, whose answer depends on
// the settings and their projects, go on to reason. The rapid test holds it
// to Decide's answer.
func (a *Action) allowed(actor string, ws *workspace.Workspace, project string) bool {
	if a == nil || ws == nil {
		return false
	}
	// A non-member has no role, and a nil role denies.
	r := ws.Role(actor)
	if r == nil {
		return false
	}
	h := &a.hot
	pl := ws.Plan
	bit := role.Set(1) << uint(r.Index)
	switch {
	case h.roles == nil || uint(r.Index) >= uint(len(h.roles)) || h.roles[r.Index] != r,
		pl == nil || uint(pl.Index) >= uint(len(h.plans)) || h.plans[pl.Index] != pl,
		h.kinds&(1<<ws.Kind) == 0 || ws.Kind == 0,
		h.allowed&bit == 0,
		pl.Features&h.feature != h.feature,
		pl.Roles&bit == 0:
		return false
	}
	return !r.Guest || a.reason(r, nil, true, actor, ws, project) == Allowed
}

// check runs the tests of a check in order: it returns the first failing
// reason, or Allowed, and the member's role when there is one.
func (a *Action) check(actor string, ws *workspace.Workspace, project string) (Reason, *role.Role) {
	if ws == nil {
		return NoWorkspace, nil
	}
	if a == nil {
		return UnknownAction, nil
	}
	m, ok := ws.Member(actor)
	if !ok {
		return NotMember, nil
	}
	return a.reason(m.Role, m.Projects, false, actor, ws, project), m.Role
}

// reason runs the tests after the member lookup, in order: a handful of
// loads and bit tests on the action's hot fields, the role, the plan and
// the workspace. projects are the member's projects, or, when lookup is
// set, are looked up by actor only if a guest's projects are needed. An
// empty project names no project:
// non-guests pass, guests fail a project-scoped action.
func (a *Action) reason(r *role.Role, projects []string, lookup bool, actor string, ws *workspace.Workspace, project string) Reason {
	h := &a.hot
	if r == nil || h.roles == nil || uint(r.Index) >= uint(len(h.roles)) || h.roles[r.Index] != r {
		return UnknownRole
	}
	pl := ws.Plan
	if pl == nil || uint(pl.Index) >= uint(len(h.plans)) || h.plans[pl.Index] != pl {
		return UnknownPlan
	}
	if ws.Kind == 0 || h.kinds&(1<<ws.Kind) == 0 {
		return WrongKind
	}
	bit := role.Set(1) << uint(r.Index)
	if h.allowed&bit == 0 {
		return RoleLacksAction
	}
	if pl.Features&h.feature != h.feature {
		return PlanLacksFeature
	}
	if pl.Roles&bit == 0 {
		return RoleNotOffered
	}
	if r.Guest {
		if ws.Settings.GuestsDisabled {
			return GuestsDisabled
		}
		if h.project {
			if project == "" {
				return GuestNotOnProject
			}
			if lookup {
				m, _ := ws.Member(actor)
				projects = m.Projects
			}
			if !slices.Contains(projects, project) {
				return GuestNotOnProject
			}
		}
	}
	return Allowed
}
