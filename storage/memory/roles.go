package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/charterhq/charter/storage"
)

// This file keeps how many members hold each role in a workspace
// (RoleCounts), and finds a role's earliest members (FirstMembers).

// count adds n to the holders of role in workspace ws, with an undo step.
func (t *tx) count(ws, role string, n int) {
	c := inner(t, t.s.roleCounts, ws)
	if v := c[role] + n; v != 0 {
		set(t, c, role, v)
	} else {
		del(t, c, role)
	}
}

func (t *tx) RoleCounts(_ context.Context, ws string) (map[string]int, error) {
	if _, ok := t.s.workspaces[ws]; !ok {
		return nil, notFound("workspace ", ws)
	}
	out := make(map[string]int, len(t.s.roleCounts[ws]))
	for r, n := range t.s.roleCounts[ws] {
		out[r] = n
	}
	return out, nil
}

// FirstMembers scans the workspace's members: its cost grows with them.
func (t *tx) FirstMembers(_ context.Context, ws, role string, limit int) ([]storage.Member, error) {
	var out []storage.Member
	for u := range t.s.byWorkspace[ws] {
		if m := t.s.members[memberKey{ws, u}]; m.Role == role {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b storage.Member) int {
		return cmp.Or(a.Joined.Compare(b.Joined), cmp.Compare(a.User, b.User))
	})
	out = out[:min(len(out), max(limit, 0))]
	for i := range out {
		out[i].Projects = clone(out[i].Projects)
	}
	return out, nil
}
