package charter_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/workspace"
)

func TestCreateWorkspaceWithID(t *testing.T) {
	s := importService(t, ownerTeam)
	w := need[*workspace.Workspace](t)(s.CreateWorkspace(ctx, "ana", "Acme", "business", charter.WithID("acme")))
	if w.ID != "acme" {
		t.Fatalf("CreateWorkspace(WithID(acme)) made %q", w.ID)
	}
	if got := need[*workspace.Workspace](t)(s.Workspace(ctx, "ana", "acme")); got.Name != "Acme" || got.Owner != "ana" {
		t.Errorf("Workspace(acme) = %q owned by %s", got.Name, got.Owner)
	}
	if !need[bool](t)(s.Can(ctx, "ana", "invite_members", "acme")) {
		t.Error("the owner may not invite into acme")
	}

	_, err := s.CreateWorkspace(ctx, "bea", "Other", "business", charter.WithID("acme"))
	if !errors.Is(err, charter.ErrExists) || errors.Is(err, charter.ErrConflict) || !strings.Contains(err.Error(), `"acme"`) {
		t.Errorf("a second acme: %v, want ErrExists (and not ErrConflict) naming it", err)
	}
	// All or nothing: not even bea's personal workspace, which the
	// creation would have made, stays.
	if ws := allWorkspaces(t, s, "bea"); len(ws) != 0 {
		t.Errorf("after the refused creation bea has %+v, want nothing", ws)
	}

	generated := need[*workspace.Workspace](t)(s.CreateWorkspace(ctx, "ana", "Mine", ""))
	if !strings.HasPrefix(generated.ID, "ws_") || len(generated.ID) != 35 {
		t.Errorf("without WithID the ID is %q, want ws_ and 32 hex digits", generated.ID)
	}
}

func TestWorkspaceIDRejected(t *testing.T) {
	s := importService(t, ownerTeam)
	for _, tt := range []struct{ name, id, reason string }{
		{"empty", "", "is empty"},
		{"too long", strings.Repeat("a", 201), "201 bytes long"},
		{"not UTF-8", "ws\xff", "not valid UTF-8"},
		{"NUL", "ws\x00", "U+0000"},
		{"newline", "ws\n1", "U+000A"},
		{"tab", "ws\t1", "U+0009"},
		{"DEL", "ws\x7f", "U+007F"},
		{"C1 control", "ws\u0085", "U+0085"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for call, err := range map[string]error{
				"CreateWorkspace":  second(s.CreateWorkspace(ctx, "ana", "A", "", charter.WithID(tt.id))),
				"EnsurePersonal":   second(s.EnsurePersonal(ctx, "ana", charter.WithID(tt.id))),
				"CheckWorkspaceID": charter.CheckWorkspaceID(tt.id),
			} {
				var ie *charter.IDError
				if !errors.As(err, &ie) || !errors.Is(err, charter.ErrInvalid) || !strings.Contains(err.Error(), tt.reason) {
					t.Errorf("%s(%q) = %v, want an *IDError wrapping ErrInvalid saying %q", call, tt.id, err, tt.reason)
				}
			}
		})
	}
	if ws := allWorkspaces(t, s, "ana"); len(ws) != 0 {
		t.Errorf("refused IDs made workspaces: %+v", ws)
	}
	for _, id := range []string{"a", "acme-42", "tenant/7", "Zürich 🏔", strings.Repeat("é", 100)} {
		if err := charter.CheckWorkspaceID(id); err != nil {
			t.Errorf("CheckWorkspaceID(%q) = %v, want nil", id, err)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestEnsurePersonalWithID(t *testing.T) {
	s := importService(t, ownerTeam)
	home := need[*workspace.Workspace](t)(s.EnsurePersonal(ctx, "ana", charter.WithID("home-ana")))
	if home.ID != "home-ana" || home.Kind != workspace.Personal {
		t.Fatalf("EnsurePersonal(WithID(home-ana)) = %q (%v)", home.ID, home.Kind)
	}
	if again := need[*workspace.Workspace](t)(s.EnsurePersonal(ctx, "ana", charter.WithID("home-ana"))); again.ID != "home-ana" {
		t.Errorf("the same call again gave %q", again.ID)
	}
	if again := need[*workspace.Workspace](t)(s.EnsurePersonal(ctx, "ana")); again.ID != "home-ana" {
		t.Errorf("EnsurePersonal without an ID gave %q, want home-ana", again.ID)
	}
	if _, err := s.EnsurePersonal(ctx, "ana", charter.WithID("other")); !errors.Is(err, charter.ErrExists) || !strings.Contains(err.Error(), `"home-ana"`) {
		t.Errorf("a second personal ID for ana: %v, want ErrExists naming home-ana", err)
	}
	if _, err := s.EnsurePersonal(ctx, "ben", charter.WithID("home-ana")); !errors.Is(err, charter.ErrExists) {
		t.Errorf("ben taking ana's ID: %v, want ErrExists", err)
	}
	// CreateWorkspace makes its owner's personal workspace, under a
	// generated ID, when there is none yet.
	need[*workspace.Workspace](t)(s.CreateWorkspace(ctx, "cat", "Cat's", ""))
	if _, err := s.EnsurePersonal(ctx, "cat", charter.WithID("home-cat")); !errors.Is(err, charter.ErrExists) {
		t.Errorf("cat's personal workspace after CreateWorkspace: %v, want ErrExists", err)
	}
}

// FuzzCheckWorkspaceID holds CheckWorkspaceID to its rule: 1 to MaxIDLen
// bytes of UTF-8 without control characters, and an *IDError otherwise.
func FuzzCheckWorkspaceID(f *testing.F) {
	for _, s := range []string{"", "acme", "a\tb", "ws\xff", strings.Repeat("x", 201), "Zürich"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		err := charter.CheckWorkspaceID(id)
		want := id != "" && len(id) <= charter.MaxIDLen && utf8.ValidString(id) && !strings.ContainsFunc(id, unicode.IsControl)
		var ie *charter.IDError
		if (err == nil) != want || err != nil && (!errors.As(err, &ie) || !errors.Is(err, charter.ErrInvalid)) {
			t.Errorf("CheckWorkspaceID(%q) = %v, want valid %t", id, err, want)
		}
	})
}
