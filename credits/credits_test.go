package credits_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"pgregory.net/rapid"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/plan"
)

// at parses "2006-01-02" or "2006-01-02 15:04" as UTC.
func at(s string) time.Time {
	layout := time.DateOnly
	if len(s) > len(time.DateOnly) {
		layout = "2006-01-02 15:04"
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		panic(err)
	}
	return t
}

var jan31 = at("2024-01-31")

func monthly(amount int64, r plan.Rollover) plan.Grant {
	return plan.Grant{Currency: "ai", Amount: amount, Every: plan.Monthly, Rollover: r}
}

var (
	none = plan.Rollover{}
	all  = plan.Rollover{Kind: plan.RolloverAll}
)

func capped(n int64) plan.Rollover { return plan.Rollover{Kind: plan.RolloverCap, Cap: n} }

func clone(p *credits.Pool) *credits.Pool {
	c := *p
	c.Grants = slices.Clone(p.Grants)
	return &c
}

// burn is what a spend entry says: which lot, how much.
type burn struct {
	Lot    string
	Amount int64
}

func burns(es []credits.Entry) []burn {
	var out []burn
	for _, e := range es {
		out = append(out, burn{e.Grant, e.Amount})
	}
	return out
}

// kinds summarises entries as "kind lot amount" lines.
func kinds(es []credits.Entry) []string {
	var out []string
	for _, e := range es {
		s := fmt.Sprintf("%v %d", e.Kind, e.Amount)
		if e.Grant != "" {
			s = fmt.Sprintf("%v %s %d", e.Kind, e.Grant, e.Amount)
		}
		if e.Kind == credits.KindReset {
			s = fmt.Sprintf("reset %d", e.Period)
		}
		out = append(out, s)
	}
	return out
}

// journal is a pool with its journal, for tests that drive several steps.
type journal struct {
	t       testing.TB
	pool    *credits.Pool
	entries []credits.Entry
}

func newJournal(t testing.TB) *journal {
	return &journal{t: t, pool: &credits.Pool{Currency: "ai"}}
}

func (j *journal) add(es []credits.Entry, err error) []credits.Entry {
	j.t.Helper()
	if err != nil {
		j.t.Fatal(err)
	}
	j.entries = append(j.entries, es...)
	return es
}

func (j *journal) reset(g plan.Grant, now time.Time) []credits.Entry {
	j.t.Helper()
	return j.add(credits.Reset(j.pool, g, jan31, now))
}

// check verifies that the journal explains the pool.
func (j *journal) check(now time.Time) {
	j.t.Helper()
	if err := j.pool.Validate(); err != nil {
		j.t.Errorf("Validate() = %v", err)
	}
	if got, want := j.pool.Total(), credits.Sum(j.entries); got != want {
		j.t.Errorf("Total() = %d, Sum(journal) = %d", got, want)
	}
	pools, err := credits.Replay(j.entries)
	if err != nil {
		j.t.Fatalf("Replay: %v", err)
	}
	got := pools[j.pool.Currency]
	if got == nil {
		got = &credits.Pool{Currency: j.pool.Currency}
	}
	if diff := cmp.Diff(j.pool, got); diff != "" {
		j.t.Errorf("Replay(journal) differs from the live pool (-live +replay):\n%s", diff)
	}
}

func TestBurnOrder(t *testing.T) {
	j := newJournal(t)
	t0 := at("2024-02-10")
	j.reset(monthly(10, all), at("2024-01-31 12:00")) // period:0 = 10
	j.add(credits.TopUp(j.pool, "big-never", 100, time.Time{}, at("2024-02-01"), credits.Meta{}))
	j.add(credits.TopUp(j.pool, "b-late", 5, at("2024-06-01"), at("2024-02-02"), credits.Meta{}))
	j.add(credits.TopUp(j.pool, "a-soon", 5, at("2024-03-01"), at("2024-02-03"), credits.Meta{}))
	j.add(credits.Earn(j.pool, "sale-1", 7, at("2024-02-01"), credits.Meta{}))
	j.add(credits.Initial(j.pool, 5, at("2024-01-31 13:00")))
	j.add(credits.TopUp(j.pool, "a-same", 3, at("2024-06-01"), at("2024-02-02"), credits.Meta{}))

	wantOrder := []string{"period:0", "a-soon", "a-same", "b-late", "initial", "big-never", "sale-1"}
	var got []string
	for _, g := range j.pool.Grants {
		got = append(got, g.ID)
	}
	if diff := cmp.Diff(wantOrder, got); diff != "" {
		t.Fatalf("pool order (-want +got):\n%s", diff)
	}

	// A shuffled copy sorts back into the same order.
	shuffled := slices.Clone(j.pool.Grants)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(a, b int) { shuffled[a], shuffled[b] = shuffled[b], shuffled[a] })
	slices.SortFunc(shuffled, credits.BurnOrder)
	if diff := cmp.Diff(j.pool.Grants, shuffled); diff != "" {
		t.Errorf("sorting by BurnOrder (-pool +sorted):\n%s", diff)
	}

	es := j.add(credits.Spend(j.pool, nil, false, 30, t0, credits.Meta{Member: "ann", Key: "k1"}))
	want := []burn{{"period:0", -10}, {"a-soon", -5}, {"a-same", -3}, {"b-late", -5}, {"initial", -5}, {"big-never", -2}}
	if diff := cmp.Diff(want, burns(es)); diff != "" {
		t.Errorf("Spend(30) burned (-want +got):\n%s", diff)
	}
	for _, e := range es {
		if e.Kind != credits.KindSpend || e.Member != "ann" || e.Key != "k1" || e.Period != 0 || !e.Time.Equal(t0) {
			t.Errorf("spend entry %+v lacks its meta", e)
		}
	}
	if got := j.pool.Balance(t0); got != 105 {
		t.Errorf("Balance = %d, want 105", got)
	}
	j.check(t0)

	// After the period turns, the carried lot burns before the new grant.
	j.reset(monthly(10, all), at("2024-02-29"))
	es = j.add(credits.Spend(j.pool, nil, false, 11, at("2024-03-01"), credits.Meta{}))
	if diff := cmp.Diff([]burn{{"period:1", -10}, {"big-never", -1}}, burns(es)); diff != "" {
		t.Errorf("spend after reset burned (-want +got):\n%s", diff)
	}
	j.check(at("2024-03-01"))
}

func TestBurnOrderCarryFirst(t *testing.T) {
	j := newJournal(t)
	j.reset(monthly(10, all), at("2024-02-01"))
	j.add(credits.Spend(j.pool, nil, false, 4, at("2024-02-01"), credits.Meta{}))
	j.reset(monthly(10, all), at("2024-03-01")) // carry:1 = 6, period:1 = 10
	es := j.add(credits.Spend(j.pool, nil, false, 8, at("2024-03-02"), credits.Meta{}))
	if diff := cmp.Diff([]burn{{"carry:1", -6}, {"period:1", -2}}, burns(es)); diff != "" {
		t.Errorf("Spend burned (-want +got):\n%s", diff)
	}
	j.check(at("2024-03-02"))
}

// TestResetMonthEnd walks a schedule anchored on January 31 through short
// months.
func TestResetMonthEnd(t *testing.T) {
	tests := []struct {
		now        string
		wantPeriod int64
		wantResets []int64 // periods reset by this call
	}{
		{"2024-01-31", 0, []int64{0}},
		{"2024-02-28 23:59", 0, nil},
		{"2024-02-29", 1, []int64{1}},
		{"2024-03-30", 1, nil},
		{"2024-03-31", 2, []int64{2}},
		{"2024-04-29", 2, nil},
		{"2024-04-30", 3, []int64{3}},
		{"2024-04-30 12:00", 3, nil},
		{"2024-05-30", 3, nil},
		{"2024-05-31", 4, []int64{4}},
		{"2024-05-15", 4, nil}, // the clock went back: nothing happens
		{"2025-03-01", 13, []int64{5, 6, 7, 8, 9, 10, 11, 12, 13}},
	}
	j := newJournal(t)
	g := monthly(100, none)
	for _, tt := range tests {
		es := j.reset(g, at(tt.now))
		var got []int64
		for _, e := range es {
			if e.Kind == credits.KindReset {
				got = append(got, e.Period)
			}
		}
		if !slices.Equal(got, tt.wantResets) {
			t.Errorf("Reset at %s reset periods %v, want %v", tt.now, got, tt.wantResets)
		}
		if j.pool.Period != tt.wantPeriod || !j.pool.Started {
			t.Errorf("after Reset at %s: Period = %d, Started = %t; want %d, true", tt.now, j.pool.Period, j.pool.Started, tt.wantPeriod)
		}
		if again, err := credits.Reset(j.pool, g, jan31, at(tt.now)); err != nil || again != nil {
			t.Errorf("second Reset at %s = %v, %v; want nothing", tt.now, again, err)
		}
		if b := j.pool.Balance(at(tt.now)); b != 100 {
			t.Errorf("Balance at %s = %d, want 100", tt.now, b)
		}
		j.check(at(tt.now))
	}
}

func TestRollover(t *testing.T) {
	tests := []struct {
		name    string
		r       plan.Rollover
		spend   int64  // spent in period 0
		to      string // reset at
		balance int64
		entries []string // entries of that reset
	}{
		{"none", none, 30, "2024-02-29", 100, []string{"reset 1", "forfeit period:0 -70", "grant period:1 100"}},
		{"all", all, 30, "2024-02-29", 170, []string{"reset 1", "carry period:0 -70", "carry carry:1 70", "grant period:1 100"}},
		{"cap under", capped(100), 30, "2024-02-29", 170, []string{"reset 1", "carry period:0 -70", "carry carry:1 70", "grant period:1 100"}},
		{"cap over", capped(50), 30, "2024-02-29", 150, []string{"reset 1", "carry period:0 -50", "forfeit period:0 -20", "carry carry:1 50", "grant period:1 100"}},
		{"cap zero", capped(0), 30, "2024-02-29", 100, []string{"reset 1", "forfeit period:0 -70", "grant period:1 100"}},
		{"all spent", all, 100, "2024-02-29", 100, []string{"reset 1", "grant period:1 100"}},
		{"none skip 2", none, 30, "2024-04-30", 100, []string{
			"reset 1", "forfeit period:0 -70", "grant period:1 100",
			"reset 2", "forfeit period:1 -100", "grant period:2 100",
			"reset 3", "forfeit period:2 -100", "grant period:3 100"}},
		{"all skip 2", all, 30, "2024-04-30", 370, []string{
			"reset 1", "carry period:0 -70", "carry carry:1 70", "grant period:1 100",
			"reset 2", "carry carry:1 -70", "carry period:1 -100", "carry carry:2 170", "grant period:2 100",
			"reset 3", "carry carry:2 -170", "carry period:2 -100", "carry carry:3 270", "grant period:3 100"}},
		{"cap skip 2", capped(150), 30, "2024-04-30", 250, []string{
			"reset 1", "carry period:0 -70", "carry carry:1 70", "grant period:1 100",
			"reset 2", "carry carry:1 -70", "carry period:1 -80", "forfeit period:1 -20", "carry carry:2 150", "grant period:2 100",
			"reset 3", "carry carry:2 -150", "forfeit period:2 -100", "carry carry:3 150", "grant period:3 100"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := monthly(100, tt.r)
			j := newJournal(t)
			j.reset(g, jan31)
			j.add(credits.Spend(j.pool, nil, false, tt.spend, jan31, credits.Meta{}))
			es := j.reset(g, at(tt.to))
			if diff := cmp.Diff(tt.entries, kinds(es)); diff != "" {
				t.Errorf("Reset entries (-want +got):\n%s", diff)
			}
			if got := j.pool.Balance(at(tt.to)); got != tt.balance {
				t.Errorf("Balance = %d, want %d", got, tt.balance)
			}
			j.check(at(tt.to))

			// Path independence: resetting at every boundary on the way
			// ends with the same lots and balance.
			s := newJournal(t)
			s.reset(g, jan31)
			s.add(credits.Spend(s.pool, nil, false, tt.spend, jan31, credits.Meta{}))
			for k := int64(1); k <= j.pool.Period; k++ {
				s.reset(g, plan.Monthly.Boundary(jan31, k))
			}
			type lot struct {
				ID        string
				Remaining int64
			}
			lots := func(p *credits.Pool) (out []lot) {
				for _, g := range p.Grants {
					out = append(out, lot{g.ID, g.Remaining})
				}
				return out
			}
			if diff := cmp.Diff(lots(j.pool), lots(s.pool)); diff != "" {
				t.Errorf("jumping and stepping disagree (-jump +step):\n%s", diff)
			}
		})
	}
}

func TestResetErrors(t *testing.T) {
	tests := []struct {
		name string
		g    plan.Grant
		want error
	}{
		{"other currency", plan.Grant{Currency: "coins", Amount: 1, Every: plan.Monthly}, credits.ErrCurrencyMismatch},
		{"negative", plan.Grant{Currency: "ai", Amount: -1, Every: plan.Monthly}, credits.ErrInvalidAmount},
		{"negative cap", plan.Grant{Amount: 1, Every: plan.Monthly, Rollover: capped(-1)}, credits.ErrInvalidAmount},
		{"overflow", plan.Grant{Amount: math.MaxInt64, Every: plan.Monthly}, credits.ErrInvalidAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &credits.Pool{Currency: "ai"}
			if _, err := credits.TopUp(p, "t", 10, time.Time{}, jan31, credits.Meta{}); err != nil {
				t.Fatal(err)
			}
			before := clone(p)
			es, err := credits.Reset(p, tt.g, jan31, at("2024-03-01"))
			if !errors.Is(err, tt.want) || es != nil {
				t.Errorf("Reset = %v, %v; want %v", es, err, tt.want)
			}
			if diff := cmp.Diff(before, p); diff != "" {
				t.Errorf("failed Reset changed the pool:\n%s", diff)
			}
		})
	}
}

func TestResetWithoutSchedule(t *testing.T) {
	j := newJournal(t)
	j.add(credits.Initial(j.pool, 5, jan31))
	if es := j.reset(plan.Grant{}, at("2025-01-01")); es != nil {
		t.Errorf("Reset with no schedule wrote %v", kinds(es))
	}
	if j.pool.Started || j.pool.Balance(at("2025-01-01")) != 5 {
		t.Errorf("pool = %+v, want unstarted with 5", j.pool)
	}
	j.check(at("2025-01-01"))
}

func TestExpiry(t *testing.T) {
	j := newJournal(t)
	g := plan.Grant{Currency: "ai"} // top-ups only
	j.add(credits.TopUp(j.pool, "t1", 50, at("2024-03-01"), at("2024-02-01"), credits.Meta{Member: "admin"}))
	j.add(credits.TopUp(j.pool, "t2", 20, time.Time{}, at("2024-02-01"), credits.Meta{Member: "admin"}))
	j.add(credits.TopUp(j.pool, "t3", 10, at("2024-02-15"), at("2024-02-01"), credits.Meta{Member: "admin"}))
	j.add(credits.Spend(j.pool, nil, false, 15, at("2024-02-10"), credits.Meta{})) // t3 -10, t1 -5

	before := at("2024-02-29 23:59")
	if got := j.pool.Balance(before); got != 65 {
		t.Errorf("Balance before t1 expires = %d, want 65", got)
	}
	if es := j.reset(g, before); !slices.Equal(kinds(es), nil) {
		t.Errorf("Reset before expiry wrote %v", kinds(es))
	}
	// At the instant of expiry the lot is gone, even before Reset closes it.
	exp := at("2024-03-01")
	if got := j.pool.Balance(exp); got != 20 {
		t.Errorf("Balance at expiry = %d, want 20", got)
	}
	if got, want := j.pool.Total(), credits.Sum(j.entries); got != want || got != 65 {
		t.Errorf("Total before closing = %d, Sum = %d; want 65", got, want)
	}
	_, err := credits.Spend(j.pool, nil, false, 21, exp, credits.Meta{})
	var ie *credits.InsufficientError
	if !errors.As(err, &ie) || ie.Needed != 21 || ie.Available != 20 || ie.Currency != "ai" {
		t.Errorf("Spend(21) of expired credits = %v, want *InsufficientError 21/20", err)
	}
	// Before Reset closes it, a spend skips the expired lot.
	es := j.add(credits.Spend(j.pool, nil, false, 5, exp, credits.Meta{}))
	if diff := cmp.Diff([]burn{{"t2", -5}}, burns(es)); diff != "" {
		t.Errorf("Spend at expiry burned (-want +got):\n%s", diff)
	}
	es = j.reset(g, exp)
	if diff := cmp.Diff([]string{"expire t1 -45"}, kinds(es)); diff != "" {
		t.Errorf("Reset at expiry (-want +got):\n%s", diff)
	}
	if es := j.reset(g, exp.Add(time.Hour)); es != nil {
		t.Errorf("second Reset wrote %v", kinds(es))
	}
	if _, ok := j.pool.Lot("t1"); ok {
		t.Error("expired lot t1 still in the pool")
	}
	if _, ok := j.pool.Lot("t3"); !ok {
		t.Error("exhausted lot t3 left before a period reset")
	}
	if got := j.pool.Balance(exp); got != credits.Sum(j.entries) || got != 15 {
		t.Errorf("Balance = %d, Sum = %d, want 15", got, credits.Sum(j.entries))
	}
	j.check(exp)
}

func TestAllowance(t *testing.T) {
	type step struct {
		now     string
		member  string
		amount  int64
		wantErr error
	}
	tests := []struct {
		name    string
		require bool
		allow   *credits.Allowance
		steps   []step
		want    *credits.Allowance
	}{
		{"within", false, &credits.Allowance{Member: "ed", Amount: 50}, []step{
			{"2024-02-01", "ed", 30, nil},
			{"2024-02-02", "ed", 20, nil},
			{"2024-02-03", "ed", 1, credits.ErrAllowanceExceeded},
		}, &credits.Allowance{Member: "ed", Amount: 50, Period: 0, Spent: 50}},
		{"exceeded at once", false, &credits.Allowance{Member: "ed", Amount: 50}, []step{
			{"2024-02-01", "ed", 51, credits.ErrAllowanceExceeded},
		}, &credits.Allowance{Member: "ed", Amount: 50}},
		{"resets each period", true, &credits.Allowance{Member: "ed", Amount: 50}, []step{
			{"2024-02-01", "ed", 50, nil},
			{"2024-02-28", "ed", 1, credits.ErrAllowanceExceeded},
			{"2024-02-29", "ed", 40, nil},
			{"2024-03-30", "ed", 11, credits.ErrAllowanceExceeded},
			{"2024-04-30", "ed", 50, nil}, // two periods later
		}, &credits.Allowance{Member: "ed", Amount: 50, Period: 3, Spent: 50}},
		{"required, none", true, nil, []step{
			{"2024-02-01", "rev", 1, credits.ErrNoAllowance},
		}, nil},
		{"not required, none", false, nil, []step{
			{"2024-02-01", "ann", 500, nil},
		}, nil},
		{"another member's", false, &credits.Allowance{Member: "ed", Amount: 50}, []step{
			{"2024-02-01", "eve", 1, credits.ErrNoAllowance},
		}, &credits.Allowance{Member: "ed", Amount: 50}},
		{"zero allowance", false, &credits.Allowance{Member: "rev"}, []step{
			{"2024-02-01", "rev", 1, credits.ErrAllowanceExceeded},
		}, &credits.Allowance{Member: "rev"}},
		{"allowance before pool", false, &credits.Allowance{Member: "ed", Amount: 5000}, []step{
			{"2024-02-01", "ed", 1001, credits.ErrInsufficientCredits},
			{"2024-02-01", "ed", 1000, nil},
		}, &credits.Allowance{Member: "ed", Amount: 5000, Spent: 1000}},
		{"allowance checked first", false, &credits.Allowance{Member: "ed", Amount: 5}, []step{
			{"2024-02-01", "ed", 2000, credits.ErrAllowanceExceeded},
		}, &credits.Allowance{Member: "ed", Amount: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := newJournal(t)
			g := monthly(1000, none)
			g.RequireAllowance = tt.require
			for _, s := range tt.steps {
				now := at(s.now)
				j.reset(g, now)
				before, beforeAllow := clone(j.pool), cloneAllow(tt.allow)
				es, err := credits.Spend(j.pool, tt.allow, g.RequireAllowance, s.amount, now, credits.Meta{Member: s.member})
				if !errors.Is(err, s.wantErr) {
					t.Fatalf("Spend(%s, %d) at %s = %v, want %v", s.member, s.amount, s.now, err, s.wantErr)
				}
				if err != nil {
					if diff := cmp.Diff(before, j.pool); diff != "" {
						t.Errorf("failed Spend changed the pool:\n%s", diff)
					}
					if diff := cmp.Diff(beforeAllow, tt.allow); diff != "" {
						t.Errorf("failed Spend changed the allowance:\n%s", diff)
					}
					continue
				}
				j.add(es, nil)
				if Sum := -credits.Sum(es); Sum != s.amount {
					t.Errorf("Spend(%d) wrote entries summing to %d", s.amount, -Sum)
				}
			}
			if diff := cmp.Diff(tt.want, tt.allow); diff != "" {
				t.Errorf("allowance (-want +got):\n%s", diff)
			}
			if tt.allow != nil {
				// The spend table agrees with the allowance's count.
				var spent int64
				for _, r := range credits.SpendTable(j.entries) {
					if r.Member == tt.allow.Member && r.Period == tt.allow.Period {
						spent = r.Spent
					}
				}
				if spent != tt.allow.Spent {
					t.Errorf("SpendTable says %d spent, allowance says %d", spent, tt.allow.Spent)
				}
			}
			j.check(at(tt.steps[len(tt.steps)-1].now))
		})
	}
}

func cloneAllow(a *credits.Allowance) *credits.Allowance {
	if a == nil {
		return nil
	}
	c := *a
	return &c
}

func TestAllowanceErrorDetail(t *testing.T) {
	p := &credits.Pool{Currency: "ai"}
	if _, err := credits.TopUp(p, "t", 100, time.Time{}, jan31, credits.Meta{}); err != nil {
		t.Fatal(err)
	}
	a := &credits.Allowance{Member: "ed", Amount: 10, Spent: 7}
	_, err := credits.Spend(p, a, false, 5, jan31, credits.Meta{Member: "ed"})
	var ae *credits.AllowanceError
	if !errors.As(err, &ae) || ae.Member != "ed" || ae.Needed != 5 || ae.Left != 3 {
		t.Fatalf("Spend = %v, want *AllowanceError{ed, 5, 3}", err)
	}
	if want := `credits: allowance exceeded: member "ed" needs 5, has 3 left`; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	_, err = credits.Spend(p, nil, false, 101, jan31, credits.Meta{})
	if want := "credits: insufficient credits: need 101 ai, have 100"; err == nil || err.Error() != want {
		t.Errorf("Error() = %v, want %q", err, want)
	}
}

func TestSpendInvalid(t *testing.T) {
	for _, amount := range []int64{0, -1, math.MinInt64} {
		p := &credits.Pool{Currency: "ai"}
		if _, err := credits.Spend(p, nil, false, amount, jan31, credits.Meta{}); !errors.Is(err, credits.ErrInvalidAmount) {
			t.Errorf("Spend(%d) = %v, want ErrInvalidAmount", amount, err)
		}
	}
}

func TestAddErrors(t *testing.T) {
	now := at("2024-02-01")
	tests := []struct {
		name string
		add  func(p *credits.Pool) ([]credits.Entry, error)
		want error
	}{
		{"zero top-up", func(p *credits.Pool) ([]credits.Entry, error) {
			return credits.TopUp(p, "x", 0, time.Time{}, now, credits.Meta{})
		}, credits.ErrInvalidAmount},
		{"negative earning", func(p *credits.Pool) ([]credits.Entry, error) {
			return credits.Earn(p, "x", -3, now, credits.Meta{})
		}, credits.ErrInvalidAmount},
		{"zero initial", func(p *credits.Pool) ([]credits.Entry, error) { return credits.Initial(p, 0, now) }, credits.ErrInvalidAmount},
		{"overflow", func(p *credits.Pool) ([]credits.Entry, error) {
			return credits.TopUp(p, "x", math.MaxInt64, time.Time{}, now, credits.Meta{})
		}, credits.ErrInvalidAmount},
		{"duplicate", func(p *credits.Pool) ([]credits.Entry, error) {
			return credits.TopUp(p, "old", 1, time.Time{}, now, credits.Meta{})
		}, credits.ErrInvalidGrant},
		{"second initial", func(p *credits.Pool) ([]credits.Entry, error) { return credits.Initial(p, 5, now) }, credits.ErrInvalidGrant},
		{"empty ID", func(p *credits.Pool) ([]credits.Entry, error) {
			return credits.Earn(p, "", 1, now, credits.Meta{})
		}, credits.ErrInvalidGrant},
		{"reserved periodic ID", func(p *credits.Pool) ([]credits.Entry, error) {
			return credits.TopUp(p, "period:7", 1, time.Time{}, now, credits.Meta{})
		}, credits.ErrInvalidGrant},
		{"reserved carry ID", func(p *credits.Pool) ([]credits.Entry, error) {
			return credits.Earn(p, "carry:1", 1, now, credits.Meta{})
		}, credits.ErrInvalidGrant},
		{"reserved initial ID", func(p *credits.Pool) ([]credits.Entry, error) {
			return credits.TopUp(p, "initial", 1, time.Time{}, now, credits.Meta{})
		}, credits.ErrInvalidGrant},
		{"already expired", func(p *credits.Pool) ([]credits.Entry, error) {
			return credits.TopUp(p, "x", 1, now, now, credits.Meta{})
		}, credits.ErrInvalidGrant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &credits.Pool{Currency: "ai"}
			if _, err := credits.TopUp(p, "old", 10, time.Time{}, jan31, credits.Meta{}); err != nil {
				t.Fatal(err)
			}
			if _, err := credits.Initial(p, 5, jan31); err != nil {
				t.Fatal(err)
			}
			before := clone(p)
			es, err := tt.add(p)
			if !errors.Is(err, tt.want) || es != nil {
				t.Errorf("got %v, %v; want %v", es, err, tt.want)
			}
			if diff := cmp.Diff(before, p); diff != "" {
				t.Errorf("failed call changed the pool:\n%s", diff)
			}
		})
	}
}

func TestRefund(t *testing.T) {
	g := monthly(10, none)
	setup := func(t *testing.T) (*journal, *credits.Allowance, []credits.Entry) {
		j := newJournal(t)
		j.reset(g, at("2024-02-01"))
		j.add(credits.TopUp(j.pool, "t", 20, at("2024-02-20"), at("2024-02-01"), credits.Meta{}))
		j.add(credits.TopUp(j.pool, "u", 20, time.Time{}, at("2024-02-01"), credits.Meta{}))
		a := &credits.Allowance{Member: "ed", Amount: 100}
		es := j.add(credits.Spend(j.pool, a, false, 35, at("2024-02-10"), credits.Meta{Member: "ed", Action: "gen", Key: "k"}))
		if diff := cmp.Diff([]burn{{"period:0", -10}, {"t", -20}, {"u", -5}}, burns(es)); diff != "" {
			t.Fatalf("setup spend (-want +got):\n%s", diff)
		}
		return j, a, es
	}

	t.Run("same period", func(t *testing.T) {
		j, a, spend := setup(t)
		now := at("2024-02-11")
		es := j.add(credits.Refund(j.pool, a, spend, g.Rollover, now))
		if diff := cmp.Diff([]string{"refund period:0 10", "refund t 20", "refund u 5"}, kinds(es)); diff != "" {
			t.Errorf("Refund (-want +got):\n%s", diff)
		}
		for _, e := range es {
			if e.Member != "ed" || e.Action != "gen" || e.Key != "k" || e.Period != 0 || !e.Time.Equal(now) {
				t.Errorf("refund entry %+v lacks the spend's meta", e)
			}
		}
		if got := j.pool.Balance(now); got != 50 {
			t.Errorf("Balance = %d, want 50", got)
		}
		if a.Spent != 0 {
			t.Errorf("allowance Spent = %d, want 0", a.Spent)
		}
		if rows := credits.SpendTable(j.entries); len(rows) != 1 || rows[0].Spent != 0 {
			t.Errorf("SpendTable = %+v, want one row with 0", rows)
		}
		// Again: the lots would exceed what they were granted.
		before := clone(j.pool)
		if _, err := credits.Refund(j.pool, a, spend, g.Rollover, now); !errors.Is(err, credits.ErrInvalidRefund) {
			t.Errorf("second Refund = %v, want ErrInvalidRefund", err)
		}
		if diff := cmp.Diff(before, j.pool); diff != "" {
			t.Errorf("failed Refund changed the pool:\n%s", diff)
		}
		j.check(now)
	})

	t.Run("expired lot forfeits", func(t *testing.T) {
		j, a, spend := setup(t)
		now := at("2024-02-20") // t expired, not yet closed
		es := j.add(credits.Refund(j.pool, a, spend, g.Rollover, now))
		if diff := cmp.Diff([]string{"refund period:0 10", "refund u 5"}, kinds(es)); diff != "" {
			t.Errorf("Refund (-want +got):\n%s", diff)
		}
		if a.Spent != 20 {
			t.Errorf("allowance Spent = %d, want 20 (the forfeited part stays spent)", a.Spent)
		}
		j.check(now)
	})

	t.Run("next period", func(t *testing.T) {
		j, a, spend := setup(t)
		now := at("2024-02-29")
		j.reset(g, now) // period:0 and exhausted t leave; u stays with 15
		es := j.add(credits.Refund(j.pool, a, spend, g.Rollover, now))
		if diff := cmp.Diff([]string{"refund u 5"}, kinds(es)); diff != "" {
			t.Errorf("Refund (-want +got):\n%s", diff)
		}
		if es[0].Period != 0 {
			t.Errorf("refund Period = %d, want the spend's 0", es[0].Period)
		}
		// The old period's count goes down with the spend table's row;
		// the current period's allowance is whole either way.
		if a.Spent != 30 || a.Period != 0 || a.Left(1) != 100 {
			t.Errorf("allowance = %+v, want period 0 with 30 spent", a)
		}
		if got := j.pool.Balance(now); got != 30 {
			t.Errorf("Balance = %d, want 30", got)
		}
		j.check(now)
	})

	t.Run("kept lot that left comes back", func(t *testing.T) {
		// A top-up without expiry runs out and leaves the pool at the
		// reset; refunding the spend after that must not lose its credits.
		j := newJournal(t)
		j.reset(g, at("2024-02-01"))
		j.add(credits.TopUp(j.pool, "t", 20, time.Time{}, at("2024-02-01"), credits.Meta{}))
		j.add(credits.TopUp(j.pool, "x", 20, at("2024-03-20"), at("2024-02-01"), credits.Meta{}))
		a := &credits.Allowance{Member: "ed", Amount: 100}
		spend := j.add(credits.Spend(j.pool, a, false, 50, at("2024-02-10"), credits.Meta{Member: "ed", Action: "gen", Key: "k:1"}))
		if diff := cmp.Diff([]burn{{"period:0", -10}, {"x", -20}, {"t", -20}}, burns(spend)); diff != "" {
			t.Fatalf("spend (-want +got):\n%s", diff)
		}
		if !spend[1].Expires.Equal(at("2024-03-20")) || !spend[2].Expires.IsZero() {
			t.Errorf("spend entries record expiries %v, %v; want the lots'", spend[1].Expires, spend[2].Expires)
		}
		j.reset(g, at("2024-03-01")) // period:0, x and t all leave
		if len(j.pool.Grants) != 1 {
			t.Fatalf("after the reset the pool has %+v, want period:1 alone", j.pool.Grants)
		}
		now := at("2024-03-02")
		es := j.add(credits.Refund(j.pool, a, spend, g.Rollover, now))
		idx, idt := credits.RefundID("k:1", "x"), credits.RefundID("k:1", "t")
		if diff := cmp.Diff([]string{"refund " + idx + " 20", "refund " + idt + " 20"}, kinds(es)); diff != "" {
			t.Errorf("Refund (-want +got):\n%s", diff)
		}
		lx, _ := j.pool.Lot(idx)
		lt, _ := j.pool.Lot(idt)
		if lx.Source != credits.SourceRefund || lx.Remaining != 20 || !lx.Expires.Equal(at("2024-03-20")) || lt.Remaining != 20 || !lt.Expires.IsZero() {
			t.Errorf("refund lots %+v, %+v", lx, lt)
		}
		if got := j.pool.Balance(now); got != 50 {
			t.Errorf("Balance = %d, want 50: period:1's 10 and both refunds", got)
		}
		j.check(now)
		// Again: the refund lots are there already.
		if _, err := credits.Refund(j.pool, a, spend, g.Rollover, now); !errors.Is(err, credits.ErrInvalidRefund) {
			t.Errorf("second Refund = %v, want ErrInvalidRefund", err)
		}
		// The refunded credits keep the spent lot's expiry.
		j.reset(g, at("2024-03-20"))
		if got := j.pool.Balance(at("2024-03-20")); got != 30 {
			t.Errorf("Balance after x's expiry = %d, want 30", got)
		}
		j.check(at("2024-03-20"))
		// A caller's ID may not take the refund lots' prefix.
		if _, err := credits.TopUp(j.pool, "refund:1:k:t", 5, time.Time{}, now, credits.Meta{}); !errors.Is(err, credits.ErrInvalidGrant) {
			t.Errorf("TopUp with a refund ID = %v, want ErrInvalidGrant", err)
		}
	})

	t.Run("expired kept lot that left forfeits", func(t *testing.T) {
		j, a, spend := setup(t)
		j.reset(g, at("2024-03-01")) // t expired on 02-20 and ran out: gone
		es := j.add(credits.Refund(j.pool, a, spend, g.Rollover, at("2024-03-01")))
		if diff := cmp.Diff([]string{"refund u 5"}, kinds(es)); diff != "" {
			t.Errorf("Refund (-want +got):\n%s", diff)
		}
		j.check(at("2024-03-01"))
	})

	t.Run("closed period under rollover", func(t *testing.T) {
		// 30 of period:0's 100 are spent; the reset carries the other 70
		// (up to the cap). Refunding the 30 later gives back what the
		// rollover would have carried of them, as a carry lot.
		for _, tt := range []struct {
			name string
			r    plan.Rollover
			back int64
		}{{"none", none, 0}, {"all", all, 30}, {"cap 90", capped(90), 20}, {"cap 50", capped(50), 0}} {
			j := newJournal(t)
			g := monthly(100, tt.r)
			j.reset(g, at("2024-02-01"))
			a := &credits.Allowance{Member: "ed", Amount: 100}
			spend := j.add(credits.Spend(j.pool, a, false, 30, at("2024-02-10"), credits.Meta{Member: "ed", Action: "gen", Key: "k"}))
			j.reset(g, at("2024-03-01"))
			before := j.pool.Balance(at("2024-03-02"))
			es := j.add(credits.Refund(j.pool, a, spend, tt.r, at("2024-03-02")))
			if got := j.pool.Balance(at("2024-03-02")) - before; got != tt.back {
				t.Errorf("%s: refund gave back %d, want %d (entries %v)", tt.name, got, tt.back, kinds(es))
			}
			if tt.back > 0 {
				l, ok := j.pool.Lot("carry:" + credits.RefundID("k", "period:0"))
				if !ok || l.Source != credits.SourceCarry || l.Remaining != tt.back {
					t.Errorf("%s: refund lot %+v (found %t)", tt.name, l, ok)
				}
			}
			j.check(at("2024-03-02"))
			j.reset(g, at("2024-04-01")) // the refund lot closes with the period
			j.check(at("2024-04-01"))
		}
	})

	t.Run("partial", func(t *testing.T) {
		j, a, spend := setup(t)
		es := j.add(credits.Refund(j.pool, a, spend[2:], g.Rollover, at("2024-02-11")))
		if diff := cmp.Diff([]string{"refund u 5"}, kinds(es)); diff != "" {
			t.Errorf("Refund (-want +got):\n%s", diff)
		}
		if a.Spent != 30 {
			t.Errorf("allowance Spent = %d, want 30", a.Spent)
		}
		j.check(at("2024-02-11"))
	})

	bad := []struct {
		name  string
		edit  func(es []credits.Entry) []credits.Entry
		allow *credits.Allowance
		want  error
	}{
		{"not a spend", func(es []credits.Entry) []credits.Entry {
			es[0].Kind = credits.KindTopUp
			return es
		}, nil, credits.ErrInvalidRefund},
		{"positive", func(es []credits.Entry) []credits.Entry {
			es[1].Amount = 3
			return es
		}, nil, credits.ErrInvalidRefund},
		{"two spends", func(es []credits.Entry) []credits.Entry {
			es[1].Key = "other"
			return es
		}, nil, credits.ErrInvalidRefund},
		{"other currency", func(es []credits.Entry) []credits.Entry {
			es[2].Currency = "coins"
			return es
		}, nil, credits.ErrCurrencyMismatch},
		{"too much", func(es []credits.Entry) []credits.Entry {
			es[2].Amount = -6
			return es
		}, nil, credits.ErrInvalidRefund},
		{"twice in one call", func(es []credits.Entry) []credits.Entry {
			return append(es, es[0])
		}, nil, credits.ErrInvalidRefund},
		{"min int", func(es []credits.Entry) []credits.Entry {
			es[0].Amount = math.MinInt64
			return es
		}, nil, credits.ErrInvalidRefund},
		{"other member's allowance", func(es []credits.Entry) []credits.Entry { return es },
			&credits.Allowance{Member: "eve", Amount: 100}, credits.ErrInvalidRefund},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			j, a, spend := setup(t)
			if tt.allow != nil {
				a = tt.allow
			}
			before, beforeAllow := clone(j.pool), cloneAllow(a)
			es, err := credits.Refund(j.pool, a, tt.edit(slices.Clone(spend)), g.Rollover, at("2024-02-11"))
			if !errors.Is(err, tt.want) || es != nil {
				t.Errorf("Refund = %v, %v; want %v", es, err, tt.want)
			}
			if diff := cmp.Diff(before, j.pool); diff != "" {
				t.Errorf("failed Refund changed the pool:\n%s", diff)
			}
			if diff := cmp.Diff(beforeAllow, a); diff != "" {
				t.Errorf("failed Refund changed the allowance:\n%s", diff)
			}
		})
	}
}

func TestReplayCorrupt(t *testing.T) {
	t0 := jan31
	top := credits.Entry{Kind: credits.KindTopUp, Currency: "ai", Grant: "t", Amount: 10, Time: t0}
	tests := []struct {
		name    string
		entries []credits.Entry
		want    string
	}{
		{"unknown lot", []credits.Entry{{Kind: credits.KindSpend, Currency: "ai", Grant: "x", Amount: -1}}, "no such lot"},
		{"overspent", []credits.Entry{top, {Kind: credits.KindSpend, Currency: "ai", Grant: "t", Amount: -11}}, "remaining"},
		{"over-refunded", []credits.Entry{top, {Kind: credits.KindRefund, Currency: "ai", Grant: "t", Amount: 1}}, "remaining"},
		{"created twice", []credits.Entry{top, top}, "twice"},
		{"positive spend", []credits.Entry{top, {Kind: credits.KindSpend, Currency: "ai", Grant: "t", Amount: 1}}, "negative"},
		{"negative grant", []credits.Entry{{Kind: credits.KindGrant, Currency: "ai", Grant: "period:0", Amount: -5}}, "bad amount"},
		{"reset twice", []credits.Entry{{Kind: credits.KindReset, Currency: "ai", Period: 3}, {Kind: credits.KindReset, Currency: "ai", Period: 3}}, "reset after"},
		{"unknown kind", []credits.Entry{{Currency: "ai", Grant: "t", Amount: 1}}, "unknown kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := credits.Replay(tt.entries)
			if !errors.Is(err, credits.ErrCorruptJournal) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Replay = %v, want ErrCorruptJournal mentioning %q", err, tt.want)
			}
		})
	}
}

func TestSpendTable(t *testing.T) {
	e := func(k credits.Kind, cur, m string, period, amount int64) credits.Entry {
		return credits.Entry{Kind: k, Currency: cur, Member: m, Period: period, Amount: amount, Grant: "g"}
	}
	got := credits.SpendTable([]credits.Entry{
		e(credits.KindTopUp, "ai", "admin", 0, 100),
		e(credits.KindSpend, "ai", "bo", 1, -5),
		e(credits.KindSpend, "ai", "ann", 1, -3),
		e(credits.KindSpend, "ai", "ann", 1, -4),
		e(credits.KindRefund, "ai", "ann", 1, 3),
		e(credits.KindSpend, "ai", "ann", 0, -9),
		e(credits.KindSpend, "coins", "ann", 0, -1),
		e(credits.KindRefund, "ai", "cy", 0, 1), // a refund without a spend: no row
	})
	want := []credits.SpendRow{
		{"ai", "ann", 0, 9},
		{"ai", "ann", 1, 4},
		{"ai", "bo", 1, 5},
		{"coins", "ann", 0, 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SpendTable (-want +got):\n%s", diff)
	}
}

func TestValidate(t *testing.T) {
	ok := credits.Grant{ID: "a", Source: credits.SourceTopUp, Amount: 5, Remaining: 5, Priority: credits.PriorityKept, Created: jan31}
	with := func(f func(g *credits.Grant)) credits.Grant {
		g := ok
		f(&g)
		return g
	}
	tests := []struct {
		name   string
		grants []credits.Grant
		want   error
	}{
		{"ok", []credits.Grant{ok}, nil},
		{"no ID", []credits.Grant{with(func(g *credits.Grant) { g.ID = "" })}, credits.ErrInvalidGrant},
		{"bad source", []credits.Grant{with(func(g *credits.Grant) { g.Source = 0 })}, credits.ErrInvalidGrant},
		{"bad priority", []credits.Grant{with(func(g *credits.Grant) { g.Priority = 0 })}, credits.ErrInvalidGrant},
		{"negative", []credits.Grant{with(func(g *credits.Grant) { g.Remaining = -1 })}, credits.ErrInvalidGrant},
		{"over", []credits.Grant{with(func(g *credits.Grant) { g.Remaining = 6 })}, credits.ErrInvalidGrant},
		{"order", []credits.Grant{with(func(g *credits.Grant) { g.ID = "b" }), ok}, credits.ErrInvalidGrant},
		{"duplicate", []credits.Grant{ok, with(func(g *credits.Grant) { g.Created = g.Created.Add(1) })}, credits.ErrInvalidGrant},
		{"overflow", []credits.Grant{
			with(func(g *credits.Grant) { g.Amount, g.Remaining = math.MaxInt64, math.MaxInt64 }),
			with(func(g *credits.Grant) { g.ID = "b" }),
		}, credits.ErrInvalidAmount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &credits.Pool{Currency: "ai", Grants: tt.grants}
			if err := p.Validate(); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Validate() = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNames(t *testing.T) {
	for k := credits.KindReset; k <= credits.KindRefund; k++ {
		if got, err := credits.ParseKind(k.String()); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v; want %v", k.String(), got, err, k)
		}
	}
	for s := credits.SourcePeriodic; s <= credits.SourceTopUp; s++ {
		if got, err := credits.ParseSource(s.String()); err != nil || got != s {
			t.Errorf("ParseSource(%q) = %v, %v; want %v", s.String(), got, err, s)
		}
	}
	if got := credits.Kind(0).String(); got != "Kind(0)" {
		t.Errorf("Kind(0).String() = %q", got)
	}
	if got := credits.Source(99).String(); got != "Source(99)" {
		t.Errorf("Source(99).String() = %q", got)
	}
	if _, err := credits.ParseKind("Kind(0)"); err == nil {
		t.Error(`ParseKind("Kind(0)") succeeded`)
	}
	if _, err := credits.ParseSource(""); err == nil {
		t.Error(`ParseSource("") succeeded`)
	}
}

// TestSearchID: SearchID finds each lot of a list in ID order, and for an
// ID that is not there the place that keeps the order, as a search of
// the sorted IDs does.
func TestSearchID(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ids := rapid.SliceOfDistinct(rapid.StringMatching(`[a-e]{0,3}`), func(s string) string { return s }).Draw(t, "ids")
		slices.Sort(ids)
		gs := make([]credits.Grant, len(ids))
		for i, id := range ids {
			gs[i].ID = id
		}
		id := rapid.StringMatching(`[a-e]{0,3}`).Draw(t, "id")
		wantAt, wantOK := slices.BinarySearch(ids, id)
		if at, ok := credits.SearchID(gs, id); at != wantAt || ok != wantOK {
			t.Fatalf("SearchID(%q, %q) = %d, %t; want %d, %t", ids, id, at, ok, wantAt, wantOK)
		}
	})
}

// TestAppendGrants: AppendGrants gives what append gives, for any number
// of lots, into a destination with or without room, and into a slice of
// the source itself.
func TestAppendGrants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lot := func(i int) credits.Grant {
			return credits.Grant{ID: string(rune('a' + i)), Amount: int64(i + 1), Remaining: int64(i), Created: time.Unix(int64(i), 0).UTC()}
		}
		src := make([]credits.Grant, rapid.IntRange(0, 4).Draw(t, "lots"))
		for i := range src {
			src[i] = lot(i)
		}
		keep := rapid.IntRange(0, 3).Draw(t, "kept")
		room := rapid.IntRange(0, 8).Draw(t, "room")
		dst, want := make([]credits.Grant, keep, keep+room), make([]credits.Grant, keep, keep+room)
		for i := range keep {
			dst[i], want[i] = lot(10+i), lot(10+i)
		}
		if got, w := credits.AppendGrants(dst, src), append(want, src...); !slices.Equal(got, w) {
			t.Fatalf("credits.AppendGrants(%v, %v) = %v, append gives %v", dst, src, got, w)
		}
		// Into the front of the source itself, as a pool that copies its
		// lots back into the slice they came from does.
		a, b := slices.Clone(src), slices.Clone(src)
		if got, w := credits.AppendGrants(a[:0], a), append(b[:0], b...); !slices.Equal(got, w) {
			t.Fatalf("AppendGrants into its own source = %v, append gives %v", got, w)
		}
	})
}
