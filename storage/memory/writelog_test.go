package memory

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// TestWriteLogReset: an Update's credit write log keeps a small
// Update's writes (a spend's four) for the next to overwrite, and drops a
// large one's, old values and all, when the next Update starts: only a
// bounded number of old values outlives its Update.
func TestWriteLogReset(t *testing.T) {
	ctx, now := context.Background(), time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	st := New()
	if err := st.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateWorkspace(ctx, storage.Workspace{ID: "w", Kind: workspace.Shared, Plan: "p", Owner: "ann", Version: 1, Created: now, Anchor: now})
	}); err != nil {
		t.Fatal(err)
	}
	// put writes n allowances twice each, so that each has an old value
	// on the log's stack.
	put := func(n int) {
		t.Helper()
		if err := st.Update(ctx, func(tx storage.Tx) error {
			for range 2 {
				for i := range n {
					if err := tx.PutAllowance(ctx, "w", "c", credits.Allowance{Member: "m" + strconv.Itoa(i), Amount: 5}); err != nil {
						return err
					}
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// held counts the writes and old values the log's room still holds.
	held := func() (writes, olds int) {
		l := &st.s.log
		for _, w := range l.writes[:cap(l.writes)] {
			if w.key != "" || w.allows != nil || w.had {
				writes++
			}
		}
		for _, a := range l.allows[:cap(l.allows)] {
			if a != (credits.Allowance{}) {
				olds++
			}
		}
		return writes, olds
	}
	empty := func() {
		t.Helper()
		if err := st.Update(ctx, func(storage.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}

	put(keptWrites / 2) // keptWrites writes
	empty()
	if w, o := held(); w != keptWrites || o != keptWrites/2 {
		t.Errorf("after an Update of %d writes the log holds %d writes and %d old values, want them kept (%d and %d)", keptWrites, w, o, keptWrites, keptWrites/2)
	}
	put(keptWrites) // twice keptWrites writes
	empty()
	if w, o := held(); w != 0 || o != 0 {
		t.Errorf("after an Update of %d writes the log holds %d writes and %d old values, want none", 2*keptWrites, w, o)
	}
}

// TestUndoRoomReset: the undo room keeps between Updates only the steps
// of credit writes (state.undoWrite): an Update that committed any other
// step, or rolled back, leaves it empty, and one whose steps were all
// credit writes leaves them.
func TestUndoRoomReset(t *testing.T) {
	ctx, now := context.Background(), time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	st := New()
	held := func() (n int) {
		for _, f := range st.s.undoRoom {
			if f != nil {
				n++
			}
		}
		return n
	}
	allowances := func(fail bool) error {
		return st.Update(ctx, func(tx storage.Tx) error {
			for i := range 3 {
				if err := tx.PutAllowance(ctx, "w", "c", credits.Allowance{Member: "m" + strconv.Itoa(i), Amount: 5}); err != nil {
					return err
				}
			}
			if fail {
				return errRolledBack
			}
			return nil
		})
	}
	if err := st.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateWorkspace(ctx, storage.Workspace{ID: "w", Kind: workspace.Shared, Plan: "p", Owner: "ann", Version: 1, Created: now, Anchor: now})
	}); err != nil {
		t.Fatal(err)
	}
	if n := held(); n != 0 {
		t.Errorf("after a committed Update with other steps the room holds %d, want 0", n)
	}
	// The first makes the pool's map of allowances, another step.
	for range 2 {
		if err := allowances(false); err != nil {
			t.Fatal(err)
		}
	}
	if n := held(); n != 3 {
		t.Errorf("after a committed Update of 3 credit writes the room holds %d, want them kept", n)
	}
	if err := allowances(true); err != errRolledBack {
		t.Fatal(err)
	}
	if n := held(); n != 0 {
		t.Errorf("after a rolled-back Update the room holds %d, want 0", n)
	}
	// Credit writes after another step in one Update: the room is cleared.
	if err := st.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreatePool(ctx, storage.Pool{Workspace: "w", Currency: "d"}); err != nil {
			return err
		}
		return tx.PutAllowance(ctx, "w", "d", credits.Allowance{Member: "m", Amount: 5})
	}); err != nil {
		t.Fatal(err)
	}
	if n := held(); n != 0 {
		t.Errorf("after a committed Update with a pool made and a credit write the room holds %d, want 0", n)
	}
}
