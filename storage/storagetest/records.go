package storagetest

import (
	"context"
	"testing"

	"github.com/charterhq/charter/storage"
)

func testMembers(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "create b", tx.CreateWorkspace(ctx, workspace("b", "shared", "dan")))
		// Out of order, to check Members sorts.
		for _, m := range []storage.Member{member("a", "dan", "member"), member("a", "ann", "owner"), member("a", "cat", "admin"), member("b", "dan", "owner")} {
			if err := tx.PutMember(ctx, m); err != nil {
				return err
			}
		}
		wantErr(t, "PutMember in a missing workspace", tx.PutMember(ctx, member("zzz", "ann", "owner")), storage.ErrNotFound)
		return nil
	})
	// Replace cat's membership.
	cat := member("a", "cat", "member")
	cat.Joined = at(9)
	update(t, s, func(tx storage.Tx) error { return tx.PutMember(ctx, cat) })
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Members(ctx, "a")
		noErr(t, "Members(a)", err)
		diff(t, "Members(a)", got, []storage.Member{member("a", "ann", "owner"), cat, member("a", "dan", "member")})
		m, err := tx.Member(ctx, "a", "cat")
		noErr(t, "Member(a, cat)", err)
		diff(t, "Member(a, cat)", m, cat)
		_, err = tx.Member(ctx, "b", "ann")
		wantErr(t, "Member(b, ann)", err, storage.ErrNotFound)
		_, err = tx.Member(ctx, "zzz", "ann")
		wantErr(t, "Member(zzz, ann)", err, storage.ErrNotFound)
		got, err = tx.Members(ctx, "zzz")
		noErr(t, "Members(zzz)", err)
		diff(t, "Members(zzz)", got, []storage.Member(nil))
		return nil
	})
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "DeleteMember(a, dan)", tx.DeleteMember(ctx, "a", "dan"))
		wantErr(t, "DeleteMember(a, dan) again", tx.DeleteMember(ctx, "a", "dan"), storage.ErrNotFound)
		wantErr(t, "DeleteMember(a, zoe)", tx.DeleteMember(ctx, "a", "zoe"), storage.ErrNotFound)
		return nil
	})
	sn := snap(t, s)
	diff(t, "members after delete", sn.Members, map[string][]storage.Member{
		"a": {member("a", "ann", "owner"), cat},
		"b": {member("b", "dan", "owner")},
	})
}

func testMemberProjects(t *testing.T, s storage.Store) {
	ctx := context.Background()
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "nil projects", tx.PutMember(ctx, storage.Member{Workspace: "a", User: "ann", Role: "owner", Joined: t0}))
		noErr(t, "empty projects", tx.PutMember(ctx, storage.Member{Workspace: "a", User: "bob", Role: "member", Projects: []string{}, Joined: t0}))
		noErr(t, "some projects", tx.PutMember(ctx, member("a", "cat", "guest", "alpha", "beta", "with space", `q"uote`)))
		return nil
	})
	projects := []string{"alpha", "beta", "with space", `q"uote`}
	check := func(tx storage.Tx) error {
		for user, want := range map[string][]string{"ann": nil, "bob": nil, "cat": projects} {
			m, err := tx.Member(ctx, "a", user)
			noErr(t, "Member", err)
			if (m.Projects == nil) != (want == nil) || len(m.Projects) != len(want) {
				t.Errorf("Member(a, %s).Projects = %#v, want %#v", user, m.Projects, want)
			}
			diff(t, "Projects of "+user, m.Projects, want)
		}
		ms, err := tx.Members(ctx, "a")
		noErr(t, "Members", err)
		for _, m := range ms {
			if m.User != "cat" && m.Projects != nil {
				t.Errorf("Members: %s.Projects = %#v, want nil", m.User, m.Projects)
			}
		}
		return nil
	}
	view(t, s, check)
	// A caller that changes a returned slice does not change the store.
	view(t, s, func(tx storage.Tx) error {
		m, err := tx.Member(ctx, "a", "cat")
		noErr(t, "Member", err)
		m.Projects[0] = "mutated"
		return nil
	})
	view(t, s, check)

	// Invitations normalise the same way.
	update(t, s, func(tx storage.Tx) error {
		i1 := invitation("a", "i1", "tok1", t0)
		i1.Projects = []string{}
		noErr(t, "invitation with empty projects", tx.CreateInvitation(ctx, i1))
		i2 := invitation("a", "i2", "tok2", t0)
		i2.Projects = projects
		noErr(t, "invitation with projects", tx.CreateInvitation(ctx, i2))
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		i1, err := tx.Invitation(ctx, "a", "i1")
		noErr(t, "Invitation(i1)", err)
		if i1.Projects != nil {
			t.Errorf("Invitation(i1).Projects = %#v, want nil", i1.Projects)
		}
		i2, err := tx.Invitation(ctx, "a", "i2")
		noErr(t, "Invitation(i2)", err)
		diff(t, "Invitation(i2).Projects", i2.Projects, projects)
		return nil
	})
}

func testInvitations(t *testing.T, s storage.Store) {
	ctx := context.Background()
	i1 := invitation("a", "i1", "tok1", at(2))
	i2 := invitation("a", "i2", "tok2", at(1))
	i2.Link, i2.Email, i2.MaxUses, i2.Role, i2.Projects = true, "", 25, "guest", []string{"x"}
	i0 := invitation("a", "i0", "tok3", at(2)) // same time as i1: ordered by ID
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "create b", tx.CreateWorkspace(ctx, workspace("b", "shared", "bob")))
		for _, inv := range []storage.Invitation{i1, i2, i0} {
			noErr(t, "CreateInvitation("+inv.ID+")", tx.CreateInvitation(ctx, inv))
		}
		dupID := invitation("b", "i1", "tok-other", at(1))
		wantErr(t, "CreateInvitation with a taken ID", tx.CreateInvitation(ctx, dupID), storage.ErrExists)
		dupTok := invitation("b", "i9", "tok1", at(1))
		wantErr(t, "CreateInvitation with a taken token", tx.CreateInvitation(ctx, dupTok), storage.ErrExists)
		wantErr(t, "CreateInvitation in a missing workspace", tx.CreateInvitation(ctx, invitation("zzz", "i8", "tok8", at(1))), storage.ErrNotFound)
		return nil
	})
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Invitation(ctx, "a", "i2")
		noErr(t, "Invitation(a, i2)", err)
		diff(t, "Invitation(a, i2)", got, i2)
		_, err = tx.Invitation(ctx, "b", "i2")
		wantErr(t, "Invitation(b, i2) (another workspace's)", err, storage.ErrNotFound)
		_, err = tx.Invitation(ctx, "a", "i9")
		wantErr(t, "Invitation(a, i9)", err, storage.ErrNotFound)
		got, err = tx.InvitationByToken(ctx, "tok1")
		noErr(t, "InvitationByToken(tok1)", err)
		diff(t, "InvitationByToken(tok1)", got, i1)
		_, err = tx.InvitationByToken(ctx, "tok-other")
		wantErr(t, "InvitationByToken(tok-other)", err, storage.ErrNotFound)
		all, err := allInvitations(ctx, tx, "a")
		noErr(t, "Invitations(a)", err)
		diff(t, "Invitations(a)", all, []storage.Invitation{i2, i0, i1})
		all, err = allInvitations(ctx, tx, "b")
		noErr(t, "Invitations(b)", err)
		diff(t, "Invitations(b)", all, []storage.Invitation(nil))
		return nil
	})
}

func testInvitationUpdate(t *testing.T, s storage.Store) {
	ctx := context.Background()
	i1 := invitation("a", "i1", "tok1", at(1))
	i1.MaxUses = 5
	update(t, s, func(tx storage.Tx) error {
		noErr(t, "create a", tx.CreateWorkspace(ctx, workspace("a", "shared", "ann")))
		noErr(t, "create b", tx.CreateWorkspace(ctx, workspace("b", "shared", "bob")))
		return tx.CreateInvitation(ctx, i1)
	})
	update(t, s, func(tx storage.Tx) error {
		changed := i1
		changed.Uses, changed.Revoked = 3, true
		// Everything else is ignored.
		changed.Role, changed.Email, changed.MaxUses, changed.TokenHash = "admin", "evil@example.com", 99, "tok-evil"
		changed.Expires, changed.Projects, changed.Link, changed.Inviter = at(999), []string{"p"}, true, "mallory"
		noErr(t, "UpdateInvitation", tx.UpdateInvitation(ctx, changed))
		other := i1
		other.Workspace = "b"
		wantErr(t, "UpdateInvitation through another workspace", tx.UpdateInvitation(ctx, other), storage.ErrNotFound)
		missing := invitation("a", "i9", "tok9", at(1))
		wantErr(t, "UpdateInvitation(i9)", tx.UpdateInvitation(ctx, missing), storage.ErrNotFound)
		return nil
	})
	want := i1
	want.Uses, want.Revoked = 3, true
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Invitation(ctx, "a", "i1")
		noErr(t, "Invitation", err)
		diff(t, "Invitation after update", got, want)
		got, err = tx.InvitationByToken(ctx, "tok1")
		noErr(t, "InvitationByToken", err)
		diff(t, "InvitationByToken after update", got, want)
		_, err = tx.InvitationByToken(ctx, "tok-evil")
		wantErr(t, "InvitationByToken(tok-evil)", err, storage.ErrNotFound)
		return nil
	})
}

func testEvents(t *testing.T, s storage.Store) {
	ctx := context.Background()
	var want []storage.Event
	for i, ws := range []string{"a", "b", "a", "zzz", "b", "a"} {
		e := event(ws, name("type", i))
		e.Amount = int64(i * 100)
		e.Time = at(i)
		if i == 3 {
			e.Before, e.After, e.Currency, e.Amount = "", "", "", 0
		}
		want = append(want, e)
	}
	// Three transactions, the last with four events.
	for _, batch := range [][]storage.Event{want[:1], want[1:2], want[2:]} {
		update(t, s, func(tx storage.Tx) error {
			for _, e := range batch {
				e.Seq = 42 // ignored
				if _, err := tx.AppendEvent(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for i := range want {
		want[i].Seq = int64(i + 1)
	}
	err := s.Update(ctx, func(tx storage.Tx) error {
		seq, err := tx.AppendEvent(ctx, event("c", "last"))
		noErr(t, "AppendEvent", err)
		if seq != 7 {
			t.Errorf("AppendEvent = %d, want 7", seq)
		}
		return errBoom // rolled back
	})
	wantErr(t, "Update", err, errBoom)
	view(t, s, func(tx storage.Tx) error {
		got, err := tx.Events(ctx, "", 0, 100)
		noErr(t, "Events", err)
		diff(t, "Events", got, want)
		got, err = tx.Events(ctx, "a", 0, 100)
		noErr(t, "Events(a)", err)
		diff(t, "Events(a)", got, []storage.Event{want[0], want[2], want[5]})
		got, err = tx.Events(ctx, "b", 2, 100)
		noErr(t, "Events(b, after 2)", err)
		diff(t, "Events(b, after 2)", got, []storage.Event{want[4]})
		got, err = tx.Events(ctx, "nobody", 0, 100)
		noErr(t, "Events(nobody)", err)
		diff(t, "Events(nobody)", got, []storage.Event(nil))
		return nil
	})
}

func testEventsPaging(t *testing.T, s storage.Store) {
	ctx := context.Background()
	const n = 25
	update(t, s, func(tx storage.Tx) error {
		for i := range n {
			ws := "a"
			if i%3 == 0 {
				ws = "b"
			}
			if _, err := tx.AppendEvent(ctx, event(ws, name("e", i))); err != nil {
				return err
			}
		}
		return nil
	})
	for _, tt := range []struct {
		ws    string
		limit int
	}{{"", 1}, {"", 4}, {"", 25}, {"", 100}, {"a", 3}, {"b", 2}, {"b", 100}} {
		var got []storage.Event
		after := int64(0)
		for pages := 0; ; pages++ {
			if pages > n+1 {
				t.Fatalf("paging %q by %d does not end", tt.ws, tt.limit)
			}
			var page []storage.Event
			view(t, s, func(tx storage.Tx) error {
				var err error
				page, err = tx.Events(ctx, tt.ws, after, tt.limit)
				return err
			})
			if len(page) > tt.limit {
				t.Fatalf("Events(%q, %d, %d) returned %d events", tt.ws, after, tt.limit, len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].Seq
		}
		var want []int64
		for i := range n {
			if tt.ws == "" || (tt.ws == "b") == (i%3 == 0) {
				want = append(want, int64(i+1))
			}
		}
		diff(t, "paged seqs", seqs(got), want)
	}
	view(t, s, func(tx storage.Tx) error {
		for _, limit := range []int{0, -1} {
			got, err := tx.Events(ctx, "", 0, limit)
			noErr(t, "Events", err)
			if len(got) != 0 {
				t.Errorf("Events(limit %d) returned %d events, want 0", limit, len(got))
			}
		}
		got, err := tx.Events(ctx, "", n, 10)
		noErr(t, "Events", err)
		if len(got) != 0 {
			t.Errorf("Events(after last) returned %d events, want 0", len(got))
		}
		got, err = tx.Events(ctx, "", -5, 2)
		noErr(t, "Events", err)
		diff(t, "Events(after -5)", seqs(got), []int64{1, 2})
		return nil
	})
}

// testAccess checks Store.Access against what a transaction reads: a member,
// a guest with projects, a non-member, a missing workspace, and a member
// of another workspace asking about this one.
func testAccess(t *testing.T, s storage.Store) {
	ctx := context.Background()
	seed(t, s)
	var wantWS storage.Workspace
	var wantBob storage.Member
	view(t, s, func(tx storage.Tx) error {
		var err error
		wantWS, err = tx.Workspace(ctx, "a")
		noErr(t, "Workspace(a)", err)
		wantBob, err = tx.Member(ctx, "a", "bob")
		noErr(t, "Member(a, bob)", err)
		return nil
	})
	w, m, ok, err := s.Access(ctx, "a", "bob")
	noErr(t, "Access(a, bob)", err)
	if !ok {
		t.Fatalf("Access(a, bob): not a member")
	}
	diff(t, "Access(a, bob) workspace", w, wantWS)
	diff(t, "Access(a, bob) member", m, wantBob)

	w, m, ok, err = s.Access(ctx, "a", "zed")
	noErr(t, "Access(a, zed)", err)
	if ok || m.User != "" {
		t.Errorf("Access(a, zed) = member %+v, %t; want none", m, ok)
	}
	diff(t, "Access(a, zed) workspace", w, wantWS)

	_, _, ok, err = s.Access(ctx, "p", "bob") // bob belongs to a, not p
	noErr(t, "Access(p, bob)", err)
	if ok {
		t.Errorf("Access(p, bob) found a membership of another workspace")
	}
	_, _, ok, err = s.Access(ctx, "nope", "ann")
	wantErr(t, "Access(nope, ann)", err, storage.ErrNotFound)
	if ok {
		t.Errorf("Access of a missing workspace says member")
	}
}
