package charter

import (
	"context"
	"time"

	"github.com/charterhq/charter/storage"
)

// Retention. A workspace's members, pools and lots are bounded by its plan,
// but two records grow with its life: events (one per change, kept as the
// audit trail and billing feed) and invitations (kept after they are
// accepted, revoked or expired, so that the token of one gets a clear
// refusal). The calls below prune them. Like Events and Sweep, they are for
// trusted workers only (a scheduled job of the embedding service): they take
// no actor and check no permission, so an application must not expose them
// to a user's request.

// PruneEvents deletes the events with Seq <= through, of the workspace with
// id or of every workspace when id is "", and returns how many it deleted.
// Call it with the last Seq that every reader of Events (billing, audit
// export) has processed and kept elsewhere. Sequence numbers are never
// given again, so a reader paging by Seq is unaffected.
func (s *Service) PruneEvents(ctx context.Context, id string, through int64) (int, error) {
	if err := s.check(ctx, isID("workspace", id).orEmpty()); err != nil {
		return 0, err
	}
	var n int
	err := s.update(ctx, func(tx storage.Tx) error {
		var err error
		n, err = tx.DeleteEvents(ctx, id, through)
		return err
	})
	return n, err
}

// PruneInvitations deletes the invitations of the workspace with id (of
// every workspace when id is "") that were created before before and can no
// longer be accepted at before: revoked, used up, or expired. It returns how
// many it deleted. Invitations still open are kept, whatever their age. A
// pruned invitation's token is then refused as unknown (ErrNotFound)
// rather than as revoked, used or expired.
func (s *Service) PruneInvitations(ctx context.Context, id string, before time.Time) (int, error) {
	if err := s.check(ctx, isID("workspace", id).orEmpty()); err != nil {
		return 0, err
	}
	var n int
	err := s.update(ctx, func(tx storage.Tx) error {
		var err error
		n, err = tx.DeleteInvitations(ctx, id, before)
		return err
	})
	return n, err
}
