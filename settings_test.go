package charter_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/charterhq/charter"
)

// TestRename: the update_settings operation renames, once, with its event;
// others are refused and outsiders see no workspace. In the video-studio
// policy only the Owner renames, and the Owner exists only in a user's
// original (personal) workspace, shared here by inviting into it.
func TestRename(t *testing.T) {
	s := newService(t, "video-studio")
	w, err := s.EnsurePersonal(ctx, "oz")
	ok(t, err)
	ok(t, s.Rename(ctx, "oz", w.ID, "Studio"))
	created, err := s.CreateWorkspace(ctx, "oz", "New", "")
	ok(t, err)
	if err := s.Rename(ctx, "oz", created.ID, "Mine"); !errors.Is(err, charter.ErrForbidden) {
		t.Errorf("the creating Admin of a new workspace renaming it: %v, want ErrForbidden (Owner only, and no Owner there)", err)
	}
	inv, err := s.Invite(ctx, "oz", w.ID, "ed@example.com", "editor")
	ok(t, err)
	_, err = s.Accept(ctx, "ed", "ed@example.com", inv.Token)
	ok(t, err)

	ok(t, s.Rename(ctx, "oz", w.ID, "Studio 2"))
	ok(t, s.Rename(ctx, "oz", w.ID, "Studio 2")) // no change, no event
	got, err := s.Workspace(ctx, "ed", w.ID)
	ok(t, err)
	if got.Name != "Studio 2" {
		t.Errorf("name = %q, want Studio 2", got.Name)
	}
	es, err := s.Events(ctx, w.ID, 0, 100)
	ok(t, err)
	var renames []charter.Event
	for _, e := range es {
		if e.Type == charter.EventWorkspaceRenamed {
			renames = append(renames, e)
		}
	}
	if len(renames) != 2 {
		t.Fatalf("%d rename events, want 2", len(renames))
	}
	var before, after map[string]string
	ok(t, json.Unmarshal(renames[1].Before, &before))
	ok(t, json.Unmarshal(renames[1].After, &after))
	if before["name"] != "Studio" || after["name"] != "Studio 2" || renames[1].Actor != "oz" {
		t.Errorf("rename event %+v: before %v after %v", renames[1], before, after)
	}

	if err := s.Rename(ctx, "ed", w.ID, "Mine"); !errors.Is(err, charter.ErrForbidden) {
		t.Errorf("editor renaming: %v, want ErrForbidden", err)
	}
	if err := s.Rename(ctx, "eve", w.ID, "Mine"); !errors.Is(err, charter.ErrNotFound) {
		t.Errorf("outsider renaming: %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"", "a\x00b", string(make([]byte, 201))} {
		if err := s.Rename(ctx, "oz", w.ID, bad); !errors.Is(err, charter.ErrInvalid) {
			t.Errorf("Rename(%q): %v, want ErrInvalid", bad, err)
		}
	}
}

// eventsOf returns the events of type typ in workspace id.
func eventsOf(t *testing.T, s *charter.Service, id, typ string) []charter.Event {
	t.Helper()
	es, err := s.Events(ctx, id, 0, 1000)
	ok(t, err)
	var out []charter.Event
	for _, e := range es {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

// states decodes an event's Before and After.
func states[T any](t *testing.T, e charter.Event) (before, after T) {
	t.Helper()
	ok(t, json.Unmarshal(e.Before, &before))
	ok(t, json.Unmarshal(e.After, &after))
	return before, after
}

// TestSetLogo: an admin sets, changes and removes the logo, each change
// once with its event; members are refused, outsiders see no workspace, and
// every reader returns the logo.
func TestSetLogo(t *testing.T) {
	s, id := team(t) // ana admin, ben member
	const logo = "https://cdn.example.com/team.png?v=1"
	ok(t, s.SetLogo(ctx, "ana", id, logo))
	ok(t, s.SetLogo(ctx, "ana", id, logo)) // no change, no event
	w, err := s.Workspace(ctx, "ben", id)
	ok(t, err)
	if w.Logo != logo {
		t.Errorf("Workspace(ben).Logo = %q, want %q", w.Logo, logo)
	}
	ok(t, s.SetLogo(ctx, "ana", id, "http://example.com/b.svg"))
	ok(t, s.SetLogo(ctx, "ana", id, ""))
	w, err = s.Workspace(ctx, "ana", id)
	ok(t, err)
	if w.Logo != "" {
		t.Errorf("logo after removal = %q, want none", w.Logo)
	}
	es := eventsOf(t, s, id, charter.EventLogoChanged)
	want := [][2]string{{"", logo}, {logo, "http://example.com/b.svg"}, {"http://example.com/b.svg", ""}}
	if len(es) != len(want) {
		t.Fatalf("%d logo events, want %d", len(es), len(want))
	}
	for i, e := range es {
		before, after := states[map[string]string](t, e)
		if before["logo"] != want[i][0] || after["logo"] != want[i][1] || e.Actor != "ana" {
			t.Errorf("logo event %d: actor %s, before %v, after %v; want %v", i, e.Actor, before, after, want[i])
		}
	}
	if err := s.SetLogo(ctx, "ben", id, logo); !errors.Is(err, charter.ErrForbidden) {
		t.Errorf("member setting the logo: %v, want ErrForbidden", err)
	}
	if err := s.SetLogo(ctx, "eve", id, logo); !errors.Is(err, charter.ErrNotFound) {
		t.Errorf("outsider setting the logo: %v, want ErrNotFound", err)
	}
	// Settings are every admin's on any plan ("Update the workspace-wide
	// settings"); the guest switch is Business only.
	starter, err := s.CreateWorkspace(ctx, "ana", "Small", "starter")
	ok(t, err)
	if err := s.SetLogo(ctx, "ana", starter.ID, logo); err != nil {
		t.Errorf("logo on Starter: %v", err)
	}
	if err := s.SetGuestsDisabled(ctx, "ana", starter.ID, true); !errors.Is(err, charter.ErrForbidden) {
		t.Errorf("disabling guests on Starter: %v, want ErrForbidden", err)
	}
}

// TestLogoRule is the logo rule, input by input: the reason of each
// refusal, before the store is read.
func TestLogoRule(t *testing.T) {
	s, id := team(t)
	for _, tt := range []struct{ logo, reason string }{
		{"https://example.com/logo.png", ""},
		{"http://example.com", ""},
		{"HTTPS://EXAMPLE.COM/A.PNG", ""},
		{"https://[::1]:8443/l.png#frag", ""},
		{"https://example.com/" + strings.Repeat("a", charter.MaxLogoBytes-20), ""},
		{"https://example.com/" + strings.Repeat("a", charter.MaxLogoBytes-19), "is longer than 2048 bytes"},
		{"https://example.com/a\x00.png", "contains a control character"},
		{"https://example.com/a\n.png", "contains a control character"},
		{"https://example.com/\xff", "is not valid UTF-8"},
		{"https://example.com/a b.png", "contains a space"},
		{"https://example.com/a\u00a0b.png", "contains a space"},
		{"/logo.png", "is not an absolute http or https URL"},
		{"example.com/logo.png", "is not an absolute http or https URL"},
		{"javascript:alert(1)", "is not an absolute http or https URL"},
		{"data:image/png;base64,AAAA", "is not an absolute http or https URL"},
		{"ftp://example.com/l.png", "is not an absolute http or https URL"},
		{"https:///l.png", "has no host"},
		{"https:l.png", "has no host"},
		{"https://:443/l.png", "has no host"},
		{"https://user:secret@example.com/l.png", "carries user credentials"},
		{"https://exa%zzmple.com/", "is not a URL"},
	} {
		err := s.SetLogo(ctx, "ana", id, tt.logo)
		if tt.reason == "" {
			if err != nil {
				t.Errorf("SetLogo(%q) = %v, want it accepted", short(tt.logo), err)
			}
			continue
		}
		ie := inputError(t, err)
		if ie.Field != "logo" || !strings.HasPrefix(ie.Reason, tt.reason) {
			t.Errorf("SetLogo(%q): %s %s, want logo %s", short(tt.logo), ie.Field, ie.Reason, tt.reason)
		}
	}
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// TestSetPreferences: preferences are set, changed and removed, each call
// that changes something with one event of the keys it changed; the
// getters return them as the caller's own copy; the limits and the
// permission hold.
func TestSetPreferences(t *testing.T) {
	s, id := team(t)
	ok(t, s.SetPreferences(ctx, "ana", id, map[string]string{"theme": "dark", "lang": "fr", "empty": ""}, nil))
	ok(t, s.SetPreferences(ctx, "ana", id, map[string]string{"theme": "dark"}, []string{"absent"})) // no change
	ok(t, s.SetPreferences(ctx, "ana", id, nil, nil))                                               // no change
	ok(t, s.SetPreferences(ctx, "ana", id, map[string]string{"theme": "light", "ui.density": "compact"}, []string{"lang", "absent"}))
	w, err := s.Workspace(ctx, "ben", id)
	ok(t, err)
	want := map[string]string{"theme": "light", "ui.density": "compact", "empty": ""}
	if diff := cmp.Diff(want, w.Preferences); diff != "" {
		t.Errorf("Workspace(ben).Preferences (-want +got):\n%s", diff)
	}
	w.Preferences["theme"] = "changed by the caller"
	w, err = s.Workspace(ctx, "ana", id)
	ok(t, err)
	if w.Preferences["theme"] != "light" {
		t.Errorf("a caller's change of a returned map reached the store: theme %q", w.Preferences["theme"])
	}

	es := eventsOf(t, s, id, charter.EventPreferencesChanged)
	if len(es) != 2 {
		t.Fatalf("%d preference events, want 2", len(es))
	}
	str := func(v string) *string { return &v }
	for i, wantStates := range [][2]map[string]*string{
		{{"theme": nil, "lang": nil, "empty": nil}, {"theme": str("dark"), "lang": str("fr"), "empty": str("")}},
		{{"theme": str("dark"), "ui.density": nil, "lang": str("fr")}, {"theme": str("light"), "ui.density": str("compact"), "lang": nil}},
	} {
		before, after := states[map[string]*string](t, es[i])
		if diff := cmp.Diff(wantStates, [2]map[string]*string{before, after}); diff != "" {
			t.Errorf("preference event %d (-want +got):\n%s", i, diff)
		}
	}

	// Removing every key leaves none.
	ok(t, s.SetPreferences(ctx, "ana", id, nil, []string{"theme", "ui.density", "empty"}))
	w, err = s.Workspace(ctx, "ana", id)
	ok(t, err)
	if w.Preferences != nil {
		t.Errorf("preferences after removing every key = %v, want nil", w.Preferences)
	}

	// At most MaxPreferences keys, counted after the change.
	full := map[string]string{}
	for i := range charter.MaxPreferences {
		full[fmt.Sprintf("k%02d", i)] = "v"
	}
	ok(t, s.SetPreferences(ctx, "ana", id, full, nil))
	ie := inputError(t, s.SetPreferences(ctx, "ana", id, map[string]string{"one.more": "x"}, nil))
	if ie.Field != "preferences" {
		t.Errorf("a 33rd key: field %q, want preferences", ie.Field)
	}
	ok(t, s.SetPreferences(ctx, "ana", id, map[string]string{"one.more": "x"}, []string{"k00"})) // one out, one in

	if err := s.SetPreferences(ctx, "ben", id, map[string]string{"theme": "x"}, nil); !errors.Is(err, charter.ErrForbidden) {
		t.Errorf("member setting preferences: %v, want ErrForbidden", err)
	}
	if err := s.SetPreferences(ctx, "eve", id, map[string]string{"theme": "x"}, nil); !errors.Is(err, charter.ErrNotFound) {
		t.Errorf("outsider setting preferences: %v, want ErrNotFound", err)
	}
}

// TestPreferenceRules is the input rule of SetPreferences, case by case:
// the field and reason of each refusal.
func TestPreferenceRules(t *testing.T) {
	s, id := team(t)
	many := map[string]string{}
	for i := range charter.MaxPreferences + 1 {
		many[fmt.Sprint("k", i)] = ""
	}
	for _, tt := range []struct {
		name          string
		set           map[string]string
		unset         []string
		field, reason string
	}{
		{"longest key and value", map[string]string{strings.Repeat("k", 64): strings.Repeat("é", 512)}, nil, "", ""},
		{"every key character", map[string]string{"az_09.-": "v"}, []string{"z-9_."}, "", ""},
		{"empty key", map[string]string{"": "v"}, nil, "preference key", "is empty"},
		{"empty unset key", nil, []string{""}, "preference key", "is empty"},
		{"key too long", map[string]string{strings.Repeat("k", 65): "v"}, nil, "preference key", "is longer than 64 bytes"},
		{"upper case key", map[string]string{"Theme": "v"}, nil, "preference key", "holds a character outside"},
		{"space in key", map[string]string{"a b": "v"}, nil, "preference key", "holds a character outside"},
		{"slash in unset key", nil, []string{"a/b"}, "preference key", "holds a character outside"},
		{"non-ASCII key", map[string]string{"thème": "v"}, nil, "preference key", "holds a character outside"},
		{"NUL in key", map[string]string{"a\x00": "v"}, nil, "preference key", "contains a control character"},
		{"value too long", map[string]string{"k": strings.Repeat("v", 1025)}, nil, "preference value", "is longer than 1024 bytes"},
		{"tab in value", map[string]string{"k": "a\tb"}, nil, "preference value", "contains a control character"},
		{"invalid UTF-8 value", map[string]string{"k": "\xc3"}, nil, "preference value", "is not valid UTF-8"},
		{"set and unset", map[string]string{"k": "v"}, []string{"k"}, "preference key", "is both set and unset"},
		{"too many keys at once", many, nil, "preferences", "sets more than 32 keys"},
	} {
		err := s.SetPreferences(ctx, "ana", id, tt.set, tt.unset)
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %v, want it accepted", tt.name, err)
			}
			continue
		}
		ie := inputError(t, err)
		if ie.Field != tt.field || !strings.HasPrefix(ie.Reason, tt.reason) {
			t.Errorf("%s: %s %s, want %s %s", tt.name, ie.Field, ie.Reason, tt.field, tt.reason)
		}
	}
}
