// Package storagetest is the conformance suite every storage backend passes.
//
// A backend's test calls Run with a function that opens a fresh, empty store:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) storage.Store {
//			s := memory.New()
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite checks the behaviour storage documents: unique keys, version
// checks, cascading deletes, ordering, paging, the gapless event sequence,
// all-or-nothing transactions, time precision and concurrent use. Times are
// expected back in UTC, truncated to the microsecond.
package storagetest

import (
	"context"
	"errors"
	"fmt"
	"github.com/charterhq/charter/credits"
	workspace_ "github.com/charterhq/charter/workspace"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/charterhq/charter/storage"
)

// Run runs the conformance suite. Each subtest gets a fresh empty store from
// open, which should arrange (with t.Cleanup) for the store to be closed.
func Run(t *testing.T, open func(t *testing.T) storage.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s storage.Store)
	}{
		{"WorkspaceCreate", testWorkspaceCreate},
		{"WorkspaceExists", testWorkspaceExists},
		{"WorkspaceUpdate", testWorkspaceUpdate},
		{"WorkspaceLogoPreferences", testWorkspaceLogoPreferences},
		{"WorkspacePersonalIndex", testWorkspacePersonalIndex},
		{"OwnedShared", testOwnedShared},
		{"WorkspacesOf", testWorkspacesOf},
		{"WorkspaceDeleteCascades", testWorkspaceDeleteCascades},
		{"Members", testMembers},
		{"RoleCountsProperty", testRoleCountsProperty},
		{"MemberPages", testMemberPages},
		{"BulkWorkspaces", testBulkWorkspaces},
		{"BulkMembers", testBulkMembers},
		{"BulkEvents", testBulkEvents},
		{"DeleteEvents", testDeleteEvents},
		{"InvitationPages", testInvitationPages},
		{"SpendRows", testSpendRows},
		{"DeleteInvitations", testDeleteInvitations},
		{"Access", testAccess},
		{"AccessFollowsWrites", testAccessFollowsWrites},
		{"AccessProperty", testAccessProperty},
		{"AccessRace", func(t *testing.T, s storage.Store) { RunAccessRace(t, s, s) }},
		{"MemberProjects", testMemberProjects},
		{"Invitations", testInvitations},
		{"InvitationUpdate", testInvitationUpdate},
		{"PendingInvitations", testPendingInvitations},
		{"PendingInvitationsProperty", testPendingProperty},
		{"Events", testEvents},
		{"EventsPaging", testEventsPaging},
		{"Pools", testPools},
		{"Grants", testGrants},
		{"Allowances", testAllowances},
		{"Entries", testEntries},
		{"Idempotency", testIdempotency},
		{"LedgerRead", testLedgerRead},
		{"LedgerSave", testLedgerSave(func(tx storage.Tx) storage.Tx { return tx })},
		{"LedgerSavePlain", testLedgerSave(func(tx storage.Tx) storage.Tx { return plainTx{tx} })},
		{"RollbackEveryWrite", testRollbackEveryWrite},
		{"RollbackPanic", testRollbackPanic},
		{"RollbackKeepsEventSeqGapless", testRollbackEventSeq},
		{"ViewRefusesWrites", testViewRefusesWrites},
		{"CancelledContext", testCancelledContext},
		{"ErrorDoesNotPoisonTx", testErrorDoesNotPoison},
		{"ViewSeesOneState", testViewSeesOneState},
		{"TimePrecision", testTimePrecision},
		{"Close", testClose},
		{"ConcurrentWorkspaceUpdates", testConcurrentWorkspaceUpdates},
		{"ConcurrentPoolSpends", testConcurrentPoolSpends},
		{"ConcurrentAppendEvents", testConcurrentAppendEvents},
		{"ConcurrentIdempotency", testConcurrentIdempotency},
		{"ConcurrentPersonalWorkspace", testConcurrentPersonal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.fn(t, open(t))
		})
	}
}

// t0 is a time with microsecond precision in UTC: what every backend must
// give back unchanged.
var t0 = time.Date(2025, 3, 14, 15, 9, 26, 535897000, time.UTC)

// at returns t0 plus n hours.
func at(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }

var errBoom = errors.New("storagetest: boom")

// update runs fn in s.Update and fails the test on error.
func update(tb testing.TB, s storage.Store, fn func(tx storage.Tx) error) {
	tb.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

// view runs fn in s.View and fails the test on error.
func view(tb testing.TB, s storage.Store, fn func(tx storage.Tx) error) {
	tb.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		tb.Fatalf("View: %v", err)
	}
}

// wantErr fails the test unless errors.Is(err, want).
func wantErr(tb testing.TB, what string, err, want error) {
	tb.Helper()
	if !errors.Is(err, want) {
		tb.Errorf("%s: error = %v, want %v", what, err, want)
	}
}

// wantSomeErr fails the test if err is nil.
func wantSomeErr(tb testing.TB, what string, err error) {
	tb.Helper()
	if err == nil {
		tb.Errorf("%s: error = nil, want an error", what)
	}
}

// noErr fails the test now if err is not nil.
func noErr(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", what, err)
	}
}

// cmpDiff returns how got differs from want ("" if not). Empty and nil
// slices are equal.
func cmpDiff(want, got any) string { return cmp.Diff(want, got, cmpopts.EquateEmpty()) }

// diff fails the test if got and want differ. Empty and nil slices are equal.
func diff(tb testing.TB, what string, got, want any) {
	tb.Helper()
	if d := cmpDiff(want, got); d != "" {
		tb.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// workspace returns a workspace header; kind is "personal" or "shared".
func workspace(id, kind, owner string) storage.Workspace {
	k, err := workspace_.ParseKind(kind)
	if err != nil {
		panic(err)
	}
	return storage.Workspace{
		ID:             id,
		Name:           "Workspace " + id,
		Kind:           k,
		Plan:           "team",
		Owner:          owner,
		BillingContact: owner + "@example.com",
		Created:        t0,
		Anchor:         at(1),
		Version:        1,
	}
}

// member returns a membership; members whose role is "admin" hold a paid
// seat since at(3), so SeatSince round-trips both set and zero.
func member(ws, user, role string, projects ...string) storage.Member {
	m := storage.Member{Workspace: ws, User: user, Role: role, Projects: projects, Joined: at(2)}
	if role == "admin" {
		m.SeatSince = at(3)
	}
	return m
}

func invitation(ws, id, token string, created time.Time) storage.Invitation {
	return storage.Invitation{
		ID:        id,
		Workspace: ws,
		Email:     id + "@example.com",
		Role:      "member",
		Inviter:   "ann",
		TokenHash: token,
		Created:   created,
		Expires:   created.Add(7 * 24 * time.Hour),
		MaxUses:   1,
	}
}

func event(ws, typ string) storage.Event {
	return storage.Event{
		Workspace: ws,
		Actor:     "ann",
		Type:      typ,
		Subject:   "bob",
		Before:    `{"role":"member"}`,
		After:     `{"role":"admin"}`,
		Amount:    1200,
		Currency:  "usd",
		Time:      at(3),
	}
}

func grant(id string, amount, remaining int64) credits.Grant {
	return credits.Grant{
		ID: id, Source: credits.SourcePeriodic,
		Amount: amount, Remaining: remaining, Priority: 1,
		Expires: at(24), Created: at(4),
	}
}

// entry returns a journal entry; kind is a credits.Kind's name.
func entry(currency, kind string, amount int64) credits.Entry {
	k, err := credits.ParseKind(kind)
	if err != nil {
		panic(err)
	}
	return credits.Entry{
		Currency: currency, Kind: k, Grant: "g1",
		Amount: amount, Member: "bob", Action: "generate", Key: "k",
		Period: 3, Time: at(5), Expires: at(6),
	}
}

// seed creates workspaces a (shared, owner ann, members ann and bob) and p
// (ann's personal), an invitation, a pool with a grant and an allowance, an
// idempotency key, two events and two journal entries.
func seed(tb testing.TB, s storage.Store) {
	tb.Helper()
	update(tb, s, func(tx storage.Tx) error {
		ctx := context.Background()
		for _, w := range []storage.Workspace{workspace("a", "shared", "ann"), workspace("p", "personal", "ann")} {
			if err := tx.CreateWorkspace(ctx, w); err != nil {
				return err
			}
		}
		for _, m := range []storage.Member{member("a", "ann", "owner"), member("a", "bob", "guest", "x", "y"), member("p", "ann", "owner")} {
			if err := tx.PutMember(ctx, m); err != nil {
				return err
			}
		}
		if err := tx.CreateInvitation(ctx, invitation("a", "i1", "tok1", at(1))); err != nil {
			return err
		}
		if err := tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "credits", Period: 1}); err != nil {
			return err
		}
		if err := tx.PutGrant(ctx, "a", "credits", grant("g1", 100, 60)); err != nil {
			return err
		}
		if err := tx.PutAllowance(ctx, "a", "credits", credits.Allowance{Member: "bob", Amount: 50, Period: 1, Spent: 10}); err != nil {
			return err
		}
		if err := tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "a", Key: "k1", Fingerprint: "f", Result: `{"ok":true}`, Created: at(6)}); err != nil {
			return err
		}
		for _, e := range []storage.Event{event("a", "created"), event("p", "created")} {
			if _, err := tx.AppendEvent(ctx, e); err != nil {
				return err
			}
		}
		return tx.AppendEntries(ctx, "a", []credits.Entry{entry("credits", "grant", 100), entry("credits", "spend", -40)})
	})
}

// snapshot is everything a store holds about the IDs the suite uses.
type snapshot struct {
	Workspaces  map[string]storage.Workspace
	Personal    map[string]string
	OwnedShared map[string]int
	Of          map[string][]string
	Members     map[string][]storage.Member
	Invitations map[string][]storage.Invitation
	ByToken     map[string]string
	Events      []storage.Event
	Pools       map[string][]storage.Pool
	Grants      map[string][]credits.Grant
	Allowances  map[string][]credits.Allowance
	Entries     map[string][]storage.Entry
	Idem        map[string]storage.Idempotency
}

var (
	snapWorkspaces = []string{"a", "b", "p", "q", "new"}
	snapUsers      = []string{"ann", "bob", "cat", "dan"}
	snapCurrencies = []string{"credits", "tokens"}
	snapTokens     = []string{"tok1", "tok2", "tok3"}
	snapKeys       = []string{"k1", "k2", "k3"}
)

// snap reads a snapshot of s.
func snap(tb testing.TB, s storage.Store) snapshot {
	tb.Helper()
	sn := snapshot{
		Workspaces: map[string]storage.Workspace{}, Personal: map[string]string{},
		OwnedShared: map[string]int{}, Of: map[string][]string{},
		Members: map[string][]storage.Member{}, Invitations: map[string][]storage.Invitation{},
		ByToken: map[string]string{}, Pools: map[string][]storage.Pool{},
		Grants: map[string][]credits.Grant{}, Allowances: map[string][]credits.Allowance{},
		Entries: map[string][]storage.Entry{}, Idem: map[string]storage.Idempotency{},
	}
	view(tb, s, func(tx storage.Tx) error {
		ctx := context.Background()
		for _, id := range snapWorkspaces {
			w, err := tx.Workspace(ctx, id)
			if err == nil {
				sn.Workspaces[id] = w
			} else if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			ms, err := tx.Members(ctx, id)
			if err != nil {
				return err
			}
			if len(ms) > 0 {
				sn.Members[id] = ms
			}
			invs, err := allInvitations(ctx, tx, id)
			if err != nil {
				return err
			}
			if len(invs) > 0 {
				sn.Invitations[id] = invs
			}
			ps, err := tx.Pools(ctx, id)
			if err != nil {
				return err
			}
			if len(ps) > 0 {
				sn.Pools[id] = ps
			}
			for _, c := range snapCurrencies {
				k := id + "/" + c
				gs, err := tx.Grants(ctx, id, c)
				if err != nil {
					return err
				}
				if len(gs) > 0 {
					sn.Grants[k] = gs
				}
				as, err := tx.Allowances(ctx, id, c)
				if err != nil {
					return err
				}
				if len(as) > 0 {
					sn.Allowances[k] = as
				}
				es, err := tx.Entries(ctx, id, c, 0, 1000)
				if err != nil {
					return err
				}
				if len(es) > 0 {
					sn.Entries[k] = es
				}
			}
			for _, key := range snapKeys {
				r, err := tx.Idempotency(ctx, id, key)
				if err == nil {
					sn.Idem[id+"/"+key] = r
				} else if !errors.Is(err, storage.ErrNotFound) {
					return err
				}
			}
		}
		for _, u := range snapUsers {
			w, err := tx.PersonalWorkspace(ctx, u)
			if err == nil {
				sn.Personal[u] = w.ID
			} else if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
			n, err := tx.OwnedShared(ctx, u)
			if err != nil {
				return err
			}
			sn.OwnedShared[u] = n
			ws, err := tx.WorkspacesOf(ctx, u)
			if err != nil {
				return err
			}
			for _, w := range ws {
				sn.Of[u] = append(sn.Of[u], w.ID)
			}
		}
		for _, tok := range snapTokens {
			inv, err := tx.InvitationByToken(ctx, tok)
			if err == nil {
				sn.ByToken[tok] = inv.ID
			} else if !errors.Is(err, storage.ErrNotFound) {
				return err
			}
		}
		es, err := tx.Events(ctx, "", 0, 1000)
		if err != nil {
			return err
		}
		sn.Events = es
		return nil
	})
	return sn
}

// checkSeqs fails the test unless events have Seq 1..len(events).
func checkSeqs(tb testing.TB, events []storage.Event) {
	tb.Helper()
	for i, e := range events {
		if e.Seq != int64(i+1) {
			tb.Fatalf("events[%d].Seq = %d, want %d (sequence %v)", i, e.Seq, i+1, seqs(events))
		}
	}
}

func seqs(events []storage.Event) []int64 {
	out := make([]int64, len(events))
	for i, e := range events {
		out[i] = e.Seq
	}
	return out
}

func allEvents(tb testing.TB, s storage.Store) []storage.Event {
	tb.Helper()
	var es []storage.Event
	view(tb, s, func(tx storage.Tx) error {
		var err error
		es, err = tx.Events(context.Background(), "", 0, 1<<20)
		return err
	})
	return es
}

// name is a helper for goroutine-specific IDs.
func name(prefix string, i int) string { return fmt.Sprintf("%s%03d", prefix, i) }
