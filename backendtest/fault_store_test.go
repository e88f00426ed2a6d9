package backendtest_test

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// errFault is the error a faultStore injects.
var errFault = errors.New("injected storage fault")

// faultStore wraps a Store and fails one call: the Nth call (counting from 1)
// of any Store or Tx method, and a commit point after each Update's function
// returns nil, returns errFault. Arm sets N; 0 fails nothing. Calls reports
// how many calls were counted since the last Arm.
type faultStore struct {
	inner storage.Store

	mu     sync.Mutex
	failAt int
	calls  int
	fired  bool
}

func (f *faultStore) Arm(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failAt, f.calls, f.fired = n, 0, false
}

// Fired reports whether the armed fault was injected.
func (f *faultStore) Fired() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fired
}

// step counts one call and reports errFault if it is the armed one.
func (f *faultStore) step() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.failAt > 0 && f.calls == f.failAt {
		f.fired = true
		return errFault
	}
	return nil
}

func (f *faultStore) Update(ctx context.Context, fn func(tx storage.Tx) error) error {
	if err := f.step(); err != nil {
		return err
	}
	return f.inner.Update(ctx, func(tx storage.Tx) error {
		if err := fn(f.wrap(tx)); err != nil {
			return err
		}
		return f.step() // the commit point: fail after everything was written
	})
}

func (f *faultStore) View(ctx context.Context, fn func(tx storage.Tx) error) error {
	if err := f.step(); err != nil {
		return err
	}
	return f.inner.View(ctx, func(tx storage.Tx) error { return fn(f.wrap(tx)) })
}

func (f *faultStore) Access(ctx context.Context, id, user string) (storage.Workspace, storage.Member, bool, error) {
	if err := f.step(); err != nil {
		return storage.Workspace{}, storage.Member{}, false, err
	}
	return f.inner.Access(ctx, id, user)
}

func (f *faultStore) Close() error { return f.inner.Close() }

// wrap keeps the inner Tx's one-step methods (AccessTx, LedgerTx) visible, so
// that the Service takes the same path as on the bare backend.
func (f *faultStore) wrap(tx storage.Tx) storage.Tx {
	t := &faultTx{f: f, tx: tx}
	_, access := tx.(storage.AccessTx)
	_, ledger := tx.(storage.LedgerTx)
	switch {
	case access && ledger:
		return faultTxFast{t}
	case access || ledger:
		panic("faultStore: a Tx with only one of AccessTx and LedgerTx")
	}
	return t
}

type faultTx struct {
	f  *faultStore
	tx storage.Tx
}

type faultTxFast struct{ *faultTx }

func (t faultTxFast) Access(ctx context.Context, id, user string) (storage.Workspace, storage.Member, bool, error) {
	if err := t.f.step(); err != nil {
		return storage.Workspace{}, storage.Member{}, false, err
	}
	return t.tx.(storage.AccessTx).Access(ctx, id, user)
}

func (t faultTxFast) AccessInto(ctx context.Context, id, user string, w *storage.Workspace, m *storage.Member) (bool, error) {
	if err := t.f.step(); err != nil {
		return false, err
	}
	if a, ok := t.tx.(storage.AccessIntoTx); ok {
		return a.AccessInto(ctx, id, user, w, m)
	}
	var err error
	var ok bool
	*w, *m, ok, err = t.tx.(storage.AccessTx).Access(ctx, id, user)
	return ok, err
}

func (t faultTxFast) Ledger(ctx context.Context, q storage.LedgerQuery) (storage.Ledger, error) {
	if err := t.f.step(); err != nil {
		return storage.Ledger{}, err
	}
	return t.tx.(storage.LedgerTx).Ledger(ctx, q)
}

func (t faultTxFast) SaveLedger(ctx context.Context, c storage.LedgerChange) error {
	if err := t.f.step(); err != nil {
		return err
	}
	return t.tx.(storage.LedgerTx).SaveLedger(ctx, c)
}

// call1 and call0 count one call and forward it.
func call1[T any](t *faultTx, fn func() (T, error)) (T, error) {
	if err := t.f.step(); err != nil {
		var zero T
		return zero, err
	}
	return fn()
}

func call0(t *faultTx, fn func() error) error {
	if err := t.f.step(); err != nil {
		return err
	}
	return fn()
}

func (t *faultTx) Workspace(ctx context.Context, id string) (storage.Workspace, error) {
	return call1(t, func() (storage.Workspace, error) { return t.tx.Workspace(ctx, id) })
}
func (t *faultTx) PersonalWorkspace(ctx context.Context, user string) (storage.Workspace, error) {
	return call1(t, func() (storage.Workspace, error) { return t.tx.PersonalWorkspace(ctx, user) })
}
func (t *faultTx) OwnedShared(ctx context.Context, user string) (int, error) {
	return call1(t, func() (int, error) { return t.tx.OwnedShared(ctx, user) })
}
func (t *faultTx) WorkspacesOf(ctx context.Context, user string) ([]storage.Workspace, error) {
	return call1(t, func() ([]storage.Workspace, error) { return t.tx.WorkspacesOf(ctx, user) })
}
func (t *faultTx) CreateWorkspace(ctx context.Context, w storage.Workspace) error {
	return call0(t, func() error { return t.tx.CreateWorkspace(ctx, w) })
}
func (t *faultTx) UpdateWorkspace(ctx context.Context, w storage.Workspace) error {
	return call0(t, func() error { return t.tx.UpdateWorkspace(ctx, w) })
}
func (t *faultTx) DeleteWorkspace(ctx context.Context, id string) error {
	return call0(t, func() error { return t.tx.DeleteWorkspace(ctx, id) })
}
func (t *faultTx) Member(ctx context.Context, ws, user string) (storage.Member, error) {
	return call1(t, func() (storage.Member, error) { return t.tx.Member(ctx, ws, user) })
}
func (t *faultTx) Members(ctx context.Context, ws string) ([]storage.Member, error) {
	return call1(t, func() ([]storage.Member, error) { return t.tx.Members(ctx, ws) })
}
func (t *faultTx) PutMember(ctx context.Context, m storage.Member) error {
	return call0(t, func() error { return t.tx.PutMember(ctx, m) })
}
func (t *faultTx) DeleteMember(ctx context.Context, ws, user string) error {
	return call0(t, func() error { return t.tx.DeleteMember(ctx, ws, user) })
}
func (t *faultTx) MembersPage(ctx context.Context, ws, after string, limit int) ([]storage.Member, error) {
	return call1(t, func() ([]storage.Member, error) { return t.tx.MembersPage(ctx, ws, after, limit) })
}
func (t *faultTx) WorkspacesOfPage(ctx context.Context, user, after string, limit int) ([]storage.Workspace, error) {
	return call1(t, func() ([]storage.Workspace, error) { return t.tx.WorkspacesOfPage(ctx, user, after, limit) })
}
func (t *faultTx) RoleCounts(ctx context.Context, ws string) (map[string]int, error) {
	return call1(t, func() (map[string]int, error) { return t.tx.RoleCounts(ctx, ws) })
}
func (t *faultTx) FirstMembers(ctx context.Context, ws, role string, limit int) ([]storage.Member, error) {
	return call1(t, func() ([]storage.Member, error) { return t.tx.FirstMembers(ctx, ws, role, limit) })
}
func (t *faultTx) CreateInvitation(ctx context.Context, inv storage.Invitation) error {
	return call0(t, func() error { return t.tx.CreateInvitation(ctx, inv) })
}
func (t *faultTx) Invitation(ctx context.Context, ws, id string) (storage.Invitation, error) {
	return call1(t, func() (storage.Invitation, error) { return t.tx.Invitation(ctx, ws, id) })
}
func (t *faultTx) InvitationByToken(ctx context.Context, h string) (storage.Invitation, error) {
	return call1(t, func() (storage.Invitation, error) { return t.tx.InvitationByToken(ctx, h) })
}
func (t *faultTx) Invitations(ctx context.Context, ws string, after *storage.InvitationKey, limit int) ([]storage.Invitation, error) {
	return call1(t, func() ([]storage.Invitation, error) { return t.tx.Invitations(ctx, ws, after, limit) })
}
func (t *faultTx) PendingInvitations(ctx context.Context, ws string, now time.Time) ([]storage.Invitation, error) {
	return call1(t, func() ([]storage.Invitation, error) { return t.tx.PendingInvitations(ctx, ws, now) })
}
func (t *faultTx) UpdateInvitation(ctx context.Context, inv storage.Invitation) error {
	return call0(t, func() error { return t.tx.UpdateInvitation(ctx, inv) })
}
func (t *faultTx) AppendEvent(ctx context.Context, e storage.Event) (int64, error) {
	return call1(t, func() (int64, error) { return t.tx.AppendEvent(ctx, e) })
}
func (t *faultTx) Events(ctx context.Context, ws string, after int64, limit int) ([]storage.Event, error) {
	return call1(t, func() ([]storage.Event, error) { return t.tx.Events(ctx, ws, after, limit) })
}
func (t *faultTx) Pool(ctx context.Context, ws, cur string) (storage.Pool, error) {
	return call1(t, func() (storage.Pool, error) { return t.tx.Pool(ctx, ws, cur) })
}
func (t *faultTx) CreatePool(ctx context.Context, p storage.Pool) error {
	return call0(t, func() error { return t.tx.CreatePool(ctx, p) })
}
func (t *faultTx) UpdatePool(ctx context.Context, p storage.Pool) error {
	return call0(t, func() error { return t.tx.UpdatePool(ctx, p) })
}
func (t *faultTx) Pools(ctx context.Context, ws string) ([]storage.Pool, error) {
	return call1(t, func() ([]storage.Pool, error) { return t.tx.Pools(ctx, ws) })
}
func (t *faultTx) Grants(ctx context.Context, ws, cur string) ([]credits.Grant, error) {
	return call1(t, func() ([]credits.Grant, error) { return t.tx.Grants(ctx, ws, cur) })
}
func (t *faultTx) PutGrant(ctx context.Context, ws, cur string, g credits.Grant) error {
	return call0(t, func() error { return t.tx.PutGrant(ctx, ws, cur, g) })
}
func (t *faultTx) DeleteGrant(ctx context.Context, ws, cur, id string) error {
	return call0(t, func() error { return t.tx.DeleteGrant(ctx, ws, cur, id) })
}
func (t *faultTx) Allowance(ctx context.Context, ws, cur, m string) (credits.Allowance, error) {
	return call1(t, func() (credits.Allowance, error) { return t.tx.Allowance(ctx, ws, cur, m) })
}
func (t *faultTx) Allowances(ctx context.Context, ws, cur string) ([]credits.Allowance, error) {
	return call1(t, func() ([]credits.Allowance, error) { return t.tx.Allowances(ctx, ws, cur) })
}
func (t *faultTx) PutAllowance(ctx context.Context, ws, cur string, a credits.Allowance) error {
	return call0(t, func() error { return t.tx.PutAllowance(ctx, ws, cur, a) })
}
func (t *faultTx) DeleteAllowance(ctx context.Context, ws, cur, m string) error {
	return call0(t, func() error { return t.tx.DeleteAllowance(ctx, ws, cur, m) })
}
func (t *faultTx) AppendEntries(ctx context.Context, ws string, es []credits.Entry) error {
	return call0(t, func() error { return t.tx.AppendEntries(ctx, ws, es) })
}
func (t *faultTx) Entries(ctx context.Context, ws, cur string, after int64, limit int) ([]storage.Entry, error) {
	return call1(t, func() ([]storage.Entry, error) { return t.tx.Entries(ctx, ws, cur, after, limit) })
}
func (t *faultTx) Idempotency(ctx context.Context, ws, key string) (storage.Idempotency, error) {
	return call1(t, func() (storage.Idempotency, error) { return t.tx.Idempotency(ctx, ws, key) })
}
func (t *faultTx) PutIdempotency(ctx context.Context, r storage.Idempotency) error {
	return call0(t, func() error { return t.tx.PutIdempotency(ctx, r) })
}
func (t *faultTx) WorkspacesIn(ctx context.Context, ids []string) ([]storage.Workspace, error) {
	return call1(t, func() ([]storage.Workspace, error) { return t.tx.WorkspacesIn(ctx, ids) })
}
func (t *faultTx) PersonalWorkspacesOf(ctx context.Context, users []string) ([]storage.Workspace, error) {
	return call1(t, func() ([]storage.Workspace, error) { return t.tx.PersonalWorkspacesOf(ctx, users) })
}
func (t *faultTx) OwnedSharedOf(ctx context.Context, users []string) (map[string]int, error) {
	return call1(t, func() (map[string]int, error) { return t.tx.OwnedSharedOf(ctx, users) })
}
func (t *faultTx) CreateWorkspaces(ctx context.Context, ws []storage.Workspace) error {
	return call0(t, func() error { return t.tx.CreateWorkspaces(ctx, ws) })
}
func (t *faultTx) InsertMembers(ctx context.Context, ms []storage.Member) error {
	return call0(t, func() error { return t.tx.InsertMembers(ctx, ms) })
}
func (t *faultTx) AppendEvents(ctx context.Context, es []storage.Event) (int64, error) {
	return call1(t, func() (int64, error) { return t.tx.AppendEvents(ctx, es) })
}
func (t *faultTx) DeleteEvents(ctx context.Context, ws string, through int64) (int, error) {
	return call1(t, func() (int, error) { return t.tx.DeleteEvents(ctx, ws, through) })
}
func (t *faultTx) DeleteInvitations(ctx context.Context, ws string, before time.Time) (int, error) {
	return call1(t, func() (int, error) { return t.tx.DeleteInvitations(ctx, ws, before) })
}
func (t *faultTx) SpendRows(ctx context.Context, ws, cur string, after *storage.SpendKey, limit int) ([]credits.SpendRow, error) {
	return call1(t, func() ([]credits.SpendRow, error) { return t.tx.SpendRows(ctx, ws, cur, after, limit) })
}
