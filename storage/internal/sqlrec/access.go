package sqlrec

import (
	"context"
	"errors"
	"fmt"

	"github.com/charterhq/charter/storage/internal/accesscache"
)

// Source is the accesscache.Source of a backend's Store.Access: Row runs
// one query outside any transaction (one statement sees one consistent
// state) and returns its row.
type Source[T, L any] struct {
	D   *Dialect[T, L]
	Row func(ctx context.Context, query string, args ...any) (Scanner, error)
}

// Stamp reads the access stamp of the workspace with id.
func (s Source[T, L]) Stamp(ctx context.Context, id string) (int64, error) {
	var n int64
	err := s.scan(ctx, id, s.D.Q.Stamp, []any{id}, func(r Scanner) error { return r.Scan(&n) })
	return n, err
}

// Read reads the workspace, user's membership and the stamp they were read
// at, in one query.
func (s Source[T, L]) Read(ctx context.Context, id, user string) (accesscache.Entry, error) {
	var e accesscache.Entry
	err := s.scan(ctx, id, s.D.Q.Access, []any{user, id}, func(r Scanner) (err error) {
		e, err = s.D.ScanAccess(r, id)
		return err
	})
	return e, err
}

func (s Source[T, L]) scan(ctx context.Context, id, query string, args []any, scan func(Scanner) error) error {
	r, err := s.Row(ctx, query, args...)
	if err == nil {
		err = scan(r)
	}
	if errors.Is(err, s.D.NoRows) {
		return s.D.NotFound("workspace " + id)
	}
	if err != nil {
		return fmt.Errorf("%s: access %s: %w", s.D.Name, id, s.D.Translate(err))
	}
	return nil
}
