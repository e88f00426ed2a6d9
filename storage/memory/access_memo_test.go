package memory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
	"pgregory.net/rapid"
)

// TestAccessMemo: an Update's Access tries the handles the last one found
// (accessMemo), and must answer what a View's Access, which keeps no memo,
// answers. A state machine over two workspace IDs and three users creates
// and deletes workspaces (making them again under the same ID, so that a
// handle is released and given again), puts and deletes members, each in
// an Update that commits or rolls back and reads an access before and
// after its change; the Update's reads must match a model of the
// transaction, and after each step every access read in an Update and in a
// View must match the model.
func TestAccessMemo(t *testing.T) {
	ctx, now := context.Background(), time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	ids, users := []string{"w1", "w2"}, []string{"ann", "bob", "cy"}
	rapid.Check(t, func(t *rapid.T) {
		st := New()
		// model: workspace -> member -> role; a missing workspace is absent.
		model := map[string]map[string]string{}
		clone := func(m map[string]map[string]string) map[string]map[string]string {
			out := map[string]map[string]string{}
			for w, ms := range m {
				out[w] = maps.Clone(ms)
			}
			return out
		}
		// same checks tx's access of user to w against m.
		same := func(tx storage.Tx, m map[string]map[string]string, w, user string) error {
			_, mem, ok, err := storage.ReadAccess(ctx, tx, w, user)
			ms, exists := m[w]
			switch {
			case !exists && !errors.Is(err, storage.ErrNotFound):
				return fmt.Errorf("Access(%s, %s) = %v, %v; want ErrNotFound", w, user, ok, err)
			case !exists:
				return nil
			case err != nil:
				return fmt.Errorf("Access(%s, %s): %v", w, user, err)
			case ok != (ms[user] != "") || ok && mem.Role != ms[user]:
				return fmt.Errorf("Access(%s, %s) = %v, role %q; the model has %q", w, user, ok, mem.Role, ms[user])
			}
			return nil
		}
		id, user := rapid.SampledFrom(ids), rapid.SampledFrom(users)
		errRolledBack := errors.New("rolled back")
		// step runs change in an Update that reads an access before and
		// after it, and commits or rolls back.
		step := func(t *rapid.T, change func(tx storage.Tx, m map[string]map[string]string) error) {
			commit := rapid.Bool().Draw(t, "commit")
			w1, u1, w2, u2 := id.Draw(t, "before: workspace"), user.Draw(t, "before: user"), id.Draw(t, "after: workspace"), user.Draw(t, "after: user")
			next := clone(model)
			err := st.Update(ctx, func(tx storage.Tx) error {
				if err := same(tx, next, w1, u1); err != nil {
					return err
				}
				if err := change(tx, next); err != nil {
					return err
				}
				if err := same(tx, next, w2, u2); err != nil {
					return err
				}
				if !commit {
					return errRolledBack
				}
				return nil
			})
			switch {
			case !commit && err == errRolledBack:
			case err != nil:
				t.Fatal(err)
			default:
				model = next
			}
		}
		t.Repeat(map[string]func(*rapid.T){
			"create": func(t *rapid.T) {
				w := id.Draw(t, "workspace")
				if model[w] != nil {
					t.Skip("exists")
				}
				step(t, func(tx storage.Tx, m map[string]map[string]string) error {
					m[w] = map[string]string{}
					return tx.CreateWorkspace(ctx, storage.Workspace{ID: w, Kind: workspace.Shared, Plan: "p", Owner: "ann", Version: 1, Created: now, Anchor: now})
				})
			},
			"delete": func(t *rapid.T) {
				w := id.Draw(t, "workspace")
				if model[w] == nil {
					t.Skip("missing")
				}
				step(t, func(tx storage.Tx, m map[string]map[string]string) error {
					delete(m, w)
					return tx.DeleteWorkspace(ctx, w)
				})
			},
			"put": func(t *rapid.T) {
				w, u, r := id.Draw(t, "workspace"), user.Draw(t, "user"), rapid.SampledFrom([]string{"admin", "member"}).Draw(t, "role")
				if model[w] == nil {
					t.Skip("missing")
				}
				step(t, func(tx storage.Tx, m map[string]map[string]string) error {
					m[w][u] = r
					return tx.PutMember(ctx, storage.Member{Workspace: w, User: u, Role: r, Joined: now})
				})
			},
			"remove": func(t *rapid.T) {
				w, u := id.Draw(t, "workspace"), user.Draw(t, "user")
				if model[w][u] == "" {
					t.Skip("not a member")
				}
				step(t, func(tx storage.Tx, m map[string]map[string]string) error {
					delete(m[w], u)
					return tx.DeleteMember(ctx, w, u)
				})
			},
			"": func(t *rapid.T) {
				for _, w := range ids {
					for _, u := range users {
						if err := st.Update(ctx, func(tx storage.Tx) error { return same(tx, model, w, u) }); err != nil {
							t.Fatal(err)
						}
						if err := st.View(ctx, func(tx storage.Tx) error { return same(tx, model, w, u) }); err != nil {
							t.Fatal(err)
						}
					}
				}
			},
		})
	})
}

// TestAccessMemoUserGiven: a user's handle, released when they leave their
// last workspace, may be given to the next new user; an Update's Access of
// the first user must then not take the memo's handle for theirs.
func TestAccessMemoUserGiven(t *testing.T) {
	ctx, now := context.Background(), time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	st := New()
	update := func(fn func(tx storage.Tx) error) {
		t.Helper()
		if err := st.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	update(func(tx storage.Tx) error {
		if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: "w", Kind: workspace.Shared, Plan: "p", Owner: "ann", Version: 1, Created: now, Anchor: now}); err != nil {
			return err
		}
		return tx.PutMember(ctx, storage.Member{Workspace: "w", User: "bob", Role: "member", Joined: now})
	})
	update(func(tx storage.Tx) error {
		if _, _, ok, err := storage.ReadAccess(ctx, tx, "w", "bob"); !ok || err != nil {
			return fmt.Errorf("bob: %v, %v", ok, err)
		}
		return tx.DeleteMember(ctx, "w", "bob") // bob's handle is released
	})
	update(func(tx storage.Tx) error {
		return tx.PutMember(ctx, storage.Member{Workspace: "w", User: "cy", Role: "admin", Joined: now}) // cy may get it
	})
	update(func(tx storage.Tx) error {
		if _, m, ok, err := storage.ReadAccess(ctx, tx, "w", "bob"); ok || err != nil {
			return fmt.Errorf("bob, who left: member %v (%+v), %v", ok, m, err)
		}
		if _, m, ok, err := storage.ReadAccess(ctx, tx, "w", "cy"); !ok || err != nil || m.Role != "admin" {
			return fmt.Errorf("cy: member %v (%+v), %v", ok, m, err)
		}
		return nil
	})
}
