package backendtest_test

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// This file holds the floors BenchmarkSpend measures Service.Spend
// against, each hand-written over maps and slices under one mutex.

// floorEntry is the journal entry of the bare floors: a key and an
// amount.
type floorEntry struct {
	key    string
	amount int64
}

// spendKeys returns the n idempotency keys a spend benchmark uses, made
// before its clock starts.
func spendKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = "k" + strconv.Itoa(i)
	}
	return keys
}

// runSpends runs spend b.N times, each with a key of its own, and fails b
// at the first error: from procs goroutines per CPU (RunParallel), or,
// when procs is 0, one after another on b's goroutine, as one caller
// does. buf is room of the goroutine's own for a spend to encode into.
func runSpends(b *testing.B, procs int, spend func(key string, buf []byte) error) {
	keys := spendKeys(b.N)
	b.ReportAllocs()
	if procs == 0 {
		var buf [128]byte
		b.ResetTimer()
		for _, k := range keys {
			if err := spend(k, buf[:0]); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		return
	}
	var next atomic.Int64
	b.SetParallelism(procs)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var buf [128]byte
		for pb.Next() {
			if err := spend(keys[next.Add(1)-1], buf[:0]); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
}

// spendFloor is the least any spend the brief asks for must do, under one
// mutex: record the idempotency key, append a journal entry, decrement,
// with a balance for n spends.
func spendFloor(n int) func(key string, buf []byte) error {
	var (
		mu      sync.Mutex
		balance = int64(n + 1)
		applied = map[string]int{}
		journal []floorEntry
	)
	return func(k string, _ []byte) error {
		mu.Lock()
		if _, done := applied[k]; !done && balance > 0 {
			balance--
			applied[k] = len(journal)
			journal = append(journal, floorEntry{k, -1})
		}
		mu.Unlock()
		return nil
	}
}

// spendFloorReceipt is spendFloor, but keeping what an
// idempotent spend must give back on a retry: the receipt. Under the
// lock, as the floor does its work, it checks the key (a retry gets the
// stored receipt back), encodes the receipt's fields (key, member, action,
// amount, period, time, the lot burned) into a string as compactly as text
// allows, keeps it in a slice the key's map entry points into, and appends
// the journal entry. It shows what keeping receipts costs over the floor.
func spendFloorReceipt(n int) func(key string, buf []byte) error {
	now := newClock().Now()
	var (
		mu       sync.Mutex
		balance  = int64(n + 1)
		applied  = map[string]int{}
		receipts []string
		journal  []floorEntry
	)
	return func(k string, r []byte) error {
		mu.Lock()
		if i, done := applied[k]; done {
			_ = receipts[i]
		} else if balance > 0 {
			balance--
			r = append(r, k...)
			r = append(append(r, "|edi|create_visuals|"...), '1', '|', '0', '|')
			r = strconv.AppendInt(r, now.UnixNano(), 10)
			r = append(r, "|key:fund|1"...)
			applied[k] = len(receipts)
			receipts = append(receipts, string(r))
			journal = append(journal, floorEntry{k, -1})
		}
		mu.Unlock()
		return nil
	}
}

// errFloorRefused is what spendFullFloor's spend returns when it refuses:
// none of the benchmark's spends may be refused.
var errFloorRefused = errors.New("full floor: spend refused")

// spendFullFloor is the least a spend with the semantics the issue
// asks of Service.Spend must do, hand-written over maps and slices under
// one mutex, with none of charter's layers (no policy, no storage
// interface, no transaction to roll back: it checks everything before it
// writes anything). Per spend it:
//
//   - checks its four texts at the edge (valid UTF-8, no control
//     characters, at most 256 bytes), as every Service call does;
//   - reads the time from a clock of the kind the benchmark gives
//     Service.Spend (until 2026-12-06 it read it once, before the first
//     spend, which no service can do);
//   - replays the stored receipt when the key was used;
//   - authorizes: the actor's role in the workspace (map lookup) and the
//     action's bit in the role's mask, as the Can floor does;
//   - checks and charges the actor's allowance for the period;
//   - burns the credit from the first lot neither empty nor expired, lots
//     kept in the order they are spent (soonest to expire first);
//   - keeps the receipt (key, member, action, amount, period, time, the
//     lot burned) as compact text under the key, for a retry;
//   - appends the journal entry (key, member, action, lot, amount, period,
//     time).
//
// It keeps receipts and journal in chunks (floorList), as a service that
// cannot know how many spends will come keeps them best: no append ever
// copies what is kept.
//
// BenchmarkSpend states Service.Spend against it beside the bare floor,
// which only records a key, appends an entry and decrements: a spend that
// did only that would not authorize, keep an allowance, know its lots or
// answer a retry. Its lot holds n spends.
func spendFullFloor(n int) func(key string, buf []byte) error {
	type lot struct {
		id        string
		remaining int64
		expires   int64 // Unix nanoseconds; 0: never
	}
	type allowance struct{ limit, spent, period int64 }
	type entry struct {
		key, member, action, grant string
		amount, period, time       int64
	}
	const (
		ws, actor, action = "ws-0001", "edi", "create_visuals"
		actionBit         = 1 << 7
		cost              = 1
	)
	clk := newClock()
	var (
		mu     sync.Mutex
		roles  = map[string]map[string]uint8{ws: {"own": 0, "adm": 1, "edi": 2}}
		masks  = [4]uint64{^uint64(0), ^uint64(0), actionBit | 1<<3, 1 << 3}
		allows = map[string]*allowance{"own": {limit: 1 << 40}, "adm": {limit: 1 << 40}, "edi": {limit: 1 << 40}}
		lots   = []lot{{id: "key:fund", remaining: int64(n) + 1}}
		// applied maps each key to its receipt's place in receipts.
		applied  = map[string]int{}
		receipts floorList[string]
		journal  floorList[entry]
	)
	// The full floor's own check and receipt, not plain's and
	// appendFloorReceipt's, which the store floor calls: as calls they
	// would cost it some 130 instructions a spend (3%) more than it has
	// been measured at.
	plain := func(v string) bool {
		if len(v) == 0 || len(v) > 256 || !utf8.ValidString(v) {
			return false
		}
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] == 0x7f {
				return false
			}
		}
		return true
	}
	return func(k string, rec []byte) error {
		if !plain(actor) || !plain(action) || !plain(ws) || !plain(k) {
			return errFloorRefused
		}
		now := clk.Now() // a spend happens at a time: it reads the clock, as Spend does
		t := now.UnixNano()
		period := int64(now.Year())*12 + int64(now.Month()) - 1
		mu.Lock()
		defer mu.Unlock()
		if i, done := applied[k]; done {
			_ = receipts.at(i)
			return nil
		}
		r, member := roles[ws][actor]
		a := allows[actor]
		if a.period != period {
			a.period, a.spent = period, 0
		}
		i := 0
		for i < len(lots) && (lots[i].remaining == 0 || lots[i].expires != 0 && lots[i].expires <= t) {
			i++
		}
		if !member || masks[r]&actionBit == 0 || a.spent+cost > a.limit || i == len(lots) {
			return errFloorRefused
		}
		l := &lots[i]
		l.remaining -= cost
		a.spent += cost
		rec = append(rec, k...)
		rec = append(append(append(append(rec, '|'), actor...), '|'), action...)
		rec = strconv.AppendInt(append(rec, '|'), cost, 10)
		rec = strconv.AppendInt(append(rec, '|'), period, 10)
		rec = strconv.AppendInt(append(rec, '|'), t, 10)
		rec = strconv.AppendInt(append(append(append(rec, '|'), l.id...), '|'), cost, 10)
		applied[k] = receipts.push(string(rec))
		journal.push(entry{key: k, member: actor, action: action, grant: l.id, amount: -cost, period: period, time: t})
		return nil
	}
}

// appendFloorReceipt appends the full floors' receipt of a spend: key,
// member, action, amount, period, time and the lot burned, as text.
func appendFloorReceipt(b []byte, key, member, action, lot string, amount, period, t int64) []byte {
	b = append(b, key...)
	b = append(append(append(append(b, '|'), member...), '|'), action...)
	b = strconv.AppendInt(append(b, '|'), amount, 10)
	b = strconv.AppendInt(append(b, '|'), period, 10)
	b = strconv.AppendInt(append(b, '|'), t, 10)
	return strconv.AppendInt(append(append(append(b, '|'), lot...), '|'), amount, 10)
}

// plain is the floors' check of a text at the edge: valid UTF-8, no
// control characters, 1 to 256 bytes.
func plain(v string) bool {
	if len(v) == 0 || len(v) > 256 || !utf8.ValidString(v) {
		return false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] == 0x7f {
			return false
		}
	}
	return true
}

// spendStoreFloor is the least a spend that persists through charter's
// storage can do: the full floor's decisions, hand-written as there,
// on what the memory store reads, and the write the Service makes. It
// runs one Update of the memory store on a pool the Service set up (n
// credits in one lot, allowances for the members) and in it:
//
//   - reads the actor's access (storage.ReadAccessInto) and the ledger
//     (storage.ReadLedgerIn: the pool, its lots, the actor's allowance,
//     the key's record) into room kept from one spend to the next, as
//     the Service does;
//   - replays the stored receipt when the key was used;
//   - decides as the full floor does, by hand: the texts at the edge, the
//     clock, the role's bit for the action, the allowance for the period,
//     the first lot neither empty nor expired, the receipt as text;
//   - writes the record, the lot, the journal entry and the allowance in
//     one storage.SaveLedger, as the Service does.
//
// What Service.Spend costs beyond it is the Service's own: the policy
// instead of a hand-written mask, the credits package's arithmetic, the
// compact receipt, idempotency fingerprints, the call's plumbing. What it
// costs beyond the full floor is storage's: the interface, the
// transaction and its undo log, the store's compact journal and key index.
func spendStoreFloor(b *testing.B, n int) func(key string, buf []byte) error {
	spend, _, _, _ := storeFloor(b, n)
	return spend
}

// storeFloor is spendStoreFloor's spend, with the store it spends in, the
// Service that set up its pool and the workspace's ID, for a test to read
// what it spent.
func storeFloor(tb testing.TB, n int) (spend func(key string, buf []byte) error, _ storage.Store, s *charter.Service, id string) {
	// A local the spend's closure captures, not the result: so the
	// compiler sees its type and its Update callback stays on the stack.
	st := memoryStore()
	s = newService(tb, "credit-pool", st, newClock())
	id = spendPool(tb, s, int64(n)+1)
	const (
		actor, action, currency = "edi", "create_visuals", "credits"
		actionBit               = 1 << 7
		cost                    = 1
		// fingerprint is what every record of the spends of one member
		// and action shares, as the Service's do.
		fingerprint = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	)
	clk := newClock()
	var (
		roles = map[string]uint8{"owner": 0, "admin": 1, "editor": 2, "viewer": 3}
		masks = [4]uint64{^uint64(0), ^uint64(0), actionBit | 1<<3, 1 << 3}
		h     storage.Workspace
		m     storage.Member
		room  storage.LedgerRoom
		rec   storage.Idempotency
		put   [1]credits.Grant
		entry [1]credits.Entry
		allow credits.Allowance
	)
	spend = func(k string, buf []byte) error {
		if !plain(actor) || !plain(action) || !plain(id) || !plain(k) {
			return errFloorRefused
		}
		now := clk.Now().UTC()
		now = now.Add(-time.Duration(now.Nanosecond() % 1000)) // to the microsecond the store keeps
		t := now.UnixNano()
		period := int64(now.Year())*12 + int64(now.Month()) - 1
		return st.Update(ctx, func(tx storage.Tx) error {
			found, err := storage.ReadAccessInto(ctx, tx, id, actor, &h, &m)
			if err != nil || !found {
				return errFloorRefused
			}
			l, err := storage.ReadLedgerIn(ctx, tx, storage.LedgerQuery{Workspace: id, Currency: currency, Member: actor, Key: k}, &room)
			if err != nil {
				return err
			}
			if l.Record != nil {
				_ = l.Record.Result
				return nil
			}
			r, ok := roles[m.Role]
			if !ok || masks[r]&actionBit == 0 || l.Allowance == nil {
				return errFloorRefused
			}
			allow = *l.Allowance
			if allow.Period != period {
				allow.Period, allow.Spent = period, 0
			}
			i := 0
			for i < len(l.Grants) && (l.Grants[i].Remaining == 0 || !l.Grants[i].Expires.IsZero() && !now.Before(l.Grants[i].Expires)) {
				i++
			}
			if allow.Spent+cost > allow.Amount || i == len(l.Grants) {
				return errFloorRefused
			}
			put[0] = l.Grants[i]
			put[0].Remaining -= cost
			allow.Spent += cost
			buf = appendFloorReceipt(buf, k, actor, action, put[0].ID, cost, period, t)
			rec = storage.Idempotency{Workspace: id, Key: k, Fingerprint: fingerprint, Result: string(buf), Created: now}
			entry[0] = credits.Entry{Kind: credits.KindSpend, Currency: currency, Grant: put[0].ID, Amount: -cost,
				Member: actor, Action: action, Key: k, Period: period, Time: now}
			return storage.SaveLedger(ctx, tx, storage.LedgerChange{
				Workspace: id, Currency: currency, Record: &rec, Put: put[:], Entries: entry[:], Allowance: &allow,
			})
		})
	}
	return spend, st, s, id
}

// TestStoreFloor: the store floor spends what a spend spends, once per
// key, through the store the Service reads: after 45 spends under 30 keys
// (every other key twice) the pool of 30 credits is empty, its journal
// holds 30 more entries, each edi's spend of one credit, edi's allowance
// has 30 spent in the floor's period, and a spend more is refused.
func TestStoreFloor(t *testing.T) {
	const n = 30
	spend, st, s, id := storeFloor(t, n-1) // a pool of n credits
	before := must[[]credits.Entry](t)(journalOf(s, "own", id, "credits"))
	var buf [128]byte
	for i := range n {
		k := "k" + strconv.Itoa(i)
		for range 1 + i%2 { // every other key twice: a retry
			if err := spend(k, buf[:0]); err != nil {
				t.Fatalf("spend %s: %v", k, err)
			}
		}
	}
	b := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits"))
	if b.Available != 0 {
		t.Errorf("%d credits left, want 0", b.Available)
	}
	after := must[[]credits.Entry](t)(journalOf(s, "own", id, "credits"))
	if got := len(after) - len(before); got != n {
		t.Errorf("%d journal entries added, want %d", got, n)
	}
	for _, e := range after[len(before):] {
		if e.Kind != credits.KindSpend || e.Amount != -1 || e.Member != "edi" {
			t.Errorf("entry %+v, want a spend of 1 by edi", e)
		}
	}
	if err := st.View(ctx, func(tx storage.Tx) error {
		as, err := tx.Allowances(ctx, id, "credits")
		for _, a := range as {
			if now := newClock().Now(); a.Member == "edi" && (a.Spent != n || a.Period != int64(now.Year())*12+int64(now.Month())-1) {
				t.Errorf("edi's allowance %+v, want %d spent in the floor's period", a, n)
			}
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := spend("one more", buf[:0]); !errors.Is(err, errFloorRefused) {
		t.Errorf("a spend from an empty pool: %v, want refused", err)
	}
	// It allocates what the Service's spend does, the receipt's string,
	// and nothing more (its Update's callback stays on the stack).
	if !raceEnabled {
		spend, _, _, _ := storeFloor(t, 2000)
		keys, i := spendKeys(2001), 0
		if n := testing.AllocsPerRun(2000, func() {
			if err := spend(keys[i], buf[:0]); err != nil {
				t.Fatal(err)
			}
			i++
		}); n > 1 {
			t.Errorf("a store floor's spend allocates %v times, want at most 1", n)
		}
	}
}

// floorList is a list kept in chunks of floorChunk values, so that no push
// copies the values before it.
type floorList[T any] struct{ chunks [][]T }

// floorChunk is the length of floorList's chunks.
const floorChunk = 1024

// push appends v and returns its place.
func (l *floorList[T]) push(v T) int {
	if len(l.chunks) == 0 || len(l.chunks[len(l.chunks)-1]) == floorChunk {
		l.chunks = append(l.chunks, make([]T, 0, floorChunk))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, v)
	return (len(l.chunks)-1)*floorChunk + len(*last) - 1
}

// at returns the value in place i.
func (l *floorList[T]) at(i int) *T { return &l.chunks[i/floorChunk][i%floorChunk] }
