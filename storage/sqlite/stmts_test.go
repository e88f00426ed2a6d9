package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/charterhq/charter/storage"
)

// TestStatementsPreparedOnce checks that a query a transaction meets first
// is prepared for later transactions of the same connection pool, once, and
// that later transactions use that statement.
func TestStatementsPreparedOnce(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "charter.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	const q = `SELECT ` + workspaceCols + ` FROM workspaces WHERE id = ?`
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
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "a", Kind: "shared", Owner: "ann"}); err != nil {
			return err
		}
		return read(tx)
	}); err != nil {
		t.Fatal(err)
	}
	first := s.ws.get(q)
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
	if s.rs.get(q) == nil {
		t.Errorf("after a View, the readers lack the statement")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if len(s.ws.m) != 0 || len(s.rs.m) != 0 {
		t.Errorf("Close left statements: %d, %d", len(s.ws.m), len(s.rs.m))
	}
}
