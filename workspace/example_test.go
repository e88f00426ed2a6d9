package workspace_test

import (
	"fmt"
	"time"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

func Example() {
	owner := &role.Role{Name: "owner", Index: 0, Owner: true, Admin: true, Rank: 100}
	admin := &role.Role{Name: "admin", Index: 1, Admin: true, Rank: 50}
	team := &plan.Plan{Name: "team", Roles: role.Set(0).With(owner).With(admin)}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	w, _ := workspace.New("ws1", workspace.Shared, team, "olga", owner, now)
	_ = w.Add("ada", admin, nil, now)
	_, err := w.Remove("olga")
	fmt.Println(err)
	_ = w.Transfer("ada", now)
	fmt.Println(w.Owner, w.Role("olga"), w.Check())
	// Output:
	// workspace: the owner's membership and role change only by ownership transfer
	// ada admin <nil>
}

// A check-only snapshot holds what a policy's checks read: each member's
// role and a guest's projects. It suits a cache of many workspaces.
func ExampleNewSnapshot() {
	owner := &role.Role{Name: "owner", Index: 0, Owner: true, Admin: true, Rank: 100}
	guest := &role.Role{Name: "guest", Index: 1, Guest: true, Rank: 5}
	team := &plan.Plan{Name: "team", Roles: role.Set(0).With(owner).With(guest)}

	s := workspace.NewSnapshot("ws1", workspace.Shared, team, 2)
	s.Owner = "olga"
	s.Put(workspace.Member{User: "olga", Role: owner})
	s.Put(workspace.Member{User: "gus", Role: guest, Projects: []string{"site"}})
	m, _ := s.Member("gus")
	fmt.Println(s.Owned(), s.Role("olga"), m.Projects, s.Len())
	fmt.Println(s.Add("ann", guest, []string{"site"}, time.Now()))
	// Output:
	// true owner [site] 2
	// workspace: a check-only snapshot is not changed or checked; load the workspace whole
}
