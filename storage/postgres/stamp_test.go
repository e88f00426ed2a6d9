package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/charterhq/charter/storage/internal/migration"
	"github.com/charterhq/charter/storage/storagetest"
)

// TestAccessSeesSQL changes rows by hand, past the Store: the triggers still
// move the access stamps, so Access never answers from a stale entry. Beyond
// the common steps: TRUNCATE, which fires no row triggers, and a removal in
// a session whose temporary table named workspaces could shadow the real
// one.
func TestAccessSeesSQL(t *testing.T) {
	s := open(t, schemaURL(t))
	var schema string
	if err := s.pool.QueryRow(context.Background(), `SELECT current_schema()`).Scan(&schema); err != nil {
		t.Fatal(err)
	}
	q := pgx.Identifier{schema}.Sanitize()
	// Without arguments, Exec sends the query whole on one connection,
	// so a script's temporary table lives as long as the script.
	storagetest.RunAccessSQL(t, s, func(ctx context.Context, query string) error {
		_, err := s.pool.Exec(ctx, query)
		return err
	}, storagetest.SQLStep{
		What: "bob removed in a session with a temporary table named workspaces",
		Query: `CREATE TEMPORARY TABLE workspaces AS SELECT * FROM ` + q + `.workspaces;
			DELETE FROM ` + q + `.members WHERE workspace = 'a' AND user_id = 'bob';
			DROP TABLE pg_temp.workspaces`,
	}, storagetest.SQLStep{What: "members truncated", Query: `TRUNCATE members`})
}

// TestAccessRaceTwoStores reads through one store while another, on the
// same database, commits role changes: as two service instances would.
func TestAccessRaceTwoStores(t *testing.T) {
	url := schemaURL(t)
	storagetest.RunAccessRace(t, open(t, url), open(t, url))
}

// migrateOld opens a store on a new schema, closed at the end of the test,
// migrates it to version n, and runs storagetest.RunMigrated from there.
func migrateOld(t *testing.T, n int) {
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
	if err := s.migrate(ctx, files[:n]); err != nil {
		t.Fatalf("migrate to version %d: %v", n, err)
	}
	old := storagetest.OldSchema{
		Exec: func(ctx context.Context, query string) error {
			_, err := s.pool.Exec(ctx, query)
			return err
		},
		Time:  func(t time.Time) string { return "'" + t.UTC().Format(time.RFC3339Nano) + "'::timestamptz" },
		False: "false",
	}
	storagetest.RunMigrated(t, s, old, func() error { return s.Migrate(ctx) }, func(ctx context.Context) (int, int, error) {
		var n, distinct int
		err := s.pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT stamp) FROM workspaces`).Scan(&n, &distinct)
		return n, distinct, err
	})
}

// TestMigrateStampsOldRows migrates a database of schema version 1 that has
// workspaces: each gets its own stamp, and later changes still move it.
func TestMigrateStampsOldRows(t *testing.T) { migrateOld(t, 1) }

// TestMigrateLogoPreferences migrates a database of schema version 3, the
// last without logos and preferences, that has workspaces: they read back
// without either, and take both afterwards.
func TestMigrateLogoPreferences(t *testing.T) { migrateOld(t, 3) }
