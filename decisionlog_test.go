package charter_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/workspace"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestDecisionLog checks what a decision log records: every decision of
// Can, Decide and Permissions, allowed and denied, with the rule that
// decided; and that the hook receives the same decisions.
func TestDecisionLog(t *testing.T) {
	var buf bytes.Buffer
	var hooked []charter.DecisionRecord
	s, w := studio(t, charter.Options{
		DecisionLog: slog.New(slog.NewJSONHandler(&buf, nil)),
		OnDecision:  func(_ context.Context, r charter.DecisionRecord) { hooked = append(hooked, r) },
	})
	p := s.Policy()
	if buf.Len() != 0 || len(hooked) != 0 {
		t.Fatalf("changes were decision-logged: %s", buf.String())
	}

	allowed, err := s.Can(ctx, "rita", "view_visuals", w.ID)
	ok(t, err)
	d, err := s.Decide(ctx, "rita", "delete_workspace", w.ID, "")
	ok(t, err)
	_, err = s.Decide(ctx, "mallory", "view_visuals", w.ID, "")
	ok(t, err)
	ps, err := s.Permissions(ctx, "rita", w.ID)
	ok(t, err)
	_, err = s.Permissions(ctx, "mallory", w.ID)
	if !errors.Is(err, charter.ErrNotFound) || !allowed || d.Allowed {
		t.Fatalf("Can = %t, Decide = %v, Permissions(outsider) = %v", allowed, d, err)
	}

	type line struct {
		Msg, Actor, Action, Workspace, Reason, Rule, Error string
		Allowed                                            bool
		Duration                                           int64
	}
	var lines []line
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var got line
		if err := json.Unmarshal([]byte(l), &got); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		if got.Msg != "charter.decision" || got.Duration <= 0 {
			t.Errorf("log line %q: want msg charter.decision and a duration", l)
		}
		got.Msg, got.Duration = "", 0
		lines = append(lines, got)
	}
	n := len(p.Actions())
	if want := 3 + n + 1; len(lines) != want || len(hooked) != want {
		t.Fatalf("%d log lines and %d hooked records, want %d:\n%s", len(lines), len(hooked), want, buf.String())
	}
	file := "testdata/policies/credit-pool.yaml"
	want := []line{
		{Actor: "rita", Action: "view_visuals", Workspace: w.ID, Allowed: true, Reason: "allowed"},
		{Actor: "rita", Action: "delete_workspace", Workspace: w.ID, Reason: "role lacks action"},
		{Actor: "mallory", Action: "view_visuals", Workspace: w.ID, Reason: "not a member"},
	}
	for i, wl := range want {
		got := lines[i]
		if !strings.HasPrefix(got.Rule, file+":") && wl.Reason != "not a member" {
			t.Errorf("line %d: rule %q, want a position in %s", i, got.Rule, file)
		}
		if wl.Reason == "not a member" && got.Rule != "" {
			t.Errorf("line %d: an outsider's denial names rule %q", i, got.Rule)
		}
		got.Rule = ""
		if diff := cmp.Diff(wl, got); diff != "" {
			t.Errorf("line %d (-want +got):\n%s", i, diff)
		}
	}
	for i, a := range p.Actions() {
		got, hook := lines[3+i], hooked[3+i]
		wd, _ := ps.Decision(a.Name)
		if got.Action != a.Name || got.Allowed != wd.Allowed || got.Reason != wd.Reason.String() || got.Rule != wd.Pos.String() {
			t.Errorf("Permissions line %d = %+v, want the set's %v", i, got, wd)
		}
		if diff := cmp.Diff(wd, hook.Decision); diff != "" {
			t.Errorf("hooked Permissions record %d (-set +hook):\n%s", i, diff)
		}
	}
	last := hooked[len(hooked)-1]
	if last.Actor != "mallory" || !errors.Is(last.Err, charter.ErrNotFound) || lines[len(lines)-1].Error == "" {
		t.Errorf("outsider's Permissions record = %+v, log %+v; want its ErrNotFound", last, lines[len(lines)-1])
	}
	if diff := cmp.Diff(charter.DecisionRecord{Actor: "rita", Action: "delete_workspace", Workspace: w.ID, Decision: d}, hooked[1],
		cmpopts.IgnoreFields(charter.DecisionRecord{}, "Duration")); diff != "" {
		t.Errorf("hooked Decide record (-want +got):\n%s", diff)
	}
}

// TestDecisionLogLevel checks that a logger whose level is above Info gets
// nothing, while the hook still does.
func TestDecisionLogLevel(t *testing.T) {
	var buf bytes.Buffer
	calls := 0
	s, w := studio(t, charter.Options{
		DecisionLog: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn})),
		OnDecision:  func(context.Context, charter.DecisionRecord) { calls++ },
	})
	_, err := s.Can(ctx, "rita", "view_visuals", w.ID)
	ok(t, err)
	if buf.Len() != 0 || calls != 1 {
		t.Errorf("log %q, %d hook calls; want nothing logged and one call", buf.String(), calls)
	}
}

// studio returns a Service on the credit-pool policy with opts, and a
// workspace of olga's where rita is a reviewer.
func studio(tb testing.TB, opts charter.Options) (*charter.Service, *workspace.Workspace) {
	tb.Helper()
	p, err := policy.LoadFile(filepath.Join("testdata", "policies", "credit-pool.yaml"))
	ok(tb, err)
	s, err := charter.New(p, memory.New(), opts)
	ok(tb, err)
	w, err := s.CreateWorkspace(ctx, "olga", "Studio", "")
	ok(tb, err)
	inv, err := s.Invite(ctx, "olga", w.ID, "rita@example.com", "reviewer")
	ok(tb, err)
	_, err = s.Accept(ctx, "rita", "rita@example.com", inv.Token)
	ok(tb, err)
	return s, w
}

// TestDecisionLogRefusals: a call the policy refuses is decision-logged,
// spends included, with the role and plan in the slog record; an allowed
// change is not (its event records it).
func TestDecisionLogRefusals(t *testing.T) {
	var buf bytes.Buffer
	var hooked []charter.DecisionRecord
	s, w := studio(t, charter.Options{
		DecisionLog: slog.New(slog.NewJSONHandler(&buf, nil)),
		OnDecision:  func(_ context.Context, r charter.DecisionRecord) { hooked = append(hooked, r) },
	})
	_, err := s.Spend(ctx, "rita", "create_visuals", w.ID, "k1")
	if !errors.Is(err, charter.ErrForbidden) {
		t.Fatalf("reviewer's spend: %v, want ErrForbidden", err)
	}
	_, err = s.Invite(ctx, "rita", w.ID, "x@example.com", "editor")
	if !errors.Is(err, charter.ErrForbidden) {
		t.Fatalf("reviewer's invite: %v, want ErrForbidden", err)
	}
	ok(t, s.Rename(ctx, "olga", w.ID, "Renamed"))
	if len(hooked) != 2 {
		t.Fatalf("%d records, want the two refusals: %+v", len(hooked), hooked)
	}
	if r := hooked[0]; r.Actor != "rita" || r.Action != "create_visuals" || r.Workspace != w.ID || r.Decision.Allowed || r.Decision.Pos.IsZero() {
		t.Errorf("spend refusal record %+v", r)
	}
	if r := hooked[1]; r.Actor != "rita" || r.Decision.Allowed || r.Decision.Reason == policy.Allowed {
		t.Errorf("invite refusal record %+v", r)
	}
	line, _, _ := strings.Cut(buf.String(), "\n")
	if !strings.Contains(line, `"role":"reviewer"`) || !strings.Contains(line, `"plan":`) {
		t.Errorf("slog record without role or plan: %s", line)
	}
}
