package memory

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
)

// TestBulkRollback checks that a failed transaction takes back the whole
// of its bulk writes, though AppendEvents logs one undo step for a batch:
// the workspaces, members and events are gone, and the next events take
// the sequence numbers the rolled-back ones had.
func TestBulkRollback(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)
	st := New()
	header := func(id, owner string) storage.Workspace {
		return storage.Workspace{ID: id, Kind: workspace.Shared, Plan: "team", Owner: owner, BillingContact: owner, Created: now, Anchor: now, Version: 1}
	}
	ev := func(ws string) storage.Event {
		return storage.Event{Workspace: ws, Actor: "ann", Type: "test", Time: now}
	}
	err := st.Update(ctx, func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, header("w0", "ann")); err != nil {
			return err
		}
		_, err := tx.AppendEvent(ctx, ev("w0"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	events := func(tx storage.Tx) []storage.Event {
		t.Helper()
		es, err := tx.Events(ctx, "", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	for _, fail := range []string{"after the events", "at a duplicate member"} {
		stop := errors.New("stop")
		err := st.Update(ctx, func(tx storage.Tx) error {
			if err := tx.CreateWorkspaces(ctx, []storage.Workspace{header("w1", "bob"), header("w2", "cat")}); err != nil {
				return err
			}
			ms := []storage.Member{
				{Workspace: "w1", User: "bob", Role: "owner", Joined: now},
				{Workspace: "w1", User: "dan", Role: "member", Joined: now},
				{Workspace: "w2", User: "cat", Role: "owner", Joined: now},
			}
			if err := tx.InsertMembers(ctx, ms); err != nil {
				return err
			}
			last, err := tx.AppendEvents(ctx, []storage.Event{ev("w1"), ev("w2"), ev("w1")})
			if err != nil {
				return err
			}
			if last != 4 || len(events(tx)) != 4 {
				t.Errorf("%s: AppendEvents = %d, %d events in the transaction; want 4, 4", fail, last, len(events(tx)))
			}
			if fail == "after the events" {
				return stop
			}
			return tx.InsertMembers(ctx, []storage.Member{{Workspace: "w2", User: "eve", Role: "member", Joined: now}, ms[1]})
		})
		if err == nil {
			t.Fatalf("%s: the transaction succeeded", fail)
		}
		err = st.View(ctx, func(tx storage.Tx) error {
			if got, _ := tx.WorkspacesIn(ctx, []string{"w1", "w2"}); len(got) != 0 {
				t.Errorf("%s: workspaces %v remain", fail, got)
			}
			for _, u := range []string{"bob", "dan", "cat", "eve"} {
				if _, err := tx.Member(ctx, "w1", u); !errors.Is(err, storage.ErrNotFound) {
					t.Errorf("%s: member %s of w1: %v, want not found", fail, u, err)
				}
			}
			if es := events(tx); len(es) != 1 || es[0].Workspace != "w0" {
				t.Errorf("%s: events %v, want the one of w0", fail, es)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	err = st.Update(ctx, func(tx storage.Tx) error {
		last, err := tx.AppendEvents(ctx, []storage.Event{ev("w0"), ev("w0")})
		if last != 3 {
			t.Errorf("AppendEvents after the rollbacks = %d, want 3", last)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.View(ctx, func(tx storage.Tx) error {
		for i, e := range events(tx) {
			if e.Seq != int64(i)+1 {
				t.Errorf("event %d has Seq %d", i, e.Seq)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
