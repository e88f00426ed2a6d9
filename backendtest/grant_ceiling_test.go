package backendtest_test

import (
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/role"
)

// grantCeiling checks, after every step of the membership state machine,
// that no member holds a role above what an actor could grant: the owner
// alone holds the owner role, and in every workspace each member whose role
// is new since the previous step (joined, promoted, demoted) holds a role
// that a member of the previous step could assign (role.MayAssign: in its
// assigns, not above its rank, never owner). The workspace's owner is
// exempt only for the owner role itself, which comes by creation or
// transfer; a workspace's first step (its creation) is only recorded.
type grantCeiling struct {
	sm   *serviceMachine
	prev map[string]map[string]*role.Role // workspace → user → role
}

func (g *grantCeiling) check(t *rapid.T) {
	for _, m := range g.sm.w.ws {
		g.checkOne(t, m)
	}
}

func (g *grantCeiling) checkOne(t *rapid.T, m *model) {
	ws, err := g.sm.s.Workspace(ctx, slices.Sorted(maps.Keys(m.members))[0], m.id)
	if err != nil {
		t.Fatalf("Workspace: %v", err)
	}
	prev, seen := g.prev[m.id]
	cur := map[string]*role.Role{}
	for u, mem := range ws.Members() {
		r := mem.Role
		cur[u] = r
		if u == ws.Owner && ws.Owned() {
			if !r.Owner {
				t.Fatalf("owner %s holds %s", u, r.Name)
			}
			continue
		}
		if r.Owner {
			t.Fatalf("%s holds the owner role but the workspace's owner is %q", u, ws.Owner)
		}
		if p, ok := prev[u]; !seen || ok && p == r {
			continue
		}
		granted := false
		for a, ar := range prev {
			if a != u && g.mayGrant(ar.Name, r.Name) {
				granted = true
				break
			}
		}
		if !granted {
			t.Fatalf("%s now holds %s (rank %d), which no member of the previous step could grant (%v)", u, r.Name, r.Rank, names(prev))
		}
	}
	g.prev[m.id] = cur
}

// mayGrant is the hand-written model's rule (its roles, independent of
// package role): from lists to, which is not owner and not above from's
// rank.
func (g *grantCeiling) mayGrant(from, to string) bool {
	roles := g.sm.w.pol.roles
	f, r := roles[from], roles[to]
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
// TestServiceMachine (every membership operation by random actors, under
// each kind of ownership) with the grant ceiling and the model checked
// after every step. On the in-memory store only: TestServiceMachine
// already runs the machine on every backend, and the ceiling is a property
// of the Service's decisions, which the backends share. `make stress` runs
// it at 10,000 sequences.
func TestMembershipGrantCeiling(t *testing.T) {
	pols := machinePolicies(t)
	rapid.Check(t, func(rt *rapid.T) {
		mp := pols[rapid.IntRange(0, len(pols)-1).Draw(rt, "policy")]
		c := newClock()
		store := memoryStore()
		defer store.Close()
		s, err := charter.New(mp.p, store, charter.Options{Now: c.Now})
		if err != nil {
			rt.Fatal(err)
		}
		sm := newServiceMachine(rt, s, c, mp.m)
		g := &grantCeiling{sm: sm, prev: map[string]map[string]*role.Role{}}
		actions := sm.actions()
		actions[""] = func(t *rapid.T) {
			sm.check(t)
			g.check(t)
		}
		rt.Repeat(actions)
	})
}
