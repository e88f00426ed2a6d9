// Package credits holds the arithmetic of credit pools: grant lots, periodic
// resets with rollover, spends within per-member allowances, refunds,
// top-ups, earnings and expiry, each written down as journal entries.
//
// It is pure: every function takes the state it changes and the time, and
// returns the journal entries it wrote. It does no I/O, reads no clock and
// holds no globals. The charter Service loads a Pool (and an Allowance) from
// storage, calls one of these functions inside a transaction, and saves the
// changed pool together with the entries. A function that returns an error
// leaves its pool and allowance as they were.
//
// # Model
//
// A Pool is a workspace's balance of one currency (the spaces policy's AI credits,
// the coins policy's coins, the credit-pool policy's credit pool). It holds lots (type Grant): the
// plan's grant for the current period, what carried over from earlier
// periods, a new pool's initial grant, earnings and admins' top-ups. Each lot
// has an Amount granted and a Remaining; a lot may expire.
//
// Every change is an Entry with an integer, signed Amount, appended to an
// append-only journal:
//
//	reset    0  period k began (exactly one per period, the first of its entries)
//	grant    +  the plan's grant for period k, lot "period:<k>"
//	carry    -/+ what a closing lot carries over / the lot "carry:<k>" it funds
//	forfeit  -  what a closing lot loses
//	expire   -  what an expired lot loses
//	topup    +  an admin's top-up (the credit-pool policy: admins fund the pool)
//	initial  +  a new pool's starting grant, lot "initial" (the coins policy: 5 coins)
//	earn     +  an earning (the coins policy: coins from a sale)
//	spend    -  what one spend burned from one lot
//	refund   +  what one refund gave back to one lot
//
// The pool is a projection of its journal: Replay rebuilds it, Sum of the
// journal equals Pool.Total, and Pool.Balance (what can be spent now) equals
// it once Reset has closed the lots expired by now. Balance reads the live
// lots only, never the journal. SpendTable projects the journal onto
// per-member, per-period spend (the video-studio policy: "View credit spend table").
//
// # Invariants
//
//   - A lot's Remaining stays within [0, Amount], so a pool never goes
//     negative.
//   - A credit is never made or lost silently: the only entries that add are
//     grant, topup, initial, earn, refund and the positive half of a carry,
//     and every credit that leaves a lot leaves with a spend, forfeit,
//     expire or carry entry.
//   - Each period's reset is applied once: Reset applies periods after
//     Pool.Period only, and writes one reset entry for each.
//   - A member with an allowance never spends more than its Amount in one
//     period.
//
// # Burn order
//
// A spend burns lots in one fixed order (BurnOrder), so that every balance
// can be explained lot by lot:
//
//  1. lower Priority first. Priority is set by the lot's source: carried
//     credits (0), then the current period's grant (1), then everything
//     kept across resets: initial, earned and topped-up credits (2). The
//     credits a reset would take are used before those it would keep.
//  2. then the lot expiring first; lots that never expire come last;
//  3. then the oldest (Created);
//  4. then by ID.
//
// Lots expired at the time of the spend are skipped. A spend writes one
// spend entry per lot it burned, in that order.
//
// # Periods and rollover
//
// A plan's grant (plan.Grant) gives Amount credits every period of Every,
// anchored at the subscription's start: plan.Period.Boundary keeps the
// anchor's day of month and clamps it to short months (anchored on January
// 31, periods start on February 29, March 31, April 30 ...). Reset brings
// a pool to the period containing now. For each period k it has not
// applied yet, in order:
//
//  1. it writes a reset entry for k;
//  2. exhausted lots leave the pool;
//  3. the lots of period k-1, its periodic lot and its carry lot, close.
//     Of their combined remainder R, g.Rollover.Carry(R) carries over:
//     none with RolloverNone, all of R with RolloverAll, at most Cap with
//     RolloverCap. The carried part is taken from the lots in burn order
//     (carry entries, -), the rest is forfeited (forfeit entries);
//  4. what carries over becomes lot "carry:<k>" (one carry entry, +);
//     so with RolloverCap the carried balance never exceeds Cap, however
//     many periods pass;
//  5. the plan's grant becomes lot "period:<k>" (a grant entry).
//
// A pool's first reset starts at the period containing now, with nothing to
// carry. When the clock jumps over several boundaries between two calls,
// every period in between is applied as if Reset had been called at its
// start, so the balance never depends on when Reset runs: the skipped grants
// are forfeited (none), accumulate in the carry lot (all) or fill it up to
// the cap (cap); only the latest period's grant is a periodic lot. Calling
// Reset again in the same period writes nothing.
//
// Lots with an expiry (top-ups) close at the first Reset at or after their
// Expires, with an expire entry for what was left. Until then Balance and
// Spend already ignore them.
//
// # Allowances
//
// An Allowance is a member's limit per period (the credit-pool policy: admins set member
// allowances; editors generate within theirs; reviewers have none). It
// counts what the member spent in the pool's current period
// (Pool.CurrentPeriod) and starts over in the next one. A member without an
// allowance spends freely, unless the pool requires allowances, in which
// case they cannot spend at all (ErrNoAllowance).
//
// # Refunds
//
// A refund gives back to each lot what the spend took from it. Credits whose
// lot has left the pool or expired are not given back: had they not been
// spent, they would be gone too. The member's allowance gets back what the
// pool got back, if it still counts the spend's period.
//
// # What the caller does
//
// The Service keeps idempotency: it stores each spend's key with its
// entries and answers a repeated key from the store, and refunds a spend at
// most once. It calls Reset before reading a balance or spending, with the
// plan's grant of the pool's currency (or a zero plan.Grant when the plan
// has none; the pool then only expires lots). It gives Initial once per
// pool.
package credits
