package backendtest_test

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
)

// spendPool makes a workspace of the credit-pool policy (seed 004) whose
// pool holds n credits and whose members adm and edi may spend all of them.
func spendPool(tb testing.TB, s *charter.Service, n int64) string {
	tb.Helper()
	id := must[*workspaceT](tb)(s.CreateWorkspace(ctx, "own", "Pool", "")).ID
	join(tb, s, "own", id, "adm", "admin")
	join(tb, s, "own", id, "edi", "editor")
	if n > 0 {
		must[charter.Receipt](tb)(s.Fund(ctx, "own", id, "credits", n, time.Time{}, "fund"))
	}
	for _, m := range []string{"own", "adm", "edi"} {
		check(tb, s.SetAllowance(ctx, "own", id, m, "credits", 1<<40))
	}
	return id
}

// TestConcurrentSpends races 64 goroutines of 1,000 spends each against a
// pool of n credits, every key used twice: exactly n are spent, the balance
// ends at 0, each key is applied once, and the journal agrees.
func TestConcurrentSpends(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		const n, workers = 5000, 64
		perWorker := 1000
		if testing.Short() || !isMemory(t) {
			perWorker = 100
		}
		c := newClock()
		s := newService(t, "credit-pool", open(t), c)
		id := spendPool(t, s, n)
		var ok, insufficient atomic.Int64
		receipts := sync.Map{}
		var wg sync.WaitGroup
		actors := []string{"own", "adm", "edi"}
		for g := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perWorker {
					// Keys repeat across goroutine pairs: half are retries.
					k := fmt.Sprintf("k%d-%d", g/2, i)
					actor := actors[(g/2)%len(actors)]
					r, err := s.Spend(ctx, actor, "create_visuals", id, k)
					switch {
					case err == nil:
						if prev, loaded := receipts.LoadOrStore(k, r); loaded && prev.(charter.Receipt).Time != r.Time {
							t.Errorf("key %s gave two receipts", k)
						}
						ok.Add(1)
					case errors.Is(err, charter.ErrInsufficientCredits):
						insufficient.Add(1)
					case errors.Is(err, charter.ErrConflict):
						// A retryable conflict changed nothing.
					default:
						t.Errorf("Spend: %v", err)
					}
				}
			}()
		}
		wg.Wait()
		distinct := int64(0)
		receipts.Range(func(any, any) bool { distinct++; return true })
		want := min(int64(n), int64(workers/2*perWorker))
		if distinct != want {
			t.Errorf("%d distinct keys spent, want %d", distinct, want)
		}
		b := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits"))
		if b.Available != int64(n)-want {
			t.Errorf("balance %d, want %d", b.Available, int64(n)-want)
		}
		j := must[[]credits.Entry](t)(journalOf(s, "own", id, "credits"))
		if sum := credits.Sum(j); sum != b.Available {
			t.Errorf("journal sums to %d, balance %d", sum, b.Available)
		}
		spends := map[string]int{}
		for _, e := range j {
			if e.Kind == credits.KindSpend {
				spends[e.Key]++
			}
		}
		for k, n := range spends {
			if n != 1 {
				t.Errorf("key %s has %d spend entries", k, n)
			}
		}
		t.Logf("%d spends ok (%d distinct), %d refused for want of credits", ok.Load(), distinct, insufficient.Load())
	})
}

// TestReceiptLotsAreTheirOwn: receipts' lots come from room made for
// several at once (keyedCall.lot), and each receipt's must still be its
// own: 40 spends (past two rooms' worth), each receipt kept, every lot
// holding what its spend burned after a caller wrote to one receipt's lot
// and appended to another's.
func TestReceiptLotsAreTheirOwn(t *testing.T) {
	s := newService(t, "credit-pool", memoryStore(), newClock())
	id := spendPool(t, s, 100)
	var rs []charter.Receipt
	for i := range 40 {
		r := must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "k"+strconv.Itoa(i)))
		if len(r.Lots) != 1 || cap(r.Lots) != 1 {
			t.Fatalf("receipt %d: %d lots of capacity %d, want 1 and 1", i, len(r.Lots), cap(r.Lots))
		}
		rs = append(rs, r)
	}
	want := rs[0].Lots[0]
	rs[3].Lots[0].Amount = 99
	rs[4].Lots = append(rs[4].Lots, charter.Lot{Grant: "appended", Amount: 7})
	for i, r := range rs {
		if i == 3 {
			continue
		}
		if r.Lots[0] != want {
			t.Errorf("receipt %d's lot is %+v, want %+v", i, r.Lots[0], want)
		}
	}
}

// TestSpendAllocs pins what Service.Spend allocates on the memory store:
// the stored record (its receipt in one string, kept). The store's
// transaction comes from room for 64 made at once, the receipt's lot from
// room for 16, and growing the key index and the journal happens now and
// then: all are averaged away (AllocsPerRun rounds down). A replay
// allocates what decoding the stored receipt does.
func TestSpendAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under -race")
	}
	const runs = 2000
	s := newService(t, "credit-pool", memoryStore(), newClock())
	id := spendPool(t, s, runs+10)
	keys := make([]string, runs+1)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	i := 0
	n := testing.AllocsPerRun(runs, func() {
		if _, err := s.Spend(ctx, "edi", "create_visuals", id, keys[i]); err != nil {
			t.Fatal(err)
		}
		i++
	})
	t.Logf("Spend allocates %v times", n)
	if n > 1 {
		t.Errorf("Spend allocates %v times, want at most 1", n)
	}
	b := must[charter.Balance](t)(s.Balance(ctx, "edi", id, "credits"))
	if b.Available != 10-1 { // AllocsPerRun runs once more to warm up
		t.Errorf("balance %d after %d spends, want 9", b.Available, i)
	}
}

func isMemory(t *testing.T) bool { return len(t.Name()) > 7 && t.Name()[len(t.Name())-7:] == "/memory" }

// BenchmarkSpend measures Service.Spend on the in-memory store beside its
// floors (spend_floor_test.go), each spend with a key of its own: from one
// caller, one spend after another (serial), and from p goroutines per CPU
// (goroutines=p, as RunParallel counts them). The baseline only
// decrements an int under a mutex; the floor also records the key and
// appends a journal entry; floor+receipt also keeps the receipt; fullfloor
// does what Spend's semantics ask (authorize, allowance, lots, receipt,
// journal) with none of charter's layers; storefloor does the same through
// the memory store's transaction, as the Service reads and writes it;
// store (serial only) is the memory store's share of a spend. Report: the
// ratios of service to each floor, per round, as medians (see the
// README).
func BenchmarkSpend(b *testing.B) {
	for _, procs := range []int{0, 1, 2, 8} {
		name := fmt.Sprintf("goroutines=%d", procs)
		if procs == 0 {
			name = "serial"
		}
		b.Run("baseline/"+name, func(b *testing.B) {
			var mu sync.Mutex
			balance := int64(b.N + 1)
			runSpends(b, procs, func(string, []byte) error {
				mu.Lock()
				if balance > 0 {
					balance--
				}
				mu.Unlock()
				return nil
			})
		})
		b.Run("floor/"+name, func(b *testing.B) { runSpends(b, procs, spendFloor(b.N)) })
		b.Run("floor+receipt/"+name, func(b *testing.B) { runSpends(b, procs, spendFloorReceipt(b.N)) })
		b.Run("fullfloor/"+name, func(b *testing.B) { runSpends(b, procs, spendFullFloor(b.N)) })
		b.Run("storefloor/"+name, func(b *testing.B) { runSpends(b, procs, spendStoreFloor(b, b.N)) })
		if procs == 0 {
			b.Run("store/serial", func(b *testing.B) { benchSpendStore(b) })
		}
		b.Run("service/"+name, func(b *testing.B) { runSpends(b, procs, serviceSpend(b, b.N)) })
	}
	b.Run("interleaved/serial", benchSpendInterleaved)
}

// serviceSpend returns a spend through Service.Spend on a fresh memory
// store, from a pool that holds n spends.
func serviceSpend(b *testing.B, n int) func(key string, buf []byte) error {
	s := newService(b, "credit-pool", memoryStore(), newClock())
	id := spendPool(b, s, int64(n)+1)
	return func(key string, _ []byte) error {
		_, err := s.Spend(ctx, "edi", "create_visuals", id, key)
		return err
	}
}

// benchSpendInterleaved runs b.N spends through each of the floor, the
// store floor, the full floor and Service.Spend, one caller, in turns of
// 256 spends (the four taking the first place of a turn in rotation), so
// that all four meet the same load on a shared machine and the same state
// of the process: none runs first in a cold heap. It reports each one's
// time per spend (floor-ns, fullfloor-ns, spend-ns, storefloor-ns),
// Spend's ratios to the three floors (x-floor, x-fullfloor,
// x-storefloor) and the store floor's to the floor (storefloor-x-floor).
// Its ns/op is the sum of the four.
func benchSpendInterleaved(b *testing.B) {
	const turn = 256
	// In this order no two that share code (Spend and the store floor,
	// which run the memory store's transaction) run one after the other
	// within a turn, and Spend follows the store floor as often as it
	// precedes it across turns.
	const floor, storefloor, fullfloor, spend = 0, 1, 2, 3
	spends := [...]func(string, []byte) error{spendFloor(b.N), spendStoreFloor(b, b.N), spendFullFloor(b.N), serviceSpend(b, b.N)}
	var took [len(spends)]time.Duration
	keys := spendKeys(b.N)
	var buf [128]byte
	b.ReportAllocs()
	b.ResetTimer()
	for done, t := 0, 0; done < b.N; t++ {
		n := min(turn, b.N-done)
		for j := range spends {
			which := (t + j) % len(spends)
			start := time.Now()
			for _, k := range keys[done : done+n] {
				if err := spends[which](k, buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
			took[which] += time.Since(start)
		}
		done += n
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
	b.ReportMetric(per(took[floor]), "floor-ns")
	b.ReportMetric(per(took[fullfloor]), "fullfloor-ns")
	b.ReportMetric(per(took[spend]), "spend-ns")
	b.ReportMetric(per(took[storefloor]), "storefloor-ns")
	b.ReportMetric(float64(took[spend])/float64(took[floor]), "x-floor")
	b.ReportMetric(float64(took[spend])/float64(took[fullfloor]), "x-fullfloor")
	b.ReportMetric(float64(took[spend])/float64(took[storefloor]), "x-storefloor")
	b.ReportMetric(float64(took[storefloor])/float64(took[floor]), "storefloor-x-floor")
}

// benchSpendStore is the memory store's share of a spend: the one
// transaction of what Service.Spend reads (the actor's access; the pool,
// its lots, the allowance and the key's record, into a room kept from one
// spend to the next, as the Service keeps it) and writes (the record, the
// lot burned, a journal entry, the allowance), with the values made before
// the clock starts. What a spend does beyond it is the Service's.
func benchSpendStore(b *testing.B) {
	st := memoryStore()
	s := newService(b, "credit-pool", st, newClock())
	id := spendPool(b, s, int64(b.N)+1)
	keys := spendKeys(b.N)
	now := newClock().Now()
	// The receipt in the compact form the Service stores in memory, and a
	// fingerprint every record shares, as a member's spends of one action
	// share theirs.
	const fingerprint = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	const receipt = "R2\x01k\x0ecreate_visuals\x03edi\acredits\x02\x00\x01\x80\x80\xcd\xbb\xd5\xcc\xe2\x8f\x31\x00\x02\bkey:fund\x02\x00"
	var (
		room    storage.LedgerRoom
		rec     storage.Idempotency
		put     [1]credits.Grant
		entries [1]credits.Entry
		allow   credits.Allowance
	)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		err := st.Update(ctx, func(tx storage.Tx) error {
			if _, _, ok, err := storage.ReadAccess(ctx, tx, id, "edi"); err != nil || !ok {
				return fmt.Errorf("access: %v, %v", ok, err)
			}
			l, err := storage.ReadLedgerIn(ctx, tx, storage.LedgerQuery{Workspace: id, Currency: "credits", Member: "edi", Key: keys[i]}, &room)
			if err != nil || l.Record != nil || len(l.Grants) == 0 || l.Allowance == nil {
				return fmt.Errorf("ledger: %+v, %v", l, err)
			}
			put[0], allow = l.Grants[0], *l.Allowance
			put[0].Remaining--
			allow.Spent++
			rec = storage.Idempotency{Workspace: id, Key: keys[i], Fingerprint: fingerprint, Result: receipt, Created: now}
			entries[0] = credits.Entry{Kind: credits.KindSpend, Currency: "credits", Grant: put[0].ID, Amount: -1,
				Member: "edi", Action: "create_visuals", Key: keys[i], Time: now}
			return storage.SaveLedger(ctx, tx, storage.LedgerChange{
				Workspace: id, Currency: "credits", Record: &rec, Put: put[:], Entries: entries[:], Allowance: &allow,
			})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBalance shows that reading a balance does not grow with the
// journal: it reads the pool's live lots, never the journal.
func BenchmarkBalance(b *testing.B) {
	for _, spends := range []int{10, 10000} {
		b.Run(fmt.Sprintf("journal=%d", spends), func(b *testing.B) {
			s := newService(b, "credit-pool", memoryStore(), newClock())
			id := spendPool(b, s, int64(spends)+1)
			for i := range spends {
				must[charter.Receipt](b)(s.Spend(ctx, "edi", "create_visuals", id, fmt.Sprint("k", i)))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := s.Balance(ctx, "edi", id, "credits"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestDecideOutOfCredits follows seed 000: when the Space runs out of
// credits, AI features are unavailable until the reset, and Decide says so
// with the reset date.
func TestDecideOutOfCredits(t *testing.T) {
	c := newClock()
	s := newService(t, "spaces", memoryStore(), c)
	free := must[*workspaceT](t)(s.EnsurePersonal(ctx, "olivia")).ID
	for i := 0; ; i++ {
		_, err := s.Spend(ctx, "olivia", "use_ai_features", free, fmt.Sprint("k", i))
		if errors.Is(err, charter.ErrInsufficientCredits) {
			break
		}
		check(t, err)
	}
	d := must[charter.Decision](t)(s.Decide(ctx, "olivia", "use_ai_features", free, ""))
	if d.Allowed || d.Reason != policy.InsufficientCredits || d.ResetsAt.IsZero() {
		t.Fatalf("Decide = %+v, want InsufficientCredits with a reset date", d)
	}
	t.Log(d)
	// An upgrade gives the difference between the plans' grants now, for the
	// rest of the period; it expires with the period.
	check(t, s.ChangePlan(ctx, "olivia", free, "pro"))
	if b := must[charter.Balance](t)(s.Balance(ctx, "olivia", free, "ai_credits")); b.Available != 490 {
		t.Errorf("after the upgrade %d AI credits, want 500 - 10 = 490", b.Available)
	}
	check(t, s.ChangePlan(ctx, "olivia", free, "free"))
	c.t = d.ResetsAt
	if b := must[charter.Balance](t)(s.Balance(ctx, "olivia", free, "ai_credits")); b.Available != 10 {
		t.Errorf("next period on Free: %d AI credits, want 10 (the upgrade lot expired)", b.Available)
	}
	if ok := must[bool](t)(s.Can(ctx, "olivia", "use_ai_features", free)); !ok {
		t.Errorf("AI feature still unavailable after the reset on %s", d.ResetsAt)
	}
}
