package charter_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
)

// The gate's tests across every method and backend are in package
// backendtest (gate_test.go); these check its rules on the memory store.

// inputError returns err's *InputError, failing unless there is one.
func inputError(tb testing.TB, err error) *charter.InputError {
	tb.Helper()
	var ie *charter.InputError
	if !errors.As(err, &ie) || !errors.Is(err, charter.ErrInvalid) {
		tb.Fatalf("err = %v, want an *InputError", err)
	}
	return ie
}

// TestEmailIdentity checks the address rule of Invite and Accept: ASCII
// letters case-insensitively, everything else exactly, NFC required. No
// Unicode folding makes another address the invited one.
func TestEmailIdentity(t *testing.T) {
	s, id := team(t)
	invite := func(email string) charter.Invitation {
		t.Helper()
		inv, err := s.Invite(ctx, "ana", id, email, "member")
		ok(t, err)
		return inv
	}
	kim, sam, elise := invite("kim@example.com"), invite("sam@example.com"), invite("Élise@example.com")

	// The Kelvin sign U+212A folds to "k" and NFC makes it "K": an
	// address holding it is not in NFC, refused before the store.
	_, err := s.Accept(ctx, "mallory", "\u212Aim@example.com", kim.Token)
	if ie := inputError(t, err); ie.Field != "email" || ie.Reason != "is not in Unicode NFC" {
		t.Errorf("Kelvin sign: %+v", ie)
	}
	// The long s U+017F folds to "s" but is NFC: compared exactly, it is
	// another address.
	_, err = s.Accept(ctx, "mallory", "\u017Fam@example.com", sam.Token)
	if !errors.Is(err, charter.ErrForbidden) {
		t.Errorf("long s: err = %v, want ErrForbidden", err)
	}
	// Non-ASCII letters are not case-folded; a decomposed É is not NFC.
	_, err = s.Accept(ctx, "mallory", "élise@example.com", elise.Token)
	if !errors.Is(err, charter.ErrForbidden) {
		t.Errorf("é for É: err = %v, want ErrForbidden", err)
	}
	_, err = s.Accept(ctx, "mallory", "E\u0301lise@example.com", elise.Token)
	if ie := inputError(t, err); ie.Reason != "is not in Unicode NFC" {
		t.Errorf("decomposed É: %+v", ie)
	}
	if _, err := s.Invite(ctx, "ana", id, "\u212Aim@example.com", "member"); inputError(t, err).Field != "email" {
		t.Errorf("Invite with a Kelvin sign: %v", err)
	}
	for _, u := range []string{"mallory"} {
		if w, err := s.Workspace(ctx, u, id); err == nil {
			t.Fatalf("%s joined %s", u, w.ID)
		}
	}

	// ASCII letters match whatever their case, on both sides.
	_, err = s.Accept(ctx, "kim", "KIM@Example.COM", kim.Token)
	ok(t, err)
	_, err = s.Accept(ctx, "sam", "<Sam@example.com>", sam.Token)
	ok(t, err)
	_, err = s.Accept(ctx, "elise", "Élise@EXAMPLE.com", elise.Token)
	ok(t, err)
}

// TestAcceptChecksAddressFirst: the holder of another's token learns
// nothing of its state. A wrong address is ErrForbidden whether the
// invitation is pending, revoked, used or expired.
func TestAcceptChecksAddressFirst(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	p, err := policy.LoadFile("testdata/policies/team-guests.yaml")
	ok(t, err)
	s, err := charter.New(p, memory.New(), charter.Options{Now: func() time.Time { return now }})
	ok(t, err)
	w, err := s.CreateWorkspace(ctx, "ana", "Team", "business")
	ok(t, err)
	invite := func(email string) charter.Invitation {
		t.Helper()
		inv, err := s.Invite(ctx, "ana", w.ID, email, "member")
		ok(t, err)
		return inv
	}
	pending, revoked, used, expired := invite("p@example.com"), invite("r@example.com"), invite("u@example.com"), invite("e@example.com")
	ok(t, s.Revoke(ctx, "ana", w.ID, revoked.ID))
	_, err = s.Accept(ctx, "u", "u@example.com", used.Token)
	ok(t, err)

	states := map[string]charter.Invitation{"pending": pending, "revoked": revoked, "used": used}
	check := func() {
		t.Helper()
		for state, inv := range states {
			for _, email := range []string{"mallory@example.com", ""} {
				_, err := s.Accept(ctx, "mallory", email, inv.Token)
				if !errors.Is(err, charter.ErrForbidden) || errors.Is(err, charter.ErrInvitationRevoked) ||
					errors.Is(err, charter.ErrInvitationUsed) || errors.Is(err, charter.ErrInvitationExpired) {
					t.Errorf("%s invitation, address %q: err = %v, want only ErrForbidden", state, email, err)
				}
			}
		}
	}
	check()
	now = now.Add(8 * 24 * time.Hour)
	states["expired"] = expired
	check()
	// The rightful holder still learns the state.
	_, err = s.Accept(ctx, "e", "e@example.com", expired.Token)
	if !errors.Is(err, charter.ErrInvitationExpired) {
		t.Errorf("own expired invitation: err = %v, want ErrInvitationExpired", err)
	}
}

// TestCanWithBadInput: a denial with an *InputError, the Decision naming
// what the gate refused, quoting a short prefix only.
func TestCanWithBadInput(t *testing.T) {
	s, id := team(t)
	long := strings.Repeat("é", 300)
	for _, tc := range []struct {
		actor, action, id string
		field             string
		reason            policy.Reason
	}{
		{"ben\x00", "view", id, "actor", policy.NotMember},
		{long, "view", id, "actor", policy.NotMember},
		{"ben", "view\xff", id, "action", policy.UnknownAction},
		{"ben", "view", id + "\n", "workspace", policy.NoWorkspace},
		{"", "view", id, "actor", policy.NotMember},
	} {
		allowed, err := s.Can(ctx, tc.actor, tc.action, tc.id)
		ie := inputError(t, err)
		if allowed || ie.Field != tc.field {
			t.Errorf("Can(%.20q, %.20q, %.20q) = %t, field %q; want a denial of %s", tc.actor, tc.action, tc.id, allowed, ie.Field, tc.field)
		}
		d, _ := s.Decide(ctx, tc.actor, tc.action, tc.id, "")
		if d.Allowed || d.Reason != tc.reason {
			t.Errorf("Decide(%.20q, %.20q, %.20q) = %v, want reason %v", tc.actor, tc.action, tc.id, d.Reason, tc.reason)
		}
		if len(ie.Value) > charter.QuoteBytes+len("…") || len(err.Error()) > 200 {
			t.Errorf("quoted value %q is not a short prefix", ie.Value)
		}
	}
	// A well-formed unknown actor is a plain denial.
	if allowed, err := s.Can(ctx, "nobody", "view", id); allowed || err != nil {
		t.Errorf("Can(nobody) = %t, %v; want false, nil", allowed, err)
	}
}

// FuzzGate feeds any text to Can as the actor and to Invite as the email:
// either the gate refuses it with an *InputError that quotes at most
// QuoteBytes of it, or it keeps every rule; never a panic, never an allow.
func FuzzGate(f *testing.F) {
	for _, seed := range []string{"ben", "a\x00b", "\xff", "\u212Aim@example.com", "Kim@example.com", strings.Repeat("x", 300), "é@é.fr"} {
		f.Add(seed)
	}
	s := newService(f, "team-guests")
	w, err := s.CreateWorkspace(ctx, "ana", "Team", "business")
	ok(f, err)
	id := w.ID
	f.Fuzz(func(t *testing.T, v string) {
		allowed, err := s.Can(ctx, v, "view", id)
		var ie *charter.InputError
		refused := errors.As(err, &ie)
		valid := v != "" && len(v) <= charter.MaxIDBytes && utf8.ValidString(v) &&
			!strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || 0x7f <= r && r <= 0x9f })
		switch {
		case refused == valid:
			t.Fatalf("Can(%q): refused %t, but the rules say valid %t (%v)", v, refused, valid, err)
		case refused && (allowed || len(ie.Value) > charter.QuoteBytes+len("…")):
			t.Fatalf("Can(%q) = %t, %v", v, allowed, err)
		case !refused && err != nil:
			t.Fatalf("Can(%q): %v", v, err)
		}
		if _, err := s.Invite(ctx, "ana", id, v, "member"); err != nil && errors.As(err, &ie) && len(ie.Value) > charter.QuoteBytes+len("…") {
			t.Fatalf("Invite(%q): %v quotes too much", v, err)
		}
	})
}

// The gate refuses input no user can have with an *InputError, on every
// backend, before any store: here an actor with a NUL.
func ExampleInputError() {
	p, err := policy.LoadFile("testdata/policies/team-guests.yaml")
	if err != nil {
		panic(err)
	}
	s, err := charter.New(p, memory.New(), charter.Options{})
	if err != nil {
		panic(err)
	}
	allowed, err := s.Can(context.Background(), "ana\x00", "view", "ws1")
	var ie *charter.InputError
	fmt.Println(allowed, errors.As(err, &ie), errors.Is(err, charter.ErrInvalid), ie.Field)
	fmt.Println(err)
	// Output:
	// false true true actor
	// charter: invalid request: actor contains a control character: "ana\x00"
}
