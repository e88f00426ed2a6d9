// Package memory is charter's embedded, in-memory store: the default, and what
// the quickstart and most tests use. It is safe for concurrent use: Update
// transactions run one at a time, View transactions run concurrently with each
// other. A failed Update is rolled back by replaying its undo log, so nothing
// is half-written. Like the database backends, it keeps times in UTC at
// microsecond precision and gives back empty project lists as nil.
//
// Memberships are kept compact, so that a million of them take about 1.7
// times the heap of a bare map of workspace to user to role: a user ID is
// held once, and named by a four-byte handle; a membership is a 16-byte
// record (user, role, join time) in its workspace's list, with what few
// members have (a guest's projects, a seat that started after joining) in
// maps aside. Changes cost the same in a workspace of any size: a
// workspace of up to 32 members is scanned, a larger one keeps an index
// of its members, its role counts and each role's holders in order.
// Listings sort on read.
package memory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

type poolKey struct{ ws, currency string }

// state is everything the store holds. Workspaces and memberships are kept
// compact (see workspaces.go and members.go): users and workspaces by small
// integer handles, a membership as a 16-byte record in its workspace's
// list, times as microseconds. The other maps hold values, never pointers,
// and a read builds its result afresh, so a value handed to a caller cannot
// alias the store (but for a workspace's preferences, which storage lets a
// read share).
type state struct {
	workspaces  map[string]uint32 // workspace ID -> handle in ws
	ws          slab[wsRec]
	users       users
	names       names             // role and plan names
	seats       map[mkey]int64    // SeatSince of members whose seat started after they joined
	projects    map[mkey][]string // guests' projects
	oddOwned    map[uint32]int    // user -> workspaces they own that are neither personal nor shared
	deadWS      []uint32          // workspaces deleted in this transaction: see sweep
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
	grants     map[poolKey]*lotSet                      // pool -> its lots, by ID (lots.go)
	allowances map[poolKey]map[string]credits.Allowance // pool -> member -> allowance
	entries    map[poolKey]*journal
	idem       map[string]*keyRecords // workspace -> key -> record (keys.go)
	// log is the undo log of the running Update's credit writes (ledger.go).
	log writeLog
	// undoRoom holds the running Update's first undo steps, enough for a
	// spend's writes: kept here, as Updates run one at a time, so that a
	// transaction is a small allocation. An Update's end empties it,
	// unless it holds only credit writes' steps (state.end).
	undoRoom [8]func()
	// hot is what the last LedgerIn of an Update found of its pool's
	// maps (ledger.go), for the SaveLedger that follows it and for the
	// next Update's LedgerIn of the same pool: a spend after a spend then
	// looks none of them up. An Update's LedgerIn writes it in place. A
	// map leaves the store only when DeleteWorkspace drops it, which
	// forgets hot (undone, it puts back the same maps), or when a
	// rolled-back Update takes back its making, and a rollback forgets
	// hot too; a nil field is looked up again.
	hot ledgerMemo
	// seen is what the last Access of an Update found (accessMemo).
	seen accessMemo
	// txs is room for the next Updates' transactions (see newTx).
	txs []tx
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
		workspaces:  map[string]uint32{},
		users:       newUsers(),
		seats:       map[mkey]int64{},
		projects:    map[mkey][]string{},
		oddOwned:    map[uint32]int{},
		invitations: map[string]storage.Invitation{},
		byToken:     map[string]string{},
		invitesOf:   map[string]map[string]bool{},
		openOf:      map[string]map[string]bool{},
		pools:       map[string]map[string]storage.Pool{},
		grants:      map[poolKey]*lotSet{},
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
	tx := st.s.newTx()
	tx.undo, tx.led = st.s.undoRoom[:0], &st.s.hot
	st.s.log.reset()
	defer func() {
		if r := recover(); r != nil {
			st.s.hot = ledgerMemo{} // it may hold maps the rollback takes back
			tx.rollback()
			st.s.end(tx, false)
			panic(r)
		}
		if err == nil {
			err = ctx.Err() // a cancelled context commits nothing
		}
		if err != nil {
			st.s.hot = ledgerMemo{} // as above
			tx.rollback()
		}
		st.s.end(tx, err == nil)
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
func (st *Store) Access(ctx context.Context, id, user string) (w storage.Workspace, m storage.Member, ok bool, err error) {
	if err := ctx.Err(); err != nil {
		return w, m, false, err
	}
	st.mu.RLock()
	defer st.mu.RUnlock()
	if st.closed {
		return w, m, false, storage.ErrClosed
	}
	ok, err = st.s.access(id, user, &w, &m)
	return w, m, ok, err
}

// access reads workspace id into w and user's membership of it into m,
// reporting whether user is a member; errNoWorkspace when id is no
// workspace. It looks each up once.
func (s *state) access(id, user string, w *storage.Workspace, m *storage.Member) (bool, error) {
	return s.accessVia(nil, id, user, w, m)
}

// accessVia is access, trying the handles memo holds first (nil: none)
// and keeping there those it finds.
func (s *state) accessVia(memo *accessMemo, id, user string, w *storage.Workspace, m *storage.Member) (bool, error) {
	h, found := memo.workspace(s, id)
	if !found {
		if h, found = s.workspaces[id]; !found {
			return false, errNoWorkspace
		}
	}
	s.readHeader(h, w)
	u, found := memo.user(s, user)
	if !found {
		u, found = s.users.find(user)
	}
	if found {
		memo.keep(id, h, user, u)
		r := s.ws.at(h)
		if i := r.find(u); i >= 0 {
			s.readMember(h, r.members[i], m)
			return true, nil
		}
	}
	*m = storage.Member{}
	return false, nil
}

// accessMemo is the handles the last Access of an Update found, for the
// next Update's: a member who acts again and again in one workspace is
// then looked up by a comparison of IDs, not by hashing them. A handle is
// taken only while its record still holds the ID: a record released is
// zero. A workspace's record keeps its ID from DeleteWorkspace to the end
// of the transaction, so DeleteWorkspace forgets the memo. Only Updates,
// which run one at a time, read and write it.
type accessMemo struct {
	wsID, userID string
	h, u         uint32
}

// workspace returns the handle of workspace id, if m holds it.
func (m *accessMemo) workspace(s *state, id string) (uint32, bool) {
	if m == nil || m.wsID == "" || m.wsID != id || s.ws.at(m.h).id != id {
		return 0, false
	}
	return m.h, true
}

// user returns the handle of user, if m holds it.
func (m *accessMemo) user(s *state, user string) (uint32, bool) {
	if m == nil || m.userID == "" || m.userID != user || s.users.at(m.u).name != user {
		return 0, false
	}
	return m.u, true
}

// keep holds the handles of workspace id and user.
func (m *accessMemo) keep(id string, h uint32, user string, u uint32) {
	if m != nil {
		*m = accessMemo{wsID: id, userID: user, h: h, u: u}
	}
}

// InProcess reports that the store's data lives only in this process
// (storage.InProcess).
func (st *Store) InProcess() bool { return true }

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
	undo  []func() // in state's undoRoom until it outgrows it
	// led is what the last LedgerIn of an Update found of its pool
	// (ledger.go), in state; nil in a View, whose LedgerIn keeps nothing.
	led *ledgerMemo
}

// end ends Update's transaction t, which committed or was rolled back:
// it can no longer be used, and s keeps nothing of it but, when it
// committed, what its last LedgerIn found of its pool's maps (hot; Update
// forgot it before rolling back).
func (s *state) end(t *tx, committed bool) {
	// The undo room keeps nothing but state.undoWrite between Updates: it
	// is cleared unless every undo step of a committed Update was a
	// credit write's, pushed with its write (tx.push), which holds nothing
	// but the store. A spend's four then cost nothing to forget, and no
	// other step outlives its Update. Only such an Update can drop a
	// table (DeleteWorkspace, or a rollback of its making), so the write
	// log's room is cleared with it.
	if !committed || len(t.undo) != len(s.log.writes) {
		clear(s.undoRoom[:])
		// Such an Update may have dropped tables (DeleteWorkspace) that
		// the write log's room, which reset leaves for small logs, still
		// names: it forgets them too.
		s.log.forget()
	}
	t.done = true
	t.undo = nil
	if committed {
		s.hot.pool, s.hot.absent, s.hot.member = false, "", "" // this transaction's alone
	}
	s.sweep()
}

// txSlab is how many transactions newTx makes room for at once.
const txSlab = 64

// newTx returns a new write transaction on s, from room made for txSlab
// at once: an Update then allocates once every txSlab Updates, under the
// lock (a 3 KB allocation; the lock is held for a spend's work anyway).
// Each is handed out once and never reused, so that one kept past its
// Update stays ended (check's errEnded) whatever Updates come after; it
// keeps its slab's few kilobytes alive.
func (s *state) newTx() *tx {
	if len(s.txs) == 0 {
		s.txs = make([]tx, txSlab)
	}
	t := &s.txs[0]
	s.txs = s.txs[1:]
	t.s, t.write = s, true
	return t
}

var (
	errReadOnly = fmt.Errorf("memory: write in a read-only transaction")
	errEnded    = fmt.Errorf("memory: transaction used after it ended")
)

func (t *tx) check() error {
	if t.done {
		return errEnded
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
	// A time the store gave back is kept as it is: a spend puts back the
	// lot it read.
	if t.IsZero() {
		return time.Time{} // as Truncate and UTC would make it, at once
	}
	if t.Nanosecond()%1000 == 0 && t.Location() == time.UTC && t == t.Round(0) {
		return t
	}
	return t.Truncate(time.Microsecond).UTC()
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
