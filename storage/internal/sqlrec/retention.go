package sqlrec

import (
	"context"
	"time"
)

// RetentionStatements delete what a workspace's life leaves behind:
// events a reader has processed, invitations that can no longer be
// accepted.
type RetentionStatements struct {
	DeleteEvents, DeleteEventsOf           string // [workspace,] through
	DeleteInvitations, DeleteInvitationsOf string // [workspace,] before, before
}

func retentionStatements(bind func(string) string) RetentionStatements {
	const closed = ` created < ? AND (revoked <> FALSE OR uses >= max_uses OR expires <= ?)`
	q := RetentionStatements{
		DeleteEvents:        `DELETE FROM events WHERE seq <= ?`,
		DeleteEventsOf:      `DELETE FROM events WHERE workspace = ? AND seq <= ?`,
		DeleteInvitations:   `DELETE FROM invitations WHERE` + closed,
		DeleteInvitationsOf: `DELETE FROM invitations WHERE workspace = ? AND` + closed,
	}
	for _, p := range []*string{&q.DeleteEvents, &q.DeleteEventsOf, &q.DeleteInvitations, &q.DeleteInvitationsOf} {
		*p = bind(*p)
	}
	return q
}

// deleteMany runs a DELETE and returns how many rows it deleted.
func (r *Records[T, L]) deleteMany(ctx context.Context, op, query string, args ...any) (int, error) {
	if err := r.C.Writable(); err != nil {
		return 0, err
	}
	n, err := r.C.Exec(ctx, op, query, args...)
	return int(n), err
}

// DeleteEvents deletes the events through seq through, of one workspace or
// of all.
func (r *Records[T, L]) DeleteEvents(ctx context.Context, ws string, through int64) (int, error) {
	if ws == "" {
		return r.deleteMany(ctx, "delete events", r.D.R.DeleteEvents, through)
	}
	return r.deleteMany(ctx, "delete events of "+ws, r.D.R.DeleteEventsOf, ws, through)
}

// DeleteInvitations deletes the invitations created before before that
// can no longer be accepted then, of one workspace or of all.
func (r *Records[T, L]) DeleteInvitations(ctx context.Context, ws string, before time.Time) (int, error) {
	t := r.D.Time(before)
	if ws == "" {
		return r.deleteMany(ctx, "delete invitations", r.D.R.DeleteInvitations, t, t)
	}
	return r.deleteMany(ctx, "delete invitations of "+ws, r.D.R.DeleteInvitationsOf, ws, t, t)
}
