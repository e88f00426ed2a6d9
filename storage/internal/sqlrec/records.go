package sqlrec

import (
	"context"
	"fmt"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// Records implements the methods of storage.Tx that both SQL backends do
// alike, on C in dialect D. A backend embeds it in its transaction type and
// adds AppendEvent and AppendEntries.
type Records[T, L any] struct {
	C Conn
	D *Dialect[T, L]
}

// pick returns the locking form of a read in an Update, the plain one
// otherwise.
func (r *Records[T, L]) pick(plain, locked string) string {
	if r.C.Writable() == nil {
		return locked
	}
	return plain
}

// count runs a query of one count.
func (r *Records[T, L]) count(ctx context.Context, op, query string, args ...any) (int, error) {
	var n int
	_, err := r.C.QueryRow(ctx, op, query, args, ScanFunc(func(s Scanner) error { return s.Scan(&n) }))
	return n, err
}

// Workspaces.

// Workspace reads a workspace, locking it in an Update.
func (r *Records[T, L]) Workspace(ctx context.Context, id string) (storage.Workspace, error) {
	return one(ctx, r.C, r.D, "workspace "+id, r.pick(r.D.Q.Workspace, r.D.Q.WorkspaceLocked), (*Dialect[T, L]).ScanWorkspace, id)
}

// PersonalWorkspace reads user's personal workspace.
func (r *Records[T, L]) PersonalWorkspace(ctx context.Context, user string) (storage.Workspace, error) {
	return one(ctx, r.C, r.D, "personal workspace of "+user, r.D.Q.PersonalWorkspace, (*Dialect[T, L]).ScanWorkspace, user)
}

// OwnedShared counts the shared workspaces user owns.
func (r *Records[T, L]) OwnedShared(ctx context.Context, user string) (int, error) {
	return r.count(ctx, "shared workspaces of "+user, r.D.Q.OwnedShared, user)
}

// WorkspacesOf reads the workspaces user is a member of.
func (r *Records[T, L]) WorkspacesOf(ctx context.Context, user string) ([]storage.Workspace, error) {
	return all(ctx, r.C, r.D, "workspaces of "+user, r.D.Q.WorkspacesOf, (*Dialect[T, L]).ScanWorkspace, user)
}

// WorkspacesOfPage reads a page of a user's workspaces, by the index
// members_user.
func (r *Records[T, L]) WorkspacesOfPage(ctx context.Context, user, after string, limit int) ([]storage.Workspace, error) {
	if limit <= 0 {
		return nil, nil
	}
	return all(ctx, r.C, r.D, "workspaces of "+user, r.D.Q.WorkspacesOfPage, (*Dialect[T, L]).ScanWorkspace, user, after, limit)
}

// CreateWorkspace inserts w at version 1.
func (r *Records[T, L]) CreateWorkspace(ctx context.Context, w storage.Workspace) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	args, err := r.D.WorkspaceArgs(w)
	if err != nil {
		return err
	}
	n, err := r.C.Exec(ctx, "create workspace "+w.ID, r.D.Q.CreateWorkspace, args...)
	if err == nil && n == 0 {
		err = r.D.Exists("workspace " + w.ID + " or personal workspace of " + w.Owner)
	}
	return err
}

// UpdateWorkspace saves w at the version after the stored one.
func (r *Records[T, L]) UpdateWorkspace(ctx context.Context, w storage.Workspace) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	d := r.D
	prefs, err := d.preferences(w)
	if err != nil {
		return err
	}
	n, err := r.C.Exec(ctx, "update workspace "+w.ID, d.Q.UpdateWorkspace,
		w.Name, w.Kind.String(), w.Plan, w.Owner, w.BillingContact, w.Settings.GuestsDisabled, w.Logo, prefs, d.Time(w.Created), d.Time(w.Anchor), w.Version,
		w.ID, w.Version-1, w.Kind.String(), w.Owner, w.ID)
	if err != nil || n == 1 {
		return err
	}
	old, err := r.Workspace(ctx, w.ID)
	if err != nil {
		return err
	}
	if old.Version != w.Version-1 {
		return fmt.Errorf("%s: workspace %s at version %d, update to %d: %w", d.Name, w.ID, old.Version, w.Version, storage.ErrConflict)
	}
	return d.Exists("personal workspace of " + w.Owner)
}

// DeleteWorkspace deletes a workspace and what it owns.
func (r *Records[T, L]) DeleteWorkspace(ctx context.Context, id string) error {
	return r.delete(ctx, "workspace "+id, r.D.Q.DeleteWorkspace, id)
}

// delete runs a DELETE that must delete a row: none is ErrNotFound.
func (r *Records[T, L]) delete(ctx context.Context, what, query string, args ...any) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	n, err := r.C.Exec(ctx, "delete "+what, query, args...)
	if err == nil && n == 0 {
		err = r.D.NotFound(what)
	}
	return err
}

// workspaceMissing tells why an insert guarded by its workspace's
// existence inserted nothing: the workspace is gone (ErrNotFound), or the
// key what is taken (ErrExists).
func (r *Records[T, L]) workspaceMissing(ctx context.Context, ws, what string) error {
	n, err := r.count(ctx, "workspace "+ws, r.D.Q.WorkspaceExists, ws)
	switch {
	case err != nil:
		return err
	case n == 0:
		return r.D.NotFound("workspace " + ws)
	}
	return r.D.Exists(what)
}

// Members.

// Member reads a membership.
func (r *Records[T, L]) Member(ctx context.Context, ws, user string) (storage.Member, error) {
	return one(ctx, r.C, r.D, "member "+user+" of "+ws, r.D.Q.Member, (*Dialect[T, L]).ScanMember, ws, user)
}

// Members reads a workspace's members.
func (r *Records[T, L]) Members(ctx context.Context, ws string) ([]storage.Member, error) {
	return all(ctx, r.C, r.D, "members of "+ws, r.D.Q.Members, (*Dialect[T, L]).ScanMember, ws)
}

// MembersPage reads a page of a workspace's members, by its primary key.
func (r *Records[T, L]) MembersPage(ctx context.Context, ws, after string, limit int) ([]storage.Member, error) {
	if limit <= 0 {
		return nil, nil
	}
	return all(ctx, r.C, r.D, "members of "+ws, r.D.Q.MembersPage, (*Dialect[T, L]).ScanMember, ws, after, limit)
}

// PutMember inserts or replaces a membership.
func (r *Records[T, L]) PutMember(ctx context.Context, m storage.Member) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	args, err := r.D.MemberArgs(m, m.Workspace)
	if err != nil {
		return fmt.Errorf("%s: put member: %w", r.D.Name, err)
	}
	n, err := r.C.Exec(ctx, "put member "+m.User+" of "+m.Workspace, r.D.Q.PutMember, args...)
	if err == nil && n == 0 {
		err = r.D.NotFound("workspace " + m.Workspace)
	}
	return err
}

// DeleteMember deletes a membership.
func (r *Records[T, L]) DeleteMember(ctx context.Context, ws, user string) error {
	return r.delete(ctx, "member "+user+" of "+ws, r.D.Q.DeleteMember, ws, user)
}

// roleCount is one row of RoleCounts.
type roleCount struct {
	role string
	n    int
}

// RoleCounts reads how many members hold each role, from the counts the
// schema's triggers keep.
func (r *Records[T, L]) RoleCounts(ctx context.Context, ws string) (map[string]int, error) {
	rows, err := all(ctx, r.C, r.D, "role counts of "+ws, r.D.Q.RoleCounts, func(_ *Dialect[T, L], s Scanner) (roleCount, error) {
		var c roleCount
		var n int64
		err := s.Scan(&c.role, &n)
		c.n = int(n)
		return c, err
	}, ws)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, r.D.NotFound("workspace " + ws)
	}
	out := make(map[string]int, len(rows))
	for _, c := range rows {
		if c.n > 0 {
			out[c.role] = c.n
		}
	}
	return out, nil
}

// FirstMembers reads up to limit of the members holding role, earliest
// first, by the index members_role.
func (r *Records[T, L]) FirstMembers(ctx context.Context, ws, role string, limit int) ([]storage.Member, error) {
	if limit <= 0 {
		return nil, nil
	}
	return all(ctx, r.C, r.D, "first members of "+ws, r.D.Q.FirstMembers, (*Dialect[T, L]).ScanMember, ws, role, limit)
}

// Invitations.

// CreateInvitation inserts inv.
func (r *Records[T, L]) CreateInvitation(ctx context.Context, inv storage.Invitation) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	args, err := r.D.InvitationArgs(inv, inv.Workspace)
	if err != nil {
		return fmt.Errorf("%s: create invitation: %w", r.D.Name, err)
	}
	n, err := r.C.Exec(ctx, "create invitation "+inv.ID, r.D.Q.CreateInvitation, args...)
	if err != nil || n == 1 {
		return err
	}
	return r.workspaceMissing(ctx, inv.Workspace, "invitation "+inv.ID+" or its token")
}

// Invitation reads an invitation by ID.
func (r *Records[T, L]) Invitation(ctx context.Context, ws, id string) (storage.Invitation, error) {
	return one(ctx, r.C, r.D, "invitation "+id, r.D.Q.Invitation, (*Dialect[T, L]).ScanInvitation, ws, id)
}

// InvitationByToken reads an invitation by its token's hash.
func (r *Records[T, L]) InvitationByToken(ctx context.Context, hash string) (storage.Invitation, error) {
	return one(ctx, r.C, r.D, "invitation", r.D.Q.InvitationByToken, (*Dialect[T, L]).ScanInvitation, hash)
}

// PendingInvitations reads a workspace's invitations that can still be
// accepted at now.
func (r *Records[T, L]) PendingInvitations(ctx context.Context, ws string, now time.Time) ([]storage.Invitation, error) {
	return all(ctx, r.C, r.D, "pending invitations of "+ws, r.D.Q.PendingInvitations, (*Dialect[T, L]).ScanInvitation, ws, r.D.Time(now))
}

// UpdateInvitation saves an invitation's uses and revocation.
func (r *Records[T, L]) UpdateInvitation(ctx context.Context, inv storage.Invitation) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	n, err := r.C.Exec(ctx, "update invitation "+inv.ID, r.D.Q.UpdateInvitation, inv.Uses, inv.Revoked, inv.Workspace, inv.ID)
	if err == nil && n == 0 {
		err = r.D.NotFound("invitation " + inv.ID)
	}
	return err
}

// Events reads up to limit events after a sequence number.
func (r *Records[T, L]) Events(ctx context.Context, ws string, after int64, limit int) ([]storage.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	if ws == "" {
		return all(ctx, r.C, r.D, "events", r.D.Q.Events, (*Dialect[T, L]).ScanEvent, after, limit)
	}
	return all(ctx, r.C, r.D, "events of "+ws, r.D.Q.EventsOf, (*Dialect[T, L]).ScanEvent, ws, after, limit)
}

// Credits.

// Pool reads a pool's header, locking it in an Update.
func (r *Records[T, L]) Pool(ctx context.Context, ws, currency string) (storage.Pool, error) {
	return one(ctx, r.C, r.D, "pool "+currency+" of "+ws, r.pick(r.D.Q.Pool, r.D.Q.PoolLocked), (*Dialect[T, L]).ScanPool, ws, currency)
}

// CreatePool inserts p at version 1.
func (r *Records[T, L]) CreatePool(ctx context.Context, p storage.Pool) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	n, err := r.C.Exec(ctx, "create pool "+p.Currency+" of "+p.Workspace, r.D.Q.CreatePool, p.Workspace, p.Currency, p.Started, p.Period, p.Workspace)
	if err != nil || n == 1 {
		return err
	}
	return r.workspaceMissing(ctx, p.Workspace, "pool "+p.Currency+" of "+p.Workspace)
}

// UpdatePool saves p at the version after the stored one.
func (r *Records[T, L]) UpdatePool(ctx context.Context, p storage.Pool) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	n, err := r.C.Exec(ctx, "update pool", r.D.Q.UpdatePool, p.Started, p.Period, p.Version, p.Workspace, p.Currency, p.Version-1)
	if err != nil || n == 1 {
		return err
	}
	return r.StalePool(ctx, p)
}

// StalePool is the error of an update to p that changed no row: the pool is
// gone (ErrNotFound) or at another version (ErrConflict).
func (r *Records[T, L]) StalePool(ctx context.Context, p storage.Pool) error {
	old, err := r.Pool(ctx, p.Workspace, p.Currency)
	if err != nil {
		return err
	}
	return fmt.Errorf("%s: pool %s of %s at version %d, update to %d: %w", r.D.Name, p.Currency, p.Workspace, old.Version, p.Version, storage.ErrConflict)
}

// Pools reads a workspace's pools.
func (r *Records[T, L]) Pools(ctx context.Context, ws string) ([]storage.Pool, error) {
	return all(ctx, r.C, r.D, "pools of "+ws, r.D.Q.Pools, (*Dialect[T, L]).ScanPool, ws)
}

// Grants reads a pool's lots.
func (r *Records[T, L]) Grants(ctx context.Context, ws, currency string) ([]credits.Grant, error) {
	return all(ctx, r.C, r.D, "grants", r.D.Q.Grants, (*Dialect[T, L]).ScanLot, ws, currency)
}

// PutGrant inserts or replaces a lot.
func (r *Records[T, L]) PutGrant(ctx context.Context, ws, currency string, g credits.Grant) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	if g.Remaining < 0 || g.Remaining > g.Amount {
		return fmt.Errorf("%s: grant %s remaining %d outside [0, %d]", r.D.Name, g.ID, g.Remaining, g.Amount)
	}
	n, err := r.C.Exec(ctx, "put grant "+g.ID, r.D.Q.PutGrant, r.D.LotArgs(ws, currency, g, ws, currency)...)
	if err == nil && n == 0 {
		err = r.D.NotFound("pool " + currency + " of " + ws)
	}
	return err
}

// DeleteGrant deletes a lot.
func (r *Records[T, L]) DeleteGrant(ctx context.Context, ws, currency, id string) error {
	return r.delete(ctx, "grant "+id, r.D.Q.DeleteGrant, ws, currency, id)
}

// Allowance reads a member's allowance.
func (r *Records[T, L]) Allowance(ctx context.Context, ws, currency, member string) (credits.Allowance, error) {
	return one(ctx, r.C, r.D, "allowance of "+member, r.D.Q.Allowance, (*Dialect[T, L]).ScanAllowance, ws, currency, member)
}

// Allowances reads a pool's allowances.
func (r *Records[T, L]) Allowances(ctx context.Context, ws, currency string) ([]credits.Allowance, error) {
	return all(ctx, r.C, r.D, "allowances", r.D.Q.Allowances, (*Dialect[T, L]).ScanAllowance, ws, currency)
}

// PutAllowance inserts or replaces an allowance.
func (r *Records[T, L]) PutAllowance(ctx context.Context, ws, currency string, a credits.Allowance) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	n, err := r.C.Exec(ctx, "put allowance of "+a.Member, r.D.Q.PutAllowance, r.D.AllowanceArgs(ws, currency, a, ws)...)
	if err == nil && n == 0 {
		err = r.D.NotFound("workspace " + ws)
	}
	return err
}

// DeleteAllowance deletes an allowance, if there is one.
func (r *Records[T, L]) DeleteAllowance(ctx context.Context, ws, currency, member string) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	_, err := r.C.Exec(ctx, "delete allowance", r.D.Q.DeleteAllowance, ws, currency, member)
	return err
}

// Entries reads up to limit journal entries of a pool after a sequence
// number.
func (r *Records[T, L]) Entries(ctx context.Context, ws, currency string, after int64, limit int) ([]storage.Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	return all(ctx, r.C, r.D, "entries", r.D.Q.Entries, (*Dialect[T, L]).ScanEntry, ws, currency, after, limit)
}

// Idempotency reads the record of a key.
func (r *Records[T, L]) Idempotency(ctx context.Context, ws, key string) (storage.Idempotency, error) {
	return one(ctx, r.C, r.D, "idempotency key "+key, r.D.Q.Idempotency, (*Dialect[T, L]).ScanIdempotency, ws, key)
}

// PutIdempotency inserts the record of a key.
func (r *Records[T, L]) PutIdempotency(ctx context.Context, rec storage.Idempotency) error {
	if err := r.C.Writable(); err != nil {
		return err
	}
	n, err := r.C.Exec(ctx, "put idempotency key "+rec.Key, r.D.Q.PutIdempotency, r.D.IdempotencyArgs(rec, rec.Workspace)...)
	if err != nil || n == 1 {
		return err
	}
	return r.workspaceMissing(ctx, rec.Workspace, "idempotency key "+rec.Key)
}
