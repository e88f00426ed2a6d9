package sqlrec

import (
	"encoding/json"
	"fmt"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/internal/accesscache"
	"github.com/charterhq/charter/workspace"
)

// The scanners read a row of the matching column list (WorkspaceCols for
// ScanWorkspace, and so on); the Args functions give the arguments that
// write the columns in the same order, followed by extra, in one slice.

// ScanWorkspace scans a row of WorkspaceCols.
func (d *Dialect[T, L]) ScanWorkspace(s Scanner) (storage.Workspace, error) {
	var w storage.Workspace
	var kind string
	var created, anchor T
	var prefs string
	err := s.Scan(&w.ID, &w.Name, &kind, &w.Plan, &w.Owner, &w.BillingContact, &w.Settings.GuestsDisabled, &w.Logo, &prefs, &created, &anchor, &w.Version)
	if err != nil {
		return w, err
	}
	w.Kind, w.Created, w.Anchor = readKind(kind), d.ReadTime(created), d.ReadTime(anchor)
	w.Preferences, err = d.readPreferences(w.ID, prefs)
	return w, err
}

// readKind reads a workspace's stored kind: an unknown one is 0, which
// denies.
func readKind(s string) workspace.Kind {
	k, _ := workspace.ParseKind(s)
	return k
}

// WorkspaceArgs writes WorkspaceCols but version.
func (d *Dialect[T, L]) WorkspaceArgs(w storage.Workspace) ([]any, error) {
	prefs, err := d.preferences(w)
	if err != nil {
		return nil, err
	}
	return []any{w.ID, w.Name, w.Kind.String(), w.Plan, w.Owner, w.BillingContact, w.Settings.GuestsDisabled, w.Logo, prefs, d.Time(w.Created), d.Time(w.Anchor)}, nil
}

// preferences is the stored form of w's preferences in both dialects: a
// JSON object with its keys sorted, or "" when there are none.
func (d *Dialect[T, L]) preferences(w storage.Workspace) (string, error) {
	if len(w.Preferences) == 0 {
		return "", nil
	}
	b, err := json.Marshal(w.Preferences)
	if err != nil {
		return "", fmt.Errorf("%s: workspace %s: encoding preferences: %w", d.Name, w.ID, err)
	}
	return string(b), nil
}

// readPreferences reads the stored preferences of workspace id: nil when
// there are none.
func (d *Dialect[T, L]) readPreferences(id, s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("%s: stored workspace %s: preferences: %w", d.Name, id, err)
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
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

// ScanLot scans a row of LotCols.
func (d *Dialect[T, L]) ScanLot(s Scanner) (credits.Grant, error) {
	var g credits.Grant
	var source string
	var expires, created T
	if err := s.Scan(&g.ID, &source, &g.Amount, &g.Remaining, &g.Priority, &expires, &created); err != nil {
		return g, err
	}
	g.Expires, g.Created = d.ReadTime(expires), d.ReadTime(created)
	var err error
	if g.Source, err = credits.ParseSource(source); err != nil {
		err = fmt.Errorf("%s: stored lot %s: %w", d.Name, g.ID, err)
	}
	return g, err
}

// LotArgs writes PoolKey and LotCols: g in the pool of currency in ws.
func (d *Dialect[T, L]) LotArgs(ws, currency string, g credits.Grant, extra ...any) []any {
	return append(append(make([]any, 0, 9+len(extra)),
		ws, currency, g.ID, g.Source.String(), g.Amount, g.Remaining, g.Priority, d.Time(g.Expires), d.Time(g.Created)), extra...)
}

// ScanAllowance scans a row of AllowanceCols.
func (d *Dialect[T, L]) ScanAllowance(s Scanner) (credits.Allowance, error) {
	var a credits.Allowance
	err := s.Scan(&a.Member, &a.Amount, &a.Period, &a.Spent)
	return a, err
}

// AllowanceArgs writes PoolKey and AllowanceCols: a in the pool of currency
// in ws.
func (d *Dialect[T, L]) AllowanceArgs(ws, currency string, a credits.Allowance, extra ...any) []any {
	return append(append(make([]any, 0, 6+len(extra)), ws, currency, a.Member, a.Amount, a.Period, a.Spent), extra...)
}

// ScanEntry scans a row of EntryCols.
func (d *Dialect[T, L]) ScanEntry(s Scanner) (storage.Entry, error) {
	var e storage.Entry
	var kind string
	var at, expires T
	if err := s.Scan(&e.Seq, &e.Currency, &kind, &e.Grant, &e.Amount, &e.Member, &e.Action, &e.Key, &e.Period, &at, &expires); err != nil {
		return e, err
	}
	e.Time, e.Expires = d.ReadTime(at), d.ReadTime(expires)
	var err error
	if e.Kind, err = credits.ParseKind(kind); err != nil {
		err = fmt.Errorf("%s: stored journal entry %d: %w", d.Name, e.Seq, err)
	}
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
		kind, prefs  string
	)
	err := s.Scan(&e.Stamp, &w.ID, &w.Name, &kind, &w.Plan, &w.Owner, &w.BillingContact, &w.Settings.GuestsDisabled,
		&w.Logo, &prefs, &created, &anchor, &w.Version, &mUser, &mRole, &mp, &joined, &seat)
	if err != nil {
		return e, err
	}
	w.Kind, w.Created, w.Anchor = readKind(kind), d.ReadTime(created), d.ReadTime(anchor)
	if w.Preferences, err = d.readPreferences(id, prefs); err != nil {
		return e, err
	}
	if mUser == nil {
		return e, nil
	}
	e.Member = storage.Member{Workspace: id, User: *mUser, Role: *mRole, Joined: d.ReadTime(*joined), SeatSince: d.ReadTime(*seat)}
	e.Member.Projects, err = d.ReadList(mp)
	e.OK = err == nil
	return e, err
}
