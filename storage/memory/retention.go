package memory

import (
	"context"
	"time"

	"github.com/charterhq/charter/storage"
)

func (t *tx) DeleteEvents(_ context.Context, ws string, through int64) (int, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	events, n := t.s.events, 0
	for i := range min(max(through-t.s.eventBase, 0), int64(len(events))) {
		if e := events[i]; e.Seq != 0 && (ws == "" || e.Workspace == ws) {
			events[i] = storage.Event{}
			t.undo = append(t.undo, func() { events[i] = e })
			n++
		}
	}
	// Drop the pruned events at the front, so that their memory goes once
	// the array is next copied.
	k := 0
	for k < len(events) && events[k].Seq == 0 {
		k++
	}
	if k > 0 {
		base := t.s.eventBase
		t.s.events, t.s.eventBase = events[k:], base+int64(k)
		t.undo = append(t.undo, func() { t.s.events, t.s.eventBase = events, base })
	}
	return n, nil
}

func (t *tx) DeleteInvitations(_ context.Context, ws string, before time.Time) (int, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	n := 0
	for id, inv := range t.s.invitations {
		if (ws != "" && inv.Workspace != ws) || !closedBefore(inv, before) {
			continue
		}
		del(t, t.s.invitations, id)
		del(t, t.s.byToken, inv.TokenHash)
		del(t, t.s.invitesOf[inv.Workspace], id)
		del(t, t.s.openOf[inv.Workspace], id)
		n++
	}
	return n, nil
}

// closedBefore reports whether inv was created before t and can no longer
// be accepted at t: revoked, used up or expired.
func closedBefore(inv storage.Invitation, t time.Time) bool {
	return inv.Created.Before(t) && (!open(inv) || !t.Before(inv.Expires))
}
