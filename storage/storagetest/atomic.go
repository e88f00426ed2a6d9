package storagetest

import (
	"context"
	"errors"
	"github.com/charterhq/charter/credits"
	workspace_ "github.com/charterhq/charter/workspace"
	"testing"
	"time"

	"github.com/charterhq/charter/storage"
)

// write is one kind of write, applied to the seeded state.
type write struct {
	name string
	fn   func(ctx context.Context, tx storage.Tx) error
}

// writes returns one of every kind of write a Tx offers, each valid against
// the state seed creates.
func writes() []write {
	return []write{
		{"CreateWorkspace", func(ctx context.Context, tx storage.Tx) error {
			return tx.CreateWorkspace(ctx, workspace("new", "personal", "bob"))
		}},
		{"UpdateWorkspace", func(ctx context.Context, tx storage.Tx) error {
			w, err := tx.Workspace(ctx, "a")
			if err != nil {
				return err
			}
			w.Name, w.Owner = "changed", "bob"
			w.Version++
			return tx.UpdateWorkspace(ctx, w)
		}},
		{"UpdateWorkspaceKind", func(ctx context.Context, tx storage.Tx) error {
			w, err := tx.Workspace(ctx, "p")
			if err != nil {
				return err
			}
			w.Kind = workspace_.Shared
			w.Version++
			return tx.UpdateWorkspace(ctx, w)
		}},
		{"DeleteWorkspace", func(ctx context.Context, tx storage.Tx) error {
			return tx.DeleteWorkspace(ctx, "a")
		}},
		{"DeletePersonalWorkspace", func(ctx context.Context, tx storage.Tx) error {
			return tx.DeleteWorkspace(ctx, "p")
		}},
		{"PutMemberNew", func(ctx context.Context, tx storage.Tx) error {
			return tx.PutMember(ctx, member("a", "cat", "member"))
		}},
		{"PutMemberReplace", func(ctx context.Context, tx storage.Tx) error {
			return tx.PutMember(ctx, member("a", "bob", "admin"))
		}},
		{"DeleteMember", func(ctx context.Context, tx storage.Tx) error {
			return tx.DeleteMember(ctx, "a", "bob")
		}},
		{"CreateInvitation", func(ctx context.Context, tx storage.Tx) error {
			return tx.CreateInvitation(ctx, invitation("a", "i2", "tok2", at(3)))
		}},
		{"UpdateInvitation", func(ctx context.Context, tx storage.Tx) error {
			inv, err := tx.Invitation(ctx, "a", "i1")
			if err != nil {
				return err
			}
			inv.Uses, inv.Revoked = 1, true
			return tx.UpdateInvitation(ctx, inv)
		}},
		{"AppendEvent", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.AppendEvent(ctx, event("a", "more"))
			return err
		}},
		{"CreatePool", func(ctx context.Context, tx storage.Tx) error {
			return tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "tokens"})
		}},
		{"UpdatePool", func(ctx context.Context, tx storage.Tx) error {
			p, err := tx.Pool(ctx, "a", "credits")
			if err != nil {
				return err
			}
			p.Period++
			p.Version++
			return tx.UpdatePool(ctx, p)
		}},
		{"PutGrantNew", func(ctx context.Context, tx storage.Tx) error {
			return tx.PutGrant(ctx, "a", "credits", grant("g2", 5, 5))
		}},
		{"PutGrantReplace", func(ctx context.Context, tx storage.Tx) error {
			return tx.PutGrant(ctx, "a", "credits", grant("g1", 100, 10))
		}},
		{"DeleteGrant", func(ctx context.Context, tx storage.Tx) error {
			return tx.DeleteGrant(ctx, "a", "credits", "g1")
		}},
		{"PutAllowanceNew", func(ctx context.Context, tx storage.Tx) error {
			return tx.PutAllowance(ctx, "a", "credits", credits.Allowance{Member: "ann", Amount: 1})
		}},
		{"PutAllowanceReplace", func(ctx context.Context, tx storage.Tx) error {
			return tx.PutAllowance(ctx, "a", "credits", credits.Allowance{Member: "bob", Amount: 50, Period: 1, Spent: 49})
		}},
		{"DeleteAllowance", func(ctx context.Context, tx storage.Tx) error {
			return tx.DeleteAllowance(ctx, "a", "credits", "bob")
		}},
		{"AppendEntries", func(ctx context.Context, tx storage.Tx) error {
			return tx.AppendEntries(ctx, "a", []credits.Entry{entry("credits", "spend", -1), entry("tokens", "grant", 5)})
		}},
		{"PutIdempotency", func(ctx context.Context, tx storage.Tx) error {
			return tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "a", Key: "k2", Created: at(1)})
		}},
		{"CreateWorkspaces", func(ctx context.Context, tx storage.Tx) error {
			return tx.CreateWorkspaces(ctx, []storage.Workspace{workspace("b1", "shared", "cat"), workspace("b2", "personal", "dan")})
		}},
		{"InsertMembers", func(ctx context.Context, tx storage.Tx) error {
			return tx.InsertMembers(ctx, []storage.Member{member("a", "dan", "member"), member("a", "eve", "guest", "x")})
		}},
		{"DeleteEvents", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.DeleteEvents(ctx, "a", 1)
			return err
		}},
		{"DeleteInvitations", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.DeleteInvitations(ctx, "", at(24*30))
			return err
		}},
		{"AppendEvents", func(ctx context.Context, tx storage.Tx) error {
			_, err := tx.AppendEvents(ctx, []storage.Event{event("a", "bulk1"), event("p", "bulk2")})
			return err
		}},
	}
}

// all applies every write in one transaction (those that conflict with
// earlier ones are left out).
func all(ctx context.Context, tx storage.Tx) error {
	for _, w := range writes() {
		switch w.name {
		case "DeleteWorkspace", "DeletePersonalWorkspace":
			continue
		}
		if err := w.fn(ctx, tx); err != nil {
			return errors.Join(errors.New(w.name), err)
		}
	}
	return tx.DeleteWorkspace(ctx, "p")
}

func testRollbackEveryWrite(t *testing.T, s storage.Store) {
	seed(t, s)
	before := snap(t, s)
	for _, w := range append(writes(), write{"All", all}) {
		t.Run(w.name, func(t *testing.T) {
			ctx := context.Background()
			err := s.Update(ctx, func(tx storage.Tx) error {
				if err := w.fn(ctx, tx); err != nil {
					t.Fatalf("%s: %v", w.name, err)
				}
				return errBoom
			})
			wantErr(t, "Update", err, errBoom)
			diff(t, "state after a failed "+w.name, snap(t, s), before)
		})
	}
	// The same writes commit when fn succeeds: the test above tested
	// something.
	update(t, s, func(tx storage.Tx) error { return all(context.Background(), tx) })
	if d := snap(t, s); len(d.Events) == len(before.Events) || d.Workspaces["new"].ID != "new" {
		t.Errorf("committed writes are not visible")
	}
}

func testRollbackPanic(t *testing.T, s storage.Store) {
	seed(t, s)
	before := snap(t, s)
	func() {
		defer func() {
			if r := recover(); r != errBoom {
				t.Errorf("recover() = %v, want the panic value %v", r, errBoom)
			}
		}()
		_ = s.Update(context.Background(), func(tx storage.Tx) error {
			if err := all(context.Background(), tx); err != nil {
				t.Errorf("writes: %v", err)
			}
			panic(errBoom)
		})
	}()
	diff(t, "state after a panicking Update", snap(t, s), before)
	// The store is still usable.
	update(t, s, func(tx storage.Tx) error { return all(context.Background(), tx) })
}

// testRollbackEventSeq checks that a rolled-back AppendEvent does not use
// up a sequence number.
func testRollbackEventSeq(t *testing.T, s storage.Store) {
	ctx := context.Background()
	for i := range 6 {
		err := s.Update(ctx, func(tx storage.Tx) error {
			if _, err := tx.AppendEvent(ctx, event("a", name("e", i))); err != nil {
				return err
			}
			if i%2 == 1 {
				return errBoom
			}
			return nil
		})
		if i%2 == 1 {
			wantErr(t, "Update", err, errBoom)
		} else {
			noErr(t, "Update", err)
		}
	}
	es := allEvents(t, s)
	checkSeqs(t, es)
	var types []string
	for _, e := range es {
		types = append(types, e.Type)
	}
	diff(t, "committed events", types, []string{"e000", "e002", "e004"})
}

func testViewRefusesWrites(t *testing.T, s storage.Store) {
	seed(t, s)
	before := snap(t, s)
	for _, w := range writes() {
		err := s.View(context.Background(), func(tx storage.Tx) error {
			wantSomeErr(t, w.name+" in View", w.fn(context.Background(), tx))
			return nil
		})
		if err != nil {
			t.Errorf("View around %s: %v", w.name, err)
		}
	}
	diff(t, "state after writes in View", snap(t, s), before)
	// View returns fn's error.
	err := s.View(context.Background(), func(storage.Tx) error { return errBoom })
	wantErr(t, "View", err, errBoom)
}

func testCancelledContext(t *testing.T, s storage.Store) {
	seed(t, s)
	before := snap(t, s)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := s.Update(ctx, func(tx storage.Tx) error {
		ran = true
		return all(ctx, tx)
	})
	if err == nil {
		t.Errorf("Update with a cancelled context = nil, want an error")
	}
	if !ran && !errors.Is(err, context.Canceled) {
		t.Errorf("Update with a cancelled context = %v, want context.Canceled", err)
	}
	diff(t, "state after Update with a cancelled context", snap(t, s), before)

	// Cancelled inside fn, after the writes, with fn reporting success.
	ctx, cancel = context.WithCancel(context.Background())
	err = s.Update(ctx, func(tx storage.Tx) error {
		if err := all(ctx, tx); err != nil {
			t.Errorf("writes: %v", err)
		}
		cancel()
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Update cancelled in fn = %v, want context.Canceled", err)
	}
	diff(t, "state after Update cancelled in fn", snap(t, s), before)

	// A deadline that passes while fn runs.
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	err = s.Update(ctx, func(tx storage.Tx) error {
		if err := all(ctx, tx); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	})
	if err == nil {
		t.Errorf("Update past its deadline = nil, want an error")
	}
	diff(t, "state after Update past its deadline", snap(t, s), before)

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := s.View(ctx, func(tx storage.Tx) error {
		_, err := tx.Workspace(ctx, "a")
		return err
	}); err == nil {
		t.Errorf("View with a cancelled context = nil, want an error")
	}
	// The store still works.
	update(t, s, func(tx storage.Tx) error { return all(context.Background(), tx) })
}

// testErrorDoesNotPoison checks that an error a Tx method reports (a taken
// key, a missing row, a version conflict, a refused grant) leaves the
// transaction usable: fn may handle it and go on to commit.
func testErrorDoesNotPoison(t *testing.T, s storage.Store) {
	seed(t, s)
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		wantErr(t, "CreateWorkspace(a)", tx.CreateWorkspace(ctx, workspace("a", "shared", "bob")), storage.ErrExists)
		wantErr(t, "second personal", tx.CreateWorkspace(ctx, workspace("new", "personal", "ann")), storage.ErrExists)
		stale := workspace("a", "shared", "ann")
		wantErr(t, "UpdateWorkspace stale", tx.UpdateWorkspace(ctx, stale), storage.ErrConflict)
		wantErr(t, "PutMember in zzz", tx.PutMember(ctx, member("zzz", "ann", "owner")), storage.ErrNotFound)
		wantErr(t, "DeleteMember", tx.DeleteMember(ctx, "a", "zoe"), storage.ErrNotFound)
		wantErr(t, "CreateInvitation dup token", tx.CreateInvitation(ctx, invitation("a", "i7", "tok1", at(1))), storage.ErrExists)
		wantErr(t, "CreateInvitation in zzz", tx.CreateInvitation(ctx, invitation("zzz", "i8", "tok8", at(1))), storage.ErrNotFound)
		wantErr(t, "CreatePool dup", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "credits"}), storage.ErrExists)
		wantErr(t, "UpdatePool stale", tx.UpdatePool(ctx, storage.Pool{Workspace: "a", Currency: "credits", Version: 1}), storage.ErrConflict)
		wantSomeErr(t, "PutGrant over amount", tx.PutGrant(ctx, "a", "credits", grant("g1", 1, 2)))
		wantErr(t, "PutGrant missing pool", tx.PutGrant(ctx, "a", "gold", grant("g1", 1, 1)), storage.ErrNotFound)
		wantErr(t, "PutIdempotency dup", tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "a", Key: "k1"}), storage.ErrExists)
		wantErr(t, "PutIdempotency in zzz", tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "zzz", Key: "k1"}), storage.ErrNotFound)
		wantErr(t, "PutAllowance in zzz", tx.PutAllowance(ctx, "zzz", "c", credits.Allowance{Member: "m"}), storage.ErrNotFound)
		_, err := tx.Workspace(ctx, "zzz")
		wantErr(t, "Workspace(zzz)", err, storage.ErrNotFound)
		// And now a successful write that must commit.
		return tx.PutMember(ctx, member("a", "cat", "member"))
	})
	view(t, s, func(tx storage.Tx) error {
		_, err := tx.Member(ctx, "a", "cat")
		noErr(t, "Member(a, cat) after recovered errors", err)
		return nil
	})
}

// testViewSeesOneState checks that a View does not see an Update that
// commits while it runs, when the backend lets the two run at once.
func testViewSeesOneState(t *testing.T, s storage.Store) {
	seed(t, s)
	ctx := context.Background()
	started := make(chan struct{})
	release := make(chan struct{})
	viewErr := make(chan error, 1)
	go func() {
		viewErr <- s.View(ctx, func(tx storage.Tx) error {
			before, err := tx.Events(ctx, "", 0, 100)
			if err != nil {
				return err
			}
			close(started)
			<-release
			after, err := tx.Events(ctx, "", 0, 100)
			if err != nil {
				return err
			}
			if len(after) != len(before) {
				return errors.New("storagetest: View saw an Update commit while it ran")
			}
			return nil
		})
	}()
	<-started
	updated := make(chan error, 1)
	go func() {
		updated <- s.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.AppendEvent(ctx, event("a", "during view"))
			return err
		})
	}()
	// Either the Update commits while the View runs (and the View must not
	// see it) or it waits for the View (a store that serializes them).
	select {
	case err := <-updated:
		noErr(t, "Update during View", err)
		close(release)
	case <-time.After(200 * time.Millisecond):
		close(release)
		noErr(t, "Update after View", <-updated)
	}
	noErr(t, "View", <-viewErr)
	if n := len(allEvents(t, s)); n != 3 {
		t.Errorf("events = %d, want 3", n)
	}
}

func testClose(t *testing.T, s storage.Store) {
	seed(t, s)
	noErr(t, "Close", s.Close())
	err := s.Update(context.Background(), func(tx storage.Tx) error {
		return tx.PutMember(context.Background(), member("a", "cat", "member"))
	})
	wantErr(t, "Update after Close", err, storage.ErrClosed)
	err = s.View(context.Background(), func(tx storage.Tx) error { return nil })
	wantErr(t, "View after Close", err, storage.ErrClosed)
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}
