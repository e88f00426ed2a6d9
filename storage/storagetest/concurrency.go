package storagetest

import (
	"context"
	"errors"
	"github.com/charterhq/charter/credits"
	"sync"
	"testing"

	"github.com/charterhq/charter/storage"
)

// testConcurrentWorkspaceUpdates runs read-modify-write cycles of one
// workspace's version from many goroutines. Every Update that succeeds must
// count exactly once: the final version is one more than the successes, and
// each success appended one event.
func testConcurrentWorkspaceUpdates(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error { return tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")) })
	const goroutines, rounds = 16, 8
	var (
		mu        sync.Mutex
		successes int
		wg        sync.WaitGroup
	)
	for g := range goroutines {
		wg.Go(func() {
			for r := range rounds {
				err := s.Update(ctx, func(tx storage.Tx) error {
					w, err := tx.Workspace(ctx, "a")
					if err != nil {
						return err
					}
					w.Version++
					w.Name = name("g", g) + name("r", r)
					if err := tx.UpdateWorkspace(ctx, w); err != nil {
						return err
					}
					_, err = tx.AppendEvent(ctx, event("a", w.Name))
					return err
				})
				switch {
				case err == nil:
					mu.Lock()
					successes++
					mu.Unlock()
				case errors.Is(err, storage.ErrConflict):
				default:
					t.Errorf("Update: %v", err)
				}
			}
		})
	}
	wg.Wait()
	if successes == 0 {
		t.Fatalf("no Update succeeded")
	}
	w := snap(t, s).Workspaces["a"]
	if w.Version != int64(successes)+1 {
		t.Errorf("version = %d after %d successful updates, want %d", w.Version, successes, successes+1)
	}
	es := allEvents(t, s)
	checkSeqs(t, es)
	if len(es) != successes {
		t.Errorf("%d events after %d successful updates", len(es), successes)
	}
	if es[len(es)-1].Type != w.Name {
		t.Errorf("last event %q, last name %q: events are not in commit order", es[len(es)-1].Type, w.Name)
	}
}

// testConcurrentPoolSpends spends one credit per Update from many goroutines,
// reading the pool (which locks it) first, as the credits service does.
func testConcurrentPoolSpends(t *testing.T, s storage.Store) {
	ctx := context.Background()
	const amount = 1000
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "workspace", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "pool", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "credits"}))
		return tx.PutGrant(ctx, "a", "credits", grant("g1", amount, amount))
	})
	const goroutines, rounds = 12, 6
	var (
		mu        sync.Mutex
		successes int
		wg        sync.WaitGroup
	)
	for g := range goroutines {
		wg.Go(func() {
			for r := range rounds {
				err := s.Update(ctx, func(tx storage.Tx) error {
					p, err := tx.Pool(ctx, "a", "credits")
					if err != nil {
						return err
					}
					gs, err := tx.Grants(ctx, "a", "credits")
					if err != nil {
						return err
					}
					gs[0].Remaining--
					if err := tx.PutGrant(ctx, "a", "credits", gs[0]); err != nil {
						return err
					}
					p.Version++
					if err := tx.UpdatePool(ctx, p); err != nil {
						return err
					}
					e := entry("credits", "spend", -1)
					e.Key = name("g", g) + name("r", r)
					return tx.AppendEntries(ctx, "a", []credits.Entry{e})
				})
				switch {
				case err == nil:
					mu.Lock()
					successes++
					mu.Unlock()
				case errors.Is(err, storage.ErrConflict):
				default:
					t.Errorf("Update: %v", err)
				}
			}
		})
	}
	wg.Wait()
	sn := snap(t, s)
	if got := sn.Grants["a/credits"][0].Remaining; got != amount-int64(successes) {
		t.Errorf("remaining = %d after %d spends, want %d", got, successes, amount-successes)
	}
	if got := sn.Pools["a"][0].Version; got != int64(successes)+1 {
		t.Errorf("pool version = %d after %d spends, want %d", got, successes, successes+1)
	}
	es := sn.Entries["a/credits"]
	if len(es) != successes {
		t.Errorf("%d entries after %d spends", len(es), successes)
	}
	for i, e := range es {
		if e.Seq != int64(i+1) {
			t.Fatalf("entries[%d].Seq = %d, want %d", i, e.Seq, i+1)
		}
	}
}

// testConcurrentAppendEvents appends events from 32 goroutines at once: the
// sequence must come out gapless, unique, and match what AppendEvent
// returned.
func testConcurrentAppendEvents(t *testing.T, s storage.Store) {
	ctx := context.Background()
	const goroutines, rounds = 32, 4
	var (
		mu       sync.Mutex
		returned = map[int64]string{}
		wg       sync.WaitGroup
	)
	for g := range goroutines {
		wg.Go(func() {
			for r := range rounds {
				typ := name("g", g) + name("r", r)
				var seq int64
				err := s.Update(ctx, func(tx storage.Tx) error {
					var err error
					seq, err = tx.AppendEvent(ctx, event(name("w", g%4), typ))
					return err
				})
				if err != nil {
					if !errors.Is(err, storage.ErrConflict) {
						t.Errorf("Update: %v", err)
					}
					continue
				}
				mu.Lock()
				if prev, dup := returned[seq]; dup {
					t.Errorf("AppendEvent returned %d for both %s and %s", seq, prev, typ)
				}
				returned[seq] = typ
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	es := allEvents(t, s)
	checkSeqs(t, es)
	if len(es) != len(returned) {
		t.Errorf("%d events stored, %d appends succeeded", len(es), len(returned))
	}
	for _, e := range es {
		if returned[e.Seq] != e.Type {
			t.Errorf("event %d is %q, AppendEvent returned %d for %q", e.Seq, e.Type, e.Seq, returned[e.Seq])
		}
	}
}

// testConcurrentIdempotency races many transactions to claim one key:
// exactly one wins and its result is the one stored.
func testConcurrentIdempotency(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error { return tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")) })
	const goroutines = 16
	var (
		mu     sync.Mutex
		winner []string
		wg     sync.WaitGroup
		start  = make(chan struct{})
	)
	for g := range goroutines {
		wg.Go(func() {
			<-start
			result := name("result", g)
			err := s.Update(ctx, func(tx storage.Tx) error {
				if _, err := tx.Idempotency(ctx, "a", "key"); err == nil {
					return storage.ErrExists // seen already: a retry
				} else if !errors.Is(err, storage.ErrNotFound) {
					return err
				}
				return tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "a", Key: "key", Fingerprint: "f", Result: result, Created: t0})
			})
			switch {
			case err == nil:
				mu.Lock()
				winner = append(winner, result)
				mu.Unlock()
			case errors.Is(err, storage.ErrExists):
			default:
				t.Errorf("Update: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(winner) != 1 {
		t.Fatalf("%d transactions claimed the key (%v), want exactly 1", len(winner), winner)
	}
	view(t, s, func(tx storage.Tx) error {
		r, err := tx.Idempotency(ctx, "a", "key")
		noErr(t, "Idempotency", err)
		if r.Result != winner[0] {
			t.Errorf("stored result %q, winner %q", r.Result, winner[0])
		}
		return nil
	})
}

// testConcurrentPersonal races many transactions to create one user's
// personal workspace: exactly one wins.
func testConcurrentPersonal(t *testing.T, s storage.Store) {
	ctx := context.Background()
	const goroutines = 12
	var (
		mu    sync.Mutex
		wins  []string
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	for g := range goroutines {
		wg.Go(func() {
			<-start
			id := name("p", g)
			err := s.Update(ctx, func(tx storage.Tx) error {
				return tx.CreateWorkspace(ctx, workspace(id, "personal", "ann"))
			})
			switch {
			case err == nil:
				mu.Lock()
				wins = append(wins, id)
				mu.Unlock()
			case errors.Is(err, storage.ErrExists):
			default:
				t.Errorf("Update: %v", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if len(wins) != 1 {
		t.Fatalf("%d personal workspaces created (%v), want 1", len(wins), wins)
	}
	view(t, s, func(tx storage.Tx) error {
		w, err := tx.PersonalWorkspace(ctx, "ann")
		noErr(t, "PersonalWorkspace", err)
		if w.ID != wins[0] {
			t.Errorf("PersonalWorkspace(ann) = %s, want %s", w.ID, wins[0])
		}
		return nil
	})
}
