package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/sqlite"
	"github.com/charterhq/charter/storage/storagetest"
	"github.com/charterhq/charter/workspace"
)

// open opens and migrates a store in a file under dir.
func open(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, path)
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
		return open(t, filepath.Join(t.TempDir(), "charter.db"))
	})
}

// TestRestart closes the store and reopens its file: everything is intact.
func TestRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "charter.db")
	storagetest.RunRestart(t, func(t *testing.T) storage.Store { return open(t, path) })
}

// TestCancelMidUpdate cancels the context while fn is between writes.
func TestCancelMidUpdate(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "charter.db"))
	ctx, cancel := context.WithCancel(context.Background())
	err := s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "a", Kind: workspace.Shared, Owner: "ann"}); err != nil {
			return err
		}
		if _, err := tx.AppendEvent(ctx, storage.Event{Workspace: "a", Type: "created"}); err != nil {
			return err
		}
		cancel()
		// A write after the cancellation fails; fn ignores that.
		_ = tx.PutMember(ctx, storage.Member{Workspace: "a", User: "ann", Role: "owner"})
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Update = %v, want context.Canceled", err)
	}
	bg := context.Background()
	err = s.View(bg, func(tx storage.Tx) error {
		if _, err := tx.Workspace(bg, "a"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("Workspace(a) after a cancelled Update: %v, want ErrNotFound", err)
		}
		es, err := tx.Events(bg, "", 0, 10)
		if len(es) != 0 {
			t.Errorf("events after a cancelled Update: %+v", es)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// The writer connection is free again.
	err = s.Update(bg, func(tx storage.Tx) error {
		_, err := tx.AppendEvent(bg, storage.Event{Workspace: "a", Type: "next"})
		return err
	})
	if err != nil {
		t.Fatalf("Update after cancellation: %v", err)
	}
}

// TestTwoStores runs two stores on one file, as two processes would: writes
// of one are seen by the other, and concurrent writers serialize.
func TestTwoStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "charter.db")
	a, b := open(t, path), open(t, path)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i, s := range []*sqlite.Store{a, b, a, b} {
		wg.Go(func() {
			for range 10 {
				err := s.Update(ctx, func(tx storage.Tx) error {
					_, err := tx.AppendEvent(ctx, storage.Event{Workspace: "a", Type: "x", Amount: int64(i)})
					return err
				})
				if err != nil && !errors.Is(err, storage.ErrConflict) {
					t.Errorf("Update: %v", err)
				}
			}
		})
	}
	wg.Wait()
	err := b.View(ctx, func(tx storage.Tx) error {
		es, err := tx.Events(ctx, "", 0, 100)
		for i, e := range es {
			if e.Seq != int64(i+1) {
				t.Fatalf("events[%d].Seq = %d", i, e.Seq)
			}
		}
		if len(es) != 40 {
			t.Errorf("%d events, want 40", len(es))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestBusy checks that a writer that cannot get the lock within the busy
// timeout fails with ErrConflict rather than hanging or corrupting.
func TestBusy(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the busy timeout")
	}
	path := filepath.Join(t.TempDir(), "charter.db")
	a, b := open(t, path), open(t, path)
	ctx := context.Background()
	holding := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- a.Update(ctx, func(tx storage.Tx) error {
			if _, err := tx.AppendEvent(ctx, storage.Event{Type: "holder"}); err != nil {
				return err
			}
			close(holding)
			<-release
			return nil
		})
	}()
	<-holding
	err := b.Update(ctx, func(tx storage.Tx) error {
		_, err := tx.AppendEvent(ctx, storage.Event{Type: "waiter"})
		return err
	})
	close(release)
	if !errors.Is(err, storage.ErrConflict) {
		t.Errorf("Update while another store holds the lock = %v, want ErrConflict", err)
	}
	if err := <-done; err != nil {
		t.Errorf("holder: %v", err)
	}
}

func TestMigrateTwiceAndConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "charter.db")
	ctx := context.Background()
	var stores []*sqlite.Store
	for range 4 {
		s, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatalf("Open: %v", err)
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
	err := stores[0].Update(ctx, func(tx storage.Tx) error {
		seq, err := tx.AppendEvent(ctx, storage.Event{Type: "x"})
		if seq != 1 {
			t.Errorf("first AppendEvent = %d, want 1 (event counter seeded more than once?)", seq)
		}
		return err
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func TestOpenRefusesDSN(t *testing.T) {
	for _, path := range []string{"", "file:x.db", "x.db?_pragma=foreign_keys(0)"} {
		if s, err := sqlite.Open(context.Background(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil error, want one", path)
		}
	}
}
