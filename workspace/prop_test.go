package workspace_test

import (
	"maps"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// mmember is the model's membership: a role and its projects.
type mmember struct {
	role     *role.Role
	projects []string
}

// TestMutationsAgreeWithModel drives a workspace through random mutations
// beside a plain map of user to membership, written from the documented
// rules and not from the code. After every step the workspace's role index
// (Role), its memberships (Member, Members, Users, Len) and the model agree,
// Check finds nothing, and a refused mutation changed nothing. Clones and
// check-only snapshots taken along the way never move when the original
// does, and a snapshot taken at any step reads as the workspace does.
func TestMutationsAgreeWithModel(t *testing.T) {
	owner, admin, member, viewer, guest, basic := fixture()
	roles := []*role.Role{owner, admin, member, viewer, guest}
	users := []string{"olga", "ann", "bob", "cat", "dan"}
	projects := []string{"p", "q", "r"}
	rapid.Check(t, func(rt *rapid.T) {
		now := t0
		w, err := workspace.New("ws", workspace.Shared, basic, "olga", owner, now)
		if err != nil {
			rt.Fatal(err)
		}
		model := map[string]mmember{"olga": {role: owner}}
		ownerID := "olga"
		type clone struct {
			w     *workspace.Workspace
			model map[string]mmember
		}
		var clones []clone

		user := rapid.SampledFrom(users)
		someRole := rapid.SampledFrom(roles)
		someProjects := func(rt *rapid.T) []string {
			return rapid.SliceOfNDistinct(rapid.SampledFrom(projects), 0, 2, rapid.ID[string]).Draw(rt, "projects")
		}
		// offered and fits are the rules of Add and SetRole's new role.
		fits := func(r *role.Role, ps []string) bool {
			return !r.Owner && basic.Offers(r) && r.Guest == (len(ps) > 0) && !(r.Guest && w.Settings.GuestsDisabled)
		}
		apply := func(rt *rapid.T, name string, ok bool, err error, change func()) {
			if ok != (err == nil) {
				rt.Fatalf("%s: error %v, model says ok=%t", name, err, ok)
			}
			if ok {
				change()
			}
		}
		rt.Repeat(map[string]func(*rapid.T){
			"add": func(rt *rapid.T) {
				u, r, ps := user.Draw(rt, "user"), someRole.Draw(rt, "role"), someProjects(rt)
				_, exists := model[u]
				apply(rt, "Add", !exists && fits(r, ps), w.Add(u, r, ps, now), func() {
					model[u] = mmember{r, sorted(ps)}
				})
			},
			"setRole": func(rt *rapid.T) {
				u, r, ps := user.Draw(rt, "user"), someRole.Draw(rt, "role"), someProjects(rt)
				_, exists := model[u]
				apply(rt, "SetRole", exists && u != ownerID && fits(r, ps), w.SetRole(u, r, ps, now), func() {
					model[u] = mmember{r, sorted(ps)}
				})
			},
			"grant": func(rt *rapid.T) {
				u, ps := user.Draw(rt, "user"), someProjects(rt)
				m, exists := model[u]
				apply(rt, "Grant", exists && m.role.Guest && len(ps) > 0, w.Grant(u, ps...), func() {
					model[u] = mmember{m.role, sorted(append(slices.Clone(m.projects), ps...))}
				})
			},
			"remove": func(rt *rapid.T) {
				u := user.Draw(rt, "user")
				_, exists := model[u]
				_, err := w.Remove(u)
				apply(rt, "Remove", exists && u != ownerID, err, func() { delete(model, u) })
			},
			"transfer": func(rt *rapid.T) {
				u := user.Draw(rt, "user")
				m, exists := model[u]
				ok := exists && u != ownerID && m.role.Admin && !m.role.Guest
				apply(rt, "Transfer", ok, w.Transfer(u, now), func() {
					model[ownerID], model[u] = mmember{role: m.role}, mmember{role: owner}
					ownerID = u
				})
			},
			"guestsOff": func(rt *rapid.T) {
				w.Settings.GuestsDisabled = rapid.Bool().Draw(rt, "off")
			},
			"clone": func(rt *rapid.T) {
				clones = append(clones, clone{w.Clone(), maps.Clone(model)})
			},
			"snapshot": func(rt *rapid.T) {
				clones = append(clones, clone{w.Snapshot(), maps.Clone(model)})
			},
			"tick": func(rt *rapid.T) {
				now = now.Add(time.Duration(rapid.IntRange(1, 48).Draw(rt, "hours")) * time.Hour)
			},
			"": func(rt *rapid.T) {
				if w.Owner != ownerID {
					rt.Fatalf("Owner = %s, model %s", w.Owner, ownerID)
				}
				agree(rt, w, model, users)
				if err := w.Check(); err != nil {
					rt.Fatalf("Check: %v", err)
				}
				s := w.Snapshot()
				agree(rt, s, model, users)
				if s.Counts() != w.Counts() || s.Owned() != w.Owned() || s.Owner != w.Owner || s.Settings != w.Settings {
					rt.Fatalf("snapshot: counts %+v owned %t owner %s; workspace %+v %t %s", s.Counts(), s.Owned(), s.Owner, w.Counts(), w.Owned(), w.Owner)
				}
				for _, c := range clones {
					agree(rt, c.w, c.model, users)
				}
			},
		})
	})
}

// agree fails rt unless w holds exactly model's memberships, in every one
// of its reads.
func agree(rt *rapid.T, w *workspace.Workspace, model map[string]mmember, users []string) {
	for _, u := range users {
		want, in := model[u]
		m, ok := w.Member(u)
		switch {
		case ok != in:
			rt.Fatalf("Member(%s) ok = %t, model %t", u, ok, in)
		case !in && w.Role(u) != nil:
			rt.Fatalf("Role(%s) = %v for a non-member", u, w.Role(u))
		case in && (w.Role(u) != want.role || m.Role != want.role || m.User != u):
			rt.Fatalf("%s: Role = %v, Member = %+v; model %v", u, w.Role(u), m, want.role)
		case in && !slices.Equal(m.Projects, want.projects):
			rt.Fatalf("%s: projects %v, model %v", u, m.Projects, want.projects)
		case in && w.CheckOnly() && (!m.Joined.IsZero() || !m.SeatSince.IsZero()):
			rt.Fatalf("%s: a snapshot holds times: %+v", u, m)
		case in && !w.CheckOnly() && want.role.Seat == m.SeatSince.IsZero():
			rt.Fatalf("%s: %s with seat since %v", u, m.Role.Name, m.SeatSince)
		}
	}
	if w.Len() != len(model) || !slices.Equal(w.Users(), slices.Sorted(maps.Keys(model))) {
		rt.Fatalf("Len %d, Users %v; model %v", w.Len(), w.Users(), slices.Sorted(maps.Keys(model)))
	}
	n := 0
	for u, m := range w.Members() {
		n++
		if m.User != u || m.Role != model[u].role {
			rt.Fatalf("Members yields %s: %+v; model %v", u, m, model[u].role)
		}
	}
	if n != len(model) {
		rt.Fatalf("Members yields %d, model has %d", n, len(model))
	}
}

// sorted returns ps sorted without repeats, nil when empty: how the
// workspace keeps a guest's projects.
func sorted(ps []string) []string {
	if len(ps) == 0 {
		return nil
	}
	ps = slices.Clone(ps)
	slices.Sort(ps)
	return slices.Compact(ps)
}
