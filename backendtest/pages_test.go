package backendtest_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// workspacesOf returns every workspace of user, page by page.
func workspacesOf(t *testing.T, s *charter.Service, user string) []charter.Membership {
	t.Helper()
	var all []charter.Membership
	page := charter.Page{Limit: 2}
	for {
		ms, next, err := s.Workspaces(ctx, user, page)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, ms...)
		if next == "" {
			return all
		}
		page.After = next
	}
}

// TestListingsPaginate walks the member and workspace listings page by page
// on every backend and checks that the pages make up the whole listing,
// in order, each entry once.
func TestListingsPaginate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(tb testing.TB) storage.Store) {
		s := newService(t, "team-guests", open(t), newClock())
		w := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "Team", "business"))
		want := []string{"ana"}
		for i := range 7 {
			user := fmt.Sprintf("u%d", i)
			email := user + "@example.com"
			inv := must[charter.Invitation](t)(s.Invite(ctx, "ana", w.ID, email, "member"))
			must[*workspaceT](t)(s.Accept(ctx, user, email, inv.Token))
			want = append(want, user)
		}
		slices.Sort(want)
		for _, limit := range []int{1, 3, 7, 8, 0} {
			var got []string
			page := charter.Page{Limit: limit}
			for pages := 0; ; pages++ {
				ms, next, err := s.Members(ctx, "u3", w.ID, page)
				check(t, err)
				if limit > 0 && len(ms) > limit || pages > len(want) {
					t.Fatalf("limit %d: a page of %d members, page %d", limit, len(ms), pages)
				}
				for _, m := range ms {
					got = append(got, m.User)
				}
				if next == "" {
					break
				}
				page.After = next
			}
			if !slices.Equal(got, want) {
				t.Errorf("limit %d: members %v, want %v", limit, got, want)
			}
		}
		if _, _, err := s.Members(ctx, "zed", w.ID, charter.Page{}); !errors.Is(err, charter.ErrNotFound) {
			t.Errorf("Members for an outsider: %v, want ErrNotFound", err)
		}

		for i := range 4 {
			must[*workspaceT](t)(s.CreateWorkspace(ctx, "u0", fmt.Sprint("W", i), "business"))
		}
		ms := workspacesOf(t, s, "u0") // two at a time
		if len(ms) != 6 {              // Team, W0..W3 and u0's personal workspace
			t.Errorf("u0 has %d workspaces, want 6: %+v", len(ms), ms)
		}
		if !slices.IsSortedFunc(ms, func(a, b charter.Membership) int { return strings.Compare(a.Workspace, b.Workspace) }) {
			t.Errorf("workspaces out of order: %+v", ms)
		}
	})
}
