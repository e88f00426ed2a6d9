package credits

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Sum returns the sum of the entries' amounts. Over the whole journal of one
// pool it equals the pool's Total.
func Sum(entries []Entry) int64 {
	var n int64
	for i := range entries {
		n += entries[i].Amount
	}
	return n
}

// Replay rebuilds the pools of a journal, one per currency, by applying its
// entries in order, and returns them keyed by currency. A pool that the
// state transitions of this package wrote the journal of comes back equal to
// the live one: same lots in the same order, same period.
//
// Lots are created by KindGrant, KindTopUp, KindInitial, KindEarn and a
// positive KindCarry; KindSpend, KindRefund, KindForfeit, KindExpire and a
// negative KindCarry change their Remaining; a KindForfeit, KindExpire or
// KindCarry that empties a lot closes it; a KindReset drops the exhausted
// lots and moves the pool to its period.
//
// A journal no sequence of transitions could have written is an error
// wrapping ErrCorruptJournal, naming the entry: an unknown kind or lot, a
// lot created twice, an amount of the wrong sign, a Remaining leaving
// [0, Amount], periods out of order.
func Replay(entries []Entry) (map[string]*Pool, error) {
	pools := make(map[string]*Pool)
	for n, e := range entries {
		p := pools[e.Currency]
		if p == nil {
			p = &Pool{Currency: e.Currency}
			pools[e.Currency] = p
		}
		if err := p.replay(e); err != nil {
			return nil, fmt.Errorf("%w: entry %d (%v %d of %s lot %q): %v", ErrCorruptJournal, n, e.Kind, e.Amount, e.Currency, e.Grant, err)
		}
	}
	return pools, nil
}

// replay applies one journal entry to p.
func (p *Pool) replay(e Entry) error {
	create := func(s Source) error {
		if e.Amount <= 0 || e.Amount > math.MaxInt64-p.Total() {
			return fmt.Errorf("bad amount")
		}
		if e.Grant == "" || p.index(e.Grant) >= 0 {
			return fmt.Errorf("lot created twice or without an ID")
		}
		p.insert(Grant{ID: e.Grant, Source: s, Amount: e.Amount, Remaining: e.Amount, Priority: s.Priority(), Expires: e.Expires, Created: e.Time})
		return nil
	}
	change := func(closes bool) error {
		i := p.index(e.Grant)
		if i < 0 {
			return fmt.Errorf("no such lot")
		}
		l := &p.Grants[i]
		if e.Amount < -l.Remaining || e.Amount > l.Amount-l.Remaining {
			return fmt.Errorf("lot has %d of %d remaining", l.Remaining, l.Amount)
		}
		l.Remaining += e.Amount
		if closes && l.Remaining == 0 {
			p.Grants = slices.Delete(p.Grants, i, i+1)
		}
		return nil
	}
	switch e.Kind {
	case KindReset:
		if e.Amount != 0 || e.Grant != "" {
			return fmt.Errorf("reset with an amount or a lot")
		}
		if p.Started && e.Period <= p.Period {
			return fmt.Errorf("period %d reset after period %d", e.Period, p.Period)
		}
		p.Grants = slices.DeleteFunc(p.Grants, func(l Grant) bool { return l.Remaining == 0 })
		p.Started, p.Period = true, e.Period
		return nil
	case KindGrant:
		return create(SourcePeriodic)
	case KindTopUp:
		return create(SourceTopUp)
	case KindInitial:
		return create(SourceInitial)
	case KindEarn:
		return create(SourceEarned)
	case KindCarry:
		if e.Amount > 0 {
			return create(SourceCarry)
		}
		if e.Amount == 0 {
			return fmt.Errorf("zero carry")
		}
		return change(true)
	case KindForfeit, KindExpire, KindSpend:
		if e.Amount >= 0 {
			return fmt.Errorf("amount must be negative")
		}
		return change(e.Kind != KindSpend)
	case KindRefund:
		if e.Amount <= 0 {
			return fmt.Errorf("amount must be positive")
		}
		if p.index(e.Grant) < 0 {
			switch {
			case strings.HasPrefix(e.Grant, "refund:"):
				return create(SourceRefund) // a refund to a kept lot that had left
			case strings.HasPrefix(e.Grant, "carry:refund:"):
				return create(SourceCarry) // a refund to a closed period's lot
			}
		}
		return change(false)
	}
	return fmt.Errorf("unknown kind")
}

// SpendRow is one row of the spend table: what a member spent of a currency
// in a period, net of refunds.
type SpendRow struct {
	Currency string
	Member   string
	Period   int64
	Spent    int64
}

// SpendTable projects the journal onto the spend table admins view (seed
// 001: "View credit spend table"): one row per currency, member and period
// with a KindSpend entry, its Spent the credits spent less the credits
// refunded to that period's spends. Rows are sorted by currency, period and
// member. For the current period, a member's row equals their Allowance's
// Spent.
func SpendTable(entries []Entry) []SpendRow {
	type key struct {
		currency, member string
		period           int64
	}
	spent := make(map[key]int64)
	for i := range entries {
		e := &entries[i]
		k := key{e.Currency, e.Member, e.Period}
		switch e.Kind {
		case KindSpend:
			spent[k] -= e.Amount
		case KindRefund:
			if _, ok := spent[k]; ok {
				spent[k] -= e.Amount
			}
		}
	}
	rows := make([]SpendRow, 0, len(spent))
	for k, n := range spent {
		rows = append(rows, SpendRow{Currency: k.currency, Member: k.member, Period: k.period, Spent: n})
	}
	slices.SortFunc(rows, func(a, b SpendRow) int {
		if c := strings.Compare(a.Currency, b.Currency); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Period, b.Period); c != 0 {
			return c
		}
		return strings.Compare(a.Member, b.Member)
	})
	return rows
}
