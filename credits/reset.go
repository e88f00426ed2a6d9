package credits

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/charterhq/charter/plan"
)

// PeriodicID returns the ID of the lot holding the plan's grant for period k.
func PeriodicID(k int64) string { return "period:" + strconv.FormatInt(k, 10) }

// CarryID returns the ID of the lot holding what carried into period k.
func CarryID(k int64) string { return "carry:" + strconv.FormatInt(k, 10) }

// RefundID returns the ID of the lot a refund opens to give back what the
// spend with idempotency key took from lot, when lot has left the pool (see
// Refund). The key's length is part of the ID, so no two (key, lot) pairs
// share one.
func RefundID(key, lot string) string {
	return "refund:" + strconv.Itoa(len(key)) + ":" + key + ":" + lot
}

// InitialID is the ID of the lot Initial creates.
const InitialID = "initial"

// Reset brings pool to the period of g.Every that contains now, in a schedule
// anchored at anchor, and closes the lots expired at now. It returns the
// entries it wrote, none when there was nothing to do: calling it again with
// the same or an earlier now changes nothing.
//
// Each period k after the pool's last one, up to the one containing now, is
// applied exactly once and in order, as if Reset had been called at its
// start:
//
//  1. a KindReset entry for k;
//  2. exhausted lots (Remaining 0) leave the pool;
//  3. the lots of period k-1 (its periodic lot and its carry lot) close:
//     g.Rollover.Carry of their combined remainder carries over (KindCarry,
//     taken in burn order), the rest is forfeited (KindForfeit);
//  4. what carries over becomes lot CarryID(k) (KindCarry, +);
//  5. g.Amount, if positive, becomes lot PeriodicID(k) (KindGrant).
//
// The first reset of a pool starts at the period containing now, with
// nothing to carry. A jump over several boundaries applies every period in
// between, so the balance does not depend on when Reset is called: with
// RolloverNone the skipped grants are forfeited, with RolloverAll they
// accumulate in the carry lot, with RolloverCap the carry lot never exceeds
// the cap. Only the latest period's grant is a periodic lot. The work and the
// entries are proportional to the number of periods applied.
//
// Then every lot expired at now with credits left closes with a KindExpire
// entry for what was left.
//
// A g with a zero Every has no periods: Reset only closes expired lots. The
// pool then stays in its current period (CurrentPeriod), which is what
// allowances count in. A g of another currency (g.Currency set and not the
// pool's), a negative g.Amount or a negative cap is an error, as is a grant
// that would make the pool's total overflow; pool is then left unchanged.
func Reset(pool *Pool, g plan.Grant, anchor, now time.Time) ([]Entry, error) {
	var k int64
	if !g.Every.IsZero() {
		k = g.Every.Index(anchor, now)
	}
	return ResetTo(pool, g, k, now)
}

// ResetTo is Reset for a caller that knows k, the period containing now:
// g.Every.Index(anchor, now), which it need not compute again. k is
// ignored when g has no periods.
func ResetTo(pool *Pool, g plan.Grant, k int64, now time.Time) ([]Entry, error) {
	if g.Currency != "" && g.Currency != pool.Currency {
		return nil, fmt.Errorf("%w: grant of %q to a pool of %q", ErrCurrencyMismatch, g.Currency, pool.Currency)
	}
	if g.Amount < 0 {
		return nil, fmt.Errorf("%w: periodic grant of %d", ErrInvalidAmount, g.Amount)
	}
	if g.Rollover.Kind == plan.RolloverCap && g.Rollover.Cap < 0 {
		return nil, fmt.Errorf("%w: rollover cap of %d", ErrInvalidAmount, g.Rollover.Cap)
	}
	var from, to int64 = 1, 0 // the periods to apply, from..to; none without a schedule
	if !g.Every.IsZero() {
		to = k
		from = to
		if pool.Started {
			from = pool.Period + 1
		}
	}
	expiring := false
	for i := range pool.Grants {
		if pool.Grants[i].Remaining > 0 && pool.Grants[i].Expired(now) {
			expiring = true
			break
		}
	}
	if from > to && !expiring {
		return nil, nil // the common case: nothing to do, nothing allocated
	}

	w := *pool
	w.Grants = slices.Clone(pool.Grants)
	total := w.Total()
	var out []Entry
	for k := from; k <= to; k++ {
		var err error
		if out, total, err = w.apply(out, k, g, total, now); err != nil {
			return nil, err
		}
	}
	cur := w.CurrentPeriod()
	w.Grants = slices.DeleteFunc(w.Grants, func(l Grant) bool {
		if l.Remaining == 0 || !l.Expired(now) {
			return false
		}
		out = append(out, Entry{Kind: KindExpire, Currency: w.Currency, Grant: l.ID, Amount: -l.Remaining, Period: cur, Time: now})
		return true
	})
	*pool = w
	return out, nil
}

// apply applies the reset of period k to w, appending its entries to out.
func (w *Pool) apply(out []Entry, k int64, g plan.Grant, total int64, now time.Time) ([]Entry, int64, error) {
	cur := w.Currency
	out = append(out, Entry{Kind: KindReset, Currency: cur, Period: k, Time: now})
	w.Grants = slices.DeleteFunc(w.Grants, func(l Grant) bool { return l.Remaining == 0 })

	// Close the lots of the previous period. They have no expiry, so all
	// of their remainder counts, and they sort first, carry before periodic.
	var left int64
	for i := range w.Grants {
		if s := w.Grants[i].Source; s == SourcePeriodic || s == SourceCarry {
			left += w.Grants[i].Remaining
		}
	}
	carry := g.Rollover.Carry(left)
	need := carry
	w.Grants = slices.DeleteFunc(w.Grants, func(l Grant) bool {
		if l.Source != SourcePeriodic && l.Source != SourceCarry {
			return false
		}
		c := min(need, l.Remaining)
		need -= c
		if c > 0 {
			out = append(out, Entry{Kind: KindCarry, Currency: cur, Grant: l.ID, Amount: -c, Period: k, Time: now})
		}
		if f := l.Remaining - c; f > 0 {
			out = append(out, Entry{Kind: KindForfeit, Currency: cur, Grant: l.ID, Amount: -f, Period: k, Time: now})
			total -= f
		}
		return true
	})
	if carry > 0 {
		id := CarryID(k)
		w.insert(Grant{ID: id, Source: SourceCarry, Amount: carry, Remaining: carry, Priority: PriorityCarry, Created: now})
		out = append(out, Entry{Kind: KindCarry, Currency: cur, Grant: id, Amount: carry, Period: k, Time: now})
	}
	if g.Amount > 0 {
		if g.Amount > math.MaxInt64-total {
			return nil, 0, fmt.Errorf("%w: grant of %d for period %d overflows a total of %d", ErrInvalidAmount, g.Amount, k, total)
		}
		total += g.Amount
		id := PeriodicID(k)
		w.insert(Grant{ID: id, Source: SourcePeriodic, Amount: g.Amount, Remaining: g.Amount, Priority: PriorityPeriodic, Created: now})
		out = append(out, Entry{Kind: KindGrant, Currency: cur, Grant: id, Amount: g.Amount, Period: k, Time: now})
	}
	w.Started, w.Period = true, k
	return out, total, nil
}
