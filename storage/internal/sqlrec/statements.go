package sqlrec

// Column lists, in the order the scanners read them and the writers write
// them.
const (
	WorkspaceCols   = `id, name, kind, plan, owner, billing_contact, guests_disabled, logo, preferences, created, anchor, version`
	MemberCols      = `workspace, user_id, role, projects, joined, seat_since`
	InvitationCols  = `id, workspace, is_link, email, role, projects, inviter, token_hash, created, expires, max_uses, uses, revoked`
	EventCols       = `seq, workspace, actor, event_type, subject, before_json, after_json, amount, currency, at`
	PoolCols        = `workspace, currency, started, period, version`
	IdempotencyCols = `workspace, idem_key, fingerprint, result, created`

	// A lot, an allowance and an entry are read without the pool they
	// belong to (LotCols, AllowanceCols, EntryCols), and written with it
	// (the columns of PoolKey first).
	PoolKey       = `workspace, currency, `
	LotCols       = `id, source, amount, remaining, priority, expires, created`
	AllowanceCols = `member, amount, period, spent`
	EntryCols     = `seq, currency, kind, grant_id, amount, member, action_name, idem_key, period, at, expires`
)

// Statements are the statements both backends run, in one dialect. Each
// field's comment gives its arguments, in order.
type Statements struct {
	Workspace, WorkspaceLocked string // id
	PersonalWorkspace          string // owner
	OwnedShared                string // owner
	WorkspacesOf               string // user
	WorkspacesOfPage           string // user, after, limit
	WorkspaceExists            string // id
	CreateWorkspace            string // WorkspaceArgs
	UpdateWorkspace            string // see Records.UpdateWorkspace
	DeleteWorkspace            string // id

	Member       string // workspace, user
	Members      string // workspace
	MembersPage  string // workspace, after, limit
	PutMember    string // MemberArgs, workspace
	DeleteMember string // workspace, user
	RoleCounts   string // workspace: role and count, or one row of '' and 0 (see Records.RoleCounts)
	FirstMembers string // workspace, role, limit

	CreateInvitation   string // InvitationArgs, workspace
	Invitation         string // workspace, id
	InvitationByToken  string // token hash
	PendingInvitations string // workspace, now
	UpdateInvitation   string // uses, revoked, workspace, id

	Events, EventsOf string // [workspace,] after, limit

	Pool, PoolLocked string // workspace, currency
	Pools            string // workspace
	CreatePool       string // workspace, currency, started, period, workspace
	UpdatePool       string // started, period, version, workspace, currency, version - 1
	Grants           string // workspace, currency
	PutGrant         string // LotArgs, workspace, currency
	DeleteGrant      string // workspace, currency, id
	Allowance        string // workspace, currency, member
	Allowances       string // workspace, currency
	PutAllowance     string // AllowanceArgs, workspace
	DeleteAllowance  string // workspace, currency, member
	Entries          string // workspace, currency, after, limit
	Idempotency      string // workspace, key
	PutIdempotency   string // IdempotencyArgs, workspace

	// Stamp reads a workspace's access stamp (id); Access reads the stamp,
	// the workspace and one membership (user, id): see ScanAccess.
	Stamp, Access string
}

// statements writes the statements with bind, which turns the ? and FALSE
// of the text below into the dialect's.
func statements(bind func(string) string) Statements {
	const upsertGrant = ` ON CONFLICT (workspace, currency, id) DO UPDATE SET source = excluded.source, amount = excluded.amount,
			remaining = excluded.remaining, priority = excluded.priority, expires = excluded.expires, created = excluded.created`
	q := Statements{
		Workspace:         `SELECT ` + WorkspaceCols + ` FROM workspaces WHERE id = ?`,
		PersonalWorkspace: `SELECT ` + WorkspaceCols + ` FROM workspaces WHERE owner = ? AND kind = 'personal'`,
		OwnedShared:       `SELECT count(*) FROM workspaces WHERE owner = ? AND kind = 'shared'`,
		WorkspacesOf: `SELECT w.id, w.name, w.kind, w.plan, w.owner, w.billing_contact,
		w.guests_disabled, w.logo, w.preferences, w.created, w.anchor, w.version
		FROM members m JOIN workspaces w ON w.id = m.workspace
		WHERE m.user_id = ? ORDER BY w.id`,
		WorkspacesOfPage: `SELECT w.id, w.name, w.kind, w.plan, w.owner, w.billing_contact,
		w.guests_disabled, w.logo, w.preferences, w.created, w.anchor, w.version
		FROM members m JOIN workspaces w ON w.id = m.workspace
		WHERE m.user_id = ? AND m.workspace > ? ORDER BY m.workspace LIMIT ?`,
		WorkspaceExists: `SELECT count(*) FROM workspaces WHERE id = ?`,
		// With no conflict target, DO NOTHING covers the ID and the
		// one-personal-workspace index alike.
		CreateWorkspace: `INSERT INTO workspaces (` + WorkspaceCols + `)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT DO NOTHING`,
		UpdateWorkspace: `UPDATE workspaces SET name = ?, kind = ?, plan = ?, owner = ?,
		billing_contact = ?, guests_disabled = ?, logo = ?, preferences = ?, created = ?, anchor = ?, version = ?
		WHERE id = ? AND version = ?
		AND NOT (CAST(? AS TEXT) = 'personal' AND EXISTS (
			SELECT 1 FROM workspaces o WHERE o.owner = ? AND o.kind = 'personal' AND o.id <> ?))`,
		DeleteWorkspace: `DELETE FROM workspaces WHERE id = ?`,

		Member:  `SELECT ` + MemberCols + ` FROM members WHERE workspace = ? AND user_id = ?`,
		Members: `SELECT ` + MemberCols + ` FROM members WHERE workspace = ? ORDER BY user_id`,
		MembersPage: `SELECT ` + MemberCols + ` FROM members WHERE workspace = ? AND user_id > ?
		ORDER BY user_id LIMIT ?`,
		PutMember: `INSERT INTO members (` + MemberCols + `)
		SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = ?)
		ON CONFLICT (workspace, user_id) DO UPDATE SET role = excluded.role, projects = excluded.projects,
			joined = excluded.joined, seat_since = excluded.seat_since`,
		DeleteMember: `DELETE FROM members WHERE workspace = ? AND user_id = ?`,
		// The workspace's row comes back once even when it has no counts,
		// so an empty result tells that it does not exist.
		RoleCounts: `SELECT coalesce(c.role, ''), coalesce(c.n, 0) FROM workspaces w
		LEFT JOIN member_counts c ON c.workspace = w.id AND c.n > 0
		WHERE w.id = ? ORDER BY c.role`,
		FirstMembers: `SELECT ` + MemberCols + ` FROM members WHERE workspace = ? AND role = ?
		ORDER BY joined, user_id LIMIT ?`,

		CreateInvitation: `INSERT INTO invitations (` + InvitationCols + `)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = ?)
		ON CONFLICT DO NOTHING`,
		Invitation:        `SELECT ` + InvitationCols + ` FROM invitations WHERE workspace = ? AND id = ?`,
		InvitationByToken: `SELECT ` + InvitationCols + ` FROM invitations WHERE token_hash = ?`,
		// The partial index invitations_pending holds only invitations
		// neither revoked nor used up.
		PendingInvitations: `SELECT ` + InvitationCols + ` FROM invitations
		WHERE workspace = ? AND revoked = FALSE AND uses < max_uses AND expires > ?
		ORDER BY created, id`,
		UpdateInvitation: `UPDATE invitations SET uses = ?, revoked = ? WHERE workspace = ? AND id = ?`,

		Events:   `SELECT ` + EventCols + ` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`,
		EventsOf: `SELECT ` + EventCols + ` FROM events WHERE workspace = ? AND seq > ? ORDER BY seq LIMIT ?`,

		Pool:  `SELECT ` + PoolCols + ` FROM pools WHERE workspace = ? AND currency = ?`,
		Pools: `SELECT ` + PoolCols + ` FROM pools WHERE workspace = ? ORDER BY currency`,
		CreatePool: `INSERT INTO pools (` + PoolCols + `)
		SELECT ?, ?, ?, ?, 1 WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = ?)
		ON CONFLICT DO NOTHING`,
		UpdatePool: `UPDATE pools SET started = ?, period = ?, version = ? WHERE workspace = ? AND currency = ? AND version = ?`,
		Grants:     `SELECT ` + LotCols + ` FROM grants WHERE workspace = ? AND currency = ? ORDER BY id`,
		PutGrant: `INSERT INTO grants (` + PoolKey + LotCols + `)
		SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
		WHERE EXISTS (SELECT 1 FROM pools WHERE workspace = ? AND currency = ?)` + upsertGrant,
		DeleteGrant: `DELETE FROM grants WHERE workspace = ? AND currency = ? AND id = ?`,
		Allowance:   `SELECT ` + AllowanceCols + ` FROM allowances WHERE workspace = ? AND currency = ? AND member = ?`,
		Allowances:  `SELECT ` + AllowanceCols + ` FROM allowances WHERE workspace = ? AND currency = ? ORDER BY member`,
		PutAllowance: `INSERT INTO allowances (` + PoolKey + AllowanceCols + `)
		SELECT ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = ?)
		ON CONFLICT (workspace, currency, member) DO UPDATE SET amount = excluded.amount, period = excluded.period, spent = excluded.spent`,
		DeleteAllowance: `DELETE FROM allowances WHERE workspace = ? AND currency = ? AND member = ?`,
		Entries:         `SELECT ` + EntryCols + ` FROM journal WHERE workspace = ? AND currency = ? AND seq > ? ORDER BY seq LIMIT ?`,
		Idempotency:     `SELECT ` + IdempotencyCols + ` FROM idempotency WHERE workspace = ? AND idem_key = ?`,
		PutIdempotency: `INSERT INTO idempotency (` + IdempotencyCols + `)
		SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM workspaces WHERE id = ?)
		ON CONFLICT DO NOTHING`,

		Stamp: `SELECT stamp FROM workspaces WHERE id = ?`,
		Access: `SELECT w.stamp, w.id, w.name, w.kind, w.plan, w.owner, w.billing_contact, w.guests_disabled,
		w.logo, w.preferences, w.created, w.anchor, w.version, m.user_id, m.role, m.projects, m.joined, m.seat_since
	FROM workspaces w LEFT JOIN members m ON m.workspace = w.id AND m.user_id = ?
	WHERE w.id = ?`,
	}
	for _, p := range []*string{&q.Workspace, &q.PersonalWorkspace, &q.OwnedShared, &q.WorkspacesOf, &q.WorkspacesOfPage, &q.WorkspaceExists,
		&q.CreateWorkspace, &q.UpdateWorkspace, &q.DeleteWorkspace,
		&q.Member, &q.Members, &q.MembersPage, &q.PutMember, &q.DeleteMember, &q.RoleCounts, &q.FirstMembers,
		&q.CreateInvitation, &q.Invitation, &q.InvitationByToken, &q.PendingInvitations, &q.UpdateInvitation,
		&q.Events, &q.EventsOf,
		&q.Pool, &q.Pools, &q.CreatePool, &q.UpdatePool, &q.Grants, &q.PutGrant, &q.DeleteGrant,
		&q.Allowance, &q.Allowances, &q.PutAllowance, &q.DeleteAllowance, &q.Entries, &q.Idempotency, &q.PutIdempotency,
		&q.Stamp, &q.Access} {
		*p = bind(*p)
	}
	return q
}
