package backendtest_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/internal/heap"
)

// TestHeapPerSpend pins what a spend keeps in the memory store: 20,000
// spends of one member, each under a key of its own made before
// measuring (the store keeps a caller's key without copying it), must
// keep at most 190 bytes of live heap each: the key's record and its
// place in the key index, the receipt in the compact form, and the
// journal entry. It holds for short keys (k0 to k19999, as BenchmarkSpend
// uses) and for UUIDs, which many clients send: the receipt leaves out
// the key its record is under. Both keep about 184. A spend with a short
// key kept 230 bytes before the compact receipt and 209 before the
// compact journal entry; one with a UUID kept 216 after that, before the
// receipt left its key out.
func TestHeapPerSpend(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("measures the heap")
	}
	const n = 20000
	uuids := make([]string, n)
	for i := range uuids {
		uuids[i] = fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", i, i%0x10000, i%0x1000, i%0x1000, i)
	}
	for _, keys := range [][]string{spendKeys(n), uuids} {
		t.Run(fmt.Sprintf("key=%s", keys[n-1]), func(t *testing.T) { heapPerSpend(t, keys) })
	}
}

func heapPerSpend(t *testing.T, keys []string) {
	n := len(keys)
	s := newService(t, "credit-pool", memoryStore(), newClock())
	id := spendPool(t, s, int64(n))
	before := heap.Live()
	for _, k := range keys {
		if _, err := s.Spend(ctx, "edi", "create_visuals", id, k); err != nil {
			t.Fatal(err)
		}
	}
	after := heap.Live()
	runtime.KeepAlive(s)
	runtime.KeepAlive(keys)
	per := float64(after-min(before, after)) / float64(n)
	t.Logf("%.0f bytes of live heap a spend", per)
	if per > 190 {
		t.Errorf("%.0f bytes of live heap a spend, want at most 190", per)
	}
	if b := must[charter.Balance](t)(s.Balance(ctx, "edi", id, "credits")); b.Available != 0 {
		t.Errorf("balance %d after %d spends of %d credits, want 0", b.Available, n, n)
	}
}
