// Package memory is charter's embedded, in-memory store: the default, and what
// the quickstart and most tests use. It is safe for concurrent use: Update
// transactions run one at a time, View transactions run concurrently with each
// other. A failed Update is rolled back by replaying its undo log, so nothing
// is half-written. Like the database backends, it keeps times in UTC at
// microsecond precision and gives back empty project lists as nil.
package memory

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

type memberKey struct{ ws, user string }
type poolKey struct{ ws, currency string }

// state is everything the store holds. Its maps hold values, never pointers,
// so a value handed to a caller cannot alias the store.
type state struct {
	workspaces  map[string]storage.Workspace
	personal    map[string]string // user -> personal workspace ID
	members     map[memberKey]storage.Member
	byWorkspace map[string]map[string]bool // workspace -> set of member users
	ofUser      map[string]map[string]bool // user -> set of workspaces they are a member of
	ownedBy     map[string]map[string]bool // user -> set of workspaces they own
	invitations map[string]storage.Invitation
	byToken     map[string]string          // token hash -> invitation ID
	invitesOf   map[string]map[string]bool // workspace -> set of invitation IDs
	openOf      map[string]map[string]bool // workspace -> set of IDs of invitations neither revoked nor used up
	// events[i] has Seq eventBase+i+1; an event pruned by DeleteEvents
	// is zero (Seq 0) until the events before it are pruned too.
	events    []storage.Event
	eventBase int64
	// The credit maps are nested by workspace or pool, so an operation on
	// one workspace never scans another's rows.
	pools      map[string]map[string]storage.Pool       // workspace -> currency -> pool
	grants     map[poolKey]map[string]credits.Grant     // pool -> lot ID -> grant
	allowances map[poolKey]map[string]credits.Allowance // pool -> member -> allowance
	entries    map[poolKey]*journal
	idem       map[string]*keyRecords // workspace -> key -> record (keys.go)
	// log is the undo log of the running Update's credit writes (ledger.go).
	log writeLog
}

// Store is an in-memory storage.Store.
type Store struct {
	mu     sync.RWMutex
	s      state
	closed bool
}

// New returns an empty store.
func New() *Store {
	return &Store{s: state{
		workspaces:  map[string]storage.Workspace{},
		personal:    map[string]string{},
		members:     map[memberKey]storage.Member{},
		byWorkspace: map[string]map[string]bool{},
		ofUser:      map[string]map[string]bool{},
		ownedBy:     map[string]map[string]bool{},
		invitations: map[string]storage.Invitation{},
		byToken:     map[string]string{},
		invitesOf:   map[string]map[string]bool{},
		openOf:      map[string]map[string]bool{},
		pools:       map[string]map[string]storage.Pool{},
		grants:      map[poolKey]map[string]credits.Grant{},
		allowances:  map[poolKey]map[string]credits.Allowance{},
		entries:     map[poolKey]*journal{},
		idem:        map[string]*keyRecords{},
	}}
}

// Update runs fn with exclusive access and rolls back every change if fn
// returns an error or panics.
func (st *Store) Update(ctx context.Context, fn func(storage.Tx) error) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return storage.ErrClosed
	}
	tx := &tx{s: &st.s, write: true}
	tx.undo = tx.first[:0]
	st.s.log.reset()
	defer func() {
		if r := recover(); r != nil {
			tx.rollback()
			tx.done = true
			panic(r)
		}
		if err == nil {
			err = ctx.Err() // a cancelled context commits nothing
		}
		if err != nil {
			tx.rollback()
		}
		tx.done = true
	}()
	return fn(tx)
}

// View runs fn with shared access.
func (st *Store) View(ctx context.Context, fn func(storage.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.closed {
		return storage.ErrClosed
	}
	tx := &tx{s: &st.s}
	defer func() { tx.done = true }()
	return fn(tx)
}

// errNoWorkspace is what Access returns for a workspace that does not
// exist: one value, so that a check of an unknown workspace allocates
// nothing.
var errNoWorkspace = fmt.Errorf("memory: workspace %w", storage.ErrNotFound)

// Access reads a workspace and one membership under the read lock. It
// allocates nothing unless the member has projects to copy.
func (st *Store) Access(ctx context.Context, id, user string) (storage.Workspace, storage.Member, bool, error) {
	if err := ctx.Err(); err != nil {
		return storage.Workspace{}, storage.Member{}, false, err
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.closed {
		return storage.Workspace{}, storage.Member{}, false, storage.ErrClosed
	}
	w, ok := st.s.workspaces[id]
	if !ok {
		return storage.Workspace{}, storage.Member{}, false, errNoWorkspace
	}
	m, ok := st.s.members[memberKey{id, user}]
	m.Projects = clone(m.Projects)
	return w, m, ok, nil
}

// Close marks the store closed; later transactions return storage.ErrClosed.
func (st *Store) Close() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.closed = true
	return nil
}

type tx struct {
	s     *state
	write bool
	done  bool
	undo  []func()
	// first holds the undo log's first steps, enough for a spend's
	// writes, so that a short transaction does not grow the log.
	first [8]func()
}

var errReadOnly = fmt.Errorf("memory: write in a read-only transaction")

func (t *tx) check() error {
	if t.done {
		return fmt.Errorf("memory: transaction used after it ended")
	}
	if !t.write {
		return errReadOnly
	}
	return nil
}

func (t *tx) rollback() {
	for i := len(t.undo) - 1; i >= 0; i-- {
		t.undo[i]()
	}
	t.undo = nil
}

// set stores v under k in m, recording how to undo it.
func set[K comparable, V any](t *tx, m map[K]V, k K, v V) {
	old, had := m[k]
	m[k] = v
	t.undo = append(t.undo, func() {
		if had {
			m[k] = old
		} else {
			delete(m, k)
		}
	})
}

// inner returns m[k], creating it (undoably) when missing.
func inner[K comparable, V any](t *tx, m map[K]map[string]V, k K) map[string]V {
	in, ok := m[k]
	if !ok {
		in = map[string]V{}
		set(t, m, k, in)
	}
	return in
}

// del deletes k from m, recording how to undo it.
func del[K comparable, V any](t *tx, m map[K]V, k K) {
	old, had := m[k]
	if !had {
		return
	}
	delete(m, k)
	t.undo = append(t.undo, func() { m[k] = old })
}

// notFound is the storage.ErrNotFound of a read or write that found no
// row: "memory: " and parts, joined, then " not found". The message is
// built only when asked for: a spend's first use of its key is a miss.
func notFound(parts ...string) error {
	e := &missing{}
	copy(e.parts[:], parts)
	return e
}

type missing struct{ parts [4]string }

func (e *missing) Error() string {
	return "memory: " + strings.Join(e.parts[:], "") + " " + storage.ErrNotFound.Error()
}

func (e *missing) Unwrap() error { return storage.ErrNotFound }

// clone copies s; an empty s becomes nil, as in the database backends.
func clone[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

// cloneMap copies m; an empty m becomes nil, as in the database backends.
// A workspace's stored map is never changed in place, so reads share it.
func cloneMap(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// ts is how a backend keeps a time: in UTC, at microsecond precision, without
// a monotonic clock reading.
func ts(t time.Time) time.Time {
	return t.Truncate(time.Microsecond).UTC()
}

// Workspaces.

func (t *tx) Workspace(_ context.Context, id string) (storage.Workspace, error) {
	w, ok := t.s.workspaces[id]
	if !ok {
		return w, notFound("workspace ", id)
	}
	return w, nil
}

func (t *tx) PersonalWorkspace(ctx context.Context, user string) (storage.Workspace, error) {
	id, ok := t.s.personal[user]
	if !ok {
		return storage.Workspace{}, notFound("personal workspace of ", user)
	}
	return t.Workspace(ctx, id)
}

func (t *tx) OwnedShared(_ context.Context, user string) (int, error) {
	n := 0
	for id := range t.s.ownedBy[user] {
		if w := t.s.workspaces[id]; w.Owner == user && w.Kind == workspace.Shared {
			n++
		}
	}
	return n, nil
}

func (t *tx) WorkspacesOf(_ context.Context, user string) ([]storage.Workspace, error) {
	var out []storage.Workspace
	for id := range t.s.ofUser[user] {
		out = append(out, t.s.workspaces[id])
	}
	slices.SortFunc(out, func(a, b storage.Workspace) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (t *tx) CreateWorkspace(_ context.Context, w storage.Workspace) error {
	if err := t.check(); err != nil {
		return err
	}
	if _, ok := t.s.workspaces[w.ID]; ok {
		return fmt.Errorf("memory: workspace %s %w", w.ID, storage.ErrExists)
	}
	if w.Kind == workspace.Personal {
		if _, ok := t.s.personal[w.Owner]; ok {
			return fmt.Errorf("memory: personal workspace of %s %w", w.Owner, storage.ErrExists)
		}
		set(t, t.s.personal, w.Owner, w.ID)
	}
	w.Version = 1
	w.Created, w.Anchor = ts(w.Created), ts(w.Anchor)
	w.Preferences = cloneMap(w.Preferences)
	set(t, t.s.workspaces, w.ID, w)
	set(t, inner(t, t.s.ownedBy, w.Owner), w.ID, true)
	set(t, t.s.byWorkspace, w.ID, map[string]bool{})
	return nil
}

func (t *tx) UpdateWorkspace(_ context.Context, w storage.Workspace) error {
	if err := t.check(); err != nil {
		return err
	}
	old, ok := t.s.workspaces[w.ID]
	if !ok {
		return notFound("workspace ", w.ID)
	}
	if w.Version != old.Version+1 {
		return fmt.Errorf("memory: workspace %s at version %d, update to %d: %w", w.ID, old.Version, w.Version, storage.ErrConflict)
	}
	// Keep the one-personal-workspace-per-owner index in step with kind
	// and owner.
	if w.Kind == workspace.Personal && (old.Kind != workspace.Personal || old.Owner != w.Owner) {
		if _, ok := t.s.personal[w.Owner]; ok {
			return fmt.Errorf("memory: personal workspace of %s %w", w.Owner, storage.ErrExists)
		}
	}
	if old.Kind == workspace.Personal {
		del(t, t.s.personal, old.Owner)
	}
	if w.Kind == workspace.Personal {
		set(t, t.s.personal, w.Owner, w.ID)
	}
	w.Created, w.Anchor = ts(w.Created), ts(w.Anchor)
	w.Preferences = cloneMap(w.Preferences)
	del(t, t.s.ownedBy[old.Owner], w.ID)
	set(t, inner(t, t.s.ownedBy, w.Owner), w.ID, true)
	set(t, t.s.workspaces, w.ID, w)
	return nil
}

func (t *tx) DeleteWorkspace(_ context.Context, id string) error {
	if err := t.check(); err != nil {
		return err
	}
	w, ok := t.s.workspaces[id]
	if !ok {
		return notFound("workspace ", id)
	}
	if w.Kind == workspace.Personal && t.s.personal[w.Owner] == id {
		del(t, t.s.personal, w.Owner)
	}
	for u := range t.s.byWorkspace[id] {
		del(t, t.s.members, memberKey{id, u})
		del(t, t.s.ofUser[u], id)
	}
	del(t, t.s.byWorkspace, id)
	for iid := range t.s.invitesOf[id] {
		del(t, t.s.byToken, t.s.invitations[iid].TokenHash)
		del(t, t.s.invitations, iid)
	}
	del(t, t.s.invitesOf, id)
	del(t, t.s.openOf, id)
	for currency := range t.s.pools[id] {
		del(t, t.s.grants, poolKey{id, currency})
		del(t, t.s.allowances, poolKey{id, currency})
	}
	del(t, t.s.pools, id)
	del(t, t.s.idem, id)
	del(t, t.s.ownedBy[w.Owner], id)
	del(t, t.s.workspaces, id)
	return nil
}

// Members.

func (t *tx) Member(_ context.Context, ws, user string) (storage.Member, error) {
	m, ok := t.s.members[memberKey{ws, user}]
	if !ok {
		return m, notFound("member ", user, " of ", ws)
	}
	m.Projects = clone(m.Projects)
	return m, nil
}

func (t *tx) Members(_ context.Context, ws string) ([]storage.Member, error) {
	users := slices.Sorted(maps.Keys(t.s.byWorkspace[ws]))
	out := make([]storage.Member, 0, len(users))
	for _, u := range users {
		m := t.s.members[memberKey{ws, u}]
		m.Projects = clone(m.Projects)
		out = append(out, m)
	}
	return out, nil
}

func (t *tx) PutMember(_ context.Context, m storage.Member) error {
	if err := t.check(); err != nil {
		return err
	}
	users, ok := t.s.byWorkspace[m.Workspace]
	if !ok {
		return notFound("workspace ", m.Workspace)
	}
	m.Projects = clone(m.Projects)
	m.Joined = ts(m.Joined)
	set(t, t.s.members, memberKey{m.Workspace, m.User}, m)
	set(t, users, m.User, true)
	set(t, inner(t, t.s.ofUser, m.User), m.Workspace, true)
	return nil
}

func (t *tx) DeleteMember(_ context.Context, ws, user string) error {
	if err := t.check(); err != nil {
		return err
	}
	k := memberKey{ws, user}
	if _, ok := t.s.members[k]; !ok {
		return notFound("member ", user, " of ", ws)
	}
	del(t, t.s.members, k)
	del(t, t.s.byWorkspace[ws], user)
	del(t, t.s.ofUser[user], ws)
	return nil
}

// Invitations.

func (t *tx) AppendEvent(_ context.Context, e storage.Event) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	e.Seq = t.s.eventBase + int64(len(t.s.events)) + 1
	e.Time = ts(e.Time)
	t.s.events = append(t.s.events, e)
	t.undo = append(t.undo, func() { t.s.events = t.s.events[:e.Seq-1-t.s.eventBase] })
	return e.Seq, nil
}

func (t *tx) Events(_ context.Context, ws string, after int64, limit int) ([]storage.Event, error) {
	var out []storage.Event
	for i := max(after-t.s.eventBase, 0); i < int64(len(t.s.events)) && len(out) < limit; i++ {
		if e := t.s.events[i]; e.Seq != 0 && (ws == "" || e.Workspace == ws) {
			out = append(out, e)
		}
	}
	return out, nil
}

// Credits.
