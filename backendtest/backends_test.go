package backendtest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/postgres"
	"github.com/charterhq/charter/storage/postgres/pgtest"
	"github.com/charterhq/charter/storage/sqlite"
)

// durableBackends are the persistent backends the Service tests also run on:
// SQLite on a file in a temporary directory, and PostgreSQL in a fresh schema
// of the server scripts/with-postgres.sh started (skipped only outside CI
// when there is none).
func durableBackends() []backend {
	return []backend{
		{"sqlite", func(tb testing.TB) storage.Store {
			tb.Helper()
			s, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "charter.db"))
			if err != nil {
				tb.Fatal(err)
			}
			return migrated(tb, s)
		}},
		{"postgres", func(tb testing.TB) storage.Store {
			tb.Helper()
			return openPostgres(tb, pgtest.SchemaURL(tb))
		}},
	}
}

func openPostgres(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	return migrated(tb, s)
}

type migrator interface {
	storage.Store
	Migrate(context.Context) error
}

func migrated[S migrator](tb testing.TB, s S) S {
	tb.Helper()
	tb.Cleanup(func() { s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return s
}
