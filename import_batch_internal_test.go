package charter

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/charterhq/charter/policy"
	"github.com/charterhq/charter/role"
	"github.com/charterhq/charter/workspace"
)

// TestImportedState checks the hand-written JSON of an import's event
// against json.Marshal of the map it stands for, byte for byte.
func TestImportedState(t *testing.T) {
	p, err := policy.LoadFile(filepath.Join("testdata", "policies", "team-guests.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	for _, kind := range []workspace.Kind{workspace.Shared, workspace.Personal} {
		for _, name := range []string{
			"", "Acme", "A & B", "<b", "a>b", `say "hi"`, `back\slash`, "tab\there", "\x01", "Zürich ☃",
			"line\u2028sep", "bad\xffutf8", "del\x7f", "/path?q=1#x",
		} {
			w, err := workspace.New("ws-1", kind, p.DefaultPlan(), "ann", p.CreatorRole(kind), now)
			if err != nil {
				t.Fatal(err)
			}
			w.Name = name
			if kind == workspace.Shared {
				var member *role.Role
				for _, r := range p.Roles() {
					if !r.Guest && !r.Owner && p.DefaultPlan().Offers(r) {
						member = r
					}
				}
				if err := w.Add("bob", member, nil, now); err != nil {
					t.Fatal(err)
				}
			}
			want, err := json.Marshal(map[string]any{"kind": w.Kind.String(), "plan": w.Plan.Name, "name": w.Name, "members": w.Len()})
			if err != nil {
				t.Fatal(err)
			}
			if got := importedState(w); got != string(want) {
				t.Errorf("importedState(%s, %q) = %s, want %s", kind, name, got, want)
			}
		}
	}
}
