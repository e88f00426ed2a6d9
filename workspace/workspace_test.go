package workspace_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture returns the roles of a small policy and a plan offering all but
// member.
func fixture() (owner, admin, member, viewer, guest *role.Role, basic *plan.Plan) {
	owner = &role.Role{Name: "owner", Index: 0, Owner: true, Admin: true, Rank: 100}
	admin = &role.Role{Name: "admin", Index: 1, Admin: true, Seat: true, Rank: 50}
	member = &role.Role{Name: "member", Index: 2, Seat: true, Rank: 20}
	viewer = &role.Role{Name: "viewer", Index: 3, Rank: 10}
	guest = &role.Role{Name: "guest", Index: 4, Guest: true, Rank: 5}
	basic = &plan.Plan{Name: "basic", Roles: role.Set(0).With(owner).With(admin).With(viewer).With(guest),
		Limits: plan.Limits{Members: 3, Seats: 1, Guests: plan.Unlimited, SharedWorkspaces: plan.Unlimited}}
	return
}

func newWS(t *testing.T) (*workspace.Workspace, []*role.Role) {
	t.Helper()
	owner, admin, member, viewer, guest, basic := fixture()
	w, err := workspace.New("ws1", workspace.Shared, basic, "olga", owner, t0)
	if err != nil {
		t.Fatal(err)
	}
	return w, []*role.Role{owner, admin, member, viewer, guest}
}

func TestMutations(t *testing.T) {
	w, r := newWS(t)
	owner, admin, member, viewer, guest := r[0], r[1], r[2], r[3], r[4]
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"add admin", func() error { return w.Add("ada", admin, nil, t0) }, nil},
		{"add twice", func() error { return w.Add("ada", viewer, nil, t0) }, workspace.ErrMember},
		{"add second owner", func() error { return w.Add("eve", owner, nil, t0) }, workspace.ErrOwnerRole},
		{"add role not offered", func() error { return w.Add("mo", member, nil, t0) }, workspace.ErrNotOffered},
		{"guest without projects", func() error { return w.Add("gus", guest, nil, t0) }, workspace.ErrNoProjects},
		{"viewer with projects", func() error { return w.Add("vic", viewer, []string{"p"}, t0) }, workspace.ErrNotGuest},
		{"add guest", func() error { return w.Add("gus", guest, []string{"p2", "p1", "p2"}, t0) }, nil},
		{"add viewer", func() error { return w.Add("vic", viewer, nil, t0) }, nil},
		{"demote owner", func() error { return w.SetRole("olga", admin, nil, t0) }, workspace.ErrOwner},
		{"remove owner", func() error { _, err := w.Remove("olga"); return err }, workspace.ErrOwner},
		{"transfer to viewer", func() error { return w.Transfer("vic", t0) }, workspace.ErrNotAdmin},
		{"transfer to guest", func() error { return w.Transfer("gus", t0) }, workspace.ErrNotAdmin},
		{"transfer to stranger", func() error { return w.Transfer("nobody", t0) }, workspace.ErrNotMember},
		{"grant a viewer", func() error { return w.Grant("vic", "p3") }, workspace.ErrNotGuest},
		{"grant the guest", func() error { return w.Grant("gus", "p3") }, nil},
		{"transfer to admin", func() error { return w.Transfer("ada", t0.Add(time.Hour)) }, nil},
		{"promote guest", func() error { return w.SetRole("gus", viewer, nil, t0) }, nil},
		{"remove former owner", func() error { _, err := w.Remove("olga"); return err }, nil},
	}
	for _, tt := range tests {
		err := tt.do()
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Fatalf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
		if err := w.Check(); err != nil {
			t.Fatalf("%s: invariants broken: %v", tt.name, err)
		}
	}
	if w.Owner != "ada" || w.Role("ada") != owner || w.BillingContact != "ada" {
		t.Errorf("owner %s (%v), billing %s; want ada holding owner", w.Owner, w.Role("ada"), w.BillingContact)
	}
	if m := memberOf(w, "gus"); m.Projects != nil || m.Role != viewer {
		t.Errorf("promoted guest = %+v, want a viewer without grants", m)
	}
}

func TestTransferMovesSeats(t *testing.T) {
	w, r := newWS(t)
	admin := r[1]
	if err := w.Add("ada", admin, nil, t0); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(48 * time.Hour)
	if err := w.Transfer("ada", later); err != nil {
		t.Fatal(err)
	}
	// The new owner's role is not a seat; the former owner's admin seat
	// starts now.
	if got := memberOf(w, "ada").SeatSince; !got.IsZero() {
		t.Errorf("new owner's seat since %v, want none", got)
	}
	if got := memberOf(w, "olga").SeatSince; !got.Equal(later) {
		t.Errorf("former owner's seat since %v, want %v", got, later)
	}
}

func TestCounts(t *testing.T) {
	w, r := newWS(t)
	admin, viewer, guest := r[1], r[3], r[4]
	for _, add := range []struct {
		user string
		role *role.Role
		p    []string
	}{{"a", admin, nil}, {"v", viewer, nil}, {"g", guest, []string{"p"}}} {
		if err := w.Add(add.user, add.role, add.p, t0); err != nil {
			t.Fatal(err)
		}
	}
	c := w.Counts()
	if want := (workspace.Counts{Members: 3, Seats: 1, Guests: 1}); c != want {
		t.Errorf("Counts = %+v, want %+v", c, want)
	}
	if err := c.Within(w.Plan.Limits); err != nil {
		t.Errorf("Within = %v, want nil", err)
	}
	c.Add(admin, 1)
	err := c.Within(w.Plan.Limits)
	var le *workspace.LimitError
	if !errors.As(err, &le) {
		t.Fatalf("Within over limits = %v, want *LimitError", err)
	}
	if got := err.Error(); got != "workspace: members limit is 3, would be 4\nworkspace: seats limit is 1, would be 2" {
		t.Errorf("error = %q", got)
	}
}

func TestCheckFindsBrokenSnapshots(t *testing.T) {
	w, r := newWS(t)
	owner := r[0]
	w.Put(workspace.Member{User: "eve", Role: owner})
	w.Owner = "nobody"
	err := w.Check()
	if !errors.Is(err, workspace.ErrInvalid) {
		t.Fatalf("Check = %v, want ErrInvalid", err)
	}
	for _, want := range []string{`owner "nobody" is not a member`, `member "eve" holds the owner role`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check error %q lacks %q", err, want)
		}
	}
}

func TestClone(t *testing.T) {
	w, r := newWS(t)
	if err := w.Add("g", r[4], []string{"p"}, t0); err != nil {
		t.Fatal(err)
	}
	c := w.Clone()
	if err := c.Grant("g", "q"); err != nil {
		t.Fatal(err)
	}
	if len(memberOf(w, "g").Projects) != 1 {
		t.Errorf("granting on the clone changed the original: %+v", memberOf(w, "g"))
	}
	if _, err := c.Remove("g"); err != nil {
		t.Fatal(err)
	}
	if w.Len() != 2 || w.Role("g") != r[4] || c.Role("g") != nil || c.Len() != 1 {
		t.Errorf("removing from the clone: original has %d members, g as %v; clone %d, g as %v", w.Len(), w.Role("g"), c.Len(), c.Role("g"))
	}
}

// memberOf returns u's membership of w; the zero Member if u is none.
func memberOf(w *workspace.Workspace, u string) workspace.Member {
	m, _ := w.Member(u)
	return m
}
