// Package storeurl opens the store a program is told to use, by a URL-like
// name: "" or "memory" for the in-memory store, "sqlite:PATH" for a SQLite
// file, a postgres:// or postgresql:// URL for PostgreSQL. The examples and
// "charter import" open their stores through it.
package storeurl

import (
	"context"
	"fmt"
	"strings"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/storage/postgres"
	"github.com/charterhq/charter/storage/sqlite"
)

// Open opens the store named by url. The durable stores are migrated
// before use.
func Open(ctx context.Context, url string) (storage.Store, error) {
	switch {
	case url == "" || url == "memory":
		return memory.New(), nil
	case strings.HasPrefix(url, "sqlite:"):
		s, err := sqlite.Open(ctx, strings.TrimPrefix(url, "sqlite:"))
		if err != nil {
			return nil, err
		}
		return s, migrate(ctx, s)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		s, err := postgres.Open(ctx, url)
		if err != nil {
			return nil, err
		}
		return s, migrate(ctx, s)
	}
	return nil, fmt.Errorf(`unknown store %q: want "" or "memory", "sqlite:PATH" or a postgres:// URL`, url)
}

func migrate(ctx context.Context, s interface {
	storage.Store
	Migrate(context.Context) error
}) error {
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return err
	}
	return nil
}
