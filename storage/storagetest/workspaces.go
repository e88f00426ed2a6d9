package storagetest

import (
	"context"
	"github.com/charterhq/charter/credits"
	workspace_ "github.com/charterhq/charter/workspace"
	"maps"
	"testing"

	"github.com/charterhq/charter/storage"
)

func testWorkspaceCreate(t *testing.T, s storage.Store) {
	ctx := context.Background()
	a := workspace("a", "shared", "ann")
	a.Version = 7 // ignored: a new workspace is at version 1
	a.Settings.GuestsDisabled = true
	a.Logo, a.Preferences = "https://example.com/a.png", map[string]string{"theme": "dark", "ui.lang": "fr"}
	p := workspace("p", "personal", "ann")
	update(t, s, func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, a); err != nil {
			return err
		}
		if err := tx.CreateWorkspace(ctx, p); err != nil {
			return err
		}
		// Visible inside the transaction that wrote it.
		got, err := tx.Workspace(ctx, "a")
		noErr(t, "Workspace in Update", err)
		if got.Version != 1 {
			t.Errorf("Workspace(a).Version in Update = %d, want 1", got.Version)
		}
		return nil
	})
	a.Version = 1
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Workspace(ctx, "a")
		noErr(t, "Workspace(a)", err)
		diff(t, "Workspace(a)", got, a)
		got, err = tx.PersonalWorkspace(ctx, "ann")
		noErr(t, "PersonalWorkspace(ann)", err)
		diff(t, "PersonalWorkspace(ann)", got, p)
		_, err = tx.Workspace(ctx, "zzz")
		wantErr(t, "Workspace(zzz)", err, storage.ErrNotFound)
		_, err = tx.PersonalWorkspace(ctx, "bob")
		wantErr(t, "PersonalWorkspace(bob)", err, storage.ErrNotFound)
		return nil
	})
	// Also visible to a read-write transaction.
	update(t, s, func(tx storage.Tx) error {
		got, err := tx.Workspace(ctx, "p")
		noErr(t, "Workspace(p) in Update", err)
		diff(t, "Workspace(p) in Update", got, p)
		_, err = tx.Workspace(ctx, "zzz")
		wantErr(t, "Workspace(zzz) in Update", err, storage.ErrNotFound)
		return nil
	})
}

func testWorkspaceExists(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "CreateWorkspace(a)", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "CreateWorkspace(p)", tx.CreateWorkspace(ctx, workspace("p", "personal", "ann")))
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		wantErr(t, "CreateWorkspace(a) again", tx.CreateWorkspace(ctx, workspace("a", "shared", "bob")), storage.ErrExists)
		wantErr(t, "CreateWorkspace(p) again as shared", tx.CreateWorkspace(ctx, workspace("p", "shared", "bob")), storage.ErrExists)
		wantErr(t, "second personal workspace of ann", tx.CreateWorkspace(ctx, workspace("q", "personal", "ann")), storage.ErrExists)
		noErr(t, "personal workspace of bob", tx.CreateWorkspace(ctx, workspace("q", "personal", "bob")))
		noErr(t, "second shared workspace of ann", tx.CreateWorkspace(ctx, workspace("b", "shared", "ann")))
		return nil
	})
	sn := snap(t, s)
	diff(t, "personal workspaces", sn.Personal, map[string]string{"ann": "p", "bob": "q"})
	if got := sn.Workspaces["a"].Owner; got != "ann" {
		t.Errorf("owner of a = %q, want ann (a failed create must not overwrite)", got)
	}
	// Duplicates inside one transaction are refused too.
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "CreateWorkspace(new)", tx.CreateWorkspace(ctx, workspace("new", "personal", "cat")))
		wantErr(t, "CreateWorkspace(new) twice in one tx", tx.CreateWorkspace(ctx, workspace("new", "shared", "dan")), storage.ErrExists)
		wantErr(t, "second personal of cat in one tx", tx.CreateWorkspace(ctx, workspace("b2", "personal", "cat")), storage.ErrExists)
		return nil
	})
}

func testWorkspaceUpdate(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		return tx.CreateWorkspace(ctx, workspace("a", "shared", "ann"))
	})
	want := storage.Workspace{
		ID: "a", Name: "Renamed", Kind: workspace_.Shared, Plan: "business", Owner: "bob",
		BillingContact: "billing@example.com", Settings: workspace_.Settings{GuestsDisabled: true},
		Logo: "https://example.com/logo.svg", Preferences: map[string]string{"colour": "#ff8800"},
		Created: at(10), Anchor: at(11), Version: 2,
	}
	update(t, s, func(tx storage.Tx) error {
		return tx.UpdateWorkspace(ctx, want)
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Workspace(ctx, "a")
		noErr(t, "Workspace(a)", err)
		diff(t, "Workspace(a) after update", got, want)
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		stale := want // still version 2, the stored version
		stale.Name = "stale"
		wantErr(t, "UpdateWorkspace at the stored version", tx.UpdateWorkspace(ctx, stale), storage.ErrConflict)
		stale.Version = 1
		wantErr(t, "UpdateWorkspace at an older version", tx.UpdateWorkspace(ctx, stale), storage.ErrConflict)
		stale.Version = 4
		wantErr(t, "UpdateWorkspace skipping a version", tx.UpdateWorkspace(ctx, stale), storage.ErrConflict)
		gone := workspace("zzz", "shared", "ann")
		gone.Version = 2
		wantErr(t, "UpdateWorkspace(zzz)", tx.UpdateWorkspace(ctx, gone), storage.ErrNotFound)
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Workspace(ctx, "a")
		noErr(t, "Workspace(a)", err)
		diff(t, "Workspace(a) after refused updates", got, want)
		return nil
	})
	// Two updates in one transaction.
	update(t, s, func(tx storage.Tx) error {
		for v := int64(3); v <= 4; v++ {
			w, err := tx.Workspace(ctx, "a")
			if err != nil {
				return err
			}
			w.Version++
			if w.Version != v {
				t.Errorf("version read in tx = %d, want %d", w.Version-1, v-1)
			}
			if err := tx.UpdateWorkspace(ctx, w); err != nil {
				return err
			}
		}
		return nil
	})
	if got := snap(t, s).Workspaces["a"].Version; got != 4 {
		t.Errorf("version after two updates = %d, want 4", got)
	}
}

// testWorkspaceLogoPreferences round-trips a workspace's logo and
// preferences through every read, with text JSON must escape, and checks
// that a store keeps its own copy of the map it is given, and that
// preferences emptied read back as none.
func testWorkspaceLogoPreferences(t *testing.T, s storage.Store) {
	ctx := context.Background()
	prefs := map[string]string{
		"theme": "dark", "ui.lang": "fr-CA", "empty": "", "quote": `say "hi" \ <b>&amp;</b>`,
		"unicode": "Zoë — 日本語 🎬", "json": `{"a":[1,2]}`,
	}
	w := workspace("a", "shared", "ann")
	w.Logo, w.Preferences = "https://cdn.example.com/logos/a.png?v=2&size=64#x", prefs
	mine := maps.Clone(prefs)
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "CreateWorkspace(a)", tx.CreateWorkspace(ctx, w))
		noErr(t, "CreateWorkspace(b)", tx.CreateWorkspace(ctx, workspace("b", "shared", "ann")))
		noErr(t, "PutMember", tx.PutMember(ctx, member("a", "ann", "owner")))
		return tx.PutMember(ctx, member("b", "ann", "owner"))
	})
	prefs["theme"], prefs["new"] = "changed after the write", "x" // the store's copy must not see it
	w.Preferences = mine
	read := func(step string, want storage.Workspace) {
		t.Helper()
		view(t, s, func(tx storage.Tx) error {
			got, err := tx.Workspace(ctx, "a")
			noErr(t, "Workspace(a)", err)
			diff(t, step+": Workspace(a)", got, want)
			ws, err := tx.WorkspacesOf(ctx, "ann")
			noErr(t, "WorkspacesOf(ann)", err)
			if len(ws) != 2 {
				t.Fatalf("%s: WorkspacesOf(ann) = %d workspaces, want 2", step, len(ws))
			}
			diff(t, step+": WorkspacesOf(ann)[0]", ws[0], want)
			if ws[1].Logo != "" || ws[1].Preferences != nil {
				t.Errorf("%s: workspace b has logo %q, preferences %v; want none", step, ws[1].Logo, ws[1].Preferences)
			}
			return nil
		})
		for range 2 { // a second call may be answered from a cache
			checkAccess(t, s, step, "a", "ann")
		}
		got, _, _, err := s.Access(ctx, "a", "ann")
		noErr(t, "Access(a, ann)", err)
		diff(t, step+": Access(a, ann)", got, want)
	}
	read("created", w)

	w.Version, w.Logo, w.Preferences = 2, "http://example.com/b.png", map[string]string{"theme": "light"}
	update(t, s, func(tx storage.Tx) error { return tx.UpdateWorkspace(ctx, w) })
	read("updated", w)

	w.Version, w.Logo, w.Preferences = 3, "", map[string]string{}
	update(t, s, func(tx storage.Tx) error { return tx.UpdateWorkspace(ctx, w) })
	w.Preferences = nil
	read("cleared", w)
}

// testWorkspacePersonalIndex checks that the one-personal-workspace-per-owner
// rule follows updates of kind and owner.
func testWorkspacePersonalIndex(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create p", tx.CreateWorkspace(ctx, workspace("p", "personal", "ann")))
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		a := workspace("a", "personal", "ann")
		a.Version = 2
		wantErr(t, "make a personal while ann has p", tx.UpdateWorkspace(ctx, a), storage.ErrExists)
		return nil
	})
	// Moving p to bob frees ann's slot.
	update(t, s, func(tx storage.Tx) error {
		p := workspace("p", "personal", "bob")
		p.Version = 2
		return tx.UpdateWorkspace(ctx, p)
	})
	sn := snap(t, s)
	diff(t, "personal after owner change", sn.Personal, map[string]string{"bob": "p"})
	// Now a can become ann's personal workspace.
	update(t, s, func(tx storage.Tx) error {
		a := workspace("a", "personal", "ann")
		a.Version = 2
		return tx.UpdateWorkspace(ctx, a)
	})
	// Turning p into a shared workspace frees bob's slot.
	update(t, s, func(tx storage.Tx) error {
		p := workspace("p", "shared", "bob")
		p.Version = 3
		if err := tx.UpdateWorkspace(ctx, p); err != nil {
			return err
		}
		return tx.CreateWorkspace(ctx, workspace("q", "personal", "bob"))
	})
	sn = snap(t, s)
	diff(t, "personal after kind change", sn.Personal, map[string]string{"ann": "a", "bob": "q"})
	diff(t, "owned shared", sn.OwnedShared, map[string]int{"ann": 0, "bob": 1, "cat": 0, "dan": 0})
}

func testOwnedShared(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		for _, w := range []storage.Workspace{
			workspace("a", "shared", "ann"), workspace("b", "shared", "ann"),
			workspace("p", "personal", "ann"), workspace("q", "shared", "bob"),
		} {
			if err := tx.CreateWorkspace(ctx, w); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		for user, want := range map[string]int{"ann": 2, "bob": 1, "cat": 0} {
			got, err := tx.OwnedShared(ctx, user)
			noErr(t, "OwnedShared", err)
			if got != want {
				t.Errorf("OwnedShared(%q) = %d, want %d", user, got, want)
			}
		}
		return nil
	})
}

func testWorkspacesOf(t *testing.T, s storage.Store) {
	ctx := context.Background()
	ws := map[string]storage.Workspace{
		"b": workspace("b", "shared", "ann"),
		"a": workspace("a", "shared", "bob"),
		"p": workspace("p", "personal", "ann"),
		"q": workspace("q", "shared", "cat"),
	}
	update(t, s, func(tx storage.Tx) error {
		for _, id := range []string{"b", "a", "p", "q"} {
			if err := tx.CreateWorkspace(ctx, ws[id]); err != nil {
				return err
			}
		}
		for _, m := range []storage.Member{
			member("b", "ann", "owner"), member("a", "ann", "admin"), member("p", "ann", "owner"),
			member("a", "bob", "owner"), member("q", "cat", "owner"),
		} {
			if err := tx.PutMember(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.WorkspacesOf(ctx, "ann")
		noErr(t, "WorkspacesOf(ann)", err)
		diff(t, "WorkspacesOf(ann)", got, []storage.Workspace{ws["a"], ws["b"], ws["p"]})
		got, err = tx.WorkspacesOf(ctx, "dan")
		noErr(t, "WorkspacesOf(dan)", err)
		diff(t, "WorkspacesOf(dan)", got, []storage.Workspace(nil))
		return nil
	})
	update(t, s, func(tx storage.Tx) error { return tx.DeleteMember(ctx, "a", "ann") })
	diff(t, "WorkspacesOf after leaving", snap(t, s).Of["ann"], []string{"b", "p"})
}

func testWorkspaceDeleteCascades(t *testing.T, s storage.Store) {
	ctx := context.Background()
	seed(t, s)
	// A second workspace with the same shape must be untouched.
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create b", tx.CreateWorkspace(ctx, workspace("b", "shared", "bob")))
		noErr(t, "member", tx.PutMember(ctx, member("b", "bob", "owner")))
		noErr(t, "invitation", tx.CreateInvitation(ctx, invitation("b", "i2", "tok2", at(1))))
		noErr(t, "pool", tx.CreatePool(ctx, storage.Pool{Workspace: "b", Currency: "credits"}))
		noErr(t, "grant", tx.PutGrant(ctx, "b", "credits", grant("g1", 10, 10)))
		noErr(t, "allowance", tx.PutAllowance(ctx, "b", "credits", credits.Allowance{Member: "bob", Amount: 5}))
		noErr(t, "idempotency", tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "b", Key: "k1", Created: at(1)}))
		return nil
	})
	before := snap(t, s)
	update(t, s, func(tx storage.Tx) error { return tx.DeleteWorkspace(ctx, "a") })
	update(t, s, func(tx storage.Tx) error { return tx.DeleteWorkspace(ctx, "p") })
	after := snap(t, s)

	want := before
	delete(want.Workspaces, "a")
	delete(want.Workspaces, "p")
	delete(want.Personal, "ann")
	want.OwnedShared["ann"] = 0
	delete(want.Of, "ann")
	want.Of["bob"] = []string{"b"}
	delete(want.Members, "a")
	delete(want.Members, "p")
	delete(want.Invitations, "a")
	delete(want.ByToken, "tok1")
	delete(want.Pools, "a")
	delete(want.Grants, "a/credits")
	delete(want.Allowances, "a/credits")
	delete(want.Idem, "a/k1")
	// Events and journal entries stay.
	diff(t, "state after DeleteWorkspace", after, want)
	if len(after.Events) != 2 || len(after.Entries["a/credits"]) != 2 {
		t.Errorf("DeleteWorkspace removed audit trail: %d events, %d entries, want 2 and 2", len(after.Events), len(after.Entries["a/credits"]))
	}

	update(t, s, func(tx storage.Tx) error {
		wantErr(t, "DeleteWorkspace(a) again", tx.DeleteWorkspace(ctx, "a"), storage.ErrNotFound)
		wantErr(t, "DeleteWorkspace(zzz)", tx.DeleteWorkspace(ctx, "zzz"), storage.ErrNotFound)
		return nil
	})
	// Everything the workspace held can be created again: IDs, the
	// personal slot, the token, the idempotency key, the pool.
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "recreate a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "recreate p", tx.CreateWorkspace(ctx, workspace("p", "personal", "ann")))
		noErr(t, "recreate invitation", tx.CreateInvitation(ctx, invitation("a", "i1", "tok1", at(1))))
		noErr(t, "recreate pool", tx.CreatePool(ctx, storage.Pool{Workspace: "a", Currency: "credits"}))
		noErr(t, "recreate key", tx.PutIdempotency(ctx, storage.Idempotency{Workspace: "a", Key: "k1", Created: at(1)}))
		ms, err := tx.Members(ctx, "a")
		noErr(t, "Members(a)", err)
		diff(t, "members of recreated a", ms, []storage.Member(nil))
		gs, err := tx.Grants(ctx, "a", "credits")
		noErr(t, "Grants", err)
		diff(t, "grants of recreated a", gs, []credits.Grant(nil))
		return nil
	})
}
