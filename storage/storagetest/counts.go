package storagetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/charterhq/charter/storage"
)

// testRoleCountsProperty runs random writes of workspaces and members (one
// by one and in bulk, some rolled back), each in its own Update, and after
// each one checks RoleCounts and FirstMembers against what Members reads:
// the counts the backend keeps never drift from the members.
func testRoleCountsProperty(t *testing.T, s storage.Store) {
	ctx := context.Background()
	ids := []string{"a", "b"}
	users := []string{"ann", "bob", "cat", "dan", "eve"}
	roles := []string{"owner", "admin", "member", "guest"}
	rapid.Check(t, func(rt *rapid.T) {
		for step := range rapid.IntRange(1, 12).Draw(rt, "steps") {
			id := rapid.SampledFrom(ids).Draw(rt, "workspace")
			op := rapid.IntRange(0, 5).Draw(rt, "op")
			rollback := rapid.IntRange(0, 5).Draw(rt, "rollback") == 0
			draw := func(label string) storage.Member {
				m := member(id, rapid.SampledFrom(users).Draw(rt, label+" user"), rapid.SampledFrom(roles).Draw(rt, label+" role"))
				if m.Role == "guest" {
					m.Projects = []string{"x"}
				}
				// Few distinct times, so that ties are broken by user.
				m.Joined = at(rapid.IntRange(0, 2).Draw(rt, label+" joined"))
				return m
			}
			err := s.Update(ctx, func(tx storage.Tx) error {
				_, err := tx.Workspace(ctx, id)
				if errors.Is(err, storage.ErrNotFound) {
					return tx.CreateWorkspace(ctx, workspace(id, "shared", "ann"))
				}
				if err != nil {
					return err
				}
				switch op {
				case 0:
					err = tx.DeleteWorkspace(ctx, id)
				case 1:
					m := draw("delete")
					if err = tx.DeleteMember(ctx, id, m.User); errors.Is(err, storage.ErrNotFound) {
						err = nil
					}
				case 2:
					// New members in bulk: those already in are put one
					// by one instead.
					var ms []storage.Member
					for i := range rapid.IntRange(1, 3).Draw(rt, "bulk") {
						m := draw(fmt.Sprint("bulk ", i))
						if _, err := tx.Member(ctx, id, m.User); err == nil || slices.ContainsFunc(ms, func(o storage.Member) bool { return o.User == m.User }) {
							continue
						}
						ms = append(ms, m)
					}
					err = tx.InsertMembers(ctx, ms)
				default:
					err = tx.PutMember(ctx, draw("put"))
				}
				if err == nil && rollback {
					err = errBoom
				}
				return err
			})
			if err != nil && !errors.Is(err, errBoom) {
				rt.Fatalf("step %d: Update: %v", step, err)
			}
			for _, id := range ids {
				if err := countsAgree(ctx, s, id, roles); err != nil {
					rt.Fatalf("step %d: %v", step, err)
				}
			}
		}
	})
}

// countsAgree checks RoleCounts and FirstMembers of workspace id against
// its members, in one View.
func countsAgree(ctx context.Context, s storage.Store, id string, roles []string) error {
	return s.View(ctx, func(tx storage.Tx) error {
		counts, err := tx.RoleCounts(ctx, id)
		if _, werr := tx.Workspace(ctx, id); errors.Is(werr, storage.ErrNotFound) {
			if !errors.Is(err, storage.ErrNotFound) {
				return fmt.Errorf("RoleCounts(%s) of a missing workspace = %v, %v; want ErrNotFound", id, counts, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("RoleCounts(%s): %w", id, err)
		}
		ms, err := tx.Members(ctx, id)
		if err != nil {
			return err
		}
		want := map[string]int{}
		for _, m := range ms {
			want[m.Role]++
		}
		if d := cmpDiff(want, counts); d != "" {
			return fmt.Errorf("RoleCounts(%s) (-recounted +kept):\n%s", id, d)
		}
		slices.SortFunc(ms, func(a, b storage.Member) int {
			return cmp.Or(a.Joined.Compare(b.Joined), cmp.Compare(a.User, b.User))
		})
		for _, r := range roles {
			var holders []storage.Member
			for _, m := range ms {
				if m.Role == r {
					holders = append(holders, m)
				}
			}
			for _, limit := range []int{1, 2, 10} {
				got, err := tx.FirstMembers(ctx, id, r, limit)
				if err != nil {
					return fmt.Errorf("FirstMembers(%s, %s, %d): %w", id, r, limit, err)
				}
				want := holders[:min(limit, len(holders))]
				if len(want) == 0 {
					want = nil
				}
				if len(got) == 0 {
					got = nil
				}
				if d := cmpDiff(want, got); d != "" {
					return fmt.Errorf("FirstMembers(%s, %s, %d) (-want +got):\n%s", id, r, limit, d)
				}
			}
		}
		return nil
	})
}

// testMemberPages walks MembersPage and WorkspacesOfPage at several page
// sizes, and from cursors that are not keys, against Members and
// WorkspacesOf.
func testMemberPages(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		for _, id := range []string{"a", "b", "c", "d"} {
			noErr(t, "create "+id, tx.CreateWorkspace(ctx, workspace(id, "shared", "ann")))
		}
		for i := range 7 {
			for _, id := range []string{"a", "c", "d"} {
				if id != "a" && i > 0 {
					continue
				}
				noErr(t, "put", tx.PutMember(ctx, member(id, name("u", i), "member")))
			}
		}
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		all, err := tx.Members(ctx, "a")
		noErr(t, "Members(a)", err)
		for _, limit := range []int{1, 2, 3, 7, 8} {
			var got []storage.Member
			for after := ""; ; {
				page, err := tx.MembersPage(ctx, "a", after, limit)
				noErr(t, "MembersPage", err)
				if len(page) > limit {
					t.Fatalf("MembersPage(a, %q, %d) returned %d", after, limit, len(page))
				}
				got = append(got, page...)
				if len(page) < limit {
					break
				}
				after = page[len(page)-1].User
			}
			diff(t, fmt.Sprintf("MembersPage walk by %d", limit), got, all)
		}
		// A cursor between keys starts at the next key.
		page, err := tx.MembersPage(ctx, "a", name("u", 2)+"!", 2)
		noErr(t, "MembersPage between keys", err)
		diff(t, "MembersPage between keys", page, all[3:5])
		page, err = tx.MembersPage(ctx, "b", "", 5)
		noErr(t, "MembersPage(b)", err)
		diff(t, "MembersPage of a workspace without members", page, []storage.Member(nil))

		ws, err := tx.WorkspacesOf(ctx, name("u", 0))
		noErr(t, "WorkspacesOf", err)
		if len(ws) != 3 {
			t.Fatalf("WorkspacesOf(u000) = %d workspaces, want 3", len(ws))
		}
		for _, limit := range []int{1, 2, 3, 4} {
			var got []storage.Workspace
			for after := ""; ; {
				page, err := tx.WorkspacesOfPage(ctx, name("u", 0), after, limit)
				noErr(t, "WorkspacesOfPage", err)
				got = append(got, page...)
				if len(page) < limit {
					break
				}
				after = page[len(page)-1].ID
			}
			diff(t, fmt.Sprintf("WorkspacesOfPage walk by %d", limit), got, ws)
		}
		got, err := tx.WorkspacesOfPage(ctx, name("u", 0), "b", 5)
		noErr(t, "WorkspacesOfPage after b", err)
		diff(t, "WorkspacesOfPage after b", got, ws[1:])
		return nil
	})
}
