package backendtest_test

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/role"
)

// grantCeiling checks, after every step of the membership state machine,
// that no member holds a role above what an actor could grant: the owner
// alone holds the owner role, and every member whose role is new since the
// previous step (joined, promoted, demoted) holds a role that a member of
// the previous step could assign (role.MayAssign: in its assigns, not above
// its rank, never owner). The workspace's owner is exempt only for the owner
// role itself, which comes by creation or transfer.
type grantCeiling struct {
	sm   *serviceMachine
	prev map[string]*role.Role
}

func (g *grantCeiling) check(t *rapid.T) {
	m := g.sm.first()
	ws, err := g.sm.s.Workspace(ctx, m.owner, m.id)
	if err != nil {
		t.Fatalf("Workspace: %v", err)
	}
	cur := map[string]*role.Role{}
	for u, m := range ws.Members() {
		r := m.Role
		cur[u] = r
		if u == ws.Owner {
			if !r.Owner {
				t.Fatalf("owner %s holds %s", u, r.Name)
			}
			continue
		}
		if r.Owner {
			t.Fatalf("%s holds the owner role but %s owns the workspace", u, ws.Owner)
		}
		if p, ok := g.prev[u]; ok && p == r {
			continue
		}
		granted := false
		for a, ar := range g.prev {
			if a != u && mayGrant(ar.Name, r.Name) {
				granted = true
				break
			}
		}
		if !granted {
			t.Fatalf("%s now holds %s (rank %d), which no member of the previous step could grant (%v)", u, r.Name, r.Rank, names(g.prev))
		}
	}
	g.prev = cur
}

// mayGrant is the hand-written model's rule (machineRoles, independent of
// package role): from lists to, which is not owner and not above from's
// rank.
func mayGrant(from, to string) bool {
	f, r := machineRoles[from], machineRoles[to]
	return !r.owner && r.rank <= f.rank && slices.Contains(f.assigns, to)
}

func names(m map[string]*role.Role) map[string]string {
	out := map[string]string{}
	for u, r := range m {
		out[u] = r.Name
	}
	return out
}

// TestMembershipGrantCeiling runs the membership state machine of
// TestServiceMachine (every membership operation by random actors) with the
// grant ceiling and the model checked after every step. On the in-memory
// store only: TestServiceMachine already runs the machine on every backend,
// and the ceiling is a property of the Service's decisions, which the
// backends share. `make stress` runs it at 10,000 sequences.
func TestMembershipGrantCeiling(t *testing.T) {
	p := loadMachinePolicy(t)
	rapid.Check(t, func(rt *rapid.T) {
		c := newClock()
		store := memoryStore()
		defer store.Close()
		s, err := charter.New(p, store, charter.Options{Now: c.Now})
		if err != nil {
			rt.Fatal(err)
		}
		sm := newServiceMachine(rt, s, c, machineModel())
		g := &grantCeiling{sm: sm, prev: map[string]*role.Role{"u0": p.Role("owner")}}
		actions := sm.actions()
		actions[""] = func(t *rapid.T) {
			sm.check(t)
			g.check(t)
		}
		rt.Repeat(actions)
	})
}
