package backendtest_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
)

// Cases the state machines found, kept as plain tests on every backend.

// TestSameInstantTopUpsBurnByID: two top-ups made at one instant burn in lot
// ID order (the documented burn order's last key), whatever order they came
// in.
func TestSameInstantTopUpsBurnByID(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "credit-pool", open(t), newClock())
		id := spendPool(t, s, 0)
		must[charter.Receipt](t)(s.Fund(ctx, "own", id, "credits", 1, time.Time{}, "k2"))
		must[charter.Receipt](t)(s.Fund(ctx, "own", id, "credits", 1, time.Time{}, "k0"))
		r := must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "s1"))
		if len(r.Lots) != 1 || r.Lots[0].Grant != "key:k0" {
			t.Errorf("spend burned %+v, want lot key:k0 first", r.Lots)
		}
	})
}

// TestKeysAreStorable: keys with NUL bytes or invalid UTF-8 are refused as
// invalid input before they reach a store (PostgreSQL text cannot hold NUL),
// and any other key works on every backend.
func TestKeysAreStorable(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "credit-pool", open(t), newClock())
		id := spendPool(t, s, 5)
		for _, k := range []string{"a\x00b", "\xff", ""} {
			_, err := s.Spend(ctx, "edi", "create_visuals", id, k)
			wantErr(t, err, charter.ErrInvalid)
		}
		must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "ключ/🔑 with spaces"))
	})
}

// TestRefundAfterTopUpLeft: a top-up that ran out leaves the pool at the
// next reset; refunding a spend of it after that gives its credits back as a
// new lot, keeping the top-up's expiry, instead of losing them. Balance,
// journal and a replay of the journal agree.
func TestRefundAfterTopUpLeft(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		c := newClock()
		s := newService(t, "credit-pool", open(t), c)
		id := spendPool(t, s, 0)
		must[charter.Receipt](t)(s.Fund(ctx, "own", id, "credits", 1, time.Time{}, "kept"))
		must[charter.Receipt](t)(s.Fund(ctx, "own", id, "credits", 1, c.Now().Add(40*24*time.Hour), "short"))
		a := must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "a"))
		b := must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "b"))
		if a.Lots[0].Grant != "key:short" || b.Lots[0].Grant != "key:kept" {
			t.Fatalf("spends burned %+v and %+v; want the expiring top-up first", a.Lots, b.Lots)
		}
		c.Add(32 * 24 * time.Hour) // the next period: both lots ran out and leave
		if got := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits")).Available; got != 0 {
			t.Fatalf("balance after the reset = %d, want 0", got)
		}
		rb := must[charter.Receipt](t)(s.Refund(ctx, "own", id, "b"))
		ra := must[charter.Receipt](t)(s.Refund(ctx, "own", id, "a"))
		if rb.Amount != 1 || len(rb.Lots) != 1 || rb.Lots[0].Grant != credits.RefundID("b", "key:kept") {
			t.Errorf("refund of b = %+v, want its credit back in a new lot", rb)
		}
		if ra.Amount != 1 || !ra.Lots[0].Expires.Equal(a.Lots[0].Expires) || a.Lots[0].Expires.IsZero() {
			t.Errorf("refund of a = %+v, want its credit back expiring with the top-up (%v)", ra, a.Lots[0].Expires)
		}
		if got := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits")).Available; got != 2 {
			t.Errorf("balance after the refunds = %d, want 2", got)
		}
		c.Add(9 * 24 * time.Hour) // past the short top-up's expiry
		if got := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits")).Available; got != 1 {
			t.Errorf("balance after the expiry = %d, want 1", got)
		}
		journal := must[[]credits.Entry](t)(journalOf(s, "own", id, "credits"))
		pools, err := credits.Replay(journal)
		check(t, err)
		if got := pools["credits"].Balance(c.Now()); got != 1 {
			t.Errorf("replayed balance = %d, want 1", got)
		}
	})
}

// TestRefundKeysAreCharters: a refund is recorded under a key in charter's
// own namespace, so a member's spend cannot take it first, and of a fixed
// length, so a spend with a 200-byte key can be refunded; callers' keys may
// not enter that namespace.
func TestRefundKeysAreCharters(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "credit-pool", open(t), newClock())
		id := spendPool(t, s, 10)
		long := strings.Repeat("k", 200)
		must[charter.Receipt](t)(s.Spend(ctx, "adm", "create_visuals", id, "k1"))
		must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, long))
		must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "refund:k1")) // the old refund key
		_, err := s.Spend(ctx, "edi", "create_visuals", id, "charter:refund:x")
		wantErr(t, err, charter.ErrInvalid)
		_, err = s.Fund(ctx, "own", id, "credits", 1, time.Time{}, "charter:x")
		wantErr(t, err, charter.ErrInvalid)
		if r := must[charter.Receipt](t)(s.Refund(ctx, "own", id, "k1")); r.Amount != 1 {
			t.Errorf("refund of k1 gave back %d, want 1", r.Amount)
		}
		if r := must[charter.Receipt](t)(s.Refund(ctx, "own", id, long)); r.Amount != 1 {
			t.Errorf("refund of the 200-byte key gave back %d, want 1", r.Amount)
		}
		// Someone who may not refund learns nothing of which keys exist.
		_, errKnown := s.Refund(ctx, "edi", id, "k1")
		_, errUnknown := s.Refund(ctx, "edi", id, "no-such-key")
		wantErr(t, errKnown, charter.ErrForbidden)
		wantErr(t, errUnknown, charter.ErrForbidden)
		// Fund's key is the funder's: another admin retrying it is a
		// different request, not the first funder's receipt.
		must[charter.Receipt](t)(s.Fund(ctx, "own", id, "credits", 5, time.Time{}, "f1"))
		_, err = s.Fund(ctx, "adm", id, "credits", 5, time.Time{}, "f1")
		wantErr(t, err, charter.ErrIdempotencyMismatch)
		// Someone who may not fund is refused as for any key.
		_, err = s.Fund(ctx, "edi", id, "credits", 5, time.Time{}, "f1")
		wantErr(t, err, charter.ErrForbidden)
	})
}

// TestSpendWithFingerprint: SpendWith's request joins the key's
// fingerprint. The same key with the same request replays the receipt and
// charges once; with a different request, or first used by Spend (request
// ""), it is ErrIdempotencyMismatch and charges nothing; Spend keeps its
// own fingerprint; a request over MaxKeyBytes or with a control character
// is an InputError.
func TestSpendWithFingerprint(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "credit-pool", open(t), newClock())
		id := spendPool(t, s, 10)
		before := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits")).Available
		first := must[charter.Receipt](t)(s.SpendWith(ctx, "edi", "create_visuals", id, "k1", charter.SpendOptions{Request: "POST /a body-1"}))
		again := must[charter.Receipt](t)(s.SpendWith(ctx, "edi", "create_visuals", id, "k1", charter.SpendOptions{Request: "POST /a body-1"}))
		if first.Period != again.Period || !first.Time.Equal(again.Time) || first.Amount != again.Amount {
			t.Errorf("retry with the same request: %+v, want the first receipt %+v", again, first)
		}
		_, err := s.SpendWith(ctx, "edi", "create_visuals", id, "k1", charter.SpendOptions{Request: "POST /a body-2"})
		wantErr(t, err, charter.ErrIdempotencyMismatch)
		_, err = s.Spend(ctx, "edi", "create_visuals", id, "k1")
		wantErr(t, err, charter.ErrIdempotencyMismatch)
		must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "k2"))
		must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "k2"))
		_, err = s.SpendWith(ctx, "edi", "create_visuals", id, "k2", charter.SpendOptions{Request: "POST /a body-1"})
		wantErr(t, err, charter.ErrIdempotencyMismatch)
		for _, bad := range []string{strings.Repeat("r", charter.MaxKeyBytes+1), "a\nb"} {
			_, err = s.SpendWith(ctx, "edi", "create_visuals", id, "k3", charter.SpendOptions{Request: bad})
			var ie *charter.InputError
			if !errors.As(err, &ie) || ie.Field != "request" {
				t.Errorf("request %.20q: %v, want an InputError on field request", bad, err)
			}
		}
		if after := must[charter.Balance](t)(s.Balance(ctx, "own", id, "credits")).Available; before-after != 2*first.Amount || first.Amount <= 0 {
			t.Errorf("available %d then %d, each spend %d: want two keys charged", before, after, first.Amount)
		}
	})
}

// TestDeniedMemberCannotProbeKeys: a member the policy does not let spend
// gets the same refusal for a key someone used and for an unused one, so
// they cannot tell which keys exist; a member who may spend gets
// ErrIdempotencyMismatch for a used key, and the spender's retry still
// replays.
func TestDeniedMemberCannotProbeKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "credit-pool", open(t), newClock())
		id := spendPool(t, s, 10)
		join(t, s, "own", id, "rev", "reviewer")
		must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "used"))
		_, errUsed := s.Spend(ctx, "rev", "create_visuals", id, "used")
		_, errFresh := s.Spend(ctx, "rev", "create_visuals", id, "fresh")
		wantErr(t, errUsed, charter.ErrForbidden)
		wantErr(t, errFresh, charter.ErrForbidden)
		if errUsed.Error() != errFresh.Error() {
			t.Errorf("used key: %q, unused key: %q; want one refusal", errUsed, errFresh)
		}
		_, err := s.Spend(ctx, "adm", "create_visuals", id, "used")
		wantErr(t, err, charter.ErrIdempotencyMismatch)
		must[charter.Receipt](t)(s.Spend(ctx, "edi", "create_visuals", id, "used"))
	})
}
