package backendtest_test

import (
	"strconv"
	"testing"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

func BenchmarkZZPieces(b *testing.B) {
	st := memoryStore()
	s := newService(b, "credit-pool", st, newClock())
	id := spendPool(b, s, int64(b.N)+1)
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	b.Run("update-empty", func(b *testing.B) {
		for b.Loop() {
			_ = st.Update(ctx, func(tx storage.Tx) error { return nil })
		}
	})
	b.Run("update-access", func(b *testing.B) {
		for b.Loop() {
			_ = st.Update(ctx, func(tx storage.Tx) error { _, _, _, err := storage.ReadAccess(ctx, tx, id, "edi"); return err })
		}
	})
	b.Run("update-access-ledger", func(b *testing.B) {
		for b.Loop() {
			_ = st.Update(ctx, func(tx storage.Tx) error {
				_, _, _, err := storage.ReadAccess(ctx, tx, id, "edi")
				_, err = storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: id, Currency: "credits", Member: "edi", Key: "zz"})
				return err
			})
		}
	})
	b.Run("update-access-ledger-allowance", func(b *testing.B) {
		for b.Loop() {
			_ = st.Update(ctx, func(tx storage.Tx) error {
				_, _, _, _ = storage.ReadAccess(ctx, tx, id, "edi")
				l, _ := storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: id, Currency: "credits", Member: "edi", Key: "zz"})
				a := *l.Allowance
				return storage.SaveLedger(ctx, tx, storage.LedgerChange{Workspace: id, Currency: "credits", Allowance: &a})
			})
		}
	})
	b.Run("update-access-ledger-allowance-entry", func(b *testing.B) {
		for b.Loop() {
			_ = st.Update(ctx, func(tx storage.Tx) error {
				_, _, _, _ = storage.ReadAccess(ctx, tx, id, "edi")
				l, _ := storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: id, Currency: "credits", Member: "edi", Key: "zz"})
				a := *l.Allowance
				return storage.SaveLedger(ctx, tx, storage.LedgerChange{Workspace: id, Currency: "credits", Allowance: &a, Entries: []credits.Entry{{Currency: "credits", Amount: 0}}})
			})
		}
	})
}
