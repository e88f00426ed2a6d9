package memory

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/charterhq/charter/storage"
)

// This file holds the invitation records of a transaction.

func (t *tx) CreateInvitation(_ context.Context, inv storage.Invitation) error {
	if err := t.check(); err != nil {
		return err
	}
	if _, ok := t.s.workspaces[inv.Workspace]; !ok {
		return notFound("workspace ", inv.Workspace)
	}
	if _, ok := t.s.invitations[inv.ID]; ok {
		return fmt.Errorf("memory: invitation %s %w", inv.ID, storage.ErrExists)
	}
	if _, ok := t.s.byToken[inv.TokenHash]; ok {
		return fmt.Errorf("memory: invitation token %w", storage.ErrExists)
	}
	inv.Projects = clone(inv.Projects)
	inv.Created, inv.Expires = ts(inv.Created), ts(inv.Expires)
	set(t, t.s.invitations, inv.ID, inv)
	set(t, t.s.byToken, inv.TokenHash, inv.ID)
	set(t, inner(t, t.s.invitesOf, inv.Workspace), inv.ID, true)
	if open(inv) {
		set(t, inner(t, t.s.openOf, inv.Workspace), inv.ID, true)
	}
	return nil
}

// open reports whether inv is neither revoked nor used up.
func open(inv storage.Invitation) bool { return !inv.Revoked && inv.Uses < inv.MaxUses }

func (t *tx) Invitation(_ context.Context, ws, id string) (storage.Invitation, error) {
	inv, ok := t.s.invitations[id]
	if !ok || inv.Workspace != ws {
		return storage.Invitation{}, notFound("invitation ", id)
	}
	inv.Projects = clone(inv.Projects)
	return inv, nil
}

func (t *tx) InvitationByToken(ctx context.Context, hash string) (storage.Invitation, error) {
	id, ok := t.s.byToken[hash]
	if !ok {
		return storage.Invitation{}, notFound("invitation")
	}
	inv := t.s.invitations[id]
	inv.Projects = clone(inv.Projects)
	return inv, nil
}

func (t *tx) Invitations(_ context.Context, ws string, after *storage.InvitationKey, limit int) ([]storage.Invitation, error) {
	out := t.invitations(t.s.invitesOf[ws], func(inv storage.Invitation) bool {
		return after == nil || cmp.Or(inv.Created.Compare(after.Created), cmp.Compare(inv.ID, after.ID)) > 0
	})
	return out[:min(len(out), max(limit, 0))], nil
}

func (t *tx) PendingInvitations(_ context.Context, ws string, now time.Time) ([]storage.Invitation, error) {
	return t.invitations(t.s.openOf[ws], func(inv storage.Invitation) bool { return now.Before(inv.Expires) }), nil
}

// invitations returns those of the invitations with ids that keep holds
// for, by creation then ID.
func (t *tx) invitations(ids map[string]bool, keep func(storage.Invitation) bool) []storage.Invitation {
	var out []storage.Invitation
	for id := range ids {
		if inv := t.s.invitations[id]; keep(inv) {
			inv.Projects = clone(inv.Projects)
			out = append(out, inv)
		}
	}
	slices.SortFunc(out, func(a, b storage.Invitation) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (t *tx) UpdateInvitation(_ context.Context, inv storage.Invitation) error {
	if err := t.check(); err != nil {
		return err
	}
	old, ok := t.s.invitations[inv.ID]
	if !ok || old.Workspace != inv.Workspace {
		return notFound("invitation ", inv.ID)
	}
	old.Uses, old.Revoked = inv.Uses, inv.Revoked
	set(t, t.s.invitations, inv.ID, old)
	if open(old) {
		set(t, inner(t, t.s.openOf, old.Workspace), old.ID, true)
	} else {
		del(t, t.s.openOf[old.Workspace], old.ID)
	}
	return nil
}

// Events.
