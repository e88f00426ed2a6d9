package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/charterhq/charter/storage"
)

// The bulk methods do what their one-record forms do, record by record:
// in memory a step costs no round trip.

func (t *tx) WorkspacesIn(_ context.Context, ids []string) ([]storage.Workspace, error) {
	var out []storage.Workspace
	for _, id := range ids {
		if h, ok := t.s.workspaces[id]; ok {
			out = append(out, t.s.header(h))
		}
	}
	return byID(out), nil
}

func (t *tx) PersonalWorkspacesOf(_ context.Context, users []string) ([]storage.Workspace, error) {
	var out []storage.Workspace
	for _, u := range users {
		if h := t.s.personal(u); h != 0 {
			out = append(out, t.s.header(h))
		}
	}
	return byID(out), nil
}

// byID sorts ws by ID and drops repeats (a list may name one twice).
func byID(ws []storage.Workspace) []storage.Workspace {
	slices.SortFunc(ws, func(a, b storage.Workspace) int { return cmp.Compare(a.ID, b.ID) })
	return slices.CompactFunc(ws, func(a, b storage.Workspace) bool { return a.ID == b.ID })
}

func (t *tx) OwnedSharedOf(ctx context.Context, users []string) (map[string]int, error) {
	out := map[string]int{}
	for _, u := range users {
		n, err := t.OwnedShared(ctx, u)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out[u] = n
		}
	}
	return out, nil
}

func (t *tx) CreateWorkspaces(ctx context.Context, ws []storage.Workspace) error {
	for _, w := range ws {
		if err := t.CreateWorkspace(ctx, w); err != nil {
			return err
		}
	}
	return nil
}

// InsertMembers grows each workspace's list once for the run of its
// members (an import gives them workspace by workspace), so that a list
// carries no slack.
func (t *tx) InsertMembers(_ context.Context, ms []storage.Member) error {
	if err := t.check(); err != nil {
		return err
	}
	for i := 0; i < len(ms); {
		ws := ms[i].Workspace
		h, ok := t.s.workspaces[ws]
		if !ok {
			return notFound("workspace ", ws)
		}
		n := 1
		for i+n < len(ms) && ms[i+n].Workspace == ws {
			n++
		}
		r := t.s.ws.at(h)
		r.members = slices.Grow(r.members, n)
		for _, m := range ms[i : i+n] {
			u := t.s.users.intern(m.User)
			if t.s.ws.at(h).find(u) >= 0 {
				return fmt.Errorf("memory: member %s of %s %w", m.User, m.Workspace, storage.ErrExists)
			}
			if err := t.putAs(h, u, m); err != nil {
				return err
			}
		}
		i += n
	}
	return nil
}

// AppendEvents appends es as AppendEvent would one by one, with one step
// in the undo log for them all.
func (t *tx) AppendEvents(_ context.Context, es []storage.Event) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	if len(es) == 0 {
		return 0, nil
	}
	s := t.s
	first := s.eventBase + int64(len(s.events)) + 1
	for _, e := range es {
		e.Seq = s.eventBase + int64(len(s.events)) + 1
		e.Time = ts(e.Time)
		s.events = append(s.events, e)
	}
	t.undo = append(t.undo, func() { s.events = s.events[:first-1-s.eventBase] })
	return first + int64(len(es)) - 1, nil
}
