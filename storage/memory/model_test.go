package memory

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
	"pgregory.net/rapid"
)

var errRolledBack = errors.New("rolled back")

// model is what the store should hold: plain maps of the storage records.
type model struct {
	ws      map[string]storage.Workspace
	members map[string]map[string]storage.Member
}

func (m *model) clone() *model {
	c := &model{ws: maps.Clone(m.ws), members: map[string]map[string]storage.Member{}}
	for id, ms := range m.members {
		c.members[id] = maps.Clone(ms)
	}
	return c
}

func (m *model) personal(user string) (storage.Workspace, bool) {
	for _, w := range m.ws {
		if w.Kind == workspace.Personal && w.Owner == user {
			return w, true
		}
	}
	return storage.Workspace{}, false
}

var (
	modelUsers = []string{"", "ann", "bob", "cat", "dan", "eve"}
	modelRoles = []string{"owner", "admin", "member", "guest"}
	modelKinds = []workspace.Kind{workspace.Personal, workspace.Shared, 0, 7}
	modelT0    = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
)

// manyUsers is the pool a workspace draws from to grow past bigAt.
func manyUsers() []string {
	var us []string
	for i := range 3 * bigAt {
		us = append(us, fmt.Sprintf("u%03d", i))
	}
	return append(us, modelUsers...)
}

func drawMember(t *rapid.T, ws string) storage.Member {
	m := storage.Member{
		Workspace: ws,
		User:      rapid.SampledFrom(manyUsers()).Draw(t, "user"),
		Role:      rapid.SampledFrom(modelRoles).Draw(t, "role"),
		Joined:    modelT0.Add(time.Duration(rapid.IntRange(-2, 3).Draw(t, "joined")) * time.Hour),
	}
	switch rapid.IntRange(0, 2).Draw(t, "seat") {
	case 1:
		m.SeatSince = m.Joined
	case 2:
		m.SeatSince = m.Joined.Add(time.Minute)
	}
	if m.Role == "guest" {
		m.Projects = rapid.SliceOfN(rapid.SampledFrom([]string{"x", "y", "z"}), 0, 3).Draw(t, "projects")
		if len(m.Projects) == 0 {
			m.Projects = nil
		}
	}
	return m
}

// TestStoreMatchesModel drives the store's workspace and member writes,
// some in transactions that fail and roll back, beside plain maps, and
// checks every read, the indexes of large workspaces and that no user is
// kept who is no longer referred to.
func TestStoreMatchesModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ctx := context.Background()
		st := New()
		m := &model{ws: map[string]storage.Workspace{}, members: map[string]map[string]storage.Member{}}
		ids := []string{"a", "b", "c"}
		t.Repeat(map[string]func(*rapid.T){
			"tx": func(t *rapid.T) {
				next := m.clone()
				fail := rapid.Bool().Draw(t, "fail")
				n := rapid.IntRange(1, 4).Draw(t, "ops")
				err := st.Update(ctx, func(tx storage.Tx) error {
					for range n {
						if err := step(t, tx, next, ids); err != nil {
							return err
						}
					}
					if fail {
						return errRolledBack
					}
					return nil
				})
				if err == nil {
					m = next
				} else if !errors.Is(err, errRolledBack) {
					t.Fatal(err)
				}
			},
			"": func(t *rapid.T) { checkModel(t, st, m) },
		})
	})
}

// step makes one random write in tx and in m, and checks that the store
// refuses what the model says it must.
func step(t *rapid.T, tx storage.Tx, m *model, ids []string) error {
	ctx := context.Background()
	id := rapid.SampledFrom(ids).Draw(t, "id")
	w, exists := m.ws[id]
	expect := func(err, want error) {
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Fatalf("got %v, want %v", err, want)
		}
	}
	switch op := rapid.IntRange(0, 5).Draw(t, "op"); op {
	case 0, 1: // create or update
		nw := storage.Workspace{
			ID: id, Kind: rapid.SampledFrom(modelKinds).Draw(t, "kind"), Plan: rapid.SampledFrom([]string{"free", "team"}).Draw(t, "plan"),
			Owner: rapid.SampledFrom(modelUsers).Draw(t, "owner"), Name: rapid.SampledFrom([]string{"", "N"}).Draw(t, "name"),
			Logo: rapid.SampledFrom([]string{"", "L"}).Draw(t, "logo"), Settings: workspace.Settings{GuestsDisabled: rapid.Bool().Draw(t, "guests")},
			Created: modelT0.Add(time.Duration(rapid.IntRange(0, 1000).Draw(t, "created"))), Anchor: modelT0.Add(-time.Hour),
		}
		nw.BillingContact = rapid.SampledFrom([]string{"", nw.Owner, "eve"}).Draw(t, "billing")
		if rapid.Bool().Draw(t, "prefs") {
			nw.Preferences = map[string]string{"k": "v"}
		}
		var want error
		other, hasPersonal := m.personal(nw.Owner)
		if exists {
			nw.Version = w.Version + 1
			if nw.Kind == workspace.Personal && hasPersonal && other.ID != id {
				want = storage.ErrExists
			}
			expect(tx.UpdateWorkspace(ctx, nw), want)
		} else {
			nw.Version = 1
			if nw.Kind == workspace.Personal && hasPersonal {
				want = storage.ErrExists
			}
			expect(tx.CreateWorkspace(ctx, nw), want)
			if want == nil {
				m.members[id] = map[string]storage.Member{}
			}
		}
		if want == nil {
			nw.Created, nw.Anchor = ts(nw.Created), ts(nw.Anchor)
			m.ws[id] = nw
		}
	case 2:
		if !exists {
			expect(tx.DeleteWorkspace(ctx, id), storage.ErrNotFound)
			return nil
		}
		expect(tx.DeleteWorkspace(ctx, id), nil)
		delete(m.ws, id)
		delete(m.members, id)
	case 3:
		mb := drawMember(t, id)
		if !exists {
			expect(tx.PutMember(ctx, mb), storage.ErrNotFound)
			return nil
		}
		expect(tx.PutMember(ctx, mb), nil)
		m.members[id][mb.User] = mb
	case 4:
		user := rapid.SampledFrom(manyUsers()).Draw(t, "user")
		if _, ok := m.members[id][user]; !ok {
			expect(tx.DeleteMember(ctx, id, user), storage.ErrNotFound)
			return nil
		}
		expect(tx.DeleteMember(ctx, id, user), nil)
		delete(m.members[id], user)
	case 5: // many at once, to grow a workspace past bigAt
		var ms []storage.Member
		seen := map[string]bool{}
		var want error
		if !exists {
			want = storage.ErrNotFound
		}
		// Mostly new members, so that a workspace grows past bigAt; now
		// and then one it has, or one twice.
		clash := rapid.IntRange(0, 3).Draw(t, "clash") == 0
		for range rapid.IntRange(1, 2*bigAt).Draw(t, "n") {
			mb := drawMember(t, id)
			if _, ok := m.members[id][mb.User]; ok || seen[mb.User] {
				if !clash {
					continue
				}
				want = cmp.Or(want, storage.ErrExists)
			}
			seen[mb.User] = true
			ms = append(ms, mb)
		}
		err := tx.InsertMembers(ctx, ms)
		expect(err, want)
		if err != nil {
			// A failed bulk write leaves the transaction to roll back.
			return fmt.Errorf("%w: %w", errRolledBack, err)
		}
		for _, mb := range ms {
			m.members[id][mb.User] = mb
		}
	}
	return nil
}

func checkModel(t *rapid.T, st *Store, m *model) {
	ctx := context.Background()
	err := st.View(ctx, func(tx storage.Tx) error {
		memberOf := map[string][]string{}
		for id, want := range m.ws {
			got, err := tx.Workspace(ctx, id)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("Workspace(%s) = %+v, %v; want %+v", id, got, err, want)
			}
			ms, _ := tx.Members(ctx, id)
			wantMs := slices.SortedFunc(maps.Values(m.members[id]), func(a, b storage.Member) int { return cmp.Compare(a.User, b.User) })
			for i := range wantMs {
				wantMs[i].Joined, wantMs[i].SeatSince = ts(wantMs[i].Joined), ts(wantMs[i].SeatSince)
				memberOf[wantMs[i].User] = append(memberOf[wantMs[i].User], id)
			}
			if !reflect.DeepEqual(ms, append([]storage.Member{}, wantMs...)) {
				t.Fatalf("Members(%s) = %+v\nwant %+v", id, ms, wantMs)
			}
			for _, limit := range []int{1, 5, 2 * bigAt} {
				var got []storage.Member
				for after := ""; ; {
					page, _ := tx.MembersPage(ctx, id, after, limit)
					got = append(got, page...)
					if len(page) < limit {
						break
					}
					after = page[len(page)-1].User
				}
				if len(wantMs) > 0 && wantMs[0].User == "" {
					got = append([]storage.Member{wantMs[0]}, got...) // a page starts after ""
				}
				if !slices.EqualFunc(got, wantMs, func(a, b storage.Member) bool { return reflect.DeepEqual(a, b) }) {
					t.Fatalf("MembersPage(%s) by %d = %+v\nwant %+v", id, limit, got, wantMs)
				}
			}
			counts := map[string]int{}
			for _, mb := range wantMs {
				counts[mb.Role]++
				got, err := tx.Member(ctx, id, mb.User)
				if err != nil || !reflect.DeepEqual(got, mb) {
					t.Fatalf("Member(%s, %s) = %+v, %v; want %+v", id, mb.User, got, err, mb)
				}
			}
			if got, _ := tx.RoleCounts(ctx, id); !reflect.DeepEqual(got, counts) {
				t.Fatalf("RoleCounts(%s) = %v, want %v", id, got, counts)
			}
			byJoin := slices.Clone(wantMs)
			slices.SortFunc(byJoin, func(a, b storage.Member) int { return cmp.Or(a.Joined.Compare(b.Joined), cmp.Compare(a.User, b.User)) })
			for _, role := range modelRoles {
				var holders []storage.Member
				for _, mb := range byJoin {
					if mb.Role == role {
						holders = append(holders, mb)
					}
				}
				for _, limit := range []int{1, 3, len(holders) + 1} {
					got, _ := tx.FirstMembers(ctx, id, role, limit)
					want := holders[:min(limit, len(holders))]
					if len(got) != len(want) || len(want) > 0 && !reflect.DeepEqual(got, want) {
						t.Fatalf("FirstMembers(%s, %s, %d) = %+v\nwant %+v", id, role, limit, got, want)
					}
				}
			}
			if r := st.s.ws.at(st.s.workspaces[id]); len(r.members) > bigAt && r.big == nil || len(r.members) <= bigAt/4 && r.big != nil {
				t.Fatalf("%s: %d members, indexed %t", id, len(r.members), r.big != nil)
			}
		}
		if len(st.s.workspaces) != len(m.ws) {
			t.Fatalf("store has %d workspaces, model %d", len(st.s.workspaces), len(m.ws))
		}
		referred := 0
		for _, u := range manyUsers() {
			wantWs := slices.Sorted(slices.Values(memberOf[u]))
			got, _ := tx.WorkspacesOf(ctx, u)
			var gotIDs []string
			for _, w := range got {
				gotIDs = append(gotIDs, w.ID)
			}
			if !slices.Equal(gotIDs, wantWs) {
				t.Fatalf("WorkspacesOf(%s) = %v, want %v", u, gotIDs, wantWs)
			}
			for _, limit := range []int{1, 2} {
				var paged []string
				for after := ""; ; {
					page, _ := tx.WorkspacesOfPage(ctx, u, after, limit)
					for _, w := range page {
						paged = append(paged, w.ID)
					}
					if len(page) < limit {
						break
					}
					after = page[len(page)-1].ID
				}
				if !slices.Equal(paged, wantWs) {
					t.Fatalf("WorkspacesOfPage(%s) by %d = %v, want %v", u, limit, paged, wantWs)
				}
			}
			shared, owns := 0, 0
			for _, w := range m.ws {
				if w.Owner == u {
					owns++
					if w.Kind == workspace.Shared {
						shared++
					}
				}
			}
			if n, _ := tx.OwnedShared(ctx, u); n != shared {
				t.Fatalf("OwnedShared(%s) = %d, want %d", u, n, shared)
			}
			pw, perr := tx.PersonalWorkspace(ctx, u)
			want, ok := m.personal(u)
			if ok != (perr == nil) || ok && pw.ID != want.ID {
				t.Fatalf("PersonalWorkspace(%s) = %s, %v; want %s, %t", u, pw.ID, perr, want.ID, ok)
			}
			_, kept := st.s.users.find(u)
			if kept != (len(wantWs) > 0 || owns > 0) {
				t.Fatalf("user %q kept %t with %d workspaces and %d owned", u, kept, len(wantWs), owns)
			}
			if kept {
				referred++
			}
		}
		if st.s.users.n != referred {
			t.Fatalf("%d users interned, %d referred to", st.s.users.n, referred)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
