package memory

import (
	"context"
	"errors"
	"testing"

	"github.com/charterhq/charter/storage"
)

// TestTxStaysEnded: an Update's transaction kept past its end refuses
// every use inside any later Update (transactions come from room made for
// several at once, newTx, and none is handed out twice), while the
// running one works: the first of a slab, one in its middle, its last and
// the first of the next, each tried inside an Update 3 slabs' worth of
// Updates later.
func TestTxStaysEnded(t *testing.T) {
	ctx := context.Background()
	st := New()
	var kept []storage.Tx
	for i := range 3*txSlab + 1 {
		err := st.Update(ctx, func(tx storage.Tx) error {
			if i == 0 || i == txSlab/2 || i == txSlab-1 || i == txSlab {
				kept = append(kept, tx)
			}
			return tx.CreatePool(ctx, storage.Pool{Workspace: "none", Currency: "c"})
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("Update %d: %v, want ErrNotFound (no workspace)", i, err)
		}
	}
	if len(kept) != 4 {
		t.Fatalf("kept %d transactions", len(kept))
	}
	err := st.Update(ctx, func(cur storage.Tx) error {
		for i, tx := range kept {
			if tx == cur {
				t.Errorf("kept transaction %d is the running one", i)
			}
			if err := tx.CreatePool(ctx, storage.Pool{Workspace: "none", Currency: "c"}); !errors.Is(err, errEnded) {
				t.Errorf("kept transaction %d: CreatePool gave %v, want %v", i, err, errEnded)
			}
			if _, err := tx.(storage.LedgerInTx).LedgerIn(ctx, storage.LedgerQuery{Workspace: "none", Currency: "c"}, &storage.LedgerRoom{}); !errors.Is(err, errEnded) {
				t.Errorf("kept transaction %d: LedgerIn gave %v, want %v", i, err, errEnded)
			}
		}
		return cur.CreatePool(ctx, storage.Pool{Workspace: "none", Currency: "c"})
	})
	if !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("the running Update: %v, want ErrNotFound (no workspace)", err)
	}
}
