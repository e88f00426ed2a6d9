package backendtest_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/charterhq/charter"
	"github.com/charterhq/charter/credits"
	"github.com/charterhq/charter/storage"
	"github.com/charterhq/charter/storage/memory"
	"github.com/charterhq/charter/storage/postgres/pgtest"
	"github.com/charterhq/charter/storage/sqlite"
)

// sharedStores opens two stores on one database of each backend (the
// in-memory store: one store shared by both instances).
func sharedStores() []struct {
	name string
	open func(t *testing.T) [2]storage.Store
} {
	return []struct {
		name string
		open func(t *testing.T) [2]storage.Store
	}{
		{"memory", func(t *testing.T) [2]storage.Store {
			s := memory.New()
			return [2]storage.Store{s, s}
		}},
		{"sqlite", func(t *testing.T) [2]storage.Store {
			path := filepath.Join(t.TempDir(), "charter.db")
			var out [2]storage.Store
			for i := range out {
				s, err := sqlite.Open(context.Background(), path)
				check(t, err)
				out[i] = migrated(t, s)
			}
			return out
		}},
		{"postgres", func(t *testing.T) [2]storage.Store {
			url := pgtest.SchemaURL(t)
			return [2]storage.Store{openPostgres(t, url), openPostgres(t, url)}
		}},
	}
}

// TestPeriodResetsOnceAcrossClockJumps drives Sweep, Balance and Spend from
// two instances on one database, each with its own clock, jumping forward
// over several periods and back again (the instances' clocks disagree by
// weeks, and each goes back): every period of the pool resets exactly once,
// the resets run without a gap up to the latest period any call reached,
// and none is for a period no call reached.
func TestPeriodResetsOnceAcrossClockJumps(t *testing.T) {
	for _, b := range sharedStores() {
		t.Run(b.name, func(t *testing.T) {
			stores := b.open(t)
			p := loadPolicy(t, "credit-pool")
			var svc [2]*charter.Service
			var clocks [2]*clock
			for i, st := range stores {
				clocks[i] = newClock()
				s, err := charter.New(p, st, charter.Options{Now: clocks[i].Now})
				check(t, err)
				svc[i] = s
			}
			t0 := clocks[0].Now()
			id := spendPool(t, svc[0], 1000)
			day := 24 * time.Hour
			// Offsets from the workspace's creation, in days, per step:
			// forward, backward, and the two instances weeks apart.
			steps := []struct {
				inst int
				days int
			}{
				{0, 10}, {1, 40}, {0, 20}, {1, 35}, {0, 95}, {1, 61}, {0, 62}, {1, 130},
				{0, 31}, {1, 200}, {0, 199}, {1, 150}, {0, 201}, {1, 3}, {0, 260}, {1, 259},
			}
			maxPeriod := int64(0)
			for k, st := range steps {
				c := clocks[st.inst]
				c.Add(t0.Add(time.Duration(st.days)*day + time.Duration(k)*time.Minute).Sub(c.Now()))
				s := svc[st.inst]
				check(t, s.Sweep(ctx, id))
				bal := must[charter.Balance](t)(s.Balance(ctx, "edi", id, "credits"))
				maxPeriod = max(maxPeriod, bal.Period)
				_, err := s.Spend(ctx, "edi", "create_visuals", id, fmt.Sprintf("k%d", k))
				if err != nil && !errors.Is(err, charter.ErrConflict) {
					t.Fatalf("step %d (instance %d, day %d): Spend: %v", k, st.inst, st.days, err)
				}
				check(t, s.Sweep(ctx, id))
			}
			resets := map[int64]int{}
			for _, e := range must[[]credits.Entry](t)(journalOf(svc[1], "own", id, "credits")) {
				if e.Kind == credits.KindReset {
					resets[e.Period]++
				}
			}
			lo := maxPeriod
			for per, n := range resets {
				lo = min(lo, per)
				if n != 1 {
					t.Errorf("period %d reset %d times, want once", per, n)
				}
				if per > maxPeriod {
					t.Errorf("period %d reset, but no call reached past period %d", per, maxPeriod)
				}
			}
			for per := lo; per <= maxPeriod; per++ {
				if resets[per] == 0 {
					t.Errorf("period %d never reset (resets %v, latest period %d)", per, resets, maxPeriod)
				}
			}
			if maxPeriod < 6 {
				t.Errorf("latest period %d: the clock jumps did not cross the periods they should", maxPeriod)
			}
			t.Logf("periods %d..%d each reset once", lo, maxPeriod)
		})
	}
}
