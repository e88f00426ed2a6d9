package workspace_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// TestSnapshotRefusesChanges checks that a check-only snapshot refuses every
// change and Check with ErrSnapshot, changes nothing doing so, and has no
// first admin, as it holds no join times; and that NewSnapshot and Put build
// what Snapshot copies.
func TestSnapshotRefusesChanges(t *testing.T) {
	owner, admin, member, viewer, guest, basic := fixture()
	w, err := workspace.New("ws", workspace.Shared, basic, "olga", owner, t0)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []error{
		w.Add("ann", admin, nil, t0), w.Add("bob", viewer, nil, t0), w.Add("gus", guest, []string{"q", "p"}, t0),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	s := w.Snapshot()
	built := workspace.NewSnapshot("ws", workspace.Shared, basic, 4)
	built.Owner, built.BillingContact = "olga", "olga"
	for _, m := range w.Members() {
		built.Put(m)
	}
	for name, s := range map[string]*workspace.Workspace{"Snapshot": s, "NewSnapshot": built} {
		if !s.CheckOnly() || w.CheckOnly() {
			t.Fatalf("%s: CheckOnly = %t, of the workspace %t", name, s.CheckOnly(), w.CheckOnly())
		}
		_, errRemove := s.Remove("bob")
		_, errCheckRole := s.CheckRoleChange("olga", "bob", admin)
		for i, err := range []error{
			s.Add("dan", member, nil, t0), s.SetRole("bob", admin, nil, t0), s.Grant("gus", "r"),
			errRemove, s.Transfer("ann", t0), errCheckRole, s.Partial(nil, nil), s.Check(),
		} {
			if !errors.Is(err, workspace.ErrSnapshot) {
				t.Errorf("%s: change %d: %v, want ErrSnapshot", name, i, err)
			}
		}
		if s.FirstAdmin() != "" {
			t.Errorf("%s: FirstAdmin = %q of a snapshot", name, s.FirstAdmin())
		}
		if !slices.Equal(s.Users(), w.Users()) || s.Len() != 4 || s.Counts() != w.Counts() || !s.Owned() {
			t.Errorf("%s: users %v, len %d, counts %+v, owned %t", name, s.Users(), s.Len(), s.Counts(), s.Owned())
		}
		if m, ok := s.Member("gus"); !ok || m.Role != guest || !slices.Equal(m.Projects, []string{"p", "q"}) {
			t.Errorf("%s: Member(gus) = %+v, %t", name, m, ok)
		}
	}
	// A clone of a snapshot is its own.
	c := built.Clone()
	built.Put(workspace.Member{User: "gus", Role: member})
	if m, _ := c.Member("gus"); m.Role != guest || len(m.Projects) != 2 {
		t.Errorf("the clone moved with its snapshot: %+v", m)
	}
	if m, _ := built.Member("gus"); m.Role != member || m.Projects != nil {
		t.Errorf("Put into a snapshot: %+v", m)
	}
}

// TestSnapshotEdges checks the corners of snapshots and partial workspaces:
// Put into a snapshot of a zero Workspace, a snapshot of a partial
// workspace counting every member, a clone's guests its own, and Partial
// called again without an edge forgetting the old one.
func TestSnapshotEdges(t *testing.T) {
	owner, admin, member, _, guest, _ := fixture()
	anyPlan := &plan.Plan{Name: "any", Roles: role.Set(0).With(owner).With(admin).With(member).With(guest),
		Limits: plan.Limits{Members: plan.Unlimited, Seats: plan.Unlimited, Guests: plan.Unlimited, SharedWorkspaces: plan.Unlimited}}

	// A zero Workspace's snapshot, and its clone, take Put.
	for _, s := range []*workspace.Workspace{(&workspace.Workspace{}).Snapshot(), (&workspace.Workspace{}).Snapshot().Clone()} {
		s.Put(workspace.Member{User: "ann", Role: admin})
		if s.Role("ann") != admin || s.Len() != 1 {
			t.Errorf("Put into a zero snapshot: role %v, len %d", s.Role("ann"), s.Len())
		}
	}

	// A snapshot of a partial workspace is partial and counts all.
	w, err := workspace.New("ws", workspace.Shared, anyPlan, "ann", admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("bob", admin, nil, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	ann, _ := w.Member("ann")
	counts := map[*role.Role]int{admin: 2, member: 7, guest: 3}
	if err := w.Partial(counts, &ann); err != nil {
		t.Fatal(err)
	}
	s := w.Snapshot()
	if s.Whole() || s.Len() != 12 || s.Counts() != w.Counts() || s.Counts().Members != 9 {
		t.Errorf("snapshot of a partial workspace: whole %t, len %d, counts %+v, want %+v", s.Whole(), s.Len(), s.Counts(), w.Counts())
	}
	s.Put(workspace.Member{User: "gus", Role: guest, Projects: []string{"p"}})
	s.Put(workspace.Member{User: "bob", Role: member})
	if s.Len() != 13 || s.Counts().Guests != 4 || s.Counts().Members != 9 {
		t.Errorf("Put into a partial snapshot: len %d, counts %+v", s.Len(), s.Counts())
	}

	// A clone's guests are its own, lists included.
	c := s.Clone()
	if m, _ := c.Member("gus"); len(m.Projects) != 1 {
		t.Fatalf("clone: %+v", m)
	}
	m, _ := s.Member("gus")
	m.Projects[0] = "changed"
	if m, _ := c.Member("gus"); m.Projects[0] != "p" {
		t.Errorf("the clone shares its snapshot's project list: %v", m.Projects)
	}

	// Partial again without an edge: every admin is held, so the first
	// admin is known once more.
	if err := w.SetRole("ann", member, nil, t0); err != nil {
		t.Fatal(err)
	}
	if got := w.FirstAdmin(); got != "" {
		t.Fatalf("FirstAdmin past the edge = %q, want \"\"", got)
	}
	if err := w.Partial(map[*role.Role]int{admin: 1, member: 8, guest: 3}, nil); err != nil {
		t.Fatal(err)
	}
	if got := w.FirstAdmin(); got != "bob" {
		t.Errorf("FirstAdmin after Partial without an edge = %q, want bob", got)
	}
}
