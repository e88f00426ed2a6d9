package charter_test

import (
	"encoding/json"
	"errors"
	"testing"

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
