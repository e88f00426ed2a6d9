package memory

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
	"weak"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// TestWriteLogReset: an Update's credit write log keeps a small
// Update's writes (a spend's four) for the next to overwrite, and drops a
// large one's, old values and all, when the next Update starts: only a
// bounded number of old values outlives its Update. (An Update with a
// step of another kind forgets them at its end: TestDeletedTablesFreed.)
func TestWriteLogReset(t *testing.T) {
	ctx, now := context.Background(), time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	st := New()
	if err := st.Update(ctx, func(tx storage.Tx) error {
		return tx.CreateWorkspace(ctx, storage.Workspace{ID: "w", Kind: workspace.Shared, Plan: "p", Owner: "ann", Version: 1, Created: now, Anchor: now})
	}); err != nil {
		t.Fatal(err)
	}
	// put writes n allowances twice each: each has an old value on the
	// log's stack at its second write, or at both once they exist.
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

	put(keptWrites / 2) // makes the pool's map of allowances: another step
	put(keptWrites / 2) // keptWrites writes, and no other step
	empty()
	if w, o := held(); w != keptWrites || o != keptWrites {
		t.Errorf("after an Update of %d writes the log holds %d writes and %d old values, want them kept (%d and %d)", keptWrites, w, o, keptWrites, keptWrites)
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

// TestDeletedTablesFreed: the write log's room, which a small log leaves
// for the next Update to overwrite, does not keep a deleted workspace's
// tables alive: after a keyed write to a workspace with a large key index
// and the workspace's deletion (in a later Update, or in the same one
// after the write), the index is garbage once the collector runs, though
// no credit write came after.
func TestDeletedTablesFreed(t *testing.T) {
	for _, same := range []bool{false, true} {
		ctx, now := context.Background(), time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
		st := New()
		up := func(fn func(tx storage.Tx) error) {
			t.Helper()
			if err := st.Update(ctx, fn); err != nil {
				t.Fatal(err)
			}
		}
		up(func(tx storage.Tx) error {
			return tx.CreateWorkspace(ctx, storage.Workspace{ID: "w", Kind: workspace.Shared, Plan: "p", Owner: "ann", Version: 1, Created: now, Anchor: now})
		})
		up(func(tx storage.Tx) error { // a large Update, whose log is cleared
			for i := range 5000 {
				if err := tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "w", Key: "k" + strconv.Itoa(i), Fingerprint: "f", Result: "r", Created: now}); err != nil {
					return err
				}
			}
			return nil
		})
		index := weak.Make(st.s.idem["w"])
		write := func(tx storage.Tx) error { // a spend writes its record so
			return tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "w", Key: "last", Fingerprint: "f", Result: "r", Created: now})
		}
		if same {
			up(func(tx storage.Tx) error {
				if err := write(tx); err != nil {
					return err
				}
				return tx.DeleteWorkspace(ctx, "w")
			})
		} else {
			up(write)
			up(func(tx storage.Tx) error { return tx.DeleteWorkspace(ctx, "w") })
		}
		runtime.GC()
		if index.Value() != nil {
			t.Errorf("deleted in the same Update as the write %v: the deleted workspace's key index is still alive", same)
		}
		runtime.KeepAlive(st)
	}
}
