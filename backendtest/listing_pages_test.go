package backendtest_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// walk reads a whole listing page by page, three items a page.
func walk[T any](list func(charter.Page) ([]T, string, error)) ([]T, error) {
	var out []T
	page := charter.Page{Limit: 3}
	for {
		items, next, err := list(page)
		if err != nil {
			return nil, err
		}
		if len(items) > page.Limit {
			return nil, fmt.Errorf("a page of %d items, limit %d", len(items), page.Limit)
		}
		out = append(out, items...)
		if next == "" {
			return out, nil
		}
		page.After = next
	}
}

// journalOf, spendTableOf and invitationsOf read a whole listing.
func journalOf(s *charter.Service, actor, id, currency string) ([]credits.Entry, error) {
	return walk(func(p charter.Page) ([]credits.Entry, string, error) { return s.Journal(ctx, actor, id, currency, p) })
}

func spendTableOf(s *charter.Service, actor, id, currency string) ([]credits.SpendRow, error) {
	return walk(func(p charter.Page) ([]credits.SpendRow, string, error) {
		return s.SpendTable(ctx, actor, id, currency, p)
	})
}

func invitationsOf(s *charter.Service, actor, id string) ([]charter.Invitation, error) {
	return walk(func(p charter.Page) ([]charter.Invitation, string, error) { return s.Invitations(ctx, actor, id, p) })
}

// during runs write in a goroutine while read runs, and waits for both.
func during(t *testing.T, write func() error, read func()) {
	t.Helper()
	var wg sync.WaitGroup
	var werr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		werr = write()
	}()
	read()
	wg.Wait()
	if werr != nil {
		t.Fatalf("concurrent writes: %v", werr)
	}
}

// onceEach fails unless every key of want is in got exactly once, and no
// key of got is there twice.
func onceEach(t *testing.T, what string, got, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, k := range got {
		seen[k]++
		if seen[k] == 2 {
			t.Errorf("%s: %s listed twice", what, k)
		}
	}
	for _, k := range want {
		if seen[k] == 0 {
			t.Errorf("%s: %s missing", what, k)
		}
	}
}

// TestListingPagesUnderInserts walks the invitation, journal, spend table
// and WorkspacesAllowing listings page by page while another goroutine adds
// to them: every item there before the walk is listed, and none twice.
func TestListingPagesUnderInserts(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "credit-pool", open(t), c)
		id := spendPool(t, s, 1000)

		const n = 12
		invite := func(from, to int) error {
			for i := from; i < to; i++ {
				if _, err := s.Invite(ctx, "own", id, fmt.Sprintf("u%02d@example.com", i), "editor"); err != nil {
					return err
				}
			}
			return nil
		}
		check(t, invite(0, n))
		before := must[[]charter.Invitation](t)(invitationsOf(s, "own", id))
		if len(before) != n+2 { // and those of adm and edi, accepted
			t.Fatalf("%d invitations listed, want %d", len(before), n+2)
		}
		c.Add(time.Second)
		var got []charter.Invitation
		during(t, func() error { return invite(n, 2*n) }, func() {
			got = must[[]charter.Invitation](t)(invitationsOf(s, "own", id))
		})
		ids := func(invs []charter.Invitation) []string {
			var out []string
			for _, inv := range invs {
				out = append(out, inv.ID)
			}
			return out
		}
		onceEach(t, "invitations", ids(got), ids(before))
		if all := must[[]charter.Invitation](t)(invitationsOf(s, "own", id)); len(all) != 2*n+2 {
			t.Errorf("%d invitations after the inserts, want %d", len(all), 2*n+2)
		}

		spend := func(from, to int) error {
			for i := from; i < to; i++ {
				who := []string{"own", "adm", "edi"}[i%3]
				if _, err := s.Spend(ctx, who, "create_visuals", id, fmt.Sprint("k", i)); err != nil {
					return err
				}
			}
			return nil
		}
		check(t, spend(0, n))
		journal := must[[]credits.Entry](t)(journalOf(s, "own", id, "credits"))
		rows := must[[]credits.SpendRow](t)(spendTableOf(s, "own", id, "credits"))
		var walked []credits.Entry
		var walkedRows []credits.SpendRow
		during(t, func() error { return spend(n, 2*n) }, func() {
			walked = must[[]credits.Entry](t)(journalOf(s, "own", id, "credits"))
			walkedRows = must[[]credits.SpendRow](t)(spendTableOf(s, "own", id, "credits"))
		})
		// The journal only grows at its end: a walk is a prefix of it.
		final := must[[]credits.Entry](t)(journalOf(s, "own", id, "credits"))
		if len(walked) < len(journal) || len(walked) > len(final) || !slices.EqualFunc(walked, final[:len(walked)], sameEntry) {
			t.Errorf("journal walked under spends: %d entries, not a prefix of the %d now (%d before)", len(walked), len(final), len(journal))
		}
		keys := func(rs []credits.SpendRow) []string {
			var out []string
			for _, r := range rs {
				out = append(out, fmt.Sprint(r.Period, "/", r.Member))
			}
			return out
		}
		onceEach(t, "spend table", keys(walkedRows), keys(rows))
		if want := credits.SpendTable(final); !slices.Equal(must[[]credits.SpendRow](t)(spendTableOf(s, "own", id, "credits")), want) {
			t.Errorf("spend table is not credits.SpendTable of the journal")
		}

		create := func(from, to int) error {
			for i := from; i < to; i++ {
				if _, err := s.CreateWorkspace(ctx, "own", fmt.Sprint("W", i), ""); err != nil {
					return err
				}
			}
			return nil
		}
		allowing := func() []string {
			ms, err := walk(func(p charter.Page) ([]charter.Membership, string, error) {
				return s.WorkspacesAllowing(ctx, "own", "use_brands", p)
			})
			check(t, err)
			var out []string
			for _, m := range ms {
				out = append(out, m.Workspace)
			}
			return out
		}
		check(t, create(0, 5))
		beforeWs := allowing()
		if len(beforeWs) < 6 {
			t.Fatalf("use_brands allowed in %d workspaces, want at least 6", len(beforeWs))
		}
		var walkedWs []string
		during(t, func() error { return create(5, 10) }, func() { walkedWs = allowing() })
		onceEach(t, "WorkspacesAllowing", walkedWs, beforeWs)
	})
}

func sameEntry(a, b credits.Entry) bool {
	return a.Kind == b.Kind && a.Grant == b.Grant && a.Amount == b.Amount && a.Member == b.Member && a.Key == b.Key && a.Time.Equal(b.Time)
}
