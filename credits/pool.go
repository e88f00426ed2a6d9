package credits

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Pool is a workspace's balance of one currency: its live grant lots, in
// burn order. The zero value with Currency set is an empty pool no period
// has reached yet.
//
// A Pool is a value the caller owns; it is not safe for concurrent mutation.
// The functions of this package change it only when they succeed.
type Pool struct {
	// Currency names the pool's currency, e.g. "ai_credits".
	Currency string
	// Grants are the live lots, sorted by BurnOrder, IDs unique. A lot leaves
	// the pool when it expires or its period closes (with an entry for what
	// was left), or at the next period reset once it is exhausted.
	Grants []Grant
	// Started reports whether a period's reset has been applied.
	Started bool
	// Period is the index (plan.Period.Index) of the last period whose
	// reset was applied; meaningful only when Started.
	Period int64
}

// CurrentPeriod returns the index of the pool's current period: Period when
// Started, otherwise 0. Spends and allowances are counted in it.
func (p *Pool) CurrentPeriod() int64 {
	if p.Started {
		return p.Period
	}
	return 0
}

// Balance returns what can be spent at t: the sum of Remaining over lots not
// expired at t. It reads the lots only, never the journal.
func (p *Pool) Balance(t time.Time) int64 {
	var n int64
	for i := range p.Grants {
		if g := &p.Grants[i]; !g.Expired(t) {
			n += g.Remaining
		}
	}
	return n
}

// Total returns the sum of Remaining over all lots, expired or not. It always
// equals Sum of the pool's journal; Balance equals it once Reset has closed
// the expired lots.
func (p *Pool) Total() int64 {
	var n int64
	for i := range p.Grants {
		n += p.Grants[i].Remaining
	}
	return n
}

// Lot returns the live lot with the given ID.
func (p *Pool) Lot(id string) (Grant, bool) {
	if i := p.index(id); i >= 0 {
		return p.Grants[i], true
	}
	return Grant{}, false
}

func (p *Pool) index(id string) int {
	for i := range p.Grants {
		if p.Grants[i].ID == id {
			return i
		}
	}
	return -1
}

// insert adds g at its place in burn order.
func (p *Pool) insert(g Grant) {
	i, _ := slices.BinarySearchFunc(p.Grants, g, BurnOrder)
	p.Grants = slices.Insert(p.Grants, i, g)
}

// BurnOrder compares two lots by the order a spend burns them: lower
// Priority first; then the earliest Expires, never-expiring lots last; then
// the oldest Created; then ID. It returns a negative number when a burns
// before b, as cmp.Compare does.
func BurnOrder(a, b Grant) int {
	if c := cmp.Compare(a.Priority, b.Priority); c != 0 {
		return c
	}
	switch az, bz := a.Expires.IsZero(), b.Expires.IsZero(); {
	case az && !bz:
		return 1
	case !az && bz:
		return -1
	case !az:
		if c := a.Expires.Compare(b.Expires); c != 0 {
			return c
		}
	}
	if c := a.Created.Compare(b.Created); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// Validate reports whether p keeps the Pool invariants: lots in burn order
// with unique IDs, valid sources, Priority matching Source, and
// 0 <= Remaining <= Amount, Amount > 0, a Total that does not overflow.
// Storage may call it on a pool it loaded.
func (p *Pool) Validate() error {
	var total int64
	for i := range p.Grants {
		g := &p.Grants[i]
		switch {
		case g.ID == "":
			return fmt.Errorf("%w: lot %d has no ID", ErrInvalidGrant, i)
		case g.Source < SourcePeriodic || g.Source > SourceRefund:
			return fmt.Errorf("%w: lot %q has source %v", ErrInvalidGrant, g.ID, g.Source)
		case g.Priority != g.Source.Priority():
			return fmt.Errorf("%w: lot %q has priority %d, want %d", ErrInvalidGrant, g.ID, g.Priority, g.Source.Priority())
		case g.Amount <= 0 || g.Remaining < 0 || g.Remaining > g.Amount:
			return fmt.Errorf("%w: lot %q has %d of %d remaining", ErrInvalidGrant, g.ID, g.Remaining, g.Amount)
		case g.Remaining > math.MaxInt64-total:
			return fmt.Errorf("%w: total overflows at lot %q", ErrInvalidAmount, g.ID)
		}
		total += g.Remaining
		if i > 0 && BurnOrder(p.Grants[i-1], *g) >= 0 {
			return fmt.Errorf("%w: lots %q and %q out of burn order or duplicate", ErrInvalidGrant, p.Grants[i-1].ID, g.ID)
		}
	}
	// Burn order is total, so sorted and strictly increasing means no two
	// lots compare equal, but two lots may share an ID with other fields
	// different.
	seen := make(map[string]bool, len(p.Grants))
	for i := range p.Grants {
		if seen[p.Grants[i].ID] {
			return fmt.Errorf("%w: duplicate lot %q", ErrInvalidGrant, p.Grants[i].ID)
		}
		seen[p.Grants[i].ID] = true
	}
	return nil
}
