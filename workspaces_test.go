package charter_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/charterhq/charter"
)

// TestRename: the update_settings operation renames, once, with its event;
// others are refused and outsiders see no workspace.
func TestRename(t *testing.T) {
	s := newService(t, "video-studio")
	w, err := s.CreateWorkspace(ctx, "oz", "Studio", "")
	ok(t, err)
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
	if len(renames) != 1 {
		t.Fatalf("%d rename events, want 1", len(renames))
	}
	var before, after map[string]string
	ok(t, json.Unmarshal(renames[0].Before, &before))
	ok(t, json.Unmarshal(renames[0].After, &after))
	if before["name"] != "Studio" || after["name"] != "Studio 2" || renames[0].Actor != "oz" {
		t.Errorf("rename event %+v: before %v after %v", renames[0], before, after)
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
