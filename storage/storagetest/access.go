package storagetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/charterhq/charter/storage"
)

// access is what Store.Access returned, or must return.
type access struct {
	W     storage.Workspace
	M     storage.Member
	OK    bool // a member
	Found bool // the workspace exists
}

// accessDiff calls Access(id, user) and reads the same in a View
// transaction, and returns how they differ ("" when they agree).
func accessDiff(s storage.Store, id, user string) (string, error) {
	ctx := context.Background()
	var got, want access
	w, m, ok, err := s.Access(ctx, id, user)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		got.OK = ok
	case err != nil:
		return "", fmt.Errorf("access of %s to %s: %w", user, id, err)
	default:
		got = access{W: w, M: m, OK: ok, Found: true}
	}
	err = s.View(ctx, func(tx storage.Tx) error {
		w, err := tx.Workspace(ctx, id)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		want.W, want.Found = w, true
		m, err := tx.Member(ctx, id, user)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		want.M, want.OK = m, err == nil
		return err
	})
	if err != nil {
		return "", fmt.Errorf("the View to compare with: %w", err)
	}
	return cmpDiff(want, got), nil
}

// checkAccess fails the test unless Access(id, user) returns what a
// transaction reads now.
func checkAccess(t *testing.T, s storage.Store, step, id, user string) {
	t.Helper()
	d, err := accessDiff(s, id, user)
	noErr(t, step, err)
	if d != "" {
		t.Errorf("%s: Access(%s, %s) mismatch (-want +got):\n%s", step, id, user, d)
	}
}

// testAccessFollowsWrites checks that Access, called again and again as a
// permission check is, sees every write at once: a role change, a header
// change, a removal, a workspace deleted and made again with its ID, and
// never a rolled-back write. A backend that caches what Access reads must
// pass it through the storage API alone, without the Service's help (which
// bumps the header's version on every membership change).
func testAccessFollowsWrites(t *testing.T, s storage.Store) {
	ctx := context.Background()
	seed(t, s)
	check := func(step string) {
		t.Helper()
		for _, user := range []string{"ann", "bob", "zed"} {
			for range 2 { // a second call may be answered from a cache
				checkAccess(t, s, step, "a", user)
			}
		}
	}
	check("seeded")

	update(t, s, func(tx storage.Tx) error { return tx.PutMember(ctx, member("a", "bob", "admin")) })
	check("bob made admin, header untouched")
	if _, m, _, err := s.Access(ctx, "a", "bob"); err != nil || m.Role != "admin" {
		t.Fatalf("Access after a role change: role %q, %v; want admin", m.Role, err)
	}

	update(t, s, func(tx storage.Tx) error {
		w, err := tx.Workspace(ctx, "a")
		noErr(t, "Workspace(a)", err)
		w.Plan, w.Settings.GuestsDisabled, w.Version = "business", true, w.Version+1
		return tx.UpdateWorkspace(ctx, w)
	})
	check("plan changed")

	update(t, s, func(tx storage.Tx) error {
		w, err := tx.Workspace(ctx, "a")
		noErr(t, "Workspace(a)", err)
		w.Logo, w.Preferences, w.Version = "https://example.com/a.png", map[string]string{"theme": "dark"}, w.Version+1
		return tx.UpdateWorkspace(ctx, w)
	})
	check("logo and preferences set")
	update(t, s, func(tx storage.Tx) error {
		w, err := tx.Workspace(ctx, "a")
		noErr(t, "Workspace(a)", err)
		w.Preferences, w.Version = map[string]string{"theme": "light", "lang": "fr"}, w.Version+1
		return tx.UpdateWorkspace(ctx, w)
	})
	check("preferences changed")

	update(t, s, func(tx storage.Tx) error { return tx.DeleteMember(ctx, "a", "bob") })
	check("bob removed")
	if _, _, ok, err := s.Access(ctx, "a", "bob"); err != nil || ok {
		t.Fatalf("Access after removal: member %t, %v; want not a member", ok, err)
	}

	update(t, s, func(tx storage.Tx) error { return tx.PutMember(ctx, member("a", "zed", "guest", "x")) })
	check("zed joined as a guest")
	_, m, _, err := s.Access(ctx, "a", "zed")
	noErr(t, "Access(a, zed)", err)
	m.Projects[0] = "changed by the caller"
	check("the caller changed a returned project list")

	err = s.Update(ctx, func(tx storage.Tx) error {
		noErr(t, "PutMember", tx.PutMember(ctx, member("a", "zed", "owner")))
		noErr(t, "DeleteMember", tx.DeleteMember(ctx, "a", "ann"))
		return errBoom
	})
	wantErr(t, "rolled-back Update", err, errBoom)
	check("a rolled-back change")

	update(t, s, func(tx storage.Tx) error { return tx.DeleteWorkspace(ctx, "a") })
	check("a deleted")
	update(t, s, func(tx storage.Tx) error {
		w := workspace("a", "shared", "bob")
		w.Name = "Made again"
		noErr(t, "CreateWorkspace(a)", tx.CreateWorkspace(ctx, w))
		return tx.PutMember(ctx, member("a", "bob", "owner"))
	})
	check("a made again with its old ID")
	if w, _, ok, err := s.Access(ctx, "a", "ann"); err != nil || ok || w.Name != "Made again" {
		t.Fatalf("Access(a, ann) after a was made again = %+v, member %t, %v; want the new header and no member", w, ok, err)
	}
}

// testAccessProperty runs random writes to workspaces and members, each in
// its own Update (some rolled back), and after each one checks that Access
// returns what a transaction reads, for every workspace and user, twice.
func testAccessProperty(t *testing.T, s storage.Store) {
	ctx := context.Background()
	ids := []string{"a", "b"}
	users := []string{"ann", "bob", "cat"}
	roles := []string{"owner", "admin", "member", "guest"}
	// Each run starts from whatever the last one left: the property holds
	// from any state.
	rapid.Check(t, func(rt *rapid.T) {
		for step := range rapid.IntRange(1, 12).Draw(rt, "steps") {
			id := rapid.SampledFrom(ids).Draw(rt, "workspace")
			user := rapid.SampledFrom(users).Draw(rt, "user")
			op := rapid.IntRange(0, 4).Draw(rt, "op")
			rollback := rapid.IntRange(0, 5).Draw(rt, "rollback") == 0
			var projects []string
			role := rapid.SampledFrom(roles).Draw(rt, "role")
			if role == "guest" {
				projects = rapid.SliceOfN(rapid.SampledFrom([]string{"x", "y"}), 1, 2).Draw(rt, "projects")
			}
			err := s.Update(ctx, func(tx storage.Tx) error {
				w, err := tx.Workspace(ctx, id)
				exists := err == nil
				if err != nil && !errors.Is(err, storage.ErrNotFound) {
					return err
				}
				switch {
				case !exists:
					err = tx.CreateWorkspace(ctx, workspace(id, "shared", user))
				case op == 0:
					err = tx.DeleteWorkspace(ctx, id)
				case op == 1:
					w.Plan, w.Version = fmt.Sprint("plan", step), w.Version+1
					err = tx.UpdateWorkspace(ctx, w)
				case op == 2:
					err = tx.DeleteMember(ctx, id, user)
					if errors.Is(err, storage.ErrNotFound) {
						err = nil
					}
				default:
					err = tx.PutMember(ctx, member(id, user, role, projects...))
				}
				if err == nil && rollback {
					err = errBoom
				}
				return err
			})
			if err != nil && !errors.Is(err, errBoom) {
				rt.Fatalf("step %d: Update: %v", step, err)
			}
			for _, id := range ids {
				for _, user := range users {
					for range 2 {
						d, err := accessDiff(s, id, user)
						if err != nil {
							rt.Fatalf("step %d: %v", step, err)
						}
						if d != "" {
							rt.Fatalf("step %d: Access(%s, %s) mismatch (-want +got):\n%s", step, id, user, d)
						}
					}
				}
			}
		}
	})
}

// SQLStep is a change RunAccessSQL makes by hand in SQL.
type SQLStep struct {
	What  string // what it does, for messages
	Query string // one or more statements
}

// RunAccessSQL checks that s.Access sees at once changes made to its
// database by hand in SQL, past the storage API, as an operator might make
// them: role, plan and workspace changes, a removal, a workspace deleted and
// put back from a copy without its members, and a workspace's old access
// stamp written back by hand after a demotion. exec runs a query on the
// database s uses; s must be empty. Then, for each of extra (a backend's
// own kinds of change), bob is made an admin of workspace a through the
// storage API and the step must take that away. For backends that keep what
// Access reads (both SQL backends do).
func RunAccessSQL(t *testing.T, s storage.Store, exec func(ctx context.Context, query string) error, extra ...SQLStep) {
	ctx := context.Background()
	seed(t, s)
	pairs := func(step string) {
		t.Helper()
		for _, id := range []string{"a", "p"} {
			for _, user := range []string{"ann", "bob"} {
				checkAccess(t, s, step, id, user)
			}
		}
	}
	for _, step := range []SQLStep{
		{"bob made a viewer", `UPDATE members SET role = 'viewer', projects = NULL WHERE workspace = 'a' AND user_id = 'bob'`},
		{"the stamps noted", `CREATE TABLE stamps_copy AS SELECT id, stamp FROM workspaces`},
		// The stamp a's entries were kept at comes back: Access must not
		// take it for the state it named.
		{"bob demoted to commenter, and a's old stamp written back", `UPDATE members SET role = 'commenter' WHERE workspace = 'a' AND user_id = 'bob';
			UPDATE workspaces SET stamp = (SELECT stamp FROM stamps_copy WHERE id = 'a') WHERE id = 'a'`},
		{"every stamp written back", `UPDATE workspaces SET stamp = (SELECT stamp FROM stamps_copy c WHERE c.id = workspaces.id)`},
		{"a moved to another plan", `UPDATE workspaces SET plan = 'enterprise' WHERE id = 'a'`},
		{"a given a logo", `UPDATE workspaces SET logo = 'https://example.com/a.png' WHERE id = 'a'`},
		{"a given preferences", `UPDATE workspaces SET preferences = '{"theme":"dark"}' WHERE id = 'a'`},
		{"bob moved from a to p", `UPDATE members SET workspace = 'p' WHERE workspace = 'a' AND user_id = 'bob'`},
		{"bob removed from p", `DELETE FROM members WHERE workspace = 'p' AND user_id = 'bob'`},
		{"a copied", `CREATE TABLE workspaces_copy AS SELECT * FROM workspaces`},
		// In one script, so no Access comes between to see a gone.
		{"a deleted and put back from the copy, without its members", `DELETE FROM workspaces WHERE id = 'a';
			INSERT INTO workspaces SELECT * FROM workspaces_copy WHERE id = 'a'`},
		{"p deleted", `DELETE FROM workspaces WHERE id = 'p'`},
	} {
		pairs("before " + step.What) // now in any cache
		noErr(t, step.Query, exec(ctx, step.Query))
		pairs(step.What)
	}
	if _, m, ok, err := s.Access(ctx, "a", "ann"); err != nil || ok {
		t.Errorf("Access(a, ann) after a was put back without members = %+v, %t, %v; want not a member", m, ok, err)
	}
	for _, step := range extra {
		update(t, s, func(tx storage.Tx) error { return tx.PutMember(ctx, member("a", "bob", "admin")) })
		pairs("bob made an admin, before " + step.What)
		noErr(t, step.Query, exec(ctx, step.Query))
		pairs(step.What)
		if _, _, ok, err := s.Access(ctx, "a", "bob"); err != nil || ok {
			t.Errorf("Access(a, bob) after %s = member %t, %v; want not a member", step.What, ok, err)
		}
	}
}

// RunAccessRace checks Access under concurrent writes: readers call
// r.Access again and again while w, a store on the same database (or r
// itself), commits role changes one after another; no call may see a role
// older than the last one committed before it began.
func RunAccessRace(t *testing.T, r, w storage.Store) {
	ctx := context.Background()
	update(t, w, func(tx storage.Tx) error {
		noErr(t, "CreateWorkspace", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		return tx.PutMember(ctx, member("a", "bob", "r0"))
	})
	const readers, writes = 8, 200
	var (
		committed atomic.Int64
		done      atomic.Bool
		stale     atomic.Int64
		wg        sync.WaitGroup
	)
	for range readers {
		wg.Go(func() {
			for !done.Load() {
				before := committed.Load()
				_, m, ok, err := r.Access(ctx, "a", "bob")
				if err != nil {
					t.Errorf("Access: %v", err)
					return
				}
				var n int64 = -1
				if ok {
					fmt.Sscanf(m.Role, "r%d", &n)
				}
				if n < before && stale.Add(1) <= 3 {
					t.Errorf("Access returned role %q (member %t) after r%d was committed", m.Role, ok, before)
				}
			}
		})
	}
	for i := 1; i <= writes; i++ {
		update(t, w, func(tx storage.Tx) error { return tx.PutMember(ctx, member("a", "bob", fmt.Sprint("r", i))) })
		committed.Store(int64(i))
	}
	done.Store(true)
	wg.Wait()
}

// OldSchema is how a backend's test writes rows into a database migrated
// only part of the way, whose schema the store's own statements (written for
// the latest version) no longer match: Exec runs a statement, and Time and
// False write a time and false as SQL literals of the backend.
type OldSchema struct {
	Exec  func(ctx context.Context, query string) error
	Time  func(time.Time) string
	False string
}

// insertOld writes workspaces a, b and c of ann (owner), each with bob
// (member), in the columns of schema version 1, which every later version
// keeps: the rows workspace and member make.
func (o OldSchema) insertOld(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	for _, id := range []string{"a", "b", "c"} {
		w := workspace(id, "shared", "ann")
		noErr(t, "insert workspace "+id, o.Exec(ctx, fmt.Sprintf(`INSERT INTO workspaces
			(id, name, kind, plan, owner, billing_contact, guests_disabled, created, anchor, version)
			VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %d)`,
			q(w.ID), q(w.Name), q(w.Kind.String()), q(w.Plan), q(w.Owner), q(w.BillingContact), o.False,
			o.Time(w.Created), o.Time(w.Anchor), w.Version)))
		for _, m := range []storage.Member{member(id, "ann", "owner"), member(id, "bob", "member")} {
			noErr(t, "insert member", o.Exec(ctx, fmt.Sprintf(`INSERT INTO members
				(workspace, user_id, role, projects, joined, seat_since) VALUES (%s, %s, %s, NULL, %s, %s)`,
				q(m.Workspace), q(m.User), q(m.Role), o.Time(m.Joined), o.Time(m.SeatSince))))
		}
	}
}

// RunMigrated checks a backend's upgrade from an older schema. s is a store
// whose database was migrated only part of the way (its Access and writes
// may fail); RunMigrated writes workspaces and members there with old, calls
// migrate, and then checks that every row reads back as it was written
// (with no logo and no preferences), that stamps reports as many distinct
// stamps as workspaces, and that Access follows later writes, of the
// columns the upgrade added too.
func RunMigrated(t *testing.T, s storage.Store, old OldSchema, migrate func() error, stamps func(ctx context.Context) (rows, distinct int, err error)) {
	ctx := context.Background()
	old.insertOld(t)
	noErr(t, "Migrate", migrate())
	view(t, s, func(tx storage.Tx) error {
		for _, id := range []string{"a", "b", "c"} {
			w, err := tx.Workspace(ctx, id)
			noErr(t, "Workspace", err)
			diff(t, "workspace "+id+" after the upgrade", w, workspace(id, "shared", "ann"))
			ms, err := tx.Members(ctx, id)
			noErr(t, "Members", err)
			diff(t, "members of "+id+" after the upgrade", ms, []storage.Member{member(id, "ann", "owner"), member(id, "bob", "member")})
		}
		return nil
	})
	n, distinct, err := stamps(ctx)
	noErr(t, "count stamps", err)
	if n != 3 || distinct != 3 {
		t.Errorf("after the upgrade, %d workspaces have %d distinct stamps; want 3 and 3", n, distinct)
	}
	for _, id := range []string{"a", "b", "c"} {
		checkAccess(t, s, "upgraded", id, "bob")
		checkAccess(t, s, "upgraded, again", id, "bob")
	}
	update(t, s, func(tx storage.Tx) error { return tx.PutMember(ctx, member("b", "bob", "admin")) })
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "CreateWorkspace", tx.CreateWorkspace(ctx, workspace("d", "shared", "bob")))
		return tx.PutMember(ctx, member("d", "bob", "owner"))
	})
	want := workspace("c", "shared", "ann")
	want.Logo, want.Preferences, want.Version = "https://example.com/c.png", map[string]string{"theme": "dark"}, 2
	update(t, s, func(tx storage.Tx) error { return tx.UpdateWorkspace(ctx, want) })
	for _, id := range []string{"a", "b", "c", "d"} {
		checkAccess(t, s, "written after the upgrade", id, "bob")
	}
	view(t, s, func(tx storage.Tx) error {
		w, err := tx.Workspace(ctx, "c")
		noErr(t, "Workspace", err)
		diff(t, "workspace c given a logo and preferences after the upgrade", w, want)
		return nil
	})
	n, distinct, err = stamps(ctx)
	noErr(t, "count stamps", err)
	if n != 4 || distinct != 4 {
		t.Errorf("a workspace made after the upgrade shares a stamp: %d workspaces, %d distinct stamps", n, distinct)
	}
}
