package credits

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/charterhq/charter/plan"
)

// Spend takes amount credits from pool at now for the member m.Member,
// burning lots in burn order (see BurnOrder) and skipping lots expired at
// now. It returns one KindSpend entry per lot burned, in burn order, each
// carrying m, the pool's CurrentPeriod and the lot's Expires, which a later
// Refund needs if the lot has left the pool by then.
//
// If allow is not nil it must be m.Member's allowance, and the spend must fit
// in what is Left of it in the current period; Spend then counts the spend in
// it, starting a fresh count when allow.Period is not the current period. If
// allow is nil the member spends freely, unless requireAllowance is set.
//
// Errors, checked in this order: ErrInvalidAmount for amount <= 0;
// ErrNoAllowance when requireAllowance is set and allow is nil, or allow is
// another member's; an *AllowanceError (ErrAllowanceExceeded); an
// *InsufficientError (ErrInsufficientCredits) when the pool's Balance at now
// is smaller than amount. On error neither pool nor allow is changed.
//
// Spend does not know idempotency keys: the caller records m.Key with the
// result and answers a repeated key from that record, without calling Spend.
func Spend(pool *Pool, allow *Allowance, requireAllowance bool, amount int64, now time.Time, m Meta) ([]Entry, error) {
	return AppendSpend(make([]Entry, 0, 2), pool, allow, requireAllowance, amount, now, m)
}

// AppendSpend is Spend appending its entries to dst, which it returns with
// them: a caller that keeps room for them spends without allocating. On
// error it returns nil.
func AppendSpend(dst []Entry, pool *Pool, allow *Allowance, requireAllowance bool, amount int64, now time.Time, m Meta) ([]Entry, error) {
	if amount <= 0 {
		return nil, fmt.Errorf("%w: spend of %d", ErrInvalidAmount, amount)
	}
	k := pool.CurrentPeriod()
	switch {
	case allow == nil && requireAllowance:
		return nil, fmt.Errorf("%w: member %q has no allowance of %s", ErrNoAllowance, m.Member, pool.Currency)
	case allow != nil && allow.Member != m.Member:
		return nil, fmt.Errorf("%w: allowance of member %q used by %q", ErrNoAllowance, allow.Member, m.Member)
	case allow != nil && amount > allow.Left(k):
		return nil, &AllowanceError{Member: m.Member, Needed: amount, Left: allow.Left(k)}
	}
	if have := pool.Balance(now); have < amount {
		return nil, &InsufficientError{Currency: pool.Currency, Needed: amount, Available: have}
	}

	// From here on the spend cannot fail: the unexpired lots hold enough.
	out := dst
	need := amount
	for i := range pool.Grants {
		if need == 0 {
			break
		}
		l := &pool.Grants[i]
		if l.Remaining == 0 || l.Expired(now) {
			continue
		}
		x := min(need, l.Remaining)
		l.Remaining -= x
		need -= x
		out = append(out, Entry{
			Kind: KindSpend, Currency: pool.Currency, Grant: l.ID, Amount: -x,
			Member: m.Member, Action: m.Action, Key: m.Key, Period: k, Time: now, Expires: l.Expires,
		})
	}
	if allow != nil {
		if allow.Period != k {
			allow.Period, allow.Spent = k, 0
		}
		allow.Spent += amount
	}
	return out, nil
}

// Refund reverses a spend: spend holds the entries Spend returned (all of
// them, or those of some of its lots). Each lot gets back what the spend took
// from it, with a KindRefund entry carrying the spend's Member, Action, Key
// and Period.
//
// A lot that has expired at now gets nothing back: those credits would be
// gone by now had they not been spent, so their refund is forfeited and
// writes no entry.
//
// A period's lot (periodic or carry) that has left the pool closed with its
// period, and rollover, the plan's rule now, says what of the refund would
// have carried into the current period: nothing (RolloverNone: forfeited,
// no entry), all of it, or up to the cap less what carry lots in the pool
// already hold. That part comes back as a new carry lot "carry:" +
// RefundID(key, lot), which the next reset closes like any carry lot.
//
// Any other lot that has left the pool (a top-up, earning, initial or
// refund lot that ran out and was dropped at a reset) has lost nothing: what
// the spend took comes back as a new lot RefundID(key, lot), of source
// SourceRefund, expiring when the spent lot did (the Expires the spend entry
// recorded; after it, the refund is forfeited). Its KindRefund entry carries
// that ID and expiry.
//
// If allow is not nil it must be the spender's allowance. When it counts the
// spend's period (allow.Period is the spend's Period), what was given back to
// the pool is taken off its Spent (never below zero), so the member may spend
// it again in that period, and Spent keeps matching SpendTable. In a later
// period the allowance has started over and gets nothing back.
//
// Errors: ErrCurrencyMismatch; ErrInvalidRefund when the entries are not
// KindSpend entries of one spend, when allow is another member's, or when a
// lot would get back more than it was granted or a refund lot it would open
// is already in the pool, which means the spend was already refunded. Refund cannot catch every repeated refund: the caller
// refunds each spend once, under its own idempotency key. On error neither
// pool nor allow is changed.
func Refund(pool *Pool, allow *Allowance, spend []Entry, rollover plan.Rollover, now time.Time) ([]Entry, error) {
	if len(spend) == 0 {
		return nil, nil
	}
	s := spend[0]
	for _, e := range spend {
		switch {
		case e.Currency != pool.Currency:
			return nil, fmt.Errorf("%w: refund of %s to a pool of %s", ErrCurrencyMismatch, e.Currency, pool.Currency)
		case e.Kind != KindSpend || e.Amount >= 0 || e.Amount == math.MinInt64:
			return nil, fmt.Errorf("%w: entry %v of %d is not a spend", ErrInvalidRefund, e.Kind, e.Amount)
		case e.Member != s.Member || e.Key != s.Key || e.Period != s.Period || e.Action != s.Action:
			return nil, fmt.Errorf("%w: entries of more than one spend", ErrInvalidRefund)
		}
	}
	if allow != nil && allow.Member != s.Member {
		return nil, fmt.Errorf("%w: allowance of member %q for a spend of %q", ErrInvalidRefund, allow.Member, s.Member)
	}

	back := make([]int64, len(pool.Grants)) // what each lot gets back
	var reopen []Grant                      // lots that left, opened again
	var out []Entry
	var total int64
	for _, e := range spend {
		x := -e.Amount
		i := pool.index(e.Grant)
		if i < 0 {
			if !e.Expires.IsZero() && !now.Before(e.Expires) {
				continue
			}
			g := Grant{ID: RefundID(e.Key, e.Grant), Source: SourceRefund, Priority: PriorityKept, Expires: e.Expires, Created: now}
			if closedWithPeriod(e.Grant) {
				x = rollover.Carry(x)
				if rollover.Kind == plan.RolloverCap {
					x = min(x, max(0, rollover.Cap-carried(pool.Grants)-carried(reopen)))
				}
				if x == 0 {
					continue
				}
				g.ID, g.Source, g.Priority = "carry:"+g.ID, SourceCarry, PriorityCarry
			}
			if pool.index(g.ID) >= 0 || slices.ContainsFunc(reopen, func(r Grant) bool { return r.ID == g.ID }) {
				return nil, fmt.Errorf("%w: lot %q is already in the pool", ErrInvalidRefund, g.ID)
			}
			if x > math.MaxInt64-pool.Total()-total {
				return nil, fmt.Errorf("%w: refund of %d overflows the pool", ErrInvalidRefund, x)
			}
			g.Amount, g.Remaining = x, x
			reopen = append(reopen, g)
			total += x
			out = append(out, Entry{
				Kind: KindRefund, Currency: pool.Currency, Grant: g.ID, Amount: x,
				Member: e.Member, Action: e.Action, Key: e.Key, Period: e.Period, Time: now, Expires: g.Expires,
			})
			continue
		}
		if pool.Grants[i].Expired(now) {
			continue
		}
		l := &pool.Grants[i]
		if x > l.Amount-l.Remaining-back[i] {
			return nil, fmt.Errorf("%w: lot %q would get back %d with %d of %d remaining", ErrInvalidRefund, l.ID, back[i]+x, l.Remaining, l.Amount)
		}
		back[i] += x
		total += x
		out = append(out, Entry{
			Kind: KindRefund, Currency: pool.Currency, Grant: e.Grant, Amount: x,
			Member: e.Member, Action: e.Action, Key: e.Key, Period: e.Period, Time: now,
		})
	}
	for i, x := range back {
		pool.Grants[i].Remaining += x
	}
	for _, g := range reopen {
		pool.insert(g)
	}
	if allow != nil && allow.Period == s.Period {
		allow.Spent = max(0, allow.Spent-total)
	}
	return out, nil
}

// TopUp adds a lot of amount credits an admin bought or granted, under the
// caller's id, expiring at expires (the zero Time: never). It returns its
// KindTopUp entry, carrying m. The id must be new to the pool's whole
// history, since refunds find lots by ID; TopUp can only reject the IDs of
// live lots.
//
// Errors: ErrInvalidAmount for amount <= 0 or a pool total that would
// overflow; ErrInvalidGrant for an empty id, a reserved one (InitialID or
// starting "period:", "carry:" or "refund:"), one already in the pool, or an expiry not
// after now.
func TopUp(pool *Pool, id string, amount int64, expires, now time.Time, m Meta) ([]Entry, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return add(pool, Grant{ID: id, Source: SourceTopUp, Amount: amount, Expires: expires}, KindTopUp, now, m)
}

// Earn adds a lot of amount credits the workspace earned (the coins policy: coins
// from a sale), under the caller's unique id, never expiring. It returns its
// KindEarn entry, carrying m. Errors as for TopUp.
func Earn(pool *Pool, id string, amount int64, now time.Time, m Meta) ([]Entry, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	return add(pool, Grant{ID: id, Source: SourceEarned, Amount: amount}, KindEarn, now, m)
}

// Initial adds the starting grant of a new pool (the coins policy: a new shared
// workspace starts with 5 coins) as lot InitialID, never expiring, and
// returns its KindInitial entry. Errors as for TopUp; a second call while the
// lot is live is ErrInvalidGrant, but the caller is the one who makes sure a
// pool gets its starting grant once.
func Initial(pool *Pool, amount int64, now time.Time) ([]Entry, error) {
	return add(pool, Grant{ID: InitialID, Source: SourceInitial, Amount: amount}, KindInitial, now, Meta{})
}

// carried returns what the carry lots among lots were granted.
func carried(lots []Grant) int64 {
	var n int64
	for _, l := range lots {
		if l.Source == SourceCarry {
			n += l.Amount
		}
	}
	return n
}

// closedWithPeriod reports whether the lot id is a period's lot, periodic
// or carry, which a reset closes.
func closedWithPeriod(id string) bool {
	return strings.HasPrefix(id, "period:") || strings.HasPrefix(id, "carry:")
}

func checkID(id string) error {
	if id == "" || id == InitialID || closedWithPeriod(id) || strings.HasPrefix(id, "refund:") {
		return fmt.Errorf("%w: reserved or empty lot ID %q", ErrInvalidGrant, id)
	}
	return nil
}

func add(pool *Pool, g Grant, kind Kind, now time.Time, m Meta) ([]Entry, error) {
	switch {
	case g.Amount <= 0:
		return nil, fmt.Errorf("%w: %v of %d", ErrInvalidAmount, kind, g.Amount)
	case g.Amount > math.MaxInt64-pool.Total():
		return nil, fmt.Errorf("%w: %v of %d overflows a total of %d", ErrInvalidAmount, kind, g.Amount, pool.Total())
	case pool.index(g.ID) >= 0:
		return nil, fmt.Errorf("%w: lot %q is already in the pool", ErrInvalidGrant, g.ID)
	case !g.Expires.IsZero() && !g.Expires.After(now):
		return nil, fmt.Errorf("%w: lot %q expires at %v, not after %v", ErrInvalidGrant, g.ID, g.Expires, now)
	}
	g.Remaining, g.Priority, g.Created = g.Amount, g.Source.Priority(), now
	pool.insert(g)
	return []Entry{{
		Kind: kind, Currency: pool.Currency, Grant: g.ID, Amount: g.Amount,
		Member: m.Member, Action: m.Action, Key: m.Key,
		Period: pool.CurrentPeriod(), Time: now, Expires: g.Expires,
	}}, nil
}
