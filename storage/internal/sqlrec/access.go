package sqlrec

import (
	"context"
	"errors"
	"fmt"

	"github.com/charterhq/charter/storage/internal/accesscache"
)

// Source is the part a backend's Store.Access reads through that both
// backends share: Read, and the errors of a read. The backend embeds it and
// adds Stamp, a query on the hot path that it runs as directly as its driver
// allows, to make an accesscache.Source.
type Source[T, L any] struct {
	D *Dialect[T, L]
	// Row runs query with args outside any transaction (one statement sees
	// one consistent state) and returns its row.
	Row func(ctx context.Context, query string, args ...any) (Scanner, error)
}

// Read reads the workspace, user's membership and the stamp they were read
// at, in one query.
func (s Source[T, L]) Read(ctx context.Context, id, user string) (accesscache.Entry, error) {
	var e accesscache.Entry
	r, err := s.Row(ctx, s.D.Q.Access, user, id)
	if err == nil {
		e, err = s.D.ScanAccess(r, id)
	}
	return e, s.Err(id, err)
}

// Err is the error of a read of workspace id that failed with err: no row
// is storage.ErrNotFound. A nil err is nil.
func (s Source[T, L]) Err(id string, err error) error {
	if errors.Is(err, s.D.NoRows) {
		return s.D.NotFound("workspace " + id)
	}
	if err != nil {
		return fmt.Errorf("%s: access %s: %w", s.D.Name, id, s.D.Translate(err))
	}
	return nil
}
