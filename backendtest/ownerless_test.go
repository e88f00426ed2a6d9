package backendtest_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// machineVariant returns testdata/machine.yaml with its owner where ownership
// says: "every" (the file as it is), "personal" (only in personal
// workspaces, creators of others start as admin) or "none" (no owner role);
// "none-members" is "none" where members may also remove and change roles,
// so that someone who is not an admin may try to take the last admin away.
func machineVariant(tb testing.TB, ownership string) *policy.Policy {
	tb.Helper()
	b, err := os.ReadFile("testdata/machine.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	src := string(b)
	replace := func(old, new string) {
		tb.Helper()
		if !strings.Contains(src, old) {
			tb.Fatalf("machine.yaml lacks %q", old)
		}
		src = strings.ReplaceAll(src, old, new)
	}
	if ownership != "every" {
		// Shared workspaces without an owner count against no licence.
		replace(", shared_workspaces: 1}", "}")
		replace(", shared_workspaces: 3}", "}")
	}
	switch ownership {
	case "every":
	case "personal":
		replace("sharing: convert\n", "sharing: convert\nownership: personal\ncreator_role: admin\n")
		replace("  transfer_ownership: transfer\n", "")
	case "none", "none-members":
		replace("sharing: convert\n", "sharing: convert\ncreator_role: admin\n")
		replace("  owner: {owner: true, admin: true, rank: 100, spends: true, assigns: [admin, member, viewer, guest]}\n", "")
		replace("  transfer_ownership: transfer\n", "")
		replace("[owner]", "[admin]")
		replace("[owner, ", "[")
		if ownership == "none-members" {
			replace("  remove: [admin]\n", "  remove: [admin, member]\n")
			replace("  change_roles: [admin]\n", "  change_roles: [admin, member]\n")
		}
	default:
		tb.Fatalf("unknown ownership %q", ownership)
	}
	p, err := policy.Load("machine-"+ownership+".yaml", []byte(src))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestConcurrentAdminsKeepTheInvariant races 32 goroutines that demote,
// promote, remove and make leave the admins of one workspace, under each
// ownership, on every backend. Afterwards the workspace keeps its
// invariant: with an owner, exactly one member holds the owner role and is
// the Owner; without one, no member holds it, at least one admin remains, and
// the billing contact is the first admin. Every refusal is a clean one.
func TestConcurrentAdminsKeepTheInvariant(t *testing.T) {
	for _, tc := range []struct {
		ownership string
		personal  bool // race in u0's personal workspace, shared by an invitation
		owned     bool
	}{
		{"every", false, true},
		{"personal", false, false},
		{"personal", true, true},
		{"none", false, false},
		{"none", true, false},
	} {
		name := tc.ownership + map[bool]string{false: "/created", true: "/personal"}[tc.personal]
		t.Run(name, func(t *testing.T) {
			p := machineVariant(t, tc.ownership)
			forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
				c := newClock()
				store := open(t)
				defer store.Close()
				s, err := charter.New(p, store, charter.Options{Now: c.Now})
				check(t, err)
				var id string
				if tc.personal {
					id = must[*workspaceT](t)(s.EnsurePersonal(ctx, "u0")).ID
				} else {
					id = must[*workspaceT](t)(s.CreateWorkspace(ctx, "u0", "Race", "team")).ID
				}
				if tc.personal {
					join(t, s, "u0", id, "a1", "admin") // shares it
					check(t, s.ChangePlan(ctx, "u0", id, "team"))
				} else {
					join(t, s, "u0", id, "a1", "admin")
				}
				join(t, s, "u0", id, "a2", "admin")
				join(t, s, "u0", id, "m1", "member")
				people := []string{"u0", "a1", "a2", "m1"}

				var wg sync.WaitGroup
				for g := range 32 {
					wg.Add(1)
					go func() {
						defer wg.Done()
						r := rand.New(rand.NewPCG(uint64(g), 7))
						for range 12 {
							actor, target := people[r.IntN(len(people))], people[r.IntN(len(people))]
							var err error
							switch r.IntN(4) {
							case 0, 1:
								err = s.ChangeRole(ctx, actor, id, target, []string{"admin", "member", "viewer"}[r.IntN(3)])
							case 2:
								err = s.Remove(ctx, actor, id, target)
							case 3:
								err = s.Leave(ctx, target, id)
							}
							if err != nil && !isClean(err) && !errors.Is(err, charter.ErrConflict) {
								t.Errorf("unexpected error: %v", err)
							}
						}
					}()
				}
				wg.Wait()

				var ws *workspaceT
				for _, u := range people {
					if w, err := s.Workspace(ctx, u, id); err == nil {
						ws = w
						break
					}
				}
				if ws == nil {
					t.Fatal("nobody is left in the workspace")
				}
				check(t, ws.Check())
				owners, admins := ownersAndAdmins(ws)
				if tc.owned {
					if owners != 1 || !ws.Owned() || ws.Owner != "u0" {
						t.Fatalf("%d owners, Owner %q (owned %v); want exactly one, u0", owners, ws.Owner, ws.Owned())
					}
					return
				}
				if owners != 0 || ws.Owned() || admins == 0 || ws.BillingContact != ws.FirstAdmin() {
					t.Fatalf("%d owners, %d admins, billing %q, first admin %q; want no owner, an admin, billing = first admin",
						owners, admins, ws.BillingContact, ws.FirstAdmin())
				}
				if !tc.personal && ws.Owner != "" {
					t.Fatalf("Owner %q of a shared workspace without an owner; want empty", ws.Owner)
				}
			})
		})
	}
}

// ownersAndAdmins counts the members of ws holding the owner role and those
// holding an admin role.
func ownersAndAdmins(ws *workspaceT) (owners, admins int) {
	for _, m := range ws.Members() {
		if m.Role.Owner {
			owners++
		}
		if m.Role.Admin {
			admins++
		}
	}
	return owners, admins
}

// TestOwnerlessRules runs the rules of a workspace without an owner through
// the Service on every backend: the typed error for the last admin, any
// admin leaving while another remains, the billing contact moving, and the
// empty Owner stored and read back.
func TestOwnerlessRules(t *testing.T) {
	p := machineVariant(t, "none")
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		store := open(t)
		defer store.Close()
		s, err := charter.New(p, store, charter.Options{Now: c.Now})
		check(t, err)
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "u0", "Team", "team")).ID
		if err := s.Leave(ctx, "u0", id); !errors.Is(err, workspace.ErrLastAdmin) || !errors.Is(err, charter.ErrInvalid) {
			t.Fatalf("the last admin leaving: %v, want ErrLastAdmin as ErrInvalid", err)
		}
		c.Add(time.Hour)
		join(t, s, "u0", id, "a1", "admin")
		join(t, s, "u0", id, "m1", "member")
		if err := s.ChangeRole(ctx, "a1", id, "u0", "member"); err != nil {
			t.Fatalf("demoting the creator while another admin remains: %v", err)
		}
		ws := must[*workspaceT](t)(s.Workspace(ctx, "a1", id))
		if ws.Owner != "" || ws.BillingContact != "a1" {
			t.Fatalf("Owner %q, billing %q; want none, a1", ws.Owner, ws.BillingContact)
		}
		for _, err := range []error{s.Leave(ctx, "a1", id), s.Remove(ctx, "u0", id, "a1"), s.ChangeRole(ctx, "u0", id, "a1", "member")} {
			if !errors.Is(err, workspace.ErrLastAdmin) && !errors.Is(err, charter.ErrForbidden) {
				t.Fatalf("taking the last admin away: %v, want ErrLastAdmin or ErrForbidden", err)
			}
		}
		if err := s.Leave(ctx, "a1", id); !errors.Is(err, workspace.ErrLastAdmin) {
			t.Fatalf("the last admin leaving: %v, want ErrLastAdmin", err)
		}
		check(t, s.ChangeRole(ctx, "a1", id, "m1", "admin"))
		check(t, s.Leave(ctx, "a1", id))
		ws = must[*workspaceT](t)(s.Workspace(ctx, "m1", id))
		if ws.BillingContact != "m1" || ws.Len() != 2 {
			t.Fatalf("billing %q, %d members; want m1, 2", ws.BillingContact, ws.Len())
		}
		ms, _, err := s.Workspaces(ctx, "m1", charter.Page{})
		check(t, err)
		for _, m := range ms {
			if m.Owner {
				t.Errorf("membership %+v says owner, in a policy without one", m)
			}
		}
	})
}

// TestOwnerlessSeatsPlansAndCredits follows the seeds' flows in workspaces
// without an owner, on every backend: seats charged and credited as admins
// come and go (seed 001 in a newly created workspace, the creating Admin's
// seat included), a downgrade
// blocked by members then allowed (seed 003), a personal Space converted by
// an invitation and its shared AI credits spent to zero, then upgraded
// (seed 000).
func TestOwnerlessSeatsPlansAndCredits(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		// Seed 001 outside the original workspace: the creator is an Admin,
		// "All added admins and editors are subject to an additional charge".
		vs := newService(t, "video-studio", open(t), c)
		studio := must[*workspaceT](t)(vs.CreateWorkspace(ctx, "olga", "New", "")).ID
		join(t, vs, "olga", studio, "ada", "admin")
		join(t, vs, "olga", studio, "ed", "editor")
		// The creator leaves: ada, the other Admin, remains and pays; the
		// creator's seat is credited like anyone's.
		c.Add(24 * time.Hour)
		check(t, vs.Leave(ctx, "olga", studio))
		var charged, credited []string
		for _, e := range must[[]charter.Event](t)(vs.Events(ctx, studio, 0, 100)) {
			switch e.Type {
			case charter.EventSeatCharged:
				charged = append(charged, e.Subject)
			case charter.EventSeatCredited:
				credited = append(credited, e.Subject)
			}
		}
		if !slices.Equal(charged, []string{"olga", "ada", "ed"}) || !slices.Equal(credited, []string{"olga"}) {
			t.Errorf("seats charged %v, credited %v; want olga, ada, ed charged and olga credited", charged, credited)
		}
		if ws := must[*workspaceT](t)(vs.Workspace(ctx, "ada", studio)); ws.BillingContact != "ada" || ws.Owned() {
			t.Errorf("billing %q, owned %v; want ada, no owner", ws.BillingContact, ws.Owned())
		}

		s := newService(t, "team-guests", open(t), c)
		id := must[*workspaceT](t)(s.CreateWorkspace(ctx, "olivia", "Team", "business")).ID
		join(t, s, "olivia", id, "bob", "admin")
		join(t, s, "olivia", id, "mia", "member")
		check(t, s.Leave(ctx, "olivia", id))
		// "The Member role is only available on the Business plan": the
		// downgrade waits until mia is no longer a member.
		var de *charter.DowngradeError
		if err := s.ChangePlan(ctx, "bob", id, "starter"); !errors.As(err, &de) {
			t.Fatalf("downgrade with a member: %v, want a DowngradeError", err)
		}
		check(t, s.ChangeRole(ctx, "bob", id, "mia", "admin"))
		check(t, s.ChangePlan(ctx, "bob", id, "starter"))
		// Now mia may go, bob remains; then bob is the last admin.
		check(t, s.Remove(ctx, "bob", id, "mia"))
		if err := s.Leave(ctx, "bob", id); !errors.Is(err, workspace.ErrLastAdmin) {
			t.Fatalf("the last admin leaving: %v, want ErrLastAdmin", err)
		}

		sp := newService(t, "spaces", open(t), c)
		personal := must[*workspaceT](t)(sp.EnsurePersonal(ctx, "ana")).ID
		join(t, sp, "ana", personal, "ben", "member")
		ws := must[*workspaceT](t)(sp.Workspace(ctx, "ana", personal))
		if ws.Kind != workspace.Shared || ws.Owner != "" || ws.BillingContact != "ana" {
			t.Fatalf("converted Space: kind %v, Owner %q, billing %q; want shared, none, ana", ws.Kind, ws.Owner, ws.BillingContact)
		}
		// ana gets a new private Space; the shared one is no longer hers.
		if again := must[*workspaceT](t)(sp.EnsurePersonal(ctx, "ana")); again.ID == personal || again.Owner != "ana" {
			t.Fatalf("personal Space after sharing: %s (Owner %q), want a new one of ana's", again.ID, again.Owner)
		}
		for i := range 10 {
			must[charter.Receipt](t)(sp.Spend(ctx, "ben", "use_ai_features", personal, fmt.Sprintf("k%d", i)))
		}
		if _, err := sp.Spend(ctx, "ana", "use_ai_features", personal, "k10"); !errors.Is(err, charter.ErrInsufficientCredits) {
			t.Fatalf("spending past the pool: %v, want ErrInsufficientCredits", err)
		}
		check(t, sp.ChangePlan(ctx, "ana", personal, "pro"))
		// "The Admin can upgrade the plan to increase the credits".
		if b := must[charter.Balance](t)(sp.Balance(ctx, "ben", personal, "ai_credits")); b.Available <= 0 {
			t.Errorf("after the upgrade: %d ai_credits, want more", b.Available)
		}
		must[charter.Receipt](t)(sp.Spend(ctx, "ben", "use_ai_features", personal, "k11"))
	})
}
