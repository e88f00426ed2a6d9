package backendtest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// faultEnv is what a faultOp's setup leaves for its run.
type faultEnv struct {
	c     *clock
	id    string // the workspace the operation acts in
	token string // an invitation's token
	invID string // an invitation's ID
}

// faultOp is one Service operation under fault injection. run reports
// whether the operation granted something (an allow); only checks do.
type faultOp struct {
	name   string
	policy string
	setup  func(tb testing.TB, s *charter.Service, e *faultEnv)
	run    func(s *charter.Service, e *faultEnv) (allowed bool, err error)
}

// faultUsers are every user the operations name: the dump finds every
// workspace through them.
var faultUsers = []string{"own", "adm", "edi", "new", "lnk", "zed", "ana", "mia", "gus"}

// faultKeys are every idempotency key the operations use.
var faultKeys = []string{"fund", "s0", "s1", "r1", "f1", "e1", "p1"}

func poolSetup(tb testing.TB, s *charter.Service, e *faultEnv) { e.id = spendPool(tb, s, 100) }

func teamSetup(plan string) func(tb testing.TB, s *charter.Service, e *faultEnv) {
	return func(tb testing.TB, s *charter.Service, e *faultEnv) {
		e.id = must[*workspaceT](tb)(s.CreateWorkspace(ctx, "ana", "Team", plan)).ID
		join(tb, s, "ana", e.id, "mia", "admin")
	}
}

// shopSetup makes a shared workspace of the coins policy (seed 002), which
// starts with 5 coins.
func shopSetup(tb testing.TB, s *charter.Service, e *faultEnv) {
	personal := must[*workspaceT](tb)(s.EnsurePersonal(ctx, "ana"))
	check(tb, s.ChangePlan(ctx, "ana", personal.ID, "business"))
	e.id = must[*workspaceT](tb)(s.CreateWorkspace(ctx, "ana", "Shop", "")).ID
}

func then(a, b func(testing.TB, *charter.Service, *faultEnv)) func(testing.TB, *charter.Service, *faultEnv) {
	return func(tb testing.TB, s *charter.Service, e *faultEnv) { a(tb, s, e); b(tb, s, e) }
}

func noAllow(err error) (bool, error) { return false, err }

func faultOps() []faultOp {
	return []faultOp{
		{"Can", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			return s.Can(ctx, "edi", "use_brands", e.id)
		}},
		{"CanProject", "team-guests", teamSetup("business"), func(s *charter.Service, e *faultEnv) (bool, error) {
			return s.CanProject(ctx, "mia", "view_project", e.id, "p1")
		}},
		{"DecideCosted", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			d, err := s.Decide(ctx, "edi", "create_visuals", e.id, "")
			return d.Allowed, err
		}},
		{"Spend", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Spend(ctx, "edi", "create_visuals", e.id, "s1")
			return noAllow(err)
		}},
		{"SpendWith", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.SpendWith(ctx, "edi", "create_visuals", e.id, "s1", charter.SpendOptions{Request: "POST /spend"})
			return noAllow(err)
		}},
		{"SpendReplay", "credit-pool", then(poolSetup, func(tb testing.TB, s *charter.Service, e *faultEnv) {
			must[charter.Receipt](tb)(s.Spend(ctx, "edi", "create_visuals", e.id, "s0"))
		}), func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Spend(ctx, "edi", "create_visuals", e.id, "s0")
			return noAllow(err)
		}},
		{"Fund", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Fund(ctx, "own", e.id, "credits", 10, time.Time{}, "f1")
			return noAllow(err)
		}},
		{"Refund", "credit-pool", then(poolSetup, func(tb testing.TB, s *charter.Service, e *faultEnv) {
			must[charter.Receipt](tb)(s.Spend(ctx, "edi", "create_visuals", e.id, "r1"))
		}), func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Refund(ctx, "own", e.id, "r1")
			return noAllow(err)
		}},
		{"Earn", "coins", shopSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Earn(ctx, "ana", e.id, "coins", 7, "e1")
			return noAllow(err)
		}},
		{"Pay", "coins", shopSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Pay(ctx, "ana", e.id, "coins", 1, "p1")
			return noAllow(err)
		}},
		{"SetAllowance", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.SetAllowance(ctx, "adm", e.id, "edi", "credits", 5))
		}},
		{"Balance", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Balance(ctx, "edi", e.id, "credits")
			return noAllow(err)
		}},
		{"Journal", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, _, err := s.Journal(ctx, "own", e.id, "credits", charter.Page{})
			return noAllow(err)
		}},
		{"SpendTable", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, _, err := s.SpendTable(ctx, "own", e.id, "credits", charter.Page{})
			return noAllow(err)
		}},
		{"Sweep", "credit-pool", then(poolSetup, func(_ testing.TB, _ *charter.Service, e *faultEnv) {
			e.c.Add(40 * 24 * time.Hour) // a period boundary is due
		}), func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.Sweep(ctx, e.id))
		}},
		{"Invite", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Invite(ctx, "adm", e.id, "new@example.com", "editor")
			return noAllow(err)
		}},
		{"InviteGuest", "team-guests", teamSetup("business"), func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.InviteGuest(ctx, "mia", e.id, "gus@example.com", "p1")
			return noAllow(err)
		}},
		{"CreateLink", "team-guests", teamSetup("business"), func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.CreateLink(ctx, "mia", e.id, 3, time.Hour)
			return noAllow(err)
		}},
		{"Accept", "credit-pool", then(poolSetup, func(tb testing.TB, s *charter.Service, e *faultEnv) {
			e.token = must[charter.Invitation](tb)(s.Invite(ctx, "adm", e.id, "new@example.com", "editor")).Token
		}), func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Accept(ctx, "new", "new@example.com", e.token)
			return noAllow(err)
		}},
		{"AcceptLink", "team-guests", then(teamSetup("business"), func(tb testing.TB, s *charter.Service, e *faultEnv) {
			e.token = must[charter.Invitation](tb)(s.CreateLink(ctx, "mia", e.id, 3, time.Hour)).Token
		}), func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Accept(ctx, "lnk", "", e.token)
			return noAllow(err)
		}},
		{"Revoke", "credit-pool", then(poolSetup, func(tb testing.TB, s *charter.Service, e *faultEnv) {
			e.invID = must[charter.Invitation](tb)(s.Invite(ctx, "adm", e.id, "new@example.com", "editor")).ID
		}), func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.Revoke(ctx, "adm", e.id, e.invID))
		}},
		{"Invitations", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, _, err := s.Invitations(ctx, "adm", e.id, charter.Page{})
			return noAllow(err)
		}},
		{"ChangeRole", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.ChangeRole(ctx, "adm", e.id, "edi", "reviewer"))
		}},
		{"Remove", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.Remove(ctx, "adm", e.id, "edi"))
		}},
		{"Leave", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.Leave(ctx, "edi", e.id))
		}},
		{"TransferOwnership", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.TransferOwnership(ctx, "own", e.id, "adm"))
		}},
		{"GrantProject", "team-guests", then(teamSetup("business"), func(tb testing.TB, s *charter.Service, e *faultEnv) {
			inv := must[charter.Invitation](tb)(s.InviteGuest(ctx, "mia", e.id, "gus@example.com", "p1"))
			must[*workspaceT](tb)(s.Accept(ctx, "gus", "gus@example.com", inv.Token))
		}), func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.GrantProject(ctx, "mia", e.id, "gus", "p2"))
		}},
		{"ChangePlan", "team-guests", teamSetup("starter"), func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.ChangePlan(ctx, "ana", e.id, "business"))
		}},
		{"SetGuestsDisabled", "team-guests", teamSetup("business"), func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.SetGuestsDisabled(ctx, "mia", e.id, true))
		}},
		{"Rename", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.Rename(ctx, "adm", e.id, "Renamed"))
		}},
		{"SetLogo", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.SetLogo(ctx, "adm", e.id, "https://example.com/logo.png"))
		}},
		{"SetPreferences", "credit-pool", then(poolSetup, func(tb testing.TB, s *charter.Service, e *faultEnv) {
			check(tb, s.SetPreferences(ctx, "adm", e.id, map[string]string{"theme": "dark", "lang": "fr"}, nil))
		}), func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.SetPreferences(ctx, "adm", e.id, map[string]string{"theme": "light"}, []string{"lang"}))
		}},
		{"CreateWorkspace", "credit-pool", poolSetup, func(s *charter.Service, _ *faultEnv) (bool, error) {
			_, err := s.CreateWorkspace(ctx, "zed", "Zed's", "")
			return noAllow(err)
		}},
		{"EnsurePersonal", "credit-pool", poolSetup, func(s *charter.Service, _ *faultEnv) (bool, error) {
			_, err := s.EnsurePersonal(ctx, "zed")
			return noAllow(err)
		}},
		{"Workspace", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.Workspace(ctx, "edi", e.id)
			return noAllow(err)
		}},
		{"Workspaces", "credit-pool", poolSetup, func(s *charter.Service, _ *faultEnv) (bool, error) {
			_, _, err := s.Workspaces(ctx, "edi", charter.Page{})
			return noAllow(err)
		}},
		{"Events", "credit-pool", poolSetup, func(s *charter.Service, _ *faultEnv) (bool, error) {
			_, err := s.Events(ctx, "", 0, 100)
			return noAllow(err)
		}},
		{"Permissions", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			set, err := s.Permissions(ctx, "edi", e.id)
			return set.Allowed("create_visuals") && err == nil, err
		}},
		{"ProjectPermissions", "team-guests", teamSetup("business"), func(s *charter.Service, e *faultEnv) (bool, error) {
			set, err := s.ProjectPermissions(ctx, "mia", e.id, "roadmap")
			return set.Len() > 0 && err == nil, err
		}},
		{"WorkspacesAllowing", "credit-pool", poolSetup, func(s *charter.Service, _ *faultEnv) (bool, error) {
			page, _, err := s.WorkspacesAllowing(ctx, "edi", "create_visuals", charter.Page{Limit: 10})
			return len(page) > 0, err
		}},
		{"Members", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, _, err := s.Members(ctx, "own", e.id, charter.Page{})
			return noAllow(err)
		}},
		{"Import", "credit-pool", poolSetup, func(s *charter.Service, _ *faultEnv) (bool, error) {
			_, err := s.Import(ctx, strings.NewReader(`{"id": "imp", "owner": "zed", "members": [{"user": "gus", "role": "admin"}]}`+"\n"), charter.ImportOptions{})
			return noAllow(err)
		}},
		{"PruneEvents", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.PruneEvents(ctx, e.id, 1<<40)
			return noAllow(err)
		}},
		{"PruneInvitations", "credit-pool", then(poolSetup, func(tb testing.TB, s *charter.Service, e *faultEnv) {
			inv := must[charter.Invitation](tb)(s.Invite(ctx, "own", e.id, "x@example.com", "editor"))
			check(tb, s.Revoke(ctx, "own", e.id, inv.ID))
			e.c.Add(time.Hour)
		}), func(s *charter.Service, e *faultEnv) (bool, error) {
			_, err := s.PruneInvitations(ctx, "", e.c.Now())
			return noAllow(err)
		}},
		{"DeleteWorkspace", "credit-pool", poolSetup, func(s *charter.Service, e *faultEnv) (bool, error) {
			return noAllow(s.DeleteWorkspace(ctx, "own", e.id))
		}},
	}
}

// TestFaultAtEveryCall injects a storage fault at the 1st, 2nd, ... call an
// operation makes to the store (every Store and Tx method, and the commit
// point after an Update's function succeeded), until the operation runs
// through: every faulted run returns an error that wraps the fault, never an
// allow, and leaves the store exactly as it was (a dump of every record the
// operation could touch, before and after).
func TestFaultAtEveryCall(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		for _, op := range faultOps() {
			t.Run(op.name, func(t *testing.T) {
				t.Parallel() // each on its own store: the SQL ones wait on I/O
				inner := open(t)
				f := &faultStore{inner: inner}
				e := &faultEnv{c: newClock()}
				s := newService(t, op.policy, f, e.c)
				op.setup(t, s, e)
				// Every faulted run must leave the store as it was.
				before := dumpStore(t, inner, e.id)
				for n := 1; ; n++ {
					if n > 500 {
						t.Fatalf("still faulting after %d calls", n)
					}
					f.Arm(n)
					allowed, err := op.run(s, e)
					fired := f.Fired()
					f.Arm(0)
					if !fired {
						if err != nil {
							t.Fatalf("without a fault (%d calls): %v", n-1, err)
						}
						t.Logf("%d store calls, each faulted once", n-1)
						return
					}
					if allowed {
						t.Errorf("fault at call %d: allowed", n)
					}
					if !errors.Is(err, errFault) {
						t.Errorf("fault at call %d: err = %v, want the fault", n, err)
					}
					if d := cmp.Diff(before, dumpStore(t, inner, e.id)); d != "" {
						t.Fatalf("fault at call %d changed the store (-before +after):\n%s", n, d)
					}
				}
			})
		}
	})
}

// storeDump is every record reachable from faultUsers and the given
// workspace.
type storeDump struct {
	Personal    map[string]storage.Workspace
	Workspaces  map[string]storage.Workspace
	Members     map[string][]storage.Member
	Invitations map[string][]storage.Invitation
	Pools       map[string][]storage.Pool
	Grants      map[string][]credits.Grant
	Allowances  map[string][]credits.Allowance
	Entries     map[string][]storage.Entry
	Keys        map[string]storage.Idempotency
	Events      []storage.Event
}

func dumpStore(tb testing.TB, st storage.Store, ids ...string) storeDump {
	tb.Helper()
	d := storeDump{
		Personal: map[string]storage.Workspace{}, Workspaces: map[string]storage.Workspace{},
		Members: map[string][]storage.Member{}, Invitations: map[string][]storage.Invitation{},
		Pools: map[string][]storage.Pool{}, Grants: map[string][]credits.Grant{},
		Allowances: map[string][]credits.Allowance{}, Entries: map[string][]storage.Entry{},
		Keys: map[string]storage.Idempotency{},
	}
	err := st.View(ctx, func(tx storage.Tx) error {
		seen := map[string]bool{}
		for _, id := range ids {
			seen[id] = true
		}
		for _, u := range faultUsers {
			p, err := tx.PersonalWorkspace(ctx, u)
			switch {
			case err == nil:
				d.Personal[u] = p
				seen[p.ID] = true
			case !errors.Is(err, storage.ErrNotFound):
				return err
			}
			ws, err := tx.WorkspacesOf(ctx, u)
			if err != nil {
				return err
			}
			for _, w := range ws {
				seen[w.ID] = true
			}
		}
		for id := range seen {
			if id == "" {
				continue
			}
			w, err := tx.Workspace(ctx, id)
			if errors.Is(err, storage.ErrNotFound) {
				continue
			} else if err != nil {
				return err
			}
			d.Workspaces[id] = w
			if d.Members[id], err = tx.Members(ctx, id); err != nil {
				return err
			}
			if d.Invitations[id], err = tx.Invitations(ctx, id, nil, 1<<20); err != nil {
				return err
			}
			pools, err := tx.Pools(ctx, id)
			if err != nil {
				return err
			}
			d.Pools[id] = pools
			for _, p := range pools {
				k := id + "/" + p.Currency
				if d.Grants[k], err = tx.Grants(ctx, id, p.Currency); err != nil {
					return err
				}
				if d.Allowances[k], err = tx.Allowances(ctx, id, p.Currency); err != nil {
					return err
				}
				if d.Entries[k], err = tx.Entries(ctx, id, p.Currency, 0, 1<<20); err != nil {
					return err
				}
			}
			for _, key := range faultKeys {
				r, err := tx.Idempotency(ctx, id, key)
				switch {
				case err == nil:
					d.Keys[id+"/"+key] = r
				case !errors.Is(err, storage.ErrNotFound):
					return err
				}
			}
		}
		var err error
		d.Events, err = tx.Events(ctx, "", 0, 1<<20)
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return d
}
