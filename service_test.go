package charter_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
)

// The root package's tests run on the in-memory store only; the tests that
// need every backend live in package backendtest.

var ctx = context.Background()

// newService returns a Service on the shipped policy called name and a fresh
// in-memory store.
func newService(tb testing.TB, name string) *charter.Service {
	tb.Helper()
	p, err := policy.LoadFile(filepath.Join("testdata", "policies", name+".yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := charter.New(p, memory.New(), charter.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// team returns a Service on the team-guests policy and a Business workspace
// of ana (owner) with ben, a member.
func team(t *testing.T) (*charter.Service, string) {
	t.Helper()
	s := newService(t, "team-guests")
	w, err := s.CreateWorkspace(ctx, "ana", "Team", "business")
	ok(t, err)
	inv, err := s.Invite(ctx, "ana", w.ID, "ben@example.com", "member")
	ok(t, err)
	_, err = s.Accept(ctx, "ben", "ben@example.com", inv.Token)
	ok(t, err)
	return s, w.ID
}

func ok(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// forbidden returns err's decision, failing unless err is a *ForbiddenError.
func forbidden(tb testing.TB, err error) policy.Decision {
	tb.Helper()
	var fe *charter.ForbiddenError
	if !errors.As(err, &fe) || !errors.Is(err, charter.ErrForbidden) {
		tb.Fatalf("err = %v, want a *ForbiddenError", err)
	}
	return fe.Decision
}

func TestNewNeedsPolicyAndStore(t *testing.T) {
	if _, err := charter.New(nil, memory.New(), charter.Options{}); !errors.Is(err, charter.ErrInvalid) {
		t.Errorf("New(nil policy) = %v, want ErrInvalid", err)
	}
}
