package backendtest_test

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// TestSettingsEveryBackend changes a workspace's name, logo and preferences
// on every backend: every reader returns them, each change records its one
// event, a change of nothing records none, and an editor (not allowed to
// edit settings in the credit-pool policy) is refused.
func TestSettingsEveryBackend(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) storage.Store) {
		s, _, id := gateWorkspace(t, open) // ana owner, ben editor
		const logo = "https://cdn.example.com/team.png"
		check(t, s.Rename(ctx, "ana", id, "Studio"))
		check(t, s.SetLogo(ctx, "ana", id, logo))
		check(t, s.SetPreferences(ctx, "ana", id, map[string]string{"theme": "dark", "lang": "fr"}, nil))
		check(t, s.SetPreferences(ctx, "ana", id, map[string]string{"theme": "dark"}, []string{"none"})) // nothing
		check(t, s.SetPreferences(ctx, "ana", id, map[string]string{"theme": "light"}, []string{"lang"}))
		wantErr(t, s.SetLogo(ctx, "ben", id, "https://example.com/x.png"), charter.ErrForbidden)
		wantErr(t, s.SetPreferences(ctx, "ben", id, map[string]string{"theme": "x"}, nil), charter.ErrForbidden)

		w := must[*workspaceT](t)(s.Workspace(ctx, "ben", id))
		if w.Name != "Studio" || w.Logo != logo || !cmp.Equal(w.Preferences, map[string]string{"theme": "light"}) {
			t.Errorf("Workspace = name %q, logo %q, preferences %v", w.Name, w.Logo, w.Preferences)
		}
		ms, _, err := s.Workspaces(ctx, "ben", charter.Page{})
		check(t, err)
		if len(ms) != 1 || ms[0].Logo != logo || ms[0].Name != "Studio" {
			t.Errorf("Workspaces(ben) = %+v, want Studio with its logo", ms)
		}
		if ok, err := s.Can(ctx, "ben", "view_visuals", id); !ok || err != nil {
			t.Errorf("Can after the changes = %t, %v", ok, err)
		}

		es := must[[]charter.Event](t)(s.Events(ctx, id, 0, 100))
		var got []string
		for _, e := range es {
			switch e.Type {
			case charter.EventWorkspaceRenamed, charter.EventLogoChanged, charter.EventPreferencesChanged:
				got = append(got, e.Type+" "+string(e.Before)+" -> "+string(e.After))
			}
		}
		want := []string{
			`workspace.renamed {"name":"Team"} -> {"name":"Studio"}`,
			`workspace.logo_changed {"logo":""} -> {"logo":"https://cdn.example.com/team.png"}`,
			`workspace.preferences_changed {"lang":null,"theme":null} -> {"lang":"fr","theme":"dark"}`,
			`workspace.preferences_changed {"lang":"fr","theme":"dark"} -> {"lang":null,"theme":"light"}`,
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("settings events (-want +got):\n%s", d)
		}
		for _, e := range es {
			if !json.Valid(e.After) && e.After != nil {
				t.Errorf("event %s: After is not JSON: %s", e.Type, e.After)
			}
		}

		check(t, s.SetLogo(ctx, "ana", id, ""))
		check(t, s.SetPreferences(ctx, "ana", id, nil, []string{"theme"}))
		w = must[*workspaceT](t)(s.Workspace(ctx, "ana", id))
		if w.Logo != "" || w.Preferences != nil {
			t.Errorf("after removing them: logo %q, preferences %v", w.Logo, w.Preferences)
		}
	})
}
