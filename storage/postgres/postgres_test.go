package postgres

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/migration"
	"github.com/charterhq/charter/storage/internal/sqlrec"
	"github.com/charterhq/charter/storage/postgres/pgtest"
	"github.com/charterhq/charter/storage/storagetest"
	"github.com/charterhq/charter/workspace"
)

func schemaURL(tb testing.TB) string { return pgtest.SchemaURL(tb) }

// open opens and migrates a store on url.
func open(tb testing.TB, url string) *Store {
	tb.Helper()
	ctx := context.Background()
	s, err := Open(ctx, url)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storage.Store {
		return open(t, schemaURL(t))
	})
}

// TestRestart closes the store and reconnects to its schema: everything is
// intact.
func TestRestart(t *testing.T) {
	url := schemaURL(t)
	storagetest.RunRestart(t, func(t *testing.T) storage.Store { return open(t, url) })
}

// checkEmpty fails the test if workspace a or any event exists.
func checkEmpty(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	err := s.View(ctx, func(tx storage.Tx) error {
		if _, err := tx.Workspace(ctx, "a"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Workspace(a) after a failed Update: %v, want ErrNotFound", err)
		}
		if ms, _ := tx.Members(ctx, "a"); len(ms) != 0 {
			t.Errorf("members after a failed Update: %+v", ms)
		}
		es, err := tx.Events(ctx, "", 0, 10)
		if len(es) != 0 {
			t.Errorf("events after a failed Update: %+v", es)
		}
		return err
	})
	if err != nil {
		t.Fatalf("View: %v", err)
	}
}

func TestCancelMidUpdate(t *testing.T) {
	s := open(t, schemaURL(t))
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "a", Kind: workspace.Shared, Owner: "ann"}); err != nil {
			return err
		}
		if _, err := tx.AppendEvent(ctx, storage.Event{Workspace: "a", Type: "created"}); err != nil {
			return err
		}
		cancel()
		_ = tx.PutMember(ctx, storage.Member{Workspace: "a", User: "ann", Role: "owner"})
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Update = %v, want context.Canceled", err)
	}
	checkEmpty(t, s)
}

// TestTerminateBackend kills the connection of an Update from another
// connection while fn is between writes.
func TestTerminateBackend(t *testing.T) {
	u := schemaURL(t)
	s := open(t, u)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	err = s.Update(ctx, func(stx storage.Tx) error {
		if err := stx.CreateWorkspace(ctx, storage.Workspace{ID: "a", Kind: workspace.Shared, Owner: "ann"}); err != nil {
			return err
		}
		if _, err := stx.AppendEvent(ctx, storage.Event{Workspace: "a", Type: "created"}); err != nil {
			return err
		}
		var pid uint32
		if _, err := stx.(*tx).QueryRow(ctx, "backend pid", `SELECT pg_backend_pid()`, nil, sqlrec.ScanFunc(func(r sqlrec.Scanner) error { return r.Scan(&pid) })); err != nil {
			return err
		}
		var ok bool
		if err := admin.QueryRow(ctx, `SELECT pg_terminate_backend($1, 5000)`, pid).Scan(&ok); err != nil || !ok {
			t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
		}
		return stx.PutMember(ctx, storage.Member{Workspace: "a", User: "ann", Role: "owner"})
	})
	if err == nil {
		t.Fatalf("Update on a terminated connection = nil, want an error")
	}
	checkEmpty(t, s)
	// The pool replaces the dead connection.
	err = s.Update(ctx, func(tx storage.Tx) error {
		seq, err := tx.AppendEvent(ctx, storage.Event{Type: "after"})
		if seq != 1 {
			t.Errorf("AppendEvent after the kill = %d, want 1", seq)
		}
		return err
	})
	if err != nil {
		t.Fatalf("Update after the kill: %v", err)
	}
}

// TestDeadlockRetried makes two Updates take locks in opposite orders: the
// database breaks the deadlock by failing one, which Update runs again, so
// both succeed.
func TestDeadlockRetried(t *testing.T) {
	s := open(t, schemaURL(t))
	ctx := context.Background()
	err := s.Update(ctx, func(tx storage.Tx) error {
		for _, id := range []string{"a", "b"} {
			if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: id, Kind: workspace.Shared, Owner: "ann"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var (
		both     sync.WaitGroup
		attempts [2]int
		mu       sync.Mutex
	)
	both.Add(2)
	for i, order := range [][]string{{"a", "b"}, {"b", "a"}} {
		go func() {
			first := true
			err := s.Update(ctx, func(tx storage.Tx) error {
				mu.Lock()
				attempts[i]++
				mu.Unlock()
				if _, err := tx.Workspace(ctx, order[0]); err != nil {
					return err
				}
				if first {
					first = false
					both.Done()
					both.Wait() // both hold their first lock
				}
				w, err := tx.Workspace(ctx, order[1])
				if err != nil {
					return err
				}
				w.Version++
				return tx.UpdateWorkspace(ctx, w)
			})
			if err != nil {
				t.Errorf("Update %v: %v", order, err)
			}
		}()
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var a, b storage.Workspace
		err := s.View(ctx, func(tx storage.Tx) error {
			var err error
			if a, err = tx.Workspace(ctx, "a"); err != nil {
				return err
			}
			b, err = tx.Workspace(ctx, "b")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if a.Version == 2 && b.Version == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versions %d and %d, want 2 and 2", a.Version, b.Version)
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if attempts[0]+attempts[1] < 3 {
		t.Errorf("attempts = %v, want a retry", attempts)
	}
}

func TestRetryGivesUp(t *testing.T) {
	s := open(t, schemaURL(t))
	n := 0
	err := s.Update(context.Background(), func(stx storage.Tx) error {
		n++
		_, err := stx.(*tx).Exec(context.Background(), "inject",
			`DO $$ BEGIN RAISE EXCEPTION 'injected' USING ERRCODE = 'serialization_failure'; END $$`)
		return err
	})
	if !errors.Is(err, storage.ErrConflict) {
		t.Errorf("Update = %v, want ErrConflict", err)
	}
	if n != MaxAttempts {
		t.Errorf("fn ran %d times, want %d", n, MaxAttempts)
	}
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	u := schemaURL(t)
	ctx := context.Background()
	var stores []*Store
	for range 4 {
		s, err := Open(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stores = append(stores, s)
	}
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			for range 2 {
				if err := s.Migrate(ctx); err != nil {
					t.Errorf("Migrate: %v", err)
				}
			}
		})
	}
	wg.Wait()
	files, err := migration.List(migrations, "migrations/*.sql", "postgres")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = stores[0].pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n)
	if err != nil || n != len(files) {
		t.Errorf("schema_migrations rows = %d, %v; want %d", n, err, len(files))
	}
	err = stores[1].Update(ctx, func(tx storage.Tx) error {
		seq, err := tx.AppendEvent(ctx, storage.Event{Type: "x"})
		if seq != 1 {
			t.Errorf("first AppendEvent = %d, want 1", seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOpenBadURL(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, u := range []string{"postgres://%zz", "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"} {
		if s, err := Open(ctx, u); err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil error, want one", u)
		}
	}
}

// TestFailedBatchSpoilsTx checks that after a statement the driver could
// not even send (its context was done, so neither BEGIN nor it reached the
// server) the transaction commits nothing, also when fn goes on writing and
// returns nil; and that a deferred SaveLedger is not lost along the way.
func TestFailedBatchSpoilsTx(t *testing.T) {
	s := open(t, schemaURL(t))
	ctx := context.Background()
	done, cancel := context.WithCancel(ctx)
	cancel()
	for _, fnErr := range []error{nil, errors.New("fn gives up")} {
		err := s.Update(ctx, func(tx storage.Tx) error {
			if _, err := tx.Workspace(done, "a"); err == nil {
				t.Errorf("Workspace with a done context = nil error")
			}
			if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "a", Kind: workspace.Shared, Owner: "ann"}); err == nil {
				t.Errorf("CreateWorkspace after a failed statement = nil, want its error")
			}
			return fnErr
		})
		if err == nil {
			t.Errorf("Update after a failed statement (fn returns %v) = nil, want an error", fnErr)
		}
		checkEmpty(t, s)
	}
	// A deferred change, then a failed statement fn ignores: the change
	// is not dropped while the rest commits.
	update := func(fn func(storage.Tx) error) error { return s.Update(ctx, fn) }
	if err := update(func(tx storage.Tx) error {
		return tx.CreateWorkspace(ctx, storage.Workspace{ID: "a", Kind: workspace.Shared, Owner: "ann"})
	}); err != nil {
		t.Fatal(err)
	}
	err := update(func(tx storage.Tx) error {
		if _, err := tx.AppendEvent(ctx, storage.Event{Workspace: "a", Type: "x"}); err != nil {
			return err
		}
		a := credits.Allowance{Member: "ann", Amount: 5}
		if err := storage.SaveLedger(ctx, tx, storage.LedgerChange{Workspace: "a", Currency: "c", Allowance: &a}); err != nil {
			return err
		}
		tx.Member(done, "a", "ann") // fails, and fn ignores it
		return nil
	})
	if err == nil {
		t.Errorf("Update that ignored a failed statement = nil, want an error")
	}
	if err := s.View(ctx, func(tx storage.Tx) error {
		es, err := tx.Events(ctx, "a", 0, 10)
		if len(es) != 0 {
			t.Errorf("events after the failed Update: %+v", es)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestTxAfterEnd checks that a transaction used after fn returned fails
// with an error, for reads as for writes.
func TestTxAfterEnd(t *testing.T) {
	s := open(t, schemaURL(t))
	ctx := context.Background()
	var kept storage.Tx
	if err := s.Update(ctx, func(tx storage.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := kept.Workspace(ctx, "a"); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Errorf("Workspace after the end = %v, want a use-after-end error", err)
	}
	if err := kept.PutMember(ctx, storage.Member{Workspace: "a", User: "ann"}); err == nil {
		t.Errorf("PutMember after the end = nil, want an error")
	}
}
