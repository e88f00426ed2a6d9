package memory

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/charterhq/charter/storage"
)

// This file reads how many members hold each role in a workspace
// (RoleCounts), a role's earliest members (FirstMembers), and pages of a
// workspace's members and of a user's workspaces. A workspace of up to
// bigAt members is scanned, at most bigAt steps; a larger one keeps
// indexes (bigWS), so that none of these grows with its members.

// RoleCounts returns how many members hold each role in the workspace.
// A workspace of up to bigAt members is counted, a larger one keeps
// counts.
func (t *tx) RoleCounts(_ context.Context, ws string) (map[string]int, error) {
	h, ok := t.s.workspaces[ws]
	if !ok {
		return nil, notFound("workspace ", ws)
	}
	r := t.s.ws.at(h)
	out := map[string]int{}
	if r.big != nil {
		for role, n := range r.big.counts {
			out[t.s.names.list[role]] = n
		}
		return out, nil
	}
	for _, m := range r.members {
		out[t.s.names.list[m.role]]++
	}
	return out, nil
}

// FirstMembers returns up to limit of the workspace's members holding
// role, by Joined then User. A workspace of up to bigAt members is
// scanned; a larger one keeps each role's holders in order, so that the
// cost is that of the limit read.
func (t *tx) FirstMembers(_ context.Context, ws, role string, limit int) ([]storage.Member, error) {
	s := t.s
	h, ok := s.workspaces[ws]
	if !ok {
		return nil, nil
	}
	rh, ok := s.names.idx[role]
	if !ok || rh > 0xffff || limit <= 0 {
		return nil, nil
	}
	r := s.ws.at(h)
	var hs []holder
	if r.big != nil {
		if o := r.big.holders[uint16(rh)]; o != nil {
			hs = o.first(limit)
		}
	} else {
		for _, m := range r.members {
			if uint32(m.role) == rh {
				hs = append(hs, holder{m.joined, m.user})
			}
		}
		slices.SortFunc(hs, func(a, b holder) int { return compareHolders(&s.users, a, b) })
		hs = hs[:min(len(hs), limit)]
	}
	var out []storage.Member
	for _, x := range hs {
		out = append(out, s.member(h, r.members[r.find(x.user)]))
	}
	return out, nil
}

// MembersPage reads a page of a large workspace from its index by user;
// a small one is scanned.
func (t *tx) MembersPage(_ context.Context, ws, after string, limit int) ([]storage.Member, error) {
	s := t.s
	h, ok := s.workspaces[ws]
	if !ok || limit <= 0 {
		return nil, nil
	}
	r := s.ws.at(h)
	var out []storage.Member
	if r.big != nil {
		for _, x := range r.big.byUser.from(func(x holder) bool { return s.users.at(x.user).name > after }, limit) {
			out = append(out, s.member(h, r.members[r.find(x.user)]))
		}
		return out, nil
	}
	for _, m := range r.members {
		if s.users.at(m.user).name > after {
			out = append(out, s.member(h, m))
		}
	}
	slices.SortFunc(out, func(a, b storage.Member) int { return cmp.Compare(a.User, b.User) })
	return out[:min(len(out), limit)], nil
}

// WorkspacesOfPage scans the user's workspaces, which the store keeps in
// no order: its cost grows with how many workspaces the user is a member
// of, not with the workspaces' members.
func (t *tx) WorkspacesOfPage(_ context.Context, user, after string, limit int) ([]storage.Workspace, error) {
	s := t.s
	u, ok := s.users.find(user)
	if !ok || limit <= 0 {
		return nil, nil
	}
	var hs []uint32
	byID := func(a, b uint32) int { return strings.Compare(s.ws.at(a).id, s.ws.at(b).id) }
	for _, h := range s.users.at(u).ws {
		if s.ws.at(h).id <= after {
			continue
		}
		hs = append(hs, h)
		if len(hs) == 2*limit {
			// Keep the first limit so far, so the scan holds at most
			// twice the page.
			slices.SortFunc(hs, byID)
			hs = hs[:limit]
		}
	}
	slices.SortFunc(hs, byID)
	out := make([]storage.Workspace, 0, min(len(hs), limit))
	for _, h := range hs[:min(len(hs), limit)] {
		out = append(out, s.header(h))
	}
	return out, nil
}
