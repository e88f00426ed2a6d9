package backendtest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/storage"
)

// TestImportOnEveryBackend imports the same file on every backend: the
// same workspaces, a second run that changes nothing, and a bad record that
// takes its whole batch with it.
func TestImportOnEveryBackend(t *testing.T) {
	const file = `{"id": "acme", "name": "Acme", "plan": "business", "owner": "ann", "members": [{"user": "bob", "role": "admin"}, {"user": "cat", "role": "member"}], "guests": [{"user": "gus", "projects": ["roadmap"]}]}
{"id": "ann-home", "kind": "personal", "owner": "ann", "plan": "business"}
{"id": "beta", "plan": "starter", "owner": "bob", "members": [{"user": "ann", "role": "admin"}]}
`
	forEachBackend(t, func(t *testing.T, open func(tb testing.TB) storage.Store) {
		s := newService(t, "team-guests", open(t), newClock())
		prog, err := s.Import(ctx, strings.NewReader(file), charter.ImportOptions{Batch: 2})
		check(t, err)
		if prog.Created != 3 {
			t.Errorf("import: %+v, want 3 created", prog)
		}
		acme := must[*workspaceT](t)(s.Workspace(ctx, "cat", "acme"))
		if acme.Len() != 4 || member(acme, "gus").Role.Name != "guest" {
			t.Errorf("acme has %d members, gus is %v", acme.Len(), member(acme, "gus").Role)
		}
		if !must[bool](t)(s.Can(ctx, "ann", "update_roles", "beta")) || must[bool](t)(s.Can(ctx, "cat", "remove_members", "acme")) {
			t.Error("imported roles decide wrongly")
		}
		if home := must[*workspaceT](t)(s.EnsurePersonal(ctx, "ann")); home.ID != "ann-home" {
			t.Errorf("ann's personal workspace is %s", home.ID)
		}
		prog, err = s.Import(ctx, strings.NewReader(file), charter.ImportOptions{})
		if err != nil || prog.Created != 0 || prog.Skipped != 3 {
			t.Errorf("second import: %+v, %v; want 3 skipped", prog, err)
		}
		bad := `{"id": "gamma", "owner": "cat"}
{"id": "acme", "plan": "business", "owner": "ann"}
`
		_, err = s.Import(ctx, strings.NewReader(bad), charter.ImportOptions{})
		var ie *charter.ImportError
		if !errors.As(err, &ie) || ie.Line != 2 || !errors.Is(err, charter.ErrExists) {
			t.Errorf("a clashing record: %v, want line 2 and ErrExists", err)
		}
		if _, err := s.Workspace(ctx, "cat", "gamma"); !errors.Is(err, charter.ErrNotFound) {
			t.Errorf("gamma, in the failed batch, was written: %v", err)
		}
	})
}
