package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/charterhq/charter/storage"
)

// tx is a storage.Tx on one *sql.Tx.
type tx struct {
	tx     *sql.Tx
	stmts  *stmts   // of the DB tx is on
	missed []string // queries stmts lacked
	write  bool
	done   bool
}

var errReadOnly = errors.New("sqlite: write in a read-only transaction")

// check returns an error unless t may write.
func (t *tx) check() error {
	if t.done {
		return errors.New("sqlite: transaction used after it ended")
	}
	if !t.write {
		return errReadOnly
	}
	return nil
}

func (t *tx) exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	st, ctx, err := t.stmt(ctx, query)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	res, err := st.ExecContext(ctx, args...)
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", op, translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return n, nil
}

// scalar runs query and scans its one row into dst.
func (t *tx) scalar(ctx context.Context, op, query string, args []any, dst ...any) error {
	st, ctx, err := t.stmt(ctx, query)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if err := st.QueryRowContext(ctx, args...).Scan(dst...); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, translate(err))
	}
	return nil
}

func notFound(what string) error {
	return fmt.Errorf("sqlite: %s %w", what, storage.ErrNotFound)
}

// micros and fromMicros convert times to and from their stored form.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(n int64) time.Time { return time.UnixMicro(n).UTC() }

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// projects converts a list of projects to its stored form: a JSON array, or
// NULL when empty.
func projects(p []string) (any, error) {
	if len(p) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

func parseProjects(s sql.NullString) ([]string, error) {
	if !s.Valid || s.String == "" {
		return nil, nil
	}
	var p []string
	if err := json.Unmarshal([]byte(s.String), &p); err != nil {
		return nil, fmt.Errorf("sqlite: stored projects %q: %w", s.String, err)
	}
	if len(p) == 0 {
		return nil, nil
	}
	return p, nil
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// queryAll runs query and scans each row with scan.
func queryAll[T any](ctx context.Context, t *tx, op, query string, scan func(scanner) (T, error), args ...any) ([]T, error) {
	st, ctx, err := t.stmt(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, translate(err))
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, translate(err))
	}
	return out, nil
}

// queryOne runs query and scans its one row; no row is ErrNotFound.
func queryOne[T any](ctx context.Context, t *tx, what, query string, scan func(scanner) (T, error), args ...any) (T, error) {
	st, ctx, err := t.stmt(ctx, query)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	v, err := scan(st.QueryRowContext(ctx, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return v, notFound(what)
	}
	if err != nil {
		return v, fmt.Errorf("sqlite: %s: %w", what, translate(err))
	}
	return v, nil
}

// Workspaces.

const workspaceCols = `id, name, kind, plan, owner, billing_contact, guests_disabled, created, anchor, version`

func scanWorkspace(s scanner) (storage.Workspace, error) {
	var w storage.Workspace
	var created, anchor int64
	err := s.Scan(&w.ID, &w.Name, &w.Kind, &w.Plan, &w.Owner, &w.BillingContact, &w.GuestsDisabled, &created, &anchor, &w.Version)
	w.Created, w.Anchor = fromMicros(created), fromMicros(anchor)
	return w, err
}

func (t *tx) Workspace(ctx context.Context, id string) (storage.Workspace, error) {
	return queryOne(ctx, t, "workspace "+id, `SELECT `+workspaceCols+` FROM workspaces WHERE id = ?`, scanWorkspace, id)
}

func (t *tx) PersonalWorkspace(ctx context.Context, user string) (storage.Workspace, error) {
	return queryOne(ctx, t, "personal workspace of "+user,
		`SELECT `+workspaceCols+` FROM workspaces WHERE owner = ? AND kind = 'personal'`, scanWorkspace, user)
}

func (t *tx) OwnedShared(ctx context.Context, user string) (int, error) {
	var n int
	err := t.scalar(ctx, "shared workspaces of "+user, `SELECT count(*) FROM workspaces WHERE owner = ? AND kind = 'shared'`, []any{user}, &n)
	return n, err
}

func (t *tx) WorkspacesOf(ctx context.Context, user string) ([]storage.Workspace, error) {
	return queryAll(ctx, t, "workspaces of "+user, `SELECT w.id, w.name, w.kind, w.plan, w.owner, w.billing_contact,
		w.guests_disabled, w.created, w.anchor, w.version
		FROM members m JOIN workspaces w ON w.id = m.workspace
		WHERE m.user_id = ? ORDER BY w.id`, scanWorkspace, user)
}

func (t *tx) CreateWorkspace(ctx context.Context, w storage.Workspace) error {
	if err := t.check(); err != nil {
		return err
	}
	_, err := t.exec(ctx, "create workspace "+w.ID, `INSERT INTO workspaces (`+workspaceCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`,
		w.ID, w.Name, w.Kind, w.Plan, w.Owner, w.BillingContact, boolInt(w.GuestsDisabled), micros(w.Created), micros(w.Anchor))
	return err
}

func (t *tx) UpdateWorkspace(ctx context.Context, w storage.Workspace) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "update workspace "+w.ID, `UPDATE workspaces SET name = ?, kind = ?, plan = ?, owner = ?,
		billing_contact = ?, guests_disabled = ?, created = ?, anchor = ?, version = ?
		WHERE id = ? AND version = ?`,
		w.Name, w.Kind, w.Plan, w.Owner, w.BillingContact, boolInt(w.GuestsDisabled), micros(w.Created), micros(w.Anchor), w.Version,
		w.ID, w.Version-1)
	if err != nil || n == 1 {
		return err
	}
	old, err := t.Workspace(ctx, w.ID)
	if err != nil {
		return err
	}
	return fmt.Errorf("sqlite: workspace %s at version %d, update to %d: %w", w.ID, old.Version, w.Version, storage.ErrConflict)
}

func (t *tx) DeleteWorkspace(ctx context.Context, id string) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "delete workspace "+id, `DELETE FROM workspaces WHERE id = ?`, id)
	if err == nil && n == 0 {
		err = notFound("workspace " + id)
	}
	return err
}

// Members.

const memberCols = `workspace, user_id, role, projects, joined, seat_since`

func scanMember(s scanner) (storage.Member, error) {
	var m storage.Member
	var p sql.NullString
	var joined, seat int64
	if err := s.Scan(&m.Workspace, &m.User, &m.Role, &p, &joined, &seat); err != nil {
		return m, err
	}
	m.Joined, m.SeatSince = fromMicros(joined), fromMicros(seat)
	var err error
	m.Projects, err = parseProjects(p)
	return m, err
}

func (t *tx) Member(ctx context.Context, ws, user string) (storage.Member, error) {
	return queryOne(ctx, t, "member "+user+" of "+ws,
		`SELECT `+memberCols+` FROM members WHERE workspace = ? AND user_id = ?`, scanMember, ws, user)
}

func (t *tx) Members(ctx context.Context, ws string) ([]storage.Member, error) {
	return queryAll(ctx, t, "members of "+ws,
		`SELECT `+memberCols+` FROM members WHERE workspace = ? ORDER BY user_id`, scanMember, ws)
}

func (t *tx) PutMember(ctx context.Context, m storage.Member) error {
	if err := t.check(); err != nil {
		return err
	}
	p, err := projects(m.Projects)
	if err != nil {
		return fmt.Errorf("sqlite: put member: %w", err)
	}
	_, err = t.exec(ctx, "put member "+m.User+" of "+m.Workspace, `INSERT INTO members (`+memberCols+`)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace, user_id) DO UPDATE SET role = excluded.role, projects = excluded.projects,
			joined = excluded.joined, seat_since = excluded.seat_since`,
		m.Workspace, m.User, m.Role, p, micros(m.Joined), micros(m.SeatSince))
	return err
}

func (t *tx) DeleteMember(ctx context.Context, ws, user string) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "delete member", `DELETE FROM members WHERE workspace = ? AND user_id = ?`, ws, user)
	if err == nil && n == 0 {
		err = notFound("member " + user + " of " + ws)
	}
	return err
}

// Invitations.

const invitationCols = `id, workspace, is_link, email, role, projects, inviter, token_hash, created, expires, max_uses, uses, revoked`

func scanInvitation(s scanner) (storage.Invitation, error) {
	var inv storage.Invitation
	var p sql.NullString
	var created, expires int64
	if err := s.Scan(&inv.ID, &inv.Workspace, &inv.Link, &inv.Email, &inv.Role, &p, &inv.Inviter, &inv.TokenHash,
		&created, &expires, &inv.MaxUses, &inv.Uses, &inv.Revoked); err != nil {
		return inv, err
	}
	inv.Created, inv.Expires = fromMicros(created), fromMicros(expires)
	var err error
	inv.Projects, err = parseProjects(p)
	return inv, err
}

func (t *tx) CreateInvitation(ctx context.Context, inv storage.Invitation) error {
	if err := t.check(); err != nil {
		return err
	}
	p, err := projects(inv.Projects)
	if err != nil {
		return fmt.Errorf("sqlite: create invitation: %w", err)
	}
	_, err = t.exec(ctx, "create invitation "+inv.ID, `INSERT INTO invitations (`+invitationCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.ID, inv.Workspace, boolInt(inv.Link), inv.Email, inv.Role, p, inv.Inviter, inv.TokenHash,
		micros(inv.Created), micros(inv.Expires), inv.MaxUses, inv.Uses, boolInt(inv.Revoked))
	return err
}

func (t *tx) Invitation(ctx context.Context, ws, id string) (storage.Invitation, error) {
	return queryOne(ctx, t, "invitation "+id,
		`SELECT `+invitationCols+` FROM invitations WHERE workspace = ? AND id = ?`, scanInvitation, ws, id)
}

func (t *tx) InvitationByToken(ctx context.Context, hash string) (storage.Invitation, error) {
	return queryOne(ctx, t, "invitation",
		`SELECT `+invitationCols+` FROM invitations WHERE token_hash = ?`, scanInvitation, hash)
}

func (t *tx) Invitations(ctx context.Context, ws string) ([]storage.Invitation, error) {
	return queryAll(ctx, t, "invitations of "+ws,
		`SELECT `+invitationCols+` FROM invitations WHERE workspace = ? ORDER BY created, id`, scanInvitation, ws)
}

// PendingInvitations reads the partial index invitations_pending, which
// holds only invitations neither revoked nor used up.
func (t *tx) PendingInvitations(ctx context.Context, ws string, now time.Time) ([]storage.Invitation, error) {
	return queryAll(ctx, t, "pending invitations of "+ws,
		`SELECT `+invitationCols+` FROM invitations
		WHERE workspace = ? AND revoked = 0 AND uses < max_uses AND expires > ?
		ORDER BY created, id`, scanInvitation, ws, micros(now))
}

func (t *tx) UpdateInvitation(ctx context.Context, inv storage.Invitation) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "update invitation "+inv.ID, `UPDATE invitations SET uses = ?, revoked = ? WHERE workspace = ? AND id = ?`,
		inv.Uses, boolInt(inv.Revoked), inv.Workspace, inv.ID)
	if err == nil && n == 0 {
		err = notFound("invitation " + inv.ID)
	}
	return err
}

// Events.

func (t *tx) AppendEvent(ctx context.Context, e storage.Event) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	var seq int64
	if err := t.scalar(ctx, "append event", `UPDATE event_seq SET n = n + 1 WHERE id = 1 RETURNING n`, nil, &seq); err != nil {
		return 0, err
	}
	_, err := t.exec(ctx, "append event", `INSERT INTO events
		(seq, workspace, actor, event_type, subject, before_json, after_json, amount, currency, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		seq, e.Workspace, e.Actor, e.Type, e.Subject, e.Before, e.After, e.Amount, e.Currency, micros(e.Time))
	if err != nil {
		return 0, err
	}
	return seq, nil
}

func scanEvent(s scanner) (storage.Event, error) {
	var e storage.Event
	var at int64
	err := s.Scan(&e.Seq, &e.Workspace, &e.Actor, &e.Type, &e.Subject, &e.Before, &e.After, &e.Amount, &e.Currency, &at)
	e.Time = fromMicros(at)
	return e, err
}

func (t *tx) Events(ctx context.Context, ws string, after int64, limit int) ([]storage.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	const cols = `seq, workspace, actor, event_type, subject, before_json, after_json, amount, currency, at`
	if ws == "" {
		return queryAll(ctx, t, "events", `SELECT `+cols+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, scanEvent, after, limit)
	}
	return queryAll(ctx, t, "events of "+ws,
		`SELECT `+cols+` FROM events WHERE workspace = ? AND seq > ? ORDER BY seq LIMIT ?`, scanEvent, ws, after, limit)
}

// Credits.

func scanPool(s scanner) (storage.Pool, error) {
	var p storage.Pool
	var started int64
	err := s.Scan(&p.Workspace, &p.Currency, &started, &p.Period, &p.Version)
	p.Started = started == 1
	return p, err
}

func (t *tx) Pool(ctx context.Context, ws, currency string) (storage.Pool, error) {
	return queryOne(ctx, t, "pool "+currency+" of "+ws,
		`SELECT workspace, currency, started, period, version FROM pools WHERE workspace = ? AND currency = ?`, scanPool, ws, currency)
}

func (t *tx) CreatePool(ctx context.Context, p storage.Pool) error {
	if err := t.check(); err != nil {
		return err
	}
	_, err := t.exec(ctx, "create pool "+p.Currency+" of "+p.Workspace,
		`INSERT INTO pools (workspace, currency, started, period, version) VALUES (?, ?, ?, ?, 1)`, p.Workspace, p.Currency, boolInt(p.Started), p.Period)
	return err
}

func (t *tx) UpdatePool(ctx context.Context, p storage.Pool) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "update pool", `UPDATE pools SET started = ?, period = ?, version = ? WHERE workspace = ? AND currency = ? AND version = ?`,
		boolInt(p.Started), p.Period, p.Version, p.Workspace, p.Currency, p.Version-1)
	if err != nil || n == 1 {
		return err
	}
	old, err := t.Pool(ctx, p.Workspace, p.Currency)
	if err != nil {
		return err
	}
	return fmt.Errorf("sqlite: pool %s of %s at version %d, update to %d: %w", p.Currency, p.Workspace, old.Version, p.Version, storage.ErrConflict)
}

func (t *tx) Pools(ctx context.Context, ws string) ([]storage.Pool, error) {
	return queryAll(ctx, t, "pools of "+ws,
		`SELECT workspace, currency, started, period, version FROM pools WHERE workspace = ? ORDER BY currency`, scanPool, ws)
}

func scanGrant(s scanner) (storage.Grant, error) {
	var g storage.Grant
	var expires, created int64
	err := s.Scan(&g.Workspace, &g.Currency, &g.ID, &g.Source, &g.Amount, &g.Remaining, &g.Priority, &expires, &created)
	g.Expires, g.Created = fromMicros(expires), fromMicros(created)
	return g, err
}

func (t *tx) Grants(ctx context.Context, ws, currency string) ([]storage.Grant, error) {
	return queryAll(ctx, t, "grants", `SELECT workspace, currency, id, source, amount, remaining, priority, expires, created
		FROM grants WHERE workspace = ? AND currency = ? ORDER BY id`, scanGrant, ws, currency)
}

func (t *tx) PutGrant(ctx context.Context, g storage.Grant) error {
	if err := t.check(); err != nil {
		return err
	}
	if g.Remaining < 0 || g.Remaining > g.Amount {
		return fmt.Errorf("sqlite: grant %s remaining %d outside [0, %d]", g.ID, g.Remaining, g.Amount)
	}
	_, err := t.exec(ctx, "put grant "+g.ID, `INSERT INTO grants
		(workspace, currency, id, source, amount, remaining, priority, expires, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace, currency, id) DO UPDATE SET source = excluded.source, amount = excluded.amount,
			remaining = excluded.remaining, priority = excluded.priority, expires = excluded.expires, created = excluded.created`,
		g.Workspace, g.Currency, g.ID, g.Source, g.Amount, g.Remaining, g.Priority, micros(g.Expires), micros(g.Created))
	return err
}

func (t *tx) DeleteGrant(ctx context.Context, ws, currency, id string) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "delete grant "+id, `DELETE FROM grants WHERE workspace = ? AND currency = ? AND id = ?`, ws, currency, id)
	if err == nil && n == 0 {
		err = notFound("grant " + id)
	}
	return err
}

func scanAllowance(s scanner) (storage.Allowance, error) {
	var a storage.Allowance
	err := s.Scan(&a.Workspace, &a.Currency, &a.Member, &a.Amount, &a.Period, &a.Spent)
	return a, err
}

func (t *tx) Allowance(ctx context.Context, ws, currency, member string) (storage.Allowance, error) {
	return queryOne(ctx, t, "allowance of "+member, `SELECT workspace, currency, member, amount, period, spent
		FROM allowances WHERE workspace = ? AND currency = ? AND member = ?`, scanAllowance, ws, currency, member)
}

func (t *tx) Allowances(ctx context.Context, ws, currency string) ([]storage.Allowance, error) {
	return queryAll(ctx, t, "allowances", `SELECT workspace, currency, member, amount, period, spent
		FROM allowances WHERE workspace = ? AND currency = ? ORDER BY member`, scanAllowance, ws, currency)
}

func (t *tx) PutAllowance(ctx context.Context, a storage.Allowance) error {
	if err := t.check(); err != nil {
		return err
	}
	_, err := t.exec(ctx, "put allowance of "+a.Member, `INSERT INTO allowances (workspace, currency, member, amount, period, spent)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (workspace, currency, member) DO UPDATE SET amount = excluded.amount, period = excluded.period, spent = excluded.spent`,
		a.Workspace, a.Currency, a.Member, a.Amount, a.Period, a.Spent)
	return err
}

func (t *tx) DeleteAllowance(ctx context.Context, ws, currency, member string) error {
	if err := t.check(); err != nil {
		return err
	}
	_, err := t.exec(ctx, "delete allowance", `DELETE FROM allowances WHERE workspace = ? AND currency = ? AND member = ?`, ws, currency, member)
	return err
}

func (t *tx) AppendEntries(ctx context.Context, es []storage.Entry) error {
	if err := t.check(); err != nil {
		return err
	}
	for _, e := range es {
		// Writers hold the database lock, so the next number is safe to
		// compute from the journal itself.
		if _, err := t.exec(ctx, "append entry", `INSERT INTO journal
			(workspace, currency, seq, kind, grant_id, amount, member, action_name, idem_key, period, at, expires)
			SELECT ?, ?, coalesce(max(seq), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?
			FROM journal WHERE workspace = ? AND currency = ?`,
			e.Workspace, e.Currency, e.Kind, e.Grant, e.Amount, e.Member, e.Action, e.Key, e.Period, micros(e.Time), micros(e.Expires),
			e.Workspace, e.Currency); err != nil {
			return err
		}
	}
	return nil
}

func scanEntry(s scanner) (storage.Entry, error) {
	var e storage.Entry
	var at, expires int64
	err := s.Scan(&e.Seq, &e.Workspace, &e.Currency, &e.Kind, &e.Grant, &e.Amount, &e.Member, &e.Action, &e.Key, &e.Period, &at, &expires)
	e.Time, e.Expires = fromMicros(at), fromMicros(expires)
	return e, err
}

func (t *tx) Entries(ctx context.Context, ws, currency string, after int64, limit int) ([]storage.Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	return queryAll(ctx, t, "entries", `SELECT seq, workspace, currency, kind, grant_id, amount, member, action_name, idem_key, period, at, expires
		FROM journal WHERE workspace = ? AND currency = ? AND seq > ? ORDER BY seq LIMIT ?`, scanEntry, ws, currency, after, limit)
}

func (t *tx) Idempotency(ctx context.Context, ws, key string) (storage.Idempotency, error) {
	return queryOne(ctx, t, "idempotency key "+key, `SELECT workspace, idem_key, fingerprint, result, created
		FROM idempotency WHERE workspace = ? AND idem_key = ?`, func(s scanner) (storage.Idempotency, error) {
		var r storage.Idempotency
		var created int64
		err := s.Scan(&r.Workspace, &r.Key, &r.Fingerprint, &r.Result, &created)
		r.Created = fromMicros(created)
		return r, err
	}, ws, key)
}

func (t *tx) PutIdempotency(ctx context.Context, r storage.Idempotency) error {
	if err := t.check(); err != nil {
		return err
	}
	_, err := t.exec(ctx, "put idempotency key "+r.Key, `INSERT INTO idempotency (workspace, idem_key, fingerprint, result, created)
		VALUES (?, ?, ?, ?, ?)`, r.Workspace, r.Key, r.Fingerprint, r.Result, micros(r.Created))
	return err
}

var _ storage.Tx = (*tx)(nil)
