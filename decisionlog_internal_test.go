package charter

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
)

// loggedService returns a Service on the credit-pool policy with opts and
// the ID of a workspace where rita is a reviewer.
func loggedService(tb testing.TB, opts Options) (*Service, string) {
	tb.Helper()
	ctx := context.Background()
	p, err := policy.LoadFile(filepath.Join("testdata", "policies", "credit-pool.yaml"))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(p, memory.New(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	w, err := s.CreateWorkspace(ctx, "olga", "Studio", "")
	if err != nil {
		tb.Fatal(err)
	}
	inv, err := s.Invite(ctx, "olga", w.ID, "rita@example.com", "reviewer")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.Accept(ctx, "rita", "rita@example.com", inv.Token); err != nil {
		tb.Fatal(err)
	}
	return s, w.ID
}

// TestDecisionLogOffCostsNothing pins that with no decision log, Decide and
// ProjectPermissions allocate exactly what the unlogged paths under them
// do: the log adds no allocation.
func TestDecisionLogOffCostsNothing(t *testing.T) {
	ctx := context.Background()
	s, id := loggedService(t, Options{})
	for _, action := range []string{"view_visuals", "create_visuals"} {
		off := testing.AllocsPerRun(200, func() { s.Decide(ctx, "rita", action, id, "") })
		base := testing.AllocsPerRun(200, func() { s.decideUnlogged(ctx, "rita", action, id, "") })
		if off != base {
			t.Errorf("Decide(%s) with no decision log: %v allocations, unlogged %v", action, off, base)
		}
	}
	off := testing.AllocsPerRun(200, func() { s.ProjectPermissions(ctx, "rita", id, "") })
	base := testing.AllocsPerRun(200, func() { s.permissions(ctx, "rita", id, "") })
	if off != base {
		t.Errorf("ProjectPermissions with no decision log: %v allocations, unlogged %v", off, base)
	}
}

// BenchmarkDecisionLog measures Decide of a free action without the log
// (the path under Decide), with the log off, with a JSON slog logger
// writing to io.Discard, and with a hook that does nothing.
func BenchmarkDecisionLog(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, s *Service, id string, decide func(*Service, string) (Decision, error)) {
		b.ReportAllocs()
		for b.Loop() {
			if d, err := decide(s, id); err != nil || !d.Allowed {
				b.Fatal(d, err)
			}
		}
	}
	unlogged := func(s *Service, id string) (Decision, error) {
		return s.decideUnlogged(ctx, "rita", "view_visuals", id, "")
	}
	decide := func(s *Service, id string) (Decision, error) { return s.Decide(ctx, "rita", "view_visuals", id, "") }
	s, id := loggedService(b, Options{})
	b.Run("unlogged", func(b *testing.B) { run(b, s, id, unlogged) })
	b.Run("off", func(b *testing.B) { run(b, s, id, decide) })
	s, id = loggedService(b, Options{DecisionLog: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	b.Run("slog-json", func(b *testing.B) { run(b, s, id, decide) })
	s, id = loggedService(b, Options{OnDecision: func(context.Context, DecisionRecord) {}})
	b.Run("hook", func(b *testing.B) { run(b, s, id, decide) })
}
