package postgres

import (
	"context"
	"testing"

	"github.com/charterhq/charter/storage/internal/migration"
	"github.com/charterhq/charter/storage/storagetest"
)

// TestAccessSeesSQL changes rows by hand, past the Store: the triggers still
// move the access stamps, so Access never answers from a stale entry.
func TestAccessSeesSQL(t *testing.T) {
	s := open(t, schemaURL(t))
	storagetest.RunAccessSQL(t, s, func(ctx context.Context, query string) error {
		_, err := s.pool.Exec(ctx, query)
		return err
	})
}

// TestMigrateStampsOldRows migrates a database of schema version 1 that has
// workspaces: each gets its own stamp, and later changes still move it.
func TestMigrateStampsOldRows(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, schemaURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	files, err := migration.List(migrations, "migrations/*.sql", "postgres")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.migrate(ctx, files[:1]); err != nil {
		t.Fatalf("migrate to version 1: %v", err)
	}
	storagetest.RunMigrated(t, s, func() error { return s.Migrate(ctx) }, func(ctx context.Context) (int, int, error) {
		var n, distinct int
		err := s.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT stamp) FROM workspaces`).Scan(&n, &distinct)
		return n, distinct, err
	})
}
