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
	// Every listing takes a Page and refuses what it did not give.
	listings := map[string]func(charter.Page) error{
		"Invitations": func(p charter.Page) error { _, _, err := s.Invitations(ctx, "ana", w.ID, p); return err },
		"Journal": func(p charter.Page) error {
			_, _, err := s.Journal(ctx, "ana", w.ID, "credits", p)
			return err
		},
		"SpendTable": func(p charter.Page) error {
			_, _, err := s.SpendTable(ctx, "ana", w.ID, "credits", p)
			return err
		},
		"WorkspacesAllowing": func(p charter.Page) error {
			_, _, err := s.WorkspacesAllowing(ctx, "ana", "edit", p)
			return err
		},
	}
	for name, list := range listings {
		for _, limit := range []int{-1, charter.MaxPageSize + 1} {
			if err := list(charter.Page{Limit: limit}); !errors.Is(err, charter.ErrInvalid) {
				t.Errorf("%s with limit %d: %v, want ErrInvalid", name, limit, err)
			}
		}
		if name == "WorkspacesAllowing" {
			continue // its cursor is a workspace ID
		}
		for _, after := range []string{"x", ":x", "1.5:x", "-"} {
			if err := list(charter.Page{After: after}); !errors.Is(err, charter.ErrInvalid) {
				t.Errorf("%s after %q: %v, want ErrInvalid", name, after, err)
			}
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
