package storagetest

import (
	"context"
	"testing"

	"github.com/charterhq/charter/storage"
)

// testBulkWorkspaces checks CreateWorkspaces and the bulk reads against the
// one-record methods they stand for.
func testBulkWorkspaces(t *testing.T, s storage.Store) {
	ctx := context.Background()
	seed(t, s) // a (shared, ann) and p (ann's personal)
	var made []storage.Workspace
	for i := range 250 { // past SQLite's rows per statement
		w := workspace(name("w", i), "shared", name("u", i%7))
		w.Version = 9 // ignored: created at version 1
		made = append(made, w)
	}
	made = append(made, workspace("pb", "personal", "bob"), workspace("pc", "personal", "cat"))
	update(t, s, func(tx storage.Tx) error { return tx.CreateWorkspaces(ctx, made) })
	for _, run := range []func(context.Context, func(storage.Tx) error) error{s.View, s.Update} {
		err := run(ctx, func(tx storage.Tx) error {
			got, err := tx.WorkspacesIn(ctx, []string{"w002", "zzz", "a", "w002", "pb", "w249"})
			noErr(t, "WorkspacesIn", err)
			var want []storage.Workspace
			for _, id := range []string{"a", "pb", "w002", "w249"} {
				w, err := tx.Workspace(ctx, id)
				noErr(t, "Workspace("+id+")", err)
				if w.Version != 1 {
					t.Errorf("Workspace(%s).Version = %d, want 1", id, w.Version)
				}
				want = append(want, w)
			}
			diff(t, "WorkspacesIn", got, want)
			got, err = tx.WorkspacesIn(ctx, nil)
			noErr(t, "WorkspacesIn(nil)", err)
			diff(t, "WorkspacesIn(nil)", got, []storage.Workspace(nil))

			got, err = tx.PersonalWorkspacesOf(ctx, []string{"cat", "u001", "ann", "bob", "nobody"})
			noErr(t, "PersonalWorkspacesOf", err)
			want = want[:0]
			for _, u := range []string{"bob", "cat", "ann"} { // by ID: pb, pc, p... sorted below
				w, err := tx.PersonalWorkspace(ctx, u)
				noErr(t, "PersonalWorkspace("+u+")", err)
				want = append(want, w)
			}
			want = []storage.Workspace{want[2], want[0], want[1]} // p, pb, pc
			diff(t, "PersonalWorkspacesOf", got, want)

			counts, err := tx.OwnedSharedOf(ctx, []string{"u000", "u006", "ann", "bob", "nobody"})
			noErr(t, "OwnedSharedOf", err)
			wantCounts := map[string]int{}
			for _, u := range []string{"u000", "u006", "ann", "bob", "nobody"} {
				n, err := tx.OwnedShared(ctx, u)
				noErr(t, "OwnedShared("+u+")", err)
				if n > 0 {
					wantCounts[u] = n
				}
			}
			diff(t, "OwnedSharedOf", counts, wantCounts)
			if counts["u000"] != 36 || counts["ann"] != 1 {
				t.Errorf("OwnedSharedOf = %v, want u000: 36, ann: 1", counts)
			}
			return nil
		})
		noErr(t, "bulk reads", err)
	}

	// A taken ID, an ID given twice, a second personal workspace: each
	// fails, and the Update that returns the error writes nothing.
	before := snap(t, s)
	for _, tt := range []struct {
		name string
		ws   []storage.Workspace
	}{
		{"taken ID", []storage.Workspace{workspace("new1", "shared", "x"), workspace("w100", "shared", "x")}},
		{"ID twice", []storage.Workspace{workspace("new1", "shared", "x"), workspace("new1", "shared", "y")}},
		{"second personal", []storage.Workspace{workspace("new1", "shared", "x"), workspace("new2", "personal", "bob")}},
		{"two personal", []storage.Workspace{workspace("new1", "personal", "x"), workspace("new2", "personal", "x")}},
	} {
		err := s.Update(ctx, func(tx storage.Tx) error { return tx.CreateWorkspaces(ctx, tt.ws) })
		wantErr(t, "CreateWorkspaces, "+tt.name, err, storage.ErrExists)
	}
	diff(t, "state after failed CreateWorkspaces", snap(t, s), before)
}

// testBulkMembers checks InsertMembers against PutMember and Access.
func testBulkMembers(t *testing.T, s storage.Store) {
	ctx := context.Background()
	seed(t, s)
	// Access has read a's members before, as a cached check would.
	if _, _, ok, err := s.Access(ctx, "a", "u000"); err != nil || ok {
		t.Fatalf("Access(a, u000) before = %t, %v; want not a member", ok, err)
	}
	var ms []storage.Member
	for i := range 230 {
		role := []string{"member", "admin", "guest"}[i%3]
		m := member("a", name("u", i), role)
		if role == "guest" {
			m.Projects = []string{"x", name("p", i)}
		}
		ms = append(ms, m)
	}
	ms = append(ms, member("p", "bob", "member"))
	update(t, s, func(tx storage.Tx) error { return tx.InsertMembers(ctx, ms) })
	view(t, s, func(tx storage.Tx) error {
		for _, m := range ms {
			got, err := tx.Member(ctx, m.Workspace, m.User)
			noErr(t, "Member", err)
			diff(t, "Member("+m.User+")", got, m)
		}
		got, err := tx.Members(ctx, "a")
		noErr(t, "Members(a)", err)
		if len(got) != 2+230 {
			t.Errorf("len(Members(a)) = %d, want %d", len(got), 2+230)
		}
		return nil
	})
	_, m, ok, err := s.Access(ctx, "a", "u002")
	if err != nil || !ok {
		t.Fatalf("Access(a, u002) after = %t, %v; want a member", ok, err)
	}
	diff(t, "Access(a, u002)", m, ms[2])

	before := snap(t, s)
	for _, tt := range []struct {
		name string
		ms   []storage.Member
		want error
	}{
		{"existing member", []storage.Member{member("a", "new", "member"), member("a", "u100", "member")}, storage.ErrExists},
		{"member twice", []storage.Member{member("a", "new", "member"), member("a", "new", "admin")}, storage.ErrExists},
		{"no workspace", []storage.Member{member("a", "new", "member"), member("zzz", "new", "member")}, storage.ErrNotFound},
	} {
		err := s.Update(ctx, func(tx storage.Tx) error { return tx.InsertMembers(ctx, tt.ms) })
		wantErr(t, "InsertMembers, "+tt.name, err, tt.want)
	}
	diff(t, "state after failed InsertMembers", snap(t, s), before)
}

// testBulkEvents checks that AppendEvents numbers its events as
// AppendEvent would, gapless and in order.
func testBulkEvents(t *testing.T, s storage.Store) {
	ctx := context.Background()
	var es []storage.Event
	for i := range 205 {
		es = append(es, event(name("w", i%3), name("e", i)))
	}
	update(t, s, func(tx storage.Tx) error {
		if _, err := tx.AppendEvent(ctx, event("a", "first")); err != nil {
			return err
		}
		last, err := tx.AppendEvents(ctx, es)
		if err != nil {
			return err
		}
		if last != 206 {
			t.Errorf("AppendEvents = %d, want 206", last)
		}
		if last, err := tx.AppendEvents(ctx, nil); err != nil || last != 0 {
			t.Errorf("AppendEvents(nil) = %d, %v; want 0, nil", last, err)
		}
		seq, err := tx.AppendEvent(ctx, event("a", "last"))
		if seq != 207 {
			t.Errorf("AppendEvent after AppendEvents = %d, want 207", seq)
		}
		return err
	})
	// A rolled-back AppendEvents uses up no numbers.
	err := s.Update(ctx, func(tx storage.Tx) error {
		if _, err := tx.AppendEvents(ctx, es[:3]); err != nil {
			return err
		}
		return errBoom
	})
	wantErr(t, "Update", err, errBoom)
	update(t, s, func(tx storage.Tx) error {
		_, err := tx.AppendEvent(ctx, event("a", "after"))
		return err
	})
	got := allEvents(t, s)
	checkSeqs(t, got)
	if len(got) != 208 {
		t.Fatalf("len(events) = %d, want 208", len(got))
	}
	for i, e := range es {
		e.Seq = int64(i + 2)
		diff(t, "event "+e.Type, got[i+1], e)
	}
}
