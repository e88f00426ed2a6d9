package charter_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"
)

// TestPermissionsAgreeWithDecide drives a Service on a shipped policy
// through random invitations, role changes, plan changes, guests, funding,
// allowances, spends and the passing of time, and then checks that every
// member's permission set says, action by action, what Decide and Can say,
// that an outsider gets ErrNotFound, and that WorkspacesAllowing lists
// exactly the workspaces where Can allows, page by page.
func TestPermissionsAgreeWithDecide(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.SampledFrom([]string{"credit-pool", "spaces", "team-guests", "coins", "video-studio"}).Draw(t, "policy")
		p, err := policy.LoadFile(filepath.Join("testdata", "policies", name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC)
		s, err := charter.New(p, memory.New(), charter.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		users := []string{"ana", "ben", "cleo", "dan"}
		user := rapid.SampledFrom(users)
		var roles, plans, actions, costed, currencies []string
		for _, r := range p.Roles() {
			roles = append(roles, r.Name)
		}
		for _, pl := range p.Plans() {
			plans = append(plans, pl.Name)
		}
		for _, a := range p.Actions() {
			actions = append(actions, a.Name)
			if a.Cost.Amount > 0 {
				costed = append(costed, a.Name)
			}
		}
		for _, c := range p.Currencies() {
			currencies = append(currencies, c.Name)
		}
		var ids []string
		ws := func(t *rapid.T) string { return rapid.SampledFrom(ids).Draw(t, "ws") }
		steps := map[string]func(*rapid.T){
			"create": func(t *rapid.T) {
				if w, err := s.CreateWorkspace(ctx, user.Draw(t, "owner"), "w", rapid.SampledFrom(plans).Draw(t, "plan")); err == nil {
					ids = append(ids, w.ID)
				}
			},
			"personal": func(t *rapid.T) {
				if w, err := s.EnsurePersonal(ctx, user.Draw(t, "user")); err == nil && !slices.Contains(ids, w.ID) {
					ids = append(ids, w.ID)
				}
			},
			"invite": func(t *rapid.T) {
				if len(ids) == 0 {
					return
				}
				u := user.Draw(t, "invitee")
				inv, err := s.Invite(ctx, user.Draw(t, "by"), ws(t), u+"@example.com", rapid.SampledFrom(roles).Draw(t, "role"))
				if err == nil {
					s.Accept(ctx, u, u+"@example.com", inv.Token)
				}
			},
			"guest": func(t *rapid.T) {
				if len(ids) == 0 {
					return
				}
				u := user.Draw(t, "guest")
				inv, err := s.InviteGuest(ctx, user.Draw(t, "by"), ws(t), u+"@example.com", rapid.SampledFrom([]string{"p1", "p2"}).Draw(t, "project"))
				if err == nil {
					s.Accept(ctx, u, u+"@example.com", inv.Token)
				}
			},
			"role": func(t *rapid.T) {
				if len(ids) == 0 {
					return
				}
				s.ChangeRole(ctx, user.Draw(t, "by"), ws(t), user.Draw(t, "member"), rapid.SampledFrom(roles).Draw(t, "role"))
			},
			"remove": func(t *rapid.T) {
				if len(ids) == 0 {
					return
				}
				s.Remove(ctx, user.Draw(t, "by"), ws(t), user.Draw(t, "member"))
			},
			"plan": func(t *rapid.T) {
				if len(ids) == 0 {
					return
				}
				s.ChangePlan(ctx, user.Draw(t, "by"), ws(t), rapid.SampledFrom(plans).Draw(t, "plan"))
			},
			"guests off": func(t *rapid.T) {
				if len(ids) == 0 {
					return
				}
				s.SetGuestsDisabled(ctx, user.Draw(t, "by"), ws(t), rapid.Bool().Draw(t, "disabled"))
			},
			"fund": func(t *rapid.T) {
				if len(ids) == 0 || len(currencies) == 0 {
					return
				}
				s.Fund(ctx, user.Draw(t, "by"), ws(t), rapid.SampledFrom(currencies).Draw(t, "currency"), rapid.Int64Range(1, 5).Draw(t, "amount"), time.Time{}, fmt.Sprint("fund-", now.UnixNano(), rapid.Int().Draw(t, "key")))
			},
			"allowance": func(t *rapid.T) {
				if len(ids) == 0 || len(currencies) == 0 {
					return
				}
				s.SetAllowance(ctx, user.Draw(t, "by"), ws(t), user.Draw(t, "member"), rapid.SampledFrom(currencies).Draw(t, "currency"), rapid.Int64Range(0, 4).Draw(t, "amount"))
			},
			"spend": func(t *rapid.T) {
				if len(ids) == 0 || len(costed) == 0 {
					return
				}
				s.Spend(ctx, user.Draw(t, "by"), rapid.SampledFrom(costed).Draw(t, "action"), ws(t), fmt.Sprint("spend-", rapid.Int().Draw(t, "key")))
			},
			"time": func(t *rapid.T) {
				now = now.Add(time.Duration(rapid.IntRange(1, 40*24).Draw(t, "hours")) * time.Hour)
			},
		}
		for range rapid.IntRange(1, 25).Draw(t, "steps") {
			op := rapid.SampledFrom([]string{"create", "personal", "invite", "invite", "guest", "role", "remove", "plan", "guests off", "fund", "allowance", "spend", "spend", "time"}).Draw(t, "op")
			steps[op](t) // a step that cannot apply does nothing
		}
		// Every workspace, the personal ones made on the way included.
		for _, u := range users {
			mine, _, err := s.Workspaces(ctx, u, charter.Page{Limit: charter.MaxPageSize})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mine {
				if !slices.Contains(ids, m.Workspace) {
					ids = append(ids, m.Workspace)
				}
			}
		}
		checkPermissions(t, s, append(ids, "ws_missing"), users, actions)
	})
}

func checkPermissions(t *rapid.T, s *charter.Service, ids, users, actions []string) {
	for _, id := range ids {
		for _, u := range users {
			for _, project := range []string{"", "p1"} {
				ps, err := s.ProjectPermissions(ctx, u, id, project)
				member := err == nil
				if err != nil && !errors.Is(err, charter.ErrNotFound) {
					t.Fatalf("ProjectPermissions(%s, %s, %q): %v", u, id, project, err)
				}
				if member && ps.Len() != len(actions) {
					t.Fatalf("ProjectPermissions(%s, %s) has %d actions, want %d", u, id, ps.Len(), len(actions))
				}
				if member {
					i := 0
					for p := range ps.All() {
						if p.Action != actions[i] {
							t.Fatalf("ProjectPermissions(%s, %s): action %d is %s, want %s", u, id, i, p.Action, actions[i])
						}
						i++
					}
				}
				for _, action := range actions {
					d, err := s.Decide(ctx, u, action, id, project)
					if err != nil {
						t.Fatalf("Decide(%s, %s, %s): %v", u, action, id, err)
					}
					ok, _ := s.CanProject(ctx, u, action, id, project)
					if !member {
						if ok || d.Reason != policy.NotMember {
							t.Fatalf("ProjectPermissions(%s, %s) = ErrNotFound, but Decide(%s) = %v", u, id, action, d)
						}
						continue
					}
					got, _ := ps.Permission(action)
					whole, found := ps.Decision(action)
					if !found {
						t.Fatalf("ProjectPermissions(%s, %s) has no %s", u, id, action)
					}
					if diff := cmp.Diff(d, whole); diff != "" {
						t.Fatalf("ProjectPermissions(%s, %s, %q)[%s] differs from Decide (-Decide +set):\n%s", u, id, project, action, diff)
					}
					if got.Allowed != ok || ps.Allowed(action) != ok {
						t.Fatalf("ProjectPermissions(%s, %s, %q)[%s].Allowed = %t, CanProject = %t", u, id, project, action, got.Allowed, ok)
					}
					if got.Cost > 0 && d.Allowed && !(got.PoolPays && got.AllowancePays) {
						t.Fatalf("%s allowed with a cost, but PoolPays %t AllowancePays %t", action, got.PoolPays, got.AllowancePays)
					}
					if d.Reason == policy.InsufficientCredits && got.PoolPays || d.Reason == policy.OutsideAllowance && got.AllowancePays {
						t.Fatalf("%s denied for %v, but the set says the purse pays: %+v", action, d.Reason, got)
					}
				}
			}
		}
	}
	// WorkspacesAllowing pages through exactly the workspaces where Can
	// allows.
	for _, u := range users {
		for _, action := range actions {
			var want []string
			mine, _, err := s.Workspaces(ctx, u, charter.Page{Limit: charter.MaxPageSize})
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mine {
				if ok, _ := s.Can(ctx, u, action, m.Workspace); ok {
					want = append(want, m.Workspace)
				}
			}
			slices.Sort(want)
			limit := 1 + len(action)%3
			var got []string
			cursor := ""
			for range len(mine) + 2 {
				page, next, err := s.WorkspacesAllowing(ctx, u, action, charter.Page{After: cursor, Limit: limit})
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > limit {
					t.Fatalf("page of %d, limit %d", len(page), limit)
				}
				for _, m := range page {
					got = append(got, m.Workspace)
				}
				if cursor = next; next == "" {
					break
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("WorkspacesAllowing(%s, %s) = %v, Can allows %v", u, action, got, want)
			}
		}
	}
}

func TestWorkspacesAllowingLimits(t *testing.T) {
	s := newService(t, "credit-pool")
	for _, limit := range []int{-1, 1001} {
		if _, _, err := s.WorkspacesAllowing(ctx, "ana", "create_visuals", charter.Page{Limit: limit}); !errors.Is(err, charter.ErrInvalid) {
			t.Errorf("WorkspacesAllowing(limit %d) = %v, want ErrInvalid", limit, err)
		}
	}
	page, next, err := s.WorkspacesAllowing(ctx, "ana", "no_such_action", charter.Page{})
	if err != nil || len(page) != 0 || next != "" {
		t.Errorf("WorkspacesAllowing(unknown action) = %v, %q, %v; want nothing", page, next, err)
	}
}

func TestPermissionsOutsider(t *testing.T) {
	s, id := team(t)
	_, err := s.Permissions(ctx, "mallory", id)
	_, err2 := s.Permissions(ctx, "mallory", "ws_missing")
	if !errors.Is(err, charter.ErrNotFound) || !errors.Is(err2, charter.ErrNotFound) {
		t.Fatalf("Permissions of an outsider = %v and of a missing workspace = %v, want ErrNotFound", err, err2)
	}
	if err.Error() == err2.Error() {
		return
	}
	// The texts name the ID asked for, nothing more.
	if want := fmt.Sprintf("charter: not found: workspace %q", id); err.Error() != want {
		t.Errorf("outsider error %q, want %q", err, want)
	}
}

// BenchmarkPermissions compares one permission set (every action of the
// credit-pool policy, 13, one with a cost) with one Can of a free action and
// one of the action with a cost, on the memory store: for an editor with an
// allowance, whose set reads the pool as Can of the action with a cost
// does, and for a reviewer, whose set reads only the membership, as Can of
// a free action does.
func BenchmarkPermissions(b *testing.B) {
	s := newService(b, "credit-pool")
	w, err := s.CreateWorkspace(ctx, "olga", "Studio", "")
	ok(b, err)
	inv, err := s.Invite(ctx, "olga", w.ID, "eddie@example.com", "editor")
	ok(b, err)
	_, err = s.Accept(ctx, "eddie", "eddie@example.com", inv.Token)
	ok(b, err)
	_, err = s.Fund(ctx, "olga", w.ID, "credits", 100, time.Time{}, "fund")
	ok(b, err)
	ok(b, s.SetAllowance(ctx, "olga", w.ID, "eddie", "credits", 50))
	inv, err = s.Invite(ctx, "olga", w.ID, "rita@example.com", "reviewer")
	ok(b, err)
	_, err = s.Accept(ctx, "rita", "rita@example.com", inv.Token)
	ok(b, err)
	b.Run("can-free", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := s.Can(ctx, "eddie", "view_visuals", w.ID); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	b.Run("can-cost", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if ok, err := s.Can(ctx, "eddie", "create_visuals", w.ID); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
	// A reviewer is granted no action with a cost: the set reads no pool.
	b.Run("permissions-reviewer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ps, err := s.Permissions(ctx, "rita", w.ID)
			if n := allowed(ps); err != nil || n != 2 {
				b.Fatal(n, err)
			}
		}
	})
	b.Run("permissions", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ps, err := s.Permissions(ctx, "eddie", w.ID)
			if n := allowed(ps); err != nil || n != 5 {
				b.Fatal(n, err)
			}
		}
	})
}

// allowed counts the actions ps allows, reading every permission as a UI
// would.
func allowed(ps charter.PermissionSet) int {
	n := 0
	for p := range ps.All() {
		if p.Allowed {
			n++
		}
	}
	return n
}

// TestDecideNamesWhatSpendRefuses: when both the allowance and the pool
// fall short, Decide, the permission set and a refused Spend name the same
// reason (the allowance, which credits.Spend checks first).
func TestDecideNamesWhatSpendRefuses(t *testing.T) {
	s := newService(t, "credit-pool")
	w, err := s.CreateWorkspace(ctx, "olga", "Studio", "")
	ok(t, err)
	inv, err := s.Invite(ctx, "olga", w.ID, "eddie@example.com", "editor")
	ok(t, err)
	_, err = s.Accept(ctx, "eddie", "eddie@example.com", inv.Token)
	ok(t, err)
	ok(t, s.SetAllowance(ctx, "olga", w.ID, "eddie", "credits", 0))
	b, err := s.Balance(ctx, "olga", w.ID, "credits")
	ok(t, err)
	if b.Available > 0 {
		_, err = s.Pay(ctx, "olga", w.ID, "credits", b.Available, "drain")
		if err != nil {
			t.Skipf("cannot drain the pool here: %v", err)
		}
	}
	d, err := s.Decide(ctx, "eddie", "create_visuals", w.ID, "")
	ok(t, err)
	if d.Balance >= 1 {
		t.Fatalf("the pool holds %d: the test needs it short too", d.Balance)
	}
	_, spendErr := s.Spend(ctx, "eddie", "create_visuals", w.ID, "k")
	ps, err := s.Permissions(ctx, "eddie", w.ID)
	ok(t, err)
	var inSet policy.Reason
	for p := range ps.All() {
		if p.Action == "create_visuals" {
			inSet = p.Reason
		}
	}
	if d.Reason != policy.OutsideAllowance || inSet != policy.OutsideAllowance || !errors.Is(spendErr, charter.ErrAllowanceExceeded) {
		t.Errorf("Decide %v, permission set %v, Spend %v: want the allowance named by all three", d.Reason, inSet, spendErr)
	}
}
