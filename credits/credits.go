package credits

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Errors returned by the state transitions. Test for them with errors.Is;
// several come wrapped in a typed error carrying the numbers involved.
var (
	// ErrInsufficientCredits means the pool's unexpired balance is smaller
	// than the spend. The error is an *InsufficientError.
	ErrInsufficientCredits = errors.New("credits: insufficient credits")
	// ErrAllowanceExceeded means the spend would take the member past the
	// allowance of the current period. The error is an *AllowanceError.
	ErrAllowanceExceeded = errors.New("credits: allowance exceeded")
	// ErrNoAllowance means the pool requires an allowance and the member has
	// none, or the allowance given belongs to another member.
	ErrNoAllowance = errors.New("credits: no allowance")
	// ErrInvalidAmount means an amount that is not positive, or one that
	// would overflow the pool's total.
	ErrInvalidAmount = errors.New("credits: invalid amount")
	// ErrInvalidGrant means a grant lot ID that is empty, reserved or
	// already in the pool, or an expiry that is not after the grant.
	ErrInvalidGrant = errors.New("credits: invalid grant")
	// ErrCurrencyMismatch means a plan grant or journal entry of another
	// currency than the pool's.
	ErrCurrencyMismatch = errors.New("credits: currency mismatch")
	// ErrInvalidRefund means entries that are not the lots of one spend, or a
	// refund that would give back more than was spent from a lot.
	ErrInvalidRefund = errors.New("credits: invalid refund")
	// ErrCorruptJournal is returned by Replay for a journal that no sequence
	// of state transitions could have written.
	ErrCorruptJournal = errors.New("credits: corrupt journal")
)

// InsufficientError reports a spend larger than the pool's balance. It wraps
// ErrInsufficientCredits.
type InsufficientError struct {
	Currency  string
	Needed    int64 // the amount of the spend
	Available int64 // the pool's unexpired balance
}

// Error returns "credits: insufficient credits: need N <currency>, have M".
func (e *InsufficientError) Error() string {
	return fmt.Sprintf("%v: need %d %s, have %d", ErrInsufficientCredits, e.Needed, e.Currency, e.Available)
}

// Unwrap returns ErrInsufficientCredits.
func (e *InsufficientError) Unwrap() error { return ErrInsufficientCredits }

// AllowanceError reports a spend larger than what is left of a member's
// allowance. It wraps ErrAllowanceExceeded.
type AllowanceError struct {
	Member string
	Needed int64 // the amount of the spend
	Left   int64 // what is left of the allowance in the current period
}

// Error returns "credits: allowance exceeded: member "m" needs N, has M left".
func (e *AllowanceError) Error() string {
	return fmt.Sprintf("%v: member %q needs %d, has %d left", ErrAllowanceExceeded, e.Member, e.Needed, e.Left)
}

// Unwrap returns ErrAllowanceExceeded.
func (e *AllowanceError) Unwrap() error { return ErrAllowanceExceeded }

// Source says where a grant lot came from. It decides the lot's Priority.
// The zero Source is invalid.
type Source uint8

// The sources of grant lots.
const (
	SourcePeriodic Source = iota + 1 // a plan's grant for one period, ID "period:<k>"
	SourceCarry                      // the remainder carried into period k, ID "carry:<k>"
	SourceInitial                    // a new pool's starting grant, ID "initial"
	SourceEarned                     // an earning, e.g. a sale; ID given by the caller
	SourceTopUp                      // an admin's top-up; ID given by the caller
	SourceRefund                     // a refund to a kept lot that had left the pool, ID RefundID(key, lot)
)

var sourceNames = [...]string{
	SourcePeriodic: "periodic",
	SourceCarry:    "carry",
	SourceInitial:  "initial",
	SourceEarned:   "earned",
	SourceTopUp:    "topup",
	SourceRefund:   "refund",
}

// String returns the source's name: "periodic", "carry", "initial",
// "earned", "topup" or "refund".
func (s Source) String() string {
	if int(s) < len(sourceNames) && sourceNames[s] != "" {
		return sourceNames[s]
	}
	return "Source(" + strconv.Itoa(int(s)) + ")"
}

// ParseSource parses a name that String returns.
func ParseSource(name string) (Source, error) {
	for s, n := range sourceNames {
		if n != "" && n == name {
			return Source(s), nil
		}
	}
	return 0, fmt.Errorf("credits: unknown source %q", name)
}

// Burn priorities: a lot of lower priority is spent first.
const (
	PriorityCarry    = 0 // carried credits, which the next reset takes first
	PriorityPeriodic = 1 // this period's grant, which the next reset takes
	PriorityKept     = 2 // initial, earned, topped-up and refunded credits, kept across resets
)

// Priority returns the burn priority of lots of source s.
func (s Source) Priority() int {
	switch s {
	case SourceCarry:
		return PriorityCarry
	case SourcePeriodic:
		return PriorityPeriodic
	}
	return PriorityKept
}

// Kind is the kind of a journal entry. The zero Kind is invalid.
type Kind uint8

// The kinds of journal entry. The sign of an entry's Amount is fixed by its
// kind, except for KindCarry.
const (
	KindReset   Kind = iota + 1 // period Period began; Amount 0, no lot. Exactly one per period.
	KindGrant                   // + the plan's periodic grant, creating lot "period:<k>"
	KindCarry                   // - the part of a closing lot carried over, or + the carry lot "carry:<k>" it funds
	KindForfeit                 // - the part of a closing lot that does not carry over
	KindExpire                  // - what was left of a lot when it expired
	KindTopUp                   // + an admin's top-up, creating a lot
	KindInitial                 // + a new pool's starting grant, creating lot "initial"
	KindEarn                    // + an earning, creating a lot
	KindSpend                   // - a spend's burn of one lot
	KindRefund                  // + a refund's return to one lot
)

var kindNames = [...]string{
	KindReset:   "reset",
	KindGrant:   "grant",
	KindCarry:   "carry",
	KindForfeit: "forfeit",
	KindExpire:  "expire",
	KindTopUp:   "topup",
	KindInitial: "initial",
	KindEarn:    "earn",
	KindSpend:   "spend",
	KindRefund:  "refund",
}

// String returns the kind's name, e.g. "spend".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// ParseKind parses a name that String returns.
func ParseKind(name string) (Kind, error) {
	for k, n := range kindNames {
		if n != "" && n == name {
			return Kind(k), nil
		}
	}
	return 0, fmt.Errorf("credits: unknown entry kind %q", name)
}

// Grant is one lot of credits in a pool.
//
// Invariants: ID is unique within the pool; 0 <= Remaining <= Amount;
// Amount > 0; Priority == Source.Priority().
type Grant struct {
	// ID names the lot within its pool: "period:<k>", "carry:<k>",
	// "initial", or an ID the caller gave a top-up or earning.
	ID string
	// Source says where the lot came from.
	Source Source
	// Amount is what was granted.
	Amount int64
	// Remaining is what is left to spend.
	Remaining int64
	// Priority is the burn priority, Source.Priority(): lower burns first.
	Priority int
	// Expires is when the lot expires; the zero Time means never. A lot has
	// expired at every instant t with !t.Before(Expires).
	Expires time.Time
	// Created is when the lot was granted.
	Created time.Time
}

// Expired reports whether the lot has expired at t.
func (g *Grant) Expired(t time.Time) bool {
	return !g.Expires.IsZero() && !t.Before(g.Expires)
}

// SearchID returns the place of the lot with id in gs, which are in the
// order of their IDs, or the place where it would go, and whether it is
// there. It compares IDs in place, where slices.BinarySearchFunc would
// copy each lot it compares.
func SearchID(gs []Grant, id string) (int, bool) {
	lo, hi := 0, len(gs)
	for lo < hi {
		if mid := int(uint(lo+hi) >> 1); gs[mid].ID < id {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, lo < len(gs) && gs[lo].ID == id
}

// AppendGrants is append(dst, src...), but for the one lot most pools
// hold a plain assignment rather than the runtime's typed copy of a
// slice: the root package and the memory store copy a pool's lots so on
// every spend.
func AppendGrants(dst, src []Grant) []Grant {
	if len(src) == 1 {
		return append(dst, src[0])
	}
	return append(dst, src...)
}

// Allowance is a member's per-period spending limit in one pool (the credit-pool policy:
// admins set allowances, editors spend within theirs). A member without an
// Allowance spends freely unless the pool requires one.
//
// Spent belongs to period Period; in any other period nothing has been spent
// yet, so the zero value with Member and Amount set is a fresh allowance.
type Allowance struct {
	// Member identifies the member.
	Member string
	// Amount is the most the member may spend in one period.
	Amount int64
	// Period is the index of the period Spent belongs to.
	Period int64
	// Spent is what the member spent in period Period, net of refunds.
	Spent int64
}

// Left returns what the member may still spend in period k: never less than
// zero.
func (a *Allowance) Left(k int64) int64 {
	spent := int64(0)
	if a.Period == k {
		spent = a.Spent
	}
	return max(0, a.Amount-max(0, spent))
}

// Meta describes who did what, carried into the entries a change writes.
type Meta struct {
	// Member is the member who spent, funded or earned.
	Member string
	// Action is the action that cost or earned credits, e.g. "generate_video".
	Action string
	// Key is the idempotency key of the request.
	Key string
}

// Entry is one line of the journal. The journal is append-only; a pool's
// lots and a member's spend are projections of it (see Replay and
// SpendTable).
type Entry struct {
	// Kind is what happened.
	Kind Kind
	// Currency is the pool's currency.
	Currency string
	// Grant is the ID of the lot affected; empty for KindReset.
	Grant string
	// Amount is signed: + adds to the pool, - takes from it.
	Amount int64
	// Member, Action and Key come from the Meta of a spend, refund, top-up
	// or earning.
	Member, Action, Key string
	// Period is the index of the pool's current period when the entry was
	// written; for a refund, the period of the spend it reverses.
	Period int64
	// Time is when the entry was written; for an entry creating a lot, the
	// lot's Created.
	Time time.Time
	// Expires is the expiry of the lot an entry of KindTopUp, KindEarn or
	// KindInitial creates; zero otherwise.
	Expires time.Time
}
