package workspace_test

import (
	"errors"
	"slices"
	"testing"

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
