package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/charterhq/charter/storage/internal/migration"
	"github.com/charterhq/charter/storage/storagetest"
)

// migratedTo opens a store in a new file, closed at the end of the test, and
// applies its first n migrations (all of them when n < 0).
func migratedTo(t *testing.T, n int) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "charter.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	files, err := migration.List(migrations, "migrations/*.sql", "sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if n >= 0 {
		files = files[:n]
	}
	if err := s.migrate(ctx, files); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// TestAccessSeesSQL changes rows by hand, past the Store: the triggers still
// move the access stamps, so Access never answers from a stale entry.
func TestAccessSeesSQL(t *testing.T) {
	s := migrated(t)
	storagetest.RunAccessSQL(t, s, func(ctx context.Context, query string) error {
		_, err := s.w.ExecContext(ctx, query)
		return err
	})
}

// TestMigrateStampsOldRows migrates a database of schema version 1 that has
// workspaces: each gets its own stamp, and later changes still move it.
func TestMigrateStampsOldRows(t *testing.T) {
	s := migratedTo(t, 1)
	storagetest.RunMigrated(t, s, func() error { return s.Migrate(context.Background()) }, func(ctx context.Context) (int, int, error) {
		var n, distinct int
		err := s.w.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT stamp) FROM workspaces`).Scan(&n, &distinct)
		return n, distinct, err
	})
}
