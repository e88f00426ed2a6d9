package memory

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/workspace"
	"pgregory.net/rapid"
)

// TestHotLedgerMemo: the store keeps what the last committed Update's
// LedgerIn found of its pool's maps for the next Update (state.hot), and
// must still read and write what it would without it. A state machine over
// two workspace IDs of one currency creates workspaces with a pool,
// deletes them (and makes them again under the same ID), and saves ledger
// changes (a record, a lot, a journal entry, an allowance) after a
// LedgerIn, in Updates that commit or roll back, sometimes deleting the
// workspace in the same Update. After each step a View, which keeps no
// memo, must read what a model holds (a pool's journal outlives its
// workspace, as DeleteWorkspace keeps the audit trail).
func TestHotLedgerMemo(t *testing.T) {
	type pool struct {
		lots, allows map[string]int64
		keys         map[string]bool
	}
	ctx, now := context.Background(), time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	rapid.Check(t, func(t *rapid.T) {
		st := New()
		model := map[string]*pool{}
		// entries counts each pool's journal, which outlives its
		// workspace, as DeleteWorkspace keeps the audit trail.
		entries := map[string]int{}
		id := rapid.SampledFrom([]string{"w1", "w2"})
		n := 0
		t.Repeat(map[string]func(*rapid.T){
			"create": func(t *rapid.T) {
				w := id.Draw(t, "workspace")
				if model[w] != nil {
					t.Skip("exists")
				}
				// The Update may also fill the pool it makes, through
				// LedgerIn and SaveLedger, and then roll back: the maps
				// it made go, and the memo must not keep them.
				fill := rapid.Bool().Draw(t, "fill")
				commit := !fill || rapid.Bool().Draw(t, "commit")
				// A rollback for an error or for a panic.
				panics := !commit && rapid.Bool().Draw(t, "panic")
				n++
				key, v := fmt.Sprintf("k%d", n), int64(n)
				err := updateOrPanic(st, func(tx storage.Tx) error {
					if err := tx.CreateWorkspace(ctx, storage.Workspace{ID: w, Kind: workspace.Shared, Plan: "p", Owner: "ann", Version: 1, Created: now, Anchor: now}); err != nil {
						return err
					}
					if err := tx.CreatePool(ctx, storage.Pool{Workspace: w, Currency: "c"}); err != nil || !fill {
						return err
					}
					var room storage.LedgerRoom
					if _, err := storage.ReadLedgerIn(ctx, tx, storage.LedgerQuery{Workspace: w, Currency: "c", Member: "m1", Key: key}, &room); err != nil {
						return err
					}
					if err := storage.SaveLedger(ctx, tx, storage.LedgerChange{
						Workspace: w, Currency: "c",
						Record:    &storage.Idempotency{Workspace: w, Key: key, Fingerprint: "f", Result: "r", Created: now},
						Put:       []credits.Grant{{ID: "a", Amount: 1 << 20, Remaining: v, Created: now}},
						Entries:   []credits.Entry{{Kind: credits.KindSpend, Currency: "c", Grant: "a", Amount: -1, Member: "m1", Key: key, Time: now}},
						Allowance: &credits.Allowance{Member: "m1", Amount: 1 << 20, Spent: v},
					}); err != nil {
						return err
					}
					if panics {
						panic(errRolledBack)
					}
					if !commit {
						return errRolledBack
					}
					return nil
				})
				if !commit {
					if err != errRolledBack {
						t.Fatalf("create in %s: %v", w, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				model[w] = &pool{lots: map[string]int64{}, allows: map[string]int64{}, keys: map[string]bool{}}
				if fill {
					model[w].lots["a"], model[w].allows["m1"], model[w].keys[key] = v, v, true
					entries[w]++
				}
			},
			"delete": func(t *rapid.T) {
				w := id.Draw(t, "workspace")
				if model[w] == nil {
					t.Skip("missing")
				}
				if err := st.Update(ctx, func(tx storage.Tx) error { return tx.DeleteWorkspace(ctx, w) }); err != nil {
					t.Fatal(err)
				}
				delete(model, w)
			},
			"save": func(t *rapid.T) {
				w := id.Draw(t, "workspace")
				p := model[w]
				if p == nil {
					t.Skip("missing")
				}
				commit := rapid.Bool().Draw(t, "commit")
				drop := rapid.IntRange(0, 5).Draw(t, "delete after") == 0
				// The key recorded between LedgerIn, which found it
				// free, and SaveLedger: SaveLedger must refuse it.
				taken := rapid.IntRange(0, 5).Draw(t, "key taken between") == 0
				// The member's allowance written (or deleted) between
				// LedgerIn, which read it, and SaveLedger, which writes
				// it again: a rollback must still restore the value it
				// had before the Update.
				between := rapid.IntRange(0, 3).Draw(t, "allowance between")
				lot := rapid.SampledFrom([]string{"a", "b"}).Draw(t, "lot")
				member := rapid.SampledFrom([]string{"m1", "m2"}).Draw(t, "member")
				// Most saves follow a LedgerIn of their pool, as a spend's
				// do; some come without one, and find what the last
				// Update's LedgerIn left.
				read := rapid.IntRange(0, 3).Draw(t, "read first") != 0
				n++
				key, v := fmt.Sprintf("k%d", n), int64(n)
				err := st.Update(ctx, func(tx storage.Tx) error {
					if read {
						var room storage.LedgerRoom
						l, err := storage.ReadLedgerIn(ctx, tx, storage.LedgerQuery{Workspace: w, Currency: "c", Member: member, Key: key}, &room)
						if err != nil {
							return err
						}
						if len(l.Grants) != len(p.lots) || l.Record != nil || (l.Allowance != nil) != (p.allows[member] != 0) {
							return fmt.Errorf("LedgerIn of %s read %d lots, record %v, allowance %v; the model has %d lots, allowance %d", w, len(l.Grants), l.Record, l.Allowance, len(p.lots), p.allows[member])
						}
					}
					switch between {
					case 1:
						if err := tx.PutAllowance(ctx, w, "c", credits.Allowance{Member: member, Amount: 1 << 20, Spent: -v}); err != nil {
							return err
						}
					case 2:
						if err := tx.DeleteAllowance(ctx, w, "c", member); err != nil && !errors.Is(err, storage.ErrNotFound) {
							return err
						}
					}
					if taken {
						if err := tx.PutIdempotency(ctx, storage.Idempotency{Workspace: w, Key: key, Fingerprint: "g", Result: "s", Created: now}); err != nil {
							return err
						}
					}
					if err := storage.SaveLedger(ctx, tx, storage.LedgerChange{
						Workspace: w, Currency: "c",
						Record:    &storage.Idempotency{Workspace: w, Key: key, Fingerprint: "f", Result: "r", Created: now},
						Put:       []credits.Grant{{ID: lot, Amount: 1 << 20, Remaining: v, Created: now}},
						Entries:   []credits.Entry{{Kind: credits.KindSpend, Currency: "c", Grant: lot, Amount: -1, Member: member, Key: key, Time: now}},
						Allowance: &credits.Allowance{Member: member, Amount: 1 << 20, Spent: v},
					}); taken && !errors.Is(err, storage.ErrExists) {
						return fmt.Errorf("SaveLedger of a key recorded since LedgerIn: %v, want ErrExists", err)
					} else if taken {
						return errRolledBack
					} else if err != nil {
						return err
					}
					if drop {
						if err := tx.DeleteWorkspace(ctx, w); err != nil {
							return err
						}
					}
					if !commit {
						return errRolledBack
					}
					return nil
				})
				switch {
				case taken && err != errRolledBack:
					t.Fatalf("save in %s: %v", w, err)
				case taken:
				case !commit && err != errRolledBack, commit && err != nil:
					t.Fatalf("save in %s: %v", w, err)
				case commit && drop:
					delete(model, w)
					entries[w]++
				case commit:
					p.lots[lot], p.allows[member], p.keys[key] = v, v, true
					entries[w]++
				}
			},
			"": func(t *rapid.T) {
				if err := st.View(ctx, func(tx storage.Tx) error {
					for _, w := range []string{"w1", "w2"} {
						p := model[w]
						gs, err := tx.Grants(ctx, w, "c")
						if err != nil {
							return err
						}
						as, err := tx.Allowances(ctx, w, "c")
						if err != nil {
							return err
						}
						es, err := tx.Entries(ctx, w, "c", 0, 1000)
						if err != nil {
							return err
						}
						lots, allows := map[string]int64{}, map[string]int64{}
						for _, g := range gs {
							lots[g.ID] = g.Remaining
						}
						for _, a := range as {
							allows[a.Member] = a.Spent
						}
						if p == nil {
							p = &pool{}
						}
						if !maps.Equal(lots, p.lots) && len(lots)+len(p.lots) > 0 || !maps.Equal(allows, p.allows) && len(allows)+len(p.allows) > 0 || len(es) != entries[w] {
							return fmt.Errorf("%s holds lots %v, allowances %v, %d entries; the model %v, %v, %d", w, lots, allows, len(es), p.lots, p.allows, entries[w])
						}
						for k := range p.keys {
							if _, err := tx.Idempotency(ctx, w, k); err != nil {
								return fmt.Errorf("%s: record %s: %v", w, k, err)
							}
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			},
		})
	})
}

// updateOrPanic runs st.Update(fn) and returns its error, or what fn
// panicked with when it is an error.
func updateOrPanic(st *Store, fn func(storage.Tx) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(error)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	return st.Update(context.Background(), fn)
}
