// Package explain decides one question put to a policy, a Scenario, by
// building the workspace it describes and asking the policy. The charter
// command's explain and test and its playground share it.
package explain

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// The users of a scenario's workspace.
const (
	actor     = "you"
	otherUser = "owner" // the owner when the actor does not hold the owner role
)

// epoch is the time a scenario's workspace is created and joined; decisions
// do not depend on it.
var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// A Scenario is one question put to a policy: may a member holding Role
// perform Action (on Project) in a workspace of Kind on Plan? Its fields are
// the flags of explain and the fields of a case in a cases file.
type Scenario struct {
	Role           string
	Action         string
	Plan           string   // "" for the policy's default plan
	Kind           string   // "" for shared
	Project        string   // "" for no project in particular
	Granted        []string // a guest's projects
	GuestsDisabled bool
}

// Decide builds the scenario's workspace and returns p's decision for the
// actor in it. An error means the scenario does not fit p: an unknown role,
// action, plan or kind, or projects given to a non-guest or none to a guest.
func (s Scenario) Decide(p *policy.Policy) (policy.Decision, error) {
	if p.Action(s.Action) == nil {
		return policy.Decision{}, fmt.Errorf("policy %s has no action %q (actions: %s)", p.Name(), s.Action, actionNames(p))
	}
	ws, err := s.workspace(p)
	if err != nil {
		return policy.Decision{}, err
	}
	return p.Decide(actor, s.Action, ws, s.Project), nil
}

// workspace returns a workspace holding the actor in s.Role and, unless
// that is the owner role, another user as the owner.
func (s Scenario) workspace(p *policy.Policy) (*workspace.Workspace, error) {
	r := p.Role(s.Role)
	if r == nil {
		return nil, fmt.Errorf("policy %s has no role %q (roles: %s)", p.Name(), s.Role, roleNames(p.Roles()))
	}
	pl := p.DefaultPlan()
	if s.Plan != "" {
		if pl = p.Plan(s.Plan); pl == nil {
			var names []string
			for _, pl := range p.Plans() {
				names = append(names, pl.Name)
			}
			return nil, fmt.Errorf("policy %s has no plan %q (plans: %s)", p.Name(), s.Plan, strings.Join(names, ", "))
		}
	}
	kind := workspace.Shared
	if s.Kind != "" {
		k, err := workspace.ParseKind(s.Kind)
		if err != nil {
			return nil, err
		}
		kind = k
	}
	switch {
	case r.Guest && len(s.Granted) == 0:
		return nil, fmt.Errorf("role %s is a guest role: name the projects granted to it", r.Name)
	case !r.Guest && len(s.Granted) > 0:
		return nil, fmt.Errorf("role %s is not a guest role: it reaches every project, none is granted", r.Name)
	}

	owner := otherUser
	if r.Owner {
		owner = actor
	}
	ws, err := workspace.New("explain", kind, pl, owner, p.OwnerRole(), epoch)
	if err != nil {
		return nil, err
	}
	if !r.Owner {
		err := ws.Add(actor, r, s.Granted, epoch)
		if errors.Is(err, workspace.ErrNotOffered) {
			// Not something Add does, but a workspace whose plan changed
			// under its members can hold it; Decide says why it denies.
			projects := slices.Clone(s.Granted)
			slices.Sort(projects)
			ws.Put(workspace.Member{User: actor, Role: r, Projects: slices.Compact(projects), Joined: epoch})
		} else if err != nil {
			return nil, err
		}
	}
	// Switched off after the guest joined, as a workspace admin would.
	ws.Settings.GuestsDisabled = s.GuestsDisabled
	return ws, nil
}

// String describes s in one line, e.g. `guest view_project on "roadmap"
// (plan business, granted [roadmap])`.
func (s Scenario) String() string {
	str := s.Role + " " + s.Action
	if s.Project != "" {
		str += " on " + strconv.Quote(s.Project)
	}
	var in []string
	if s.Plan != "" {
		in = append(in, "plan "+s.Plan)
	}
	if s.Kind != "" {
		in = append(in, s.Kind)
	}
	if len(s.Granted) > 0 {
		in = append(in, "granted ["+strings.Join(s.Granted, ", ")+"]")
	}
	if s.GuestsDisabled {
		in = append(in, "guests disabled")
	}
	if len(in) > 0 {
		str += " (" + strings.Join(in, ", ") + ")"
	}
	return str
}

func roleNames(roles []*role.Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	return strings.Join(names, ", ")
}

func actionNames(p *policy.Policy) string {
	names := make([]string, len(p.Actions()))
	for i, a := range p.Actions() {
		names[i] = a.Name
	}
	return strings.Join(names, ", ")
}
