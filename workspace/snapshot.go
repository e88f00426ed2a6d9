package workspace

import (
	"errors"
	"maps"
	"slices"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
)

// This file holds check-only snapshots: a workspace as the policy's checks
// read it, and nothing more.

// ErrSnapshot is returned by the changes and by Check of a check-only
// snapshot (NewSnapshot, Snapshot): it holds no join or seat times, so it
// cannot keep the rules that need them.
var ErrSnapshot = errors.New("workspace: a check-only snapshot is not changed or checked; load the workspace whole")

// NewSnapshot returns a check-only snapshot of a workspace with no members
// yet, room for about n: what package policy's checks read and nothing
// else. Put fills it, keeping each member's role and a guest's projects
// (not Joined or SeatSince); Owner and Settings are set as on any
// Workspace. It costs about one map of roles, where a workspace loaded
// whole also keeps every membership's times and a count of each role.
//
// A snapshot answers Role, Member (with zero times), Members, Users, Len,
// Counts and Owned, and every check of package policy, as the whole
// workspace would. It refuses every change (Add, SetRole, Grant, Remove,
// Transfer, CheckRoleChange, Partial) and Check with ErrSnapshot, and its
// FirstAdmin is "": those need the times it does not hold. It suits a
// cache of many workspaces kept for checks, such as an application's
// in-process authorization of requests.
func NewSnapshot(id string, kind Kind, p *plan.Plan, n int) *Workspace {
	return &Workspace{ID: id, Kind: kind, Plan: p, checkOnly: true, roles: make(map[string]*role.Role, n)}
}

// Snapshot returns a check-only snapshot of w (see NewSnapshot): its
// header, settings and every member's role and a guest's projects. Of a
// partial workspace it holds the members w holds, and is partial too: its
// Len and Counts count every member, as w's do, and Whole is false.
func (w *Workspace) Snapshot() *Workspace {
	s := &Workspace{
		ID: w.ID, Name: w.Name, Kind: w.Kind, Plan: w.Plan, Owner: w.Owner,
		BillingContact: w.BillingContact, Settings: w.Settings, Logo: w.Logo,
		Preferences: maps.Clone(w.Preferences), Created: w.Created, Anchor: w.Anchor,
		Version: w.Version, checkOnly: true, roles: maps.Clone(w.roles),
	}
	if s.roles == nil {
		s.roles = make(map[string]*role.Role)
	}
	if w.partial {
		s.partial, s.tally = true, maps.Clone(w.tally)
	}
	for u, m := range w.Members() {
		if len(m.Projects) > 0 {
			s.putGuest(u, m.Projects)
		}
	}
	return s
}

// CheckOnly reports whether w is a check-only snapshot (NewSnapshot,
// Snapshot).
func (w *Workspace) CheckOnly() bool { return w.checkOnly }

// changeable returns ErrSnapshot for a check-only snapshot.
func (w *Workspace) changeable() error {
	if w.checkOnly {
		return ErrSnapshot
	}
	return nil
}

// putGuest records a copy of a guest's projects in a snapshot, or forgets
// them when there are none.
func (w *Workspace) putGuest(user string, projects []string) {
	if len(projects) == 0 {
		delete(w.guests, user)
		return
	}
	if w.guests == nil {
		w.guests = make(map[string][]string)
	}
	w.guests[user] = slices.Clone(projects)
}
