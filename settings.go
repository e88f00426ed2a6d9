package charter

import (
	"context"
	"fmt"
	"maps"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// This file holds the calls that change a workspace's settings, all under
// the policy's update_settings operation ("Change Workspace Name/Logo",
// "Edit workspace settings" on the product pages): its name, its logo, the
// application's preferences and charter's own settings. Each records its
// event when it changes something, and nothing when it changes nothing.
//
// The application's preferences are kept apart from workspace.Settings:
// Settings are what the policy reads (guests disabled denies every guest),
// while preferences are the application's own small values (a theme, a
// default language, a colour) that charter stores, returns and records
// changes of, but never reads.

// Events of the settings calls beside EventWorkspaceRenamed and
// EventSettingsChanged.
const (
	// EventLogoChanged records SetLogo: Before and After are
	// {"logo": url}, "" for none.
	EventLogoChanged = "workspace.logo_changed"
	// EventPreferencesChanged records SetPreferences: Before and After map
	// each key that changed to its value, null where the key was absent
	// (Before) or was removed (After). Keys that did not change are left
	// out.
	EventPreferencesChanged = "workspace.preferences_changed"
)

// Rename gives the workspace a new display name, where the policy lets actor
// update its settings (the update_settings operation). The name is 1 to
// MaxNameBytes bytes of UTF-8 without control characters; renaming to the
// current name changes nothing and records nothing. It records an
// EventWorkspaceRenamed with the old and new names.
func (s *Service) Rename(ctx context.Context, actor, id, name string) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isName("workspace name", name)); err != nil {
		return err
	}
	return s.setText(ctx, actor, id, EventWorkspaceRenamed, "name", name, func(w *workspace.Workspace) *string { return &w.Name })
}

// setText is the body of Rename and SetLogo: it gives the text field of
// workspace id that field points to the value v, and records an event of
// type typ with the old and new values under key; a value that is already
// there changes nothing and records nothing.
func (s *Service) setText(ctx context.Context, actor, id, typ, key, v string, field func(*workspace.Workspace) *string) error {
	return s.in(ctx, actor, id, gate{op: policy.OpUpdateSettings, write: true, part: true}, func(tx storage.Tx, l *loaded) error {
		p := field(l.ws)
		before := *p
		if before == v {
			return nil
		}
		*p = v
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		return s.record(ctx, tx, id, actor, s.clock(), event{Type: typ,
			Before: map[string]string{key: before}, After: map[string]string{key: v}})
	})
}

// SetLogo sets the URL of the workspace's logo, or removes it when logo is
// "", under the update_settings operation, as Rename. A logo is an absolute
// http or https URL with a host, of at most MaxLogoBytes bytes, without
// control characters, spaces or user credentials; charter keeps it as
// given and never fetches it. Setting the current logo changes nothing and
// records nothing; otherwise it records an EventLogoChanged.
func (s *Service) SetLogo(ctx context.Context, actor, id, logo string) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id), isLogo(logo)); err != nil {
		return err
	}
	return s.setText(ctx, actor, id, EventLogoChanged, "logo", logo, func(w *workspace.Workspace) *string { return &w.Logo })
}

// SetPreferences changes the application's preferences of the workspace
// (Workspace.Preferences), under the update_settings operation, as Rename:
// it gives each key of set its value and removes each key of unset (a key
// that is not there is no change). A key is 1 to MaxPreferenceKeyBytes
// bytes of a-z, 0-9, '_', '.' and '-'; a value is at most
// MaxPreferenceValueBytes bytes of UTF-8 without control characters, and may
// be empty. A key may not be both set and unset, and the workspace holds at
// most MaxPreferences keys afterwards (more is an *InputError of the field
// "preferences"). A call that changes nothing records nothing; otherwise it
// records one EventPreferencesChanged with the keys that changed.
func (s *Service) SetPreferences(ctx context.Context, actor, id string, set map[string]string, unset []string) error {
	args, bad := preferenceArgs(set, unset)
	if err := s.check(ctx, append([]arg{isID("actor", actor), isID("workspace", id)}, args...)...); err != nil {
		return err
	}
	if bad != nil {
		return bad
	}
	return s.in(ctx, actor, id, gate{op: policy.OpUpdateSettings, write: true, part: true}, func(tx storage.Tx, l *loaded) error {
		after, before, changed, err := applyPreferences(l.ws.Preferences, set, unset)
		if err != nil || len(changed) == 0 {
			return err
		}
		l.ws.Preferences = after
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		return s.record(ctx, tx, id, actor, s.clock(), event{Type: EventPreferencesChanged, Before: before, After: changed})
	})
}

// applyPreferences returns cur with set given and unset removed, as a new
// map (nil when empty; cur is not changed), and the keys that changed, each
// with its old value in before and its new one in changed (nil for none).
// More than MaxPreferences keys is an *InputError.
func applyPreferences(cur, set map[string]string, unset []string) (out map[string]string, before, changed map[string]*string, err error) {
	before, changed = map[string]*string{}, map[string]*string{}
	note := func(k string, old, new *string) {
		if _, seen := before[k]; !seen {
			before[k] = old
		}
		changed[k] = new
	}
	out = maps.Clone(cur)
	if out == nil {
		out = map[string]string{}
	}
	for k, v := range set {
		if old, ok := out[k]; !ok || old != v {
			if ok {
				note(k, &old, &v)
			} else {
				note(k, nil, &v)
			}
			out[k] = v
		}
	}
	for _, k := range unset {
		if old, ok := out[k]; ok {
			note(k, &old, nil)
			delete(out, k)
		}
	}
	if len(out) > MaxPreferences {
		return nil, nil, nil, &InputError{Field: "preferences", Reason: fmt.Sprintf("would hold more than %d keys", MaxPreferences), Value: fmt.Sprint(len(out))}
	}
	if len(out) == 0 {
		out = nil
	}
	return out, before, changed, nil
}

// checkPreferences checks a whole map of preferences, as an import record
// gives it, by SetPreferences' rules.
func checkPreferences(prefs map[string]string) error {
	args, err := preferenceArgs(prefs, nil)
	if err != nil {
		return err
	}
	for i := range args {
		if err := args[i].check(); err != nil {
			return err
		}
	}
	return nil
}

// SetGuestsDisabled turns guest access off or on (the team-guests policy: an admin setting
// offered on plans with the feature). Disabled guests are denied everything
// and no guest can be added; their grants stay for when guests are enabled.
func (s *Service) SetGuestsDisabled(ctx context.Context, actor, id string, disabled bool) error {
	if err := s.check(ctx, isID("actor", actor), isID("workspace", id)); err != nil {
		return err
	}
	return s.in(ctx, actor, id, gate{op: policy.OpGuestAccess, write: true, part: true}, func(tx storage.Tx, l *loaded) error {
		before := l.ws.Settings
		if before.GuestsDisabled == disabled {
			return nil
		}
		l.ws.Settings.GuestsDisabled = disabled
		if err := s.save(ctx, tx, l); err != nil {
			return err
		}
		return s.record(ctx, tx, id, actor, s.clock(), event{Type: EventSettingsChanged, Before: before, After: l.ws.Settings})
	})
}
