package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/charterhq/charter/storage"
)

// tx is a storage.Tx on one pooled connection.
//
// Expected failures (a taken key, a missing row, a stale version) are found
// without a failing statement (ON CONFLICT DO NOTHING, INSERT ... SELECT ...
// WHERE EXISTS, conditional UPDATE), because a failed statement aborts the
// whole PostgreSQL transaction and fn may want to carry on. SaveLedger is
// the exception its contract allows.
//
// Round trips. Every statement goes to the server in a batch (see batch),
// and a batch carries more than its own statements: the transaction's
// BEGIN goes with the first one, and a deferred SaveLedger goes with the
// next one or with the COMMIT. A spend is then three round trips: access,
// ledger, and the ledger's writes with the COMMIT.
type tx struct {
	conn  *pgxpool.Conn
	begin string // the BEGIN statement, sent with the first batch
	begun bool   // whether BEGIN was sent
	write bool
	done  bool
	// pending is a SaveLedger whose statements wait for the next batch.
	pending *deferred
	// err is the first batch's failure. Expected outcomes (a missing row,
	// a taken key) never fail a batch, so after one the transaction is
	// unusable even where the server would carry on (a batch the driver
	// could not send): every later call returns err, and it is never
	// committed.
	err error
}

// deferred is a batch's worth of statements to send with the next one:
// check reads their results.
type deferred struct {
	op      string
	queries []*pgx.QueuedQuery
	check   func(pgx.BatchResults) error
}

var errReadOnly = errors.New("postgres: write in a read-only transaction")

// check returns an error unless t may write.
func (t *tx) check() error {
	if t.done {
		return errors.New("postgres: transaction used after it ended")
	}
	if !t.write {
		return errReadOnly
	}
	return nil
}

// batch sends b, with BEGIN before it if the transaction has not begun and
// the pending SaveLedger's statements, and runs read on b's results. An
// error is wrapped with op, or with the pending SaveLedger's op when it
// failed.
func (t *tx) batch(ctx context.Context, op string, b *pgx.Batch, read func(pgx.BatchResults) error) (err error) {
	switch {
	case t.done:
		return errors.New("postgres: transaction used after it ended")
	case t.err != nil:
		return t.err
	}
	defer func() { t.err = err }()
	full := &pgx.Batch{}
	begin := !t.begun
	if begin {
		full.Queue(t.begin)
		t.begun = true // a failed BEGIN is harmless to roll back
	}
	pend := t.pending
	t.pending = nil
	if pend != nil {
		full.QueuedQueries = append(full.QueuedQueries, pend.queries...)
	}
	full.QueuedQueries = append(full.QueuedQueries, b.QueuedQueries...)
	br := t.conn.SendBatch(ctx, full)
	err = func() error {
		if begin {
			if _, err := br.Exec(); err != nil {
				return fmt.Errorf("postgres: begin: %w", translate(err))
			}
		}
		if pend != nil {
			if err := pend.check(br); err != nil {
				return fmt.Errorf("postgres: %s: %w", pend.op, translate(err))
			}
		}
		if err := read(br); err != nil {
			return fmt.Errorf("postgres: %s: %w", op, translate(err))
		}
		return nil
	}()
	if cerr := br.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("postgres: %s: %w", op, translate(cerr))
	}
	return err
}

// one is a batch of one statement.
func one(query string, args ...any) *pgx.Batch {
	b := &pgx.Batch{}
	b.Queue(query, args...)
	return b
}

func (t *tx) exec(ctx context.Context, op, query string, args ...any) (int64, error) {
	var n int64
	err := t.batch(ctx, op, one(query, args...), func(br pgx.BatchResults) error {
		tag, err := br.Exec()
		n = tag.RowsAffected()
		return err
	})
	return n, err
}

// scalar runs query and scans its one row into dst.
func (t *tx) scalar(ctx context.Context, op, query string, args []any, dst ...any) error {
	return t.batch(ctx, op, one(query, args...), func(br pgx.BatchResults) error { return br.QueryRow().Scan(dst...) })
}

// exists reports whether query returns a row.
func (t *tx) exists(ctx context.Context, op, query string, args ...any) (bool, error) {
	var ok bool
	err := t.scalar(ctx, op, `SELECT EXISTS (`+query+`)`, args, &ok)
	return ok, err
}

func (t *tx) workspaceExists(ctx context.Context, id string) (bool, error) {
	return t.exists(ctx, "workspace "+id, `SELECT 1 FROM workspaces WHERE id = $1`, id)
}

func notFound(what string) error {
	return fmt.Errorf("postgres: %s %w", what, storage.ErrNotFound)
}

func exists(what string) error {
	return fmt.Errorf("postgres: %s %w", what, storage.ErrExists)
}

// utc converts a time read from the database to UTC.
func utc(t time.Time) time.Time { return t.UTC() }

// projects normalises a list of projects: empty is nil (NULL).
func projects(p []string) []string {
	if len(p) == 0 {
		return nil
	}
	return p
}

// queryAll runs query and scans each row with scan.
func queryAll[T any](ctx context.Context, t *tx, op, query string, scan func(pgx.Row) (T, error), args ...any) ([]T, error) {
	var out []T
	err := t.batch(ctx, op, one(query, args...), func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		out, err = all(rows, scan)
		return err
	})
	return out, err
}

// queryOne runs query and scans its one row; no row is ErrNotFound.
func queryOne[T any](ctx context.Context, t *tx, what, query string, scan func(pgx.Row) (T, error), args ...any) (T, error) {
	var v *T
	err := t.batch(ctx, what, one(query, args...), func(br pgx.BatchResults) (err error) {
		v, err = optional(br.QueryRow(), scan)
		return err
	})
	switch {
	case err != nil:
		var zero T
		return zero, err
	case v == nil:
		var zero T
		return zero, notFound(what)
	}
	return *v, nil
}

// forUpdate is the locking clause of reads that lock in an Update.
func (t *tx) forUpdate() string {
	if t.write {
		return ` FOR UPDATE`
	}
	return ``
}

// Workspaces.

const workspaceCols = `id, name, kind, plan, owner, billing_contact, guests_disabled, created, anchor, version`

func scanWorkspace(r pgx.Row) (storage.Workspace, error) {
	var w storage.Workspace
	err := r.Scan(&w.ID, &w.Name, &w.Kind, &w.Plan, &w.Owner, &w.BillingContact, &w.GuestsDisabled, &w.Created, &w.Anchor, &w.Version)
	w.Created, w.Anchor = utc(w.Created), utc(w.Anchor)
	return w, err
}

func (t *tx) Workspace(ctx context.Context, id string) (storage.Workspace, error) {
	return queryOne(ctx, t, "workspace "+id, `SELECT `+workspaceCols+` FROM workspaces WHERE id = $1`+t.forUpdate(), scanWorkspace, id)
}

func (t *tx) PersonalWorkspace(ctx context.Context, user string) (storage.Workspace, error) {
	return queryOne(ctx, t, "personal workspace of "+user,
		`SELECT `+workspaceCols+` FROM workspaces WHERE owner = $1 AND kind = 'personal'`, scanWorkspace, user)
}

func (t *tx) OwnedShared(ctx context.Context, user string) (int, error) {
	var n int
	err := t.scalar(ctx, "shared workspaces of "+user, `SELECT count(*) FROM workspaces WHERE owner = $1 AND kind = 'shared'`, []any{user}, &n)
	if err != nil {
		return 0, fmt.Errorf("postgres: owned shared workspaces: %w", translate(err))
	}
	return n, nil
}

func (t *tx) WorkspacesOf(ctx context.Context, user string) ([]storage.Workspace, error) {
	return queryAll(ctx, t, "workspaces of "+user, `SELECT w.id, w.name, w.kind, w.plan, w.owner, w.billing_contact,
		w.guests_disabled, w.created, w.anchor, w.version
		FROM members m JOIN workspaces w ON w.id = m.workspace
		WHERE m.user_id = $1 ORDER BY w.id`, scanWorkspace, user)
}

func (t *tx) CreateWorkspace(ctx context.Context, w storage.Workspace) error {
	if err := t.check(); err != nil {
		return err
	}
	// With no conflict target, DO NOTHING covers the ID and the
	// one-personal-workspace index alike.
	n, err := t.exec(ctx, "create workspace "+w.ID, `INSERT INTO workspaces (`+workspaceCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) ON CONFLICT DO NOTHING`,
		w.ID, w.Name, w.Kind, w.Plan, w.Owner, w.BillingContact, w.GuestsDisabled, w.Created, w.Anchor)
	if err == nil && n == 0 {
		err = exists("workspace " + w.ID + " or personal workspace of " + w.Owner)
	}
	return err
}

func (t *tx) UpdateWorkspace(ctx context.Context, w storage.Workspace) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "update workspace "+w.ID, `UPDATE workspaces SET name = $1, kind = $2, plan = $3, owner = $4,
		billing_contact = $5, guests_disabled = $6, created = $7, anchor = $8, version = $9
		WHERE id = $10 AND version = $9 - 1
		AND NOT ($2 = 'personal' AND EXISTS (
			SELECT 1 FROM workspaces o WHERE o.owner = $4 AND o.kind = 'personal' AND o.id <> $10))`,
		w.Name, w.Kind, w.Plan, w.Owner, w.BillingContact, w.GuestsDisabled, w.Created, w.Anchor, w.Version, w.ID)
	if err != nil || n == 1 {
		return err
	}
	old, err := t.Workspace(ctx, w.ID)
	if err != nil {
		return err
	}
	if old.Version != w.Version-1 {
		return fmt.Errorf("postgres: workspace %s at version %d, update to %d: %w", w.ID, old.Version, w.Version, storage.ErrConflict)
	}
	return exists("personal workspace of " + w.Owner)
}

func (t *tx) DeleteWorkspace(ctx context.Context, id string) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "delete workspace "+id, `DELETE FROM workspaces WHERE id = $1`, id)
	if err == nil && n == 0 {
		err = notFound("workspace " + id)
	}
	return err
}

// Members.

const memberCols = `workspace, user_id, role, projects, joined, seat_since`

func scanMember(r pgx.Row) (storage.Member, error) {
	var m storage.Member
	err := r.Scan(&m.Workspace, &m.User, &m.Role, &m.Projects, &m.Joined, &m.SeatSince)
	m.Joined, m.SeatSince, m.Projects = utc(m.Joined), utc(m.SeatSince), projects(m.Projects)
	return m, err
}

func (t *tx) Member(ctx context.Context, ws, user string) (storage.Member, error) {
	return queryOne(ctx, t, "member "+user+" of "+ws,
		`SELECT `+memberCols+` FROM members WHERE workspace = $1 AND user_id = $2`, scanMember, ws, user)
}

func (t *tx) Members(ctx context.Context, ws string) ([]storage.Member, error) {
	return queryAll(ctx, t, "members of "+ws,
		`SELECT `+memberCols+` FROM members WHERE workspace = $1 ORDER BY user_id`, scanMember, ws)
}

func (t *tx) PutMember(ctx context.Context, m storage.Member) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "put member "+m.User+" of "+m.Workspace, `INSERT INTO members (`+memberCols+`)
		SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = $1)
		ON CONFLICT (workspace, user_id) DO UPDATE SET role = excluded.role, projects = excluded.projects,
			joined = excluded.joined, seat_since = excluded.seat_since`,
		m.Workspace, m.User, m.Role, projects(m.Projects), m.Joined, m.SeatSince)
	if err == nil && n == 0 {
		err = notFound("workspace " + m.Workspace)
	}
	return err
}

func (t *tx) DeleteMember(ctx context.Context, ws, user string) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "delete member", `DELETE FROM members WHERE workspace = $1 AND user_id = $2`, ws, user)
	if err == nil && n == 0 {
		err = notFound("member " + user + " of " + ws)
	}
	return err
}

// Invitations.

const invitationCols = `id, workspace, is_link, email, role, projects, inviter, token_hash, created, expires, max_uses, uses, revoked`

func scanInvitation(r pgx.Row) (storage.Invitation, error) {
	var inv storage.Invitation
	err := r.Scan(&inv.ID, &inv.Workspace, &inv.Link, &inv.Email, &inv.Role, &inv.Projects, &inv.Inviter, &inv.TokenHash,
		&inv.Created, &inv.Expires, &inv.MaxUses, &inv.Uses, &inv.Revoked)
	inv.Created, inv.Expires, inv.Projects = utc(inv.Created), utc(inv.Expires), projects(inv.Projects)
	return inv, err
}

func (t *tx) CreateInvitation(ctx context.Context, inv storage.Invitation) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "create invitation "+inv.ID, `INSERT INTO invitations (`+invitationCols+`)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13
		WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = $2)
		ON CONFLICT DO NOTHING`,
		inv.ID, inv.Workspace, inv.Link, inv.Email, inv.Role, projects(inv.Projects), inv.Inviter, inv.TokenHash,
		inv.Created, inv.Expires, inv.MaxUses, inv.Uses, inv.Revoked)
	if err != nil || n == 1 {
		return err
	}
	if ok, err := t.workspaceExists(ctx, inv.Workspace); err != nil {
		return err
	} else if !ok {
		return notFound("workspace " + inv.Workspace)
	}
	return exists("invitation " + inv.ID + " or its token")
}

func (t *tx) Invitation(ctx context.Context, ws, id string) (storage.Invitation, error) {
	return queryOne(ctx, t, "invitation "+id,
		`SELECT `+invitationCols+` FROM invitations WHERE workspace = $1 AND id = $2`, scanInvitation, ws, id)
}

func (t *tx) InvitationByToken(ctx context.Context, hash string) (storage.Invitation, error) {
	return queryOne(ctx, t, "invitation",
		`SELECT `+invitationCols+` FROM invitations WHERE token_hash = $1`, scanInvitation, hash)
}

func (t *tx) Invitations(ctx context.Context, ws string) ([]storage.Invitation, error) {
	return queryAll(ctx, t, "invitations of "+ws,
		`SELECT `+invitationCols+` FROM invitations WHERE workspace = $1 ORDER BY created, id`, scanInvitation, ws)
}

// PendingInvitations reads the partial index invitations_pending, which
// holds only invitations neither revoked nor used up.
func (t *tx) PendingInvitations(ctx context.Context, ws string, now time.Time) ([]storage.Invitation, error) {
	return queryAll(ctx, t, "pending invitations of "+ws,
		`SELECT `+invitationCols+` FROM invitations
		WHERE workspace = $1 AND NOT revoked AND uses < max_uses AND expires > $2
		ORDER BY created, id`, scanInvitation, ws, now)
}

func (t *tx) UpdateInvitation(ctx context.Context, inv storage.Invitation) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "update invitation "+inv.ID, `UPDATE invitations SET uses = $1, revoked = $2 WHERE workspace = $3 AND id = $4`,
		inv.Uses, inv.Revoked, inv.Workspace, inv.ID)
	if err == nil && n == 0 {
		err = notFound("invitation " + inv.ID)
	}
	return err
}

// Events.

// AppendEvent increments the counter row and inserts the event in one
// statement. The counter's row lock is held until commit, so the next
// transaction's number is taken only after this one commits: the sequence
// is gapless and follows commit order.
func (t *tx) AppendEvent(ctx context.Context, e storage.Event) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	var seq int64
	err := t.scalar(ctx, "append event", `WITH s AS (UPDATE event_seq SET n = n + 1 WHERE id = 1 RETURNING n)
		INSERT INTO events (seq, workspace, actor, event_type, subject, before_json, after_json, amount, currency, at)
		SELECT s.n, $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM s
		RETURNING seq`,
		[]any{e.Workspace, e.Actor, e.Type, e.Subject, e.Before, e.After, e.Amount, e.Currency, e.Time}, &seq)
	return seq, err
}

func scanEvent(r pgx.Row) (storage.Event, error) {
	var e storage.Event
	err := r.Scan(&e.Seq, &e.Workspace, &e.Actor, &e.Type, &e.Subject, &e.Before, &e.After, &e.Amount, &e.Currency, &e.Time)
	e.Time = utc(e.Time)
	return e, err
}

func (t *tx) Events(ctx context.Context, ws string, after int64, limit int) ([]storage.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	const cols = `seq, workspace, actor, event_type, subject, before_json, after_json, amount, currency, at`
	if ws == "" {
		return queryAll(ctx, t, "events", `SELECT `+cols+` FROM events WHERE seq > $1 ORDER BY seq LIMIT $2`, scanEvent, after, limit)
	}
	return queryAll(ctx, t, "events of "+ws,
		`SELECT `+cols+` FROM events WHERE workspace = $1 AND seq > $2 ORDER BY seq LIMIT $3`, scanEvent, ws, after, limit)
}

// Credits.

func scanPool(r pgx.Row) (storage.Pool, error) {
	var p storage.Pool
	err := r.Scan(&p.Workspace, &p.Currency, &p.Started, &p.Period, &p.Version)
	return p, err
}

func (t *tx) Pool(ctx context.Context, ws, currency string) (storage.Pool, error) {
	return queryOne(ctx, t, "pool "+currency+" of "+ws,
		`SELECT workspace, currency, started, period, version FROM pools WHERE workspace = $1 AND currency = $2`+t.forUpdate(),
		scanPool, ws, currency)
}

func (t *tx) CreatePool(ctx context.Context, p storage.Pool) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "create pool "+p.Currency+" of "+p.Workspace, `INSERT INTO pools (workspace, currency, started, period, version)
		SELECT $1, $2, $3, $4, 1 WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = $1)
		ON CONFLICT DO NOTHING`, p.Workspace, p.Currency, p.Started, p.Period)
	if err != nil || n == 1 {
		return err
	}
	if ok, err := t.workspaceExists(ctx, p.Workspace); err != nil {
		return err
	} else if !ok {
		return notFound("workspace " + p.Workspace)
	}
	return exists("pool " + p.Currency + " of " + p.Workspace)
}

func (t *tx) UpdatePool(ctx context.Context, p storage.Pool) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "update pool", `UPDATE pools SET period = $1, version = $2, started = $5
		WHERE workspace = $3 AND currency = $4 AND version = $2 - 1`, p.Period, p.Version, p.Workspace, p.Currency, p.Started)
	if err != nil || n == 1 {
		return err
	}
	return t.stalePool(ctx, p)
}

// stalePool is the error of an update to p that changed no row: the pool is
// gone or at another version.
func (t *tx) stalePool(ctx context.Context, p storage.Pool) error {
	old, err := t.Pool(ctx, p.Workspace, p.Currency)
	if err != nil {
		return err
	}
	return fmt.Errorf("postgres: pool %s of %s at version %d, update to %d: %w", p.Currency, p.Workspace, old.Version, p.Version, storage.ErrConflict)
}

func (t *tx) Pools(ctx context.Context, ws string) ([]storage.Pool, error) {
	return queryAll(ctx, t, "pools of "+ws,
		`SELECT workspace, currency, started, period, version FROM pools WHERE workspace = $1 ORDER BY currency`, scanPool, ws)
}

func scanGrant(r pgx.Row) (storage.Grant, error) {
	var g storage.Grant
	err := r.Scan(&g.Workspace, &g.Currency, &g.ID, &g.Source, &g.Amount, &g.Remaining, &g.Priority, &g.Expires, &g.Created)
	g.Expires, g.Created = utc(g.Expires), utc(g.Created)
	return g, err
}

func (t *tx) Grants(ctx context.Context, ws, currency string) ([]storage.Grant, error) {
	return queryAll(ctx, t, "grants", `SELECT workspace, currency, id, source, amount, remaining, priority, expires, created
		FROM grants WHERE workspace = $1 AND currency = $2 ORDER BY id`, scanGrant, ws, currency)
}

func (t *tx) PutGrant(ctx context.Context, g storage.Grant) error {
	if err := t.check(); err != nil {
		return err
	}
	if g.Remaining < 0 || g.Remaining > g.Amount {
		return fmt.Errorf("postgres: grant %s remaining %d outside [0, %d]", g.ID, g.Remaining, g.Amount)
	}
	n, err := t.exec(ctx, "put grant "+g.ID, `INSERT INTO grants
		(workspace, currency, id, source, amount, remaining, priority, expires, created)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
		WHERE EXISTS (SELECT 1 FROM pools WHERE workspace = $1 AND currency = $2)
		ON CONFLICT (workspace, currency, id) DO UPDATE SET source = excluded.source, amount = excluded.amount,
			remaining = excluded.remaining, priority = excluded.priority, expires = excluded.expires, created = excluded.created`,
		g.Workspace, g.Currency, g.ID, g.Source, g.Amount, g.Remaining, g.Priority, g.Expires, g.Created)
	if err == nil && n == 0 {
		err = notFound("pool " + g.Currency + " of " + g.Workspace)
	}
	return err
}

func (t *tx) DeleteGrant(ctx context.Context, ws, currency, id string) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "delete grant "+id, `DELETE FROM grants WHERE workspace = $1 AND currency = $2 AND id = $3`, ws, currency, id)
	if err == nil && n == 0 {
		err = notFound("grant " + id)
	}
	return err
}

func scanAllowance(r pgx.Row) (storage.Allowance, error) {
	var a storage.Allowance
	err := r.Scan(&a.Workspace, &a.Currency, &a.Member, &a.Amount, &a.Period, &a.Spent)
	return a, err
}

func (t *tx) Allowance(ctx context.Context, ws, currency, member string) (storage.Allowance, error) {
	return queryOne(ctx, t, "allowance of "+member, `SELECT workspace, currency, member, amount, period, spent
		FROM allowances WHERE workspace = $1 AND currency = $2 AND member = $3`, scanAllowance, ws, currency, member)
}

func (t *tx) Allowances(ctx context.Context, ws, currency string) ([]storage.Allowance, error) {
	return queryAll(ctx, t, "allowances", `SELECT workspace, currency, member, amount, period, spent
		FROM allowances WHERE workspace = $1 AND currency = $2 ORDER BY member`, scanAllowance, ws, currency)
}

func (t *tx) PutAllowance(ctx context.Context, a storage.Allowance) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "put allowance of "+a.Member, `INSERT INTO allowances (workspace, currency, member, amount, period, spent)
		SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = $1)
		ON CONFLICT (workspace, currency, member) DO UPDATE SET amount = excluded.amount, period = excluded.period, spent = excluded.spent`,
		a.Workspace, a.Currency, a.Member, a.Amount, a.Period, a.Spent)
	if err == nil && n == 0 {
		err = notFound("workspace " + a.Workspace)
	}
	return err
}

func (t *tx) DeleteAllowance(ctx context.Context, ws, currency, member string) error {
	if err := t.check(); err != nil {
		return err
	}
	_, err := t.exec(ctx, "delete allowance", `DELETE FROM allowances WHERE workspace = $1 AND currency = $2 AND member = $3`, ws, currency, member)
	return err
}

// AppendEntries appends each pool's entries with one statement that
// reserves their numbers in journal_seq, whose row lock (taken after the
// pool's, before the event sequence's) serializes appends to one pool; the
// statements go in one batch.
func (t *tx) AppendEntries(ctx context.Context, es []storage.Entry) error {
	if err := t.check(); err != nil {
		return err
	}
	type key struct{ ws, currency string }
	byPool := map[key][]storage.Entry{}
	var order []key
	for _, e := range es {
		k := key{e.Workspace, e.Currency}
		if byPool[k] == nil {
			order = append(order, k)
		}
		byPool[k] = append(byPool[k], e)
	}
	if len(order) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, k := range order {
		queueEntries(b, k.ws, k.currency, byPool[k])
	}
	return t.batch(ctx, "append entries", b, func(pgx.BatchResults) error { return nil })
}

func scanEntry(r pgx.Row) (storage.Entry, error) {
	var e storage.Entry
	err := r.Scan(&e.Seq, &e.Workspace, &e.Currency, &e.Kind, &e.Grant, &e.Amount, &e.Member, &e.Action, &e.Key, &e.Period, &e.Time, &e.Expires)
	e.Time, e.Expires = utc(e.Time), utc(e.Expires)
	return e, err
}

func (t *tx) Entries(ctx context.Context, ws, currency string, after int64, limit int) ([]storage.Entry, error) {
	if limit <= 0 {
		return nil, nil
	}
	return queryAll(ctx, t, "entries", `SELECT seq, workspace, currency, kind, grant_id, amount, member, action_name, idem_key, period, at, expires
		FROM journal WHERE workspace = $1 AND currency = $2 AND seq > $3 ORDER BY seq LIMIT $4`, scanEntry, ws, currency, after, limit)
}

func scanIdempotency(r pgx.Row) (storage.Idempotency, error) {
	var i storage.Idempotency
	err := r.Scan(&i.Workspace, &i.Key, &i.Fingerprint, &i.Result, &i.Created)
	i.Created = utc(i.Created)
	return i, err
}

func (t *tx) Idempotency(ctx context.Context, ws, key string) (storage.Idempotency, error) {
	return queryOne(ctx, t, "idempotency key "+key, `SELECT workspace, idem_key, fingerprint, result, created
		FROM idempotency WHERE workspace = $1 AND idem_key = $2`, scanIdempotency, ws, key)
}

func (t *tx) PutIdempotency(ctx context.Context, r storage.Idempotency) error {
	if err := t.check(); err != nil {
		return err
	}
	n, err := t.exec(ctx, "put idempotency key "+r.Key, `INSERT INTO idempotency (workspace, idem_key, fingerprint, result, created)
		SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = $1)
		ON CONFLICT DO NOTHING`, r.Workspace, r.Key, r.Fingerprint, r.Result, r.Created)
	if err != nil || n == 1 {
		return err
	}
	if ok, err := t.workspaceExists(ctx, r.Workspace); err != nil {
		return err
	} else if !ok {
		return notFound("workspace " + r.Workspace)
	}
	return exists("idempotency key " + r.Key)
}

var _ storage.Tx = (*tx)(nil)
