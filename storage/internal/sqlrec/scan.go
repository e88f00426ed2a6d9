package sqlrec

import (
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/accesscache"
)

// The scanners read a row of the matching column list (WorkspaceCols for
// ScanWorkspace, and so on); the Args functions give the arguments that
// write the columns in the same order, followed by extra, in one slice.

// ScanWorkspace scans a row of WorkspaceCols.
func (d *Dialect[T, L]) ScanWorkspace(s Scanner) (storage.Workspace, error) {
	var w storage.Workspace
	var created, anchor T
	err := s.Scan(&w.ID, &w.Name, &w.Kind, &w.Plan, &w.Owner, &w.BillingContact, &w.GuestsDisabled, &created, &anchor, &w.Version)
	w.Created, w.Anchor = d.ReadTime(created), d.ReadTime(anchor)
	return w, err
}

// WorkspaceArgs writes WorkspaceCols but version.
func (d *Dialect[T, L]) WorkspaceArgs(w storage.Workspace) []any {
	return []any{w.ID, w.Name, w.Kind, w.Plan, w.Owner, w.BillingContact, w.GuestsDisabled, d.Time(w.Created), d.Time(w.Anchor)}
}

// ScanMember scans a row of MemberCols.
func (d *Dialect[T, L]) ScanMember(s Scanner) (storage.Member, error) {
	var m storage.Member
	var p L
	var joined, seat T
	if err := s.Scan(&m.Workspace, &m.User, &m.Role, &p, &joined, &seat); err != nil {
		return m, err
	}
	m.Joined, m.SeatSince = d.ReadTime(joined), d.ReadTime(seat)
	var err error
	m.Projects, err = d.ReadList(p)
	return m, err
}

// MemberArgs writes MemberCols.
func (d *Dialect[T, L]) MemberArgs(m storage.Member, extra ...any) ([]any, error) {
	p, err := d.List(m.Projects)
	if err != nil {
		return nil, err
	}
	return append(append(make([]any, 0, 6+len(extra)), m.Workspace, m.User, m.Role, p, d.Time(m.Joined), d.Time(m.SeatSince)), extra...), nil
}

// ScanInvitation scans a row of InvitationCols.
func (d *Dialect[T, L]) ScanInvitation(s Scanner) (storage.Invitation, error) {
	var inv storage.Invitation
	var p L
	var created, expires T
	if err := s.Scan(&inv.ID, &inv.Workspace, &inv.Link, &inv.Email, &inv.Role, &p, &inv.Inviter, &inv.TokenHash,
		&created, &expires, &inv.MaxUses, &inv.Uses, &inv.Revoked); err != nil {
		return inv, err
	}
	inv.Created, inv.Expires = d.ReadTime(created), d.ReadTime(expires)
	var err error
	inv.Projects, err = d.ReadList(p)
	return inv, err
}

// InvitationArgs writes InvitationCols.
func (d *Dialect[T, L]) InvitationArgs(inv storage.Invitation, extra ...any) ([]any, error) {
	p, err := d.List(inv.Projects)
	if err != nil {
		return nil, err
	}
	return append(append(make([]any, 0, 13+len(extra)), inv.ID, inv.Workspace, inv.Link, inv.Email, inv.Role, p, inv.Inviter, inv.TokenHash,
		d.Time(inv.Created), d.Time(inv.Expires), inv.MaxUses, inv.Uses, inv.Revoked), extra...), nil
}

// ScanEvent scans a row of EventCols.
func (d *Dialect[T, L]) ScanEvent(s Scanner) (storage.Event, error) {
	var e storage.Event
	var at T
	err := s.Scan(&e.Seq, &e.Workspace, &e.Actor, &e.Type, &e.Subject, &e.Before, &e.After, &e.Amount, &e.Currency, &at)
	e.Time = d.ReadTime(at)
	return e, err
}

// EventArgs writes EventCols but seq.
func (d *Dialect[T, L]) EventArgs(e storage.Event) []any {
	return []any{e.Workspace, e.Actor, e.Type, e.Subject, e.Before, e.After, e.Amount, e.Currency, d.Time(e.Time)}
}

// ScanPool scans a row of PoolCols.
func (d *Dialect[T, L]) ScanPool(s Scanner) (storage.Pool, error) {
	var p storage.Pool
	err := s.Scan(&p.Workspace, &p.Currency, &p.Started, &p.Period, &p.Version)
	return p, err
}

// ScanGrant scans a row of GrantCols.
func (d *Dialect[T, L]) ScanGrant(s Scanner) (storage.Grant, error) {
	var g storage.Grant
	var expires, created T
	err := s.Scan(&g.Workspace, &g.Currency, &g.ID, &g.Source, &g.Amount, &g.Remaining, &g.Priority, &expires, &created)
	g.Expires, g.Created = d.ReadTime(expires), d.ReadTime(created)
	return g, err
}

// GrantArgs writes GrantCols.
func (d *Dialect[T, L]) GrantArgs(g storage.Grant, extra ...any) []any {
	return append(append(make([]any, 0, 9+len(extra)),
		g.Workspace, g.Currency, g.ID, g.Source, g.Amount, g.Remaining, g.Priority, d.Time(g.Expires), d.Time(g.Created)), extra...)
}

// ScanAllowance scans a row of AllowanceCols.
func (d *Dialect[T, L]) ScanAllowance(s Scanner) (storage.Allowance, error) {
	var a storage.Allowance
	err := s.Scan(&a.Workspace, &a.Currency, &a.Member, &a.Amount, &a.Period, &a.Spent)
	return a, err
}

// AllowanceArgs writes AllowanceCols.
func (d *Dialect[T, L]) AllowanceArgs(a storage.Allowance, extra ...any) []any {
	return append(append(make([]any, 0, 6+len(extra)), a.Workspace, a.Currency, a.Member, a.Amount, a.Period, a.Spent), extra...)
}

// ScanEntry scans a row of EntryCols.
func (d *Dialect[T, L]) ScanEntry(s Scanner) (storage.Entry, error) {
	var e storage.Entry
	var at, expires T
	err := s.Scan(&e.Seq, &e.Workspace, &e.Currency, &e.Kind, &e.Grant, &e.Amount, &e.Member, &e.Action, &e.Key, &e.Period, &at, &expires)
	e.Time, e.Expires = d.ReadTime(at), d.ReadTime(expires)
	return e, err
}

// ScanIdempotency scans a row of IdempotencyCols.
func (d *Dialect[T, L]) ScanIdempotency(s Scanner) (storage.Idempotency, error) {
	var r storage.Idempotency
	var created T
	err := s.Scan(&r.Workspace, &r.Key, &r.Fingerprint, &r.Result, &created)
	r.Created = d.ReadTime(created)
	return r, err
}

// IdempotencyArgs writes IdempotencyCols.
func (d *Dialect[T, L]) IdempotencyArgs(r storage.Idempotency, extra ...any) []any {
	return append(append(make([]any, 0, 5+len(extra)), r.Workspace, r.Key, r.Fingerprint, r.Result, d.Time(r.Created)), extra...)
}

// ScanAccess scans the row of Statements.Access, read for workspace id:
// the stamp, the workspace and the membership, whose columns are NULL when
// there is none.
func (d *Dialect[T, L]) ScanAccess(s Scanner, id string) (accesscache.Entry, error) {
	var (
		e            accesscache.Entry
		w            = &e.Workspace
		created      T
		anchor       T
		mUser, mRole *string
		mp           L
		joined, seat *T
	)
	err := s.Scan(&e.Stamp, &w.ID, &w.Name, &w.Kind, &w.Plan, &w.Owner, &w.BillingContact, &w.GuestsDisabled,
		&created, &anchor, &w.Version, &mUser, &mRole, &mp, &joined, &seat)
	if err != nil {
		return e, err
	}
	w.Created, w.Anchor = d.ReadTime(created), d.ReadTime(anchor)
	if mUser == nil {
		return e, nil
	}
	e.Member = storage.Member{Workspace: id, User: *mUser, Role: *mRole, Joined: d.ReadTime(*joined), SeatSince: d.ReadTime(*seat)}
	e.Member.Projects, err = d.ReadList(mp)
	e.OK = err == nil
	return e, err
}
