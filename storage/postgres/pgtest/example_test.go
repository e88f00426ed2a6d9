package pgtest_test

import (
	"context"
	"testing"

	"github.com/charterhq/charter/storage/postgres"
	"github.com/charterhq/charter/storage/postgres/pgtest"
)

// Example shows a test opening a PostgreSQL store in a schema of its own on
// the server scripts/with-postgres.sh started. (It has no output: it needs a
// *testing.T and a server, so it is compiled, not run.)
func Example() {
	_ = func(t *testing.T) {
		s, err := postgres.Open(context.Background(), pgtest.SchemaURL(t))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
	}
}
