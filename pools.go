package charter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/plan"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// pool is a credit pool loaded in a transaction, with what it was loaded
// from, so the save writes only what changed.
type pool struct {
	p       credits.Pool
	header  storage.Pool
	grants  map[string]credits.Grant
	entries []credits.Entry // written since the load
}

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

// poolOf is the pool of currency that l holds, brought to the period
// containing now as loadPool says; nil when l holds no pool.
func (s *Service) poolOf(w *workspace.Workspace, currency string, l storage.Ledger, now time.Time) (*pool, error) {
	if l.Pool == nil {
		return nil, nil
	}
	pl := &pool{header: *l.Pool, grants: make(map[string]credits.Grant, len(l.Grants))}
	pl.p = credits.Pool{Currency: currency, Started: l.Pool.Started, Period: l.Pool.Period, Grants: l.Grants}
	for _, g := range l.Grants {
		pl.grants[g.ID] = g
	}
	slices.SortFunc(pl.p.Grants, credits.BurnOrder)
	es, err := credits.Reset(&pl.p, s.grantOf(w.Plan, currency), w.Anchor, now)
	if err != nil {
		return nil, fmt.Errorf("charter: pool %s of %s: %w", currency, w.ID, err)
	}
	pl.entries = append(pl.entries, es...)
	return pl, nil
}

// savePool writes the lots that changed, the header (version-checked, when
// the period moved) and the journal entries, if anything changed.
func (s *Service) savePool(ctx context.Context, tx storage.Tx, wsID string, pl *pool) error {
	return s.saveLedger(ctx, tx, wsID, pl, nil, nil)
}

// saveLedger writes, in one storage.SaveLedger, what changed in pl, allow
// unless it is nil, and rec unless it is nil. A spend saves all three at
// once: on PostgreSQL that is one round trip.
func (s *Service) saveLedger(ctx context.Context, tx storage.Tx, wsID string, pl *pool, allow *credits.Allowance, rec *storage.Idempotency) error {
	c := storage.LedgerChange{Workspace: wsID, Currency: pl.p.Currency, Record: rec}
	if allow != nil {
		c.Allowance = allow
	}
	if len(pl.entries) > 0 {
		live := make(map[string]bool, len(pl.p.Grants))
		for _, g := range pl.p.Grants {
			live[g.ID] = true
			if old, ok := pl.grants[g.ID]; !ok || old != g {
				c.Put = append(c.Put, g)
			}
		}
		for id := range pl.grants {
			if !live[id] {
				c.Delete = append(c.Delete, id)
			}
		}
		slices.Sort(c.Delete)
		// The header changes only when a period's reset was applied; the
		// pool's row lock, not its version, keeps spends from racing.
		if h := pl.header; h.Started != pl.p.Started || h.Period != pl.p.Period {
			h.Started, h.Period, h.Version = pl.p.Started, pl.p.Period, h.Version+1
			c.Pool = &h
		}
		c.Entries = pl.entries
	}
	if err := storage.SaveLedger(ctx, tx, c); err != nil {
		return err
	}
	// Saved: what was loaded is now what is stored.
	pl.entries = nil
	for _, g := range c.Put {
		pl.grants[g.ID] = g
	}
	for _, id := range c.Delete {
		delete(pl.grants, id)
	}
	if c.Pool != nil {
		pl.header = *c.Pool
	}
	return nil
}

// openPools creates the pools w should have and does not: one per currency
// that exists in w's kind and that w's plan grants or that has a starting
// grant, which a new pool receives (seed 002: a new shared workspace starts
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
		return nil, invalid("unknown currency %q", name)
	}
	if !c.Kinds.Has(w.Kind) {
		return nil, &ForbiddenError{Op: op, Decision: policy.Decision{Reason: policy.WrongKind, Plan: w.Plan.Name, Action: op + " " + name}}
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
	var b Balance
	read := func(tx storage.Tx, persist bool) error {
		w, err := s.visible(ctx, tx, actor, id)
		if err != nil {
			return err
		}
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
	err := s.view(ctx, func(tx storage.Tx) error { return read(tx, false) })
	if errors.Is(err, errResetDue) {
		// A period boundary passed: apply its reset for good, under the lock.
		err = s.update(ctx, func(tx storage.Tx) error { return read(tx, true) })
	}
	return b, err
}

// errResetDue tells Balance to retry in a read-write transaction.
var errResetDue = errors.New("charter: reset due")

// allowanceOf is l's allowance: nil when there is none.
func allowanceOf(l storage.Ledger) *credits.Allowance {
	if l.Allowance == nil {
		return nil
	}
	a := *l.Allowance
	return &a
}

// Receipt is the result of a spend, earning or top-up, as first applied; a
// retry with the same idempotency key returns it again.
type Receipt struct {
	Key      string
	Action   string
	Member   string
	Currency string
	Amount   int64 // credits taken (spend) or added (earn, fund)
	Period   int64
	Time     time.Time
	// Lots are the grant lots a spend burned, so it can be refunded to
	// them.
	Lots []Lot
	// Refunded is set on the receipt of a refund.
	Refunded bool
}

// Lot is the part of a spend taken from one grant lot, or of a refund
// given back to one.
type Lot struct {
	Grant  string
	Amount int64
	// Expires is when the lot expires (zero: never). A refund needs it
	// when the lot has run out and left the pool by then: its credits then
	// come back as a new lot with this expiry (see credits.Refund).
	Expires time.Time `json:",omitzero"`
}

// keying is a keyed operation in its transaction: the ledger it read with
// its key, and what identifies the request. The first to apply the key
// stores its receipt with its credit moves (saveLedger); a retry with the
// same fingerprint gets that receipt back, a different one
// ErrIdempotencyMismatch.
type keying struct {
	ledger           storage.Ledger
	wsID             string
	key, fingerprint string
}

// once returns the receipt stored under the key if there is one, and runs
// apply if not.
func (k *keying) once(apply func() (Receipt, error)) (r Receipt, err error) {
	rec := k.ledger.Record
	switch {
	case rec == nil:
		return apply()
	case rec.Fingerprint != k.fingerprint:
		return Receipt{}, fmt.Errorf("%w: key %q", ErrIdempotencyMismatch, k.key)
	}
	if err := json.Unmarshal([]byte(rec.Result), &r); err != nil {
		return Receipt{}, fmt.Errorf("charter: stored receipt of key %q: %w", k.key, err)
	}
	return r, nil
}

// record is what stores r as the key's first result.
func (k *keying) record(r Receipt) (*storage.Idempotency, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return &storage.Idempotency{Workspace: k.wsID, Key: k.key, Fingerprint: k.fingerprint, Result: string(b), Created: r.Time}, nil
}

// fingerprint identifies what a keyed request asked for: a hash, so any
// bytes in its parts can be stored.
func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// reservedKeys starts the idempotency keys charter keeps for its own
// records; callers' keys may not start with it.
const reservedKeys = "charter:"

// clientKey checks an idempotency key a caller gave: 1 to 200 bytes of
// UTF-8 without NUL, not starting with reservedKeys.
func clientKey(key string) error {
	if err := checkID("idempotency key", key); err != nil {
		return err
	}
	if strings.HasPrefix(key, reservedKeys) {
		return invalid("idempotency key %q: keys starting with %q are charter's own", key, reservedKeys)
	}
	return nil
}

// refundKey is the key a refund of the spend with key is recorded under: in
// charter's own namespace, so no caller's key can take it first, and of a
// fixed length, so every spend's key leaves room for it.
func refundKey(key string) string {
	return reservedKeys + "refund:" + fingerprint(key)
}

// keyed runs a keyed operation of actor on the pool of currency once per
// key: it loads what actor sees and, in one read, the pool, actor's
// allowance and the key's record; it replays a stored receipt or runs apply,
// which saves the record with its moves. When a concurrent request with the
// same key wins the race to store it, the operation runs once more and
// finds that request's receipt.
func (s *Service) keyed(ctx context.Context, actor, id, currency, key, fingerprint string, apply func(storage.Tx, *workspace.Workspace, *keying) (Receipt, error)) (Receipt, error) {
	if err := clientKey(key); err != nil {
		return Receipt{}, err
	}
	var out Receipt
	fn := func(tx storage.Tx) error {
		w, err := s.visible(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		l, err := storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: id, Currency: currency, Member: actor, Key: key})
		if err != nil {
			return err
		}
		k := &keying{ledger: l, wsID: id, key: key, fingerprint: fingerprint}
		out, err = k.once(func() (Receipt, error) { return apply(tx, w, k) })
		return err
	}
	return out, s.updateOnce(ctx, fn)
}

// updateOnce is update for operations that store an idempotency key: when a
// concurrent request with the same key stored it first, fn runs once more and
// finds that request's result.
func (s *Service) updateOnce(ctx context.Context, fn func(storage.Tx) error) error {
	err := s.store.Update(ctx, fn)
	if errors.Is(err, storage.ErrExists) {
		err = s.store.Update(ctx, fn)
	}
	return fromStorage(err)
}

// Spend charges actor for performing action in the workspace: it authorizes
// the action with the policy, takes the action's cost (from the policy) from
// the pool and from actor's allowance, and applies once per idempotency key:
// a retry with the same key returns the first receipt; the same key with a
// different request is ErrIdempotencyMismatch. Out of credits is
// ErrInsufficientCredits (an *credits.InsufficientError inside), past the
// allowance ErrAllowanceExceeded. A key is 1 to 200 bytes of UTF-8 without
// NUL; keys starting with "charter:" are charter's own (ErrInvalid). The
// same holds for the keys of Pay, Earn, Fund and Refund.
func (s *Service) Spend(ctx context.Context, actor, id, action, key string) (Receipt, error) {
	a := s.policy.Action(action)
	if a == nil {
		return Receipt{}, invalid("unknown action %q", action)
	}
	if a.Cost.Amount <= 0 {
		return Receipt{}, invalid("action %s costs nothing", action)
	}
	return s.keyed(ctx, actor, id, a.Cost.Currency, key, fingerprint("spend", actor, action), func(tx storage.Tx, w *workspace.Workspace, k *keying) (Receipt, error) {
		if !a.Can(actor, w) {
			// Only a denial needs Decide's reason and position.
			return Receipt{}, &ForbiddenError{Op: "spend", Decision: a.Decide(actor, w, "")}
		}
		return s.debit(ctx, tx, w, actor, a.Cost.Currency, a.Cost.Amount, credits.Meta{Member: actor, Action: action, Key: key}, k)
	})
}

// Pay spends amount of currency (seed 002: coins, in a store transaction),
// where the policy lets actor manage coins. Idempotent per key like Spend.
func (s *Service) Pay(ctx context.Context, actor, id, currency string, amount int64, key string) (Receipt, error) {
	return s.coins(ctx, actor, id, currency, amount, key, "pay")
}

// Earn adds amount of currency the workspace earned (seed 002: coins from a
// sale), where the policy lets actor manage coins. Idempotent per key.
func (s *Service) Earn(ctx context.Context, actor, id, currency string, amount int64, key string) (Receipt, error) {
	return s.coins(ctx, actor, id, currency, amount, key, "earn")
}

func (s *Service) coins(ctx context.Context, actor, id, currency string, amount int64, key, op string) (Receipt, error) {
	if amount <= 0 {
		return Receipt{}, invalid("%s of %d: amount must be positive", op, amount)
	}
	fp := fingerprint(op, actor, currency, strconv.FormatInt(amount, 10))
	return s.keyed(ctx, actor, id, currency, key, fp, func(tx storage.Tx, w *workspace.Workspace, k *keying) (Receipt, error) {
		if err := s.authorize(w, actor, policy.OpManageCoins, ""); err != nil {
			return Receipt{}, err
		}
		m := credits.Meta{Member: actor, Action: op, Key: key}
		if op == "pay" {
			return s.debit(ctx, tx, w, actor, currency, amount, m, k)
		}
		return s.credit(ctx, tx, w, actor, currency, amount, time.Time{}, m, EventCoinsEarned, k)
	})
}

// debit takes amount from the pool and the member's allowance, both as k
// read them, and saves the moves with k's record. It checks that the
// member's role spends and that the currency exists in w, as credit checks
// the currency: every path that moves credits passes one of them.
func (s *Service) debit(ctx context.Context, tx storage.Tx, w *workspace.Workspace, actor, currency string, amount int64, m credits.Meta, k *keying) (Receipt, error) {
	if r := w.Role(actor); !r.Spends {
		return Receipt{}, &ForbiddenError{Op: "spend", Decision: policy.Decision{Reason: policy.RoleLacksAction, Role: r.Name, Plan: w.Plan.Name, Action: m.Action}}
	}
	if _, err := s.currency(w, currency, "spend"); err != nil {
		return Receipt{}, err
	}
	now := s.clock()
	pl, err := s.poolOf(w, currency, k.ledger, now)
	if err != nil {
		return Receipt{}, err
	}
	if pl == nil {
		return Receipt{}, refuse(ErrInsufficientCredits, &credits.InsufficientError{Currency: currency, Needed: amount})
	}
	allow := allowanceOf(k.ledger)
	es, err := credits.Spend(&pl.p, allow, s.grantOf(w.Plan, currency).RequireAllowance, amount, now, m)
	switch {
	case errors.Is(err, credits.ErrInsufficientCredits):
		return Receipt{}, refuse(ErrInsufficientCredits, err)
	case errors.Is(err, credits.ErrAllowanceExceeded), errors.Is(err, credits.ErrNoAllowance):
		return Receipt{}, refuse(ErrAllowanceExceeded, err)
	case err != nil:
		return Receipt{}, invalid("%v", err)
	}
	pl.entries = append(pl.entries, es...)
	r := Receipt{Key: m.Key, Action: m.Action, Member: actor, Currency: currency, Amount: amount, Period: pl.p.CurrentPeriod(), Time: now}
	for _, e := range es {
		r.Lots = append(r.Lots, Lot{Grant: e.Grant, Amount: -e.Amount, Expires: e.Expires})
	}
	rec, err := k.record(r)
	if err != nil {
		return Receipt{}, err
	}
	return r, s.saveLedger(ctx, tx, w.ID, pl, allow, rec)
}

// credit adds a lot of amount to the pool as k read it, creating the pool
// if needed, after checking that the currency exists in w, and saves it with
// k's record.
func (s *Service) credit(ctx context.Context, tx storage.Tx, w *workspace.Workspace, actor, currency string, amount int64, expires time.Time, m credits.Meta, typ string, k *keying) (Receipt, error) {
	if _, err := s.currency(w, currency, m.Action); err != nil {
		return Receipt{}, err
	}
	now := s.clock()
	pl, err := s.poolOf(w, currency, k.ledger, now)
	if err != nil {
		return Receipt{}, err
	}
	if pl == nil {
		if err := tx.CreatePool(ctx, storage.Pool{Workspace: w.ID, Currency: currency}); err != nil {
			return Receipt{}, err
		}
		if pl, _, err = s.loadPool(ctx, tx, w, currency, now); err != nil {
			return Receipt{}, err
		}
	}
	lot := "key:" + m.Key
	var es []credits.Entry
	if typ == EventCoinsEarned {
		es, err = credits.Earn(&pl.p, lot, amount, now, m)
	} else {
		es, err = credits.TopUp(&pl.p, lot, amount, expires, now, m)
	}
	if err != nil {
		return Receipt{}, invalid("%v", err)
	}
	pl.entries = append(pl.entries, es...)
	r := Receipt{Key: m.Key, Action: m.Action, Member: actor, Currency: currency, Amount: amount, Period: pl.p.CurrentPeriod(), Time: now,
		Lots: []Lot{{Grant: lot, Amount: amount}}}
	rec, err := k.record(r)
	if err != nil {
		return Receipt{}, err
	}
	if err := s.saveLedger(ctx, tx, w.ID, pl, nil, rec); err != nil {
		return Receipt{}, err
	}
	return r, s.record(ctx, tx, w.ID, actor, now, event{Type: typ, Subject: lot, Amount: amount, Currency: currency})
}

// Fund tops up the pool of currency with amount credits, expiring at expires
// (never when zero), where the policy lets actor fund credits (seed 004:
// admins fund the credit pool). Idempotent per key.
func (s *Service) Fund(ctx context.Context, actor, id, currency string, amount int64, expires time.Time, key string) (Receipt, error) {
	if amount <= 0 {
		return Receipt{}, invalid("fund of %d: amount must be positive", amount)
	}
	fp := fingerprint("fund", actor, currency, strconv.FormatInt(amount, 10), expires.UTC().Format(time.RFC3339Nano))
	return s.keyed(ctx, actor, id, currency, key, fp, func(tx storage.Tx, w *workspace.Workspace, k *keying) (Receipt, error) {
		if err := s.authorize(w, actor, policy.OpFundCredits, ""); err != nil {
			return Receipt{}, err
		}
		return s.credit(ctx, tx, w, actor, currency, amount, expires, credits.Meta{Member: actor, Action: "fund", Key: key}, EventCreditsFunded, k)
	})
}

// Refund reverses the spend made under key, lot by lot, and gives back the
// spender's allowance in the spend's period. Only those the policy lets fund
// credits may refund (seed 004: editors "can't manage credits"), the spender
// included: a member who could refund their own spends could spend without
// end. An app that refunds a failed action on its own account acts as the
// workspace's owner or an admin. It applies once: a repeated refund returns
// the refund's receipt. Credits of a lot that expired since, or of a period's
// grant whose period closed, are not returned; those of a top-up, earning or
// starting grant that ran out and left the pool come back as a new lot
// (credits.Refund says how).
func (s *Service) Refund(ctx context.Context, actor, id, key string) (Receipt, error) {
	if err := clientKey(key); err != nil {
		return Receipt{}, err
	}
	var out Receipt
	err := s.updateOnce(ctx, func(tx storage.Tx) error {
		w, err := s.visible(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		// Authorize before the key is looked up, so that whether a key
		// exists is not told to someone who may not refund.
		if err := s.authorize(w, actor, policy.OpFundCredits, ""); err != nil {
			return err
		}
		rec, err := tx.Idempotency(ctx, id, key)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: spend %q", ErrNotFound, key)
		}
		if err != nil {
			return err
		}
		var spend Receipt
		if err := json.Unmarshal([]byte(rec.Result), &spend); err != nil {
			return fmt.Errorf("charter: stored receipt of key %q: %w", key, err)
		}
		if spend.Refunded || spend.Action == "fund" || spend.Action == "earn" {
			return invalid("key %q is not a spend", key)
		}
		l, err := storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: id, Currency: spend.Currency, Member: spend.Member, Key: refundKey(key)})
		if err != nil {
			return err
		}
		k := &keying{ledger: l, wsID: id, key: refundKey(key), fingerprint: fingerprint("refund")}
		out, err = k.once(func() (Receipt, error) { return s.refund(ctx, tx, w, spend, k) })
		return err
	})
	return out, err
}

// refund gives spend back to the pool and the spender's allowance, both as
// k read them, and saves the moves with k's record.
func (s *Service) refund(ctx context.Context, tx storage.Tx, w *workspace.Workspace, spend Receipt, k *keying) (Receipt, error) {
	now := s.clock()
	pl, err := s.poolOf(w, spend.Currency, k.ledger, now)
	if err != nil {
		return Receipt{}, err
	}
	r := Receipt{Key: spend.Key, Action: spend.Action, Member: spend.Member, Currency: spend.Currency, Period: spend.Period, Time: now, Refunded: true}
	if pl == nil {
		rec, err := k.record(r)
		if err != nil {
			return Receipt{}, err
		}
		return r, tx.PutIdempotency(ctx, *rec)
	}
	allow := allowanceOf(k.ledger)
	m := credits.Meta{Member: spend.Member, Action: spend.Action, Key: spend.Key}
	var burned []credits.Entry
	for _, l := range spend.Lots {
		burned = append(burned, credits.Entry{Kind: credits.KindSpend, Currency: spend.Currency, Grant: l.Grant, Amount: -l.Amount,
			Member: m.Member, Action: m.Action, Key: m.Key, Period: spend.Period, Expires: l.Expires})
	}
	es, err := credits.Refund(&pl.p, allow, burned, s.grantOf(w.Plan, spend.Currency).Rollover, now)
	if err != nil {
		return Receipt{}, invalid("%v", err)
	}
	pl.entries = append(pl.entries, es...)
	for _, e := range es {
		r.Amount += e.Amount
		r.Lots = append(r.Lots, Lot{Grant: e.Grant, Amount: e.Amount, Expires: e.Expires})
	}
	rec, err := k.record(r)
	if err != nil {
		return Receipt{}, err
	}
	return r, s.saveLedger(ctx, tx, w.ID, pl, allow, rec)
}

// SetAllowance sets member's allowance of currency per period (seed 004:
// admins set per-member allowances). The member's role must spend credits.
// What the member already spent this period still counts, also when the
// allowance is new (a role change or removal dropped the old one).
func (s *Service) SetAllowance(ctx context.Context, actor, id, member, currency string, amount int64) error {
	if amount < 0 {
		return invalid("negative allowance %d", amount)
	}
	return s.update(ctx, func(tx storage.Tx) error {
		l, err := s.loadFor(ctx, tx, id, actor, policy.OpSetAllowance, "")
		if err != nil {
			return err
		}
		w := l.ws
		m, ok := w.Member(member)
		if !ok {
			return fmt.Errorf("%w: member %q", ErrNotFound, member)
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

// SpendTable returns what each member spent of currency per period (seed
// 001: "View credit spend table"), for those the policy lets view it.
func (s *Service) SpendTable(ctx context.Context, actor, id, currency string) ([]credits.SpendRow, error) {
	es, err := s.Journal(ctx, actor, id, currency)
	if err != nil {
		return nil, err
	}
	return credits.SpendTable(es), nil
}

// Journal returns the pool's whole journal, for those the policy lets view
// the spend table. Balances are projections of it (see credits.Replay).
func (s *Service) Journal(ctx context.Context, actor, id, currency string) ([]credits.Entry, error) {
	var out []credits.Entry
	err := s.view(ctx, func(tx storage.Tx) error {
		w, err := s.visible(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if err := s.authorize(w, actor, policy.OpViewSpend, ""); err != nil {
			return err
		}
		out, err = journal(ctx, tx, id, currency)
		return err
	})
	return out, err
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

func journal(ctx context.Context, tx storage.Tx, id, currency string) ([]credits.Entry, error) {
	var out []credits.Entry
	for after := int64(0); ; {
		es, err := tx.Entries(ctx, id, currency, after, 1000)
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			out = append(out, e.Entry)
			after = e.Seq
		}
		if len(es) < 1000 {
			return out, nil
		}
	}
}

// Sweep applies every due period reset and expiry to the workspace's pools,
// as reads and spends do lazily; a job may call it after each period
// boundary. Each reset still happens exactly once.
func (s *Service) Sweep(ctx context.Context, id string) error {
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

// creditDecision denies an allowed action with a cost that the pool or the
// actor's allowance cannot pay for, and fills in the pool's state.
func (s *Service) creditDecision(ctx context.Context, tx storage.Tx, w *workspace.Workspace, actor string, a *policy.Action, d *Decision) error {
	now := s.clock()
	cur := a.Cost.Currency
	d.Currency = cur
	if g := s.grantOf(w.Plan, cur); !g.Every.IsZero() {
		_, d.ResetsAt = g.Every.Bounds(w.Anchor, now)
	}
	if m := memberOf(w, actor); !m.Role.Spends {
		d.Allowed, d.Reason = false, policy.RoleLacksAction
		return nil
	}
	if c := s.policy.Currency(cur); c == nil || !c.Kinds.Has(w.Kind) {
		d.Allowed, d.Reason = false, policy.WrongKind
		return nil
	}
	pl, ok, err := s.loadPool(ctx, tx, w, cur, now)
	if err != nil {
		return err
	}
	if ok {
		d.Balance = pl.p.Balance(now)
	}
	if d.Balance < a.Cost.Amount {
		d.Allowed, d.Reason = false, policy.InsufficientCredits
		return nil
	}
	sa, err := tx.Allowance(ctx, w.ID, cur, actor)
	switch {
	case err == nil:
		if sa.Left(pl.p.CurrentPeriod()) < a.Cost.Amount {
			d.Allowed, d.Reason = false, policy.OutsideAllowance
		}
	case errors.Is(err, storage.ErrNotFound):
		if s.grantOf(w.Plan, cur).RequireAllowance {
			d.Allowed, d.Reason = false, policy.OutsideAllowance
		}
	default:
		return err
	}
	return nil
}
