package workspace_test

import (
	"cmp"
	"errors"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// partOf builds what the charter Service loads for one change of w: the
// header, the members named, the owner, the billing contact and the first
// two admins, and the role counts of all (Partial).
func partOf(t *rapid.T, w *workspace.Workspace, named ...string) *workspace.Workspace {
	p := &workspace.Workspace{ID: w.ID, Name: w.Name, Kind: w.Kind, Plan: w.Plan, Owner: w.Owner,
		BillingContact: w.BillingContact, Settings: w.Settings, Created: w.Created, Anchor: w.Anchor, Version: w.Version}
	var admins []workspace.Member
	counts := map[*role.Role]int{}
	for _, m := range w.Members() {
		counts[m.Role]++
		if m.Role.Admin && !m.Role.Guest {
			admins = append(admins, m)
		}
	}
	slices.SortFunc(admins, func(a, b workspace.Member) int {
		return cmp.Or(a.Joined.Compare(b.Joined), cmp.Compare(a.User, b.User))
	})
	admins = admins[:min(2, len(admins))]
	held := append(named, w.Owner, w.BillingContact)
	for _, a := range admins {
		held = append(held, a.User)
	}
	for _, u := range held {
		if m, ok := w.Member(u); ok {
			p.Put(m)
		}
	}
	var edge *workspace.Member
	if len(admins) == 2 {
		edge = &admins[1]
	}
	if err := p.Partial(counts, edge); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPartialAgreesWithWhole checks that one change of membership (add, role
// change, grant, removal, transfer) made to a partial workspace, holding
// only what the Service loads for it, has the outcome it has on the whole
// workspace: the same error, owner, billing contact, first admin, counts,
// the same members where both hold them, and the same verdict of Check.
// Workspaces with and without an owner, with few join times, so that the
// first admin's ties are broken by user.
func TestPartialAgreesWithWhole(t *testing.T) {
	owner, admin, member, viewer, guest, _ := fixture()
	p := &plan.Plan{Name: "any", Roles: role.Set(0).With(owner).With(admin).With(member).With(viewer).With(guest),
		Limits: plan.Limits{Members: plan.Unlimited, Seats: plan.Unlimited, Guests: plan.Unlimited, SharedWorkspaces: plan.Unlimited}}
	users := []string{"ann", "bob", "cat", "dan", "eve", "fay", "gus"}
	rapid.Check(t, func(rt *rapid.T) {
		at := func(label string) time.Time {
			return t0.Add(time.Duration(rapid.IntRange(0, 2).Draw(rt, label)) * time.Hour)
		}
		creatorRole := admin
		if rapid.Bool().Draw(rt, "owned") {
			creatorRole = owner
		}
		w, err := workspace.New("ws", workspace.Shared, p, "ann", creatorRole, at("created"))
		if err != nil {
			rt.Fatal(err)
		}
		nonOwner := rapid.SampledFrom([]*role.Role{admin, member, viewer, guest})
		for i, u := range users[1:] {
			if rapid.Bool().Draw(rt, "join "+u) {
				r := nonOwner.Draw(rt, "role "+u)
				var ps []string
				if r.Guest {
					ps = []string{"p"}
				}
				_ = i
				if err := w.Add(u, r, ps, at("joined "+u)); err != nil {
					rt.Fatal(err)
				}
			}
		}
		if err := w.Check(); err != nil {
			rt.Fatalf("built workspace: %v", err)
		}
		by, user := rapid.SampledFrom(users).Draw(rt, "by"), rapid.SampledFrom(users).Draw(rt, "user")
		part := partOf(rt, w, by, user)
		if part.Whole() || part.Len() != w.Len() || part.Counts() != w.Counts() || part.FirstAdmin() != w.FirstAdmin() {
			rt.Fatalf("partial before: len %d counts %v first %q; whole %d %v %q", part.Len(), part.Counts(), part.FirstAdmin(), w.Len(), w.Counts(), w.FirstAdmin())
		}
		now := t0.Add(3 * time.Hour)
		var change func(w *workspace.Workspace) error
		switch op := rapid.IntRange(0, 4).Draw(rt, "op"); op {
		case 0:
			r := nonOwner.Draw(rt, "new role")
			var ps []string
			if r.Guest {
				ps = []string{"q"}
			}
			change = func(w *workspace.Workspace) error { return w.Add(user, r, ps, now) }
		case 1:
			r := nonOwner.Draw(rt, "new role")
			var ps []string
			if r.Guest {
				ps = []string{"q"}
			}
			change = func(w *workspace.Workspace) error {
				if _, err := w.CheckRoleChange(by, user, r); err != nil {
					return err
				}
				return w.SetRole(user, r, ps, now)
			}
		case 2:
			change = func(w *workspace.Workspace) error { return w.Grant(user, "q") }
		case 3:
			change = func(w *workspace.Workspace) error { _, err := w.Remove(user); return err }
		default:
			change = func(w *workspace.Workspace) error { return w.Transfer(user, now) }
		}
		werr, perr := change(w), change(part)
		if (werr == nil) != (perr == nil) || (werr != nil && werr.Error() != perr.Error()) {
			rt.Fatalf("whole: %v; partial: %v", werr, perr)
		}
		if part.Owner != w.Owner || part.BillingContact != w.BillingContact || part.FirstAdmin() != w.FirstAdmin() ||
			part.Counts() != w.Counts() || part.Len() != w.Len() || part.Owned() != w.Owned() {
			rt.Fatalf("after: partial owner %q billing %q first %q counts %v; whole %q %q %q %v",
				part.Owner, part.BillingContact, part.FirstAdmin(), part.Counts(), w.Owner, w.BillingContact, w.FirstAdmin(), w.Counts())
		}
		for u, m := range part.Members() {
			if wm, ok := w.Member(u); !ok || wm.Role != m.Role || !slices.Equal(wm.Projects, m.Projects) || !wm.Joined.Equal(m.Joined) || !wm.SeatSince.Equal(m.SeatSince) {
				rt.Fatalf("member %s: partial %+v, whole %+v (%t)", u, m, wm, ok)
			}
		}
		if cw, cp := w.Check(), part.Check(); (cw == nil) != (cp == nil) {
			rt.Fatalf("Check: whole %v, partial %v", cw, cp)
		}
	})
}

// TestPartialRefusesWhatItCannotKnow checks that a partial workspace that
// lost every admin it held as the earliest cannot name the first admin,
// so Check refuses it rather than bill the wrong member.
func TestPartialRefusesWhatItCannotKnow(t *testing.T) {
	_, admin, member, _, _, _ := fixture()
	p := &plan.Plan{Name: "any", Roles: role.Set(0).With(admin).With(member),
		Limits: plan.Limits{Members: plan.Unlimited, Seats: plan.Unlimited, Guests: plan.Unlimited, SharedWorkspaces: plan.Unlimited}}
	w, err := workspace.New("ws", workspace.Shared, p, "ann", admin, t0)
	if err != nil {
		t.Fatal(err)
	}
	ann, _ := w.Member("ann")
	w.Put(workspace.Member{User: "bob", Role: member, Joined: t0, SeatSince: t0})
	// Three admins, of which only ann (the first) is held: the edge is ann.
	if err := w.Partial(map[*role.Role]int{admin: 3, member: 1}, &ann); err != nil {
		t.Fatal(err)
	}
	if got := w.FirstAdmin(); got != "ann" {
		t.Fatalf("FirstAdmin = %q, want ann", got)
	}
	if err := w.SetRole("ann", member, nil, t0); err != nil {
		t.Fatal(err)
	}
	if got := w.FirstAdmin(); got != "" {
		t.Fatalf("FirstAdmin after the held admin's demotion = %q, want \"\" (unknown)", got)
	}
	if err := w.Check(); err == nil {
		t.Fatal("Check passed a partial workspace whose billing contact it cannot know")
	}
	if err := w.Partial(map[*role.Role]int{admin: 0}, nil); err == nil || !errors.Is(err, workspace.ErrInvalid) {
		t.Fatalf("Partial with fewer holders than held = %v, want ErrInvalid", err)
	}
}
