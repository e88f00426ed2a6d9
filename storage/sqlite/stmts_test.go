package sqlite

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// TestStatementsPreparedOnce checks that a query a transaction meets first
// is prepared for later transactions of the same connection pool, once, and
// that later transactions use that statement.
func TestStatementsPreparedOnce(t *testing.T) {
	ctx := context.Background()
	s := migrated(t)
	q := s.d.Q.Workspace
	if s.ws.get(q) != nil || s.rs.get(q) != nil {
		t.Fatal("a statement is prepared before any transaction")
	}
	var missed []string
	read := func(stx storage.Tx) error {
		_, err := stx.Workspace(ctx, "a")
		missed = append(missed, stx.(*tx).missed...)
		return err
	}
	if err := s.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "a", Kind: workspace.Shared, Owner: "ann"}); err != nil {
			return err
		}
		return read(tx)
	}); err != nil {
		t.Fatal(err)
	}
	first := eventually(t, s.ws, q)
	if first == nil {
		t.Fatalf("after an Update that read a workspace, the writer lacks its statement")
	}
	if s.rs.get(q) != nil {
		t.Errorf("an Update prepared on the readers")
	}
	missed = nil
	if err := s.Update(ctx, read); err != nil {
		t.Fatal(err)
	}
	if len(missed) != 0 || s.ws.get(q) != first {
		t.Errorf("the second Update missed %q (statement %p, was %p); want the first's statement", missed, s.ws.get(q), first)
	}
	if err := s.View(ctx, read); err != nil {
		t.Fatal(err)
	}
	if eventually(t, s.rs, q) == nil {
		t.Errorf("after a View, the readers lack the statement")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.ws.warm([]string{"SELECT 1"}) // after Close: prepares nothing
	for _, c := range []*stmts{s.ws, s.rs} {
		c.mu.Lock()
		if len(c.m) != 0 || len(c.inflight) != 0 {
			t.Errorf("after Close: %d statements, %d being prepared", len(c.m), len(c.inflight))
		}
		c.mu.Unlock()
	}
}

// migrated opens a store in a new file, closed at the end of the test, and
// applies every migration.
func migrated(t *testing.T) *Store { return migratedTo(t, -1) }

// eventually waits for c to have query's statement, which warm prepares in
// the background, and returns it; nil if it does not come.
func eventually(t *testing.T, c *stmts, query string) *sql.Stmt {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if st := c.get(query); st != nil {
			return st
		}
	}
	return nil
}

// TestWarmDoesNotWait checks that an Update which met a new query returns
// as soon as it commits, even when another transaction was waiting for the
// only writer connection and takes it first: the statement is prepared in
// the background afterwards, not by the caller.
func TestWarmDoesNotWait(t *testing.T) {
	ctx := context.Background()
	s := migrated(t)
	const q = `SELECT count(*) FROM workspaces WHERE owner = ? AND kind = 'shared'`
	inFirst, release := make(chan struct{}), make(chan struct{})
	second := make(chan error, 1)
	go func() {
		<-inFirst
		// Queues for the writer, which the first Update holds, and gets
		// it when the first commits.
		second <- s.Update(ctx, func(storage.Tx) error { <-release; return nil })
	}()
	first := make(chan error, 1)
	go func() {
		first <- s.Update(ctx, func(tx storage.Tx) error {
			_, err := tx.OwnedShared(ctx, "ann")
			close(inFirst)
			time.Sleep(100 * time.Millisecond) // let the second queue
			return err
		})
	}()
	select {
	case err := <-first:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Errorf("the first Update waited for the second transaction")
	}
	close(release)
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if eventually(t, s.ws, q) == nil {
		t.Errorf("the statement was never prepared")
	}
}
