package charter_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/memory"
)

// readCounter is a store that counts the membership rows its transactions
// read, however they read them.
type readCounter struct {
	storage.Store
	rows int
}

func (c *readCounter) Update(ctx context.Context, fn func(storage.Tx) error) error {
	return c.Store.Update(ctx, func(tx storage.Tx) error { return fn(countingTx{tx, c}) })
}

func (c *readCounter) View(ctx context.Context, fn func(storage.Tx) error) error {
	return c.Store.View(ctx, func(tx storage.Tx) error { return fn(countingTx{tx, c}) })
}

type countingTx struct {
	storage.Tx
	c *readCounter
}

func (t countingTx) Member(ctx context.Context, ws, user string) (storage.Member, error) {
	t.c.rows++
	return t.Tx.Member(ctx, ws, user)
}

func (t countingTx) Members(ctx context.Context, ws string) ([]storage.Member, error) {
	ms, err := t.Tx.Members(ctx, ws)
	t.c.rows += len(ms)
	return ms, err
}

func (t countingTx) MembersPage(ctx context.Context, ws, after string, limit int) ([]storage.Member, error) {
	ms, err := t.Tx.MembersPage(ctx, ws, after, limit)
	t.c.rows += len(ms)
	return ms, err
}

func (t countingTx) FirstMembers(ctx context.Context, ws, role string, limit int) ([]storage.Member, error) {
	ms, err := t.Tx.FirstMembers(ctx, ws, role, limit)
	t.c.rows += len(ms)
	return ms, err
}

func (t countingTx) WorkspacesOf(ctx context.Context, user string) ([]storage.Workspace, error) {
	ws, err := t.Tx.WorkspacesOf(ctx, user)
	t.c.rows += len(ws)
	return ws, err
}

// TestChangesReadAPartOfTheWorkspace checks that every change of membership
// or settings reads a handful of membership rows, however many members the
// workspace has: the named members, the owner, the billing contact and the
// first admins, never the whole workspace. With an owner (credit-pool) and
// without one (team-guests, whose first admins are read).
func TestChangesReadAPartOfTheWorkspace(t *testing.T) {
	const most = 8 // rows a change may read
	for _, tc := range []struct {
		policy, plan, creator, role string
	}{{"team-guests", "business", "ana", "member"}, {"credit-pool", "team", "ana", "editor"}} {
		t.Run(tc.policy, func(t *testing.T) {
			s0 := newService(t, tc.policy)
			c := &readCounter{Store: memory.New()}
			s, err := charter.New(s0.Policy(), c, charter.Options{})
			ok(t, err)
			w, err := s.CreateWorkspace(ctx, tc.creator, "Big", tc.plan)
			ok(t, err)
			join := func(user, role string) {
				t.Helper()
				inv, err := s.Invite(ctx, tc.creator, w.ID, user+"@example.com", role)
				ok(t, err)
				_, err = s.Accept(ctx, user, user+"@example.com", inv.Token)
				ok(t, err)
			}
			join("adam", "admin")
			join("abby", "admin")
			for i := range 60 {
				join(fmt.Sprintf("m%02d", i), tc.role)
			}
			step := func(name string, fn func() error) {
				t.Helper()
				c.rows = 0
				if err := fn(); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if c.rows > most {
					t.Errorf("%s read %d membership rows in a workspace of 63, want at most %d", name, c.rows, most)
				}
			}
			var inv charter.Invitation
			step("Invite", func() (err error) {
				inv, err = s.Invite(ctx, "adam", w.ID, "new@example.com", tc.role)
				return err
			})
			step("Accept", func() error { _, err := s.Accept(ctx, "new", "new@example.com", inv.Token); return err })
			step("ChangeRole", func() error { return s.ChangeRole(ctx, "adam", w.ID, "m01", "admin") })
			step("ChangeRole back", func() error { return s.ChangeRole(ctx, "adam", w.ID, "m01", tc.role) })
			step("Remove", func() error { return s.Remove(ctx, "adam", w.ID, "m02") })
			step("Leave", func() error { return s.Leave(ctx, "m03", w.ID) })
			step("Rename", func() error { return s.Rename(ctx, tc.creator, w.ID, "Bigger") })
			step("CreateLink", func() (err error) {
				if tc.policy != "team-guests" {
					return nil
				}
				inv, err = s.CreateLink(ctx, tc.creator, w.ID, 3, 0)
				return err
			})
			step("Revoke", func() error { return s.Revoke(ctx, tc.creator, w.ID, inv.ID) })
			if tc.policy == "credit-pool" {
				step("SetAllowance", func() error { return s.SetAllowance(ctx, "adam", w.ID, "m04", "credits", 10) })
				step("TransferOwnership", func() error { return s.TransferOwnership(ctx, "ana", w.ID, "adam") })
			} else {
				// The first admin (ana, the creator) leaves: the billing
				// contact moves to the next, who was read with her.
				step("Leave (first admin)", func() error { return s.Leave(ctx, "ana", w.ID) })
				ws, err := s.Workspace(ctx, "adam", w.ID)
				ok(t, err)
				if ws.BillingContact != "adam" {
					t.Errorf("billing contact after the first admin left = %q, want adam", ws.BillingContact)
				}
			}
			c.rows = 0
			page, _, err := s.Members(ctx, "adam", w.ID, charter.Page{Limit: 5})
			ok(t, err)
			if len(page) != 5 || c.rows > 5+1+1 {
				t.Errorf("a page of 5 members: %d members, %d rows read", len(page), c.rows)
			}
		})
	}
}
