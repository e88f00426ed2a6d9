package credits_test

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/plan"
)

// The model below is written without the package's code: lots in a plain
// slice, the cheapest lot found by a linear scan over an integer tuple,
// rollover by a switch. It mirrors the documented rules, not the
// implementation.

type mlot struct {
	id      string
	rank    int // 0 carry, 1 periodic, 2 kept
	amount  int64
	left    int64
	expires time.Time // zero: never
	created time.Time
}

func (l *mlot) expired(t time.Time) bool { return !l.expires.IsZero() && !t.Before(l.expires) }

// before reports whether a burns before b.
func (l *mlot) before(b *mlot) bool {
	key := func(l *mlot) [3]int64 {
		exp := int64(math.MaxInt64)
		if !l.expires.IsZero() {
			exp = l.expires.UnixNano()
		}
		return [3]int64{int64(l.rank), exp, l.created.UnixNano()}
	}
	ka, kb := key(l), key(b)
	for i := range ka {
		if ka[i] != kb[i] {
			return ka[i] < kb[i]
		}
	}
	return l.id < b.id
}

type mallow struct {
	amount, period, spent int64
}

type mburn struct {
	lot string
	x   int64
}

type mspend struct {
	key    string
	member string
	period int64
	burns  []mburn
}

type model struct {
	lots    []*mlot
	started bool
	period  int64
	resets  map[int64]int              // applied resets per period
	allow   map[string]*mallow         // member -> allowance
	spent   map[string]map[int64]int64 // member -> period -> net spent
	spends  map[string]*mspend         // key -> spend
	burnt   map[string]mlot            // lot ID -> the lot as a spend last found it
}

func (m *model) find(id string) *mlot {
	for _, l := range m.lots {
		if l.id == id {
			return l
		}
	}
	return nil
}

func (m *model) balance(t time.Time) int64 {
	var n int64
	for _, l := range m.lots {
		if !l.expired(t) {
			n += l.left
		}
	}
	return n
}

func (m *model) current() int64 {
	if m.started {
		return m.period
	}
	return 0
}

func (m *model) reset(g plan.Grant, anchor, now time.Time) {
	k := g.Every.Index(anchor, now)
	from := k
	if m.started {
		from = m.period + 1
	}
	for j := from; j <= k; j++ {
		m.resets[j]++
		var keep []*mlot
		var left int64
		for _, l := range m.lots {
			switch {
			case l.left == 0:
			case l.rank < 2:
				left += l.left
			default:
				keep = append(keep, l)
			}
		}
		var carry int64
		switch g.Rollover.Kind {
		case plan.RolloverAll:
			carry = left
		case plan.RolloverCap:
			carry = min(left, g.Rollover.Cap)
		}
		if carry > 0 {
			keep = append(keep, &mlot{id: fmt.Sprintf("carry:%d", j), rank: 0, amount: carry, left: carry, created: now})
		}
		if g.Amount > 0 {
			keep = append(keep, &mlot{id: fmt.Sprintf("period:%d", j), rank: 1, amount: g.Amount, left: g.Amount, created: now})
		}
		m.lots, m.started, m.period = keep, true, j
	}
	m.lots = slices.DeleteFunc(m.lots, func(l *mlot) bool { return l.left > 0 && l.expired(now) })
}

// spend returns the lots a spend burns, or the error it must fail with.
func (m *model) spend(member string, require bool, amount int64, now time.Time) ([]mburn, error) {
	k := m.current()
	a := m.allow[member]
	if a == nil && require {
		return nil, credits.ErrNoAllowance
	}
	if a != nil {
		left := a.amount
		if a.period == k {
			left -= a.spent
		}
		if amount > left {
			return nil, credits.ErrAllowanceExceeded
		}
	}
	if m.balance(now) < amount {
		return nil, credits.ErrInsufficientCredits
	}
	var out []mburn
	for need := amount; need > 0; {
		var best *mlot
		for _, l := range m.lots {
			if l.left > 0 && !l.expired(now) && (best == nil || l.before(best)) {
				best = l
			}
		}
		x := min(need, best.left)
		m.burnt[best.id] = *best
		best.left -= x
		need -= x
		out = append(out, mburn{best.id, x})
	}
	if a != nil {
		if a.period != k {
			a.period, a.spent = k, 0
		}
		a.spent += amount
	}
	if m.spent[member] == nil {
		m.spent[member] = make(map[int64]int64)
	}
	m.spent[member][k] += amount
	return out, nil
}

func (m *model) refund(s *mspend, r plan.Rollover, now time.Time) []mburn {
	var out []mburn
	var total int64
	for _, b := range s.burns {
		l := m.find(b.lot)
		if l == nil {
			// The lot left the pool: a period's lot took its credits
			// with it; any other comes back as a new lot unless expired.
			was := m.burnt[b.lot]
			if was.expired(now) {
				continue
			}
			if was.rank < 2 {
				// A period's lot: what the rollover would have carried
				// into this period comes back as a carry lot.
				x := int64(0)
				switch r.Kind {
				case plan.RolloverAll:
					x = b.x
				case plan.RolloverCap:
					var held int64
					for _, l := range m.lots {
						if l.rank == 0 {
							held += l.amount
						}
					}
					x = max(0, min(b.x, r.Cap-held))
				}
				if x == 0 {
					continue
				}
				id := fmt.Sprintf("carry:refund:%d:%s:%s", len(s.key), s.key, b.lot)
				m.lots = append(m.lots, &mlot{id: id, rank: 0, amount: x, left: x, created: now})
				total += x
				out = append(out, mburn{id, x})
				continue
			}
			id := fmt.Sprintf("refund:%d:%s:%s", len(s.key), s.key, b.lot)
			m.lots = append(m.lots, &mlot{id: id, rank: 2, amount: b.x, left: b.x, expires: was.expires, created: now})
			total += b.x
			out = append(out, mburn{id, b.x})
			continue
		}
		if l.expired(now) {
			continue
		}
		l.left += b.x
		total += b.x
		out = append(out, b)
	}
	if a := m.allow[s.member]; a != nil && a.period == s.period {
		a.spent = max(0, a.spent-total)
	}
	m.spent[s.member][s.period] -= total
	return out
}

// machine drives the real functions as the Service would, beside the model.
type machine struct {
	anchor  time.Time
	g       plan.Grant
	now     time.Time
	pool    *credits.Pool
	allow   map[string]*credits.Allowance
	journal []credits.Entry
	results map[string][]credits.Entry // idempotency key -> the spend's entries
	refunds map[string]bool            // keys refunded
	lots    int                        // for unique top-up IDs
	m       *model
}

var members = []string{"ann", "bo", "cy"}

func newMachine(t *rapid.T) *machine {
	anchors := []time.Time{jan31, at("2024-02-29 09:30"), at("2023-08-31"), at("2024-03-15")}
	periods := []plan.Period{plan.Monthly, plan.Monthly, {N: 10, Unit: plan.Day}, {N: 1, Unit: plan.Week}, {N: 2, Unit: plan.Month}}
	s := &machine{
		anchor:  rapid.SampledFrom(anchors).Draw(t, "anchor"),
		pool:    &credits.Pool{Currency: "ai"},
		allow:   make(map[string]*credits.Allowance),
		results: make(map[string][]credits.Entry),
		refunds: make(map[string]bool),
		m: &model{
			resets: make(map[int64]int),
			allow:  make(map[string]*mallow),
			spent:  make(map[string]map[int64]int64),
			spends: make(map[string]*mspend),
			burnt:  make(map[string]mlot),
		},
	}
	s.g = plan.Grant{
		Currency:         "ai",
		Every:            rapid.SampledFrom(periods).Draw(t, "every"),
		RequireAllowance: rapid.Bool().Draw(t, "requireAllowance"),
	}
	s.drawPlan(t)
	s.now = s.anchor.Add(time.Duration(rapid.Int64Range(-48, 24*40).Draw(t, "startHours")) * time.Hour)
	if n := rapid.Int64Range(0, 10).Draw(t, "initial"); n > 0 {
		es, err := credits.Initial(s.pool, n, s.now)
		if err != nil {
			t.Fatalf("Initial(%d): %v", n, err)
		}
		s.journal = append(s.journal, es...)
		s.m.lots = append(s.m.lots, &mlot{id: "initial", rank: 2, amount: n, left: n, created: s.now})
	}
	return s
}

func (s *machine) drawPlan(t *rapid.T) {
	s.g.Amount = rapid.Int64Range(0, 100).Draw(t, "grant")
	switch rapid.IntRange(0, 2).Draw(t, "rollover") {
	case 0:
		s.g.Rollover = plan.Rollover{}
	case 1:
		s.g.Rollover = plan.Rollover{Kind: plan.RolloverAll}
	case 2:
		s.g.Rollover = plan.Rollover{Kind: plan.RolloverCap, Cap: rapid.Int64Range(0, 150).Draw(t, "cap")}
	}
}

func (s *machine) record(t *rapid.T, what string, es []credits.Entry) {
	for _, e := range es {
		if e.Currency != "ai" || !e.Time.Equal(s.now) {
			t.Fatalf("%s wrote %+v: wrong currency or time (now %v)", what, e, s.now)
		}
	}
	s.journal = append(s.journal, es...)
}

// reset applies Reset as the Service does before an operation, and checks
// that a second call does nothing.
func (s *machine) reset(t *rapid.T) {
	es, err := credits.Reset(s.pool, s.g, s.anchor, s.now)
	if err != nil {
		t.Fatalf("Reset: %v", err)
	}
	s.record(t, "Reset", es)
	s.m.reset(s.g, s.anchor, s.now)
	if again, err := credits.Reset(s.pool, s.g, s.anchor, s.now); err != nil || len(again) != 0 {
		t.Fatalf("second Reset at %v = %v, %v; want nothing", s.now, again, err)
	}
}

func (s *machine) maybeReset(t *rapid.T) {
	if rapid.IntRange(0, 3).Draw(t, "skipReset") > 0 {
		s.reset(t)
	}
}

func (s *machine) actions() map[string]func(*rapid.T) {
	return map[string]func(*rapid.T){
		"tick": func(t *rapid.T) {
			s.now = s.now.Add(time.Duration(rapid.Int64Range(0, 96).Draw(t, "hours")) * time.Hour)
		},
		"jump": func(t *rapid.T) {
			// To just past a boundary one to four periods on, or far.
			n := rapid.SampledFrom([]int64{1, 1, 2, 3, 4, 25}).Draw(t, "periods")
			k := s.g.Every.Index(s.anchor, s.now) + n
			s.now = s.g.Every.Boundary(s.anchor, k).Add(time.Duration(rapid.Int64Range(0, 3).Draw(t, "minutes")) * time.Minute)
			s.reset(t)
		},
		"reset": func(t *rapid.T) { s.reset(t) },
		"changePlan": func(t *rapid.T) {
			s.reset(t) // the old plan's periods first
			s.drawPlan(t)
		},
		"topUp": func(t *rapid.T) {
			s.maybeReset(t)
			amount := rapid.Int64Range(1, 200).Draw(t, "amount")
			var expires time.Time
			if rapid.Bool().Draw(t, "expires") {
				expires = s.now.Add(time.Duration(rapid.Int64Range(1, 24*60).Draw(t, "ttlHours")) * time.Hour)
			}
			s.lots++
			id := fmt.Sprintf("t%d", s.lots)
			es, err := credits.TopUp(s.pool, id, amount, expires, s.now, credits.Meta{Member: "admin", Key: id})
			if err != nil {
				t.Fatalf("TopUp(%d): %v", amount, err)
			}
			s.record(t, "TopUp", es)
			s.m.lots = append(s.m.lots, &mlot{id: id, rank: 2, amount: amount, left: amount, expires: expires, created: s.now})
		},
		"earn": func(t *rapid.T) {
			s.maybeReset(t)
			amount := rapid.Int64Range(1, 50).Draw(t, "amount")
			s.lots++
			id := fmt.Sprintf("e%d", s.lots)
			es, err := credits.Earn(s.pool, id, amount, s.now, credits.Meta{Member: "ann", Action: "sale"})
			if err != nil {
				t.Fatalf("Earn(%d): %v", amount, err)
			}
			s.record(t, "Earn", es)
			s.m.lots = append(s.m.lots, &mlot{id: id, rank: 2, amount: amount, left: amount, created: s.now})
		},
		"setAllowance": func(t *rapid.T) {
			s.maybeReset(t)
			who := rapid.SampledFrom(members).Draw(t, "member")
			if rapid.IntRange(0, 4).Draw(t, "remove") == 0 {
				delete(s.allow, who) // e.g. moved to reviewer
				delete(s.m.allow, who)
				return
			}
			amount := rapid.Int64Range(0, 150).Draw(t, "allowance")
			if a := s.allow[who]; a != nil {
				a.Amount = amount
				s.m.allow[who].amount = amount
				return
			}
			// A new allowance starts from what the spend table says the
			// member already spent this period.
			k := s.pool.CurrentPeriod()
			var spent int64
			for _, r := range credits.SpendTable(s.journal) {
				if r.Member == who && r.Period == k {
					spent = r.Spent
				}
			}
			s.allow[who] = &credits.Allowance{Member: who, Amount: amount, Period: k, Spent: spent}
			s.m.allow[who] = &mallow{amount: amount, period: s.m.current(), spent: s.m.spent[who][s.m.current()]}
		},
		"spend": func(t *rapid.T) {
			s.maybeReset(t)
			who := rapid.SampledFrom(members).Draw(t, "member")
			amount := rapid.Int64Range(1, 150).Draw(t, "amount")
			key := fmt.Sprintf("k%d", rapid.IntRange(0, 20).Draw(t, "key"))
			if _, seen := s.results[key]; seen {
				return // the Service answers from its record; nothing changes
			}
			a := s.allow[who]
			es, err := credits.Spend(s.pool, a, s.g.RequireAllowance, amount, s.now, credits.Meta{Member: who, Action: "gen", Key: key})
			want, wantErr := s.m.spend(who, s.g.RequireAllowance, amount, s.now)
			if !errors.Is(err, wantErr) || (err == nil) != (wantErr == nil) {
				t.Fatalf("Spend(%s, %d) = %v, model says %v", who, amount, err, wantErr)
			}
			if err != nil {
				return
			}
			var got []mburn
			for _, e := range es {
				got = append(got, mburn{e.Grant, -e.Amount})
				if e.Kind != credits.KindSpend || e.Member != who || e.Key != key || e.Period != s.pool.CurrentPeriod() {
					t.Fatalf("Spend wrote %+v", e)
				}
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(mburn{})); diff != "" {
				t.Fatalf("Spend(%s, %d) burned (-model +real):\n%s", who, amount, diff)
			}
			if a != nil && a.Spent > a.Amount {
				t.Fatalf("allowance %+v exceeded", a)
			}
			s.record(t, "Spend", es)
			s.results[key] = es
			s.m.spends[key] = &mspend{key: key, member: who, period: s.m.current(), burns: want}
		},
		"refund": func(t *rapid.T) {
			var keys []string
			for k := range s.results {
				if !s.refunds[k] {
					keys = append(keys, k)
				}
			}
			if len(keys) == 0 {
				t.Skip("nothing to refund")
			}
			slices.Sort(keys)
			s.maybeReset(t)
			key := rapid.SampledFrom(keys).Draw(t, "key")
			spend := s.results[key]
			es, err := credits.Refund(s.pool, s.allow[spend[0].Member], spend, s.g.Rollover, s.now)
			if err != nil {
				t.Fatalf("Refund(%s): %v", key, err)
			}
			s.refunds[key] = true
			want := s.m.refund(s.m.spends[key], s.g.Rollover, s.now)
			var got []mburn
			for _, e := range es {
				got = append(got, mburn{e.Grant, e.Amount})
			}
			if diff := cmp.Diff(want, got, cmp.AllowUnexported(mburn{})); diff != "" {
				t.Fatalf("Refund(%s) gave back (-model +real):\n%s", key, diff)
			}
			s.record(t, "Refund", es)
		},
		"": s.check,
	}
}

func (s *machine) check(t *rapid.T) {
	p := s.pool
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	// The pool's lots are the model's.
	type lot struct {
		ID                string
		Amount, Remaining int64
	}
	var got, want []lot
	for _, g := range p.Grants {
		got = append(got, lot{g.ID, g.Amount, g.Remaining})
	}
	for _, l := range s.m.lots {
		want = append(want, lot{l.id, l.amount, l.left})
	}
	byID := func(a, b lot) int { return strings.Compare(a.ID, b.ID) }
	slices.SortFunc(want, byID)
	slices.SortFunc(got, byID)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("lots (-model +real):\n%s", diff)
	}
	if p.Started != s.m.started || p.CurrentPeriod() != s.m.current() {
		t.Fatalf("pool period %t/%d, model %t/%d", p.Started, p.Period, s.m.started, s.m.period)
	}
	// Never negative; balance explained by the journal.
	bal := p.Balance(s.now)
	if bal < 0 || bal != s.m.balance(s.now) {
		t.Fatalf("Balance = %d, model %d", bal, s.m.balance(s.now))
	}
	sum := credits.Sum(s.journal)
	if p.Total() != sum {
		t.Fatalf("Total = %d, Sum(journal) = %d", p.Total(), sum)
	}
	var unclosed int64 // expired at now, not yet closed by a Reset
	for _, g := range p.Grants {
		if g.Expired(s.now) {
			unclosed += g.Remaining
		}
	}
	if bal != sum-unclosed {
		t.Fatalf("Balance = %d, Sum(journal) %d - unclosed expired %d", bal, sum, unclosed)
	}
	// Each period reset once, in a run with no gaps.
	resets := make(map[int64]int)
	for _, e := range s.journal {
		if e.Kind == credits.KindReset {
			resets[e.Period]++
		}
	}
	if diff := cmp.Diff(s.m.resets, resets); diff != "" {
		t.Fatalf("resets per period (-model +journal):\n%s", diff)
	}
	if len(resets) > 0 {
		lo := slices.Min(slices.Collect(maps.Keys(resets)))
		for k := lo; k <= p.Period; k++ {
			if resets[k] != 1 {
				t.Fatalf("period %d reset %d times", k, resets[k])
			}
		}
		if int64(len(resets)) != p.Period-lo+1 {
			t.Fatalf("resets %v beyond the current period %d", resets, p.Period)
		}
	}
	// The journal rebuilds the pool.
	pools, err := credits.Replay(s.journal)
	if err != nil {
		t.Fatalf("Replay: %v", err)
	}
	rp := pools["ai"]
	if rp == nil {
		rp = &credits.Pool{Currency: "ai"}
	}
	if diff := cmp.Diff(p, rp); diff != "" {
		t.Fatalf("Replay(journal) (-live +replay):\n%s", diff)
	}
	// Allowances: as the model says, within their amount when they count
	// this period's spend, and equal to the spend table.
	table := make(map[string]int64)
	for _, r := range credits.SpendTable(s.journal) {
		table[fmt.Sprintf("%s/%d", r.Member, r.Period)] = r.Spent
	}
	for _, who := range members {
		a, ma := s.allow[who], s.m.allow[who]
		if (a == nil) != (ma == nil) {
			t.Fatalf("allowance of %s: %v, model %v", who, a, ma)
		}
		if a == nil {
			continue
		}
		if a.Amount != ma.amount || a.Period != ma.period || a.Spent != ma.spent {
			t.Fatalf("allowance of %s = %+v, model %+v", who, a, *ma)
		}
		if a.Spent != table[fmt.Sprintf("%s/%d", who, a.Period)] {
			t.Fatalf("allowance of %s = %+v, spend table says %d", who, a, table[fmt.Sprintf("%s/%d", who, a.Period)])
		}
	}
	for who, ps := range s.m.spent {
		for k, n := range ps {
			if table[fmt.Sprintf("%s/%d", who, k)] != n {
				t.Fatalf("spend table %s/%d = %d, model %d", who, k, table[fmt.Sprintf("%s/%d", who, k)], n)
			}
		}
	}
}

// TestMachine runs random sequences of funding, allowances, spends with
// repeated idempotency keys, refunds, earnings, plan changes and clock jumps
// against the model, checking every invariant after every step.
func TestMachine(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := newMachine(t)
		t.Repeat(s.actions())
	})
}
