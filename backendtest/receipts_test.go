package backendtest_test

import (
	"strings"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// TestReceiptForm: the memory store, whose data no other build reads,
// keeps a spend's receipt in the compact form; a database, which a build
// from before that form may share, keeps JSON. Either way a retry and a
// refund read the receipt back.
func TestReceiptForm(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		st := open(t)
		s := newService(t, "credit-pool", st, newClock())
		id := spendPool(t, s, 10)
		first := must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "k1"))
		var rec storage.Idempotency
		check(t, st.View(ctx, func(tx storage.Tx) (err error) {
			rec, err = tx.Idempotency(ctx, id, "k1")
			return err
		}))
		_, inProcess := st.(storage.InProcess)
		if compact := strings.HasPrefix(rec.Result, "R2"); compact != inProcess || !compact && !strings.HasPrefix(rec.Result, "{") {
			t.Errorf("a spend's receipt is stored as %q (in-process store: %v)", rec.Result, inProcess)
		}
		again := must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "k1"))
		if again.Time != first.Time || again.Amount != first.Amount || len(again.Lots) != 1 || again.Lots[0] != first.Lots[0] || again.Period != first.Period {
			t.Errorf("the retry's receipt %+v, the first %+v", again, first)
		}
		refund := must[charter.Receipt](t)(s.Refund(ctx, "own", id, "k1"))
		if !refund.Refunded || refund.Amount != 1 {
			t.Errorf("refund %+v", refund)
		}
		if b := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits")); b.Available != 10 {
			t.Errorf("balance %d after the refund, want 10", b.Available)
		}
	})
}
