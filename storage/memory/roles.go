package memory

import (
	"cmp"
	"context"
	"slices"

	"github.com/charterhq/charter/storage"
)

// This file keeps how many members hold each role in a workspace
// (RoleCounts), finds a role's earliest members (FirstMembers), and reads
// pages of a workspace's members and of a user's workspaces.

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

// firstAfter returns, sorted, up to limit of keys that come after after:
// one scan of keys, and a sort of what it keeps.
func firstAfter[V any](keys map[string]V, after string, limit int) []string {
	if limit <= 0 {
		return nil
	}
	var out []string
	for k := range keys {
		if k <= after {
			continue
		}
		out = append(out, k)
		if len(out) == 2*limit {
			// Keep the smallest limit so far, so the scan holds at most
			// twice the page.
			slices.Sort(out)
			out = out[:limit]
		}
	}
	slices.Sort(out)
	return out[:min(limit, len(out))]
}

func (t *tx) MembersPage(_ context.Context, ws, after string, limit int) ([]storage.Member, error) {
	users := firstAfter(t.s.byWorkspace[ws], after, limit)
	out := make([]storage.Member, 0, len(users))
	for _, u := range users {
		m := t.s.members[memberKey{ws, u}]
		m.Projects = clone(m.Projects)
		out = append(out, m)
	}
	return out, nil
}

func (t *tx) WorkspacesOfPage(_ context.Context, user, after string, limit int) ([]storage.Workspace, error) {
	ids := firstAfter(t.s.ofUser[user], after, limit)
	out := make([]storage.Workspace, 0, len(ids))
	for _, id := range ids {
		out = append(out, t.s.workspaces[id])
	}
	return out, nil
}
