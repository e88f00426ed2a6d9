package workspace_test

import (
	"errors"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// ownerless returns the roles of a policy without an owner role (seeds 000
// and 003) and a plan offering them all.
func ownerless() (admin, member, guest *role.Role, p *plan.Plan) {
	admin = &role.Role{Name: "admin", Index: 0, Admin: true, Seat: true, Rank: 50}
	member = &role.Role{Name: "member", Index: 1, Seat: true, Rank: 20}
	guest = &role.Role{Name: "guest", Index: 2, Guest: true, Rank: 10}
	p = &plan.Plan{Name: "business", Roles: role.Set(0).With(admin).With(member).With(guest),
		Limits: plan.Limits{Members: plan.Unlimited, Seats: plan.Unlimited, Guests: plan.Unlimited, SharedWorkspaces: plan.Unlimited}}
	return
}

func TestOwnerlessRules(t *testing.T) {
	admin, member, guest, p := ownerless()
	w, err := workspace.New("t1", workspace.Shared, p, "cat", admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	if w.Owner != "" || w.Owned() || w.BillingContact != "cat" {
		t.Fatalf("new shared workspace: owner %q owned %v billing %q; want no owner, cat billing", w.Owner, w.Owned(), w.BillingContact)
	}
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	tests := []struct {
		name    string
		do      func() error
		want    error
		billing string
	}{
		{"last admin leaves", func() error { _, err := w.Remove("cat"); return err }, workspace.ErrLastAdmin, "cat"},
		{"add member", func() error { return w.Add("mo", member, nil, at(1)) }, nil, "cat"},
		{"last admin demoted", func() error { return w.SetRole("cat", member, nil, at(1)) }, workspace.ErrLastAdmin, "cat"},
		{"last admin demoted, checked", func() error { _, err := w.CheckRoleChange("mo", "cat", member); return err }, workspace.ErrLastAdmin, "cat"},
		{"add guest", func() error { return w.Add("gus", guest, []string{"p"}, at(2)) }, nil, "cat"},
		{"add second admin", func() error { return w.Add("ann", admin, nil, at(3)) }, nil, "cat"},
		{"first admin demoted: billing moves", func() error { return w.SetRole("cat", member, nil, at(4)) }, nil, "ann"},
		{"member joined first, promoted: first admin again", func() error { return w.SetRole("mo", admin, nil, at(5)) }, nil, "mo"},
		{"first admin leaves: billing moves", func() error { _, err := w.Remove("mo"); return err }, nil, "ann"},
		{"now the last admin again", func() error { _, err := w.Remove("ann"); return err }, workspace.ErrLastAdmin, "ann"},
		{"no owner to transfer", func() error { return w.Transfer("ann", at(6)) }, workspace.ErrInvalid, "ann"},
		{"promote, then the other admin may leave", func() error {
			if err := w.SetRole("cat", admin, nil, at(7)); err != nil {
				return err
			}
			_, err := w.Remove("ann")
			return err
		}, nil, "cat"},
	}
	for _, tt := range tests {
		err := tt.do()
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Fatalf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if err := w.Check(); err != nil {
			t.Fatalf("%s: invariants broken: %v", tt.name, err)
		}
		if w.BillingContact != tt.billing {
			t.Fatalf("%s: billing contact %q, want %q", tt.name, w.BillingContact, tt.billing)
		}
	}
}

func TestPersonalWithoutOwner(t *testing.T) {
	admin, _, _, p := ownerless()
	w, err := workspace.New("p1", workspace.Personal, p, "ada", admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	if w.Owner != "ada" || w.Owned() {
		t.Fatalf("personal workspace without an owner role: Owner %q Owned %v; want ada, false", w.Owner, w.Owned())
	}
	if err := w.Check(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Remove("ada"); !errors.Is(err, workspace.ErrLastAdmin) {
		t.Fatalf("remove the only admin: %v, want ErrLastAdmin", err)
	}
	if _, err := workspace.New("p2", workspace.Shared, p, "ada", &role.Role{Name: "member", Index: 1}, t0); !errors.Is(err, workspace.ErrInvalid) {
		t.Fatalf("creator in a non-admin role: %v, want ErrInvalid", err)
	}
}

// TestOwnerlessKeepsAnAdmin drives random removals and role changes on a
// workspace without an owner: every refusal is ErrLastAdmin or another
// rule's, there is always an admin, and the billing contact is the first.
func TestOwnerlessKeepsAnAdmin(t *testing.T) {
	admin, member, guest, p := ownerless()
	users := []string{"a", "b", "c", "d", "e"}
	rapid.Check(t, func(rt *rapid.T) {
		w, err := workspace.New("t", workspace.Shared, p, "a", admin, t0)
		if err != nil {
			rt.Fatal(err)
		}
		now := t0
		rt.Repeat(map[string]func(*rapid.T){
			"add": func(rt *rapid.T) {
				u := rapid.SampledFrom(users).Draw(rt, "user")
				r := rapid.SampledFrom([]*role.Role{admin, member}).Draw(rt, "role")
				// Sometimes at the same moment: ties go by user ID.
				now = now.Add(time.Duration(rapid.IntRange(0, 1).Draw(rt, "minutes")) * time.Minute)
				_ = w.Add(u, r, nil, now)
			},
			"guest": func(rt *rapid.T) {
				_ = w.Add(rapid.SampledFrom(users).Draw(rt, "user"), guest, []string{"p"}, now)
			},
			"setRole": func(rt *rapid.T) {
				u := rapid.SampledFrom(users).Draw(rt, "user")
				r := rapid.SampledFrom([]*role.Role{admin, member}).Draw(rt, "role")
				wasLast := w.Role(u) == admin && countAdmins(w) == 1 && r != admin
				err := w.SetRole(u, r, nil, now)
				if wasLast != errors.Is(err, workspace.ErrLastAdmin) {
					rt.Fatalf("demote %s to %s with %d admins: %v", u, r.Name, countAdmins(w), err)
				}
			},
			"remove": func(rt *rapid.T) {
				u := rapid.SampledFrom(users).Draw(rt, "user")
				wasLast := w.Role(u) == admin && countAdmins(w) == 1
				_, err := w.Remove(u)
				if wasLast != errors.Is(err, workspace.ErrLastAdmin) {
					rt.Fatalf("remove %s with %d admins: %v", u, countAdmins(w), err)
				}
			},
			"": func(rt *rapid.T) {
				if err := w.Check(); err != nil {
					rt.Fatal(err)
				}
				if countAdmins(w) == 0 || w.BillingContact != w.FirstAdmin() || w.Role(w.BillingContact) != admin {
					rt.Fatalf("admins %d, billing %q, first admin %q", countAdmins(w), w.BillingContact, w.FirstAdmin())
				}
			},
		})
	})
}

func countAdmins(w *workspace.Workspace) int {
	n := 0
	for _, m := range w.Members() {
		if m.Role.Admin {
			n++
		}
	}
	return n
}
