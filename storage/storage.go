// Package storage defines the small interfaces through which the charter
// Service persists workspaces, members, invitations, events and credits, and
// the sentinel errors every backend translates its driver's errors into.
//
// A backend implements Store. Every Service operation runs in one transaction
// (Store.Update or Store.View): it reads what it needs, decides with the pure
// domain packages, writes, and appends its event, all or nothing. Decisions are
// never taken here; backends only load, lock and save.
//
// Backends: storage/memory (the embedded default), storage/sqlite and
// storage/postgres. storage/storagetest is the conformance suite all of them
// pass.
//
// Lock order. To stay free of deadlocks, an Update transaction takes row locks
// in this order: workspace rows (by Tx.Workspace, or shared by ReadAccess),
// credit pools (by Tx.Pool or ReadLedger), the journal sequence (by
// Tx.AppendEntries or SaveLedger), then the event sequence (by
// Tx.AppendEvent), which is always last.
//
// Fewer steps. ReadAccess, ReadLedger and SaveLedger do what a credit
// operation needs in one step each where a backend implements AccessTx and
// LedgerTx (PostgreSQL: one round trip each), and through the Tx methods
// otherwise. ReadAccessInto and ReadLedgerIn read into room the caller
// keeps, where a backend implements AccessIntoTx and LedgerInTx (memory),
// so that a spend copies neither back through return values.
//
// Types. Storage reads and writes the domain types where it can build them
// without the policy: a pool's lots, allowances and journal entries are
// credits.Grant, credits.Allowance and credits.Entry, and a workspace's kind
// and settings are workspace.Kind and workspace.Settings. Workspace and
// Member stay records because the domain values hold a compiled plan and
// role, which only the policy resolves from the names stored; the other
// records have no domain type (each type's doc says why).
//
// Values. Times come back in UTC at microsecond precision; an empty list of
// projects comes back nil. Writes that name a workspace (or, for grants, a
// pool) that does not exist return ErrNotFound.
//
// Errors inside a transaction. An expected error (ErrExists, ErrNotFound,
// ErrConflict, a refused grant) leaves the transaction usable; any other
// database error may leave it unusable (PostgreSQL aborts it), so the function
// given to Update should return it. A context that ends before fn returns
// commits nothing, and Update returns the context's error.
//
// Durable backends need their schema: call Migrate(ctx) once after opening.
package storage

import (
	"context"
	"errors"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/workspace"
)

// Sentinel errors. Backends wrap them with %w and context; callers test them
// with errors.Is.
var (
	// ErrNotFound means the record does not exist.
	ErrNotFound = errors.New("storage: not found")
	// ErrExists means a unique key is taken: a workspace ID, a user's
	// personal workspace, an invitation token, an idempotency key.
	ErrExists = errors.New("storage: already exists")
	// ErrConflict means a concurrent transaction changed what this one read
	// (a version check failed, or the database gave up serializing after
	// bounded retries). The whole operation may be retried.
	ErrConflict = errors.New("storage: conflict")
	// ErrClosed means the store was closed.
	ErrClosed = errors.New("storage: closed")
)

// Store is a transactional store. Implementations are safe for concurrent
// use.
type Store interface {
	// Update runs fn in a read-write transaction and commits if fn returns
	// nil; otherwise it rolls back and returns fn's error. A backend may run
	// fn again after a serialization failure or deadlock (a bounded number of
	// times), so fn must have no effects outside tx. Returns ErrConflict when
	// the retries are exhausted.
	Update(ctx context.Context, fn func(tx Tx) error) error
	// View runs fn in a read-only transaction that sees one consistent
	// state.
	View(ctx context.Context, fn func(tx Tx) error) error
	// Access reads the workspace with id and user's membership of it in one
	// consistent read: all an authorization check needs. ok is false when
	// user is not a member. Returns ErrNotFound when the workspace does not
	// exist. It sees every write committed before it is called, so a
	// backend may keep what it read only under a key that every write to
	// the workspace or its members changes (the SQL backends keep it by
	// access stamp, and send one small query per repeated call).
	Access(ctx context.Context, id, user string) (w Workspace, m Member, ok bool, err error)
	// Close releases the store's resources.
	Close() error
}

// InProcess is what a Store implements whose data lives and dies with its
// process, as the memory store's does: no other process, so no other
// build of charter, ever reads what it holds. The Service then stores its
// own records (a receipt under its idempotency key) in a compact form
// that builds before it cannot read; in a store another build may share,
// such as a database during a rolling deploy or after a rollback, it
// writes the form every build reads. A wrapper of a Store may forward it.
type InProcess interface {
	// InProcess reports whether the store's data lives only in this
	// process.
	InProcess() bool
}

// Tx is one transaction. Its methods must not be used after the function
// given to Update or View returns. Write methods return an error in View.
type Tx interface {
	WorkspaceTx
	MemberTx
	InvitationTx
	EventTx
	CreditTx
	BulkTx
}

// Workspace is the stored form of a workspace's header: workspace.Workspace
// without its members (read and written one by one, as Member), and with its
// plan by name. The domain aggregate holds the compiled *plan.Plan, and
// resolving a name takes the policy, which storage does not know; a plan the
// policy no longer declares must still read back (it denies).
type Workspace struct {
	ID             string
	Name           string
	Kind           workspace.Kind // stored by name; an unknown name reads as 0, which denies
	Plan           string         // the plan's name
	Owner          string
	BillingContact string
	Settings       workspace.Settings
	Logo           string // "" for none
	// Preferences are the application's own settings of the workspace,
	// nil when there are none. A store copies the map it is given; the map
	// a read returns may be shared with the store (its state or its cache)
	// and must not be modified.
	Preferences map[string]string
	Created     time.Time
	Anchor      time.Time // subscription start
	Version     int64     // 1 when created; +1 per update
}

// WorkspaceTx reads and writes workspace headers.
type WorkspaceTx interface {
	// Workspace returns the workspace with id. In an Update transaction it
	// locks the workspace until commit, so concurrent changes to one
	// workspace serialize. Returns ErrNotFound.
	Workspace(ctx context.Context, id string) (Workspace, error)
	// PersonalWorkspace returns user's personal workspace. Returns
	// ErrNotFound.
	PersonalWorkspace(ctx context.Context, user string) (Workspace, error)
	// OwnedShared counts the shared workspaces user owns.
	OwnedShared(ctx context.Context, user string) (int, error)
	// WorkspacesOf returns the workspaces user is a member of, by ID.
	WorkspacesOf(ctx context.Context, user string) ([]Workspace, error)
	// WorkspacesOfPage returns up to limit of the workspaces user is a
	// member of whose ID comes after after ("" for the first), by ID.
	WorkspacesOfPage(ctx context.Context, user, after string, limit int) ([]Workspace, error)
	// CreateWorkspace inserts w with Version 1. Returns ErrExists if the ID
	// is taken or w is personal and its owner has a personal workspace.
	CreateWorkspace(ctx context.Context, w Workspace) error
	// UpdateWorkspace saves w, whose Version must be one more than the
	// stored version. Returns ErrConflict otherwise, ErrNotFound if gone,
	// ErrExists if it would give an owner a second personal workspace.
	UpdateWorkspace(ctx context.Context, w Workspace) error
	// DeleteWorkspace deletes the workspace with its members, invitations,
	// pools, grants, allowances and idempotency keys. Its events and journal
	// entries stay: they are the audit trail. Returns ErrNotFound.
	DeleteWorkspace(ctx context.Context, id string) error
}

// Member is the stored form of a membership: workspace.Member with its
// workspace, and its role by name. The domain type holds the compiled
// *role.Role, and resolving a name takes the policy, which storage does not
// know; a role the policy no longer declares must still read back (it
// denies).
type Member struct {
	Workspace string
	User      string
	Role      string
	Projects  []string // a guest's projects, kept in the order given; nil for others
	Joined    time.Time
	SeatSince time.Time // when the member's paid seat started; zero if none
}

// MemberTx reads and writes memberships.
type MemberTx interface {
	// Member returns user's membership of workspace. Returns ErrNotFound.
	Member(ctx context.Context, workspace, user string) (Member, error)
	// Members returns the workspace's members, sorted by user.
	Members(ctx context.Context, workspace string) ([]Member, error)
	// MembersPage returns up to limit of the workspace's members whose
	// user comes after after ("" for the first), sorted by user.
	MembersPage(ctx context.Context, workspace, after string, limit int) ([]Member, error)
	// PutMember inserts or replaces a membership.
	PutMember(ctx context.Context, m Member) error
	// DeleteMember deletes a membership. Returns ErrNotFound.
	DeleteMember(ctx context.Context, workspace, user string) error
	// RoleCounts returns how many members hold each role in the
	// workspace, by role name; roles nobody holds are absent. Returns
	// ErrNotFound if the workspace does not exist. Its cost does not grow
	// with the members: backends keep the counts as members are written
	// (the SQL backends by triggers, so changes made by hand count too).
	RoleCounts(ctx context.Context, workspace string) (map[string]int, error)
	// FirstMembers returns up to limit of the workspace's members holding
	// role, by Joined, then User. Its cost does not grow with the
	// members (the SQL backends read an index on workspace, role, joined
	// and user).
	FirstMembers(ctx context.Context, workspace, role string, limit int) ([]Member, error)
}

// Invitation is the stored form of an invitation by email or by link. Only a
// hash of its token is stored. No domain package has invitations: the
// Service's own Invitation carries the token, never its hash.
type Invitation struct {
	ID        string
	Workspace string
	Link      bool   // a shareable link rather than an email invitation
	Email     string // the invited address (email invitations)
	Role      string
	Projects  []string // a guest invitation's projects
	Inviter   string
	TokenHash string // hex SHA-256 of the token
	Created   time.Time
	Expires   time.Time
	MaxUses   int // 1 for email invitations
	Uses      int
	Revoked   bool
}

// InvitationKey is an invitation's place in its workspace's listing,
// which is by creation, then ID.
type InvitationKey struct {
	Created time.Time
	ID      string
}

// InvitationTx reads and writes invitations.
type InvitationTx interface {
	// CreateInvitation inserts inv. Returns ErrExists if the ID or token
	// hash is taken.
	CreateInvitation(ctx context.Context, inv Invitation) error
	// Invitation returns the workspace's invitation with id. Returns
	// ErrNotFound.
	Invitation(ctx context.Context, workspace, id string) (Invitation, error)
	// InvitationByToken returns the invitation whose token hashes to
	// tokenHash. Returns ErrNotFound.
	InvitationByToken(ctx context.Context, tokenHash string) (Invitation, error)
	// Invitations returns up to limit of the workspace's invitations, by
	// creation then ID, that come after the key after (from the first when
	// after is nil).
	Invitations(ctx context.Context, workspace string, after *InvitationKey, limit int) ([]Invitation, error)
	// PendingInvitations returns the workspace's invitations that can still
	// be accepted at now (not revoked, not used up, expiring after now), by
	// creation then ID. Its cost does not grow with the invitations that
	// were used up or revoked.
	PendingInvitations(ctx context.Context, workspace string, now time.Time) ([]Invitation, error)
	// UpdateInvitation saves Uses and Revoked. Returns ErrNotFound.
	UpdateInvitation(ctx context.Context, inv Invitation) error
	// DeleteInvitations deletes the workspace's invitations (every
	// workspace's when workspace is "") that were created before before
	// and can no longer be accepted at before: revoked, used up, or
	// expired by then. It returns how many it deleted. A deleted
	// invitation's token is then unknown (ErrNotFound).
	DeleteInvitations(ctx context.Context, workspace string, before time.Time) (int, error)
}

// Event is one entry of the audit trail, which is also the feed of seat
// charges and credits for billing. No domain package has events: the Service
// writes them, with their before and after states as JSON.
type Event struct {
	Seq       int64 // assigned by AppendEvent: gapless, in commit order
	Workspace string
	Actor     string
	Type      string
	Subject   string // the user or invitation the event is about
	Before    string // JSON of the state before, or ""
	After     string // JSON of the state after, or ""
	Amount    int64  // minor units for seat charges and credits
	Currency  string
	Time      time.Time
}

// EventTx appends and reads events.
type EventTx interface {
	// AppendEvent assigns e the next sequence number and appends it. The
	// sequence is gapless and increases in commit order, so a reader that
	// remembers the last Seq it processed sees every event exactly once.
	AppendEvent(ctx context.Context, e Event) (int64, error)
	// Events returns up to limit events with Seq > after, in order. When
	// workspace is not "", only that workspace's.
	Events(ctx context.Context, workspace string, after int64, limit int) ([]Event, error)
	// DeleteEvents deletes the events with Seq <= through (only the
	// workspace's when workspace is not "") and returns how many it
	// deleted. Their numbers are never given again: a reader that pages by
	// Seq finds them gone and goes on.
	DeleteEvents(ctx context.Context, workspace string, through int64) (int, error)
}

// BulkTx reads and writes many records in one step each, so that an
// import of many workspaces sends a few statements per batch rather than
// several per workspace (PostgreSQL: COPY for the writes, one query for each
// read; SQLite: multi-row inserts). The Service checks every invariant
// before it writes: these methods check only what the schema does.
//
// A write that fails (a key taken, a workspace missing) may leave the
// transaction unusable, unlike the one-record methods: the function given to
// Update must return its error, and then nothing of it is written.
type BulkTx interface {
	// WorkspacesIn returns those of the workspaces with ids that exist, by
	// ID. In an Update transaction it locks them, as Workspace does.
	WorkspacesIn(ctx context.Context, ids []string) ([]Workspace, error)
	// PersonalWorkspacesOf returns the personal workspaces of those of
	// users who have one, by ID.
	PersonalWorkspacesOf(ctx context.Context, users []string) ([]Workspace, error)
	// OwnedSharedOf counts the shared workspaces each of users owns; a
	// user who owns none is not in the map.
	OwnedSharedOf(ctx context.Context, users []string) (map[string]int, error)
	// CreateWorkspaces inserts ws, each with Version 1. Returns ErrExists
	// if an ID is taken (in the store or twice in ws) or a personal
	// workspace's owner would have two.
	CreateWorkspaces(ctx context.Context, ws []Workspace) error
	// InsertMembers inserts new memberships. Returns ErrExists if one
	// exists, ErrNotFound if its workspace does not.
	InsertMembers(ctx context.Context, ms []Member) error
	// AppendEvents appends es in order, as AppendEvent would one by one,
	// and returns the Seq of the last (0 when es is empty).
	AppendEvents(ctx context.Context, es []Event) (int64, error)
}

// Pool is the stored header of a workspace's pool of one currency:
// credits.Pool without its lots (read and written one by one, as
// credits.Grant), with the version that refuses lost updates.
type Pool struct {
	Workspace string
	Currency  string
	Started   bool  // whether any period's reset was applied
	Period    int64 // the last period whose reset was applied, if Started
	Version   int64 // 1 when created; +1 per update
}

// Entry is a journal entry as read back: the credits.Entry and the number
// AppendEntries gave it, by which a reader pages through the journal.
type Entry struct {
	Seq int64 // assigned by AppendEntries, increasing per pool
	credits.Entry
}

// SpendKey is a spend table row's place in the table of its pool, which is
// by period, then member.
type SpendKey struct {
	Period int64
	Member string
}

// Idempotency records the first result of a keyed operation. No domain
// package has idempotency keys: the Service keeps them to apply a keyed
// operation once.
type Idempotency struct {
	Workspace   string
	Key         string
	Fingerprint string // what was asked: a retry must ask the same
	Result      string // the first result, as the Service encodes it: text the store keeps as it is
	Created     time.Time
}

// CreditTx reads and writes pools, their lots (credits.Grant), allowances
// (credits.Allowance), the journal (credits.Entry) and idempotency keys. A
// pool is named by its workspace and currency; its lots and allowances are
// stored under that name. A lot's Source and an entry's Kind are stored by
// name; reading back a name this program does not know is an error.
type CreditTx interface {
	// Pool returns a pool header. In an Update transaction it locks the
	// pool until commit. Returns ErrNotFound.
	Pool(ctx context.Context, workspace, currency string) (Pool, error)
	// CreatePool inserts p with Version 1. Returns ErrExists.
	CreatePool(ctx context.Context, p Pool) error
	// UpdatePool saves p, whose Version must be one more than the stored
	// one. Returns ErrConflict otherwise.
	UpdatePool(ctx context.Context, p Pool) error
	// Pools returns the workspace's pools, by currency.
	Pools(ctx context.Context, workspace string) ([]Pool, error)
	// Grants returns the pool's lots, by ID.
	Grants(ctx context.Context, workspace, currency string) ([]credits.Grant, error)
	// PutGrant inserts or replaces a lot of the pool. A backend refuses
	// Remaining < 0 or Remaining > Amount. Returns ErrNotFound if the pool
	// does not exist.
	PutGrant(ctx context.Context, workspace, currency string, g credits.Grant) error
	// DeleteGrant deletes a grant. Returns ErrNotFound.
	DeleteGrant(ctx context.Context, workspace, currency, id string) error
	// Allowance returns a member's allowance. Returns ErrNotFound.
	Allowance(ctx context.Context, workspace, currency, member string) (credits.Allowance, error)
	// Allowances returns the pool's allowances, by member.
	Allowances(ctx context.Context, workspace, currency string) ([]credits.Allowance, error)
	// PutAllowance inserts or replaces an allowance in the workspace's
	// pool of currency (which need not exist).
	PutAllowance(ctx context.Context, workspace, currency string, a credits.Allowance) error
	// DeleteAllowance deletes an allowance; deleting none is not an error.
	DeleteAllowance(ctx context.Context, workspace, currency, member string) error
	// AppendEntries appends journal entries of the workspace's pools (each
	// entry's Currency names its pool), numbering them 1, 2, ... per pool,
	// continuing across a deletion of the workspace.
	AppendEntries(ctx context.Context, workspace string, es []credits.Entry) error
	// Entries returns up to limit journal entries of the pool with Seq >
	// after, in order.
	Entries(ctx context.Context, workspace, currency string, after int64, limit int) ([]Entry, error)
	// SpendRows returns up to limit rows of the pool's spend table (see
	// credits.SpendTable), by period then member, that come after the key
	// after (from the first when after is nil). Its result is bounded by
	// limit; its cost grows with the pool's spends and refunds.
	SpendRows(ctx context.Context, workspace, currency string, after *SpendKey, limit int) ([]credits.SpendRow, error)
	// Idempotency returns the record of key. Returns ErrNotFound.
	Idempotency(ctx context.Context, workspace, key string) (Idempotency, error)
	// PutIdempotency inserts a record. Returns ErrExists if the key is taken.
	PutIdempotency(ctx context.Context, r Idempotency) error
}
