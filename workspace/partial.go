package workspace

import (
	"fmt"

	"github.com/charterhq/charter/role"
)

// This file holds partial workspaces: some of a workspace's members, with
// counts of all of them, enough for one change of membership.

// Partial marks w, built with Put from some of a workspace's members, as
// that workspace: counts gives how many of all its members hold each role
// (nil for a role the policy no longer knows), held or not, and every admin
// who joined no later than edge (by Joined, then User) is held; every admin
// is when edge is nil. The counts keep the rules that span every member
// (one owner, at least one admin, the plan's limits, roles the plan
// offers) without holding them, and the admins held keep the first admin
// (FirstAdmin) through any one change of membership. A partial workspace's
// Members and Users list the members it holds; Len and Counts count all.
// It returns an error, leaving w whole, when counts has fewer holders of a
// role than w holds.
func (w *Workspace) Partial(counts map[*role.Role]int, edge *Member) error {
	if err := w.changeable(); err != nil {
		return err
	}
	held := w.tally
	for r, n := range held {
		if counts[r] < n {
			return fmt.Errorf("%w: workspace %s: %d members hold %s, but %d are held", ErrInvalid, w.ID, counts[r], r, n)
		}
	}
	w.tally = make(map[*role.Role]int, len(counts))
	for r, n := range counts {
		if n > 0 {
			w.tally[r] = n
		}
	}
	w.partial, w.edge = true, nil
	if edge != nil {
		e := *edge
		w.edge = &e
	}
	return nil
}

// Whole reports whether w holds every one of its members (it is not
// Partial).
func (w *Workspace) Whole() bool { return !w.partial }

// earlier reports whether a joined before b: by Joined, then User.
func earlier(a, b Member) bool {
	return a.Joined.Before(b.Joined) || (a.Joined.Equal(b.Joined) && a.User < b.User)
}
