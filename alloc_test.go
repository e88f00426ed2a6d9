package charter_test

import (
	"testing"
)

// TestCanDoesNotAllocate pins Service.Can on the memory store at zero
// allocations, on every path a check takes: a member allowed and denied, a
// non-member, an unknown workspace and an unknown action; in a workspace
// with a logo and preferences.
func TestCanDoesNotAllocate(t *testing.T) {
	s, id := team(t) // ana owns id, ben is a member
	// A logo and preferences ride along with the header a check reads;
	// they cost a check nothing.
	ok(t, s.SetLogo(ctx, "ana", id, "https://example.com/logo.png"))
	ok(t, s.SetPreferences(ctx, "ana", id, map[string]string{"theme": "dark", "lang": "fr"}, nil))
	for _, tt := range []struct {
		name, actor, action, id string
		want                    bool
	}{
		{"member allowed", "ben", "invite_members", id, true},
		{"member denied", "ben", "remove_members", id, false},
		{"non-member", "cat", "invite_members", id, false},
		{"unknown workspace", "ben", "invite_members", "ws_none", false},
		{"unknown action", "ben", "fly", id, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(200, func() {
				got, err := s.Can(ctx, tt.actor, tt.action, tt.id)
				if err != nil || got != tt.want {
					t.Fatalf("Can(%s, %s, %s) = %t, %v; want %t", tt.actor, tt.action, tt.id, got, err, tt.want)
				}
			})
			if allocs != 0 {
				t.Errorf("Can(%s, %s, %s): %v allocations, want 0", tt.actor, tt.action, tt.id, allocs)
			}
		})
	}
}
