package charter

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

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

// Spend charges actor for performing action in the workspace: it authorizes
// the action with the policy, takes the action's cost (from the policy) from
// the pool and from actor's allowance, and applies once per idempotency key:
// a retry with the same key returns the first receipt; the same key with a
// different request is ErrIdempotencyMismatch. Out of credits is
// ErrInsufficientCredits (an *credits.InsufficientError inside), past the
// allowance ErrAllowanceExceeded. A key is 1 to MaxKeyBytes bytes of UTF-8
// without control characters (see InputError); keys starting with "charter:" are charter's own (ErrInvalid). The
// same holds for the keys of Pay, Earn, Fund and Refund. An action the
// policy does not declare is a *ForbiddenError whose Decision has reason
// policy.UnknownAction, as Decide reports it; an action that costs nothing
// is ErrInvalid.
func (s *Service) Spend(ctx context.Context, actor, action, id, key string) (Receipt, error) {
	return s.SpendWith(ctx, actor, action, id, key, SpendOptions{})
}

// SpendOptions are what SpendWith adds to Spend's arguments.
type SpendOptions struct {
	// Project is the project a project-scoped action acts on (see
	// CanProject): a guest granted that project may spend on it. "" for
	// none.
	Project string
	// Request identifies what the caller was asked, beyond actor and
	// action: any text of at most MaxKeyBytes bytes, such as a digest of an
	// HTTP request's method, target and body (charterhttp's Spend route
	// passes one). "" for none.
	Request string
}

// SpendWith is Spend with options. Project and Request join the key's
// fingerprint: a retry with the same key and the same options returns the
// first receipt; the same key with another project or request is
// ErrIdempotencyMismatch, as is a key first used by Spend (whose options
// are empty), and the other way round. Spend is SpendWith with no options.
func (s *Service) SpendWith(ctx context.Context, actor, action, id, key string, o SpendOptions) (Receipt, error) {
	if err := s.checkSpend(ctx, actor, action, id, key, o); err != nil {
		return Receipt{}, err
	}
	a := s.policy.Action(action)
	if a == nil {
		return Receipt{}, &ForbiddenError{Op: "spend", Decision: unknownAction(action)}
	}
	if a.Cost.Amount <= 0 {
		return Receipt{}, invalid("action %s costs nothing", action)
	}
	c := newKeyedCall()
	c.actor, c.id, c.currency, c.g = actor, id, a.Cost.Currency, gate{action: a, name: "spend", project: o.Project}
	c.amount, c.meta = a.Cost.Amount, credits.Meta{Member: actor, Action: action, Key: key}
	c.k.text = c.spendFingerprint(actor, action, o)
	c.k.key, c.k.lot = key, c.lot() // a spend mostly burns one lot
	return s.keyed(ctx, c)
}

// Pay spends amount of currency (the coins policy: coins, in a store transaction),
// where the policy lets actor manage coins. Idempotent per key like Spend.
func (s *Service) Pay(ctx context.Context, actor, id, currency string, amount int64, key string) (Receipt, error) {
	return s.coins(ctx, actor, id, currency, amount, key, "pay")
}

// Earn adds amount of currency the workspace earned (the coins policy: coins from a
// sale), where the policy lets actor manage coins. Idempotent per key.
func (s *Service) Earn(ctx context.Context, actor, id, currency string, amount int64, key string) (Receipt, error) {
	return s.coins(ctx, actor, id, currency, amount, key, "earn")
}

func (s *Service) coins(ctx context.Context, actor, id, currency string, amount int64, key, op string) (Receipt, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isPolicyName("currency", currency), isAmount("amount", amount), isKey(key)); err != nil {
		return Receipt{}, err
	}
	c := newKeyedCall()
	c.actor, c.id, c.currency, c.g = actor, id, currency, gate{op: policy.OpManageCoins}
	c.credit, c.amount, c.meta, c.event = op == "earn", amount, credits.Meta{Member: actor, Action: op, Key: key}, EventCoinsEarned
	c.k.key, c.k.fingerprint = key, fingerprintOf(op, actor, currency, strconv.FormatInt(amount, 10))
	return s.keyed(ctx, c)
}

// debit takes amount from the pool and the allowance of actor, a member of
// actorRole, both as k read them, and saves the moves with k's record. It
// checks that the role spends and that the currency exists in w, as credit checks
// the currency: every path that moves credits passes one of them.
func (s *Service) debit(ctx context.Context, tx storage.Tx, w *workspace.Workspace, actorRole *role.Role, actor, currency string, amount int64, m credits.Meta, k *keying, r *Receipt) error {
	if r := actorRole; !r.Spends {
		return &ForbiddenError{Op: "spend", Decision: policy.Decision{Reason: policy.RoleLacksAction, Role: r.String(), Plan: w.Plan.Name, Action: m.Action, Pos: s.policy.RolePos(r)}}
	}
	if _, err := s.currency(w, currency, "spend"); err != nil {
		return err
	}
	now := s.clock()
	pl, g := &k.pool, s.grantOf(w.Plan, currency)
	if ok, err := s.poolInto(pl, w, &g, &k.ledger, now); err != nil {
		return err
	} else if !ok {
		return refuse(ErrInsufficientCredits, &credits.InsufficientError{Currency: currency, Needed: amount})
	}
	allow := k.allowance()
	before := len(pl.entries)
	all, err := credits.AppendSpend(pl.room(), &pl.p, allow, g.RequireAllowance, amount, now, m)
	switch {
	case err == nil:
	case errors.Is(err, credits.ErrInsufficientCredits):
		return refuse(ErrInsufficientCredits, err)
	case errors.Is(err, credits.ErrAllowanceExceeded), errors.Is(err, credits.ErrNoAllowance):
		return refuse(ErrAllowanceExceeded, err)
	case err != nil:
		return invalid("%v", err)
	}
	pl.entries = all
	es := all[before:]
	*r = Receipt{Key: m.Key, Action: m.Action, Member: actor, Currency: currency, Amount: amount, Period: pl.p.CurrentPeriod(), Time: now}
	if len(es) > 0 {
		r.Lots = k.lot
		if len(es) != len(r.Lots) {
			r.Lots = make([]Lot, len(es))
		}
		for i, e := range es {
			r.Lots[i] = Lot{Grant: e.Grant, Amount: -e.Amount, Expires: e.Expires}
		}
	}
	rec, err := k.record(r, s.compact)
	if err != nil {
		return err
	}
	return s.saveLedger(ctx, tx, w.ID, pl, allow, rec)
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
	rec, err := k.record(&r, s.compact)
	if err != nil {
		return Receipt{}, err
	}
	if err := s.saveLedger(ctx, tx, w.ID, pl, nil, rec); err != nil {
		return Receipt{}, err
	}
	return r, s.record(ctx, tx, w.ID, actor, now, event{Type: typ, Subject: lot, Amount: amount, Currency: currency})
}

// Fund tops up the pool of currency with amount credits, expiring at expires
// (never when zero), where the policy lets actor fund credits (the credit-pool policy:
// admins fund the credit pool). Idempotent per key.
func (s *Service) Fund(ctx context.Context, actor, id, currency string, amount int64, expires time.Time, key string) (Receipt, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isPolicyName("currency", currency), isAmount("amount", amount), isKey(key)); err != nil {
		return Receipt{}, err
	}
	c := newKeyedCall()
	c.actor, c.id, c.currency, c.g = actor, id, currency, gate{op: policy.OpFundCredits}
	c.credit, c.amount, c.expires, c.meta, c.event = true, amount, expires, credits.Meta{Member: actor, Action: "fund", Key: key}, EventCreditsFunded
	c.k.key, c.k.fingerprint = key, fingerprintOf("fund", actor, currency, strconv.FormatInt(amount, 10), expires.UTC().Format(time.RFC3339Nano))
	return s.keyed(ctx, c)
}

// Refund reverses the spend made under key, lot by lot, and gives back the
// spender's allowance in the spend's period. Only those the policy lets fund
// credits may refund (the credit-pool policy: editors "can't manage credits"), the spender
// included: a member who could refund their own spends could spend without
// end. An app that refunds a failed action on its own account acts as the
// workspace's owner or an admin. It applies once: a repeated refund returns
// the refund's receipt. Credits of a lot that expired since, or of a period's
// grant whose period closed, are not returned; those of a top-up, earning or
// starting grant that ran out and left the pool come back as a new lot
// (credits.Refund says how).
func (s *Service) Refund(ctx context.Context, actor, id, key string) (Receipt, error) {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isKey(key)); err != nil {
		return Receipt{}, err
	}
	if err := clientKey(key); err != nil {
		return Receipt{}, err
	}
	var out Receipt
	err := s.in(ctx, actor, id, gate{op: policy.OpFundCredits, write: true}, func(tx storage.Tx, l *loaded) error {
		// The gate authorized before the key is looked up, so that
		// whether a key exists is not told to someone who may not refund.
		w := l.ws
		rec, err := tx.Idempotency(ctx, id, key)
		if errors.Is(err, storage.ErrNotFound) {
			return fmt.Errorf("%w: spend %q", ErrNotFound, short(key))
		}
		if err != nil {
			return err
		}
		spend, err := storedReceipt(rec.Result, key)
		if err != nil {
			return err
		}
		if spend.Refunded || spend.Action == "fund" || spend.Action == "earn" {
			return invalid("key %q is not a spend", short(key))
		}
		ledger, err := storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: id, Currency: spend.Currency, Member: spend.Member, Key: refundKey(key)})
		if err != nil {
			return err
		}
		k := &keying{ledger: ledger, wsID: id, key: refundKey(key), fingerprint: fingerprintOf("refund"), keyRoom: &keyRoom{}}
		return k.once(&out, nil, func(out *Receipt) (err error) {
			*out, err = s.refund(ctx, tx, w, spend, k)
			return err
		})
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
		rec, err := k.record(&r, s.compact)
		if err != nil {
			return Receipt{}, err
		}
		return r, tx.PutIdempotency(ctx, *rec)
	}
	allow := k.allowance()
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
	rec, err := k.record(&r, s.compact)
	if err != nil {
		return Receipt{}, err
	}
	return r, s.saveLedger(ctx, tx, w.ID, pl, allow, rec)
}
