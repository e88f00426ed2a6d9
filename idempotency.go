package charter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// keying is a keyed operation in its transaction: the ledger it read with
// its key, and what identifies the request. The first to apply the key
// stores its receipt with its credit moves (saveLedger); a retry with the
// same fingerprint gets that receipt back, a different one
// ErrIdempotencyMismatch.
type keying struct {
	ledger      storage.Ledger
	wsID, key   string
	fingerprint fingerprintHex
	// text is the fingerprint as a string, when the caller keeps one to
	// share among the records it stores (a spend's, see spendPrint), and
	// then fingerprint is not set; "" when the record makes its own from
	// fingerprint.
	text string
	// lot, when not nil, is room for a receipt's one lot, made before
	// the transaction (a spend's), so that the store's lock is not held
	// while it is allocated; it becomes the receipt's.
	lot []Lot
	// keyRoom is room for what the operation writes: the keying's own, or
	// a keyedCall's, kept from one use to the next.
	*keyRoom
}

// keyRoom is room for what a keyed operation writes: the record, the
// pool it loads and the allowance. Each use writes what it reads of it
// first, so a room kept from one use to the next is not cleared.
type keyRoom struct {
	rec   storage.Idempotency
	pool  pool
	allow credits.Allowance
	// buf is room to encode the record in (record), which a spend's
	// fits: kept, it is not zeroed on every spend, as a local array is.
	buf [512]byte
}

// once sets *out to the receipt stored under the key if there is one
// with the same fingerprint, and otherwise runs may and then, when may
// allows, apply (first use), which sets *out, or refuses the key
// (ErrIdempotencyMismatch). A replay asks nothing of may: it is the first
// request's answer. A key used for another request is refused only to whom
// may allows, so that a member who may not perform the operation cannot
// tell used keys from unused ones. may is nil when the caller authorized
// before reading the key. The receipt is written in place, not returned:
// it is large, and a spend would otherwise copy it at every level.
func (k *keying) once(out *Receipt, may func() error, apply func(*Receipt) error) (err error) {
	rec := k.ledger.Record
	if rec != nil && (k.text != "" && rec.Fingerprint == k.text || k.text == "" && rec.Fingerprint == string(k.fingerprint[:])) {
		*out, err = storedReceipt(rec.Result, k.key)
		return err
	}
	if may != nil {
		if err := may(); err != nil {
			return err
		}
	}
	if rec != nil {
		return fmt.Errorf("%w: key %q", ErrIdempotencyMismatch, short(k.key))
	}
	return apply(out)
}

// record is what stores r as the key's first result: k's record, whose
// fingerprint is k.text, shared with other records, or else shares one
// string with the receipt. compact is Service.compact: whether the store
// may hold the receipt in the compact form.
func (k *keying) record(r *Receipt, compact bool) (*storage.Idempotency, error) {
	b := k.buf[:0]
	if k.text == "" {
		b = append(b, k.fingerprint[:]...)
	}
	b, err := appendReceipt(b, r, k.key, compact)
	if err != nil {
		return nil, err
	}
	all := string(b)
	fp, result := k.text, all
	if fp == "" {
		n := len(k.fingerprint)
		fp, result = all[:n], all[n:]
	}
	k.rec = storage.Idempotency{Workspace: k.wsID, Key: k.key, Fingerprint: fp, Result: result, Created: r.Time}
	return &k.rec, nil
}

// fingerprintHex is a fingerprint: a SHA-256 hash in hex.
type fingerprintHex [2 * sha256.Size]byte

// fingerprint identifies what a keyed request asked for: a hash, so any
// bytes in its parts can be stored.
func fingerprint(parts ...string) string {
	p := fingerprintOf(parts...)
	return string(p[:])
}

// fingerprintOf is fingerprint without the string.
func fingerprintOf(parts ...string) fingerprintHex {
	var buf [256]byte // holds a spend's parts, so that hashing them allocates nothing
	b := buf[:0]
	for _, p := range parts {
		b = append(append(b, p...), 0)
	}
	sum := sha256.Sum256(b)
	var p fingerprintHex
	hex.Encode(p[:], sum[:])
	return p
}

// spendFingerprint is the fingerprint of a spend: its actor and action,
// and its options when it has any (so that Spend's fingerprint stays what
// it was before SpendWith).
func spendFingerprint(actor, action string, o SpendOptions) fingerprintHex {
	if o == (SpendOptions{}) {
		return fingerprintOf("spend", actor, action)
	}
	return fingerprintOf("spend", actor, action, o.Request, o.Project)
}

// reservedKeys starts the idempotency keys charter keeps for its own
// records; callers' keys may not start with it.
const reservedKeys = "charter:"

// clientKey checks an idempotency key a caller gave, which passed the gate:
// it may not start with reservedKeys.
func clientKey(key string) error {
	if strings.HasPrefix(key, reservedKeys) {
		return &InputError{Field: "idempotency key", Reason: "starts with " + reservedKeys + ", which is charter's own", Value: short(key)}
	}
	return nil
}

// refundKey is the key a refund of the spend with key is recorded under: in
// charter's own namespace, so no caller's key can take it first, and of a
// fixed length, so every spend's key leaves room for it.
func refundKey(key string) string {
	return reservedKeys + "refund:" + fingerprint(key)
}

// keyedCall is a keyed operation of actor on the pool of currency in
// workspace id: what keyed was asked, what its transaction read, and room
// for what it writes, in one allocation.
type keyedCall struct {
	callArgs
	// room is what a use writes before it reads it, kept from one use to
	// the next and not cleared: most of the call's bytes, which release
	// would otherwise clear on every spend.
	room callRoom
	// runs, mays and applies are c.run, c.may and c.apply, made once per
	// keyedCall.
	runs    func(storage.Tx) error
	mays    func() error
	applies func(*Receipt) error
	// last is the last spend's fingerprint and what it was of, kept
	// across reuses: a member who spends on one action again and again
	// (from one P, as sync.Pool hands out) hashes once.
	last spendPrint
	// lots is room for receipts' lots, kept across reuses and handed out
	// one at a time (see lot).
	lots []Lot
}

// callArgs is what one use of a keyedCall is asked and what it found and
// answers: release clears it.
type callArgs struct {
	s                   *Service
	ctx                 context.Context
	actor, id, currency string
	g                   gate
	// credit, amount, expires, meta and event say what the first use of
	// the key applies: a debit of amount (Spend, Pay), or a credit of a lot
	// of amount expiring at expires, recorded as event (Earn, Fund).
	credit  bool
	amount  int64
	expires time.Time
	meta    credits.Meta
	event   string
	// role and projects are actor's, beside the header in room.w.
	role     *role.Role
	projects []string
	// tx is the transaction run runs in, for apply.
	tx storage.Tx
	// k.keyRoom is room.key.
	k   keying
	out Receipt
}

// callRoom is the room of a keyedCall that each use writes before it
// reads: run sets w from what ReadAccessInto reads into h and m (which it
// overwrites), ReadLedgerIn reads into ledger, and the operation writes
// what it reads of key (keyRoom).
type callRoom struct {
	// w is the workspace's header, without members: actor's role and
	// projects are beside it, in callArgs. Its preferences are the
	// store's; it never leaves keyed.
	w      workspace.Workspace
	h      storage.Workspace
	m      storage.Member
	ledger storage.LedgerRoom
	key    keyRoom
}

// lotSlab is how many lots keyedCall.lot allocates at once.
const lotSlab = 16

// lot returns room for a receipt's one lot, of capacity 1 (an append to it
// copies), from room allocated for lotSlab lots at once: a spend's receipt
// then costs an allocation every lotSlab spends, and a receipt its caller
// keeps keeps at most lotSlab lots (768 bytes) alive.
func (c *keyedCall) lot() []Lot {
	if len(c.lots) == 0 {
		c.lots = make([]Lot, lotSlab)
	}
	l := c.lots[:1:1]
	c.lots = c.lots[1:]
	return l
}

// spendPrint is a spend's fingerprint, as a string, and what it is of.
// The records of the spends it is of share the string: a store that keeps
// records (memory) then keeps it once.
type spendPrint struct {
	actor, action string
	o             SpendOptions
	text          string
	ok            bool
}

// spendFingerprint is spendFingerprint as a string, from c.last when it
// is of the same spend.
func (c *keyedCall) spendFingerprint(actor, action string, o SpendOptions) string {
	if l := &c.last; !l.ok || l.actor != actor || l.action != action || l.o != o {
		p := spendFingerprint(actor, action, o)
		*l = spendPrint{actor: actor, action: action, o: o, text: string(p[:]), ok: true}
	}
	return c.last.text
}

// keyedCalls keeps keyedCalls for reuse: a spend then leaves no garbage
// for what it only needs while it runs. Nothing of a call outlives keyed
// but the lots it handed out (see lot): the receipt is copied out, and the
// store copies what it writes.
var keyedCalls = sync.Pool{New: func() any {
	c := &keyedCall{}
	c.runs, c.mays, c.applies, c.k.keyRoom = c.run, c.may, c.apply, &c.room.key
	return c
}}

// newKeyedCall returns an empty keyedCall, to give keyed.
func newKeyedCall() *keyedCall { return keyedCalls.Get().(*keyedCall) }

// keyed runs a keyed operation once per key: it reads the workspace's
// header and actor's membership and, in one read, the pool, actor's
// allowance and the key's record; it replays a stored receipt or, the first
// time, authorizes c.g and applies c, saving the record with its moves. (A
// retry is answered from the record, as first applied, without asking the
// policy again.) When a concurrent request with the same key wins the race
// to store it, the operation runs once more and finds that request's
// receipt.
func (s *Service) keyed(ctx context.Context, c *keyedCall) (Receipt, error) {
	if err := clientKey(c.k.key); err != nil {
		c.release()
		return Receipt{}, err
	}
	c.s, c.ctx, c.k.wsID = s, ctx, c.id
	var start time.Time
	if s.logs.on() {
		start = time.Now()
	}
	err := s.updateOnce(ctx, c.runs)
	if s.logs.on() {
		if err == nil && c.g.action != nil {
			w := c.room.w
			w.Put(workspace.Member{User: c.actor, Role: c.role, Projects: c.projects})
			s.logSpend(ctx, c.actor, &w, c.g, start)
		}
		s.logRefusal(ctx, c.actor, c.id, c.g.project, start, err)
	}
	out := c.out
	c.release()
	if err != nil {
		// A retried run's earlier attempt may have left its rolled-back
		// receipt.
		return Receipt{}, err
	}
	return out, nil
}

// release empties c's arguments and gives it back for reuse.
func (c *keyedCall) release() {
	c.callArgs = callArgs{}
	c.k.keyRoom = &c.room.key
	keyedCalls.Put(c)
}

// run is c in its transaction.
func (c *keyedCall) run(tx storage.Tx) error {
	s, ctx := c.s, c.ctx
	h, m := &c.room.h, &c.room.m
	found, err := storage.ReadAccessInto(ctx, tx, c.id, c.actor, h, m)
	switch {
	case err == nil && found:
	case err == nil || errors.Is(err, storage.ErrNotFound):
		return errNoWorkspace(c.id)
	default:
		return err
	}
	s.headerInto(&c.room.w, h)
	c.role, c.projects = s.policy.Role(m.Role), m.Projects
	c.k.ledger, err = storage.ReadLedgerIn(ctx, tx, storage.LedgerQuery{Workspace: c.id, Currency: c.currency, Member: c.actor, Key: c.k.key}, &c.room.ledger)
	if err != nil {
		return err
	}
	c.tx = tx
	return c.k.once(&c.out, c.mays, c.applies)
}

// may authorizes c's operation: keying.once's may.
func (c *keyedCall) may() error {
	return c.s.authorizeMember(&c.room.w, c.role, c.projects, c.g)
}

// apply applies c's operation in c.tx, the first time its key is used:
// keying.once's apply.
func (c *keyedCall) apply(out *Receipt) (err error) {
	if c.credit {
		*out, err = c.s.credit(c.ctx, c.tx, &c.room.w, c.actor, c.currency, c.amount, c.expires, c.meta, c.event, &c.k)
		return err
	}
	return c.s.debit(c.ctx, c.tx, &c.room.w, c.role, c.actor, c.currency, c.amount, c.meta, &c.k, out)
}

// authorizeMember is authorize for a member whose role r and projects the
// caller read, in a workspace w that holds no members.
func (s *Service) authorizeMember(w *workspace.Workspace, r *role.Role, projects []string, g gate) error {
	a, name, err := s.gateAction(g)
	if a == nil {
		return err
	}
	if a.Permits(r, w, g.project, projects) {
		return nil
	}
	// Only a denial needs the reason and position: what Decide gives a
	// member.
	return &ForbiddenError{Op: name, Decision: a.Allows(r, w, g.project, projects)}
}
