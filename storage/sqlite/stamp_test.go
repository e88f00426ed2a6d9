package sqlite

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charterhq/charter/storage/internal/migration"
	"github.com/charterhq/charter/storage/storagetest"
)

// migratedTo opens a store in a new file, closed at the end of the test, and
// applies its first n migrations (all of them when n < 0).
func migratedTo(t *testing.T, n int) *Store {
	t.Helper()
	return migratedAt(t, filepath.Join(t.TempDir(), "charter.db"), n)
}

// migratedAt opens a store on the file at path, closed at the end of the
// test, and applies its first n migrations (all of them when n < 0).
func migratedAt(t *testing.T, path string, n int) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, path)
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

// TestAccessSeesSQLUpgraded runs TestAccessSeesSQL's changes on a database
// made at schema version 3, before stamps were guarded, and upgraded: a
// stamp written back by hand takes a new one there too.
func TestAccessSeesSQLUpgraded(t *testing.T) {
	s := migratedTo(t, 3)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	storagetest.RunAccessSQL(t, s, func(ctx context.Context, query string) error {
		_, err := s.w.ExecContext(ctx, query)
		return err
	})
}

// TestStampCounterForward checks that the counter stamps come from cannot
// be set back, replaced or deleted by hand (or a stamp could be given
// twice), and that it may move forward.
func TestStampCounterForward(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	counter := func() int64 {
		t.Helper()
		var n int64
		if err := s.w.QueryRowContext(ctx, `SELECT n FROM access_stamp`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := s.w.ExecContext(ctx, `INSERT INTO workspaces (id, name, kind, plan, owner, billing_contact, guests_disabled, created, anchor, version)
		VALUES ('a', 'A', 'shared', 'team', 'ann', 'ann', 0, 0, 0, 1)`); err != nil {
		t.Fatal(err)
	}
	n := counter()
	for _, q := range []string{
		`UPDATE access_stamp SET n = n - 1`,
		`UPDATE access_stamp SET n = 0`,
		`UPDATE access_stamp SET id = 2`,
		`INSERT OR REPLACE INTO access_stamp (id, n) VALUES (1, 0)`,
		`DELETE FROM access_stamp`,
	} {
		if _, err := s.w.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "access_stamp") {
			t.Errorf("%s: error %v, want the trigger's refusal", q, err)
		}
		if got := counter(); got != n {
			t.Fatalf("after %s, the counter is %d, want %d", q, got, n)
		}
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE access_stamp SET n = n + 10`); err != nil {
		t.Errorf("moving the counter forward: %v", err)
	}
	// A stamp written by hand, forward or back, is replaced by a new one.
	for _, q := range []string{`UPDATE workspaces SET stamp = 1`, `UPDATE workspaces SET stamp = stamp + 1000`} {
		before := counter()
		if _, err := s.w.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
		var stamp int64
		if err := s.w.QueryRowContext(ctx, `SELECT stamp FROM workspaces WHERE id = 'a'`).Scan(&stamp); err != nil {
			t.Fatal(err)
		}
		if after := counter(); stamp != after || after != before+1 {
			t.Errorf("after %s: stamp %d, counter %d (was %d); want a new stamp from the counter", q, stamp, after, before)
		}
	}
}

// oldSchema writes rows of an older schema into s's database by hand.
func oldSchema(s *Store) storagetest.OldSchema {
	return storagetest.OldSchema{
		Exec: func(ctx context.Context, query string) error {
			_, err := s.w.ExecContext(ctx, query)
			return err
		},
		Time:  func(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) },
		False: "0",
	}
}

// stamps counts the workspaces and their distinct access stamps.
func stamps(s *Store) func(ctx context.Context) (int, int, error) {
	return func(ctx context.Context) (int, int, error) {
		var n, distinct int
		err := s.w.QueryRowContext(ctx, `SELECT count(*), count(DISTINCT stamp) FROM workspaces`).Scan(&n, &distinct)
		return n, distinct, err
	}
}

// TestMigrateStampsOldRows migrates a database of schema version 1 that has
// workspaces: each gets its own stamp, and later changes still move it.
func TestMigrateStampsOldRows(t *testing.T) {
	s := migratedTo(t, 1)
	storagetest.RunMigrated(t, s, oldSchema(s), func() error { return s.Migrate(context.Background()) }, stamps(s))
}

// TestMigrateLogoPreferences migrates a database of schema version 4, the
// last without logos and preferences, that has workspaces: they read back
// without either, and take both afterwards.
func TestMigrateLogoPreferences(t *testing.T) {
	s := migratedTo(t, 4)
	storagetest.RunMigrated(t, s, oldSchema(s), func() error { return s.Migrate(context.Background()) }, stamps(s))
}

// TestStampTriggerColumns checks that workspaces_stamp_update names every
// column of workspaces but stamp: a column it missed could change without a
// new stamp.
func TestStampTriggerColumns(t *testing.T) {
	s := migrated(t)
	ctx := context.Background()
	var trigger string
	if err := s.w.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'workspaces_stamp_update'`).Scan(&trigger); err != nil {
		t.Fatal(err)
	}
	_, list, ok := strings.Cut(trigger, "AFTER UPDATE OF ")
	list, _, ok2 := strings.Cut(list, "\n")
	if !ok || !ok2 {
		t.Fatalf("cannot find the column list in %q", trigger)
	}
	named := map[string]bool{}
	for _, c := range strings.Split(list, ",") {
		named[strings.TrimSpace(c)] = true
	}
	rows, err := s.w.QueryContext(ctx, `SELECT name FROM pragma_table_info('workspaces')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			t.Fatal(err)
		}
		if col != "stamp" && !named[col] {
			t.Errorf("workspaces_stamp_update does not name column %s", col)
		}
		delete(named, col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if named["stamp"] || len(named) > 0 {
		t.Errorf("workspaces_stamp_update names columns workspaces lacks, or stamp: %v", named)
	}
}
