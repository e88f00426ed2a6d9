package charter

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

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

// once returns the receipt stored under the key if there is one with the
// same fingerprint, and otherwise runs may and then, when may allows, apply
// (first use) or refuses the key (ErrIdempotencyMismatch). A replay asks
// nothing of may: it is the first request's answer. A key used for another
// request is refused only to whom may allows, so that a member who may not
// perform the operation cannot tell used keys from unused ones. may is nil
// when the caller authorized before reading the key.
func (k *keying) once(may func() error, apply func() (Receipt, error)) (r Receipt, err error) {
	rec := k.ledger.Record
	if rec != nil && rec.Fingerprint == k.fingerprint {
		if err := json.Unmarshal([]byte(rec.Result), &r); err != nil {
			return Receipt{}, fmt.Errorf("charter: stored receipt of key %q: %w", short(k.key), err)
		}
		return r, nil
	}
	if may != nil {
		if err := may(); err != nil {
			return Receipt{}, err
		}
	}
	if rec != nil {
		return Receipt{}, fmt.Errorf("%w: key %q", ErrIdempotencyMismatch, short(k.key))
	}
	return apply()
}

// record is what stores r as the key's first result.
func (k *keying) record(r Receipt) (*storage.Idempotency, error) {
	b, err := receiptJSON(r)
	if err != nil {
		return nil, err
	}
	return &storage.Idempotency{Workspace: k.wsID, Key: k.key, Fingerprint: k.fingerprint, Result: string(b), Created: r.Time}, nil
}

// receiptJSON is json.Marshal(r), byte for byte (TestReceiptJSON), without
// reflection when every text of r is plain (see jsonPlain) and every time
// in years 0 to 9999: a spend encodes one receipt.
func receiptJSON(r Receipt) ([]byte, error) {
	ok := jsonPlain(r.Key) && jsonPlain(r.Action) && jsonPlain(r.Member) && jsonPlain(r.Currency) && jsonTime(r.Time)
	for _, l := range r.Lots {
		ok = ok && jsonPlain(l.Grant) && jsonTime(l.Expires)
	}
	if !ok {
		return json.Marshal(r)
	}
	b := make([]byte, 0, 160+80*len(r.Lots))
	b = append(b, `{"Key":"`...)
	b = append(b, r.Key...)
	b = append(b, `","Action":"`...)
	b = append(b, r.Action...)
	b = append(b, `","Member":"`...)
	b = append(b, r.Member...)
	b = append(b, `","Currency":"`...)
	b = append(b, r.Currency...)
	b = append(b, `","Amount":`...)
	b = strconv.AppendInt(b, r.Amount, 10)
	b = append(b, `,"Period":`...)
	b = strconv.AppendInt(b, r.Period, 10)
	b = append(b, `,"Time":"`...)
	b = r.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","Lots":`...)
	if r.Lots == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, l := range r.Lots {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"Grant":"`...)
			b = append(b, l.Grant...)
			b = append(b, `","Amount":`...)
			b = strconv.AppendInt(b, l.Amount, 10)
			if !l.Expires.IsZero() {
				b = append(b, `,"Expires":"`...)
				b = l.Expires.AppendFormat(b, time.RFC3339Nano)
				b = append(b, '"')
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"Refunded":`...)
	b = strconv.AppendBool(b, r.Refunded)
	return append(b, '}'), nil
}

// jsonPlain reports whether encoding/json writes v as it is between
// quotes: printable ASCII but for the quote, the backslash and the three
// characters it escapes for HTML.
func jsonPlain(v string) bool {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c < 0x20, c > 0x7e, c == '"', c == '\\', c == '<', c == '>', c == '&':
			return false
		}
	}
	return true
}

// jsonTime reports whether time.Time.MarshalJSON writes t, as it does
// unless its year is outside 0 to 9999 or its zone 24 hours or more away
// from UTC; it then writes what AppendFormat(RFC3339Nano) does.
func jsonTime(t time.Time) bool {
	_, offset := t.Zone()
	return t.Year() >= 0 && t.Year() <= 9999 && offset > -24*3600 && offset < 24*3600
}

// fingerprint identifies what a keyed request asked for: a hash, so any
// bytes in its parts can be stored.
func fingerprint(parts ...string) string {
	var buf [256]byte // holds a spend's parts, so that hashing them allocates nothing
	b := buf[:0]
	for _, p := range parts {
		b = append(append(b, p...), 0)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// spendFingerprint is the fingerprint of a spend: its actor and action,
// and its options when it has any (so that Spend's fingerprint stays what
// it was before SpendWith).
func spendFingerprint(actor, action string, o SpendOptions) string {
	if o == (SpendOptions{}) {
		return fingerprint("spend", actor, action)
	}
	return fingerprint("spend", actor, action, o.Request, o.Project)
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

// keyed runs a keyed operation of actor on the pool of currency once per
// key: it loads what actor sees and, in one read, the pool, actor's
// allowance and the key's record; it replays a stored receipt or, the first
// time, authorizes g and runs apply, which saves the record with its moves.
// (A retry is answered from the record, as first applied, without asking the
// policy again.) When a concurrent request with the same key wins the race
// to store it, the operation runs once more and finds that request's
// receipt.
func (s *Service) keyed(ctx context.Context, actor, id string, g gate, currency, key, fingerprint string, apply func(storage.Tx, *workspace.Workspace, *keying) (Receipt, error)) (Receipt, error) {
	if err := clientKey(key); err != nil {
		return Receipt{}, err
	}
	var start time.Time
	if s.logs.on() {
		start = time.Now()
	}
	var out Receipt
	var w *workspace.Workspace
	err := s.updateOnce(ctx, func(tx storage.Tx) (err error) {
		w, err = s.visible(ctx, tx, actor, id, gate{op: membersOnly, write: true})
		if err != nil {
			return err
		}
		ledger, err := storage.ReadLedger(ctx, tx, storage.LedgerQuery{Workspace: id, Currency: currency, Member: actor, Key: key})
		if err != nil {
			return err
		}
		k := &keying{ledger: ledger, wsID: id, key: key, fingerprint: fingerprint}
		out, err = k.once(func() error { return s.authorize(w, actor, g) }, func() (Receipt, error) { return apply(tx, w, k) })
		return err
	})
	if s.logs.on() {
		if err == nil && g.action != nil {
			s.logSpend(ctx, actor, w, g, start)
		}
		s.logRefusal(ctx, actor, id, g.project, start, err)
	}
	return out, err
}
