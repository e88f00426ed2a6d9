// Package plan describes subscription plans: the features they unlock, their
// limits on members, seats and shared workspaces, the roles they offer, the
// credits they grant per period and the price of a seat. It also holds the
// calendar arithmetic of periods.
//
// Plans are declared in a policy file and compiled by package policy; a *Plan is
// immutable after compilation.
package plan

import (
	"math/bits"

	"github.com/charterhq/charter/role"
)

// MaxFeatures is the largest number of features one policy may declare.
const MaxFeatures = 64

// Features is a set of features as a bit mask over the feature indices of a
// policy.
type Features uint64

// Has reports whether every feature of want is in f.
func (f Features) Has(want Features) bool { return f&want == want }

// Len returns the number of features in f.
func (f Features) Len() int { return bits.OnesCount64(uint64(f)) }

// Limit is an upper bound on a count. Unlimited means no bound; the zero value
// allows nothing, so a forgotten limit fails closed.
type Limit int

// Unlimited is the Limit with no bound.
const Unlimited Limit = -1

// Allows reports whether a count of n stays within the limit.
func (l Limit) Allows(n int) bool { return l == Unlimited || n <= int(l) }

// Admits reports whether a count may change from before to after: it stays
// within the limit, or it does not grow. A count already over a limit (the
// policy lowered it since) does not block changes that do not add to it.
func (l Limit) Admits(before, after int) bool { return after <= before || l.Allows(after) }

// Limits are the plan's bounds. Pending invitations count against Members and
// Seats.
type Limits struct {
	// Members bounds the number of members, the owner included, guests not.
	Members Limit
	// Seats bounds the number of members holding a paid-seat role.
	Seats Limit
	// Guests bounds the number of guests.
	Guests Limit
	// SharedWorkspaces bounds how many shared workspaces a user whose
	// personal workspace is on this plan may own.
	SharedWorkspaces Limit
}

// Rollover says what remains of a periodic grant when its period ends.
type Rollover struct {
	// Kind is RolloverNone, RolloverAll or RolloverCap.
	Kind RolloverKind
	// Cap is the most that carries over when Kind is RolloverCap.
	Cap int64
}

// RolloverKind is the kind of a Rollover.
type RolloverKind uint8

// The kinds of rollover.
const (
	RolloverNone RolloverKind = iota // nothing carries over
	RolloverAll                      // the whole remainder carries over
	RolloverCap                      // the remainder carries over up to Cap
)

// Carry returns how much of remaining carries into the next period.
func (r Rollover) Carry(remaining int64) int64 {
	if remaining <= 0 {
		return 0
	}
	switch r.Kind {
	case RolloverAll:
		return remaining
	case RolloverCap:
		return min(remaining, r.Cap)
	}
	return 0
}

// Grant is a plan's periodic grant of one currency.
type Grant struct {
	// Currency names the currency granted, e.g. "ai_credits".
	Currency string
	// Amount is granted at the start of every period.
	Amount int64
	// Every is the length of a period, anchored at the workspace's
	// subscription start.
	Every Period
	// Rollover says what carries into the next period.
	Rollover Rollover
	// RequireAllowance means a member spends only within an allowance an
	// admin set; without it, members without an allowance spend freely.
	RequireAllowance bool
}

// Price is a recurring price in integer minor units of a currency.
type Price struct {
	// Amount is in minor units (cents).
	Amount int64
	// Currency is an ISO 4217 code, e.g. "USD".
	Currency string
	// Every is the billing period.
	Every Period
}

// Plan is one compiled plan of a policy.
type Plan struct {
	// Name is the plan's name in the policy, e.g. "pro".
	Name string
	// Index is the plan's position in its policy.
	Index int
	// Features are the features the plan unlocks.
	Features Features
	// Limits bound members, seats, guests and shared workspaces.
	Limits Limits
	// Roles are the roles offered on this plan; a role outside it cannot be
	// given to anyone in a workspace on this plan.
	Roles role.Set
	// InviteRole is the role an email invitation gives when the inviter
	// names none; nil when the inviter must name one.
	InviteRole *role.Role
	// LinkRole is the role a shareable invitation link gives; nil when the
	// plan has no invitation links.
	LinkRole *role.Role
	// Grants are the periodic credit grants, at most one per currency.
	Grants []Grant
	// SeatPrice is the price of each paid seat; zero when seats are free.
	SeatPrice Price
}

// Offers reports whether r may be held in a workspace on this plan.
func (p *Plan) Offers(r *role.Role) bool { return p != nil && p.Roles.Has(r) }

// Grant returns the plan's periodic grant of currency, if it has one.
func (p *Plan) Grant(currency string) (Grant, bool) {
	for _, g := range p.Grants {
		if g.Currency == currency {
			return g, true
		}
	}
	return Grant{}, false
}

// String returns the plan's name.
func (p *Plan) String() string {
	if p == nil {
		return "<none>"
	}
	return p.Name
}
