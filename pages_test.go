package charter_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/workspace"
)

// allWorkspaces returns every workspace of user, page by page.
func allWorkspaces(t *testing.T, s *charter.Service, user string) []charter.Membership {
	t.Helper()
	var all []charter.Membership
	var page charter.Page
	for {
		ms, next, err := s.Workspaces(ctx, user, page)
		needOK(t, err)
		all = append(all, ms...)
		if next == "" {
			return all
		}
		page.After = next
	}
}

func TestPageLimits(t *testing.T) {
	s := importService(t, ownerTeam)
	w := need[*workspace.Workspace](t)(s.CreateWorkspace(ctx, "ana", "A", ""))
	for _, limit := range []int{-1, charter.MaxPageSize + 1} {
		if _, _, err := s.Members(ctx, "ana", w.ID, charter.Page{Limit: limit}); !errors.Is(err, charter.ErrInvalid) {
			t.Errorf("Members with limit %d: %v, want ErrInvalid", limit, err)
		}
		if _, _, err := s.Workspaces(ctx, "ana", charter.Page{Limit: limit}); !errors.Is(err, charter.ErrInvalid) {
			t.Errorf("Workspaces with limit %d: %v, want ErrInvalid", limit, err)
		}
	}
	ms, next, err := s.Members(ctx, "ana", w.ID, charter.Page{Limit: charter.MaxPageSize})
	if err != nil || len(ms) != 1 || next != "" {
		t.Errorf("Members = %v, %q, %v; want ana alone and no next page", ms, next, err)
	}
}

// TestPagesCoverTheListing: whatever the page size, walking the pages of
// the member listing yields every member exactly once, in order.
func TestPagesCoverTheListing(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := importService(t, ownerTeam)
		n := rapid.IntRange(0, 40).Draw(t, "members")
		var rec charter.ImportRecord
		rec.ID, rec.Owner, rec.Plan = "w", "u000", "business"
		for i := 1; i <= n; i++ {
			rec.Members = append(rec.Members, charter.ImportMember{User: fmt.Sprintf("u%03d", i), Role: "member"})
		}
		line, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Import(ctx, bytes.NewReader(line), charter.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		limit := rapid.IntRange(1, 12).Draw(t, "limit")
		var got []string
		page := charter.Page{Limit: limit}
		for {
			ms, next, err := s.Members(ctx, "u000", "w", page)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) > limit || len(ms) == 0 && next != "" {
				t.Fatalf("page of %d with limit %d, next %q", len(ms), limit, next)
			}
			for _, m := range ms {
				got = append(got, m.User)
			}
			if next == "" {
				break
			}
			page.After = next
		}
		if len(got) != n+1 || !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Fatalf("pages gave %v, want the %d members in order, once each", got, n+1)
		}
	})
}
