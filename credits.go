package charter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// grantOf returns the plan's periodic grant of currency. For a plan without
// one it returns a grant of nothing on the currency's schedule in the other
// plans, or with no period at all (which only expires lots) when no plan
// grants the currency.
func (s *Service) grantOf(p *plan.Plan, currency string) plan.Grant {
	if g, ok := p.Grant(currency); ok {
		return g
	}
	// A plan that grants none of a currency other plans grant keeps
	// counting its periods, on the schedule the policy gives it in every
	// plan, granting 0 and carrying nothing: a pool then never jumps over
	// periods spent on such a plan, and pays none of them out later.
	for _, q := range s.policy.Plans() {
		if g, ok := q.Grant(currency); ok {
			return plan.Grant{Currency: currency, Every: g.Every}
		}
	}
	return plan.Grant{Currency: currency}
}

// periodSpan is period k of a schedule from an anchor: [start, end).
type periodSpan struct {
	every              plan.Period
	anchor, start, end instant
	k                  int64
}

// instant is a time as its Unix seconds and the nanoseconds within them:
// instants compare as the times' wall clocks do (Equal, Before), without
// time.Time's checks of a monotonic reading.
type instant struct {
	sec  int64
	nsec int
}

// instantOf is t as an instant.
func instantOf(t time.Time) instant { return instant{t.Unix(), t.Nanosecond()} }

// before reports whether a is before b.
func (a instant) before(b instant) bool { return a.sec < b.sec || a.sec == b.sec && a.nsec < b.nsec }

// lastPeriod is the period periodIndex found last.
var lastPeriod atomic.Pointer[periodSpan]

// periodIndex is every.Index(anchor, now), which it remembers with the
// period's bounds: the spends of one workspace within one period skip the
// calendar arithmetic, at the cost of comparing times.
func periodIndex(every plan.Period, anchor, now time.Time) int64 {
	a, t := instantOf(anchor), instantOf(now)
	if p := lastPeriod.Load(); p != nil && p.every == every && p.anchor == a && !t.before(p.start) && t.before(p.end) {
		return p.k
	}
	k := every.Index(anchor, now)
	lastPeriod.Store(&periodSpan{every: every, anchor: a, start: instantOf(every.Boundary(anchor, k)), end: instantOf(every.Boundary(anchor, k+1)), k: k})
	return k
}

// loadPool reads the pool of currency (locking it in an Update) and brings it
// to the period containing now, exactly once per period: the pool header's
// period, read under the lock, says which resets were applied. found is false
// when the workspace has no such pool.
func (s *Service) loadPool(ctx context.Context, tx storage.Tx, w *workspace.Workspace, currency string, now time.Time) (*pool, bool, error) {
	l, err := storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: w.ID, Currency: currency})
	if err != nil {
		return nil, false, err
	}
	pl, err := s.poolOf(w, currency, l, now)
	return pl, pl != nil, err
}

// openPools creates the pools w should have and does not: one per currency
// that exists in w's kind and that w's plan grants or that has a starting
// grant, which a new pool receives (the coins policy: a new shared workspace starts
// with 5 coins).
func (s *Service) openPools(ctx context.Context, tx storage.Tx, w *workspace.Workspace, actor string, now time.Time) error {
	for _, c := range s.policy.Currencies() {
		if !c.Kinds.Has(w.Kind) {
			continue
		}
		if _, grants := w.Plan.Grant(c.Name); !grants && c.Initial <= 0 {
			continue
		}
		_, err := tx.Pool(ctx, w.ID, c.Name)
		if err == nil {
			continue
		}
		if !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		if err := tx.CreatePool(ctx, storage.Pool{Workspace: w.ID, Currency: c.Name}); err != nil {
			return err
		}
		// Start the pool's periods now, with this period's grant: a pool
		// first read later would otherwise start its periods then, and
		// miss the grants (and carries) of the periods in between.
		pl, _, err := s.loadPool(ctx, tx, w, c.Name, now)
		if err != nil {
			return err
		}
		if c.Initial > 0 {
			es, err := credits.Initial(&pl.p, c.Initial, now)
			if err != nil {
				return fmt.Errorf("charter: initial %s: %w", c.Name, err)
			}
			pl.entries = append(pl.entries, es...)
		}
		if err := s.savePool(ctx, tx, w.ID, pl); err != nil {
			return err
		}
	}
	return nil
}

// currency returns the policy's currency and checks that it exists in w.
func (s *Service) currency(w *workspace.Workspace, name, op string) (*policy.Currency, error) {
	c := s.policy.Currency(name)
	if c == nil {
		return nil, invalid("unknown currency %q", short(name))
	}
	if !c.Kinds.Has(w.Kind) {
		return nil, &ForbiddenError{Op: op, Decision: policy.Decision{Reason: policy.WrongKind, Plan: w.Plan.Name, Action: op + " " + name, Detail: w.Kind.String(), Pos: s.policy.CurrencyPos(c)}}
	}
	return c, nil
}

// Balance is a pool's state as a member sees it.
type Balance struct {
	Currency string
	// Available is what can be spent now.
	Available int64
	// Period is the current period's index, counted from the workspace's
	// subscription start; PeriodStart and ResetsAt bound it (both zero when
	// the plan grants this currency no periods).
	Period                int64
	PeriodStart, ResetsAt time.Time
	// Allowance is the actor's allowance in this period, if any: its amount
	// and what is left of it.
	Allowance, AllowanceLeft int64
	HasAllowance             bool
}

// Balance returns the balance of currency in the workspace, for any member.
// Reading it applies a due period reset, exactly once, like a spend does.
func (s *Service) Balance(ctx context.Context, actor, id, currency string) (Balance, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isPolicyName("currency", currency)); err != nil {
		return Balance{}, err
	}
	var b Balance
	read := func(persist bool) func(storage.Tx, *loaded) error {
		return func(tx storage.Tx, l *loaded) error {
			w := l.ws
			if _, err := s.currency(w, currency, "balance"); err != nil {
				return err
			}
			now := s.clock()
			pl, ok, err := s.loadPool(ctx, tx, w, currency, now)
			if err != nil {
				return err
			}
			b = Balance{Currency: currency}
			if !ok {
				return nil
			}
			b.Available, b.Period = pl.p.Balance(now), pl.p.CurrentPeriod()
			if g := s.grantOf(w.Plan, currency); !g.Every.IsZero() {
				b.PeriodStart, b.ResetsAt = g.Every.Bounds(w.Anchor, now)
			}
			a, err := tx.Allowance(ctx, id, currency, actor)
			if err == nil {
				b.HasAllowance, b.Allowance, b.AllowanceLeft = true, a.Amount, a.Left(b.Period)
			} else if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			if len(pl.entries) > 0 && !persist {
				return errResetDue
			}
			return s.savePool(ctx, tx, id, pl)
		}
	}
	err := s.in(ctx, actor, id, gate{op: membersOnly}, read(false))
	if errors.Is(err, errResetDue) {
		// A period boundary passed: apply its reset for good, under the lock.
		err = s.in(ctx, actor, id, gate{op: membersOnly, write: true}, read(true))
	}
	return b, err
}

// errResetDue tells Balance to retry in a read-write transaction.
var errResetDue = errors.New("charter: reset due")

// SetAllowance sets member's allowance of currency per period (the credit-pool policy:
// admins set per-member allowances). The member's role must spend credits.
// What the member already spent this period still counts, also when the
// allowance is new (a role change or removal dropped the old one).
func (s *Service) SetAllowance(ctx context.Context, actor, id, member, currency string, amount int64) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isID("member", member), isPolicyName("currency", currency), isAllowance(amount)); err != nil {
		return err
	}
	return s.in(ctx, actor, id, gate{op: policy.OpSetAllowance, write: true, part: true, touch: member}, func(tx storage.Tx, l *loaded) error {
		w := l.ws
		m, ok := w.Member(member)
		if !ok {
			return fmt.Errorf("%w: member %q", ErrNotFound, short(member))
		}
		if !m.Role.Spends {
			return invalid("role %s does not spend credits, so it has no allowance", m.Role.Name)
		}
		if _, err := s.currency(w, currency, "set_allowance"); err != nil {
			return err
		}
		now := s.clock()
		pl, ok, err := s.loadPool(ctx, tx, w, currency, now)
		if err != nil {
			return err
		}
		period := int64(0)
		if ok {
			period = pl.p.CurrentPeriod()
			if err := s.savePool(ctx, tx, id, pl); err != nil {
				return err
			}
		}
		a, err := tx.Allowance(ctx, id, currency, member)
		switch {
		case errors.Is(err, storage.ErrNotFound):
			// A new allowance starts from what the member already spent
			// this period (a role change to a role without credits, or a
			// removal, dropped the old one), as the spend table shows it.
			// This reads the pool's journal, once per allowance made.
			spent, err := periodSpend(ctx, tx, id, currency, member, period)
			if err != nil {
				return err
			}
			a = credits.Allowance{Member: member, Period: period, Spent: spent}
		case err != nil:
			return err
		}
		before := a.Amount
		a.Amount = amount
		if err := tx.PutAllowance(ctx, id, currency, a); err != nil {
			return err
		}
		return s.record(ctx, tx, id, actor, now, event{Type: EventAllowanceSet, Subject: member, Currency: currency,
			Before: map[string]int64{"amount": before}, After: map[string]int64{"amount": amount}, Amount: amount})
	})
}

// dropAllowances deletes user's allowances in every pool of the workspace.
func (s *Service) dropAllowances(ctx context.Context, tx storage.Tx, id, user string) error {
	pools, err := tx.Pools(ctx, id)
	if err != nil {
		return err
	}
	for _, p := range pools {
		if err := tx.DeleteAllowance(ctx, id, p.Currency, user); err != nil {
			return err
		}
	}
	return nil
}

// SpendTable lists one page of what each member spent of currency per
// period (the video-studio policy's "View credit spend table"), by period then member, for
// those the policy lets view it, and the cursor of the next page ("" after
// the last). Its rows are credits.SpendTable of the pool's journal.
func (s *Service) SpendTable(ctx context.Context, actor, id, currency string, page Page) ([]credits.SpendRow, string, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isPolicyName("currency", currency)); err != nil {
		return nil, "", err
	}
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}
	after, err := spendAfter(page.After)
	if err != nil {
		return nil, "", err
	}
	var rows []credits.SpendRow
	var next string
	err = s.in(ctx, actor, id, gate{op: policy.OpViewSpend}, func(tx storage.Tx, _ *loaded) error {
		var err error
		rows, err = tx.SpendRows(ctx, id, currency, after, limit+1)
		rows, next = nextPage(rows, limit, spendCursor)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return rows, next, nil
}

// Journal lists one page of the pool's journal, in order, for those the
// policy lets view the spend table, and the cursor of the next page (""
// after the last). Balances are projections of it (see credits.Replay).
func (s *Service) Journal(ctx context.Context, actor, id, currency string, page Page) ([]credits.Entry, string, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isPolicyName("currency", currency)); err != nil {
		return nil, "", err
	}
	limit, err := page.limit()
	if err != nil {
		return nil, "", err
	}
	after, err := seqAfter(page.After)
	if err != nil {
		return nil, "", err
	}
	var out []credits.Entry
	var next string
	err = s.in(ctx, actor, id, gate{op: policy.OpViewSpend}, func(tx storage.Tx, _ *loaded) error {
		es, err := tx.Entries(ctx, id, currency, after, limit+1)
		if err != nil {
			return err
		}
		es, next = nextPage(es, limit, func(e storage.Entry) string { return strconv.FormatInt(e.Seq, 10) })
		out = make([]credits.Entry, len(es))
		for i, e := range es {
			out[i] = e.Entry
		}
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// periodSpend returns what member spent of currency in period k, net of
// refunds: their row of the spend table.
func periodSpend(ctx context.Context, tx storage.Tx, id, currency, member string, k int64) (int64, error) {
	es, err := journal(ctx, tx, id, currency)
	if err != nil {
		return 0, err
	}
	for _, r := range credits.SpendTable(es) {
		if r.Member == member && r.Period == k {
			return r.Spent, nil
		}
	}
	return 0, nil
}

// Sweep applies every due period reset and expiry to the workspace's pools,
// as reads and spends do lazily; a job may call it after each period
// boundary. Each reset still happens exactly once.
//
// Sweep is a call for trusted workers only (a scheduled job of the embedding
// service), never for end users: it takes no actor and checks no permission.
// It changes no balance a read would not, but it writes to any workspace
// named, so an application must not expose it to a user's request.
func (s *Service) Sweep(ctx context.Context, id string) error {
	if err := s.check(ctx, isID("workspace", id)); err != nil {
		return err
	}
	return s.update(ctx, func(tx storage.Tx) error {
		h, err := tx.Workspace(ctx, id)
		if err != nil {
			return err
		}
		w := s.header(h)
		pools, err := tx.Pools(ctx, id)
		if err != nil {
			return err
		}
		now := s.clock()
		for _, p := range pools {
			pl, ok, err := s.loadPool(ctx, tx, w, p.Currency, now)
			if err != nil {
				return err
			}
			if ok {
				if err := s.savePool(ctx, tx, id, pl); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
