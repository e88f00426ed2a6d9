package backendtest_test

// Licences (the shared workspaces a user may own) and personal workspaces
// under races, found by a review and kept as tests on every backend.

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// licenceService is a Service on testdata/licences.yaml in which ana may
// own any number of shared workspaces.
func licenceService(t *testing.T, open func(testing.TB) storage.Store) *charter.Service {
	t.Helper()
	s := newService(t, "../../backendtest/testdata/licences", open(t), newClock())
	pa := must[*workspaceT](t)(s.EnsurePersonal(ctx, "ana"))
	check(t, s.ChangePlan(ctx, "ana", pa.ID, "big"))
	return s
}

// raceForLicence runs ops at once, each of which would give user one more
// shared workspace, where user's default licence allows 1. A loser may be
// told no only for the limit or a conflict, and user must end owning at
// most 1.
func raceForLicence(t *testing.T, s *charter.Service, round int, user string, ops ...func() error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, len(ops))
	for i, op := range ops {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = op() }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, charter.ErrLimitExceeded) && !errors.Is(err, charter.ErrConflict) {
			t.Fatalf("round %d: unexpected error: %v", round, err)
		}
	}
	if n := ownedShared(t, s, user); n > 1 {
		t.Fatalf("round %d: %s owns %d shared workspaces, the default licence allows 1 (errs %v)", round, user, n, errs)
	}
}

func ownedShared(t *testing.T, s *charter.Service, user string) int {
	t.Helper()
	n := 0
	for _, m := range workspacesOf(t, s, user) {
		if m.Owner && m.Kind.String() == "shared" {
			n++
		}
	}
	return n
}

// TestConcurrentTransfersToUserWithoutPersonal: a user who never got a
// personal workspace is licensed by the default plan (1 shared workspace).
// Two transfers to them at once must not both pass that limit.
func TestConcurrentTransfersToUserWithoutPersonal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := licenceService(t, open)
		for round := range 20 {
			bob := fmt.Sprintf("bob%d", round)
			a := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "A", "")).ID
			b := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "B", "")).ID
			join(t, s, "ana", a, bob, "admin")
			join(t, s, "ana", b, bob, "admin")
			raceForLicence(t, s, round, bob,
				func() error { return s.TransferOwnership(ctx, "ana", a, bob) },
				func() error { return s.TransferOwnership(ctx, "ana", b, bob) })
		}
	})
}

// TestTransferRacesCreateWorkspace: a transfer to a user without a personal
// workspace races that user's own CreateWorkspace; together they must not pass
// the default licence's 1 shared workspace.
func TestTransferRacesCreateWorkspace(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := licenceService(t, open)
		for round := range 20 {
			bob := fmt.Sprintf("bob%d", round)
			a := must[*workspaceT](t)(s.CreateWorkspace(ctx, "ana", "A", "")).ID
			join(t, s, "ana", a, bob, "admin")
			raceForLicence(t, s, round, bob,
				func() error { return s.TransferOwnership(ctx, "ana", a, bob) },
				func() error { _, err := s.CreateWorkspace(ctx, bob, "Mine", ""); return err })
		}
	})
}

// TestCreateWorkspaceRacesSharing: a user shares their personal workspace
// (by inviting into it, seed 000) while creating another workspace. Either
// order is fine; CreateWorkspace must not fail with ErrNotFound, and
// EnsurePersonal must return a personal workspace.
func TestCreateWorkspaceRacesSharing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "spaces", open(t), newClock())
		for round := range 30 {
			u := fmt.Sprintf("olivia%d", round)
			p := must[*workspaceT](t)(s.EnsurePersonal(ctx, u))
			var wg sync.WaitGroup
			var invErr, createErr, ensureErr error
			var ensured *workspaceT
			wg.Add(3)
			go func() { defer wg.Done(); _, invErr = s.Invite(ctx, u, p.ID, "x@example.com", "member") }()
			go func() { defer wg.Done(); _, createErr = s.CreateWorkspace(ctx, u, "Other", "") }()
			go func() { defer wg.Done(); ensured, ensureErr = s.EnsurePersonal(ctx, u) }()
			wg.Wait()
			check(t, invErr)
			if createErr != nil {
				t.Fatalf("round %d: CreateWorkspace while sharing the personal workspace: %v", round, createErr)
			}
			check(t, ensureErr)
			if ensured.Kind.String() != "personal" {
				t.Fatalf("round %d: EnsurePersonal returned workspace %s of kind %s", round, ensured.ID, ensured.Kind)
			}
		}
	})
}

// TestEnsurePersonalRacesSharing: EnsurePersonal racing the sharing of the
// user's personal workspace must return a personal workspace (a new one if
// the old one became shared), never the shared one.
func TestEnsurePersonalRacesSharing(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s := newService(t, "spaces", open(t), newClock())
		for round := range 50 {
			u := fmt.Sprintf("olivia%d", round)
			p := must[*workspaceT](t)(s.EnsurePersonal(ctx, u))
			var wg sync.WaitGroup
			var invErr, ensureErr error
			var ensured *workspaceT
			wg.Add(2)
			go func() { defer wg.Done(); _, invErr = s.Invite(ctx, u, p.ID, "x@example.com", "member") }()
			go func() { defer wg.Done(); ensured, ensureErr = s.EnsurePersonal(ctx, u) }()
			wg.Wait()
			check(t, invErr)
			check(t, ensureErr)
			if ensured.Kind.String() != "personal" {
				t.Fatalf("round %d: EnsurePersonal returned workspace %s of kind %s", round, ensured.ID, ensured.Kind)
			}
		}
	})
}
