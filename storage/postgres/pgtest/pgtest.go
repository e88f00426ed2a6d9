// Package pgtest gives tests a real PostgreSQL to run against: the server
// named by CHARTER_POSTGRES_URL (which scripts/with-postgres.sh starts), and a
// fresh schema per test, dropped when the test ends.
package pgtest

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// ServerURL returns CHARTER_POSTGRES_URL, skipping the test when it is not
// set (failing it under CI=true, where a skip would hide a broken setup).
func ServerURL(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv("CHARTER_POSTGRES_URL")
	if u == "" {
		const why = "CHARTER_POSTGRES_URL is not set; run the tests through scripts/with-postgres.sh"
		if os.Getenv("CI") == "true" {
			tb.Fatal(why)
		}
		tb.Skip(why)
	}
	return u
}

// SchemaURL creates a fresh schema for the test, dropped when it ends, and
// returns a URL whose connections use it.
func SchemaURL(tb testing.TB) string {
	tb.Helper()
	base := ServerURL(tb)
	ctx := context.Background()
	schema := "t_" + strings.ToLower(rand.Text()[:16])
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+pgx.Identifier{schema}.Sanitize()); err != nil {
		tb.Fatalf("create schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			tb.Errorf("connect: %v", err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
			tb.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("CHARTER_POSTGRES_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
